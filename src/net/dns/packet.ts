// DNS message codec (RFC 1035 §4, RFC 3596 AAAA, RFC 2782 SRV, RFC 8659 CAA,
// RFC 6891 EDNS0, RFC 3597 unknown types). Pure functions over bytes: no sockets,
// no clocks. `decodeMessage` throws only DnsFormatError, whatever the bytes.

import { formatTypedRdata } from './rdata.js';
import { EXTRA_TYPES, NAMED_ONLY_TYPES } from './types.js';

export class DnsFormatError extends Error {
  override readonly name = 'DnsFormatError';
}

/** Record type numbers sockkit knows by name. */
export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DNAME: 39,
  OPT: 41,
  ANY: 255,
  CAA: 257,
} as const;

export const CLASS_IN = 1;

const TYPE_NUMBERS: Record<string, number> = { ...RecordType, ...EXTRA_TYPES, ...NAMED_ONLY_TYPES };
const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE_NUMBERS).map(([name, n]) => [n, name]));

/** `A`, `MX`, ... or the RFC 3597 generic form `TYPE65280`. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** The number of a type name (case-insensitive, `TYPEnnn` allowed), or undefined. */
export function typeNumber(name: string): number | undefined {
  const upper = name.toUpperCase();
  const known = Object.hasOwn(TYPE_NUMBERS, upper) ? TYPE_NUMBERS[upper] : undefined;
  if (known !== undefined) return known;
  const generic = /^TYPE(\d{1,5})$/.exec(upper);
  if (generic && Number(generic[1]) <= 0xffff) return Number(generic[1]);
  return undefined;
}

export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;

// RFC 1035, RFC 2136 (6-10), RFC 6891 (16, extended: needs the OPT record's upper bits),
// RFC 8945/2930/7873 (17-23; names from the IANA registry).
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE', 'DSOTYPENI'];
const EXTENDED_RCODE_NAMES = ['BADVERS', 'BADKEY', 'BADTIME', 'BADMODE', 'BADNAME', 'BADALG', 'BADTRUNC', 'BADCOOKIE'];

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? EXTENDED_RCODE_NAMES[rcode - 16] ?? `RCODE${rcode}`;
}

export type RecordData =
  | { kind: 'A'; address: string }
  | { kind: 'AAAA'; address: string }
  | { kind: 'NAME'; target: string } // CNAME, NS, PTR: one domain name
  | { kind: 'MX'; preference: number; exchange: string }
  | { kind: 'TXT'; strings: Buffer[] }
  | { kind: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { kind: 'SOA'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { kind: 'CAA'; flags: number; tag: string; value: Buffer }
  | { kind: 'RAW'; bytes: Buffer }; // OPT and any type sockkit does not parse

export interface DnsRecord {
  /** Owner name, fully qualified with a trailing dot, in presentation form. */
  name: string;
  type: number;
  /** The class; for OPT records, the requester's UDP payload size. */
  class: number;
  ttl: number;
  data: RecordData;
}

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsFlags {
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  /** RFC 4035 §3.2.3: authentic data (optional on encode: false). */
  ad?: boolean;
  /** RFC 4035 §3.2.2: checking disabled. */
  cd?: boolean;
  rcode: number;
}

/** One EDNS option of an OPT record (RFC 6891 §6.1.2). */
export interface EdnsOption {
  code: number;
  data: Buffer;
}

/** What the OPT pseudo-record of a reply says (RFC 6891 §6.1.3). */
export interface EdnsInfo {
  /** The sender's UDP payload size (the OPT record's class). */
  udpPayload: number;
  version: number;
  /** The upper 8 bits of the 12-bit RCODE, as carried (already merged into `rcode`). */
  extendedRcode: number;
  /** RFC 3225: DNSSEC OK. */
  do?: boolean;
  /** The options, in order (NSID, client subnet, cookie, padding, extended errors...). */
  options?: EdnsOption[];
}

export interface DnsMessage extends DnsFlags {
  id: number;
  /** Present when the additional section holds an OPT record. */
  edns?: EdnsInfo;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/** RFC 8020-ish sanity limits of the wire format (RFC 1035 §2.3.4). */
const MAX_NAME_WIRE_LENGTH = 255;
const MAX_LABEL_LENGTH = 63;
/** EDNS0 UDP payload size recommended by DNS Flag Day 2020: fits without IP fragmentation. */
export const EDNS_UDP_PAYLOAD = 1232;

// ---------------------------------------------------------------- names

/** Splits a presentation-form name into raw labels (handles `\.` and `\DDD` escapes). */
export function nameToLabels(name: string): Buffer[] {
  if (name === '.' || name === '') return [];
  if (!name.includes('\\')) return checkLabels(name.replace(/\.$/, '').split('.').map((l) => Buffer.from(l, 'utf8')), name);
  const labels: Buffer[] = [];
  let current: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch === '\\') {
      const digits = /^\d{3}/.exec(name.slice(i + 1));
      if (digits) {
        const value = Number(digits[0]);
        if (value > 255) throw new DnsFormatError(`bad escape \\${digits[0]} in '${name}'`);
        current.push(value);
        i += 3;
      } else if (i + 1 < name.length) {
        current.push(...Buffer.from(name[i + 1]!, 'utf8'));
        i += 1;
      } else {
        throw new DnsFormatError(`dangling backslash in '${name}'`);
      }
    } else if (ch === '.') {
      if (current.length === 0) throw new DnsFormatError(`empty label in '${name}'`);
      labels.push(Buffer.from(current));
      current = [];
    } else {
      current.push(...Buffer.from(ch, 'utf8'));
    }
  }
  if (current.length > 0) labels.push(Buffer.from(current));
  return checkLabels(labels, name);
}

function checkLabels(labels: Buffer[], name: string): Buffer[] {
  for (const label of labels) {
    if (label.length === 0) throw new DnsFormatError(`empty label in '${name}'`);
    if (label.length > MAX_LABEL_LENGTH) throw new DnsFormatError(`label longer than ${MAX_LABEL_LENGTH} bytes in '${name}'`);
  }
  const wireLength = labels.reduce((sum, l) => sum + l.length + 1, 1);
  if (wireLength > MAX_NAME_WIRE_LENGTH) throw new DnsFormatError(`name longer than ${MAX_NAME_WIRE_LENGTH} bytes on the wire`);
  return labels;
}

// Characters that dig escapes with a backslash inside a label (BIND's dns_name_totext).
const SPECIAL_IN_NAME = new Set([0x22, 0x28, 0x29, 0x2e, 0x3b, 0x5c, 0x40, 0x24]);
/** A label needing any escape: a special character, a space or control byte, or a byte over 0x7e. */
const NEEDS_ESCAPE = /[\x00-\x20"().;\\@$\x7f-\xff]/;

function labelToText(buf: Buffer, start: number, end: number): string {
  // Fast path: letters, digits, '-', '_' and other plain printable bytes need no escapes.
  // One native slice and one regexp test, not a loop over bytes: a batch decodes its
  // first thousand replies before V8 has compiled this function.
  const plain = buf.toString('latin1', start, end);
  if (!NEEDS_ESCAPE.test(plain)) return plain;
  let text = '';
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    if (SPECIAL_IN_NAME.has(byte)) text += '\\' + String.fromCharCode(byte);
    else if (byte > 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += '\\' + String(byte).padStart(3, '0');
  }
  return text;
}

/**
 * A fully qualified name as the decoder writes a reply's echoed question (escapes made
 * canonical, lower case): what transports match replies against.
 */
export function echoedQuestionName(fqdn: string): string {
  return (fqdn.includes('\\') ? labelsToName(nameToLabels(fqdn)) : fqdn).toLowerCase();
}

/** Raw labels → fully qualified presentation form, e.g. `www.example.` (root: `.`). */
export function labelsToName(labels: Buffer[]): string {
  if (labels.length === 0) return '.';
  return labels.map((label) => labelToText(label, 0, label.length)).join('.') + '.';
}

// ---------------------------------------------------------------- encoding

class Writer {
  private buf = Buffer.alloc(512);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.length);
    this.length += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  name(name: string): void {
    for (const label of nameToLabels(name)) {
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }
  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at);
  }
  result(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

function encodeIPv4(address: string): Buffer {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new DnsFormatError(`bad IPv4 address '${address}'`);
  }
  return Buffer.from(parts.map(Number));
}

/** Expands an IPv6 literal (with `::` and an optional embedded IPv4 tail) into 16 bytes. */
export function encodeIPv6(address: string): Buffer {
  const text = address.replace(/%.*$/, '');
  let tail: number[] = [];
  let head = text;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = encodeIPv4(v4[1]!);
    tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    head = text.slice(0, -v4[1]!.length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) throw new DnsFormatError(`bad IPv6 address '${address}'`);
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new DnsFormatError(`bad IPv6 address '${address}'`);
    return parseInt(g, 16);
  }));
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - left.length - right.length - tail.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) {
    throw new DnsFormatError(`bad IPv6 address '${address}'`);
  }
  const groups = [...left, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...right, ...tail];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function encodeRecordData(w: Writer, record: DnsRecord): void {
  const d = record.data;
  switch (d.kind) {
    case 'A':
      return w.bytes(encodeIPv4(d.address));
    case 'AAAA':
      return w.bytes(encodeIPv6(d.address));
    case 'NAME':
      return w.name(d.target);
    case 'MX':
      w.u16(d.preference);
      return w.name(d.exchange);
    case 'TXT':
      for (const s of d.strings) {
        if (s.length > 255) throw new DnsFormatError('TXT string longer than 255 bytes');
        w.u8(s.length);
        w.bytes(s);
      }
      return;
    case 'SRV':
      w.u16(d.priority);
      w.u16(d.weight);
      w.u16(d.port);
      return w.name(d.target);
    case 'SOA':
      w.name(d.mname);
      w.name(d.rname);
      for (const n of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) w.u32(n);
      return;
    case 'CAA': {
      const tag = Buffer.from(d.tag, 'ascii');
      w.u8(d.flags);
      w.u8(tag.length);
      w.bytes(tag);
      return w.bytes(d.value);
    }
    case 'RAW':
      return w.bytes(d.bytes);
  }
}

/** A record's RDATA alone, uncompressed, names as held (DNSSEC's canonical form starts here). */
export function encodeRdata(record: DnsRecord): Buffer {
  const w = new Writer();
  encodeRecordData(w, record);
  return w.result();
}

function encodeRecord(w: Writer, record: DnsRecord): void {
  w.name(record.name);
  w.u16(record.type);
  w.u16(record.class);
  w.u32(record.ttl);
  const lengthAt = w.length;
  w.u16(0);
  encodeRecordData(w, record);
  const rdlength = w.length - lengthAt - 2;
  if (rdlength > 0xffff) throw new DnsFormatError('record data longer than 65535 bytes');
  w.setU16(lengthAt, rdlength);
}

/** Encodes a whole message (no name compression: a decoder must accept that too). */
export function encodeMessage(message: Partial<DnsMessage> & { id: number }): Buffer {
  const w = new Writer();
  const questions = message.questions ?? [];
  const answers = message.answers ?? [];
  const authorities = message.authorities ?? [];
  const additionals = message.additionals ?? [];
  w.u16(message.id & 0xffff);
  w.u16(
    (message.qr ? 0x8000 : 0) |
      (((message.opcode ?? 0) & 0xf) << 11) |
      (message.aa ? 0x0400 : 0) |
      (message.tc ? 0x0200 : 0) |
      (message.rd ? 0x0100 : 0) |
      (message.ra ? 0x0080 : 0) |
      (message.ad ? 0x0020 : 0) |
      (message.cd ? 0x0010 : 0) |
      ((message.rcode ?? 0) & 0xf),
  );
  for (const section of [questions, answers, authorities, additionals]) w.u16(section.length);
  for (const q of questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const r of [...answers, ...authorities]) encodeRecord(w, r);
  const upperRcode = (message.rcode ?? 0) >> 4;
  if (upperRcode !== 0 && !additionals.some((r) => r.type === RecordType.OPT)) {
    throw new DnsFormatError(`RCODE ${message.rcode} needs an OPT record to carry its upper bits`);
  }
  for (const r of additionals) {
    // RFC 6891 §6.1.3: the OPT TTL's top byte holds the RCODE's upper 8 bits (an OPT
    // record is written as given when the RCODE has none)
    const carriesRcode = r.type === RecordType.OPT && upperRcode !== 0;
    encodeRecord(w, carriesRcode ? { ...r, ttl: ((upperRcode << 24) | (r.ttl & 0xffffff)) >>> 0 } : r);
  }
  return w.result();
}

/**
 * A recursion-desired query for one name and type, with an EDNS0 OPT record
 * (RFC 6891 §6.1.2: root owner, class = UDP payload size). Built directly, without
 * the general encoder: the batch path sends thousands of these.
 */
export function encodeQuery(id: number, name: string, type: number, edns = true): Buffer {
  // allocUnsafe takes a slice of Node's shared pool (less GC in a batch): every byte is
  // written below, byte by byte (writeUInt16BE's range checks cost more than the writes).
  const buf = Buffer.allocUnsafe(12 + nameWireLengthBound(name) + 4 + (edns ? 11 : 0));
  buf[0] = (id >> 8) & 0xff;
  buf[1] = id & 0xff;
  buf[2] = 0x01; // RD
  buf[3] = 0;
  buf[4] = 0; // QDCOUNT 1
  buf[5] = 1;
  buf[6] = buf[7] = buf[8] = buf[9] = 0; // ANCOUNT, NSCOUNT (stores, not fill(): its argument checks cost more)
  buf[10] = 0; // ARCOUNT: the OPT record
  buf[11] = edns ? 1 : 0;
  let at = writeName(buf, 12, name);
  at = writeU16(buf, at, type);
  at = writeU16(buf, at, CLASS_IN);
  if (edns) {
    buf[at++] = 0; // root owner name
    at = writeU16(buf, at, RecordType.OPT);
    at = writeU16(buf, at, EDNS_UDP_PAYLOAD);
    // extended RCODE, version, flags (RFC 6891 §6.1.3); RDLENGTH 0: no options
    buf[at] = buf[at + 1] = buf[at + 2] = buf[at + 3] = buf[at + 4] = buf[at + 5] = 0;
    at += 6;
  }
  return at === buf.length ? buf : buf.subarray(0, at);
}

function writeU16(buf: Buffer, at: number, value: number): number {
  buf[at] = value >> 8;
  buf[at + 1] = value & 0xff;
  return at + 2;
}

/**
 * Checks a presentation-form name against the wire limits (empty labels, 63-byte labels,
 * 255-byte names, escapes) without building it; throws DnsFormatError.
 */
export function checkName(name: string): void {
  writeName(Buffer.allocUnsafe(nameWireLengthBound(name)), 0, name);
}

/** Room `writeName` needs: exact for a name without escapes, an upper bound with them. */
function nameWireLengthBound(name: string): number {
  return Buffer.byteLength(name, 'utf8') + (name.endsWith('.') ? 1 : 2);
}

/**
 * Writes `name` in wire form (length-prefixed labels, then the root label) at `at` and
 * returns the offset after it. A name without `\` escapes is written in one go, its text
 * and then each dot turned into the length of the label after it: a batch encodes
 * thousands, and a Buffer per label was most of the cost. (A dot byte never occurs
 * inside a multi-byte UTF-8 character.)
 */
function writeName(buf: Buffer, at: number, name: string): number {
  if (name === '.' || name === '') {
    buf[at] = 0;
    return at + 1;
  }
  if (name.includes('\\')) {
    for (const label of nameToLabels(name)) {
      buf[at++] = label.length;
      buf.set(label, at);
      at += label.length;
    }
    buf[at] = 0;
    return at + 1;
  }
  const text = name.endsWith('.') ? name.slice(0, -1) : name;
  const end = at + 1 + buf.write(text, at + 1, 'utf8');
  // Each dot found by a native search, not a loop over bytes (bytes past `end` are
  // unwritten pool memory: a dot there does not count).
  for (let lengthAt = at; lengthAt < end; ) {
    let dot = buf.indexOf(0x2e, lengthAt + 1);
    if (dot === -1 || dot > end) dot = end;
    const length = dot - lengthAt - 1;
    if (length === 0) throw new DnsFormatError(`empty label in '${name}'`);
    if (length > MAX_LABEL_LENGTH) throw new DnsFormatError(`label longer than ${MAX_LABEL_LENGTH} bytes in '${name}'`);
    buf[lengthAt] = length;
    lengthAt = dot;
  }
  buf[end] = 0;
  if (end + 1 - at > MAX_NAME_WIRE_LENGTH) throw new DnsFormatError(`name longer than ${MAX_NAME_WIRE_LENGTH} bytes on the wire`);
  return end + 1;
}

// ---------------------------------------------------------------- decoding

class Reader {
  offset = 0;
  /**
   * The first name read without pointers (the question's), by offset: the answers'
   * owner names point at it (0xC00C), and reading it again is most of their cost.
   */
  private firstNameAt = -1;
  private firstName = '';
  constructor(readonly buf: Buffer) {}

  need(n: number, what: string): void {
    if (this.offset + n > this.buf.length) throw new DnsFormatError(`message truncated in ${what}`);
  }
  // Plain byte arithmetic: Buffer's readUInt16BE/readUInt32BE check their arguments again.
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.offset++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const b = this.buf;
    const at = this.offset;
    this.offset = at + 2;
    return (b[at]! << 8) | b[at + 1]!;
  }
  /** The 16-bit value at `at` of the header (checked long enough by the caller). */
  u16At(at: number): number {
    return (this.buf[at]! << 8) | this.buf[at + 1]!;
  }
  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const at = this.offset;
    this.offset = at + 4;
    return b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  /**
   * A possibly compressed name (RFC 1035 §4.1.4). Each pointer must point strictly
   * before the label that holds it, so a chain of pointers always moves backwards and
   * ends: a pointer loop (the classic decompression DoS) is rejected, not followed.
   */
  name(what: string): string {
    return this.walkName(what, true);
  }

  /** Steps over a name with every check of name(), building no text. */
  skipName(what: string): void {
    this.walkName(what, false);
  }

  private walkName(what: string, build: boolean): string {
    const start = this.offset;
    if (build && this.firstNameAt !== -1 && start + 1 < this.buf.length && this.buf[start]! >= 0xc0) {
      const target = ((this.buf[start]! & 0x3f) << 8) | this.buf[start + 1]!;
      if (target === this.firstNameAt) {
        this.offset = start + 2;
        return this.firstName;
      }
    }
    let text = '';
    let wireLength = 1;
    let at = start;
    let resumeAt = -1; // where reading continues after the first pointer
    let lowestSeen = at;
    for (;;) {
      if (at >= this.buf.length) throw new DnsFormatError(`message truncated in ${what}`);
      const len = this.buf[at]!;
      if (len === 0) {
        at += 1;
        break;
      }
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (at + 1 >= this.buf.length) throw new DnsFormatError(`message truncated in ${what}`);
        const target = ((len & 0x3f) << 8) | this.buf[at + 1]!;
        if (target >= lowestSeen) throw new DnsFormatError(`compression pointer loop in ${what}`);
        if (resumeAt === -1) resumeAt = at + 2;
        at = target;
        lowestSeen = target;
        continue;
      }
      if (kind !== 0) throw new DnsFormatError(`unsupported label type 0x${kind.toString(16)} in ${what}`);
      if (at + 1 + len > this.buf.length) throw new DnsFormatError(`message truncated in ${what}`);
      wireLength += len + 1;
      if (wireLength > MAX_NAME_WIRE_LENGTH) throw new DnsFormatError(`name longer than 255 bytes in ${what}`);
      if (build) text += labelToText(this.buf, at + 1, at + 1 + len) + '.';
      at += 1 + len;
    }
    this.offset = resumeAt === -1 ? at : resumeAt;
    if (text === '') return '.';
    if (build && resumeAt === -1 && this.firstNameAt === -1) {
      this.firstNameAt = start;
      this.firstName = text;
    }
    return text;
  }
}

function decodeIPv4(b: Buffer): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text form, as BIND's inet_ntop writes it (dig's AAAA output). */
export function formatIPv6(b: Buffer): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i));
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) text += ':';
      continue;
    }
    if (i !== 0) text += ':';
    // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) forms
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      text += decodeIPv4(b.subarray(12, 16));
      break;
    }
    text += words[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) text += ':';
  return text;
}

function decodeRecordData(r: Reader, type: number, rdlength: number, what: string): RecordData {
  const end = r.offset + rdlength;
  r.need(rdlength, what);
  const data = decodeKnownData(r, type, end, what);
  if (r.offset !== end) throw new DnsFormatError(`record data length mismatch in ${what}`);
  return data;
}

function decodeKnownData(r: Reader, type: number, end: number, what: string): RecordData {
  const rdlength = end - r.offset;
  switch (type) {
    case RecordType.A: {
      if (rdlength !== 4) throw new DnsFormatError(`A record of ${rdlength} bytes in ${what}`);
      // read in place: a subarray per answer only to read four bytes was a Buffer object per reply
      const { buf, offset } = r;
      r.offset = offset + 4;
      return { kind: 'A', address: `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}` };
    }
    case RecordType.AAAA:
      if (rdlength !== 16) throw new DnsFormatError(`AAAA record of ${rdlength} bytes in ${what}`);
      return { kind: 'AAAA', address: formatIPv6(r.bytes(16, what)) };
    case RecordType.CNAME:
    case RecordType.DNAME:
    case RecordType.NS:
    case RecordType.PTR:
      return { kind: 'NAME', target: r.name(what) };
    case RecordType.MX:
      return { kind: 'MX', preference: r.u16(what), exchange: r.name(what) };
    case RecordType.TXT: {
      const strings: Buffer[] = [];
      while (r.offset < end) {
        const len = r.u8(what);
        if (r.offset + len > end) throw new DnsFormatError(`TXT string overruns its record in ${what}`);
        strings.push(Buffer.from(r.bytes(len, what)));
      }
      return { kind: 'TXT', strings };
    }
    case RecordType.SRV:
      return { kind: 'SRV', priority: r.u16(what), weight: r.u16(what), port: r.u16(what), target: r.name(what) };
    case RecordType.SOA:
      return {
        kind: 'SOA',
        mname: r.name(what),
        rname: r.name(what),
        serial: r.u32(what),
        refresh: r.u32(what),
        retry: r.u32(what),
        expire: r.u32(what),
        minimum: r.u32(what),
      };
    case RecordType.CAA: {
      const flags = r.u8(what);
      const tagLength = r.u8(what);
      if (r.offset + tagLength > end) throw new DnsFormatError(`CAA tag overruns its record in ${what}`);
      const tag = r.bytes(tagLength, what).toString('latin1');
      return { kind: 'CAA', flags, tag, value: Buffer.from(r.bytes(end - r.offset, what)) };
    }
    default:
      return { kind: 'RAW', bytes: Buffer.from(r.bytes(rdlength, what)) };
  }
}

function decodeRecord(r: Reader, what: string): DnsRecord {
  const name = r.name(what);
  const type = r.u16(what);
  const cls = r.u16(what);
  const ttl = r.u32(what);
  const rdlength = r.u16(what);
  return { name, type, class: cls, ttl, data: decodeRecordData(r, type, rdlength, `${typeName(type)} record of ${what}`) };
}

/** Steps over one record: owner name and framing checked, nothing built; returns its type. */
function skipRecord(r: Reader, what: string): number {
  r.skipName(what);
  r.need(10, what);
  const type = r.u16(what);
  r.offset += 6; // class, TTL
  const rdlength = r.u16(what);
  r.need(rdlength, what);
  r.offset += rdlength;
  return type;
}

export interface DecodeOptions {
  /**
   * Build only the question and answer sections. The authority and additional
   * sections are still walked and checked for framing, but not built: a resolver
   * that prints answers skips most of the work of each reply.
   */
  answersOnly?: boolean;
}

/**
 * Decodes a whole message. Every count is checked against the bytes actually there
 * (each entry needs at least 5 bytes), so a header claiming 65535 records costs nothing.
 */
export function decodeMessage(buf: Buffer, options: DecodeOptions = {}): DnsMessage {
  if (buf.length < 12) throw new DnsFormatError(`message of ${buf.length} bytes is shorter than a DNS header`);
  // The header's fields written straight into the message (no flags object spread into it: once per reply)
  const bits = (buf[2]! << 8) | buf[3]!;
  // the sections' arrays made apart: an object literal holding array literals is copied by the runtime, a flat one is not
  const questions: DnsQuestion[] = [];
  const answers: DnsRecord[] = [];
  const authorities: DnsRecord[] = [];
  const additionals: DnsRecord[] = [];
  const message: DnsMessage = {
    id: (buf[0]! << 8) | buf[1]!,
    qr: (bits & 0x8000) !== 0,
    opcode: (bits >> 11) & 0xf,
    aa: (bits & 0x0400) !== 0,
    tc: (bits & 0x0200) !== 0,
    rd: (bits & 0x0100) !== 0,
    ra: (bits & 0x0080) !== 0,
    ad: (bits & 0x0020) !== 0,
    cd: (bits & 0x0010) !== 0,
    rcode: bits & 0xf,
    questions,
    answers,
    authorities,
    additionals,
  };
  const r = new Reader(buf);
  const qdcount = r.u16At(4);
  r.offset = 12;
  for (let i = 0; i < qdcount; i++) {
    const name = r.name('question');
    message.questions.push({ name, type: r.u16('question'), class: r.u16('question') });
  }
  decodeSection(r, message.answers, r.u16At(6), 'answer section', false);
  decodeSection(r, message.authorities, r.u16At(8), 'authority section', options.answersOnly === true);
  const opts: DnsRecord[] = [];
  decodeSection(r, message.additionals, r.u16At(10), 'additional section', options.answersOnly === true, opts);
  if (opts.length > 1) throw new DnsFormatError(`${opts.length} OPT records in the additional section (RFC 6891 allows one)`);
  const opt = opts[0];
  if (opt) {
    const extendedRcode = opt.ttl >>> 24;
    message.edns = { udpPayload: opt.class, version: (opt.ttl >>> 16) & 0xff, extendedRcode };
    if (opt.ttl & 0x8000) message.edns.do = true;
    if (opt.data.kind === 'RAW' && opt.data.bytes.length > 0) message.edns.options = decodeEdnsOptions(opt.data.bytes);
    message.rcode |= extendedRcode << 4;
  }
  return message;
}

/**
 * The options of an OPT record's data: code, length, bytes, to the end (RFC 6891 §6.1.2).
 * Each option's bytes are a view of `bytes`, the record's own copy (not of a read
 * buffer): a DoT or DoH answer's padding, 400 bytes of it, is not copied a second time.
 */
export function decodeEdnsOptions(bytes: Buffer): EdnsOption[] {
  const options: EdnsOption[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (at + 4 > bytes.length) throw new DnsFormatError('EDNS option truncated in the OPT record');
    const code = bytes.readUInt16BE(at);
    const length = bytes.readUInt16BE(at + 2);
    if (at + 4 + length > bytes.length) throw new DnsFormatError(`EDNS option ${code} overruns the OPT record`);
    options.push({ code, data: bytes.subarray(at + 4, at + 4 + length) });
    at += 4 + length;
  }
  return options;
}

/** Decodes (or, with `skip`, only walks) `count` records; OPT records also go to `opts`, skipped or not. */
function decodeSection(r: Reader, records: DnsRecord[], count: number, what: string, skip: boolean, opts?: DnsRecord[]): void {
  for (let i = 0; i < count; i++) {
    const start = r.offset;
    if (skip) {
      if (skipRecord(r, what) !== RecordType.OPT || !opts) continue;
      r.offset = start;
      opts.push(decodeRecord(r, what));
      continue;
    }
    const record = decodeRecord(r, what);
    records.push(record);
    if (opts && record.type === RecordType.OPT) opts.push(record);
  }
}

// ---------------------------------------------------------------- presentation

/** A character-string in quotes with dig's escapes: `"`, `\` and non-printable bytes. */
function quoteString(bytes: Buffer): string {
  let text = '"';
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c) text += '\\' + String.fromCharCode(byte);
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += '\\' + String(byte).padStart(3, '0');
  }
  return text + '"';
}

/** Record data in zone-file presentation form, as dig prints it on one line. */
export function formatRecordData(record: DnsRecord): string {
  const d = record.data;
  switch (d.kind) {
    case 'A':
    case 'AAAA':
      return d.address;
    case 'NAME':
      return d.target;
    case 'MX':
      return `${d.preference} ${d.exchange}`;
    case 'TXT':
      return d.strings.map(quoteString).join(' ');
    case 'SRV':
      return `${d.priority} ${d.weight} ${d.port} ${d.target}`;
    case 'SOA':
      return `${d.mname} ${d.rname} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'CAA':
      return `${d.flags} ${d.tag} ${quoteString(d.value)}`;
    case 'RAW':
      // the types rdata.ts knows; else (or unreadable as its type) RFC 3597 §5 generic form
      return formatTypedRdata(record.type, d.bytes) ?? (d.bytes.length === 0 ? '\\# 0' : `\\# ${d.bytes.length} ${d.bytes.toString('hex').toUpperCase()}`);
  }
}
