import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { bucketHighest, bucketIndex, LogLinearHistogram } from '../../src/net/histogram.js';
import { summarizeSamples, type EchoSample } from '../../src/net/echo-client.js';

describe('LogLinearHistogram', () => {
  test('values below 256 are exact', () => {
    const h = new LogLinearHistogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(100)).toBe(100);
    expect(h.summary()).toMatchObject({ count: 100, min: 1, max: 100, mean: 50.5 });
  });

  test('bucket index is monotonic and each value lies within 1% below its bucket top', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 20 }), (v, d) => {
        expect(bucketIndex(v + d)).toBeGreaterThanOrEqual(bucketIndex(v));
        const top = bucketHighest(bucketIndex(v));
        expect(top).toBeGreaterThanOrEqual(v);
        expect(top - v).toBeLessThanOrEqual(Math.max(0, v * 0.0079));
      }),
    );
  });

  test('percentiles of a wide spread stay within 1% of the exact answer', () => {
    const values: number[] = [];
    const h = new LogLinearHistogram();
    for (let i = 0; i < 10000; i++) {
      const v = Math.floor(20000 + ((i * 7919) % 10000) * 137); // 20 µs .. 1.4 ms in ns
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = values[Math.ceil((p / 100) * values.length) - 1]!;
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThan(0.01);
    }
  });

  test('histograms merge (one per worker adds up)', () => {
    const a = new LogLinearHistogram();
    const b = new LogLinearHistogram();
    a.record(10);
    b.record(1_000_000);
    a.merge(b);
    expect(a.count).toBe(2);
    expect(a.min).toBe(10);
    expect(a.max).toBe(1_000_000);
    expect(a.percentile(100)).toBe(1_000_000);
  });

  test('an empty histogram reports zeros; huge values are clamped, not thrown on', () => {
    expect(new LogLinearHistogram().summary()).toMatchObject({ count: 0, p99: 0, max: 0 });
    const h = new LogLinearHistogram();
    h.record(2 ** 60);
    h.record(-5);
    expect(h.count).toBe(2);
  });
});

describe('summarizeSamples', () => {
  test('counts sent, received, mismatched and lost; nearest-rank percentiles', () => {
    const samples: EchoSample[] = [
      { seq: 1, bytes: 8, rttMs: 1, status: 'ok' },
      { seq: 2, bytes: 8, rttMs: 3, status: 'ok' },
      { seq: 3, bytes: 8, status: 'lost' },
      { seq: 4, bytes: 8, rttMs: 2, status: 'mismatch' },
    ];
    expect(summarizeSamples(samples)).toEqual({
      sent: 4,
      received: 3,
      mismatched: 1,
      lost: 1,
      lossPercent: 25,
      minMs: 1,
      avgMs: 2,
      p50Ms: 2,
      p90Ms: 3,
      p99Ms: 3,
      maxMs: 3,
    });
  });
});
