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
import { acceptQueued } from '../socket/listen.js';
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
  /** Extra environment for every worker (e.g. the TLS session-ticket keys they share). */
  workerEnv?: Record<string, string>;
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

/** Runs the primary until it is stopped (ctx signal) or fails; returns the totals. */
export async function runClusterPrimary(options: PrimaryOptions): Promise<ClusterResult> {
  return new ClusterPrimary(options).run();
}

/** Gives up replacing workers when more than `max` die within `windowMs`. */
export class RestartBudget {
  private readonly deaths: number[] = [];

  constructor(
    readonly max = MAX_RESTARTS,
    readonly windowMs = RESTART_WINDOW_MS,
  ) {}

  /** Counts one death at `now`; false once the budget is spent. */
  allow(now = Date.now()): boolean {
    this.deaths.push(now);
    while (this.deaths.length > 0 && this.deaths[0]! < now - this.windowMs) this.deaths.shift();
    return this.deaths.length <= this.max;
  }

  get recent(): number {
    return this.deaths.length;
  }
}

/** A worker's batch of reports as server events (and their counts in `stats`). */
export function relayWorkerEvents(id: number, events: Extract<WorkerMessage, { kind: 'events' }>['events'], stats: ClusterStats, options: Pick<PrimaryOptions, 'onEvent' | 'trace'>): void {
  for (const e of events) {
    switch (e.type) {
      case 'connect':
        options.onEvent({ event: 'connect', worker: id, id: e.id, remoteAddress: e.remoteAddress, remotePort: e.remotePort, open: e.open });
        break;
      case 'tls': {
        const { type: _type, ...rest } = e;
        options.onEvent({ event: 'tls', worker: id, ...rest });
        break;
      }
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
}

/** The primary's state and its reactions: to connections, worker messages, exits, stop and failure. */
class ClusterPrimary {
  private readonly stats = new ClusterStats();
  private readonly tracked = new Map<number, Tracked>();
  private readonly inFlight = new Map<number, InFlight>();
  private readonly waiting: Socket[] = [];
  private readonly restarts = new RestartBudget();
  private readonly server: Server;
  private address = { address: '', port: 0 };
  private nextConnectionId = 0;
  private turn = 0;
  private stopping = false;
  private stopRequested = false;
  private stopAt = 0;
  private startupDone = false;
  private failure: SockkitError | undefined;
  private settleStartup!: () => void;
  private failStartup!: (err: SockkitError) => void;
  private allExited!: () => void;
  private readonly started: Promise<void>;
  private readonly exited: Promise<void>;

  constructor(private readonly options: PrimaryOptions) {
    this.server = createServer({ pauseOnConnect: true }, (socket) => this.dispatch(socket));
    this.started = new Promise<void>((resolve, reject) => {
      this.settleStartup = resolve;
      this.failStartup = reject;
    });
    this.exited = new Promise<void>((resolve) => (this.allExited = resolve));
  }

  async run(): Promise<ClusterResult> {
    const { options } = this;
    // Same script, same argv: each worker parses the same flags and takes the worker
    // path. silent: workers' stdout/stderr come to us through pipes, never the terminal.
    cluster.setupPrimary({ silent: true });
    const primaryRefusals = await this.listen();
    const onAbort = () => this.stopAll(abortReason(options.signal));
    options.signal.addEventListener('abort', onAbort, { once: true });
    const startupTimer = setTimeout(() => {
      this.fail(new SockkitError('TIMEOUT', 'start workers', `not all ${options.workers} workers were ready after ${options.startupTimeoutMs / 1000} s`));
    }, options.startupTimeoutMs);

    try {
      for (let i = 0; i < options.workers; i++) this.fork();
      try {
        await Promise.race([this.started, this.exited]);
      } finally {
        clearTimeout(startupTimer);
      }
      if (options.signal.aborted) this.stopAll(abortReason(options.signal));
      await this.exited;
    } catch (err) {
      await this.exited;
      throw err;
    } finally {
      options.signal.removeEventListener('abort', onAbort);
      this.server.close();
      primaryRefusals.flush();
    }
    if (this.failure) throw this.failure;
    return { workers: this.stats.workers(), totals: this.stats.totals() };
  }

  /** Listen first: a port in use fails before any process is forked. */
  private async listen(): Promise<RefusalAggregator> {
    const { options, server, stats } = this;
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
    const refusals = new RefusalAggregator((count) => {
      stats.refusedByPrimary(count);
      options.onEvent({ event: 'refused', worker: 0, reason: 'descriptors', count, open: this.inFlight.size + this.waiting.length, descriptorLimit: budget?.limit ?? 0 });
    });
    if (budget) {
      server.maxConnections = budget.connections;
      server.on('drop', () => refusals.add());
    }
    this.address = server.address() as { address: string; port: number };
    options.trace('listen', `${formatHostPort(this.address.address, this.address.port)}, backlog ${BACKLOG} (the primary accepts)`);
    return refusals;
  }

  /** Passes one accepted connection to the next usable worker, in strict rotation. */
  private dispatch(socket: Socket): void {
    socket.on('error', () => {});
    const usable = [...this.tracked.values()].filter((t) => t.ready && !t.unusable && !t.draining);
    if (usable.length === 0) {
      if (this.stopping || this.failure || this.waiting.length >= MAX_WAITING) socket.destroy();
      else this.waiting.push(socket);
      return;
    }
    const entry = usable[this.turn++ % usable.length]!;
    const id = ++this.nextConnectionId;
    this.inFlight.set(id, { socket, entry });
    const message: PrimaryMessage = { kind: 'conn', id };
    // keepOpen: our copy stays open until the worker says it took the connection.
    entry.worker.send(message, socket, { keepOpen: true }, (err) => {
      if (!err || !this.inFlight.has(id)) return;
      this.inFlight.delete(id);
      entry.unusable = true;
      this.dispatch(socket);
    });
  }

  private fork(): Tracked {
    const { options } = this;
    const worker = cluster.fork(options.workerEnv);
    const pid = worker.process.pid ?? 0;
    const entry: Tracked = { worker, pid, ready: false, unusable: false, draining: false, drained: false };
    this.tracked.set(worker.id, entry);
    this.stats.addWorker(worker.id, pid);
    options.trace('fork', `worker ${worker.id}, pid ${pid}`);
    worker.process.stdout?.resume(); // a worker prints nothing; never let a full pipe block it
    worker.process.stderr?.on('data', (chunk: Buffer) => {
      if (options.debug) options.onWorkerStderr(worker.id, chunk.toString('utf8'));
    });
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) this.onMessage(entry, message);
    });
    worker.on('exit', (code, signal) => this.onExit(entry, code, signal));
    worker.on('error', () => {}); // IPC errors show up as exits
    return entry;
  }

  private onMessage(entry: Tracked, message: WorkerMessage): void {
    switch (message.kind) {
      case 'ready':
        return this.onReady(entry);
      case 'took': {
        const handed = this.inFlight.get(message.id);
        if (!handed) return;
        this.inFlight.delete(message.id);
        handed.socket.destroy(); // closes only our descriptor; the worker holds the connection
        if (!message.refused) this.stats.connect(entry.worker.id);
        if (this.stopping) this.drainWhenHandedOff(entry);
        return;
      }
      case 'events':
        return relayWorkerEvents(entry.worker.id, message.events, this.stats, this.options);
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

  private onReady(entry: Tracked): void {
    const { options } = this;
    entry.ready = true;
    if (this.startupDone) {
      options.onEvent({ event: 'worker-ready', worker: entry.worker.id, pid: entry.pid });
    } else if ([...this.tracked.values()].every((t) => t.ready)) {
      this.startupDone = true;
      options.onEvent({
        event: 'listening',
        address: this.address.address,
        port: this.address.port,
        protocol: 'tcp',
        workers: options.workers,
        handler: options.handler,
        scheduling: 'round-robin',
      });
      for (const t of [...this.tracked.values()].sort((a, b) => a.worker.id - b.worker.id)) {
        options.onEvent({ event: 'worker-ready', worker: t.worker.id, pid: t.pid });
      }
      this.settleStartup();
    }
    if (this.stopping) this.drainWhenHandedOff(entry);
    for (const socket of this.waiting.splice(0)) this.dispatch(socket);
  }

  private onExit(entry: Tracked, code: number | null, signal: string | null): void {
    const id = entry.worker.id;
    this.tracked.delete(id);
    const clean = entry.draining && entry.drained && code === 0;
    const dropped = this.stats.workerEnded(id, clean ? 'drained' : signal === 'SIGKILL' && entry.draining ? 'killed' : 'crashed');
    this.options.trace('exit', `worker ${id}, pid ${entry.pid}: ${signal ?? `exit code ${code}`}`);
    if (!clean) this.onCrash(entry, code, signal, dropped);

    // Connections sent to it that it never took are intact in our hands: pass them on.
    const orphans = [...this.inFlight].filter(([, f]) => f.entry === entry);
    for (const [connectionId] of orphans) this.inFlight.delete(connectionId);
    if (orphans.length > 0) {
      this.options.onEvent({ event: 'redispatched', worker: id, connections: orphans.length });
      for (const [, f] of orphans) this.dispatch(f.socket);
    }
    if (this.tracked.size === 0) {
      for (const socket of this.waiting.splice(0)) socket.destroy();
      this.allExited();
    }
  }

  /** A worker that did not end by draining: replaced, within the restart budget. */
  private onCrash(entry: Tracked, code: number | null, signal: string | null, dropped: number): void {
    const id = entry.worker.id;
    let replacement: Tracked | undefined;
    if (!this.startupDone && !entry.ready && !this.stopping) {
      this.fail(new SockkitError('UNEXPECTED', `start worker ${id}`, entry.fatal ?? `it exited (${signal ?? `code ${code}`}) before it was ready`));
    } else if (!this.stopping && !this.failure) {
      if (this.restarts.allow()) replacement = this.fork();
      else {
        this.fail(
          new SockkitError('UNEXPECTED', 'keep workers running', `${this.restarts.recent} workers died within ${this.restarts.windowMs / 1000} s`, 'run with SOCKKIT_DEBUG=1 to see their errors'),
        );
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
    this.options.onEvent(event);
  }

  /** During a stop, a worker drains once every connection sent to it has arrived. */
  private drainWhenHandedOff(entry: Tracked): void {
    if (entry.draining || !entry.ready) return;
    for (const f of this.inFlight.values()) if (f.entry === entry) return;
    entry.draining = true;
    // One --timeout for the whole stop, the time taken to empty the accept queue included.
    const deadlineMs = Math.max(0, Math.round(this.options.drainTimeoutMs - (performance.now() - this.stopAt)));
    const message: PrimaryMessage = { kind: 'drain', deadlineMs };
    if (entry.worker.isConnected()) entry.worker.send(message);
    // A worker that ignores the deadline (stuck in a loop) is killed, never left behind.
    setTimeout(() => {
      if (this.tracked.has(entry.worker.id)) entry.worker.process.kill('SIGKILL');
    }, deadlineMs + EXIT_GRACE_MS).unref();
  }

  private stopAll(reason: string): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.stopAt = performance.now();
    // Connections the kernel completed before the stop wait in the accept queue, and
    // closing the listener would reset them: hand them out first, then drain.
    void acceptQueued(() => this.nextConnectionId + this.waiting.length, this.options.drainTimeoutMs).then(() => {
      if (this.stopping) return; // failed meanwhile
      this.stopping = true;
      this.server.close(); // no new connections; the ones accepted are still handed out
      this.options.onEvent({ event: 'stopping', reason, drainTimeoutMs: this.options.drainTimeoutMs });
      for (const socket of this.waiting.splice(0)) this.dispatch(socket);
      for (const entry of this.tracked.values()) {
        if (entry.ready) this.drainWhenHandedOff(entry);
        else entry.worker.process.kill('SIGKILL'); // still starting: nothing to drain
      }
      if (this.tracked.size === 0) this.allExited();
    });
  }

  private fail(err: SockkitError): void {
    if (this.failure) return;
    this.failure = err;
    if (!this.startupDone) this.failStartup(err);
    this.stopping = true;
    this.server.close();
    for (const f of this.inFlight.values()) f.socket.destroy();
    this.inFlight.clear();
    for (const socket of this.waiting.splice(0)) socket.destroy();
    for (const entry of this.tracked.values()) entry.worker.process.kill('SIGKILL');
    if (this.tracked.size === 0) this.allExited();
  }
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof SockkitError) return reason.why;
  return reason instanceof Error ? reason.message : 'stopped';
}
