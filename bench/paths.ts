import { fileURLToPath } from 'node:url';
import { stats, type ResultRow } from './harness.js';

/**
 * The built CLI, as users run it: the file itself is executed (its launcher lines run,
 * see bin/sockkit), not `node bin/sockkit`.
 */
export const SOCKKIT = fileURLToPath(new URL('../bin/sockkit', import.meta.url));

/** A script beside this file in bench/. */
export function benchFile(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** Environment overrides for a Node process that should not load NODE_EXTRA_CA_CERTS (empty = unset for Node). */
export const NO_EXTRA_CA: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '' };

export function extraCaNote(): string {
  return `this machine sets NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS}: Node 20 parses every root certificate at start when it is set; bin/sockkit hands it to http-get instead`;
}

/**
 * SOCKKIT_BENCH_BASELINE: the bin/sockkit of another, built checkout (an older commit in a
 * temporary worktree). The startup and resolve suites then add rows of this build
 * against it, alternated in the same run.
 */
export const BASELINE: string | undefined = process.env.SOCKKIT_BENCH_BASELINE || undefined;

/** A row of this build against the baseline (wall time in ms; at least as fast is the target). */
export function baselineRow(work: string, times: { a: number[]; b: number[] }, note: string): ResultRow {
  const row: ResultRow = {
    work,
    peer: `the baseline, ${BASELINE}`,
    unit: 'ms',
    higherIsBetter: false,
    sockkit: stats(times.a),
    peerStats: stats(times.b),
    target: '≤ 1.0×',
    met: undefined,
    note,
  };
  row.met = row.sockkit.median <= row.peerStats.median;
  return row;
}
