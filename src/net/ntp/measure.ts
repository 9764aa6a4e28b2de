// Offset, delay and sample statistics (RFC 5905 §8, §10), as pure functions.
import { timestampDiffSeconds, unixMsToTimestamp, type NtpPacket } from './packet.js';

export interface Measurement {
  /** θ: how far the server's clock is ahead of ours, in ms. */
  offsetMs: number;
  /** δ: round-trip delay minus the server's processing time, in ms. */
  delayMs: number;
}

/**
 * T1 and T4 are our local send and receive times (Unix ms, sub-ms precision); T2 and
 * T3 the server's receive and transmit timestamps. Each server-side difference is
 * taken modulo 2^64 as a signed value (RFC 5905 §6), so the result stays right when
 * one side is past the 2036 era rollover and the other is not.
 *   θ = ((T2 − T1) + (T3 − T4)) / 2      δ = (T4 − T1) − (T3 − T2)
 */
export function measure(t1UnixMs: number, t4UnixMs: number, packet: Pick<NtpPacket, 'receiveTimestamp' | 'transmitTimestamp'>): Measurement {
  const t1 = unixMsToTimestamp(t1UnixMs);
  const t4 = unixMsToTimestamp(t4UnixMs);
  const t2MinusT1 = timestampDiffSeconds(packet.receiveTimestamp, t1);
  const t3MinusT4 = timestampDiffSeconds(packet.transmitTimestamp, t4);
  const serverHold = timestampDiffSeconds(packet.transmitTimestamp, packet.receiveTimestamp);
  return {
    offsetMs: ((t2MinusT1 + t3MinusT4) / 2) * 1000,
    delayMs: t4UnixMs - t1UnixMs - serverHold * 1000,
  };
}

export interface SampleStats {
  count: number;
  minOffsetMs: number;
  medianOffsetMs: number;
  maxOffsetMs: number;
  minDelayMs: number;
  medianDelayMs: number;
  maxDelayMs: number;
  /** RMS of the other samples' offsets from the best one's (RFC 5905 §10 peer jitter); 0 with one sample. */
  jitterMs: number;
}

/** The best of several samples: the lowest delay, as ntpdate and chrony pick (least queueing error). */
export function bestIndex(samples: readonly Measurement[]): number {
  let best = -1;
  samples.forEach((s, i) => {
    if (best === -1 || s.delayMs < samples[best]!.delayMs) best = i;
  });
  return best;
}

export function sampleStats(samples: readonly Measurement[]): SampleStats | undefined {
  if (samples.length === 0) return undefined;
  const offsets = samples.map((s) => s.offsetMs);
  const delays = samples.map((s) => s.delayMs);
  const best = samples[bestIndex(samples)]!;
  const others = samples.filter((s) => s !== best);
  const jitterMs = others.length === 0 ? 0 : Math.sqrt(others.reduce((sum, s) => sum + (s.offsetMs - best.offsetMs) ** 2, 0) / others.length);
  return {
    count: samples.length,
    minOffsetMs: Math.min(...offsets),
    medianOffsetMs: median(offsets),
    maxOffsetMs: Math.max(...offsets),
    minDelayMs: Math.min(...delays),
    medianDelayMs: median(delays),
    maxDelayMs: Math.max(...delays),
    jitterMs,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Root distance λ = (root delay + delay) / 2 + root dispersion (RFC 5905 §A.5.5.2,
 * without the local dispersion terms): the bound on the error of a server's time as
 * seen from here. The "best" of several servers is the one with the lowest.
 */
export function rootDistanceMs(packet: Pick<NtpPacket, 'rootDelaySeconds' | 'rootDispersionSeconds'>, delayMs: number): number {
  return (packet.rootDelaySeconds * 1000 + Math.max(0, delayMs)) / 2 + packet.rootDispersionSeconds * 1000;
}
