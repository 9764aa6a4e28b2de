// The echo comparer (src/net/echo/comparer.ts): chunks on either side need not line up.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { EchoComparer } from '../../src/net/echo/comparer.js';

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
        expect(run(data, a, echo, b).verdict()).toEqual({ identical: false, firstDifferenceAt: at });
      }),
    );
  });

  test('a short echo differs where it stopped; a long one where it went past', () => {
    const data = Buffer.from('hello, echo');
    const short = run(data, [3], data.subarray(0, 5), []);
    expect(short.complete).toBe(false);
    expect(short.verdict()).toEqual({ identical: false, firstDifferenceAt: 5 });
    const long = run(data, [], Buffer.concat([data, Buffer.from('!!')]), [4, 11]);
    expect(long.verdict()).toEqual({ identical: false, firstDifferenceAt: data.length });
  });
});
