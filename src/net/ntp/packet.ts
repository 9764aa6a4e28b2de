// The NTP packet codec (RFC 5905 §7.3) as pure functions: encode a client request,
// decode a reply, and the arithmetic of 64-bit NTP timestamps. No sockets here.
//
// Timestamps are kept as raw unsigned 64-bit bigints (32 bits of seconds since
// 1900-01-01, 32 bits of fraction). The seconds field wraps every 2^32 s (era 0 ends
// 2036-02-07T06:28:16Z), so two timestamps are only ever compared as a difference
// modulo 2^64 read as a signed number (RFC 5905 §6), and a timestamp becomes a
// calendar time in the era nearest a local clock reading.
import { protocolError } from '../shared/errors.js';

/** Every NTP header is 48 bytes. */
export const NTP_HEADER_BYTES = 48;
/**
 * The largest reply we accept. Our request is unauthenticated and has no extension
 * fields, so a conforming reply is the bare header, at most followed by a legacy MAC
 * (4-byte key id + up to 20-byte digest, or a 4-byte crypto-NAK). Anything longer is
 * not an answer to what we asked.
 */
export const NTP_MAX_REPLY_BYTES = NTP_HEADER_BYTES + 24;

/** Seconds from the NTP prime epoch (1900-01-01) to the Unix epoch (1970-01-01). */
export const NTP_UNIX_EPOCH_DELTA_SECONDS = 2_208_988_800;

const TWO_32 = 2 ** 32;
const MASK_64 = (1n << 64n) - 1n;
const SIGN_64 = 1n << 63n;

export const NTP_MODE_CLIENT = 3;
export const NTP_MODE_SERVER = 4;

export const MODE_NAMES: Readonly<Record<number, string>> = {
  0: 'reserved',
  1: 'symmetric active',
  2: 'symmetric passive',
  3: 'client',
  4: 'server',
  5: 'broadcast',
  6: 'control',
  7: 'private',
};

export const LEAP_NAMES: Readonly<Record<number, string>> = {
  0: 'no warning',
  1: 'last minute of the day has 61 seconds',
  2: 'last minute of the day has 59 seconds',
  3: 'unknown (clock unsynchronised)',
};

/** A decoded NTP header. Timestamps are raw 64-bit values; short-format fields in seconds. */
export interface NtpPacket {
  leap: number;
  version: number;
  mode: number;
  stratum: number;
  /** log2 of the poll interval in seconds (signed). */
  poll: number;
  /** log2 of the server clock's precision in seconds (signed). */
  precision: number;
  rootDelaySeconds: number;
  rootDispersionSeconds: number;
  /** The reference id as 4 raw bytes (a kiss code, a clock name or an IPv4 address). */
  refId: Uint8Array;
  referenceTimestamp: bigint;
  originTimestamp: bigint;
  receiveTimestamp: bigint;
  transmitTimestamp: bigint;
  /** Total length of the datagram (header plus any trailing MAC). */
  length: number;
}

/**
 * The client request: LI 0, version 4, mode 3, and every field zero except the transmit
 * timestamp, which carries `nonce` (RFC 9109 / draft-ietf-ntp-data-minimization): the
 * real send time stays local, and an attacker off the path cannot guess the value the
 * reply must echo in its origin field.
 */
export function encodeNtpRequest(nonce: bigint): Buffer {
  const packet = Buffer.alloc(NTP_HEADER_BYTES);
  packet[0] = (0 << 6) | (4 << 3) | NTP_MODE_CLIENT;
  packet.writeBigUInt64BE(nonce & MASK_64, 40);
  return packet;
}

/** Encodes a full header (used for tests and hostile test servers). */
export function encodeNtpPacket(p: Omit<NtpPacket, 'length'>): Buffer {
  const packet = Buffer.alloc(NTP_HEADER_BYTES);
  packet[0] = ((p.leap & 3) << 6) | ((p.version & 7) << 3) | (p.mode & 7);
  packet[1] = p.stratum & 0xff;
  packet.writeInt8(clampInt8(p.poll), 2);
  packet.writeInt8(clampInt8(p.precision), 3);
  packet.writeUInt32BE(secondsToShort(p.rootDelaySeconds), 4);
  packet.writeUInt32BE(secondsToShort(p.rootDispersionSeconds), 8);
  Buffer.from(p.refId.subarray(0, 4)).copy(packet, 12);
  packet.writeBigUInt64BE(p.referenceTimestamp & MASK_64, 16);
  packet.writeBigUInt64BE(p.originTimestamp & MASK_64, 24);
  packet.writeBigUInt64BE(p.receiveTimestamp & MASK_64, 32);
  packet.writeBigUInt64BE(p.transmitTimestamp & MASK_64, 40);
  return packet;
}

/**
 * Decodes a reply. The only thing that can make decoding fail is the length: every bit
 * pattern of 48 bytes is a header. Meaning (mode, version, kiss codes) is judged by
 * the validator. Throws a PROTOCOL SockkitError, never anything else.
 */
export function decodeNtpPacket(data: Uint8Array, maxBytes = NTP_MAX_REPLY_BYTES): NtpPacket {
  if (data.length < NTP_HEADER_BYTES) {
    throw protocolError('decode reply', `${data.length}-byte reply is shorter than the ${NTP_HEADER_BYTES}-byte NTP header`);
  }
  if (data.length > maxBytes) {
    const kind = maxBytes === NTP_MAX_REPLY_BYTES ? 'an unauthenticated' : 'an NTS-protected';
    throw protocolError('decode reply', `${data.length}-byte reply is longer than any reply to ${kind} request (at most ${maxBytes} bytes)`);
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  const first = buf[0]!;
  return {
    leap: first >> 6,
    version: (first >> 3) & 7,
    mode: first & 7,
    stratum: buf[1]!,
    poll: buf.readInt8(2),
    precision: buf.readInt8(3),
    rootDelaySeconds: shortToSeconds(buf.readUInt32BE(4)),
    rootDispersionSeconds: shortToSeconds(buf.readUInt32BE(8)),
    refId: Uint8Array.from(buf.subarray(12, 16)),
    referenceTimestamp: buf.readBigUInt64BE(16),
    originTimestamp: buf.readBigUInt64BE(24),
    receiveTimestamp: buf.readBigUInt64BE(32),
    transmitTimestamp: buf.readBigUInt64BE(40),
    length: data.length,
  };
}

/** Reads only the origin timestamp (bytes 24–31), if the datagram is long enough to hold one. */
export function peekOriginTimestamp(data: Uint8Array): bigint | undefined {
  if (data.length < 32) return undefined;
  return Buffer.from(data.buffer, data.byteOffset, data.length).readBigUInt64BE(24);
}

// ---- 32-bit short format (16.16 seconds, unsigned; RFC 5905 §6) ----

export function shortToSeconds(value: number): number {
  return (value >>> 0) / 65536;
}

export function secondsToShort(seconds: number): number {
  if (!(seconds > 0)) return 0;
  return Math.min(0xffffffff, Math.round(seconds * 65536)) >>> 0;
}

// ---- 64-bit timestamps ----

/** (a − b) modulo 2^64, read as a signed 64-bit number of 2^-32 s units (RFC 5905 §6). */
export function timestampDiff(a: bigint, b: bigint): bigint {
  const d = (a - b) & MASK_64;
  return d >= SIGN_64 ? d - (1n << 64n) : d;
}

/** (a − b) in seconds, era-safe: correct across the 2036 rollover as long as |a − b| < 68 years. */
export function timestampDiffSeconds(a: bigint, b: bigint): number {
  const d = timestampDiff(a, b);
  // Split so the conversion to a double keeps sub-nanosecond digits for small differences.
  const whole = d >> 32n; // floor division, also for negative values
  const fraction = d - (whole << 32n);
  return Number(whole) + Number(fraction) / TWO_32;
}

/** A Unix time in ms as an NTP timestamp (modulo 2^64, so dates after 2036 wrap into era 1). */
export function unixMsToTimestamp(unixMs: number): bigint {
  const seconds = Math.floor(unixMs / 1000);
  const fraction = Math.min(TWO_32 - 1, Math.round(((unixMs - seconds * 1000) / 1000) * TWO_32));
  const ntpSeconds = BigInt(seconds) + BigInt(NTP_UNIX_EPOCH_DELTA_SECONDS);
  return ((ntpSeconds << 32n) + BigInt(fraction)) & MASK_64;
}

/**
 * An NTP timestamp as Unix ms, in the era nearest `pivotUnixMs` (the local clock):
 * the pivot plus the signed difference, so a server answering a few seconds after
 * the 2036 rollover (seconds field back near 0) is read as 2036, not 1900.
 */
export function timestampToUnixMs(timestamp: bigint, pivotUnixMs: number): number {
  return pivotUnixMs + timestampDiffSeconds(timestamp, unixMsToTimestamp(pivotUnixMs)) * 1000;
}

export function timestampFromParts(seconds: number, fraction: number): bigint {
  return ((BigInt(seconds >>> 0) << 32n) | BigInt(fraction >>> 0)) & MASK_64;
}

// ---- reference id and kiss codes ----

/**
 * A kiss code (RFC 5905 §7.4): in a stratum-0 packet, the reference id is a
 * left-justified ASCII string of up to four characters, zero-padded. Returns
 * undefined when the bytes are not such a string (e.g. chronyd's all-zero refid
 * when unsynchronised).
 */
export function kissCodeOf(packet: Pick<NtpPacket, 'stratum' | 'refId'>): string | undefined {
  if (packet.stratum !== 0) return undefined;
  return asciiRefId(packet.refId);
}

/** The refid as text: ASCII for stratum 0/1 (kiss code, clock name), dotted IPv4 otherwise. */
export function formatRefId(packet: Pick<NtpPacket, 'stratum' | 'refId'>): string {
  if (packet.stratum <= 1) {
    const text = asciiRefId(packet.refId);
    if (text !== undefined) return text;
  }
  return Array.from(packet.refId.subarray(0, 4)).join('.');
}

export function refIdHex(refId: Uint8Array): string {
  return Buffer.from(refId.subarray(0, 4)).toString('hex');
}

function asciiRefId(refId: Uint8Array): string | undefined {
  let text = '';
  let ended = false;
  for (const byte of refId.subarray(0, 4)) {
    if (byte === 0) {
      ended = true;
      continue;
    }
    if (ended || byte < 0x20 || byte > 0x7e) return undefined;
    text += String.fromCharCode(byte);
  }
  text = text.trimEnd();
  return text === '' ? undefined : text;
}

function clampInt8(n: number): number {
  return Math.max(-128, Math.min(127, Math.trunc(n)));
}
