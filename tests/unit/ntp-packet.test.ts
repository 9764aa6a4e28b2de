import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { SockkitError } from '../../src/net/shared/errors.js';
import {
  decodeNtpPacket,
  encodeNtpPacket,
  encodeNtpRequest,
  formatRefId,
  kissCodeOf,
  NTP_HEADER_BYTES,
  NTP_MAX_REPLY_BYTES,
  peekOriginTimestamp,
  secondsToShort,
  shortToSeconds,
  timestampDiff,
  timestampDiffSeconds,
  timestampFromParts,
  timestampToUnixMs,
  unixMsToTimestamp,
} from '../../src/net/ntp/packet.js';

const ROLLOVER_MS = Date.UTC(2036, 1, 7, 6, 28, 16); // NTP era 0 ends: seconds field wraps to 0

// A chronyd 4.3 reply (local stratum 10), captured on loopback.
const CHRONYD_REPLY = Buffer.from(
  '240a00e6' + '00000000' + '00000000' + '7f7f0101' +
    'eacf1e2661e4f9a5' + 'a1b2c3d4e5f60718' + 'eacf1e27c8b43958' + 'eacf1e27c8b6a3e1',
  'hex',
);

describe('request', () => {
  test('is 48 bytes: LI 0, version 4, mode 3, all zero but the nonce in the transmit field', () => {
    const nonce = 0x0123456789abcdefn;
    const req = encodeNtpRequest(nonce);
    expect(req.length).toBe(48);
    expect(req[0]).toBe(0x23); // 00 100 011
    expect(req.subarray(1, 40).every((b) => b === 0)).toBe(true);
    expect(req.subarray(40).toString('hex')).toBe('0123456789abcdef');
  });
});

describe('decode', () => {
  test('a chronyd reply, field by field', () => {
    const p = decodeNtpPacket(CHRONYD_REPLY);
    expect(p.leap).toBe(0);
    expect(p.version).toBe(4);
    expect(p.mode).toBe(4);
    expect(p.stratum).toBe(10);
    expect(p.poll).toBe(0);
    expect(p.precision).toBe(-26);
    expect(p.rootDelaySeconds).toBe(0);
    expect(formatRefId(p)).toBe('127.127.1.1');
    expect(p.originTimestamp).toBe(0xa1b2c3d4e5f60718n);
    expect(p.transmitTimestamp).toBe(0xeacf1e27c8b6a3e1n);
    expect(p.length).toBe(48);
    expect(peekOriginTimestamp(CHRONYD_REPLY)).toBe(0xa1b2c3d4e5f60718n);
  });

  test('47 bytes is too short, 73 too long, 48 and 72 are fine', () => {
    const tooShort = () => decodeNtpPacket(CHRONYD_REPLY.subarray(0, 47));
    expect(tooShort).toThrow(SockkitError);
    expect(tooShort).toThrow(/47-byte reply is shorter than the 48-byte NTP header/);
    const long = (n: number) => Buffer.concat([CHRONYD_REPLY, Buffer.alloc(n - 48)]);
    expect(() => decodeNtpPacket(long(NTP_MAX_REPLY_BYTES + 1))).toThrow(/73-byte reply is longer/);
    expect(() => decodeNtpPacket(long(1000))).toThrow(/1000-byte reply/);
    expect(decodeNtpPacket(long(72)).length).toBe(72);
  });

  test('signed poll and precision, 16.16 root delay and dispersion', () => {
    const buf = Buffer.from(CHRONYD_REPLY);
    buf.writeInt8(-6, 2);
    buf.writeInt8(17, 3);
    buf.writeUInt32BE(0x00018000, 4); // 1.5 s
    buf.writeUInt32BE(0x00000041, 8); // 65/65536 s
    const p = decodeNtpPacket(buf);
    expect(p.poll).toBe(-6);
    expect(p.precision).toBe(17);
    expect(p.rootDelaySeconds).toBe(1.5);
    expect(p.rootDispersionSeconds).toBeCloseTo(0.000991821, 9);
  });

  test('encode → decode round-trips every field', () => {
    fc.assert(
      fc.property(
        fc.record({
          leap: fc.integer({ min: 0, max: 3 }),
          version: fc.integer({ min: 0, max: 7 }),
          mode: fc.integer({ min: 0, max: 7 }),
          stratum: fc.integer({ min: 0, max: 255 }),
          poll: fc.integer({ min: -128, max: 127 }),
          precision: fc.integer({ min: -128, max: 127 }),
          rootDelay: fc.integer({ min: 0, max: 0xffffffff }),
          rootDispersion: fc.integer({ min: 0, max: 0xffffffff }),
          refId: fc.uint8Array({ minLength: 4, maxLength: 4 }),
          referenceTimestamp: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          originTimestamp: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          receiveTimestamp: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          transmitTimestamp: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        }),
        (f) => {
          const fields = { ...f, rootDelaySeconds: shortToSeconds(f.rootDelay), rootDispersionSeconds: shortToSeconds(f.rootDispersion) };
          const decoded = decodeNtpPacket(encodeNtpPacket(fields));
          expect(decoded).toEqual({ ...fields, rootDelay: undefined, rootDispersion: undefined, length: 48, refId: Uint8Array.from(f.refId) });
        },
      ),
    );
  });
});

describe('property: the decoder never fails with anything but its typed error', () => {
  test('any byte string decodes or throws a PROTOCOL SockkitError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 2000 }), (bytes) => {
        try {
          const p = decodeNtpPacket(bytes);
          expect(bytes.length).toBeGreaterThanOrEqual(NTP_HEADER_BYTES);
          expect(bytes.length).toBeLessThanOrEqual(NTP_MAX_REPLY_BYTES);
          expect(p.length).toBe(bytes.length);
        } catch (err) {
          expect(err).toBeInstanceOf(SockkitError);
          expect((err as SockkitError).code).toBe('PROTOCOL');
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('a decoded view is independent of the input buffer (offsets into a larger buffer)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 48, maxLength: 200 }), fc.nat(100), (bytes, skip) => {
        const start = Math.min(skip, bytes.length - 48);
        const view = bytes.subarray(start, start + 48);
        const p = decodeNtpPacket(view);
        expect(p.transmitTimestamp).toBe(Buffer.from(view).readBigUInt64BE(40));
      }),
    );
  });
});

describe('short format', () => {
  test('16.16 fixed point', () => {
    expect(shortToSeconds(0x00010000)).toBe(1);
    expect(shortToSeconds(0x00008000)).toBe(0.5);
    expect(shortToSeconds(0xffffffff)).toBeCloseTo(65535.99998, 4);
    expect(secondsToShort(0.5)).toBe(0x8000);
    expect(secondsToShort(-1)).toBe(0);
  });
});

describe('64-bit timestamps and the 2036 era rollover', () => {
  test('known instants', () => {
    expect(unixMsToTimestamp(0)).toBe(timestampFromParts(2_208_988_800, 0));
    expect(unixMsToTimestamp(Date.UTC(2000, 0, 1))).toBe(timestampFromParts(3_155_673_600, 0));
    expect(unixMsToTimestamp(Date.UTC(2000, 0, 1) + 500)).toBe(timestampFromParts(3_155_673_600, 0x80000000));
    // 2036-02-07T06:28:16Z wraps the seconds field to 0 (era 1 begins).
    expect(unixMsToTimestamp(ROLLOVER_MS)).toBe(0n);
    expect(unixMsToTimestamp(ROLLOVER_MS - 1000)).toBe(timestampFromParts(0xffffffff, 0));
    expect(unixMsToTimestamp(ROLLOVER_MS + 1000)).toBe(timestampFromParts(1, 0));
  });

  test('a timestamp is read in the era nearest the local clock', () => {
    const justAfter = timestampFromParts(1, 0x80000000); // era 1, 1.5 s after the rollover
    const justBefore = timestampFromParts(0xffffffff, 0); // era 0, 1 s before
    // Local clock still a little before the rollover, server already past it (and the reverse).
    expect(new Date(timestampToUnixMs(justAfter, ROLLOVER_MS - 2000)).toISOString()).toBe('2036-02-07T06:28:17.500Z');
    expect(new Date(timestampToUnixMs(justBefore, ROLLOVER_MS + 2000)).toISOString()).toBe('2036-02-07T06:28:15.000Z');
    // Today, an era-0 timestamp is 20th/21st century, not 2172.
    expect(new Date(timestampToUnixMs(timestampFromParts(3_155_673_600, 0), Date.UTC(2026, 10, 24))).toISOString()).toBe('2000-01-01T00:00:00.000Z');
    // A zero timestamp read near 2026 is the start of era 1, the nearest instant with that bit pattern.
    expect(new Date(timestampToUnixMs(0n, Date.UTC(2026, 10, 24))).toISOString()).toBe('2036-02-07T06:28:16.000Z');
  });

  test('differences are signed modulo 2^64 (RFC 5905 §6)', () => {
    const before = timestampFromParts(0xffffffff, 0);
    const after = timestampFromParts(1, 0);
    expect(timestampDiffSeconds(after, before)).toBe(2);
    expect(timestampDiffSeconds(before, after)).toBe(-2);
    expect(timestampDiffSeconds(timestampFromParts(5, 0x40000000), timestampFromParts(5, 0xc0000000))).toBe(-0.5);
    expect(timestampDiff(0n, 2n ** 64n - 1n)).toBe(1n);
  });

  test('property: unix → NTP → unix round-trips within a microsecond, across eras', () => {
    fc.assert(
      fc.property(fc.double({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 0, 1), noNaN: true }), fc.integer({ min: -3e9, max: 3e9 }), (ms, skew) => {
        // The pivot may be up to ~35 days away from the instant and still lands in the right era.
        const back = timestampToUnixMs(unixMsToTimestamp(ms), ms + skew);
        expect(Math.abs(back - ms)).toBeLessThan(0.001);
      }),
    );
  });

  test('property: diff(a, b) = −diff(b, a) and diff(a + d, a) = d', () => {
    const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    const delta = fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n });
    fc.assert(
      fc.property(u64, u64, delta, (a, b, d) => {
        expect(timestampDiff(a, b)).toBe(-timestampDiff(b, a) || 0n);
        expect(timestampDiff((a + d) & (2n ** 64n - 1n), a)).toBe(d);
      }),
    );
  });
});

describe('refid and kiss codes', () => {
  const refId = (s: string) => Uint8Array.from(Buffer.concat([Buffer.from(s, 'latin1'), Buffer.alloc(4)]).subarray(0, 4));
  test('text for stratum 0/1, dotted IPv4 above', () => {
    expect(formatRefId({ stratum: 1, refId: refId('GPS') })).toBe('GPS');
    expect(formatRefId({ stratum: 1, refId: refId('PPS\0') })).toBe('PPS');
    expect(formatRefId({ stratum: 2, refId: Uint8Array.of(192, 0, 2, 1) })).toBe('192.0.2.1');
    expect(formatRefId({ stratum: 1, refId: Uint8Array.of(1, 2, 3, 4) })).toBe('1.2.3.4'); // not text
  });

  test('kiss codes only at stratum 0, and only as ASCII', () => {
    expect(kissCodeOf({ stratum: 0, refId: refId('RATE') })).toBe('RATE');
    expect(kissCodeOf({ stratum: 0, refId: refId('DENY') })).toBe('DENY');
    expect(kissCodeOf({ stratum: 0, refId: Uint8Array.of(0, 0, 0, 0) })).toBeUndefined(); // chronyd unsynchronised
    expect(kissCodeOf({ stratum: 0, refId: Uint8Array.of(0x52, 0, 0x41, 0) })).toBeUndefined(); // text after padding
    expect(kissCodeOf({ stratum: 0, refId: Uint8Array.of(0x7f, 0x7f, 1, 1) })).toBeUndefined();
    expect(kissCodeOf({ stratum: 2, refId: refId('RATE') })).toBeUndefined();
  });
});
