// Zone transfer (AXFR, RFC 5936) on a connection of its own: one query, then every
// message of the answer until the zone's SOA comes a second time. Each message is
// checked (our ID, QR, NOERROR, the question when present); the first record must be
// the zone's SOA and the last the same SOA again (same serial). Bounded by the budget
// and by a record cap, so an endless or oversized transfer ends with a clear error.
import type { Socket } from 'node:net';
import { protocolError, timeoutError, toSockkitError } from '../shared/errors.js';
import { monotonicMs } from '../shared/deadline.js';
import { tracing, type TraceFn } from '../shared/trace.js';
import { hexId, sameName } from './answers.js';
import { decodeMessage, DnsFormatError, encodeQuery, Rcode, rcodeName, RecordType, type DnsMessage, type DnsRecord } from './packet.js';
import { fillRandom } from '../shared/random.js';

export const AXFR = 252;

export interface TransferResult {
  records: DnsRecord[];
  messages: number;
  bytes: number;
  /** The first message, for the header and EDNS views. */
  first: DnsMessage;
  firstRaw: Buffer;
}

/** A refusal or other RCODE from the server: the caller maps it to a status. */
export class TransferRefused extends Error {
  constructor(
    readonly rcode: number,
    readonly message0: DnsMessage,
    readonly raw: Buffer,
  ) {
    super(`the server answered ${rcodeName(rcode)}`);
  }
}

export interface TransferOptions {
  /** Opens the connection (TCP or TLS) within `budgetMs`. */
  open: (budgetMs: number) => Promise<Socket>;
  timeoutMs: number;
  maxRecords: number;
  trace: TraceFn;
  label: string;
}

/** Transfers `zone` (FQDN); rejects with a SockkitError or a TransferRefused. */
export async function transferZone(zone: string, options: TransferOptions): Promise<TransferResult> {
  const what = `AXFR ${zone} @${options.label}`;
  const started = monotonicMs();
  let socket: Socket;
  try {
    socket = await options.open(options.timeoutMs);
  } catch (err) {
    const failure = toSockkitError(err, what);
    throw failure.code === 'TIMEOUT' ? timeoutError(what, options.timeoutMs) : failure;
  }
  const ids = new Uint16Array(1);
  fillRandom(ids);
  const id = ids[0]!;
  const query = encodeQuery(id, zone, AXFR, false);
  const frame = Buffer.concat([Buffer.from([query.length >> 8, query.length & 0xff]), query]);
  options.trace('send', `${frame.length} bytes to ${options.label} (id ${hexId(id)}, AXFR ${zone})`);
  socket.write(frame);
  const reader = new TransferReader(zone, id, options.maxRecords, what);
  return new Promise<TransferResult>((resolve, reject) => {
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      options.trace('close', `tcp connection to ${options.label} (${reader.messages} messages, ${reader.records.length} records)`);
      if (err) reject(err);
      else resolve(reader.result());
    };
    const timer = setTimeout(() => finish(timeoutError(what, options.timeoutMs)), Math.max(1, options.timeoutMs - (monotonicMs() - started)));
    socket.on('data', (chunk: Buffer) => {
      if (tracing(options.trace)) options.trace('recv', `${chunk.length} bytes from ${options.label}`);
      try {
        if (reader.add(chunk)) finish();
      } catch (err) {
        finish(err);
      }
    });
    socket.on('end', () => finish(protocolError(what, `the server closed the connection after ${reader.records.length} records, before the closing SOA`)));
    socket.on('error', (err) => finish(toSockkitError(err, what)));
  });
}

/** Frames and checks the messages of one transfer; pure apart from its own state. */
export class TransferReader {
  records: DnsRecord[] = [];
  messages = 0;
  bytes = 0;
  private buffered: Buffer = Buffer.alloc(0);
  private first?: DnsMessage;
  private firstRaw?: Buffer;
  private serial?: number;

  constructor(
    private readonly zone: string,
    private readonly id: number,
    private readonly maxRecords: number,
    private readonly what: string,
  ) {}

  /** Adds bytes from the connection; true once the closing SOA has come. Throws on anything wrong. */
  add(chunk: Buffer): boolean {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 2 && this.buffered.length >= 2 + this.buffered.readUInt16BE(0)) {
      const raw = Buffer.from(this.buffered.subarray(2, 2 + this.buffered.readUInt16BE(0)));
      this.buffered = this.buffered.subarray(2 + raw.length);
      if (this.onMessage(raw)) return true;
    }
    return false;
  }

  result(): TransferResult {
    return { records: this.records, messages: this.messages, bytes: this.bytes, first: this.first!, firstRaw: this.firstRaw! };
  }

  private onMessage(raw: Buffer): boolean {
    let message: DnsMessage;
    try {
      message = decodeMessage(raw);
    } catch (err) {
      if (err instanceof DnsFormatError) throw protocolError(this.what, `malformed message ${this.messages + 1}: ${err.message}`);
      throw err;
    }
    if (message.id !== this.id || !message.qr) throw protocolError(this.what, `message ${this.messages + 1} is not a reply to our query (id ${hexId(message.id)})`);
    this.messages++;
    this.bytes += raw.length;
    if (this.messages === 1) {
      this.first = message;
      this.firstRaw = raw;
    }
    if (message.rcode !== Rcode.NOERROR) throw new TransferRefused(message.rcode, message, raw);
    const q = message.questions[0];
    if (q && (!sameName(q.name, this.zone) || q.type !== AXFR)) throw protocolError(this.what, `message ${this.messages} is for another question (${q.name})`);
    for (const record of message.answers) {
      if (this.records.length === 0) {
        if (record.type !== RecordType.SOA || !sameName(record.name, this.zone) || record.data.kind !== 'SOA') throw protocolError(this.what, 'the transfer does not start with the zone\'s SOA');
        this.serial = record.data.serial;
        this.records.push(record);
        continue;
      }
      if (this.records.length >= this.maxRecords) throw protocolError(this.what, `more than ${this.maxRecords.toLocaleString('en-US')} records (raise --max-records)`);
      this.records.push(record);
      if (record.type === RecordType.SOA && sameName(record.name, this.zone)) {
        if (record.data.kind !== 'SOA' || record.data.serial !== this.serial) throw protocolError(this.what, 'the closing SOA has another serial than the opening one');
        return true;
      }
    }
    return false;
  }
}
