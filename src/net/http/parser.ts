// A pure, incremental HTTP/1.x response parser (RFC 9112). It is fed the bytes
// exactly as they arrive, in any split, and reports the head, body slices and the
// end through callbacks. It owns no socket and never buffers the body: body
// slices are views into the chunk that was fed, valid during onBody only, and
// no reference to a fed chunk is kept after feed() returns (so a caller may
// read into one reused buffer).
//
// Every input that could make a client hang or grow without bound has a limit,
// and every failure is an HttpParseError (a SockkitError with code PROTOCOL and a
// stable `reason`): the parser never throws anything else.
import { SockkitError } from '../shared/errors.js';

export interface HttpLimits {
  /** The status line and each header or trailer line, in bytes. */
  maxLineBytes: number;
  /** All header lines of one response head (and, separately, all trailers). */
  maxHeaderBytes: number;
  /** Interim 1xx responses before the final one (an endless `102 Processing`). */
  maxInterimResponses: number;
  /** A chunk-size line, extensions included (an endless chunk extension). */
  maxChunkLineBytes: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  maxLineBytes: 64 * 1024,
  maxHeaderBytes: 256 * 1024,
  maxInterimResponses: 50,
  maxChunkLineBytes: 4 * 1024,
};

export type HttpParseErrorReason =
  | 'NOT_HTTP'
  | 'BAD_STATUS_LINE'
  | 'BAD_VERSION'
  | 'BAD_STATUS'
  | 'LINE_TOO_LONG'
  | 'HEADERS_TOO_LARGE'
  | 'BAD_HEADER'
  | 'TOO_MANY_INTERIM'
  | 'UNEXPECTED_UPGRADE'
  | 'BAD_CONTENT_LENGTH'
  | 'CONFLICTING_FRAMING'
  | 'UNSUPPORTED_TRANSFER_CODING'
  | 'BAD_CHUNK_SIZE'
  | 'CHUNK_LINE_TOO_LONG'
  | 'BYTES_AFTER_BODY'
  | 'BAD_CHUNK_END'
  | 'TRUNCATED';

export class HttpParseError extends SockkitError {
  constructor(
    readonly reason: HttpParseErrorReason,
    why: string,
  ) {
    super('PROTOCOL', 'bad HTTP response', why);
  }
}

export type HeaderList = Array<[name: string, value: string]>;

export interface ResponseHead {
  /** '2' for a response over HTTP/2 (src/net/http/h2-exchange.ts). */
  httpVersion: '1.0' | '1.1' | '2';
  status: number;
  reason: string;
  /** In the order received, names as sent. */
  headers: HeaderList;
  /** The head exactly as received (status line to blank line), for -v / -i; over HTTP/2, as curl -i shows it. */
  raw: Buffer;
  /** Over HTTP/2: the header list as it came, :status first, one `name: value` a line (-v). */
  wire?: Buffer;
}

/** A transfer coding other than chunked that the client removes (RFC 9112 7.2). */
export type TransferCoding = 'gzip' | 'deflate';

/**
 * How the body is delimited. `transferCoding`: the body as framed is still gzip- or
 * deflate-coded (Transfer-Encoding: gzip [, chunked]) and must be decoded before it
 * is the body; the parser only frames it.
 */
export type BodyFraming =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked'; transferCoding?: TransferCoding }
  | { kind: 'close'; transferCoding?: TransferCoding }
  /** HTTP/2: the body ends with the stream (END_STREAM), checked against content-length when given. */
  | { kind: 'stream'; length: number | null };

export interface ParserHandler {
  /** A 1xx interim response (100 Continue, 102 Processing, 103 Early Hints). */
  onInterim?(head: ResponseHead): void;
  /** The final response head; the body follows. */
  onHead(head: ResponseHead, framing: BodyFraming): void;
  /** A slice of the body (transfer coding removed); valid only during the call. */
  onBody(chunk: Buffer): void;
  onTrailers?(trailers: HeaderList): void;
  /** The message is complete; later bytes are ignored. */
  onComplete(): void;
}

export interface ParserOptions {
  /** A response to HEAD has no body whatever its headers say (RFC 9110 9.3.2). */
  method: string;
  limits?: Partial<HttpLimits>;
}

const enum State {
  StatusLine,
  HeaderLine,
  BodyLength,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  TrailerLine,
  BodyClose,
  Done,
}

const LF = 0x0a;
const CR = 0x0d;
const HTTP_PREFIX = Buffer.from('HTTP/');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, obs-text, SP and HTAB; never NUL, CR or other controls
// (RFC 9110 5.5: a NUL in a header is how request-smuggling and log-injection start).
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;

export class HttpResponseParser {
  private readonly limits: HttpLimits;
  private readonly isHead: boolean;
  private state = State.StatusLine;
  /** Bytes of a line not yet ended by LF (only ever line-sized: bounded by the limits). */
  private line: Buffer[] = [];
  private lineBytes = 0;
  /** The current head: lines so far, and its raw bytes for -v / -i. */
  private headLines: string[] = [];
  private headRaw: Buffer[] = [];
  private headBytes = 0;
  private statusLine = '';
  private interimCount = 0;
  private remaining = 0;
  private sawBytes = false;
  private failure: HttpParseError | undefined;
  /** Final head, once seen. */
  head: ResponseHead | undefined;
  framing: BodyFraming | undefined;
  /** Body bytes delivered (after transfer decoding). */
  bodyBytes = 0;
  /** How many bytes of the last fed chunk belonged to the message (less once it is complete). */
  consumedInLastFeed = 0;

  constructor(
    private readonly handler: ParserHandler,
    options: ParserOptions,
  ) {
    this.limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
    this.isHead = options.method.toUpperCase() === 'HEAD';
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  /** Bytes of an unfinished line held between feeds (bounded by the line limits). */
  get bufferedBytes(): number {
    return this.lineBytes;
  }

  /** True once bytes have arrived: a close before that is "empty reply", not truncation. */
  get started(): boolean {
    return this.sawBytes;
  }

  /**
   * Bytes after a complete Content-Length or chunked body, in the same read: the framing
   * lied, and a client that ignored it could be fed a second, forged response. Throws
   * HttpParseError when the last fed chunk of `chunkLength` bytes held such bytes.
   */
  rejectBytesAfterBody(chunkLength: number): void {
    const kind = this.framing?.kind;
    if (!this.done || (kind !== 'length' && kind !== 'chunked') || this.consumedInLastFeed >= chunkLength) return;
    const extra = chunkLength - this.consumedInLastFeed;
    throw new HttpParseError(
      'BYTES_AFTER_BODY',
      `${extra} bytes after the end of the body (${kind === 'length' ? 'Content-Length is shorter than the body' : 'data after the last chunk'})`,
    );
  }

  /** Feeds the next bytes from the connection. Throws HttpParseError on bad input. */
  feed(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    if (chunk.length > 0) this.sawBytes = true;
    try {
      this.consumedInLastFeed = this.run(chunk);
    } catch (err) {
      if (err instanceof HttpParseError) this.failure = err;
      throw err;
    }
  }

  /**
   * The peer closed the connection. Completes a close-delimited body; any other
   * unfinished message is truncated.
   */
  finish(): void {
    if (this.failure) throw this.failure;
    switch (this.state) {
      case State.Done:
        return;
      case State.BodyClose:
        this.state = State.Done;
        this.handler.onComplete();
        return;
      case State.StatusLine:
        if (!this.sawBytes) throw this.fail('TRUNCATED', 'the server closed the connection without sending a response');
        if (this.lineBytes === 0) throw this.fail('TRUNCATED', 'the connection closed after an interim 1xx response, before the final one');
        throw this.fail('TRUNCATED', 'the connection closed in the middle of the status line');
      case State.HeaderLine:
        throw this.fail('TRUNCATED', 'the connection closed before the end of the headers');
      case State.BodyLength:
        throw this.fail(
          'TRUNCATED',
          `the connection closed after ${this.bodyBytes} of ${this.bodyBytes + this.remaining} body bytes (Content-Length)`,
        );
      default:
        throw this.fail('TRUNCATED', 'the connection closed before the last chunk of a chunked body');
    }
  }

  private fail(reason: HttpParseErrorReason, why: string): HttpParseError {
    this.failure = new HttpParseError(reason, why);
    return this.failure;
  }

  private run(chunk: Buffer): number {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.state) {
        case State.BodyLength: {
          const take = Math.min(this.remaining, chunk.length - pos);
          this.deliver(chunk.subarray(pos, pos + take));
          pos += take;
          this.remaining -= take;
          if (this.remaining === 0) this.complete();
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.remaining, chunk.length - pos);
          this.deliver(chunk.subarray(pos, pos + take));
          pos += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            this.state = State.ChunkDataEnd;
            this.remaining = 2; // CRLF, or a bare LF
          }
          break;
        }
        case State.ChunkDataEnd: {
          // RFC 9112 7.1: chunk-data is followed by CRLF. Anything else means the
          // chunk size lied, which is how response-splitting works: stop.
          const byte = chunk[pos]!;
          if (byte === CR && this.remaining === 2) {
            this.remaining = 1;
            pos++;
          } else if (byte === LF) {
            this.state = State.ChunkSize;
            pos++;
          } else {
            throw this.fail('BAD_CHUNK_END', 'chunk data is not followed by CRLF (the chunk size is wrong)');
          }
          break;
        }
        case State.BodyClose:
          this.deliver(chunk.subarray(pos));
          pos = chunk.length;
          break;
        case State.Done:
          return pos; // bytes after the message: the connection is closed, not reused
        default:
          pos = this.readLine(chunk, pos);
      }
    }
    return pos;
  }

  private deliver(slice: Buffer): void {
    if (slice.length === 0) return;
    this.bodyBytes += slice.length;
    this.handler.onBody(slice);
  }

  /** Collects one line (up to LF) within its limit, then handles it. */
  private readLine(chunk: Buffer, pos: number): number {
    const limit = this.lineLimit();
    const lf = chunk.indexOf(LF, pos);
    const end = lf === -1 ? chunk.length : lf + 1;
    const piece = chunk.subarray(pos, end);
    if (this.state === State.StatusLine && this.lineBytes < HTTP_PREFIX.length) this.checkPrefix(piece);
    if (this.lineBytes + piece.length > limit + 2) this.lineTooLong(limit);
    this.line.push(piece);
    this.lineBytes += piece.length;
    if (this.state === State.HeaderLine || this.state === State.TrailerLine) {
      this.headBytes += piece.length;
      if (this.headBytes > this.limits.maxHeaderBytes) {
        throw this.fail(
          'HEADERS_TOO_LARGE',
          `the ${this.state === State.HeaderLine ? 'headers are' : 'trailers are'} larger than ${kib(this.limits.maxHeaderBytes)}`,
        );
      }
    }
    if (lf === -1) {
      // The caller may reuse its read buffer: keep a copy of a partial line, never a view.
      this.line[this.line.length - 1] = Buffer.from(piece);
      return end;
    }
    const raw = Buffer.concat(this.line, this.lineBytes);
    this.line = [];
    this.lineBytes = 0;
    let text = raw.toString('latin1', 0, raw.length - 1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.length > limit) this.lineTooLong(limit);
    this.handleLine(text, raw);
    return end;
  }

  private lineLimit(): number {
    return this.state === State.ChunkSize ? this.limits.maxChunkLineBytes : this.limits.maxLineBytes;
  }

  private lineTooLong(limit: number): never {
    if (this.state === State.ChunkSize) {
      throw this.fail('CHUNK_LINE_TOO_LONG', `a chunk-size line (with extensions) is longer than ${kib(limit)}`);
    }
    const what = this.state === State.StatusLine ? 'the status line' : this.state === State.HeaderLine ? 'a header line' : 'a trailer line';
    throw this.fail('LINE_TOO_LONG', `${what} is longer than ${kib(limit)}`);
  }

  // Fail on the first bytes of non-HTTP garbage, rather than waiting for a line end.
  private checkPrefix(piece: Buffer): void {
    const start = this.lineBytes;
    const n = Math.min(piece.length, HTTP_PREFIX.length - start);
    for (let i = 0; i < n; i++) {
      if (piece[i] !== HTTP_PREFIX[start + i]) {
        throw this.fail('NOT_HTTP', `not an HTTP response (it starts with ${quoteBytes(Buffer.concat([...this.line, piece]).subarray(0, 16))})`);
      }
    }
  }

  private handleLine(text: string, raw: Buffer): void {
    switch (this.state) {
      case State.StatusLine:
        this.headRaw = [raw];
        this.headBytes = 0;
        this.headLines = [];
        this.statusLine = text;
        this.state = State.HeaderLine;
        return;
      case State.HeaderLine:
        this.headRaw.push(raw);
        if (text === '') return this.endOfHead();
        this.headLines.push(text);
        return;
      case State.ChunkSize:
        return this.chunkSizeLine(text);
      case State.TrailerLine:
        if (text === '') {
          if (this.headLines.length > 0) this.handler.onTrailers?.(parseHeaderLines(this.headLines, (r, w) => this.fail(r, w)));
          return this.complete();
        }
        this.headLines.push(text);
        return;
      default:
        return;
    }
  }

  private endOfHead(): void {
    const { httpVersion, status, reason } = parseStatusLine(this.statusLine, (r, w) => this.fail(r, w));
    const headers = parseHeaderLines(this.headLines, (r, w) => this.fail(r, w));
    const head: ResponseHead = { httpVersion, status, reason, headers, raw: Buffer.concat(this.headRaw) };
    this.headRaw = [];
    this.headLines = [];
    if (status < 200) {
      // RFC 9110 15.2: 1xx responses are interim; the final response follows.
      if (status === 101) throw this.fail('UNEXPECTED_UPGRADE', 'the server switched protocols (101) without being asked to');
      this.interimCount++;
      if (this.interimCount > this.limits.maxInterimResponses) {
        throw this.fail('TOO_MANY_INTERIM', `more than ${this.limits.maxInterimResponses} interim 1xx responses`);
      }
      this.handler.onInterim?.(head);
      this.state = State.StatusLine;
      return;
    }
    const framing = bodyFraming(head, this.isHead, (r, w) => this.fail(r, w));
    this.head = head;
    this.framing = framing;
    this.handler.onHead(head, framing);
    switch (framing.kind) {
      case 'none':
        return this.complete();
      case 'length':
        if (framing.length === 0) return this.complete();
        this.remaining = framing.length;
        this.state = State.BodyLength;
        return;
      case 'chunked':
        this.state = State.ChunkSize;
        return;
      case 'close':
        this.state = State.BodyClose;
        return;
    }
  }

  /** RFC 9112 7.1: chunk-size [ chunk-ext ] CRLF, chunk-size = 1*HEXDIG. */
  private chunkSizeLine(text: string): void {
    const m = /^([0-9A-Fa-f]+)[ \t]*(;.*)?$/.exec(text);
    if (!m) throw this.fail('BAD_CHUNK_SIZE', `bad chunk size ${quote(text)}`);
    const digits = m[1]!.replace(/^0+(?=.)/, '');
    // 13 hex digits is 2^52, within a safe integer; more is an attack on the size arithmetic.
    if (digits.length > 13) throw this.fail('BAD_CHUNK_SIZE', `chunk size ${quote(m[1]!)} is too large`);
    const size = parseInt(digits, 16);
    if (size === 0) {
      this.state = State.TrailerLine;
      this.headBytes = 0;
      this.headLines = [];
      return;
    }
    this.remaining = size;
    this.state = State.ChunkData;
  }

  private complete(): void {
    this.state = State.Done;
    this.handler.onComplete();
  }
}

type Fail = (reason: HttpParseErrorReason, why: string) => HttpParseError;

export function parseStatusLine(line: string, fail: Fail): Pick<ResponseHead, 'httpVersion' | 'status' | 'reason'> {
  const m = /^HTTP\/(\d)\.(\d) (\S*)(?: (.*))?$/.exec(line);
  if (!m) throw fail('BAD_STATUS_LINE', `bad status line ${quote(line)}`);
  const version = `${m[1]}.${m[2]}`;
  if (version !== '1.0' && version !== '1.1') throw fail('BAD_VERSION', `unsupported HTTP version ${version}`);
  const code = m[3]!;
  if (!/^[1-5]\d\d$/.test(code)) throw fail('BAD_STATUS', `bad status code ${quote(code)} (expected three digits, 100-599)`);
  const reason = m[4] ?? '';
  if (BAD_VALUE_CHAR.test(reason)) throw fail('BAD_STATUS_LINE', 'control characters in the reason phrase');
  return { httpVersion: version, status: Number(code), reason };
}

export function parseHeaderLines(lines: string[], fail: Fail): HeaderList {
  const headers: HeaderList = [];
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // RFC 9112 5.2: obsolete line folding; a recipient replaces it with a space.
      const last = headers[headers.length - 1];
      if (!last) throw fail('BAD_HEADER', 'the first header line starts with whitespace');
      if (BAD_VALUE_CHAR.test(line)) throw fail('BAD_HEADER', `control character in header ${quote(last[0])}`);
      last[1] = `${last[1]} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    // RFC 9112 5.1: no whitespace between name and colon (a smuggling vector).
    const name = colon === -1 ? '' : line.slice(0, colon);
    if (!TOKEN.test(name)) throw fail('BAD_HEADER', `bad header line ${quote(line)}`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (BAD_VALUE_CHAR.test(value)) throw fail('BAD_HEADER', `control character (such as NUL) in header ${quote(name)}`);
    headers.push([name, value]);
  }
  return headers;
}

/** Every value of a header, case-insensitively, in order. */
export function headerValues(headers: HeaderList, name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

export function headerValue(headers: HeaderList, name: string): string | undefined {
  const values = headerValues(headers, name);
  return values.length === 0 ? undefined : values.join(', ');
}

/** RFC 9112 6.3: how the body of this response is delimited. */
export function bodyFraming(head: Pick<ResponseHead, 'status' | 'headers'>, isHead: boolean, fail: Fail): BodyFraming {
  const { status, headers } = head;
  if (isHead || status < 200 || status === 204 || status === 304) return { kind: 'none' };
  const te = headerValues(headers, 'transfer-encoding');
  const cl = headerValues(headers, 'content-length');
  if (te.length > 0) {
    // A response with both is how request smuggling and cache poisoning work
    // (RFC 9112 6.3 point 3): refuse it rather than guess.
    if (cl.length > 0) throw fail('CONFLICTING_FRAMING', 'both Transfer-Encoding and Content-Length');
    const codings = te
      .join(',')
      .split(',')
      .map((c) => c.trim().toLowerCase())
      // 'identity' (RFC 2616, since withdrawn) means no coding: the bytes are the body.
      .filter((c) => c !== '' && c !== 'identity');
    const chunked = codings[codings.length - 1] === 'chunked';
    const others = chunked ? codings.slice(0, -1) : codings;
    if (others.includes('chunked')) throw fail('UNSUPPORTED_TRANSFER_CODING', `chunked is not the last transfer coding (${te.join(', ')})`);
    // RFC 9112 6.3: without a final chunked, the body runs until the server closes.
    const kind = chunked ? 'chunked' : 'close';
    if (others.length === 0) return { kind };
    // gzip/deflate are decoded (a gzip stream ends with its own length and CRC, so a
    // truncation is caught too); anything else would be passed off as the body: refuse.
    const transferCoding = others.length === 1 ? knownTransferCoding(others[0]!) : undefined;
    if (!transferCoding) {
      throw fail('UNSUPPORTED_TRANSFER_CODING', `unsupported transfer coding ${quote(others.join(', '))} (sockkit decodes gzip or deflate, with or without chunked)`);
    }
    return { kind, transferCoding };
  }
  if (cl.length > 0) return { kind: 'length', length: contentLength(cl, fail) };
  return { kind: 'close' };
}

function knownTransferCoding(coding: string): TransferCoding | undefined {
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip';
  if (coding === 'deflate') return 'deflate';
  return undefined;
}

/**
 * RFC 9110 8.6: Content-Length = 1*DIGIT. Leading zeros are digits too (curl takes
 * `000…012` as 12): values are compared as numbers, and only the significant digits
 * are bounded (15: within a safe integer); the header line limit bounds the rest.
 */
function contentLength(values: string[], fail: Fail): number {
  const lengths = new Set<number>();
  for (const raw of values.join(',').split(',')) {
    const value = raw.trim();
    if (!/^\d+$/.test(value)) throw fail('BAD_CONTENT_LENGTH', `bad Content-Length ${quote(value)}`);
    const significant = value.replace(/^0+(?=\d)/, '');
    if (significant.length > 15) throw fail('BAD_CONTENT_LENGTH', `Content-Length ${quote(value)} is too large`);
    lengths.add(Number(significant));
  }
  if (lengths.size > 1) throw fail('CONFLICTING_FRAMING', `conflicting Content-Length values (${[...lengths].join(', ')})`);
  return [...lengths][0]!;
}

function kib(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

function quote(text: string, max = 40): string {
  const shown = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(shown);
}

function quoteBytes(bytes: Buffer): string {
  return quote(bytes.toString('latin1'));
}
