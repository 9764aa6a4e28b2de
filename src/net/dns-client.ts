// sockkit's own stub-resolver client: queries one DNS server over UDP (one shared,
// connected socket for every query of a run: a batch of thousands costs one socket; the
// price is one random source port instead of one per query, acceptable for a stub that
// talks to the server the user chose), falls back to TCP when a reply is
// truncated (RFC 7766), and accepts a reply only when it is really the answer to
// the question asked (RFC 5452 §9.1): right source address and port, same ID, QR set,
// and the question echoed. Anything else is ignored, so a forged or stray datagram
// can never become a result.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect } from 'node:net';
import { randomFillSync } from 'node:crypto';
import { isIP } from 'node:net';
import { SockkitError, protocolError, timeoutError, toSockkitError } from './errors.js';
import { monotonicMs } from './deadline.js';
import { formatHostPort } from './address.js';
import type { TraceFn } from './trace.js';
import {
  CLASS_IN,
  DnsFormatError,
  decodeHeader,
  decodeMessage,
  encodeIPv6,
  encodeQuery,
  formatIPv6,
  labelsToName,
  nameToLabels,
  typeName,
  type DnsMessage,
} from './dns-packet.js';

export interface DnsServerAddress {
  /** An IPv4 or IPv6 literal. */
  host: string;
  port: number;
}

export interface DnsReply {
  message: DnsMessage;
  transport: 'udp' | 'tcp';
}

export interface DnsQueryOptions {
  /** The whole budget of this query, retransmissions and a TCP retry included. */
  timeoutMs: number;
}

interface Pending {
  id: number;
  name: string; // lower-cased FQDN, for the question check
  type: number;
  packet: Buffer;
  resolve: (reply: DnsReply) => void;
  reject: (err: SockkitError) => void;
  /** One timer per query: the next retransmission, then the deadline. */
  timer?: NodeJS.Timeout;
  /** Why the last datagram from the server could not be read (reported if nothing better comes). */
  malformed?: string;
  /** Set once the reply was truncated and the query moved to TCP. */
  onTcp: boolean;
  /** monotonicMs() at which the whole budget runs out (the TCP retry uses the rest). */
  deadline: number;
}

/** Retransmit on UDP at 1/3 and 2/3 of the budget: two retries inside the timeout. */
const UDP_ATTEMPTS = 3;
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export class DnsClient {
  readonly server: DnsServerAddress;
  readonly label: string;
  private readonly trace?: TraceFn;
  private socket?: Promise<UdpSocket>;
  private readonly pending = new Map<number, Pending>();
  private readonly randomIds = new Uint16Array(1024);
  private randomIndex = 1024;

  constructor(server: DnsServerAddress, options: { trace?: TraceFn } = {}) {
    const family = isIP(server.host);
    if (family === 0) throw new TypeError(`DnsClient needs an IP literal, got '${server.host}'`);
    // Same text form as the source address of received datagrams, for the source check.
    const host = family === 6 ? formatIPv6(encodeIPv6(server.host)) : server.host;
    this.server = { host, port: server.port };
    this.label = formatHostPort(host, server.port);
    this.trace = options.trace;
  }

  /** Asks one question; resolves with the validated reply (any RCODE), or throws a SockkitError. */
  async query(name: string, type: number, options: DnsQueryOptions): Promise<DnsReply> {
    const socket = await this.udpSocket();
    const id = this.freshId();
    const fqdn = name.endsWith('.') ? name : `${name}.`;
    const packet = encodeQuery(id, fqdn, type);
    const what = `query ${typeName(type)} ${fqdn} @${this.label}`;
    return new Promise<DnsReply>((resolve, reject) => {
      const entry: Pending = {
        id,
        // canonical text form, as the decoder writes the echoed question
        name: (fqdn.includes('\\') ? labelsToName(nameToLabels(fqdn)) : fqdn).toLowerCase(),
        type,
        packet,
        resolve,
        reject,
        onTcp: false,
        deadline: monotonicMs() + options.timeoutMs,
      };
      const finish = () => {
        clearTimeout(entry.timer);
        this.pending.delete(id);
      };
      entry.resolve = (reply) => {
        finish();
        resolve(reply);
      };
      entry.reject = (err) => {
        finish();
        reject(err);
      };
      this.pending.set(id, entry);

      const send = (attempt: number) => {
        if (entry.onTcp) return;
        this.trace?.('send', `${packet.length} bytes to ${this.label} (id ${hexId(id)}, ${typeName(type)} ${fqdn}${attempt > 1 ? `, try ${attempt}` : ''})`);
        socket.send(packet, (err) => {
          if (err) entry.reject(toSockkitError(err, what));
        });
      };
      send(1);
      const interval = options.timeoutMs / UDP_ATTEMPTS;
      let attempt = 1;
      const tick = () => {
        if (attempt < UDP_ATTEMPTS) {
          send(++attempt);
          entry.timer = setTimeout(tick, attempt < UDP_ATTEMPTS ? interval : Math.max(0, entry.deadline - monotonicMs()));
        } else if (entry.malformed) {
          entry.reject(protocolError(what, `no valid reply; the server sent a malformed one (${entry.malformed})`));
        } else {
          entry.reject(timeoutError(what, options.timeoutMs));
        }
      };
      entry.timer = setTimeout(tick, interval);
    });
  }

  /** Fails every query in flight (Ctrl-C, SIGTERM). */
  cancelAll(reason: SockkitError): void {
    for (const entry of [...this.pending.values()]) entry.reject(reason);
  }

  /** Closes the shared socket; call once every query has settled. */
  async close(): Promise<void> {
    const pending = this.socket;
    this.socket = undefined;
    if (!pending) return;
    const socket = await pending.catch(() => undefined);
    if (!socket) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    this.trace?.('close', `udp socket to ${this.label}`);
  }

  // A random 16-bit ID not used by another query in flight (RFC 5452 §4.3), drawn
  // from the CSPRNG 1,024 at a time (a batch asks for thousands).
  private freshId(): number {
    for (;;) {
      if (this.randomIndex >= this.randomIds.length) {
        randomFillSync(this.randomIds);
        this.randomIndex = 0;
      }
      const id = this.randomIds[this.randomIndex++]!;
      if (!this.pending.has(id)) return id;
    }
  }

  private udpSocket(): Promise<UdpSocket> {
    this.socket ??= new Promise<UdpSocket>((resolve, reject) => {
      const type = isIP(this.server.host) === 6 ? 'udp6' : 'udp4';
      const socket = createSocket(type);
      this.trace?.('socket', type);
      socket.once('error', reject);
      // A connected UDP socket: the kernel drops datagrams from any other address or
      // port, and an ICMP "port unreachable" comes back as ECONNREFUSED.
      socket.connect(this.server.port, this.server.host, () => {
        socket.off('error', reject);
        // Room for the replies of a whole batch in flight: the default buffer (~208 KB of
        // kernel accounting) drops replies once a couple of hundred arrive at once.
        try {
          socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
        } catch {
          // capped by net.core.rmem_max: keep the default
        }
        const local = socket.address();
        this.trace?.('connect', `${formatHostPort(local.address, local.port)} → ${this.label} (udp)`);
        socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address, rinfo.port));
        socket.on('error', (err) => this.onSocketError(err));
        resolve(socket);
      });
    });
    return this.socket;
  }

  private onSocketError(err: Error): void {
    const failure = toSockkitError(err, `query @${this.label}`);
    this.trace?.('error', `${failure.why}`);
    for (const entry of [...this.pending.values()]) if (!entry.onTcp) entry.reject(failure);
  }

  private onDatagram(msg: Buffer, address: string, port: number): void {
    this.trace?.('recv', `${msg.length} bytes from ${formatHostPort(address, port)}`);
    // Defence in depth: the connected socket already filters, but never rely on it alone.
    if (address !== this.server.host || port !== this.server.port) return this.ignore(`not from ${this.label}`);
    let header;
    try {
      header = decodeHeader(msg);
    } catch (err) {
      for (const entry of this.pending.values()) entry.malformed = (err as Error).message;
      return this.ignore((err as Error).message);
    }
    const entry = this.pending.get(header.id);
    if (!entry || entry.onTcp) return this.ignore(`id ${hexId(header.id)} matches no query in flight`);
    if (!header.flags.qr) return this.ignore('not a response (QR bit clear)');
    let message: DnsMessage;
    try {
      message = decodeMessage(msg);
    } catch (err) {
      if (!(err instanceof DnsFormatError)) throw err;
      // Right server, right ID, unreadable: nothing better will come for this ID.
      return entry.reject(protocolError(`query ${typeName(entry.type)} ${entry.name} @${this.label}`, `malformed reply: ${err.message}`));
    }
    const mismatch = questionMismatch(message, entry);
    if (mismatch) return this.ignore(mismatch);
    if (message.tc) {
      this.trace?.('truncated', `reply for id ${hexId(entry.id)} has the TC bit: retrying over TCP`);
      entry.onTcp = true;
      // The TCP retry runs inside what is left of the same budget.
      this.queryTcp(entry, Math.max(1, entry.deadline - monotonicMs())).then(entry.resolve, entry.reject);
      return;
    }
    entry.resolve({ message, transport: 'udp' });
  }

  private ignore(why: string): void {
    this.trace?.('ignore', why);
  }

  /** The same question over TCP, each message prefixed with its 2-byte length (RFC 1035 §4.2.2). */
  private queryTcp(entry: Pending, budgetMs: number): Promise<DnsReply> {
    const what = `query ${typeName(entry.type)} ${entry.name} @${this.label} over TCP`;
    return new Promise<DnsReply>((resolve, reject) => {
      this.trace?.('socket', 'tcp');
      const socket = tcpConnect({ host: this.server.host, port: this.server.port });
      let received = Buffer.alloc(0);
      let settled = false;
      const done = (err: SockkitError | undefined, reply?: DnsReply) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        this.trace?.('close', `tcp connection to ${this.label}`);
        if (err) reject(err);
        else resolve(reply!);
      };
      const timer = setTimeout(() => done(timeoutError(what, budgetMs)), budgetMs);
      socket.once('connect', () => {
        this.trace?.('connect', `${formatHostPort(socket.localAddress ?? '?', socket.localPort ?? 0)} → ${this.label} (tcp)`);
        const frame = Buffer.alloc(2 + entry.packet.length);
        frame.writeUInt16BE(entry.packet.length, 0);
        entry.packet.copy(frame, 2);
        this.trace?.('send', `${frame.length} bytes to ${this.label} (id ${hexId(entry.id)}, length-prefixed)`);
        socket.write(frame);
      });
      socket.on('data', (chunk: Buffer) => {
        this.trace?.('recv', `${chunk.length} bytes from ${this.label} (tcp)`);
        received = Buffer.concat([received, chunk]);
        while (received.length >= 2) {
          const length = received.readUInt16BE(0);
          if (received.length < 2 + length) return;
          const frame = received.subarray(2, 2 + length);
          received = received.subarray(2 + length);
          let message: DnsMessage;
          try {
            message = decodeMessage(frame);
          } catch (err) {
            return done(protocolError(what, `malformed reply: ${(err as Error).message}`));
          }
          if (message.id !== entry.id || !message.qr) {
            this.ignore(`tcp reply id ${hexId(message.id)} is not ours`);
            continue;
          }
          const mismatch = questionMismatch(message, entry);
          if (mismatch) return done(protocolError(what, mismatch));
          return done(undefined, { message, transport: 'tcp' });
        }
      });
      socket.on('end', () => done(protocolError(what, 'the server closed the connection before a full reply')));
      socket.on('error', (err) => done(toSockkitError(err, what)));
    });
  }
}

// RFC 5452 §9.1: the reply must carry our question. A server may leave the question
// out of an error reply (FORMERR/REFUSED...), which is accepted only with an error RCODE.
function questionMismatch(message: DnsMessage, entry: Pending): string | undefined {
  if (message.questions.length === 0 && message.rcode !== 0) return undefined;
  const q = message.questions[0];
  if (message.questions.length !== 1 || !q) return `reply has ${message.questions.length} questions`;
  if (q.name.toLowerCase() !== entry.name || q.type !== entry.type || q.class !== CLASS_IN) {
    return `reply is for ${typeName(q.type)} ${q.name}, not our question`;
  }
  return undefined;
}

function hexId(id: number): string {
  return `0x${id.toString(16).padStart(4, '0')}`;
}
