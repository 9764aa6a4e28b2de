// One threaded-server worker: a node:cluster child that receives accepted
// connections from the primary over IPC (the socket travels as the message's
// handle), serves each with one handler, and reports what happens to the primary.
// A worker never writes to the terminal: the primary renders.
import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import type { PrimaryMessage, WorkerConfig, WorkerEvent, WorkerMessage } from './protocol.js';
import { isPrimaryMessage } from './protocol.js';
import { connectionBudget, RefusalAggregator } from '../socket/descriptor-budget.js';
import { DEFAULT_LINGER_MS, DEFAULT_QUIET_MS, HANDLERS, type HandlerLimits, type ServedConnection } from './handlers.js';

/** Exit status of a worker that died of an error (uncaught exception or the test crash). */
export const WORKER_CRASH_EXIT_CODE = 70;

/** Batches events so a burst of connections costs one IPC message per event-loop turn, not one each. */
class EventBatcher {
  private queue: WorkerEvent[] = [];
  private scheduled = false;

  constructor(
    private readonly send: (message: WorkerMessage, done?: () => void) => void,
    /** false: one IPC message per event (kept only to measure what batching saves). */
    private readonly batch = true,
  ) {}

  push(event: WorkerEvent): void {
    this.queue.push(event);
    if (!this.batch || this.queue.length >= 512) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(done?: () => void): void {
    this.scheduled = false;
    if (this.queue.length === 0) {
      done?.();
      return;
    }
    const events = this.queue;
    this.queue = [];
    this.send({ kind: 'events', events }, done);
  }
}

function sendToPrimary(message: WorkerMessage, done?: () => void): void {
  if (!process.connected || !process.send) {
    done?.();
    return;
  }
  process.send(message, undefined, {}, () => done?.());
}

/** Serves until the primary says drain (resolves 0) or the primary goes away (Node's cluster exits the worker). */
export function runClusterWorker(config: WorkerConfig): Promise<number> {
  const workerId = cluster.worker?.id ?? 0;
  // Bench-only: SOCKKIT_BENCH_UNBATCHED_EVENTS=1 sends every event on its own (bench/threaded-measure.mjs).
  const events = new EventBatcher(sendToPrimary, process.env.SOCKKIT_BENCH_UNBATCHED_EVENTS !== '1');
  const trace = (step: string, detail: string) => {
    if (config.tracing) events.push({ type: 'trace', step, detail });
  };
  const limits: HandlerLimits = {
    idleTimeoutMs: config.idleTimeoutMs,
    replyText: config.replyText,
    lingerMs: DEFAULT_LINGER_MS,
    quietMs: DEFAULT_QUIET_MS,
  };
  const handler = HANDLERS[config.handler];
  const open = new Set<ServedConnection>();
  let served = 0;
  let draining = false;
  let crashing = false;

  // The terminal sends Ctrl-C to the whole process group: a worker waits for the
  // primary's drain message instead, so in-flight clients are not cut.
  process.on('SIGINT', () => {});

  return new Promise<number>((resolve) => {
    // An error nobody caught is a crash: report it, wait for the primary's
    // acknowledgement (bounded), exit. Connections open here are lost with the
    // process (the kernel resets them); the primary reports how many, and hands any
    // connection it sent us but we never took to another worker.
    const exitCrashed = () => process.exit(WORKER_CRASH_EXIT_CODE);
    process.on('uncaughtException', (err) => {
      if (crashing) return;
      crashing = true;
      setTimeout(exitCrashed, 2000); // bound: exit even if the acknowledgement never comes
      events.flush(() => sendToPrimary({ kind: 'fatal', message: err instanceof Error ? err.message : String(err) }));
    });

    process.on('message', (message: unknown, handle: unknown) => {
      if (!isPrimaryMessage(message)) return;
      if (message.kind === 'conn') take(message.id, handle as Socket | undefined);
      else if (message.kind === 'fatal-ack') exitCrashed();
      else startDrain(message);
    });
    sendToPrimary({ kind: 'ready' });

    let accepting = 0;
    // Each connection costs this process a descriptor: beyond its budget, a hand-off
    // would fail inside Node's IPC, so refuse (and say so, aggregated) before that.
    const budget = connectionBudget();
    const byDescriptors = budget !== undefined && (config.maxConnsPerWorker === 0 || budget.connections < config.maxConnsPerWorker);
    const cap = byDescriptors ? budget.connections : config.maxConnsPerWorker;
    const descriptorRefusals = new RefusalAggregator((count) =>
      events.push({ type: 'refused-descriptors', count, open: open.size, descriptorLimit: budget?.limit ?? 0 }),
    );

    function take(id: number, socket: Socket | undefined): void {
      if (!socket) return; // the client was gone before the hand-off completed
      if (crashing) return; // not taken: the primary gives it to another worker
      // As if accepted by a server with allowHalfOpen: the client's FIN ends only its
      // direction, so the echo of what it sent last can still be flushed.
      socket.allowHalfOpen = true;
      socket.on('error', () => {}); // until the handler's own error handling is attached
      const refuse = cap > 0 && open.size + accepting >= cap;
      if (!refuse) accepting++;
      // Say "taken" before reading a byte: a crash after this point loses this
      // connection (and is counted); before it, the primary still holds it intact.
      const took: WorkerMessage = { kind: 'took', id };
      if (refuse) took.refused = true;
      sendToPrimary(took, () => {
        if (refuse) return refuseConnection(socket);
        accepting--;
        onConnection(socket);
      });
    }

    function refuseConnection(socket: Socket): void {
      if (byDescriptors) {
        descriptorRefusals.add();
        socket.destroy();
        return;
      }
      events.push({ type: 'refused', remoteAddress: socket.remoteAddress ?? '?', remotePort: socket.remotePort ?? 0, maxConns: config.maxConnsPerWorker });
      socket.destroy();
    }

    function onConnection(socket: Socket): void {
      const remoteAddress = socket.remoteAddress ?? '?';
      const remotePort = socket.remotePort ?? 0;
      const started = performance.now();
      const connection = handler(socket, limits);
      open.add(connection);
      events.push({ type: 'connect', remoteAddress, remotePort, open: open.size });
      trace('accept', `${remoteAddress} port ${remotePort}`);
      if (config.tracing) socket.once('end', () => trace('recv', `${remoteAddress} port ${remotePort}: end of stream (client half-closed)`));
      if (draining) connection.drain();

      void connection.done.then((outcome) => {
        open.delete(connection);
        const event: WorkerEvent = {
          type: 'disconnect',
          remoteAddress,
          remotePort,
          bytesIn: outcome.bytesIn,
          bytesOut: outcome.bytesOut,
          durationMs: Math.round((performance.now() - started) * 1000) / 1000,
          reason: outcome.reason,
        };
        if (outcome.error !== undefined) event.error = outcome.error;
        events.push(event);
        trace('close', `${remoteAddress} port ${remotePort}: ${outcome.bytesIn} bytes in, ${outcome.bytesOut} bytes out`);
        served++;
        if (config.crashAfter > 0 && workerId === 1 && served === config.crashAfter) {
          // Test-only (SOCKKIT_TEST_CRASH_AFTER): a bug that kills the process between clients.
          setImmediate(() => {
            throw new Error(`test crash after ${served} connections (SOCKKIT_TEST_CRASH_AFTER)`);
          });
        }
        if (draining) finishIfDrained();
      });
    }

    let cutTimer: NodeJS.Timeout | undefined;
    let cut = 0;

    function startDrain(message: Extract<PrimaryMessage, { kind: 'drain' }>): void {
      if (draining) return;
      draining = true;
      // The primary has stopped accepting; finish what is open.
      for (const connection of open) connection.drain();
      cutTimer = setTimeout(() => {
        cut = open.size;
        for (const connection of open) connection.cut();
      }, message.deadlineMs);
      finishIfDrained();
    }

    function finishIfDrained(): void {
      if (open.size > 0) return;
      clearTimeout(cutTimer);
      descriptorRefusals.flush();
      events.flush(() => sendToPrimary({ kind: 'drained', cut }, () => resolve(0)));
    }
  });
}
