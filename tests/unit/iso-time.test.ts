import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { isoUtc } from '../../src/net/shared/iso-time.js';

describe('isoUtc', () => {
  test('is toISOString() for every time Date holds (years -271821 to 275760)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(isoUtc(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
  });

  test('is toISOString() around the edges of the four-digit years and of months', () => {
    for (const text of ['0000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '2024-02-29T12:34:56.789Z', '2000-12-31T23:59:59.001Z']) {
      const ms = Date.parse(text);
      expect(isoUtc(ms)).toBe(text);
      expect(isoUtc(ms - 1)).toBe(new Date(ms - 1).toISOString());
      expect(isoUtc(ms + 1)).toBe(new Date(ms + 1).toISOString());
    }
  });

  test("a certificate's OpenSSL date reads as before", () => {
    expect(isoUtc(Date.parse('Jan  3 16:28:37 2027 GMT'))).toBe('2027-01-03T16:28:37.000Z');
  });
});
