// One threaded-server worker: a node:cluster child that receives accepted
// connections from the primary over IPC (the socket travels as the message's
// handle), serves each with one handler, and reports what happens to the primary.
// A worker never writes to the terminal: the primary renders.
import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import type { PrimaryMessage, WorkerConfig, WorkerEvent, WorkerMessage } from './protocol.js';
import { isPrimaryMessage } from './protocol.js';
import { connectionBudget, RefusalAggregator } from '../socket/descriptor-budget.js';
import { HANDLERS, type ConnectionHandler } from './handlers.js';
import { acceptConnection, DEFAULT_LINGER_MS, DEFAULT_QUIET_MS, type ConnectionLimits, type ConnectionRecord, type ServedConnection, type ServerTls } from '../socket/served-connection.js';
import { noTrace, tracing, type TraceFn } from '../shared/trace.js';

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
export async function runClusterWorker(config: WorkerConfig): Promise<number> {
  // The terminal sends Ctrl-C to the whole process group: a worker waits for the
  // primary's drain message instead, so in-flight clients are not cut.
  process.on('SIGINT', () => {});
  // node:tls loads only with --tls.
  const tls = config.tls ? (await import('../socket/tls-server.js')).tlsServerConfig(config.tls) : undefined;
  return new Promise<number>((resolve) => {
    const worker = new ClusterWorker(config, tls, () => resolve(0));
    process.on('uncaughtException', (err) => worker.crashed(err));
    process.on('message', (message: unknown, handle: unknown) => {
      if (!isPrimaryMessage(message)) return;
      if (message.kind === 'conn') worker.take(message.id, handle as Socket | undefined);
      else if (message.kind === 'fatal-ack') exitCrashed();
      else worker.drain(message.deadlineMs);
    });
    sendToPrimary({ kind: 'ready' });
  });
}

function exitCrashed(): never {
  process.exit(WORKER_CRASH_EXIT_CODE);
}

class ClusterWorker {
  private readonly workerId = cluster.worker?.id ?? 0;
  // Bench-only: SOCKKIT_BENCH_UNBATCHED_EVENTS=1 sends every event on its own (bench/threaded-measure.mjs).
  private readonly events = new EventBatcher(sendToPrimary, process.env.SOCKKIT_BENCH_UNBATCHED_EVENTS !== '1');
  private readonly trace: TraceFn;
  private readonly limits: ConnectionLimits;
  private readonly handler: ConnectionHandler;
  private readonly tls: ServerTls | undefined;
  private readonly open = new Set<ServedConnection>();
  /** Connections said to be taken whose hand-off acknowledgement is still on its way. */
  private accepting = 0;
  private served = 0;
  private draining = false;
  private crashing = false;
  private cutTimer: NodeJS.Timeout | undefined;
  private cutCount = 0;
  // Each connection costs this process a descriptor: beyond its budget, a hand-off
  // would fail inside Node's IPC, so refuse (and say so, aggregated) before that.
  private readonly byDescriptors: boolean;
  private readonly cap: number;
  private readonly descriptorRefusals: RefusalAggregator;

  constructor(
    private readonly config: WorkerConfig,
    tls: ServerTls | undefined,
    private readonly onDrained: () => void,
  ) {
    this.trace = config.tracing ? (step, detail) => this.events.push({ type: 'trace', step, detail }) : noTrace;
    this.limits = { idleTimeoutMs: config.idleTimeoutMs, lingerMs: DEFAULT_LINGER_MS, quietMs: DEFAULT_QUIET_MS };
    this.handler = HANDLERS[config.handler];
    this.tls = tls;
    const budget = connectionBudget();
    this.byDescriptors = budget !== undefined && (config.maxConnsPerWorker === 0 || budget.connections < config.maxConnsPerWorker);
    this.cap = this.byDescriptors ? budget!.connections : config.maxConnsPerWorker;
    this.descriptorRefusals = new RefusalAggregator((count) =>
      this.events.push({ type: 'refused-descriptors', count, open: this.open.size, descriptorLimit: budget?.limit ?? 0 }),
    );
  }

  /**
   * An error nobody caught is a crash: report it, wait for the primary's
   * acknowledgement (bounded), exit. Connections open here are lost with the process
   * (the kernel resets them); the primary reports how many, and hands any connection
   * it sent us but we never took to another worker.
   */
  crashed(err: unknown): void {
    if (this.crashing) return;
    this.crashing = true;
    setTimeout(exitCrashed, 2000); // bound: exit even if the acknowledgement never comes
    this.events.flush(() => sendToPrimary({ kind: 'fatal', message: err instanceof Error ? err.message : String(err) }));
  }

  take(id: number, socket: Socket | undefined): void {
    if (!socket) return; // the client was gone before the hand-off completed
    if (this.crashing) return; // not taken: the primary gives it to another worker
    // As if accepted by a server with allowHalfOpen: the client's FIN ends only its
    // direction, so the echo of what it sent last can still be flushed.
    socket.allowHalfOpen = true;
    socket.on('error', () => {}); // until the connection core's own error handling is attached
    const refuse = this.cap > 0 && this.open.size + this.accepting >= this.cap;
    if (!refuse) this.accepting++;
    // Say "taken" before reading a byte: a crash after this point loses this
    // connection (and is counted); before it, the primary still holds it intact.
    const took: WorkerMessage = { kind: 'took', id };
    if (refuse) took.refused = true;
    sendToPrimary(took, () => {
      if (refuse) return this.refuse(socket);
      this.accepting--;
      this.serve(id, socket);
    });
  }

  private refuse(socket: Socket): void {
    if (this.byDescriptors) this.descriptorRefusals.add();
    else this.events.push({ type: 'refused', remoteAddress: socket.remoteAddress ?? '?', remotePort: socket.remotePort ?? 0, maxConns: this.config.maxConnsPerWorker });
    socket.destroy();
  }

  private serve(id: number, socket: Socket): void {
    const connection = acceptConnection(socket, {
      id,
      limits: this.limits,
      trace: this.trace,
      tls: this.tls,
      onSecure: (c, info) => this.events.push({ type: 'tls', id, remoteAddress: c.remoteAddress, remotePort: c.remotePort, ...info }),
    });
    this.handler(connection, this.config);
    this.open.add(connection);
    this.events.push({ type: 'connect', id, remoteAddress: connection.remoteAddress, remotePort: connection.remotePort, open: this.open.size });
    if (tracing(this.trace)) this.trace('accept', `${connection.peer} #${id} (${this.open.size} open)`);
    if (this.draining) connection.drain();
    void connection.done.then((record) => this.closed(connection, record));
  }

  private closed(connection: ServedConnection, record: ConnectionRecord): void {
    this.open.delete(connection);
    this.events.push({ type: 'disconnect', ...record });
    this.served++;
    if (this.config.crashAfter > 0 && this.workerId === 1 && this.served === this.config.crashAfter) {
      // Test-only (SOCKKIT_TEST_CRASH_AFTER): a bug that kills the process between clients.
      setImmediate(() => {
        throw new Error(`test crash after ${this.served} connections (SOCKKIT_TEST_CRASH_AFTER)`);
      });
    }
    if (this.draining) this.finishIfDrained();
  }

  /** The primary has stopped accepting: finish what is open, cut what is left at the deadline. */
  drain(deadlineMs: number): void {
    if (this.draining) return;
    this.draining = true;
    for (const connection of this.open) connection.drain();
    this.cutTimer = setTimeout(() => {
      for (const connection of this.open) if (connection.cut()) this.cutCount++;
    }, deadlineMs);
    this.finishIfDrained();
  }

  private finishIfDrained(): void {
    if (this.open.size > 0) return;
    clearTimeout(this.cutTimer);
    this.descriptorRefusals.flush();
    this.events.flush(() => sendToPrimary({ kind: 'drained', cut: this.cutCount }, this.onDrained));
  }
}
