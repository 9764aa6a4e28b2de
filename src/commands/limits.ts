// What values a flag takes, declared beside it (OptionSpec.limit in options.ts) and
// checked here, once, for both parsers (yargs and the direct one), with one wording:
// `bad --flag 'VALUE': expected a whole number from 1 to 1000`.
import { usageError } from '../net/shared/errors.js';
import type { OptionSpecs } from './options.js';

export type FlagLimit =
  /** A whole number in [min, max]. */
  | { kind: 'integer'; min: number; max?: number }
  /** Seconds (decimals allowed): above `min` when `exclusive`, else from it; at most `max`. */
  | { kind: 'seconds'; min: number; exclusive?: boolean; max?: number }
  /** A byte count, `1048576`, `512K`, `10M`, `1G` (binary multiples); the value becomes a number. */
  | { kind: 'bytes'; min: number };

/** Checks every flag of `options` given in `args` against its limit; converts byte counts in place. */
export function checkFlagValues(options: OptionSpecs, args: Record<string, unknown>): void {
  for (const [name, spec] of Object.entries(options)) {
    const limit = spec.limit;
    const value = args[name];
    if (!limit || value === undefined) continue;
    const checked = checkValue(limit, value, `--${name}`);
    if (checked !== value) {
      args[name] = checked;
      const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      if (camel in args) args[camel] = checked;
    }
  }
}

function checkValue(limit: FlagLimit, value: unknown, flag: string): number {
  const shown = typeof value === 'number' && Number.isNaN(value) ? `bad ${flag}` : `bad ${flag} '${String(value)}'`;
  const number = limit.kind === 'bytes' ? byteCount(value) : numberOf(value);
  if (!fits(limit, number)) throw usageError(shown, `expected ${describeLimit(limit)}`);
  return number;
}

function fits(limit: FlagLimit, n: number): boolean {
  if (!Number.isFinite(n)) return false;
  if (limit.kind !== 'seconds' && !Number.isInteger(n)) return false;
  const aboveMin = limit.kind === 'seconds' && limit.exclusive ? n > limit.min : n >= limit.min;
  const max = limit.kind === 'bytes' ? undefined : limit.max;
  return aboveMin && (max === undefined || n <= max);
}

/** The one wording of every flag's expected values (also for --help and the README). */
export function describeLimit(limit: FlagLimit): string {
  const upTo = (max: number | undefined, unit = '') => (max === undefined ? ' up' : ` to ${max.toLocaleString('en-US')}${unit}`);
  switch (limit.kind) {
    case 'integer':
      return `a whole number from ${limit.min.toLocaleString('en-US')}${upTo(limit.max)}`;
    case 'seconds':
      return limit.exclusive
        ? `seconds above ${limit.min}${limit.max === undefined ? '' : ` and at most ${limit.max}`}, e.g. 2 or 0.5`
        : `seconds from ${limit.min}${upTo(limit.max)}, e.g. 2 or 0.5`;
    case 'bytes':
      return `a byte count from ${limit.min}, e.g. 1048576, 512K, 10M or 1G`;
  }
}

/** A number, or a flag's text that is one (a string-typed flag); NaN for anything else. */
function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  return /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(String(value)) ? Number(value) : Number.NaN;
}

/** `1048576`, `512K`, `10M`, `1G` → bytes; NaN for anything else. */
export function byteCount(value: unknown): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]?)i?B?\s*$/i.exec(String(value));
  if (!m) return Number.NaN;
  const scale = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.floor(Number(m[1]) * scale);
}
