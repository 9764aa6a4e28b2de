// RFC 862 echo over TCP: every byte a client sends comes back, in order.
//
// The connection core, `serveEchoConnection`, is one function any server can call on
// an accepted socket (this file's `startEchoServer`, or a multi-process server). It
// echoes with `socket.pipe(socket)`: the socket's own readable side feeds its writable
// side, so when a client sends without reading, the kernel send buffer fills, write()
// returns false, pipe pauses reading, and the kernel receive window closes. Server
// memory stays flat whatever the client does. Byte counts come from the socket's own
// counters (bytesRead / bytesWritten), so echoing costs nothing per chunk beyond pipe.
import { createServer, type Server, type Socket } from 'node:net';
import { tracing, type TraceFn } from '../shared/trace.js';
import { formatHostPort, type Family } from '../shared/address.js';
import { bindFailure, listenTcp } from '../socket/listen.js';
import { startUdpEcho, type UdpEchoPolicy, type UdpEchoServer, type UdpEchoStats, type UdpRefusals } from './udp.js';
import { connectionBudget, RefusalAggregator, type DescriptorBudget } from '../socket/descriptor-budget.js';
import { DEFAULT_QUIET_MS, whenSettled, writeBack } from '../cluster/handlers.js';

export interface EchoLimits {
  /** Close a connection after this many ms without traffic either way. */
  idleTimeoutMs?: number;
  /** Echo at most this many bytes per connection, then close it (FIN). */
  maxBytes?: number;
}

/** 'shutdown': ended by a stop once its echo was flushed; 'cut': still busy at the stop's deadline. */
export type DisconnectReason = 'closed' | 'reset' | 'idle-timeout' | 'max-bytes' | 'shutdown' | 'cut' | 'error';

export interface ClosedConnection {
  id: number;
  remoteAddress: string;
  remotePort: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  reason: DisconnectReason;
  /** The socket error behind 'reset' / 'error', e.g. ECONNRESET. */
  error?: string;
  /** The client half-closed (sent FIN) before the connection ended. */
  halfClosed: boolean;
}

export interface EchoConnectionEvents {
  onClose(closed: ClosedConnection, connection: EchoConnection): void;
}

let nextConnectionId = 1;

/** One echoing client connection; `shutdown` ends it gracefully (used on SIGTERM). */
export class EchoConnection {
  readonly id = nextConnectionId++;
  readonly remoteAddress: string;
  readonly remotePort: number;
  private readonly startedAt = performance.now();
  private reason: DisconnectReason | undefined;
  private error: string | undefined;
  private halfClosed = false;
  private piping = false;
  private onData: ((chunk: Buffer) => void) | undefined;
  private stopWatching: (() => void) | undefined;

  constructor(
    readonly socket: Socket,
    limits: EchoLimits,
    private readonly events: EchoConnectionEvents,
    private readonly trace: TraceFn,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '?';
    this.remotePort = socket.remotePort ?? 0;
    // A client must never take the server down: every socket error ends only this socket.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.error = err.code ?? err.message;
      if (this.reason === undefined) this.reason = err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'error';
    });
    socket.on('end', () => {
      this.halfClosed = true;
      if (tracing(this.trace)) this.trace('half-close', `${this.peer} sent FIN; flushing the echo, then FIN back`);
    });
    socket.on('close', () => this.closed());
    if (limits.idleTimeoutMs !== undefined && limits.idleTimeoutMs > 0) {
      socket.setTimeout(limits.idleTimeoutMs);
      socket.on('timeout', () => {
        this.reason ??= 'idle-timeout';
        this.trace('timeout', `${this.peer} idle for ${limits.idleTimeoutMs} ms, closing`);
        socket.destroy();
      });
    }
    if (limits.maxBytes !== undefined) this.echoUpTo(limits.maxBytes);
    else {
      this.piping = true;
      socket.pipe(socket);
    }
  }

  get peer(): string {
    return formatHostPort(this.remoteAddress, this.remotePort);
  }

  /**
   * Echo with a byte budget: the same flow control as pipe (pause when write()
   * returns false, resume on 'drain'), but the chunk that crosses the limit is cut,
   * and the server then sends FIN.
   */
  private echoUpTo(maxBytes: number): void {
    const socket = this.socket;
    let echoed = 0;
    const onData = (chunk: Buffer) => {
      const remaining = maxBytes - echoed;
      if (chunk.length >= remaining) {
        if (remaining > 0) socket.write(chunk.subarray(0, remaining));
        echoed = maxBytes;
        this.reason ??= 'max-bytes';
        this.trace('limit', `${this.peer} reached --max-bytes ${maxBytes}, closing`);
        this.finish();
        return;
      }
      echoed += chunk.length;
      writeBack(socket, chunk);
    };
    this.onData = onData;
    socket.on('data', onData);
    socket.once('end', () => {
      if (this.reason === undefined) socket.end();
    });
  }

  /** Stops echoing, flushes what was already written, sends FIN, then discards input. */
  private finish(graceMs = 2000): void {
    const socket = this.socket;
    if (this.piping) {
      socket.unpipe(socket);
      this.piping = false;
    }
    if (this.onData) {
      socket.off('data', this.onData);
      this.onData = undefined;
    }
    socket.end();
    // Keep reading (and dropping) until the client closes too: closing a socket with
    // unread input makes the kernel send RST and discard the echo still queued.
    socket.resume();
    const timer = setTimeout(() => socket.destroy(), graceMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  /**
   * Server stop: keep echoing until the client goes quiet with its echo flushed (or
   * half-closes and gets the rest), then FIN. Whatever the kernel had received from
   * the client before the stop is read and echoed first (see whenSettled).
   */
  drain(quietMs: number): void {
    if (this.socket.destroyed || this.stopWatching || this.reason !== undefined) return;
    this.stopWatching = whenSettled(this.socket, quietMs, () => {
      if (this.socket.writableEnded) return; // ending by itself (half-close, --max-bytes)
      this.reason ??= 'shutdown';
      this.finish();
    });
  }

  /**
   * The stop's deadline: close now. Counted as cut unless everything was already
   * handed to the kernel with our FIN (then the client only has to read it).
   */
  cut(): boolean {
    if (this.socket.destroyed) return false;
    const flushed = this.socket.writableFinished;
    if (!flushed && (this.reason === undefined || this.reason === 'shutdown')) this.reason = 'cut';
    this.socket.destroy();
    return !flushed;
  }

  private closed(): void {
    this.stopWatching?.();
    const record: ClosedConnection = {
      id: this.id,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      bytesIn: this.socket.bytesRead,
      bytesOut: this.socket.bytesWritten,
      durationMs: performance.now() - this.startedAt,
      reason: this.reason ?? 'closed',
      error: this.error,
      halfClosed: this.halfClosed,
    };
    if (tracing(this.trace)) this.trace('close', `${this.peer} #${this.id}: recv ${record.bytesIn} bytes, send ${record.bytesOut} bytes, ${record.reason}`);
    this.events.onClose(record, this);
  }
}

/** Starts echoing on an accepted socket. Reusable by any server that owns the accept loop. */
export function serveEchoConnection(socket: Socket, limits: EchoLimits, events: EchoConnectionEvents, trace: TraceFn): EchoConnection {
  return new EchoConnection(socket, limits, events, trace);
}

export type EchoProtocol = 'tcp' | 'udp';

export type EchoServerEvent =
  | { event: 'listening'; address: string; port: number; protocol: EchoProtocol; family: Family; backlog?: number }
  | { event: 'connect'; protocol: 'tcp'; id: number; remoteAddress: string; remotePort: number; open: number }
  | ({ event: 'disconnect'; protocol: 'tcp'; open: number } & ClosedConnection)
  | { event: 'refused'; protocol: 'tcp'; remoteAddress: string; remotePort: number; reason: 'max-conns'; maxConns: number }
  /** Connections refused because descriptors ran out; at most one event a second, with the count. */
  | { event: 'refused'; protocol: 'tcp'; reason: 'descriptors'; count: number; open: number; descriptorLimit: number }
  | { event: 'error'; protocol: EchoProtocol; what: string; error: string; suppressed: number }
  | ({ event: 'summary' } & EchoServerSummary);

export interface EchoServerSummary {
  connections: number;
  /** Every refused connection: --max-conns and descriptors. */
  refused: number;
  /** Of those, refused because the descriptor limit (ulimit -n) left no room. */
  refusedDescriptors: number;
  bytesIn: number;
  bytesOut: number;
  peakConcurrent: number;
  /** Connections still busy (echo not flushed) at the stop's deadline, closed anyway. */
  cut: number;
  datagrams: number;
  datagramBytes: number;
  /** UDP datagrams not answered, by reason (see udp.ts). */
  datagramsRefused: UdpRefusals;
  errors: number;
  uptimeMs: number;
}

export interface EchoServerOptions {
  address: string;
  family: Family;
  port: number;
  tcp: boolean;
  udp: boolean;
  backlog: number;
  maxConns?: number;
  limits: EchoLimits;
  udpPolicy: UdpEchoPolicy;
  /** How long a stop waits for clients to take their last echo before cutting them (--timeout). */
  shutdownGraceMs: number;
  /** connect/disconnect events (off: only listening, refused, errors, summary). */
  connectionEvents: boolean;
}

export interface EchoServer {
  ports: { tcp?: number; udp?: number };
  /** Stop accepting, end clients after flushing, and report the totals. */
  stop(): Promise<EchoServerSummary>;
}

/** At most one 'error' event per second per kind: an accept storm (EMFILE) must not flood. */
class ErrorThrottle {
  private last = 0;
  private suppressed = 0;
  constructor(private readonly emit: (e: EchoServerEvent) => void) {}
  report(protocol: EchoProtocol, what: string, err: NodeJS.ErrnoException): void {
    const now = performance.now();
    if (now - this.last < 1000) {
      this.suppressed++;
      return;
    }
    this.last = now;
    this.emit({ event: 'error', protocol, what, error: err.code ?? err.message, suppressed: this.suppressed });
    this.suppressed = 0;
  }
}

export async function startEchoServer(options: EchoServerOptions, emit: (e: EchoServerEvent) => void, trace: TraceFn): Promise<EchoServer> {
  const startedAt = performance.now();
  const open = new Set<EchoConnection>();
  const totals = { connections: 0, refused: 0, refusedDescriptors: 0, bytesIn: 0, bytesOut: 0, peakConcurrent: 0, cut: 0, errors: 0 };
  let stopping = false;
  const throttle = new ErrorThrottle(emit);
  let allClosed: (() => void) | undefined;

  const events: EchoConnectionEvents = {
    onClose(closed, connection) {
      open.delete(connection);
      totals.bytesIn += closed.bytesIn;
      totals.bytesOut += closed.bytesOut;
      if (closed.reason === 'cut') totals.cut++;
      if (options.connectionEvents) emit({ event: 'disconnect', protocol: 'tcp', open: open.size, ...closed });
      if (open.size === 0) allClosed?.();
    },
  };

  let server: Server | undefined;
  const ports: EchoServer['ports'] = {};
  let udp: UdpEchoServer | undefined;
  // Announced only when every socket is bound, so a script that reads the first
  // listening line may use both protocols at once.
  const listening: EchoServerEvent[] = [];
  try {
    if (options.tcp) {
      // noDelay: with Nagle's algorithm an echo that follows an unacknowledged one waits
      // for the client's delayed ACK (measured: up to 43.8 ms for a client writing twice
      // in a row, 1.0 ms without). It costs a client that streams for seconds with a
      // window of unanswered data about a fifth of its throughput (16 KiB writes, 1 MiB
      // in flight: 1,313 against 1,646 MB/s for the same server without it; none with
      // an unbounded writer), a price worth paying for an interactive tool.
      server = createServer({ allowHalfOpen: true, noDelay: true });
      server.on('connection', (socket) => {
        const connection = serveEchoConnection(socket, options.limits, events, trace);
        if (stopping) connection.drain(DEFAULT_QUIET_MS);
        open.add(connection);
        totals.connections++;
        if (open.size > totals.peakConcurrent) totals.peakConcurrent = open.size;
        if (tracing(trace)) trace('accept', `${connection.peer} #${connection.id} (${open.size} open)`);
        if (options.connectionEvents) {
          emit({ event: 'connect', protocol: 'tcp', id: connection.id, remoteAddress: connection.remoteAddress, remotePort: connection.remotePort, open: open.size });
        }
      });
      await listenTcp(options.address, options.port, options.backlog, trace, server).catch((err: unknown) => {
        throw bindFailure(err, { protocol: 'tcp', address: options.address, port: options.port });
      });
      // After listen, errors are accept failures (EMFILE, ENFILE): report, keep serving.
      server.on('error', (err: NodeJS.ErrnoException) => {
        totals.errors++;
        throttle.report('tcp', 'accept', err);
      });
      ports.tcp = (server.address() as { port: number }).port;
      listening.push({ event: 'listening', address: options.address, port: ports.tcp, protocol: 'tcp', family: options.family, backlog: options.backlog });
    }
    if (options.udp) {
      // With --tcp --udp on port 0, UDP takes the port the kernel gave TCP.
      const udpPort = ports.tcp ?? options.port;
      udp = await startUdpEcho({ address: options.address, family: options.family, port: udpPort }, options.udpPolicy, (what, err) => {
        totals.errors++;
        throttle.report('udp', what, err);
      }, trace);
      ports.udp = udp.port;
      listening.push({ event: 'listening', address: options.address, port: udp.port, protocol: 'udp', family: options.family });
    }
  } catch (err) {
    server?.close();
    throw err;
  }
  // Every socket of ours is open now: what is left of the descriptor limit is for clients.
  const descriptorRefusals = server ? limitConnections(server, options.maxConns, connectionBudget()) : undefined;
  for (const event of listening) emit(event);

  /**
   * Node accepts and at once closes connections beyond server.maxConnections ('drop').
   * The cap is --max-conns or the descriptor budget, whichever is lower: a refusal for
   * --max-conns is an event each (as documented), one for descriptors is aggregated.
   */
  function limitConnections(tcp: Server, maxConns: number | undefined, budget: DescriptorBudget | undefined): RefusalAggregator | undefined {
    const byDescriptors = budget !== undefined && (maxConns === undefined || budget.connections < maxConns);
    const cap = byDescriptors ? budget.connections : maxConns;
    if (cap === undefined) return undefined;
    tcp.maxConnections = cap;
    const aggregator = byDescriptors
      ? new RefusalAggregator((count) => emit({ event: 'refused', protocol: 'tcp', reason: 'descriptors', count, open: open.size, descriptorLimit: budget.limit }))
      : undefined;
    if (byDescriptors) trace('limit', `descriptor limit ${budget.limit} (ulimit -n), ${budget.inUse} in use: room for ${budget.connections} connections`);
    tcp.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
      totals.refused++;
      const remoteAddress = data?.remoteAddress ?? '?';
      const remotePort = data?.remotePort ?? 0;
      if (aggregator) {
        totals.refusedDescriptors++;
        trace('refuse', `${formatHostPort(remoteAddress, remotePort)}: out of descriptors (${open.size} open)`);
        aggregator.add();
        return;
      }
      trace('refuse', `${formatHostPort(remoteAddress, remotePort)}: --max-conns ${cap} reached`);
      emit({ event: 'refused', protocol: 'tcp', remoteAddress, remotePort, reason: 'max-conns', maxConns: cap });
    });
    return aggregator;
  }

  return {
    ports,
    async stop() {
      stopping = true;
      const stopAt = performance.now();
      // Connections the kernel completed before the stop wait in the accept queue;
      // closing the listener would reset them, so take them first.
      if (server) await acceptQueued(() => totals.connections + totals.refused, options.shutdownGraceMs);
      trace('close', 'stop accepting');
      const closing = server ? new Promise<void>((resolve) => server!.close(() => resolve())) : Promise.resolve();
      const drained = new Promise<void>((resolve) => {
        if (open.size === 0) return resolve();
        allClosed = resolve;
      });
      const deadline = setTimeout(() => {
        for (const connection of open) {
          if (connection.cut()) trace('cut', `${connection.peer} #${connection.id}: still busy at the ${options.shutdownGraceMs} ms deadline`);
        }
      }, Math.max(0, options.shutdownGraceMs - (performance.now() - stopAt))); // one --timeout for the whole stop
      for (const connection of open) connection.drain(DEFAULT_QUIET_MS);
      await drained;
      clearTimeout(deadline);
      await closing;
      descriptorRefusals?.flush();
      const udpStats: UdpEchoStats = udp ? await udp.stop() : { datagrams: 0, bytes: 0, refused: { ownAddress: 0, lowPort: 0, rateLimited: 0 } };
      return {
        connections: totals.connections,
        refused: totals.refused,
        refusedDescriptors: totals.refusedDescriptors,
        bytesIn: totals.bytesIn,
        bytesOut: totals.bytesOut,
        peakConcurrent: totals.peakConcurrent,
        cut: totals.cut,
        datagrams: udpStats.datagrams,
        datagramBytes: udpStats.bytes,
        datagramsRefused: udpStats.refused,
        errors: totals.errors,
        uptimeMs: performance.now() - startedAt,
      };
    },
  };
}

/**
 * Keeps the listener open until a poll phase accepts nothing more (bounded by `limitMs`).
 * libuv accepts one connection per event-loop turn (measured on Node 20: 200 clients
 * that had all connected were accepted one per turn, and at a stop 84 of them were
 * still queued); a turn that accepts nothing means the kernel's queue is empty.
 */
export async function acceptQueued(accepted: () => number, limitMs: number): Promise<void> {
  const until = performance.now() + limitMs;
  let before: number;
  do {
    before = accepted();
    await afterOnePoll();
  } while (accepted() !== before && performance.now() < until);
}

/** Resolves after the event loop has been through at least one more poll phase. */
function afterOnePoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
