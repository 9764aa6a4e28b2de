// The echo comparer (src/net/echo/comparer.ts): chunks on either side need not line up.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { EchoComparer, EXCERPT_BYTES, differenceOf } from '../../src/net/echo/comparer.js';

/** `data` cut at `cuts` (positions, any order, duplicates allowed). */
function split(data: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const to of [...at, data.length]) {
    if (to > from) pieces.push(data.subarray(from, to));
    from = Math.max(from, to);
  }
  return pieces;
}

function run(sent: Buffer, sentCuts: number[], echo: Buffer, echoCuts: number[]): EchoComparer {
  const comparer = new EchoComparer();
  for (const piece of split(sent, sentCuts)) comparer.sent(piece);
  for (const piece of split(echo, echoCuts)) comparer.echoed(piece);
  return comparer;
}

const bytes = fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((a) => Buffer.from(a));
const cuts = fc.array(fc.nat(), { maxLength: 20 });

describe('EchoComparer', () => {
  test('property: the same bytes, cut anywhere on either side, are identical', () => {
    fc.assert(
      fc.property(bytes, cuts, cuts, (data, a, b) => {
        const c = run(data, a, Buffer.from(data), b);
        expect(c.verdict()).toEqual({ identical: true, firstDifferenceAt: undefined });
        expect(c.complete).toBe(true);
      }),
    );
  });

  test('property: one changed byte is found at its offset', () => {
    fc.assert(
      fc.property(bytes, cuts, cuts, fc.nat(), (data, a, b, where) => {
        const at = where % data.length;
        const echo = Buffer.from(data);
        echo[at] = echo[at]! ^ 0xff;
        expect(run(data, a, echo, b).verdict()).toMatchObject({ identical: false, firstDifferenceAt: at });
      }),
    );
  });

  test('property: the difference holds the bytes expected and seen from the first differing offset, whatever the cuts', () => {
    fc.assert(
      fc.property(bytes, bytes, cuts, cuts, (sent, echo, a, b) => {
        const verdict = run(sent, a, echo, b).verdict();
        const whole = differenceOf(sent, echo);
        if (!whole) {
          expect(verdict).toEqual({ identical: true, firstDifferenceAt: undefined });
          return;
        }
        // Streaming: a long echo differs where it went past; a short one where it stopped.
        const at = whole.offset;
        expect(verdict.firstDifferenceAt).toBe(at);
        expect(verdict.difference!.offset).toBe(at);
        expect(verdict.difference!.expected).toEqual(sent.subarray(at, at + EXCERPT_BYTES));
        expect(verdict.difference!.seen).toEqual(echo.subarray(at, at + EXCERPT_BYTES));
        expect(whole.expected).toEqual(verdict.difference!.expected);
        expect(whole.seen).toEqual(verdict.difference!.seen);
      }),
    );
  });

  test('an upper-cased echo: the offset of the first letter and both excerpts', () => {
    const d = run(Buffer.from('123 hello world, long enough'), [5], Buffer.from('123 HELLO WORLD, LONG ENOUGH'), [2, 6]).verdict().difference!;
    expect(d.offset).toBe(4);
    expect(d.expected.toString()).toBe('hello world, lon');
    expect(d.seen.toString()).toBe('HELLO WORLD, LON');
  });

  test('a short echo differs where it stopped; a long one where it went past', () => {
    const data = Buffer.from('hello, echo');
    const short = run(data, [3], data.subarray(0, 5), []);
    expect(short.complete).toBe(false);
    expect(short.verdict()).toEqual({ identical: false, firstDifferenceAt: 5, difference: { offset: 5, expected: Buffer.from(', echo'), seen: Buffer.alloc(0) } });
    const long = run(data, [], Buffer.concat([data, Buffer.from('!!')]), [4, 11]);
    expect(long.verdict()).toEqual({ identical: false, firstDifferenceAt: data.length, difference: { offset: data.length, expected: Buffer.alloc(0), seen: Buffer.from('!!') } });
  });
});
