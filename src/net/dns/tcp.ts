// DNS over a stream: TCP (RFC 1035 §4.2.2, RFC 7766) and TLS (RFC 7858), each message
// prefixed with its 2-byte length. One connection carries every question of a run at
// once (RFC 7766 §6.2.1.1 pipelining): answers are matched by ID in whatever order they
// come; a frame for no question in flight is ignored. When the server closes the
// connection (idle, full, or after each answer), the questions it had not answered are
// sent again on a new one, within their own budgets: a reconnect never loses a query.
// Connections are the socket layer's (socket/connect.ts; TLS from socket/tls.ts, loaded
// only when asked for).
import { QueryIds } from './query-ids.js';
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { TlsInfo } from '../socket/tls.js';
import { type SockkitError, protocolError, timeoutError, toSockkitError } from '../shared/errors.js';
import { monotonicMs } from '../shared/deadline.js';
import { formatHostPort } from '../shared/address.js';
import { tracing, type TraceFn } from '../shared/trace.js';
import { hexId, judgeReply } from './answers.js';
import { encodeQuery, typeName, echoedQuestionName } from './packet.js';
import { type DnsReply, type DnsTransport, type QuerySpec, type ReplyCallback, type StreamServer, budgetForWaiting, connectServer, connectServerTls } from './transport.js';
import { buildTrustStore } from './trust-store.js';
import { transferZone, type TransferResult } from './axfr.js';
import { HeldTail } from './held-tail.js';

const MAX_TAIL_FALLBACK_MS = 40;

export type { StreamServer } from './transport.js';

export interface DotOptions {
  /** The name the certificate must carry (and SNI): --tls-hostname, or the host as given. */
  name: string;
  /** The roots trusted: --cacert's PEM, or Node's plus NODE_EXTRA_CA_CERTS; Node's own default when absent. */
  ca?: Buffer | Array<string | Buffer>;
  /** -k: finish the handshake whatever the certificate says (the verdict is still reported). */
  insecure?: boolean;
}

export interface StreamOptions {
  trace: TraceFn;
  /** DNS over TLS: present for tls:// servers. */
  tls?: DotOptions;
  /** How queries are written (flags, class, EDNS) and checked; encodeQuery's defaults without it. */
  query?: QuerySpec;
}

/**
 * Connections that may close under one question without answering anything: a server
 * that closes after each answer makes progress and is followed for as long as it does;
 * one that closes before any answer cannot loop us.
 */
const MAX_FRUITLESS_CLOSES = 3;

class StreamQuery {
  sends = 0;
  /** Connections closed under it that had answered nothing at all. */
  fruitlessCloses = 0;
  /** The connection it was last written on (undefined: waiting for one). */
  sentOn?: StreamConnection;
  timer?: NodeJS.Timeout;
  constructor(
    readonly id: number,
    readonly name: string,
    readonly type: number,
    readonly qclass: number,
    readonly frame: Buffer,
    readonly timeoutMs: number,
    readonly deadline: number,
    readonly done: ReplyCallback,
  ) {}
}

/** One open connection and the bytes of a frame not yet complete. */
interface StreamConnection {
  socket: Socket;
  /** What its TLS handshake negotiated (DoT only). */
  tls?: TlsInfo;
  buffered: Buffer;
  closed: boolean;
  /** Answers it carried: a server that closes after answering made progress. */
  answered: number;
  /** Writes of this event-loop turn are being gathered (cork until the next tick). */
  corked?: boolean;
  /** DoT: the last bytes written, held back so that each read can be acknowledged at once (held-tail.ts). */
  tail?: HeldTail;
}

function uncork(connection: StreamConnection): void {
  connection.corked = false;
  if (!connection.closed) connection.socket.uncork();
}

export class StreamTransport implements DnsTransport {
  /** Names the address connected to last (a name's addresses are tried by Happy Eyeballs). */
  label: string;
  private readonly transport: 'tcp' | 'tls';
  private readonly pending = new Map<number, StreamQuery>();
  private connection?: StreamConnection;
  private connecting = false;
  private secureContext?: SecureContext;
  /** Why the set-up (trust store) failed: every question fails with it. */
  private setupError?: SockkitError;
  private readonly ids = new QueryIds(256);

  constructor(
    readonly server: StreamServer,
    private readonly options: StreamOptions,
  ) {
    this.transport = options.tls ? 'tls' : 'tcp';
    this.label = this.labelFor(server.host);
  }

  private labelFor(address: string): string {
    const where = formatHostPort(address, this.server.port);
    return this.options.tls ? `tls://${where}` : where;
  }

  /** Builds the trust store for DoT (node:tls is loaded only here); nothing to do for TCP. */
  async open(): Promise<void> {
    if (!this.options.tls || this.secureContext || this.setupError) return;
    ({ context: this.secureContext, error: this.setupError } = await buildTrustStore(this.options.tls, 'tls'));
  }

  ask(name: string, type: number, timeoutMs: number, done: ReplyCallback): void {
    if (this.setupError) {
      process.nextTick(done, this.setupError);
      return;
    }
    const fqdn = name.endsWith('.') ? name : `${name}.`;
    const id = this.freshId();
    const packet = (this.options.query?.encode ?? encodeQuery)(id, fqdn, type);
    const frame = Buffer.allocUnsafe(2 + packet.length);
    frame.writeUInt16BE(packet.length, 0);
    packet.copy(frame, 2);
    const canonical = echoedQuestionName(fqdn);
    const query = new StreamQuery(id, canonical, type, this.options.query?.qclass ?? 1, frame, timeoutMs, monotonicMs() + timeoutMs, done);
    query.timer = setTimeout(() => this.settle(query, timeoutError(this.what(query), timeoutMs)), timeoutMs);
    this.pending.set(id, query);
    this.send(query);
  }

  /** AXFR on a connection of its own (TCP, or TLS: XoT), not the pipelined one. */
  async transfer(zone: string, timeoutMs: number, maxRecords: number): Promise<TransferResult> {
    if (this.setupError) throw this.setupError;
    const open = async (budgetMs: number) => (await this.openConnection(budgetMs)).socket;
    return transferZone(zone, { open, timeoutMs, maxRecords, trace: this.options.trace, label: this.label });
  }

  cancelAll(reason: SockkitError): void {
    for (const query of [...this.pending.values()]) this.settle(query, reason);
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection && !connection.closed) {
      connection.closed = true;
      connection.tail?.close();
      connection.socket.destroy();
      this.options.trace('close', `${this.transport} connection to ${this.label}`);
    }
  }

  private what(query: StreamQuery): string {
    return `query ${typeName(query.type)} ${query.name} @${this.label}`;
  }

  /** Writes the question on the open connection, or queues it for the one being opened. */
  private send(query: StreamQuery): void {
    const connection = this.connection;
    if (!connection || connection.closed || this.connecting) {
      query.sentOn = undefined;
      this.connect();
      return;
    }
    query.sends++;
    query.sentOn = connection;
    if (tracing(this.options.trace)) {
      this.options.trace('send', `${query.frame.length} bytes to ${this.label} (id ${hexId(query.id)}, ${typeName(query.type)} ${query.name}${query.sends > 1 ? `, try ${query.sends}` : ''})`);
    }
    // Questions asked in one turn of the event loop leave in one write (one TLS record,
    // one segment) instead of one each: 1,000 names over DoT took 0.4 ms a name otherwise.
    if (!connection.corked) {
      connection.corked = true;
      connection.socket.cork();
      process.nextTick(uncork, connection);
    }
    if (connection.tail) connection.tail.writeFrame(query.frame);
    else connection.socket.write(query.frame);
  }

  /**
   * DoT: writes go through a HeldTail; the fallback is the handshake's own duration (about two round trips),
   * at most 40 ms: Linux's shortest delayed ACK, the stall it saves, so a server that sends fewer tickets
   * than OpenSSL's two (or none) waits no longer than a Nagling one would have without it.
   */
  private holdTail(connection: StreamConnection, handshakeMs: number): void {
    const socket = connection.socket as TLSSocket;
    const ticketsToCome = socket.getProtocol() === 'TLSv1.3';
    const tail = new HeldTail({
      write: (bytes) => socket.write(bytes),
      onlyLastOutstanding: () => this.pending.size <= 1,
      ticketsToCome,
      fallbackMs: Math.min(MAX_TAIL_FALLBACK_MS, Math.max(1, Math.ceil(handshakeMs))),
    });
    connection.tail = tail;
    if (ticketsToCome) socket.on('session', () => tail.onTicket());
  }

  /** Opens a connection (one at a time) within the longest budget waiting for it, then sends what waits. */
  private connect(): void {
    if (this.connecting) return;
    const budget = budgetForWaiting(this.pending.values(), monotonicMs());
    if (budget === null) return;
    this.connecting = true;
    this.openConnection(budget).then(
      ({ socket, tls, handshakeMs }) => {
        this.connecting = false;
        const connection: StreamConnection = { socket, tls, buffered: Buffer.alloc(0), closed: false, answered: 0 };
        this.connection = connection;
        if (tls) this.holdTail(connection, handshakeMs ?? 0);
        socket.on('data', (chunk: Buffer) => this.onData(connection, chunk));
        socket.on('error', (err) => this.onClosed(connection, toSockkitError(err, `${this.transport} connection to ${this.label}`)));
        socket.on('close', () => this.onClosed(connection));
        for (const query of [...this.pending.values()]) if (!query.sentOn) this.send(query);
      },
      (err: unknown) => {
        this.connecting = false;
        // Nothing to connect to (ICMP, TLS refused, timeout): every question waiting fails with it.
        const failure = toSockkitError(err, `${this.transport} connection to ${this.label}`);
        for (const query of [...this.pending.values()]) if (!query.sentOn) this.settle(query, failure.code === 'TIMEOUT' ? timeoutError(this.what(query), query.timeoutMs) : failure);
      },
    );
  }

  private async openConnection(budgetMs: number): Promise<{ socket: Socket; tls?: TlsInfo; handshakeMs?: number }> {
    const { trace, tls } = this.options;
    if (!tls || !this.secureContext) return this.connected(await connectServer(this.server, { timeoutMs: budgetMs, trace }));
    const secure = { name: tls.name, insecure: tls.insecure, secureContext: this.secureContext, alpn: ['dot'] };
    const { socket, info, handshakeMs } = await connectServerTls(this.server, secure, budgetMs, trace, (address) => (this.label = this.labelFor(address)));
    return { socket, tls: info, handshakeMs };
  }

  private connected(to: { socket: Socket; address: string }): { socket: Socket } {
    this.label = this.labelFor(to.address);
    return to;
  }

  private onData(connection: StreamConnection, chunk: Buffer): void {
    if (tracing(this.options.trace)) this.options.trace('recv', `${chunk.length} bytes from ${this.label} (${this.transport})`);
    connection.tail?.onRead(); // before the answers: questions they let us write carry the ACK themselves
    connection.buffered = connection.buffered.length === 0 ? chunk : Buffer.concat([connection.buffered, chunk]);
    while (connection.buffered.length >= 2) {
      const length = connection.buffered.readUInt16BE(0);
      if (connection.buffered.length < 2 + length) return;
      const message = connection.buffered.subarray(2, 2 + length);
      connection.buffered = connection.buffered.subarray(2 + length);
      this.onMessage(connection, message);
    }
  }

  private onMessage(connection: StreamConnection, message: Buffer): void {
    const id = message.length >= 2 ? message.readUInt16BE(0) : -1;
    const query = this.pending.get(id);
    if (!query) return this.options.trace('ignore', `${this.transport} message id ${id === -1 ? '?' : hexId(id)} matches no question in flight`);
    const judged = judgeReply(message, query);
    if (judged.verdict === 'malformed') return this.settle(query, protocolError(this.what(query), judged.why));
    if (judged.verdict === 'ignore') return this.options.trace('ignore', judged.why);
    const refused = this.options.query?.check?.(judged.message);
    if (refused) return this.options.trace('ignore', refused);
    connection.answered++;
    this.settle(query, undefined, { message: judged.message, transport: this.transport, raw: message, tls: query.sentOn?.tls });
  }

  /**
   * The connection ended (closed by the server, reset, or our own close): the questions
   * written on it and not answered go out again on a new one, unless sent too often.
   */
  private onClosed(connection: StreamConnection, err?: SockkitError): void {
    if (connection.closed) return;
    connection.closed = true;
    connection.tail?.close();
    connection.socket.destroy();
    if (this.connection === connection) this.connection = undefined;
    const why = err?.why ?? 'closed by the server';
    const unanswered = [...this.pending.values()].filter((q) => q.sentOn === connection);
    if (unanswered.length > 0) this.options.trace('reconnect', `${this.transport} connection to ${this.label} ${why} with ${unanswered.length} question(s) unanswered`);
    for (const query of unanswered) {
      if (connection.answered === 0) query.fruitlessCloses++;
      if (query.fruitlessCloses >= MAX_FRUITLESS_CLOSES) {
        this.settle(query, protocolError(this.what(query), `the server closed the connection ${query.fruitlessCloses} times without answering anything`));
      } else {
        query.sentOn = undefined;
      }
    }
    this.connect();
  }

  private settle(query: StreamQuery, err: SockkitError | undefined, reply?: DnsReply): void {
    if (this.pending.get(query.id) !== query) return;
    this.pending.delete(query.id);
    clearTimeout(query.timer);
    query.done(err, reply);
  }

  private freshId(): number {
    return this.ids.next((id) => this.pending.has(id));
  }
}
