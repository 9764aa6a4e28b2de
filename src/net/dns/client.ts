// sockkit's own stub-resolver client: queries one DNS server over UDP (one shared,
// connected socket for every query of a run: a batch of thousands costs one socket; the
// price is one random source port instead of one per query, acceptable for a stub that
// talks to the server the user chose), falls back to TCP when a reply is
// truncated (RFC 7766), and accepts a reply only when it is really the answer to
// the question asked (RFC 5452 §9.1): right source address and port, same ID, QR set,
// and the question echoed. Anything else is ignored, so a forged or stray datagram
// can never become a result.
import { QueryIds } from './query-ids.js';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { ipFamily } from '../shared/ip-literal.js';
import { StreamTransport } from './tcp.js';
import type { TransferResult } from './axfr.js';
import type { DnsReply, DnsTransport, QuerySpec, ReplyCallback } from './transport.js';
import { SockkitError, protocolError, timeoutError, toSockkitError } from '../shared/errors.js';
import { monotonicMs } from '../shared/deadline.js';
import { formatHostPort } from '../shared/address.js';
import { tracing, type TraceFn } from '../shared/trace.js';
import { hexId, judgeReply, wrongSource } from './answers.js';
import { encodeIPv6, encodeQuery, formatIPv6, typeName, echoedQuestionName } from './packet.js';

export interface DnsServerAddress {
  /** An IPv4 or IPv6 literal. */
  host: string;
  port: number;
}

export type { DnsReply, ReplyCallback } from './transport.js';

/**
 * Four sends on UDP with exponential backoff inside the budget: at 0, 1/15, 3/15 and
 * 7/15 of it (then the rest to wait for the last). With 1 datagram in 10 lost, three
 * fixed sends left 86 of 100,000 names without an answer; four with backoff leave ~10,
 * and the first retry comes sooner (333 ms of the default 5 s).
 */
const UDP_ATTEMPTS = 4;
const BACKOFF_UNITS = 2 ** UDP_ATTEMPTS - 1;
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
/**
 * One timer serves every query in flight: it fires for the earliest retransmission or
 * deadline and sweeps all that are due. Sweeps are at least this far apart, so
 * thousands of queries that time out together cost a few sweeps, not thousands of
 * timers; a retransmission or a timeout is at most this late.
 */
const SWEEP_SPACING_MS = 10;
/** libuv's timers count whole milliseconds: an entry due within this is due now. */
const TIMER_SLACK_MS = 1;

// One question in flight. A class, not closures: a batch keeps thousands of these
// moving, and every query of a run has the same shape (cheap for V8, cheap for GC).
class PendingQuery {
  attempt = 1;
  /** monotonicMs() of the first send: the backoff counts from it. */
  readonly started: number;
  /** monotonicMs() at which the whole budget runs out (the TCP retry uses the rest). */
  readonly deadline: number;
  /** monotonicMs() of the next retransmission, then of the deadline. */
  nextAt: number;
  /** Why the last datagram from the server could not be read (reported if nothing better comes). */
  malformed?: string;
  /** Set once the reply was truncated and the query moved to TCP. */
  onTcp = false;

  constructor(
    readonly id: number,
    /** Lower-cased FQDN in the decoder's text form, for the question check. */
    readonly name: string,
    readonly type: number,
    readonly qclass: number,
    readonly packet: Buffer,
    readonly timeoutMs: number,
    readonly done: ReplyCallback,
  ) {
    const now = monotonicMs();
    this.deadline = now + timeoutMs;
    this.started = now;
    this.nextAt = now + timeoutMs / BACKOFF_UNITS;
  }

  what(label: string): string {
    return `query ${typeName(this.type)} ${this.name} @${label}`;
  }
}

export class DnsClient implements DnsTransport {
  readonly server: DnsServerAddress;
  readonly label: string;
  private readonly trace: TraceFn;
  private opening?: Promise<void>;
  private socket?: UdpSocket;
  /** Why the socket could not be opened: every query fails with it. */
  private openError?: SockkitError;
  private readonly pending = new Map<number, PendingQuery>();
  private sweepTimer?: NodeJS.Timeout;
  /** When the armed sweep fires (Infinity: none armed). */
  private sweepAt = Infinity;
  private lastSweep = -Infinity;
  private readonly ids = new QueryIds(1024);
  /** Whether a reply came since the socket's last error: first sends then go without a callback (sendUdp). */
  private serverAnswered = false;
  /** The TCP connection for truncated replies, opened at the first. */
  private tcp?: StreamTransport;

  private readonly query?: QuerySpec;

  constructor(server: DnsServerAddress, options: { trace: TraceFn; query?: QuerySpec }) {
    const family = ipFamily(server.host);
    if (family === 0) throw new TypeError(`DnsClient needs an IP literal, got '${server.host}'`);
    // Same text form as the source address of received datagrams, for the source check.
    const host = family === 6 ? formatIPv6(encodeIPv6(server.host)) : server.host;
    this.server = { host, port: server.port };
    this.label = formatHostPort(host, server.port);
    this.trace = options.trace;
    this.query = options.query;
  }

  /**
   * Opens the shared UDP socket. Never rejects: if the socket cannot be opened, every
   * question asked afterwards fails with that error.
   */
  open(): Promise<void> {
    this.opening ??= this.openSocket().then(
      (socket) => {
        this.socket = socket;
      },
      (err) => {
        this.openError = toSockkitError(err, `query @${this.label}`);
      },
    );
    return this.opening;
  }

  /**
   * Asks one question on the open socket; `done` is called exactly once, never
   * synchronously. The callback form is what a batch runs on: no promise, no closure
   * per query.
   */
  ask(name: string, type: number, timeoutMs: number, done: ReplyCallback): void {
    const socket = this.socket;
    const fqdn = name.endsWith('.') ? name : `${name}.`;
    if (!socket) {
      if (!this.openError) throw new Error('DnsClient.ask() before open() settled');
      process.nextTick(done, this.openError);
      return;
    }
    const id = this.freshId();
    const packet = (this.query?.encode ?? encodeQuery)(id, fqdn, type);
    // canonical text form, as the decoder writes the echoed question
    const canonical = echoedQuestionName(fqdn);
    const entry = new PendingQuery(id, canonical, type, this.query?.qclass ?? 1, packet, timeoutMs, done);
    this.pending.set(id, entry);
    this.sendUdp(socket, entry);
    this.scheduleSweep(entry.nextAt);
  }

  /** AXFR goes over TCP (RFC 5936 §4.2). */
  transfer(zone: string, timeoutMs: number, maxRecords: number): Promise<TransferResult> {
    this.tcp ??= new StreamTransport(this.server, { trace: this.trace, query: this.query });
    return this.tcp.transfer(zone, timeoutMs, maxRecords);
  }

  /** Fails every query in flight (Ctrl-C, SIGTERM). */
  cancelAll(reason: SockkitError): void {
    for (const entry of [...this.pending.values()]) this.settle(entry, reason);
  }

  /** Closes the shared socket; call once every query has settled. */
  async close(): Promise<void> {
    const opening = this.opening;
    const socket = this.socket;
    this.opening = undefined;
    this.socket = undefined;
    this.stopSweeps();
    await this.tcp?.close();
    if (!opening) return;
    await opening;
    if (!socket) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    this.trace('close', `udp socket to ${this.label}`);
  }

  /** Arms the sweep for `at`, unless one is armed as early already. */
  private scheduleSweep(at: number): void {
    const fireAt = Math.max(at, this.lastSweep + SWEEP_SPACING_MS);
    if (fireAt >= this.sweepAt) return;
    clearTimeout(this.sweepTimer);
    this.sweepAt = fireAt;
    this.sweepTimer = setTimeout(sweepClient, Math.max(0, fireAt - monotonicMs()), this);
  }

  private stopSweeps(): void {
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
  }

  /** Every UDP query that is due: send it again, or give up at its deadline. (For the sweep timer.) */
  sweep(): void {
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
    const now = monotonicMs();
    this.lastSweep = now;
    let earliest = Infinity;
    for (const entry of this.pending.values()) {
      if (entry.onTcp) continue; // the TCP retry has its own timer
      if (entry.nextAt <= now + TIMER_SLACK_MS) {
        if (entry.attempt < UDP_ATTEMPTS && this.socket) {
          entry.attempt++;
          entry.nextAt = entry.attempt < UDP_ATTEMPTS ? entry.started + (entry.timeoutMs / BACKOFF_UNITS) * (2 ** entry.attempt - 1) : entry.deadline;
          this.sendUdp(this.socket, entry);
        } else {
          this.expire(entry);
          continue;
        }
      }
      if (entry.nextAt < earliest) earliest = entry.nextAt;
    }
    if (earliest !== Infinity) this.scheduleSweep(earliest);
  }

  private expire(entry: PendingQuery): void {
    if (entry.malformed) {
      this.settle(entry, protocolError(entry.what(this.label), `no valid reply; the server sent a malformed one (${entry.malformed})`));
    } else {
      this.settle(entry, timeoutError(entry.what(this.label), entry.timeoutMs));
    }
  }

  // On a connected socket an ICMP "port unreachable" sets one pending error on the
  // socket, and the next system call on it consumes it: either a recv (the socket's
  // 'error' event) or the *next send*, which then fails and sends nothing. Without a
  // send callback Node drops that error: with two questions in flight (A and AAAA), the
  // second send swallowed the first's ICMP error and both waited for the timeout. Any
  // send error concerns the server, so it fails every query in flight to it.
  //
  // A callback costs a process.nextTick per datagram (a tenth of a list's CPU), so once
  // the server has answered, first sends go without one; every retransmission keeps it.
  // A server that dies mid-run is then found at the first retransmission (1/15 of the
  // budget), whichever send its ICMP error lands on, and the client is unconfirmed again.
  private sendUdp(socket: UdpSocket, entry: PendingQuery): void {
    if (tracing(this.trace)) {
      const tries = entry.attempt > 1 ? `, try ${entry.attempt}` : '';
      this.trace('send', `${entry.packet.length} bytes to ${this.label} (id ${hexId(entry.id)}, ${typeName(entry.type)} ${entry.name}${tries})`);
    }
    if (this.serverAnswered && entry.attempt === 1) socket.send(entry.packet);
    else socket.send(entry.packet, this.afterSend);
  }

  /** One callback for every send (a batch sends thousands): no closure per datagram. */
  private readonly afterSend = (err: Error | null): void => {
    if (err) this.onSocketError(err);
  };

  /** Ends one query: exactly once, whatever raced to end it. */
  private settle(entry: PendingQuery, err: SockkitError | undefined, reply?: DnsReply): void {
    if (this.pending.get(entry.id) !== entry) return;
    this.pending.delete(entry.id);
    if (this.pending.size === 0) this.stopSweeps();
    entry.done(err, reply);
  }

  private freshId(): number {
    return this.ids.next(this.idInUse);
  }

  /** One function for every ID drawn (a batch draws thousands): no closure per query. */
  private readonly idInUse = (id: number): boolean => this.pending.has(id);

  private openSocket(): Promise<UdpSocket> {
    return new Promise<UdpSocket>((resolve, reject) => {
      const type = ipFamily(this.server.host) === 6 ? 'udp6' : 'udp4';
      const socket = createSocket(type);
      this.trace('socket', type);
      socket.once('error', (err) => {
        socket.close();
        reject(err);
      });
      // A connected UDP socket: the kernel drops datagrams from any other address or
      // port, and an ICMP "port unreachable" comes back as ECONNREFUSED.
      // Node hands a failed connect (ENETUNREACH: no route) to this callback, not to 'error'
      socket.connect(this.server.port, this.server.host, (err?: Error) => {
        if (err) {
          socket.close();
          reject(err);
          return;
        }
        socket.removeAllListeners('error');
        // Room for the replies of a whole batch in flight: the default buffer (~208 KB of
        // kernel accounting) drops replies once a couple of hundred arrive at once.
        try {
          socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
        } catch {
          // capped by net.core.rmem_max: keep the default
        }
        const local = socket.address();
        this.trace('connect', `${formatHostPort(local.address, local.port)} → ${this.label} (udp)`);
        socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address, rinfo.port));
        socket.on('error', (err) => this.onSocketError(err));
        resolve(socket);
      });
    });
  }

  private onSocketError(err: Error): void {
    this.serverAnswered = false;
    const failure = toSockkitError(err, `query @${this.label}`);
    this.trace('error', `${failure.why}`);
    for (const entry of [...this.pending.values()]) if (!entry.onTcp) this.settle(entry, failure);
  }

  private onDatagram(msg: Buffer, address: string, port: number): void {
    if (tracing(this.trace)) this.trace('recv', `${msg.length} bytes from ${formatHostPort(address, port)}`);
    // Defence in depth: the connected socket already filters, but never rely on it alone.
    const stranger = wrongSource(address, port, this.server);
    if (stranger) return this.ignore(`${stranger} (${this.label})`);
    if (msg.length < 12) {
      const why = `message of ${msg.length} bytes is shorter than a DNS header`;
      for (const entry of this.pending.values()) entry.malformed = why;
      return this.ignore(why);
    }
    const id = (msg[0]! << 8) | msg[1]!;
    const entry = this.pending.get(id);
    if (!entry || entry.onTcp) return this.ignore(`id ${hexId(id)} matches no query in flight`);
    const judged = judgeReply(msg, entry);
    // Right server, right ID, unreadable: nothing better will come for this ID.
    if (judged.verdict === 'malformed') return this.settle(entry, protocolError(entry.what(this.label), judged.why));
    if (judged.verdict === 'ignore') return this.ignore(judged.why);
    const { message } = judged;
    const refused = this.query?.check?.(message);
    if (refused) return this.ignore(refused);
    if (message.tc) {
      this.trace('truncated', `reply for id ${hexId(entry.id)} has the TC bit: retrying over TCP`);
      entry.onTcp = true;
      // The TCP retry runs inside what is left of the same budget.
      this.queryTcp(entry, Math.max(1, entry.deadline - monotonicMs())).then(
        (reply) => this.settle(entry, undefined, reply),
        (err: SockkitError) => this.settle(entry, err),
      );
      return;
    }
    this.serverAnswered = true;
    this.settle(entry, undefined, { message, transport: 'udp', raw: msg });
  }

  private ignore(why: string): void {
    this.trace('ignore', why);
  }

  /**
   * The same question over TCP (tcp.ts), inside what the UDP attempts left of its
   * budget; every truncated reply of a run shares one pipelined connection.
   */
  private queryTcp(entry: PendingQuery, budgetMs: number): Promise<DnsReply> {
    this.tcp ??= new StreamTransport(this.server, { trace: this.trace, query: this.query });
    const tcp = this.tcp;
    return new Promise((resolve, reject) => tcp.ask(entry.name, entry.type, budgetMs, (err, reply) => (err ? reject(err) : resolve(reply!))));
  }
}

function sweepClient(client: DnsClient): void {
  client.sweep();
}
