// DNS over HTTPS (RFC 8484): every question of a run on one HTTP/2 connection (TLS with
// ALPN h2, the certificate checked as for DoT), each question a request on a stream of
// its own: POST with the message as body, or GET with it in `?dns=` (--doh-get). The
// message ID is 0 (RFC 8484 §4.1: HTTP caches see equal queries as equal), so replies
// are matched by stream, not by ID. The server's SETTINGS_MAX_CONCURRENT_STREAMS bounds
// the streams open at once (the connection holds the rest back). When the connection
// ends under questions it had not answered (closed, or GOAWAY before their streams),
// they are asked again on a new one within their own budgets, as tcp.ts does for DoT.
import type { TLSSocket, SecureContext } from 'node:tls';
import type { Http2ClientConnection } from '../http2/connection.js';
import { ErrorCode } from '../http2/frames.js';
import type { Http2Stream } from '../http2/stream.js';
import type { Http2ResponseHead } from '../http2/response.js';
import type { HeaderField } from '../http2/hpack.js';
import type { TlsInfo } from '../socket/tls.js';
import { SockkitError, formatSeconds, protocolError, timeoutError, toSockkitError } from '../shared/errors.js';
import { monotonicMs } from '../shared/deadline.js';
import { formatHostPort } from '../shared/address.js';
import { tracing, type TraceFn } from '../shared/trace.js';
import { judgeReply } from './answers.js';
import { encodeQuery, typeName, echoedQuestionName } from './packet.js';
import { DOH_MAX_MESSAGE, dohAuthority, dohHeadProblem, dohRequest, type DohMethod } from './doh.js';
import { type DnsReply, type DnsTransport, type QuerySpec, type ReplyCallback, type StreamServer, budgetForWaiting, connectServerTls } from './transport.js';
import { buildTrustStore } from './trust-store.js';
import type { DotOptions } from './tcp.js';

export interface DohOptions {
  trace: TraceFn;
  /** The certificate's name (and SNI, and :authority), --cacert, -k: as for DoT. */
  tls: DotOptions;
  /** The URL's path (`/dns-query`). */
  path: string;
  method: DohMethod;
  query?: QuerySpec;
}

/** Connections that may end under one question without answering anything (see tcp.ts). */
const MAX_FRUITLESS_CLOSES = 3;

class DohQuery {
  sends = 0;
  fruitlessCloses = 0;
  /** The connection and stream it was last sent on (undefined: waiting for a connection). */
  sentOn?: DohConnection;
  stream?: Http2Stream;
  timer?: NodeJS.Timeout;
  constructor(
    readonly serial: number,
    readonly name: string,
    readonly type: number,
    readonly qclass: number,
    readonly message: Buffer,
    readonly timeoutMs: number,
    readonly deadline: number,
    readonly done: ReplyCallback,
  ) {}
}

interface DohConnection {
  h2: Http2ClientConnection;
  socket: TLSSocket;
  tls: TlsInfo;
  /** Answers it carried: a server that closes after answering made progress. */
  answered: number;
  /** No new requests go on it (GOAWAY, closed, or failed); it closes once its questions settle. */
  retired: boolean;
}

export class DohTransport implements DnsTransport {
  /** Names the address connected to last (a name's addresses are tried by Happy Eyeballs). */
  label: string;
  private readonly authority: string;
  private readonly pending = new Map<number, DohQuery>();
  private readonly retired = new Set<DohConnection>();
  private readonly postFields = new Map<number, HeaderField[]>();
  private connection?: DohConnection;
  private connecting = false;
  private serials = 0;
  private secureContext?: SecureContext;
  private setupError?: SockkitError;

  constructor(
    readonly server: StreamServer,
    private readonly options: DohOptions,
  ) {
    this.label = `https://${formatHostPort(server.host, server.port)}${options.path}`;
    this.authority = dohAuthority(options.tls.name, server.port);
  }

  /** Builds the trust store (node:tls is loaded only here). */
  async open(): Promise<void> {
    if (this.secureContext || this.setupError) return;
    ({ context: this.secureContext, error: this.setupError } = await buildTrustStore(this.options.tls, 'https'));
  }

  ask(name: string, type: number, timeoutMs: number, done: ReplyCallback): void {
    if (this.setupError) return void process.nextTick(done, this.setupError);
    const fqdn = name.endsWith('.') ? name : `${name}.`;
    const message = (this.options.query?.encode ?? encodeQuery)(0, fqdn, type);
    const canonical = echoedQuestionName(fqdn);
    const query = new DohQuery(++this.serials, canonical, type, this.options.query?.qclass ?? 1, message, timeoutMs, monotonicMs() + timeoutMs, done);
    query.timer = setTimeout(() => this.settle(query, timeoutError(this.what(query), timeoutMs)), timeoutMs);
    this.pending.set(query.serial, query);
    this.send(query);
  }

  cancelAll(reason: SockkitError): void {
    for (const query of [...this.pending.values()]) this.settle(query, reason);
  }

  async close(): Promise<void> {
    for (const connection of [...this.retired, ...(this.connection ? [this.connection] : [])]) this.closeConnection(connection);
    this.connection = undefined;
  }

  private what(query: DohQuery): string {
    return `query ${typeName(query.type)} ${query.name} @${this.label}`;
  }

  /** Sends the question as a request on the open connection, or queues it for the one being opened. */
  private send(query: DohQuery): void {
    const connection = this.connection;
    query.sentOn = undefined;
    query.stream = undefined;
    if (!connection || this.connecting) return this.connect();
    const { fields, body } = this.requestFor(query.message);
    let stream: Http2Stream;
    try {
      stream = connection.h2.request(fields, body);
    } catch {
      // GOAWAY came, or the connection failed between two questions: no new streams on it.
      this.retire(connection);
      return this.connect();
    }
    query.sends++;
    query.sentOn = connection;
    query.stream = stream;
    if (tracing(this.options.trace)) {
      this.options.trace('send', `${this.options.method} ${query.message.length}-byte query on stream ${stream.id || "to come (the server's stream limit reached)"} to ${this.label} (${typeName(query.type)} ${query.name}${query.sends > 1 ? `, try ${query.sends}` : ''})`);
    }
    // (the connection writes the frames of one turn's questions in one go: connection.ts send)
    this.listen(query, connection, stream);
  }

  /**
   * The header list of a question's request. POSTs of one length share one list (the
   * same array), so the connection reuses its encoded block: padded queries are all 128 bytes.
   */
  private requestFor(message: Buffer): { fields: HeaderField[]; body?: Buffer } {
    if (this.options.method === 'GET') return dohRequest('GET', this.authority, this.options.path, message);
    let fields = this.postFields.get(message.length);
    if (!fields) {
      fields = dohRequest('POST', this.authority, this.options.path, message).fields;
      if (this.postFields.size < 64) this.postFields.set(message.length, fields);
    }
    return { fields, body: message };
  }

  /** The response of one stream: head checked, body gathered (at most 65,535 bytes), then judged. */
  private listen(query: DohQuery, connection: DohConnection, stream: Http2Stream): void {
    const parts: Buffer[] = [];
    let bytes = 0;
    const current = () => this.pending.get(query.serial) === query && query.stream === stream;
    const refuse = (why: string) => {
      stream.cancel();
      this.settle(query, protocolError(this.what(query), why));
    };
    stream.on({
      headers: (head: Http2ResponseHead) => {
        const problem = current() ? dohHeadProblem(head.status, head.headers, head.contentLength) : undefined;
        if (problem) refuse(`${problem} (stream ${stream.id})`);
      },
      data: (chunk: Buffer) => {
        stream.consumed(chunk.length);
        if (!current()) return;
        bytes += chunk.length;
        if (bytes > DOH_MAX_MESSAGE) return refuse(`a body of more than ${DOH_MAX_MESSAGE} bytes on stream ${stream.id}: a DNS message is at most ${DOH_MAX_MESSAGE}`);
        parts.push(Buffer.from(chunk)); // a view of the read buffer: copied
      },
      end: () => {
        if (current()) this.onMessage(query, connection, stream, parts.length === 1 ? parts[0]! : Buffer.concat(parts));
      },
      error: (err: SockkitError) => {
        if (current()) this.onStreamError(query, connection, err);
      },
    });
  }

  private onMessage(query: DohQuery, connection: DohConnection, stream: Http2Stream, raw: Buffer): void {
    if (tracing(this.options.trace)) this.options.trace('recv', `${raw.length}-byte reply on stream ${stream.id} (HTTP ${stream.head?.status ?? '?'}, ${typeName(query.type)} ${query.name})`);
    // One stream, one answer: a reply that is not for our question has no other to wait for.
    const judged = judgeReply(raw, { id: 0, name: query.name, type: query.type, qclass: query.qclass });
    if (judged.verdict !== 'accept') return this.settle(query, protocolError(this.what(query), `${judged.why} (the reply on stream ${stream.id})`));
    const refused = this.options.query?.check?.(judged.message);
    if (refused) return this.settle(query, protocolError(this.what(query), refused));
    connection.answered++;
    this.settle(query, undefined, { message: judged.message, transport: 'https', raw, tls: connection.tls });
  }

  /**
   * A stream that ended without an answer. Refused (GOAWAY before it, REFUSED_STREAM) or
   * lost with its connection (closed, reset): asked again on a new connection, unless
   * connections keep ending without answering anything. Anything else (a reset of this
   * stream, a GOAWAY with an error, a protocol violation) is the answer's failure: exit 7.
   */
  private onStreamError(query: DohQuery, connection: DohConnection, err: SockkitError): void {
    // Before the server's SETTINGS the connection never was HTTP/2 (silent, HTTP/1.1, closed):
    // the open failed, for every question sent on it, as if it had been awaited. No retry.
    if (!connection.h2.serverSettingsCame) {
      this.retire(connection);
      const failure = err.code === 'TIMEOUT' ? new SockkitError('TIMEOUT', this.what(query), err.why, err.hint ?? 'raise it with --timeout SECONDS') : err;
      return this.settle(query, failure);
    }
    // An Http2Error carries the HTTP/2 error code; the connection's end (closed, reset) does not.
    const errorCode = (err as { errorCode?: unknown }).errorCode;
    const lostWithConnection = typeof errorCode !== 'number' && (err.code === 'PROTOCOL' || err.code === 'UNREACHABLE');
    // REFUSED_STREAM (RFC 9113 8.7): the request was not processed, safe to send again
    if (!lostWithConnection && errorCode !== ErrorCode.REFUSED_STREAM) return this.settle(query, new SockkitError(err.code, this.what(query), err.why, err.hint, { cause: err }));
    this.retire(connection);
    if (connection.answered === 0) query.fruitlessCloses++;
    if (query.fruitlessCloses >= MAX_FRUITLESS_CLOSES) {
      return this.settle(query, protocolError(this.what(query), `the server ended ${query.fruitlessCloses} connections without answering anything (last: ${err.why})`));
    }
    this.options.trace('reconnect', `${err.why}: asking ${typeName(query.type)} ${query.name} again on a new connection`);
    this.send(query);
  }

  /** Opens a connection (one at a time) within the longest budget waiting for it, then sends what waits. */
  private connect(): void {
    if (this.connecting) return;
    const budget = budgetForWaiting(this.pending.values(), monotonicMs());
    if (budget === null) return;
    this.connecting = true;
    this.openConnection(budget).then(
      (connection) => {
        this.connecting = false;
        this.connection = connection;
        for (const query of [...this.pending.values()]) if (!query.sentOn) this.send(query);
      },
      (err: unknown) => {
        this.connecting = false;
        // Nothing to connect to (refused, TLS failure, not HTTP/2, timeout): every question waiting fails with it.
        const failure = toSockkitError(err, `DNS over HTTPS with ${this.label}`);
        // A timeout keeps its own reason (no TCP connect, no handshake, no SETTINGS), said of each question.
        const timedOut = (query: DohQuery) => new SockkitError('TIMEOUT', this.what(query), failure.why, failure.hint ?? 'raise it with --timeout SECONDS');
        for (const query of [...this.pending.values()]) if (!query.sentOn) this.settle(query, failure.code === 'TIMEOUT' ? timedOut(query) : failure);
      },
    );
  }

  /** TCP, TLS with ALPN h2 (the certificate checked as for DoT), the HTTP/2 preface and the server's SETTINGS. */
  private async openConnection(budgetMs: number): Promise<DohConnection> {
    const { trace, tls } = this.options;
    const { port } = this.server;
    if (!this.secureContext) throw this.setupError ?? new SockkitError('TLS', `https://${tls.name}`, 'no trust store');
    const { Http2ClientConnection } = await import('../http2/connection.js');
    const started = monotonicMs();
    const left = () => Math.max(1, budgetMs - (monotonicMs() - started));
    const secure = { name: tls.name, insecure: tls.insecure, secureContext: this.secureContext, alpn: ['h2'] };
    const { socket, info } = await connectServerTls(this.server, secure, budgetMs, trace, (address) => {
      this.label = `https://${formatHostPort(address, port)}${this.options.path}`;
    });
    try {
      if (info.alpn !== 'h2') {
        throw new SockkitError('PROTOCOL', `DNS over HTTPS with ${this.label}`, `the server did not pick HTTP/2 in ALPN (it picked ${info.alpn ?? 'nothing'}); sockkit speaks DoH over HTTP/2`);
      }
      const h2 = new Http2ClientConnection(socket, { trace, what: `DNS over HTTPS with ${this.label}` });
      socket.on('data', (chunk: Buffer) => h2.feed(chunk));
      // The questions go right after the preface, not a round trip later after the server's
      // SETTINGS; a server that never sends them fails what was sent (onStreamError).
      const settingsMs = left();
      h2.startEarly(settingsMs, () => new SockkitError('TIMEOUT', `DNS over HTTPS with ${this.label}`, `no HTTP/2 SETTINGS from the server after ${formatSeconds(settingsMs)}`));
      const connection: DohConnection = { h2, socket, tls: info, answered: 0, retired: false };
      socket.on('close', () => this.retire(connection));
      return connection;
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  /** No new questions on this connection; it closes once none of ours waits on it. */
  private retire(connection: DohConnection): void {
    if (this.connection === connection) this.connection = undefined;
    if (connection.retired) return;
    connection.retired = true;
    this.retired.add(connection);
    this.closeIfIdle(connection);
  }

  private closeIfIdle(connection: DohConnection): void {
    if (!connection.retired) return;
    for (const query of this.pending.values()) if (query.sentOn === connection) return;
    this.closeConnection(connection);
  }

  private closeConnection(connection: DohConnection): void {
    this.retired.delete(connection);
    if (connection.socket.destroyed) return;
    connection.h2.close();
    this.options.trace('close', `https connection to ${this.label}`);
  }

  private settle(query: DohQuery, err: SockkitError | undefined, reply?: DnsReply): void {
    if (this.pending.get(query.serial) !== query) return;
    this.pending.delete(query.serial);
    clearTimeout(query.timer);
    if (err) query.stream?.cancel(); // a timeout or Ctrl-C: the server may stop working on it
    const connection = query.sentOn;
    query.done(err, reply);
    if (connection) this.closeIfIdle(connection);
  }
}
