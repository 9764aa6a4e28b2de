import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { decodeRfc868Time, encodeRfc868Time, RFC868_EPOCH_OFFSET_SECONDS } from '../../src/net/cluster/rfc868-time.js';

describe('RFC 868 time codec', () => {
  test('the Unix epoch is 2,208,988,800 seconds after 1900 (RFC 868 examples)', () => {
    expect(RFC868_EPOCH_OFFSET_SECONDS).toBe(2_208_988_800);
    expect(encodeRfc868Time(0)).toEqual(Buffer.from([0x83, 0xaa, 0x7e, 0x80]));
    // RFC 868: 2,629,584,000 is 1983-05-01T00:00:00Z.
    expect(encodeRfc868Time(Date.UTC(1983, 4, 1)).readUInt32BE(0)).toBe(2_629_584_000);
  });

  test('wraps at 2036-02-07T06:28:16Z and still decodes near that date', () => {
    const rollover = Date.UTC(2036, 1, 7, 6, 28, 16);
    expect(encodeRfc868Time(rollover)).toEqual(Buffer.from([0, 0, 0, 0]));
    expect(decodeRfc868Time(encodeRfc868Time(rollover + 5000), rollover)).toBe(rollover + 5000);
    expect(decodeRfc868Time(encodeRfc868Time(rollover - 5000), rollover)).toBe(rollover - 5000);
  });

  test('round trip to the second for any time within 60 years of the reference', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 4e12 }), fc.integer({ min: -60 * 365 * 86_400_000, max: 60 * 365 * 86_400_000 }), (t, skew) => {
        expect(decodeRfc868Time(encodeRfc868Time(t), t + skew)).toBe(Math.floor(t / 1000) * 1000);
      }),
    );
  });

  test('anything but 4 bytes is a RangeError, never a wrong time', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }).filter((b) => b.length !== 4), (bytes) => {
        expect(() => decodeRfc868Time(bytes)).toThrow(RangeError);
      }),
    );
  });
});
