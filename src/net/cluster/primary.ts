// The threaded-server primary: owns the listening socket, forks N workers with
// node:cluster, passes each accepted connection to the next worker in turn over IPC,
// turns the workers' reports into events, replaces a worker that dies, and drains
// all of them on stop.
//
// Why node:cluster on Node 20: listen({reusePort}) is silently ignored before Node
// 22.12, two worker threads cannot listen on one port, and a socket cannot be posted
// to a worker thread; processes can be handed sockets.
//
// Why the primary passes connections itself instead of cluster's own round-robin
// (SCHED_RR, where workers call listen() and Node's primary hands out connections):
// measured here, SCHED_RR gives the next connection to whichever worker acknowledged
// its last one first, so under CPU contention one worker got 97 of 100; and a worker
// killed while a connection was on its way to it left that client hanging, because
// the primary's copy is never closed. Here the rotation is strict, and the primary
// keeps its copy of each socket until the worker says it took it (before reading a
// byte), so a connection sent to a worker that dies is given to another one.
import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import { bindFailure, listenTcp } from '../socket/listen.js';
import { ClusterStats, type ClusterTotals, type WorkerTotals } from './stats.js';
import { isWorkerMessage, type PrimaryMessage, type ServerEvent, type WorkerMessage } from './protocol.js';
import type { HandlerName } from './handlers.js';
import { SockkitError } from '../shared/errors.js';
import { formatHostPort } from '../shared/address.js';
import { noTrace, type TraceFn } from '../shared/trace.js';
import { acceptQueued } from '../echo/server.js';
import { connectionBudget, RefusalAggregator } from '../socket/descriptor-budget.js';

export interface PrimaryOptions {
  workers: number;
  host: string;
  port: number;
  ipv6Only: boolean;
  handler: HandlerName;
  /** Bound on starting every worker (fork + load + ready). */
  startupTimeoutMs: number;
  /** How long a stop waits for open connections before cutting them. */
  drainTimeoutMs: number;
  /** Show worker stderr (stack traces) on ours: SOCKKIT_DEBUG=1. */
  debug: boolean;
  onEvent: (event: ServerEvent) => void;
  /** Raw stderr text from workers, shown only when debugging. */
  onWorkerStderr: (worker: number, text: string) => void;
  trace: TraceFn;
  signal: AbortSignal;
}

export interface ClusterResult {
  workers: WorkerTotals[];
  totals: ClusterTotals;
}

/** Give up replacing workers when more than this many die within RESTART_WINDOW_MS. */
const MAX_RESTARTS = 10;
const RESTART_WINDOW_MS = 60_000;
/** After the drain deadline, how long a worker may take to exit before SIGKILL. */
const EXIT_GRACE_MS = 3000;
/** Kernel accept queue; 511 like nginx and Node's default. */
const BACKLOG = 511;
/** Connections accepted while no worker is ready (all restarting) wait, up to this many. */
const MAX_WAITING = 10_000;

interface Tracked {
  worker: Worker;
  pid: number;
  ready: boolean;
  /** Crashing or unreachable: no new connections. */
  unusable: boolean;
  draining: boolean;
  drained: boolean;
  fatal?: string;
}

interface InFlight {
  socket: Socket;
  entry: Tracked;
}

export async function runClusterPrimary(options: PrimaryOptions): Promise<ClusterResult> {
  // Same script, same argv: each worker parses the same flags and takes the worker
  // path. silent: workers' stdout/stderr come to us through pipes, never the terminal.
  cluster.setupPrimary({ silent: true });

  const stats = new ClusterStats();
  const tracked = new Map<number, Tracked>();
  const inFlight = new Map<number, InFlight>();
  const waiting: Socket[] = [];
  const restarts: number[] = [];
  let nextConnectionId = 0;
  let turn = 0;
  let stopping = false;
  let startupDone = false;
  let failure: SockkitError | undefined;

  // Listen first: a port in use fails before any process is forked.
  const server: Server = createServer({ pauseOnConnect: true }, dispatch);
  try {
    await listenTcp(options.host, options.port, BACKLOG, noTrace, server, options.ipv6Only);
  } catch (err) {
    // A port in use names its holder, as bind and echo-server do.
    throw bindFailure(err, { protocol: 'tcp', address: options.host, port: options.port });
  }
  server.on('error', () => {}); // accept errors (EMFILE) are retried by libuv
  // The primary holds each connection until its worker took it: past its descriptor
  // budget, refuse (accept and close, Node's maxConnections) and say so, aggregated.
  const budget = connectionBudget();
  const primaryRefusals = new RefusalAggregator((count) => {
    stats.refusedByPrimary(count);
    options.onEvent({ event: 'refused', worker: 0, reason: 'descriptors', count, open: inFlight.size + waiting.length, descriptorLimit: budget?.limit ?? 0 });
  });
  if (budget) {
    server.maxConnections = budget.connections;
    server.on('drop', () => primaryRefusals.add());
  }
  const address = server.address() as { address: string; port: number };
  options.trace('listen', `${formatHostPort(address.address, address.port)}, backlog ${BACKLOG} (the primary accepts)`);

  let settleStartup: (() => void) | undefined;
  let failStartup: ((err: SockkitError) => void) | undefined;
  const started = new Promise<void>((resolve, reject) => {
    settleStartup = resolve;
    failStartup = reject;
  });
  let allExited: (() => void) | undefined;
  const exited = new Promise<void>((resolve) => (allExited = resolve));

  /** Passes one accepted connection to the next usable worker, in strict rotation. */
  function dispatch(socket: Socket): void {
    socket.on('error', () => {});
    const usable = [...tracked.values()].filter((t) => t.ready && !t.unusable && !t.draining);
    if (usable.length === 0) {
      if (stopping || failure || waiting.length >= MAX_WAITING) socket.destroy();
      else waiting.push(socket);
      return;
    }
    const entry = usable[turn++ % usable.length]!;
    const id = ++nextConnectionId;
    inFlight.set(id, { socket, entry });
    const message: PrimaryMessage = { kind: 'conn', id };
    // keepOpen: our copy stays open until the worker says it took the connection.
    entry.worker.send(message, socket, { keepOpen: true }, (err) => {
      if (!err || !inFlight.has(id)) return;
      inFlight.delete(id);
      entry.unusable = true;
      dispatch(socket);
    });
  }

  function fork(): Tracked {
    const worker = cluster.fork();
    const pid = worker.process.pid ?? 0;
    const entry: Tracked = { worker, pid, ready: false, unusable: false, draining: false, drained: false };
    tracked.set(worker.id, entry);
    stats.addWorker(worker.id, pid);
    options.trace('fork', `worker ${worker.id}, pid ${pid}`);
    worker.process.stdout?.resume(); // a worker prints nothing; never let a full pipe block it
    worker.process.stderr?.on('data', (chunk: Buffer) => {
      if (options.debug) options.onWorkerStderr(worker.id, chunk.toString('utf8'));
    });
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) onMessage(entry, message);
    });
    worker.on('exit', (code, signal) => onExit(entry, code, signal));
    worker.on('error', () => {}); // IPC errors show up as exits
    return entry;
  }

  function onMessage(entry: Tracked, message: WorkerMessage): void {
    const id = entry.worker.id;
    switch (message.kind) {
      case 'ready':
        entry.ready = true;
        if (!startupDone) {
          if ([...tracked.values()].every((t) => t.ready)) {
            startupDone = true;
            options.onEvent({
              event: 'listening',
              address: address.address,
              port: address.port,
              protocol: 'tcp',
              workers: options.workers,
              handler: options.handler,
              scheduling: 'round-robin',
            });
            for (const t of [...tracked.values()].sort((a, b) => a.worker.id - b.worker.id)) {
              options.onEvent({ event: 'worker-ready', worker: t.worker.id, pid: t.pid });
            }
            settleStartup?.();
          }
        } else {
          options.onEvent({ event: 'worker-ready', worker: id, pid: entry.pid });
        }
        if (stopping) drainWhenHandedOff(entry);
        for (const socket of waiting.splice(0)) dispatch(socket);
        return;
      case 'took': {
        const handed = inFlight.get(message.id);
        if (!handed) return;
        inFlight.delete(message.id);
        handed.socket.destroy(); // closes only our descriptor; the worker holds the connection
        if (!message.refused) stats.connect(id);
        if (stopping) drainWhenHandedOff(entry);
        return;
      }
      case 'events':
        for (const e of message.events) {
          switch (e.type) {
            case 'connect':
              options.onEvent({ event: 'connect', worker: id, remoteAddress: e.remoteAddress, remotePort: e.remotePort, open: e.open });
              break;
            case 'disconnect': {
              stats.disconnect(id, e.bytesIn, e.bytesOut, e.reason === 'cut');
              const { type: _type, ...rest } = e;
              options.onEvent({ event: 'disconnect', worker: id, ...rest });
              break;
            }
            case 'refused-descriptors':
              stats.refused(id, e.count);
              options.onEvent({ event: 'refused', worker: id, reason: 'descriptors', count: e.count, open: e.open, descriptorLimit: e.descriptorLimit });
              break;
            case 'refused':
              stats.refused(id);
              options.onEvent({ event: 'refused', worker: id, remoteAddress: e.remoteAddress, remotePort: e.remotePort, maxConns: e.maxConns });
              break;
            case 'trace':
              options.trace(e.step, `worker ${id}: ${e.detail}`);
              break;
          }
        }
        return;
      case 'fatal': {
        entry.fatal = message.message;
        entry.unusable = true;
        const ack: PrimaryMessage = { kind: 'fatal-ack' };
        if (entry.worker.isConnected()) entry.worker.send(ack);
        return;
      }
      case 'drained':
        entry.drained = true;
        return;
    }
  }

  function onExit(entry: Tracked, code: number | null, signal: string | null): void {
    const id = entry.worker.id;
    tracked.delete(id);
    const clean = entry.draining && entry.drained && code === 0;
    const dropped = stats.workerEnded(id, clean ? 'drained' : signal === 'SIGKILL' && entry.draining ? 'killed' : 'crashed');
    options.trace('exit', `worker ${id}, pid ${entry.pid}: ${signal ?? `exit code ${code}`}`);

    let replacement: Tracked | undefined;
    if (!clean) {
      if (!startupDone && !entry.ready && !stopping) {
        fail(new SockkitError('UNEXPECTED', `start worker ${id}`, entry.fatal ?? `it exited (${signal ?? `code ${code}`}) before it was ready`));
      } else if (!stopping && !failure) {
        const now = Date.now();
        restarts.push(now);
        while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
        if (restarts.length > MAX_RESTARTS) {
          fail(new SockkitError('UNEXPECTED', 'keep workers running', `${restarts.length} workers died within ${RESTART_WINDOW_MS / 1000} s`, 'run with SOCKKIT_DEBUG=1 to see their errors'));
        } else {
          replacement = fork();
        }
      }
      const event: ServerEvent = {
        event: 'worker-exit',
        worker: id,
        pid: entry.pid,
        exitCode: code,
        signal,
        droppedConnections: dropped,
        replacedBy: replacement ? replacement.worker.id : null,
      };
      if (entry.fatal !== undefined) event.error = entry.fatal;
      options.onEvent(event);
    }

    // Connections sent to it that it never took are intact in our hands: pass them on.
    const orphans = [...inFlight].filter(([, f]) => f.entry === entry);
    for (const [connectionId] of orphans) inFlight.delete(connectionId);
    if (orphans.length > 0) {
      options.onEvent({ event: 'redispatched', worker: id, connections: orphans.length });
      for (const [, f] of orphans) dispatch(f.socket);
    }
    if (tracked.size === 0) {
      for (const socket of waiting.splice(0)) socket.destroy();
      allExited?.();
    }
  }

  /** During a stop, a worker drains once every connection sent to it has arrived. */
  function drainWhenHandedOff(entry: Tracked): void {
    if (entry.draining || !entry.ready) return;
    for (const f of inFlight.values()) if (f.entry === entry) return;
    entry.draining = true;
    // One --timeout for the whole stop, the time taken to empty the accept queue included.
    const deadlineMs = Math.max(0, Math.round(options.drainTimeoutMs - (performance.now() - stopAt)));
    const message: PrimaryMessage = { kind: 'drain', deadlineMs };
    if (entry.worker.isConnected()) entry.worker.send(message);
    // A worker that ignores the deadline (stuck in a loop) is killed, never left behind.
    setTimeout(() => {
      if (tracked.has(entry.worker.id)) entry.worker.process.kill('SIGKILL');
    }, deadlineMs + EXIT_GRACE_MS).unref();
  }

  let stopRequested = false;
  let stopAt = 0;
  function stopAll(reason: string): void {
    if (stopRequested) return;
    stopRequested = true;
    stopAt = performance.now();
    // Connections the kernel completed before the stop wait in the accept queue, and
    // closing the listener would reset them: hand them out first, then drain.
    void acceptQueued(() => nextConnectionId + waiting.length, options.drainTimeoutMs).then(() => {
      if (stopping) return; // failed meanwhile
      stopping = true;
      server.close(); // no new connections; the ones accepted are still handed out
      options.onEvent({ event: 'stopping', reason, drainTimeoutMs: options.drainTimeoutMs });
      for (const socket of waiting.splice(0)) dispatch(socket);
      for (const entry of tracked.values()) {
        if (entry.ready) drainWhenHandedOff(entry);
        else entry.worker.process.kill('SIGKILL'); // still starting: nothing to drain
      }
      if (tracked.size === 0) allExited?.();
    });
  }

  function fail(err: SockkitError): void {
    if (failure) return;
    failure = err;
    if (!startupDone) failStartup?.(err);
    stopping = true;
    server.close();
    for (const f of inFlight.values()) f.socket.destroy();
    inFlight.clear();
    for (const socket of waiting.splice(0)) socket.destroy();
    for (const entry of tracked.values()) entry.worker.process.kill('SIGKILL');
    if (tracked.size === 0) allExited?.();
  }

  const onAbort = () => stopAll(abortReason(options.signal));
  options.signal.addEventListener('abort', onAbort, { once: true });
  const startupTimer = setTimeout(() => {
    fail(new SockkitError('TIMEOUT', 'start workers', `not all ${options.workers} workers were ready after ${options.startupTimeoutMs / 1000} s`));
  }, options.startupTimeoutMs);

  try {
    for (let i = 0; i < options.workers; i++) fork();
    try {
      await Promise.race([started, exited]);
    } finally {
      clearTimeout(startupTimer);
    }
    if (options.signal.aborted) stopAll(abortReason(options.signal));
    await exited;
  } catch (err) {
    await exited;
    throw err;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    server.close();
    primaryRefusals.flush();
  }
  if (failure) throw failure;
  return { workers: stats.workers(), totals: stats.totals() };
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof SockkitError) return reason.why;
  return reason instanceof Error ? reason.message : 'stopped';
}
