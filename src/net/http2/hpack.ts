// HPACK (RFC 7541): the header compression of HTTP/2. Integers and strings (with or
// without Huffman), the static table, the dynamic table with its size updates, a
// decoder bounded by the header-list size we allow and by the table size we announced,
// and an encoder. Every failure is an Http2Error with COMPRESSION_ERROR, except a header
// list above our limit, which is the peer sending more than we allowed.
import { ErrorCode, Http2Error } from './frames.js';
import { huffmanDecode, huffmanEncode, huffmanLength } from './huffman.js';

export type HeaderField = [name: string, value: string];

/** RFC 7541 Appendix A. Index 1 is STATIC_TABLE[0]. */
export const STATIC_TABLE: readonly HeaderField[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

/** The per-entry overhead RFC 7541 4.1 counts in the table size and RFC 9113 in the header list size. */
export const ENTRY_OVERHEAD = 32;

export const DEFAULT_TABLE_SIZE = 4096;

const compressionError = (why: string) => new Http2Error(ErrorCode.COMPRESSION_ERROR, `bad HPACK header block: ${why}`);

/** Octets of a field as RFC 7541 counts them (names and values are octets: latin1). */
export function fieldSize([name, value]: HeaderField): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

/** The dynamic table (RFC 7541 2.3.2, 4): newest first, evicted from the oldest end. */
export class DynamicTable {
  private entries: HeaderField[] = [];
  size = 0;

  constructor(public maxSize: number) {}

  get length(): number {
    return this.entries.length;
  }

  /** Entry `i` (0 = newest). */
  at(i: number): HeaderField | undefined {
    return this.entries[i];
  }

  add(field: HeaderField): void {
    const size = fieldSize(field);
    this.evictTo(this.maxSize - size);
    // An entry larger than the table empties it and is not added (RFC 7541 4.4).
    if (size > this.maxSize) return;
    this.entries.unshift(field);
    this.size += size;
  }

  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.evictTo(maxSize);
  }

  private evictTo(limit: number): void {
    while (this.size > Math.max(0, limit) && this.entries.length > 0) this.size -= fieldSize(this.entries.pop()!);
  }
}

/** RFC 7541 5.1: an integer with an N-bit prefix; the prefix byte's other bits are `flags`. */
export function encodeInteger(value: number, prefixBits: number, flags: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [flags | value];
  const out = [flags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/** Larger integers than any size we accept: more would be an attack on the decoder (RFC 7541 7.4). */
const MAX_INTEGER = 2 ** 32 - 1;

export function decodeInteger(block: Buffer, at: number, prefixBits: number): { value: number; next: number } {
  if (at >= block.length) throw compressionError('it ends inside an integer');
  const max = (1 << prefixBits) - 1;
  let value = block[at]! & max;
  let next = at + 1;
  if (value < max) return { value, next };
  for (let shift = 0; ; shift += 7) {
    if (next >= block.length) throw compressionError('it ends inside an integer');
    const byte = block[next++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (value > MAX_INTEGER) throw compressionError('an integer above 2^32');
    if ((byte & 0x80) === 0) return { value, next };
  }
}

export function encodeString(text: string, huffman: 'always' | 'never' | 'shorter'): Buffer {
  const raw = Buffer.from(text, 'latin1');
  const useHuffman = huffman === 'always' || (huffman === 'shorter' && huffmanLength(raw) < raw.length);
  const body = useHuffman ? huffmanEncode(raw) : raw;
  return Buffer.concat([Buffer.from(encodeInteger(body.length, 7, useHuffman ? 0x80 : 0)), body]);
}

export function decodeString(block: Buffer, at: number): { value: string; next: number } {
  const huffman = at < block.length && (block[at]! & 0x80) !== 0;
  const { value: length, next: start } = decodeInteger(block, at, 7);
  if (length > block.length - start) throw compressionError(`a string of ${length} bytes with ${block.length - start} left`);
  const end = start + length;
  const bytes = huffman ? huffmanDecode(block.subarray(start, end)) : block.subarray(start, end);
  if (bytes === null) throw compressionError('a Huffman string with a bad code or padding');
  return { value: bytes.toString('latin1'), next: end };
}

export interface DecoderLimits {
  /** SETTINGS_HEADER_TABLE_SIZE as we announced it: a size update above it is refused. */
  maxTableSize: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: the decoded list (RFC 9113 6.5.2 counting) may not exceed it. */
  maxHeaderListSize: number;
}

/** One connection's HPACK decoder: its dynamic table lives as long as the connection. */
export class HpackDecoder {
  readonly table: DynamicTable;

  constructor(private readonly limits: DecoderLimits) {
    this.table = new DynamicTable(limits.maxTableSize);
  }

  /** A whole header block (HEADERS and its CONTINUATIONs joined) into its fields, in order. */
  decode(block: Buffer): HeaderField[] {
    const fields: HeaderField[] = [];
    let listSize = 0;
    let at = 0;
    while (at < block.length) {
      const byte = block[at]!;
      if ((byte & 0xe0) === 0x20) {
        // Dynamic table size update: only before the first field (RFC 7541 4.2).
        if (fields.length > 0) throw compressionError('a table size update after a header field');
        const { value, next } = decodeInteger(block, at, 5);
        if (value > this.limits.maxTableSize) throw compressionError(`a dynamic table size of ${value}, above the ${this.limits.maxTableSize} we allowed`);
        this.table.resize(value);
        at = next;
        continue;
      }
      const { field, next } = this.decodeField(block, at);
      listSize += fieldSize(field);
      if (listSize > this.limits.maxHeaderListSize) {
        throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `a header list of more than ${this.limits.maxHeaderListSize} bytes (our SETTINGS_MAX_HEADER_LIST_SIZE)`);
      }
      fields.push(field);
      at = next;
    }
    return fields;
  }

  private decodeField(block: Buffer, at: number): { field: HeaderField; next: number } {
    const byte = block[at]!;
    if (byte & 0x80) {
      const { value, next } = decodeInteger(block, at, 7);
      return { field: this.lookup(value), next };
    }
    const incremental = (byte & 0xc0) === 0x40;
    const { value: index, next: afterIndex } = decodeInteger(block, at, incremental ? 6 : 4);
    let name: string;
    let next = afterIndex;
    if (index === 0) {
      ({ value: name, next } = decodeString(block, next));
    } else {
      name = this.lookup(index)[0];
    }
    const value = decodeString(block, next);
    const field: HeaderField = [name, value.value];
    if (incremental) this.table.add(field);
    return { field, next: value.next };
  }

  private lookup(index: number): HeaderField {
    if (index === 0) throw compressionError('index 0');
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const entry = this.table.at(index - STATIC_TABLE.length - 1);
    if (!entry) throw compressionError(`index ${index} is past the end of the table (${STATIC_TABLE.length + this.table.length} entries)`);
    return entry;
  }
}

/** Headers whose values must never enter a table (RFC 7541 7.1.3: secrets guessable by compression). */
const SENSITIVE = new Set(['authorization', 'proxy-authorization', 'cookie']);

export interface EncoderOptions {
  /** The peer's SETTINGS_HEADER_TABLE_SIZE (4096 until it says otherwise). */
  tableSize: number;
  /** Add literal fields to the dynamic table (RFC 7541 6.2.1); without it, no table state at all. */
  indexing: boolean;
  huffman: 'always' | 'never' | 'shorter';
}

export class HpackEncoder {
  readonly table: DynamicTable;

  constructor(private readonly options: EncoderOptions) {
    this.table = new DynamicTable(options.indexing ? options.tableSize : 0);
  }

  encode(fields: readonly HeaderField[]): Buffer {
    const parts: Buffer[] = [];
    for (const field of fields) parts.push(this.encodeField(field));
    return Buffer.concat(parts);
  }

  private encodeField(field: HeaderField): Buffer {
    const [name, value] = field;
    const exact = this.find((f) => f[0] === name && f[1] === value);
    if (exact !== 0 && !SENSITIVE.has(name)) return Buffer.from(encodeInteger(exact, 7, 0x80));
    const nameIndex = this.find((f) => f[0] === name);
    const sensitive = SENSITIVE.has(name);
    const stayOutOfTable = sensitive || !this.options.indexing;
    // 0001: never indexed; 0000: without indexing; 01: with incremental indexing.
    const prefix = sensitive ? encodeInteger(nameIndex, 4, 0x10) : stayOutOfTable ? encodeInteger(nameIndex, 4, 0) : encodeInteger(nameIndex, 6, 0x40);
    const parts: Buffer[] = [Buffer.from(prefix)];
    if (nameIndex === 0) parts.push(encodeString(name, this.options.huffman));
    parts.push(encodeString(value, this.options.huffman));
    if (!stayOutOfTable) this.table.add(field);
    return Buffer.concat(parts);
  }

  /** The index of the first field that matches: static table first, then dynamic; 0 when none. */
  private find(match: (f: HeaderField) => boolean): number {
    const inStatic = STATIC_TABLE.findIndex(match);
    if (inStatic !== -1) return inStatic + 1;
    for (let i = 0; i < this.table.length; i++) if (match(this.table.at(i)!)) return STATIC_TABLE.length + 1 + i;
    return 0;
  }
}
