// NTS Key Establishment records (RFC 8915 §4) as pure functions: the client's request,
// a bounded reader that cuts a TLS byte stream into records, and the verdict on the
// server's response. No sockets here (nts-ke.ts owns the TLS connection).
// (No node:crypto or node:tls here: the output layer and the plain `ntp` command load it.)
import { protocolError, SockkitError } from '../shared/errors.js';

export const NTS_KE_ALPN = 'ntske/1';
export const NTS_KE_DEFAULT_PORT = 4460;
/** The NTS Next Protocol ID of NTPv4 (RFC 8915 §7.7). */
export const NEXT_PROTOCOL_NTPV4 = 0;
/** IANA AEAD registry number of AEAD_AES_SIV_CMAC_256 (RFC 5297), the one AEAD sockkit offers. */
export const AEAD_AES_SIV_CMAC_256 = 15;

export const RecordType = {
  END_OF_MESSAGE: 0,
  NEXT_PROTOCOL: 1,
  ERROR: 2,
  WARNING: 3,
  AEAD: 4,
  NEW_COOKIE: 5,
  SERVER: 6,
  PORT: 7,
} as const;

export const RECORD_NAMES: Readonly<Record<number, string>> = {
  0: 'End of Message',
  1: 'NTS Next Protocol Negotiation',
  2: 'Error',
  3: 'Warning',
  4: 'AEAD Algorithm Negotiation',
  5: 'New Cookie for NTPv4',
  6: 'NTPv4 Server Negotiation',
  7: 'NTPv4 Port Negotiation',
};

export const KE_ERROR_NAMES: Readonly<Record<number, string>> = {
  0: 'Unrecognized Critical Record',
  1: 'Bad Request',
  2: 'Internal Server Error',
};

/** The AEAD algorithms of IANA's registry that a server might name (RFC 5116, RFC 5297, RFC 8452). */
export const AEAD_NAMES: Readonly<Record<number, string>> = {
  1: 'AEAD_AES_128_GCM',
  2: 'AEAD_AES_256_GCM',
  15: 'AEAD_AES_SIV_CMAC_256',
  16: 'AEAD_AES_SIV_CMAC_384',
  17: 'AEAD_AES_SIV_CMAC_512',
  30: 'AEAD_AES_128_GCM_SIV',
  31: 'AEAD_AES_256_GCM_SIV',
};

/** Bounds on what a server may send: 8 cookies of a few hundred bytes fit many times over. */
export const MAX_KE_RECORDS = 256;
export const MAX_KE_RESPONSE_BYTES = 64 * 1024;
/** A cookie longer than this would not leave room in an NTP datagram for the rest of the request. */
export const MAX_COOKIE_BYTES = 1024;

export interface KeRecord {
  critical: boolean;
  type: number;
  body: Buffer;
}

export function encodeRecord({ critical, type, body }: KeRecord): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE((critical ? 0x8000 : 0) | (type & 0x7fff), 0);
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function uint16s(values: readonly number[]): Buffer {
  const body = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => body.writeUInt16BE(v, i * 2));
  return body;
}

/** The client's request: NTPv4, AEAD_AES_SIV_CMAC_256, end (all critical, as RFC 8915 §4.1.x allows). */
export function keRequestRecords(): KeRecord[] {
  return [
    { critical: true, type: RecordType.NEXT_PROTOCOL, body: uint16s([NEXT_PROTOCOL_NTPV4]) },
    { critical: true, type: RecordType.AEAD, body: uint16s([AEAD_AES_SIV_CMAC_256]) },
    { critical: true, type: RecordType.END_OF_MESSAGE, body: Buffer.alloc(0) },
  ];
}

/** Cuts a byte stream into records; throws a PROTOCOL error past the bounds. */
export class KeRecordReader {
  private pending: Buffer = Buffer.alloc(0);
  private total = 0;
  private count = 0;

  /** The complete records in `chunk` (and what was held back before it). */
  push(chunk: Buffer): KeRecord[] {
    this.total += chunk.length;
    if (this.total > MAX_KE_RESPONSE_BYTES) {
      throw protocolError('NTS-KE response', `more than ${MAX_KE_RESPONSE_BYTES} bytes without an End of Message record`);
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const records: KeRecord[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt16BE(2);
      if (this.pending.length < 4 + length) break;
      const word = this.pending.readUInt16BE(0);
      records.push({ critical: (word & 0x8000) !== 0, type: word & 0x7fff, body: Buffer.from(this.pending.subarray(4, 4 + length)) });
      this.pending = this.pending.subarray(4 + length);
      if (++this.count > MAX_KE_RECORDS) throw protocolError('NTS-KE response', `more than ${MAX_KE_RECORDS} records`);
    }
    return records;
  }

  /** Bytes of a record not yet complete. */
  get heldBytes(): number {
    return this.pending.length;
  }
}

export interface KeResponse {
  aead: number;
  cookies: Buffer[];
  /** NTPv4 Server Negotiation: the NTP server to use instead of the KE host. */
  ntpServer?: string;
  /** NTPv4 Port Negotiation: the NTP port to use. */
  ntpPort?: number;
}

/** A KE failure the server caused: exit 7, with the record that caused it. */
export function keError(why: string): SockkitError {
  return protocolError('NTS key exchange', why);
}

/** Records that may appear once in a response. */
const ONCE = new Set<number>([RecordType.NEXT_PROTOCOL, RecordType.AEAD, RecordType.SERVER, RecordType.PORT]);

/**
 * The verdict on a complete response (the records up to and including End of Message).
 * Throws a PROTOCOL SockkitError for an Error or Warning record, an unknown critical
 * record, a missing or refused protocol or algorithm, no cookie, or a malformed or
 * repeated record.
 */
export function interpretKeResponse(records: readonly KeRecord[]): KeResponse {
  const out: KeResponse = { aead: -1, cookies: [] };
  let protocols: number[] | undefined;
  let algorithms: number[] | undefined;
  const seen = new Set<number>();
  for (const record of records) {
    const { type, body } = record;
    if (ONCE.has(type) && seen.has(type)) throw keError(`more than one ${RECORD_NAMES[type]} record`);
    seen.add(type);
    switch (type) {
      case RecordType.END_OF_MESSAGE:
        break;
      case RecordType.ERROR: {
        const code = twoBytes(record);
        throw keError(`the server sent Error record ${code} (${KE_ERROR_NAMES[code] ?? 'unassigned'})`);
      }
      case RecordType.WARNING:
        // No warning code is assigned, and RFC 8915 §4.1.4 treats an unrecognised one as an error (as chrony does).
        throw keError(`the server sent Warning record ${twoBytes(record)}, a code no one has defined (treated as an error)`);
      case RecordType.NEXT_PROTOCOL:
        protocols = uint16List(record);
        break;
      case RecordType.AEAD:
        algorithms = uint16List(record);
        break;
      case RecordType.NEW_COOKIE:
        if (body.length === 0 || body.length > MAX_COOKIE_BYTES) throw keError(`a ${body.length}-byte cookie (1 to ${MAX_COOKIE_BYTES} bytes expected)`);
        out.cookies.push(body);
        break;
      case RecordType.SERVER:
        out.ntpServer = serverName(body);
        break;
      case RecordType.PORT:
        out.ntpPort = twoBytes(record);
        if (out.ntpPort === 0) throw keError('NTPv4 Port Negotiation names port 0');
        break;
      default:
        if (record.critical) throw keError(`unrecognised critical record type ${type} (${body.length} bytes)`);
    }
  }
  if (records[records.length - 1]?.type !== RecordType.END_OF_MESSAGE) throw keError('the response has no End of Message record');
  if (!protocols || protocols.length === 0) throw keError('the server accepted none of the protocols we asked for (NTPv4)');
  if (protocols.length !== 1 || protocols[0] !== NEXT_PROTOCOL_NTPV4) throw keError(`the server chose next protocol ${protocols.join(', ')}, not NTPv4 (0)`);
  if (!algorithms || algorithms.length === 0) throw keError('the server accepted none of the AEAD algorithms we offered (AEAD_AES_SIV_CMAC_256)');
  if (algorithms.length !== 1 || algorithms[0] !== AEAD_AES_SIV_CMAC_256) {
    throw keError(`the server chose AEAD ${algorithms.map(aeadName).join(', ')}, which we did not offer (AEAD_AES_SIV_CMAC_256)`);
  }
  out.aead = algorithms[0];
  if (out.cookies.length === 0) throw keError('the server sent no cookie');
  return out;
}

export function aeadName(id: number): string {
  return AEAD_NAMES[id] ?? `AEAD ${id}`;
}

/** One record, for --trace: its name, critical bit and body. */
export function describeRecord({ critical, type, body }: KeRecord): string {
  const name = RECORD_NAMES[type] ?? `unknown record type ${type}`;
  const flag = critical ? ' (critical)' : '';
  const value = (() => {
    switch (type) {
      case RecordType.END_OF_MESSAGE:
        return '';
      case RecordType.NEXT_PROTOCOL:
        return evenLength(body) ? `: ${[...listOf(body)].map((p) => (p === 0 ? 'NTPv4' : `protocol ${p}`)).join(', ') || 'none'}` : '';
      case RecordType.AEAD:
        return evenLength(body) ? `: ${[...listOf(body)].map(aeadName).join(', ') || 'none'}` : '';
      case RecordType.ERROR:
        return body.length === 2 ? `: ${body.readUInt16BE(0)} (${KE_ERROR_NAMES[body.readUInt16BE(0)] ?? 'unassigned'})` : '';
      case RecordType.WARNING:
      case RecordType.PORT:
        return body.length === 2 ? `: ${body.readUInt16BE(0)}` : '';
      case RecordType.NEW_COOKIE:
        return `: ${body.length} bytes`;
      case RecordType.SERVER:
        return `: ${JSON.stringify(body.toString('latin1'))}`;
      default:
        return `: ${body.length} bytes`;
    }
  })();
  return `${name}${flag}${value}`;
}

function twoBytes(record: KeRecord): number {
  if (record.body.length !== 2) throw keError(`${RECORD_NAMES[record.type]} record of ${record.body.length} bytes (2 expected)`);
  return record.body.readUInt16BE(0);
}

function uint16List(record: KeRecord): number[] {
  if (!evenLength(record.body)) throw keError(`${RECORD_NAMES[record.type]} record of ${record.body.length} bytes (a list of 16-bit values expected)`);
  return [...listOf(record.body)];
}

function evenLength(body: Buffer): boolean {
  return body.length % 2 === 0;
}

function* listOf(body: Buffer): Generator<number> {
  for (let i = 0; i + 1 < body.length; i += 2) yield body.readUInt16BE(i);
}

/** RFC 8915 §4.1.7: an ASCII host name or an IPv4/IPv6 address, at most 255 bytes. */
function serverName(body: Buffer): string {
  const text = body.toString('latin1');
  if (body.length === 0 || body.length > 255 || !/^[A-Za-z0-9.:_-]+$/.test(text)) {
    throw keError(`NTPv4 Server Negotiation names ${JSON.stringify(text.slice(0, 64))}, not a host name or address`);
  }
  return text;
}
