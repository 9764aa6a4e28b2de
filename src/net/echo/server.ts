// echo-server: RFC 862 echo over TCP (socket/served-connection.ts for each
// connection's life, echo/serve.ts for the echo itself) and UDP (udp.ts), with the
// connection cap, descriptor budget and graceful stop around them.
import { createServer, type Server, type Socket } from 'node:net';
import { tracing, type TraceFn } from '../shared/trace.js';
import { formatHostPort, type Family } from '../shared/address.js';
import { acceptQueued, bindFailure, listenTcp } from '../socket/listen.js';
import { acceptConnection, DEFAULT_LINGER_MS, DEFAULT_QUIET_MS, type ConnectionRecord, type ServedConnection, type ServerTls } from '../socket/served-connection.js';
import type { ServerTlsInfo } from '../socket/tls-server.js';
import { listenUnix, unixSocketInfo, type UnixAddress, type UnixSocketInfo } from '../socket/unix.js';
import { startUdpEcho, type UdpEchoPolicy, type UdpEchoServer, type UdpEchoStats, type UdpRefusals } from './udp.js';
import { connectionBudget, RefusalAggregator, type DescriptorBudget } from '../socket/descriptor-budget.js';
import { serveEcho } from './serve.js';

export interface EchoLimits {
  /** Close a connection after this many ms without traffic either way. */
  idleTimeoutMs?: number;
  /** Echo at most this many bytes per connection, then close it (FIN). */
  maxBytes?: number;
}

export type EchoProtocol = 'tcp' | 'udp';
/** Stream connections: TCP, or a Unix-domain stream socket (--unix). */
export type StreamProtocol = 'tcp' | 'unix';

export type EchoServerEvent =
  | { event: 'listening'; address: string; port: number; protocol: EchoProtocol; family: Family; backlog?: number; tls?: boolean }
  /** --unix: the socket's path (or @name) and who may connect to it. */
  | ({ event: 'listening'; protocol: 'unix'; path: string; abstract: boolean; backlog: number; tls?: boolean; datagram?: boolean } & UnixSocketInfo)
  | { event: 'connect'; protocol: StreamProtocol; id: number; remoteAddress: string; remotePort: number; open: number }
  /** A completed TLS handshake (--tls): what it negotiated. A failed one is a disconnect with reason tls-handshake. */
  | ({ event: 'tls'; protocol: StreamProtocol; id: number; remoteAddress: string; remotePort: number } & ServerTlsInfo)
  | ({ event: 'disconnect'; protocol: StreamProtocol; open: number } & ConnectionRecord)
  | { event: 'refused'; protocol: StreamProtocol; remoteAddress: string; remotePort: number; reason: 'max-conns'; maxConns: number }
  /** Connections refused because descriptors ran out; at most one event a second, with the count. */
  | { event: 'refused'; protocol: StreamProtocol; reason: 'descriptors'; count: number; open: number; descriptorLimit: number }
  | { event: 'error'; protocol: EchoProtocol | 'unix'; what: string; error: string; suppressed: number }
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
  /** With --tls: handshakes completed, and connections whose handshake failed. */
  tlsHandshakes?: number;
  tlsFailures?: number;
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
  /** --tls: every TCP connection is TLS first. */
  tls?: ServerTls;
  /** --unix: a Unix-domain stream socket instead of TCP (and no UDP); `unlink` replaces a stale socket file. */
  unix?: { address: UnixAddress; unlink: boolean };
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
  report(protocol: EchoProtocol | 'unix', what: string, err: NodeJS.ErrnoException): void {
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
  const server = new RunningEchoServer(options, emit, trace);
  await server.listen();
  return server;
}

type Totals = Pick<EchoServerSummary, 'connections' | 'refused' | 'refusedDescriptors' | 'bytesIn' | 'bytesOut' | 'peakConcurrent' | 'cut' | 'errors' | 'tlsHandshakes' | 'tlsFailures'>;

class RunningEchoServer implements EchoServer {
  readonly ports: EchoServer['ports'] = {};
  private readonly startedAt = performance.now();
  private readonly open = new Set<ServedConnection>();
  private readonly totals: Totals = { connections: 0, refused: 0, refusedDescriptors: 0, bytesIn: 0, bytesOut: 0, peakConcurrent: 0, cut: 0, errors: 0 };
  private readonly throttle: ErrorThrottle;
  private nextConnectionId = 1;
  private stopping = false;
  private allClosed: (() => void) | undefined;
  private tcp: Server | undefined;
  private udp: UdpEchoServer | undefined;
  private descriptorRefusals: RefusalAggregator | undefined;

  constructor(
    private readonly options: EchoServerOptions,
    private readonly emit: (e: EchoServerEvent) => void,
    private readonly trace: TraceFn,
  ) {
    this.throttle = new ErrorThrottle(emit);
    if (options.tls) Object.assign(this.totals, { tlsHandshakes: 0, tlsFailures: 0 });
  }

  /** Binds every socket, then announces them: a script that reads the first listening line may use both protocols at once. */
  async listen(): Promise<void> {
    const listening: EchoServerEvent[] = [];
    try {
      const { unix } = this.options;
      if (unix && this.options.udp) listening.push(await this.listenUnixDatagram(unix.address, unix.unlink));
      else if (unix) listening.push(await this.listenUnix(unix.address, unix.unlink));
      else {
        if (this.options.tcp) listening.push(await this.listenTcp());
        if (this.options.udp) listening.push(await this.listenUdp());
      }
    } catch (err) {
      this.tcp?.close();
      throw err;
    }
    // Every socket of ours is open now: what is left of the descriptor limit is for clients.
    if (this.tcp) this.descriptorRefusals = this.limitConnections(this.tcp, this.options.maxConns, connectionBudget());
    for (const event of listening) this.emit(event);
  }

  private async listenTcp(): Promise<EchoServerEvent> {
    const { address, port, backlog, family } = this.options;
    // noDelay: with Nagle's algorithm an echo that follows an unacknowledged one waits
    // for the client's delayed ACK (measured: up to 43.8 ms for a client writing twice
    // in a row, 1.0 ms without). It costs a client that streams for seconds with a
    // window of unanswered data about a fifth of its throughput (16 KiB writes, 1 MiB
    // in flight: 1,313 against 1,646 MB/s for the same server without it; none with
    // an unbounded writer), a price worth paying for an interactive tool.
    const server = createServer({ allowHalfOpen: true, noDelay: true });
    this.tcp = server;
    server.on('connection', (socket) => this.accept(socket));
    await listenTcp(address, port, backlog, this.trace, server).catch((err: unknown) => {
      throw bindFailure(err, { protocol: 'tcp', address, port });
    });
    // After listen, errors are accept failures (EMFILE, ENFILE): report, keep serving.
    server.on('error', (err: NodeJS.ErrnoException) => this.countError('tcp', 'accept', err));
    this.ports.tcp = (server.address() as { port: number }).port;
    const listening: EchoServerEvent = { event: 'listening', address, port: this.ports.tcp, protocol: 'tcp', family, backlog };
    if (this.options.tls) listening.tls = true;
    return listening;
  }

  private async listenUnix(address: UnixAddress, unlink: boolean): Promise<EchoServerEvent> {
    const server = createServer({ allowHalfOpen: true });
    this.tcp = server;
    server.on('connection', (socket) => this.accept(socket));
    await listenUnix(address, this.options.backlog, this.trace, server, unlink);
    server.on('error', (err: NodeJS.ErrnoException) => this.countError('unix', 'accept', err));
    const listening: EchoServerEvent = { event: 'listening', protocol: 'unix', path: address.display, abstract: address.abstract, ...unixSocketInfo(address), backlog: this.options.backlog };
    if (this.options.tls) listening.tls = true;
    return listening;
  }

  /** An error the server lives through (accept, a datagram socket's): counted, and reported at most so often. */
  private countError(protocol: EchoProtocol | 'unix', what: string, err: NodeJS.ErrnoException): void {
    this.totals.errors++;
    this.throttle.report(protocol, what, err);
  }

  /** --udp --unix: every datagram back to the path it came from (socket/unix-dgram.ts). */
  private async listenUnixDatagram(address: UnixAddress, unlink: boolean): Promise<EchoServerEvent> {
    const onError = (what: string, err: NodeJS.ErrnoException) => this.countError('unix', what, err);
    const { startUnixDatagramEcho } = await import('../socket/unix-dgram.js');
    const echo = await startUnixDatagramEcho(address, unlink, onError, this.trace);
    this.udp = {
      port: 0,
      stop: async () => {
        const { datagrams, bytes } = await echo.stop();
        return { datagrams, bytes, refused: { ownAddress: 0, lowPort: 0, rateLimited: 0 } };
      },
    };
    return { event: 'listening', protocol: 'unix', path: address.display, abstract: false, ...echo.info, backlog: 0, datagram: true };
  }

  private get streamProtocol(): StreamProtocol {
    return this.options.unix ? 'unix' : 'tcp';
  }

  private async listenUdp(): Promise<EchoServerEvent> {
    const { address, family } = this.options;
    // With --tcp --udp on port 0, UDP takes the port the kernel gave TCP.
    const port = this.ports.tcp ?? this.options.port;
    const onError = (what: string, err: NodeJS.ErrnoException) => this.countError('udp', what, err);
    this.udp = await startUdpEcho({ address, family, port }, this.options.udpPolicy, onError, this.trace);
    this.ports.udp = this.udp.port;
    return { event: 'listening', address, port: this.udp.port, protocol: 'udp', family };
  }

  private accept(socket: Socket): void {
    const { limits, tls } = this.options;
    const connectionLimits = { idleTimeoutMs: limits.idleTimeoutMs ?? 0, lingerMs: DEFAULT_LINGER_MS, quietMs: DEFAULT_QUIET_MS };
    const connection = acceptConnection(socket, { id: this.nextConnectionId++, limits: connectionLimits, trace: this.trace, tls, onSecure: (c, info) => this.secured(c, info) });
    serveEcho(connection, limits.maxBytes);
    if (this.stopping) connection.drain();
    const open = this.open;
    open.add(connection);
    this.totals.connections++;
    if (open.size > this.totals.peakConcurrent) this.totals.peakConcurrent = open.size;
    if (tracing(this.trace)) this.trace('accept', `${connection.peer} #${connection.id} (${open.size} open)`);
    if (this.options.connectionEvents) {
      this.emit({ event: 'connect', protocol: this.streamProtocol, id: connection.id, remoteAddress: connection.remoteAddress, remotePort: connection.remotePort, open: open.size });
    }
    void connection.done.then((record) => this.closed(record, connection));
  }

  private secured(connection: ServedConnection, info: ServerTlsInfo): void {
    this.totals.tlsHandshakes = (this.totals.tlsHandshakes ?? 0) + 1;
    if (this.options.connectionEvents) {
      this.emit({ event: 'tls', protocol: this.streamProtocol, id: connection.id, remoteAddress: connection.remoteAddress, remotePort: connection.remotePort, ...info });
    }
  }

  private closed(record: ConnectionRecord, connection: ServedConnection): void {
    this.open.delete(connection);
    if (record.reason === 'tls-handshake') this.totals.tlsFailures = (this.totals.tlsFailures ?? 0) + 1;
    this.totals.bytesIn += record.bytesIn;
    this.totals.bytesOut += record.bytesOut;
    if (record.reason === 'cut') this.totals.cut++;
    if (this.options.connectionEvents) this.emit({ event: 'disconnect', protocol: this.streamProtocol, ...record, open: this.open.size });
    if (this.open.size === 0) this.allClosed?.();
  }

  /**
   * Node accepts and at once closes connections beyond server.maxConnections ('drop').
   * The cap is --max-conns or the descriptor budget, whichever is lower: a refusal for
   * --max-conns is an event each (as documented), one for descriptors is aggregated.
   */
  private limitConnections(tcp: Server, maxConns: number | undefined, budget: DescriptorBudget | undefined): RefusalAggregator | undefined {
    const byDescriptors = budget !== undefined && (maxConns === undefined || budget.connections < maxConns);
    const cap = byDescriptors ? budget.connections : maxConns;
    if (cap === undefined) return undefined;
    tcp.maxConnections = cap;
    const { emit, trace, open, totals } = this;
    const protocol = this.streamProtocol;
    const aggregator = byDescriptors
      ? new RefusalAggregator((count) => emit({ event: 'refused', protocol, reason: 'descriptors', count, open: open.size, descriptorLimit: budget.limit }))
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
      emit({ event: 'refused', protocol, remoteAddress, remotePort, reason: 'max-conns', maxConns: cap });
    });
    return aggregator;
  }

  async stop(): Promise<EchoServerSummary> {
    this.stopping = true;
    const stopAt = performance.now();
    const { tcp, open, trace } = this;
    const graceMs = this.options.shutdownGraceMs;
    // Connections the kernel completed before the stop wait in the accept queue;
    // closing the listener would reset them, so take them first.
    if (tcp) await acceptQueued(() => this.totals.connections + this.totals.refused, graceMs);
    trace('close', 'stop accepting');
    const closing = tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : Promise.resolve();
    const drained = new Promise<void>((resolve) => {
      if (open.size === 0) return resolve();
      this.allClosed = resolve;
    });
    // One --timeout for the whole stop.
    const deadline = setTimeout(() => {
      for (const connection of open) {
        if (connection.cut()) trace('cut', `${connection.peer} #${connection.id}: still busy at the ${graceMs} ms deadline`);
      }
    }, Math.max(0, graceMs - (performance.now() - stopAt)));
    for (const connection of open) connection.drain();
    await drained;
    clearTimeout(deadline);
    await closing;
    this.descriptorRefusals?.flush();
    const udpStats: UdpEchoStats = this.udp ? await this.udp.stop() : { datagrams: 0, bytes: 0, refused: { ownAddress: 0, lowPort: 0, rateLimited: 0 } };
    return {
      ...this.totals,
      datagrams: udpStats.datagrams,
      datagramBytes: udpStats.bytes,
      datagramsRefused: udpStats.refused,
      uptimeMs: Math.round((performance.now() - this.startedAt) * 1000) / 1000,
    };
  }
}
