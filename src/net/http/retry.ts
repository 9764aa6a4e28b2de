// --retry as curl defines it: which failures are transient (a timeout, a refused or reset
// connection; 408, 429, 500, 502, 503, 504), how long to wait (doubling from 1 s, or
// --retry-delay, or the server's Retry-After), and when to stop. Pure functions.
import { SockkitError } from '../shared/errors.js';

export const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** curl's cap on the doubling delay. */
const MAX_BACKOFF_MS = 10 * 60 * 1000;

/** A failure worth another try: a timeout, or a connection refused, reset or unreachable. */
export function isTransientError(err: unknown): err is SockkitError {
  return err instanceof SockkitError && (err.code === 'TIMEOUT' || err.code === 'UNREACHABLE');
}

/** The wait before retry `n` (1-based): --retry-delay when given, else 1 s, 2 s, 4 s … up to 10 min. */
export function backoffMs(n: number, fixedDelayMs: number | undefined): number {
  if (fixedDelayMs !== undefined) return fixedDelayMs;
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (n - 1));
}

/** Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface RetryPolicy {
  retries: number;
  fixedDelayMs?: number;
  /** --retry-max-time: no retry starts after this long since the first try (0: no limit). */
  maxTimeMs: number;
}

/**
 * The wait before retry `n`, or null when it may not happen: retries used up, or the
 * wait (Retry-After or the backoff) would end past --retry-max-time.
 */
export function nextDelayMs(policy: RetryPolicy, n: number, elapsedMs: number, retryAfter: number | undefined): number | null {
  if (n > policy.retries) return null;
  const delay = retryAfter ?? backoffMs(n, policy.fixedDelayMs);
  if (policy.maxTimeMs > 0 && elapsedMs + delay > policy.maxTimeMs) return null;
  return delay;
}
