// The threaded-server primary: forks N workers with node:cluster, lets the primary
// accept and hand connections out round-robin (SCHED_RR), turns the workers' IPC
// reports into events, replaces a worker that dies, and drains all of them on stop.
//
// Why node:cluster on Node 20: listen({reusePort}) is silently ignored before Node
// 22.12, two worker threads cannot listen on one port, and a socket cannot be posted
// to a worker thread; cluster shares one listening socket across processes.
import cluster, { type Worker } from 'node:cluster';
import { ClusterStats, type ClusterTotals, type WorkerTotals } from './cluster-stats.js';
import { isWorkerMessage, type PrimaryMessage, type ServerEvent, type WorkerMessage } from './cluster-protocol.js';
import type { HandlerName } from './stream-handlers.js';
import { SockkitError, toSockkitError } from './errors.js';
import type { TraceFn } from './trace.js';

export interface PrimaryOptions {
  workers: number;
  /** host:port as asked, for error messages. */
  listenAddress: string;
  handler: HandlerName;
  /** Bound on starting every worker (fork + load + listen). */
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

interface Tracked {
  worker: Worker;
  pid: number;
  listening: boolean;
  draining: boolean;
  drained: boolean;
  fatal?: string;
}

export async function runClusterPrimary(options: PrimaryOptions): Promise<ClusterResult> {
  // Round-robin in the primary, stated rather than left to the platform default
  // (Windows defaults to SCHED_NONE, where the kernel's wake-up order decides).
  cluster.schedulingPolicy = cluster.SCHED_RR;
  // Same script, same argv: each worker parses the same flags and takes the worker
  // path. silent: workers' stdout/stderr come to us through pipes, never the terminal.
  cluster.setupPrimary({ silent: true });

  const stats = new ClusterStats();
  const tracked = new Map<number, Tracked>();
  const restarts: number[] = [];
  let stopping = false;
  let address: { address: string; port: number } | undefined;
  let failure: SockkitError | undefined;

  let settleStartup: (() => void) | undefined;
  let failStartup: ((err: SockkitError) => void) | undefined;
  const started = new Promise<void>((resolve, reject) => {
    settleStartup = resolve;
    failStartup = reject;
  });
  let allExited: (() => void) | undefined;
  const exited = new Promise<void>((resolve) => (allExited = resolve));

  function fork(): Tracked {
    const worker = cluster.fork();
    const pid = worker.process.pid ?? 0;
    const entry: Tracked = { worker, pid, listening: false, draining: false, drained: false };
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
      case 'listening':
        entry.listening = true;
        address ??= { address: message.address, port: message.port };
        if (address.port !== message.port) {
          fail(new SockkitError('UNEXPECTED', 'start workers', `worker ${id} listens on port ${message.port}, not ${address.port}`));
          return;
        }
        if (settleStartup) {
          if ([...tracked.values()].every((t) => t.listening)) {
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
            settleStartup();
            settleStartup = undefined;
          }
        } else {
          options.onEvent({ event: 'worker-ready', worker: id, pid: entry.pid });
          if (stopping) drain(entry); // replaced while a stop began
        }
        return;
      case 'listen-error': {
        const err = Object.assign(new Error(message.message), { code: message.errno });
        fail(toSockkitError(err, `listen on ${options.listenAddress}`));
        return;
      }
      case 'events':
        for (const e of message.events) {
          switch (e.type) {
            case 'connect':
              stats.connect(id);
              options.onEvent({ event: 'connect', worker: id, remoteAddress: e.remoteAddress, remotePort: e.remotePort, open: e.open });
              break;
            case 'disconnect': {
              stats.disconnect(id, e.bytesIn, e.bytesOut, e.reason === 'cut');
              const { type: _type, ...rest } = e;
              options.onEvent({ event: 'disconnect', worker: id, ...rest });
              break;
            }
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

    if (!clean) {
      let replacement: Tracked | undefined;
      if (settleStartup && !entry.listening && !stopping) {
        fail(new SockkitError('UNEXPECTED', `start worker ${id}`, entry.fatal ?? `it exited (${signal ?? `code ${code}`}) before listening`));
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
    if (tracked.size === 0) allExited?.();
  }

  function drain(entry: Tracked): void {
    if (entry.draining) return;
    entry.draining = true;
    const message: PrimaryMessage = { kind: 'drain', deadlineMs: options.drainTimeoutMs };
    if (entry.worker.isConnected()) entry.worker.send(message);
    // A worker that ignores the deadline (stuck in a loop) is killed, never left behind.
    setTimeout(() => {
      if (tracked.has(entry.worker.id)) entry.worker.process.kill('SIGKILL');
    }, options.drainTimeoutMs + EXIT_GRACE_MS).unref();
  }

  function stopAll(reason: string): void {
    if (stopping) return;
    stopping = true;
    options.onEvent({ event: 'stopping', reason, drainTimeoutMs: options.drainTimeoutMs });
    for (const entry of tracked.values()) {
      if (entry.listening) drain(entry);
      else entry.worker.process.kill('SIGKILL'); // still starting: nothing to drain
    }
    if (tracked.size === 0) allExited?.();
  }

  function fail(err: SockkitError): void {
    if (failure) return;
    failure = err;
    if (failStartup && settleStartup) {
      failStartup(err);
      settleStartup = undefined;
    }
    stopping = true;
    for (const entry of tracked.values()) entry.worker.process.kill('SIGKILL');
    if (tracked.size === 0) allExited?.();
  }

  const onAbort = () => stopAll(abortReason(options.signal));
  options.signal.addEventListener('abort', onAbort, { once: true });
  const startupTimer = setTimeout(() => {
    fail(new SockkitError('TIMEOUT', 'start workers', `not all ${options.workers} workers were listening after ${options.startupTimeoutMs / 1000} s`));
  }, options.startupTimeoutMs);

  try {
    for (let i = 0; i < options.workers; i++) fork();
    try {
      await Promise.race([started, exited.then(() => {
        if (failure) throw failure;
      })]);
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
  }
  if (failure) throw failure;
  return { workers: stats.workers(), totals: stats.totals() };
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof SockkitError) return reason.why;
  return reason instanceof Error ? reason.message : 'stopped';
}
