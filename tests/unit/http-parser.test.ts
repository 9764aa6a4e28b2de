import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  HttpParseError,
  HttpResponseParser,
  type BodyFraming,
  type HeaderList,
  type HttpParseErrorReason,
  type ResponseHead,
} from '../../src/net/http/parser.js';

interface Parsed {
  interim: number[];
  head?: ResponseHead;
  framing?: BodyFraming;
  body: Buffer;
  trailers?: HeaderList;
  complete: boolean;
}

/** Feeds `input` in the given pieces; `eof` then says the peer closed. */
function parse(pieces: Array<string | Buffer>, options: { method?: string; eof?: boolean; limits?: object } = {}): Parsed {
  const result: Parsed = { interim: [], body: Buffer.alloc(0), complete: false };
  const chunks: Buffer[] = [];
  const parser = new HttpResponseParser(
    {
      onInterim: (h) => result.interim.push(h.status),
      onHead: (h, f) => {
        result.head = h;
        result.framing = f;
      },
      onBody: (c) => chunks.push(Buffer.from(c)),
      onTrailers: (t) => (result.trailers = t),
      onComplete: () => (result.complete = true),
    },
    { method: options.method ?? 'GET', limits: options.limits },
  );
  for (const p of pieces) parser.feed(Buffer.isBuffer(p) ? p : Buffer.from(p, 'latin1'));
  if (options.eof) parser.finish();
  result.body = Buffer.concat(chunks);
  return result;
}

function parseError(pieces: Array<string | Buffer>, options: { method?: string; eof?: boolean; limits?: object } = {}): HttpParseError {
  try {
    parse(pieces, options);
  } catch (err) {
    if (err instanceof HttpParseError) return err;
    throw err;
  }
  throw new Error('expected an HttpParseError');
}

function expectReason(pieces: Array<string | Buffer>, reason: HttpParseErrorReason, options: { method?: string; eof?: boolean; limits?: object } = {}) {
  const err = parseError(pieces, options);
  expect(err.reason).toBe(reason);
  expect(err.code).toBe('PROTOCOL');
  return err;
}

/** Splits text at the given cut points. */
function split(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let last = 0;
  for (const p of points) {
    out.push(text.slice(last, p));
    last = p;
  }
  out.push(text.slice(last));
  return out;
}

describe('HttpResponseParser: framing (RFC 9112 6.3)', () => {
  test('Content-Length body, then bytes after it are not body', () => {
    const r = parse(['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhelloEXTRA']);
    expect(r.head?.status).toBe(200);
    expect(r.head?.reason).toBe('OK');
    expect(r.head?.headers).toEqual([
      ['Content-Length', '5'],
      ['X-A', 'b'],
    ]);
    expect(r.body.toString()).toBe('hello');
    expect(r.complete).toBe(true);
  });

  test('the raw head is kept byte for byte (for -i and -v)', () => {
    const head = 'HTTP/1.1 200 OK\r\nServer:  x \r\nContent-Length: 0\r\n\r\n';
    expect(parse([head]).head?.raw.toString('latin1')).toBe(head);
  });

  test('chunked with extensions and trailers', () => {
    const r = parse([
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
      '5;name=value;x="q"\r\nhello\r\n',
      '6 ; ext\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n',
    ]);
    expect(r.framing).toEqual({ kind: 'chunked' });
    expect(r.body.toString()).toBe('hello world');
    expect(r.trailers).toEqual([['X-Checksum', 'abc']]);
    expect(r.complete).toBe(true);
  });

  test('close-delimited body (HTTP/1.0) ends at EOF', () => {
    const r = parse(['HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome', ' body'], { eof: true });
    expect(r.head?.httpVersion).toBe('1.0');
    expect(r.framing).toEqual({ kind: 'close' });
    expect(r.body.toString()).toBe('some body');
    expect(r.complete).toBe(true);
  });

  test('HEAD, 204 and 304 have no body whatever the headers say', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n'], { method: 'HEAD' }).complete).toBe(true);
    expect(parse(['HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n']).complete).toBe(true);
    expect(parse(['HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n']).complete).toBe(true);
  });

  test('1xx interim responses come before the final one', () => {
    const r = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']);
    expect(r.interim).toEqual([100, 103]);
    expect(r.head?.status).toBe(200);
    expect(r.body.toString()).toBe('ok');
  });

  test('bare LF line endings are accepted', () => {
    const r = parse(['HTTP/1.1 200 OK\nContent-Length: 2\n\nok']);
    expect(r.body.toString()).toBe('ok');
  });

  test('identical repeated Content-Length values are one value', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok']).body.toString()).toBe('ok');
  });

  test('Content-Length with leading zeros is the same length (RFC 9110 8.6: 1*DIGIT)', () => {
    const zeros = '0'.repeat(500);
    expect(parse([`HTTP/1.1 200 OK\r\nContent-Length: ${zeros}12\r\n\r\nhello world!`]).framing).toEqual({ kind: 'length', length: 12 });
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 000\r\n\r\n']).complete).toBe(true);
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 2, 002\r\nContent-Length: 02\r\n\r\nok']).body.toString()).toBe('ok');
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 999999999999999\r\n\r\n']).framing).toEqual({ kind: 'length', length: 999999999999999 });
  });

  test('Transfer-Encoding gzip or deflate: framed (chunked, or until close) and marked for decoding', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n']).framing).toEqual({ kind: 'close', transferCoding: 'gzip' });
    expect(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: x-gzip\r\n\r\n']).framing).toEqual({ kind: 'close', transferCoding: 'gzip' });
    expect(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: GZIP, chunked\r\n\r\n']).framing).toEqual({ kind: 'chunked', transferCoding: 'gzip' });
    expect(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n']).framing).toEqual({ kind: 'chunked', transferCoding: 'deflate' });
    expect(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n']).framing).toEqual({ kind: 'chunked' });
    // The withdrawn 'identity' coding is no coding at all.
    expect(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n']).framing).toEqual({ kind: 'close' });
  });

  test('obsolete line folding becomes a space', () => {
    const r = parse(['HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\nContent-Length: 0\r\n\r\n']);
    expect(r.head?.headers[0]).toEqual(['X-Long', 'a b']);
  });

  test('no bytes then EOF is an empty reply', () => {
    expect(expectReason([], 'TRUNCATED', { eof: true }).why).toMatch(/without sending a response/);
  });
});

describe('HttpResponseParser: hostile input gets a typed error', () => {
  test.each<[string, string[], HttpParseErrorReason, boolean?]>([
    ['non-HTTP garbage, at the first bad byte', ['SSH-2.0-OpenSSH_9.2'], 'NOT_HTTP'],
    ['status abc', ['HTTP/1.1 abc OK\r\n\r\n'], 'BAD_STATUS'],
    ['status 2000', ['HTTP/1.1 2000 OK\r\n\r\n'], 'BAD_STATUS'],
    ['HTTP/2 status line', ['HTTP/2.0 200 OK\r\n\r\n'], 'BAD_VERSION'],
    ['NUL in a header', ['HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n'], 'BAD_HEADER'],
    ['space before the colon (smuggling)', ['HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n'], 'BAD_HEADER'],
    ['a header line without a colon', ['HTTP/1.1 200 OK\r\nnonsense\r\n\r\n'], 'BAD_HEADER'],
    ['conflicting Content-Lengths', ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n'], 'CONFLICTING_FRAMING'],
    ['Content-Length with chunked', ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'], 'CONFLICTING_FRAMING'],
    ['negative Content-Length', ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'], 'BAD_CONTENT_LENGTH'],
    ['huge Content-Length', ['HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n'], 'BAD_CONTENT_LENGTH'],
    ['compress, chunked transfer coding', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: compress, chunked\r\n\r\n'], 'UNSUPPORTED_TRANSFER_CODING'],
    ['an unknown transfer coding without chunked', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: br\r\n\r\n'], 'UNSUPPORTED_TRANSFER_CODING'],
    ['two transfer codings before chunked', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, gzip, chunked\r\n\r\n'], 'UNSUPPORTED_TRANSFER_CODING'],
    ['chunked twice', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n'], 'UNSUPPORTED_TRANSFER_CODING'],
    ['Content-Length of 16 significant digits behind zeros', ['HTTP/1.1 200 OK\r\nContent-Length: 0001000000000000000\r\n\r\n'], 'BAD_CONTENT_LENGTH'],
    ['Content-Lengths that differ as numbers', ['HTTP/1.1 200 OK\r\nContent-Length: 012\r\nContent-Length: 13\r\n\r\n'], 'CONFLICTING_FRAMING'],
    ['an empty Content-Length', ['HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n'], 'BAD_CONTENT_LENGTH'],
    ['invalid chunk size', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'], 'BAD_CHUNK_SIZE'],
    ['negative chunk size', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n'], 'BAD_CHUNK_SIZE'],
    ['18-hex-digit chunk size', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n'], 'BAD_CHUNK_SIZE'],
    ['missing CRLF after chunk data', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n'], 'BAD_CHUNK_END'],
    ['unexpected 101', ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n'], 'UNEXPECTED_UPGRADE'],
  ])('%s', (_name, pieces, reason) => {
    expectReason(pieces, reason);
  });

  test.each<[string, string[], RegExp]>([
    ['Content-Length longer than the body, then close', ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello'], /after 5 of 10 body bytes/],
    ['no final 0-chunk before close', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n'], /before the last chunk/],
    ['headers never finished', ['HTTP/1.1 200 OK\r\nX: 1\r\n'], /before the end of the headers/],
  ])('%s, then EOF: truncated', (_name, pieces, why) => {
    expect(expectReason(pieces, 'TRUNCATED', { eof: true }).why).toMatch(why);
  });

  test('one header line that never ends: stops at the line limit', () => {
    const parser = new HttpResponseParser({ onHead() {}, onBody() {}, onComplete() {} }, { method: 'GET' });
    parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nX-Endless: '));
    const piece = Buffer.alloc(4096, 'a');
    let fed = 0;
    let error: unknown;
    try {
      while (fed < 1024 * 1024) {
        parser.feed(piece);
        fed += piece.length;
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HttpParseError);
    expect((error as HttpParseError).reason).toBe('LINE_TOO_LONG');
    expect(fed).toBeLessThanOrEqual(64 * 1024 + 4096);
  });

  test('endless header lines: stops at the header-size limit', () => {
    const parser = new HttpResponseParser({ onHead() {}, onBody() {}, onComplete() {} }, { method: 'GET' });
    parser.feed(Buffer.from('HTTP/1.1 200 OK\r\n'));
    const line = Buffer.from('X-Again: and again and again\r\n');
    let error: unknown;
    let fed = 0;
    try {
      for (; fed < 10 * 1024 * 1024; fed += line.length) parser.feed(line);
    } catch (err) {
      error = err;
    }
    expect((error as HttpParseError).reason).toBe('HEADERS_TOO_LARGE');
    expect(fed).toBeLessThanOrEqual(256 * 1024 + line.length);
  });

  test('an endless chunk extension: stops at the chunk-line limit', () => {
    const err = parseError(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;', 'x'.repeat(5000)]);
    expect(err.reason).toBe('CHUNK_LINE_TOO_LONG');
  });

  test('endless 102 Processing: stops after 50 interim responses', () => {
    const pieces = Array.from({ length: 60 }, () => 'HTTP/1.1 102 Processing\r\n\r\n');
    expect(expectReason(pieces, 'TOO_MANY_INTERIM').why).toMatch(/more than 50/);
  });

  test('limits are configurable', () => {
    expectReason(['HTTP/1.1 200 OK\r\nX: 12345678901\r\n\r\n'], 'LINE_TOO_LONG', { limits: { maxLineBytes: 10 } });
  });

  test('after an error, every later call throws the same error', () => {
    const parser = new HttpResponseParser({ onHead() {}, onBody() {}, onComplete() {} }, { method: 'GET' });
    expect(() => parser.feed(Buffer.from('garbage'))).toThrow(HttpParseError);
    expect(() => parser.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(/not an HTTP response/);
    expect(() => parser.finish()).toThrow(HttpParseError);
  });

  test('consumedInLastFeed tells where the message ended', () => {
    const parser = new HttpResponseParser({ onHead() {}, onBody() {}, onComplete() {} }, { method: 'GET' });
    const text = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA';
    parser.feed(Buffer.from(text));
    expect(parser.done).toBe(true);
    expect(parser.consumedInLastFeed).toBe(text.length - 'EXTRA'.length);
  });
});

describe('HttpResponseParser: properties', () => {
  const responses = [
    'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n6\r\n world\r\n0\r\nT: v\r\n\r\n',
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world',
    'HTTP/1.0 200 OK\r\n\r\nhello world',
  ];

  test('any split of a valid response gives the same head and body', () => {
    fc.assert(
      fc.property(fc.constantFrom(...responses), fc.array(fc.nat(), { maxLength: 20 }), (text, cuts) => {
        const whole = parse([text], { eof: true });
        const pieces = parse(split(text, cuts), { eof: true });
        expect(pieces.body.toString()).toBe('hello world');
        expect(pieces.head?.status).toBe(whole.head?.status);
        expect(pieces.head?.headers).toEqual(whole.head?.headers);
        expect(pieces.complete).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('any bytes in any split: only HttpParseError, and internal buffers stay bounded', () => {
    const limits = { maxLineBytes: 256, maxHeaderBytes: 1024, maxInterimResponses: 3, maxChunkLineBytes: 64 };
    const prefix = fc.constantFrom('', 'HTTP/1.1 200 OK\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'HTTP/1.1 102 x\r\n\r\n');
    fc.assert(
      fc.property(prefix, fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 12 }), fc.boolean(), (start, chunks, eof) => {
        let bodyBytes = 0;
        const parser = new HttpResponseParser(
          { onHead() {}, onBody: (c) => (bodyBytes += c.length), onComplete() {} },
          { method: 'GET', limits },
        );
        let fed = 0;
        try {
          parser.feed(Buffer.from(start, 'latin1'));
          for (const c of chunks) {
            // Counted before the feed: a chunk may hand over body bytes and then fail.
            fed += c.length;
            parser.feed(Buffer.from(c));
            // Nothing but a bounded line (plus its CRLF) is ever held between feeds.
            expect(parser.bufferedBytes).toBeLessThanOrEqual(limits.maxLineBytes + 2);
          }
          if (eof) parser.finish();
        } catch (err) {
          if (!(err instanceof HttpParseError)) throw err;
        }
        expect(bodyBytes).toBeLessThanOrEqual(fed);
      }),
      { numRuns: 1000 },
    );
  });

  test('random mutations of valid responses: only HttpParseError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...responses),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (text, mutations, cuts) => {
          const bytes = Buffer.from(text, 'latin1');
          for (const [at, value] of mutations) bytes[at % bytes.length] = value;
          try {
            parse(split(bytes.toString('latin1'), cuts), { eof: true });
          } catch (err) {
            if (!(err instanceof HttpParseError)) throw err;
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
