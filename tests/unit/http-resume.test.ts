// Resume and ranges (RFC 9110 14): the flags' grammar, Content-Range parsing, and the
// verdict on each response before a byte of its body is written.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { judgeRangeResponse, parseContentRange, parseContinueAt, parseRangeOption, rangeHeader, type RangeAsk } from '../../src/net/http/resume.js';

const resume = (offset: number): RangeAsk => ({ kind: 'resume', offset, fromFile: true });
const range = (set: string): RangeAsk => ({ kind: 'range', set });

describe('flags', () => {
  test("-C: '-' or a byte offset; -r: A-B, A-, -N and lists of them", () => {
    expect(parseContinueAt('-')).toBe('-');
    expect(parseContinueAt('0')).toBe(0);
    expect(parseContinueAt('9007199254740991')).toBe(2 ** 53 - 1);
    for (const bad of ['', '-1', '1.5', '9007199254740992', 'x']) expect(() => parseContinueAt(bad)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    for (const ok of ['0-0', '0-', '-1', '5-9,20-', '0-1,-3']) expect(parseRangeOption(ok)).toBe(ok);
    for (const bad of ['', '-', '-0', '9-1', '1-2,', 'a-b', 'bytes=0-1', '0-1 ']) expect(() => parseRangeOption(bad)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  test('the Range field: bytes=N- for a resume (none from byte 0), the set as given for -r', () => {
    expect(rangeHeader(resume(0))).toBeUndefined();
    expect(rangeHeader(resume(500))).toBe('bytes=500-');
    expect(rangeHeader(range('-7'))).toBe('bytes=-7');
    expect(rangeHeader(range('0-1,5-6'))).toBe('bytes=0-1,5-6');
  });
});

describe('Content-Range (RFC 9110 14.4)', () => {
  test('complete, unknown-length and unsatisfied forms; impossible ones are null', () => {
    expect(parseContentRange('bytes 0-499/1234')).toEqual({ start: 0, end: 499, total: 1234 });
    expect(parseContentRange('bytes 500-999/*')).toEqual({ start: 500, end: 999, total: null });
    expect(parseContentRange('bytes */1234')).toEqual({ unsatisfied: true, total: 1234 });
    for (const bad of [undefined, '', 'bytes 5-4/10', 'bytes 0-10/10', 'items 0-1/2', 'bytes 0-1', 'bytes=0-1/2', 'bytes -1-2/3']) expect(parseContentRange(bad)).toBeNull();
  });

  test('property: any A-B/T with A <= B < T reads back; the parser never throws', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), (a, len, extra) => {
        const end = a + len;
        expect(parseContentRange(`bytes ${a}-${end}/${end + 1 + extra}`)).toEqual({ start: a, end, total: end + 1 + extra });
      }),
    );
    fc.assert(fc.property(fc.string(), (text) => void parseContentRange(text)));
  });
});

describe('the verdict on a response', () => {
  const judge = (ask: RangeAsk, status: number, contentRange?: string) => judgeRangeResponse(ask, status, '', contentRange, 'f.bin');

  test('resume: a matching 206 appends; a 200 restarts (said); a 416 for the file size is complete', () => {
    expect(judge(resume(100), 206, 'bytes 100-199/200')).toEqual({ body: 'append' });
    expect(judge(resume(100), 206, 'bytes 100-149/*')).toEqual({ body: 'append' });
    expect(judge(resume(100), 200)).toEqual({ body: 'write', note: 'the server ignored the range and sent the whole body (200): f.bin restarted from byte 0' });
    expect(judge(resume(200), 416, 'bytes */200')).toMatchObject({ body: 'discard' });
    expect(judge(resume(200), 416)).toMatchObject({ body: 'discard' }); // as curl: no Content-Range to contradict it
    expect(judge(resume(0), 200)).toEqual({ body: 'write' }); // nothing asked
    // -C N to stdout: nothing is restarted, and nothing is 'complete'.
    expect(judgeRangeResponse(resume(100), 200, 'OK', undefined, 'stdout')).toEqual({ body: 'write', note: 'the server ignored the range and sent the whole body (200)' });
    expect(judgeRangeResponse(resume(100), 416, '', 'bytes */100', 'stdout')).toEqual({ body: 'discard', note: 'nothing past byte 100 (the server answered 416 to bytes=100-)' });
  });

  test('resume: a 206 elsewhere or without Content-Range, a 416 for another size, an error status: thrown, file named as left alone', () => {
    expect(() => judge(resume(100), 206, 'bytes 0-199/200')).toThrow(expect.objectContaining({ code: 'PROTOCOL', hint: 'f.bin is left as it was' }));
    expect(() => judge(resume(100), 206, 'bytes */200')).toThrow(/answered 206 with Content-Range 'bytes \*\/200'/);
    expect(() => judge(resume(100), 206)).toThrow(/answered 206 with no Content-Range/);
    expect(() => judge(resume(300), 416, 'bytes */200')).toThrow(/it has 200 bytes, and the resume was from byte 300/);
    expect(() => judge(resume(100), 404)).toThrow(/answered 404, not 206 Partial Content/);
    expect(judgeRangeResponse(resume(100), 404, 'Not Found', undefined, 'stdout')).toEqual({ body: 'write' });
  });

  test('-r: the 206 must start where asked and end no later; -N is the last N bytes; lists as sent', () => {
    expect(judge(range('10-19'), 206, 'bytes 10-19/100')).toEqual({ body: 'write' });
    expect(judge(range('90-199'), 206, 'bytes 90-99/100')).toEqual({ body: 'write' });
    expect(() => judge(range('10-19'), 206, 'bytes 10-29/100')).toThrow(/not the range asked for \(bytes=10-19\)/);
    expect(() => judge(range('10-19'), 206, 'bytes 0-9/100')).toThrow(/not the range asked for/);
    expect(judge(range('-10'), 206, 'bytes 90-99/100')).toEqual({ body: 'write' });
    expect(judge(range('-500'), 206, 'bytes 0-99/100')).toEqual({ body: 'write' });
    expect(() => judge(range('-10'), 206, 'bytes 80-89/100')).toThrow(/not the range asked for/);
    expect(() => judge(range('-10'), 206, 'bytes 0-19/*')).toThrow(/not the range asked for/);
    expect(judge(range('0-1,5-6'), 206)).toEqual({ body: 'write' });
    expect(judge(range('0-1'), 200)).toMatchObject({ body: 'write', note: 'the server ignored the range and sent the whole body (200)' });
    expect(judge(range('500-'), 416, 'bytes */100')).toEqual({ body: 'write' }); // a response like any other
  });

  test('property: a resume 206 is accepted exactly when Content-Range starts at the offset', () => {
    fc.assert(
      fc.property(fc.nat(1e9), fc.nat(1e9), fc.nat(1e6), (offset, start, len) => {
        const field = `bytes ${start}-${start + len}/${start + len + 1}`;
        const accepted = (() => {
          try {
            return judge(resume(offset), 206, field).body === 'append';
          } catch {
            return false;
          }
        })();
        expect(accepted).toBe(start === offset && offset > 0);
      }),
    );
  });
});
