// Presentation form of the record types the decoder keeps as raw bytes (DNSSEC, DANE,
// SSHFP, SVCB/HTTPS, NAPTR, URI, HINFO, LOC), written as dig 9.18 prints them on one
// line: base64 and hex cut into 56-character chunks, RRSIG times as YYYYMMDDHHMMSS,
// NSEC type bitmaps by name. Pure. The names in these types are never compressed
// (RFC 3597 §4, RFC 4034 §3.1.7, RFC 9460 §2.2): a record that does not parse as its
// type returns undefined and is shown in RFC 3597's generic form instead.
import { formatIPv6, labelsToName, typeName } from './packet.js';
import { EXTRA_TYPES } from './types.js';

/** Raised inside this module only: the bytes do not fit the type. */
class Unreadable extends Error {}

class Cursor {
  at = 0;
  constructor(readonly bytes: Buffer) {}
  get left(): number {
    return this.bytes.length - this.at;
  }
  need(n: number): void {
    if (n < 0 || this.at + n > this.bytes.length) throw new Unreadable();
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.at++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.bytes.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.bytes.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  take(n: number): Buffer {
    this.need(n);
    const b = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
  rest(): Buffer {
    return this.take(this.left);
  }
  /** An uncompressed name: a pointer here is an error (no compression in these types). */
  name(): string {
    const labels: Buffer[] = [];
    let wire = 1;
    for (;;) {
      const length = this.u8();
      if (length === 0) return labelsToName(labels);
      if (length > 63) throw new Unreadable();
      wire += length + 1;
      if (wire > 255) throw new Unreadable();
      labels.push(this.take(length));
    }
  }
  /** A <character-string>: one length byte, then that many bytes. */
  string(): Buffer {
    return this.take(this.u8());
  }
  end(): void {
    if (this.left !== 0) throw new Unreadable();
  }
}

/** The presentation form of a raw record of `type`, or undefined when sockkit does not format it or it does not parse. */
export function formatTypedRdata(type: number, bytes: Buffer): string | undefined {
  const format = FORMATTERS[type];
  if (!format) return undefined;
  try {
    const c = new Cursor(bytes);
    const text = format(c);
    c.end();
    return text;
  } catch (err) {
    if (err instanceof Unreadable) return undefined;
    throw err;
  }
}

/** dig's one-line style: base64 or hex cut into chunks of 56 characters, separated by spaces. */
function chunked(text: string): string {
  if (text.length <= 56) return text;
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += 56) parts.push(text.slice(i, i + 56));
  return parts.join(' ');
}

const base64 = (b: Buffer) => chunked(b.toString('base64'));
const hex = (b: Buffer) => chunked(b.toString('hex').toUpperCase());

/** A character-string in quotes, as dig escapes it. */
function quoted(b: Buffer): string {
  let text = '"';
  for (const byte of b) {
    if (byte === 0x22 || byte === 0x5c) text += '\\' + String.fromCharCode(byte);
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += '\\' + String(byte).padStart(3, '0');
  }
  return text + '"';
}

/** RFC 4034 §3.2: YYYYMMDDHHmmSS in UTC (serial-number arithmetic aside: 32-bit seconds as given). */
function rrsigTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** RFC 4034 §4.1.2 type bitmap → `A AAAA RRSIG`. */
function typeBitmap(c: Cursor): string {
  const types: string[] = [];
  let lastWindow = -1;
  while (c.left > 0) {
    const window = c.u8();
    const length = c.u8();
    if (window <= lastWindow || length < 1 || length > 32) throw new Unreadable();
    lastWindow = window;
    const bits = c.take(length);
    for (let i = 0; i < bits.length; i++) {
      for (let bit = 0; bit < 8; bit++) if (bits[i]! & (0x80 >> bit)) types.push(typeName(window * 256 + i * 8 + bit));
    }
  }
  return types.join(' ');
}

/** RFC 4648 base32hex, upper case, unpadded (NSEC3's next hashed owner). */
function base32hex(b: Buffer): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUV';
  let bits = 0;
  let value = 0;
  let text = '';
  for (const byte of b) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) text += alphabet[(value << (5 - bits)) & 31];
  return text;
}

const dnskey = (c: Cursor) => `${c.u16()} ${c.u8()} ${c.u8()} ${base64(c.rest())}`;
const ds = (c: Cursor) => `${c.u16()} ${c.u8()} ${c.u8()} ${hex(c.rest())}`;
const svcb = (c: Cursor) => {
  const priority = c.u16();
  const target = c.name();
  const params: string[] = [];
  let lastKey = -1;
  while (c.left > 0) {
    const key = c.u16();
    if (key <= lastKey) throw new Unreadable(); // RFC 9460 §2.2: strictly increasing keys
    lastKey = key;
    params.push(svcParam(key, new Cursor(c.take(c.u16()))));
  }
  return [String(priority), target, ...params].join(' ');
};

const FORMATTERS: Record<number, (c: Cursor) => string> = {
  [EXTRA_TYPES.HINFO]: (c) => `${quoted(c.string())} ${quoted(c.string())}`,
  [EXTRA_TYPES.LOC]: loc,
  [EXTRA_TYPES.NAPTR]: (c) => `${c.u16()} ${c.u16()} ${quoted(c.string())} ${quoted(c.string())} ${quoted(c.string())} ${c.name()}`,
  [EXTRA_TYPES.DS]: ds,
  [EXTRA_TYPES.CDS]: ds,
  [EXTRA_TYPES.SSHFP]: (c) => `${c.u8()} ${c.u8()} ${hex(c.rest())}`,
  [EXTRA_TYPES.RRSIG]: (c) => {
    const covered = typeName(c.u16());
    const [algorithm, labels, ttl] = [c.u8(), c.u8(), c.u32()];
    const [expiration, inception] = [rrsigTime(c.u32()), rrsigTime(c.u32())];
    return `${covered} ${algorithm} ${labels} ${ttl} ${expiration} ${inception} ${c.u16()} ${c.name()} ${base64(c.rest())}`;
  },
  [EXTRA_TYPES.NSEC]: (c) => [c.name(), typeBitmap(c)].filter(Boolean).join(' '),
  [EXTRA_TYPES.DNSKEY]: dnskey,
  [EXTRA_TYPES.CDNSKEY]: dnskey,
  [EXTRA_TYPES.NSEC3]: (c) => {
    const [algorithm, flags, iterations] = [c.u8(), c.u8(), c.u16()];
    const salt = c.string();
    const next = base32hex(c.string());
    return [`${algorithm} ${flags} ${iterations} ${salt.length ? salt.toString('hex').toUpperCase() : '-'} ${next}`, typeBitmap(c)].filter(Boolean).join(' ');
  },
  [EXTRA_TYPES.NSEC3PARAM]: (c) => {
    const [algorithm, flags, iterations] = [c.u8(), c.u8(), c.u16()];
    const salt = c.string();
    return `${algorithm} ${flags} ${iterations} ${salt.length ? salt.toString('hex').toUpperCase() : '-'}`;
  },
  [EXTRA_TYPES.TLSA]: (c) => `${c.u8()} ${c.u8()} ${c.u8()} ${hex(c.rest())}`,
  [EXTRA_TYPES.SVCB]: svcb,
  [EXTRA_TYPES.HTTPS]: svcb,
  [EXTRA_TYPES.URI]: (c) => `${c.u16()} ${c.u16()} ${quoted(c.rest())}`,
};

const SVC_KEYS = ['mandatory', 'alpn', 'no-default-alpn', 'port', 'ipv4hint', 'ech', 'ipv6hint', 'dohpath'];

function svcKeyName(key: number): string {
  return SVC_KEYS[key] ?? `key${key}`;
}

/** One SvcParam as dig prints it (RFC 9460 §7). */
function svcParam(key: number, c: Cursor): string {
  const name = svcKeyName(key);
  switch (key) {
    case 0: {
      const keys: string[] = [];
      while (c.left > 0) keys.push(svcKeyName(c.u16()));
      return `${name}=${keys.join(',')}`;
    }
    case 1: {
      const ids: string[] = [];
      while (c.left > 0) ids.push(svcValueText(c.string(), true));
      return `${name}="${ids.join(',')}"`;
    }
    case 2:
      c.end();
      return name;
    case 3:
      return `${name}=${c.u16()}`;
    case 4: {
      const addresses: string[] = [];
      while (c.left > 0) addresses.push([...c.take(4)].join('.'));
      return `${name}=${addresses.join(',')}`;
    }
    case 5:
      return `${name}="${c.rest().toString('base64')}"`;
    case 6: {
      const addresses: string[] = [];
      while (c.left > 0) addresses.push(formatIPv6(c.take(16)));
      return `${name}=${addresses.join(',')}`;
    }
    default: {
      const value = c.rest();
      return value.length === 0 ? name : `${name}="${svcValueText(value, false)}"`;
    }
  }
}

/** A SvcParam value inside dig's quotes: `"`, `\` (and `,` in an alpn list) escaped, other bytes as \DDD. */
function svcValueText(b: Buffer, inList: boolean): string {
  let text = '';
  for (const byte of b) {
    if (byte === 0x22 || byte === 0x5c) text += '\\' + String.fromCharCode(byte);
    else if (inList && byte === 0x2c) text += '\\\\,';
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += '\\' + String(byte).padStart(3, '0');
  }
  return text;
}

/** RFC 1876 LOC, as BIND prints it: `52 22 23.000 N 4 53 32.000 E -2.00m 1m 10000m 10m`. */
function loc(c: Cursor): string {
  const version = c.u8();
  if (version !== 0) throw new Unreadable();
  const [size, horizontal, vertical] = [c.u8(), c.u8(), c.u8()];
  const [latitude, longitude, altitude] = [c.u32(), c.u32(), c.u32()];
  return `${angle(latitude, 'N', 'S')} ${angle(longitude, 'E', 'W')} ${altitudeText(altitude)} ${precision(size)} ${precision(horizontal)} ${precision(vertical)}`;
}

function angle(raw: number, positive: string, negative: string): string {
  let value = raw - 2 ** 31; // thousandths of a second of arc from the equator or meridian
  const hemisphere = value < 0 ? negative : positive;
  value = Math.abs(value);
  const ms = value % 1000;
  value = Math.floor(value / 1000);
  const seconds = value % 60;
  value = Math.floor(value / 60);
  const minutes = value % 60;
  const degrees = Math.floor(value / 60);
  return `${degrees} ${minutes} ${seconds}.${String(ms).padStart(3, '0')} ${hemisphere}`;
}

function altitudeText(raw: number): string {
  const cm = raw - 10_000_000; // centimetres above 100,000 m below the WGS 84 spheroid
  const abs = Math.abs(cm);
  return `${cm < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}m`;
}

/** A size or precision byte: mantissa × 10^exponent centimetres, in metres as BIND writes it. */
function precision(byte: number): string {
  const mantissa = byte >> 4;
  const exponent = byte & 0x0f;
  if (mantissa > 9 || exponent > 9) throw new Unreadable();
  if (exponent >= 2) return `${mantissa * 10 ** (exponent - 2)}m`;
  return `0.${String(mantissa * 10 ** exponent).padStart(2, '0')}m`;
}
