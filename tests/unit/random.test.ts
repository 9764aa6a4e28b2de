import { describe, expect, test } from '@jest/globals';
import { fillRandom } from '../../src/net/shared/random.js';

describe('fillRandom', () => {
  test('fills every byte of a view, and two fills differ', () => {
    const a = new Uint16Array(1024);
    const b = new Uint16Array(1024);
    fillRandom(a);
    fillRandom(b);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(false);
    // 1,024 random 16-bit words: a zero word is a 1-in-65,536 event
    const zeros = a.filter((v) => v === 0).length;
    expect(zeros).toBeLessThan(10);
  });

  test('writes only inside a view onto part of a larger buffer', () => {
    const backing = new Uint8Array(64);
    const view = backing.subarray(8, 24);
    for (let attempt = 0; attempt < 4 && view.every((v) => v === 0); attempt++) fillRandom(view);
    expect(view.some((v) => v !== 0)).toBe(true);
    expect(backing.subarray(0, 8).every((v) => v === 0)).toBe(true);
    expect(backing.subarray(24).every((v) => v === 0)).toBe(true);
  });
});
