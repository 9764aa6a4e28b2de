import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { encodeNtpPacket, unixMsToTimestamp, type NtpPacket } from '../../src/net/ntp/packet.js';
import { judgeReply, kissMessage } from '../../src/net/ntp/validate.js';
import { bestIndex, measure, median, rootDistanceMs, sampleStats } from '../../src/net/ntp/measure.js';

const SERVER = { address: '127.0.0.1', port: 123 };
const NONCE = 0x1122334455667788n;
const NOW = Date.UTC(2026, 10, 24, 12);

function reply(overrides: Partial<NtpPacket> = {}): Buffer {
  return encodeNtpPacket({
    leap: 0,
    version: 4,
    mode: 4,
    stratum: 2,
    poll: 6,
    precision: -20,
    rootDelaySeconds: 0.01,
    rootDispersionSeconds: 0.02,
    refId: Uint8Array.of(192, 0, 2, 1),
    referenceTimestamp: unixMsToTimestamp(NOW - 60_000),
    originTimestamp: NONCE,
    receiveTimestamp: unixMsToTimestamp(NOW),
    transmitTimestamp: unixMsToTimestamp(NOW + 0.05),
    ...overrides,
  });
}
const judge = (data: Uint8Array, from = SERVER, earlier?: Set<bigint>) => judgeReply(data, from, { server: SERVER, nonce: NONCE, earlierNonces: earlier });
const text = (s: string) => Uint8Array.from(Buffer.from(s.padEnd(4, '\0'), 'latin1'));

describe('judging a datagram', () => {
  test('a good reply is accepted', () => {
    const v = judge(reply());
    expect(v.kind).toBe('accept');
  });

  test.each([
    ['another port', { address: '127.0.0.1', port: 124 }, /from 127\.0\.0\.1:124, not the server 127\.0\.0\.1:123/],
    ['another address', { address: '127.0.0.2', port: 123 }, /from 127\.0\.0\.2:123/],
  ])('from %s: ignored', (_, from, reason) => {
    const v = judge(reply(), from);
    expect(v).toEqual({ kind: 'ignore', reason: expect.stringMatching(reason) });
  });

  test('origin checks: forged, zero and stale replies are ignored, never accepted', () => {
    expect(judge(reply({ originTimestamp: NONCE + 1n }))).toEqual({ kind: 'ignore', reason: expect.stringMatching(/not the nonce we sent.*forged or stale/) });
    expect(judge(reply({ originTimestamp: 0n }))).toEqual({ kind: 'ignore', reason: expect.stringMatching(/origin timestamp is zero/) });
    expect(judge(reply({ originTimestamp: 42n }), SERVER, new Set([42n]))).toEqual({ kind: 'ignore', reason: expect.stringMatching(/earlier request/) });
    expect(judge(Buffer.alloc(20))).toEqual({ kind: 'ignore', reason: expect.stringMatching(/too short to hold an origin/) });
  });

  test.each<[string, Partial<NtpPacket>, RegExp]>([
    ['mode 3', { mode: 3 }, /mode 3 \(client\), expected 4 \(server\)/],
    ['version 0', { version: 0 }, /version 0 is not an NTP version/],
    ['version 7', { version: 7 }, /version 7 is not an NTP version/],
    ['zero transmit', { transmitTimestamp: 0n }, /transmit timestamp is zero/],
    ['zero receive', { receiveTimestamp: 0n }, /receive timestamp is zero/],
  ])('%s with our origin: rejected', (_, overrides, why) => {
    const v = judge(reply(overrides));
    expect(v.kind).toBe('reject');
    if (v.kind === 'reject') {
      expect(v.error.code).toBe('PROTOCOL');
      expect(v.error.why).toMatch(why);
    }
  });

  test('short and oversized replies with our origin are rejected', () => {
    const short = judge(reply().subarray(0, 47));
    expect(short.kind === 'reject' && short.error.why).toMatch(/47-byte reply is shorter/);
    const long = judge(Buffer.concat([reply(), Buffer.alloc(952)]));
    expect(long.kind === 'reject' && long.error.why).toMatch(/1000-byte reply is longer/);
  });

  test('kiss-o-death: stratum 0 with a kiss code', () => {
    expect(judge(reply({ stratum: 0, leap: 3, refId: text('RATE') }))).toMatchObject({ kind: 'kiss', code: 'RATE' });
    expect(judge(reply({ stratum: 0, refId: text('DENY') }))).toMatchObject({ kind: 'kiss', code: 'DENY' });
    expect(kissMessage('RATE')).toMatch(/kiss-o'-death RATE \(rate exceeded.*\); no further queries/);
    // A forged KoD (wrong origin) must not stop anything (the CVE-2015-7704 attack).
    expect(judge(reply({ stratum: 0, refId: text('DENY'), originTimestamp: 7n })).kind).toBe('ignore');
  });

  test('unsynchronised: LI 3, stratum 0 without kiss code, stratum 16', () => {
    expect(judge(reply({ leap: 3 }))).toMatchObject({ kind: 'unsynchronised', reason: expect.stringMatching(/leap indicator 3/) });
    expect(judge(reply({ stratum: 0, refId: Uint8Array.of(0, 0, 0, 0) }))).toMatchObject({ kind: 'unsynchronised', reason: expect.stringMatching(/stratum 0 without a kiss code/) });
    expect(judge(reply({ stratum: 16 }))).toMatchObject({ kind: 'unsynchronised' });
  });

  test('property: any datagram from anyone gets a verdict, and only one carrying our nonce is ever accepted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), fc.boolean(), fc.boolean(), (bytes, plantNonce, fromServer) => {
        const data = Buffer.from(bytes);
        if (plantNonce && data.length >= 32) data.writeBigUInt64BE(NONCE, 24);
        const v = judge(data, fromServer ? SERVER : { address: '127.0.0.9', port: 9 });
        expect(['accept', 'ignore', 'reject', 'kiss', 'unsynchronised']).toContain(v.kind);
        if (v.kind !== 'ignore') {
          expect(fromServer).toBe(true);
          expect(data.readBigUInt64BE(24)).toBe(NONCE);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('offset and delay (RFC 5905 §8)', () => {
  test('a server 100 ms ahead, 10 ms each way, 1 ms processing', () => {
    const t1 = NOW;
    const packet = { receiveTimestamp: unixMsToTimestamp(t1 + 10 + 100), transmitTimestamp: unixMsToTimestamp(t1 + 11 + 100) };
    const m = measure(t1, t1 + 21, packet);
    expect(m.offsetMs).toBeCloseTo(100, 6);
    expect(m.delayMs).toBeCloseTo(20, 6);
  });

  test('sub-millisecond digits survive (to the ~0.2 µs a double holds for Unix ms)', () => {
    const t1 = NOW + 0.123;
    const m = measure(t1, t1 + 0.2, { receiveTimestamp: unixMsToTimestamp(t1 + 0.1 - 0.0375), transmitTimestamp: unixMsToTimestamp(t1 + 0.1 - 0.0375) });
    expect(m.offsetMs).toBeCloseTo(-0.0375, 4);
    expect(m.delayMs).toBeCloseTo(0.2, 4);
  });

  test('across the 2036 rollover: client in era 0, server already in era 1', () => {
    const rollover = Date.UTC(2036, 1, 7, 6, 28, 16);
    const t1 = rollover - 5; // 5 ms before the seconds field wraps, on our clock
    // The server is 20 ms ahead, so its timestamps are just past the wrap (seconds field 0).
    const packet = { receiveTimestamp: unixMsToTimestamp(t1 + 1 + 20), transmitTimestamp: unixMsToTimestamp(t1 + 1.5 + 20) };
    expect(packet.receiveTimestamp >> 32n).toBe(0n);
    const m = measure(t1, t1 + 2.5, packet);
    expect(m.offsetMs).toBeCloseTo(20, 5);
    expect(m.delayMs).toBeCloseTo(2, 5);
  });

  test('sample statistics: best is the lowest delay; jitter is RMS about the best offset', () => {
    const samples = [
      { offsetMs: 1, delayMs: 5 },
      { offsetMs: 3, delayMs: 1 },
      { offsetMs: 7, delayMs: 9 },
    ];
    expect(bestIndex(samples)).toBe(1);
    const s = sampleStats(samples)!;
    expect(s).toMatchObject({ count: 3, minOffsetMs: 1, medianOffsetMs: 3, maxOffsetMs: 7, minDelayMs: 1, medianDelayMs: 5, maxDelayMs: 9 });
    expect(s.jitterMs).toBeCloseTo(Math.sqrt((4 + 16) / 2), 9);
    expect(sampleStats([{ offsetMs: 2, delayMs: 1 }])!.jitterMs).toBe(0);
    expect(sampleStats([])).toBeUndefined();
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(rootDistanceMs({ rootDelaySeconds: 0.01, rootDispersionSeconds: 0.002 }, 4)).toBeCloseTo(9, 9);
  });
});
