// The benchmark harness: runs sockkit and its peer alternately (A B A B ...) so
// that drift on a shared machine hits both, and reports medians, ranges and the
// ratio sockkit/peer. It measures; it never asserts.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Samples {
  values: number[];
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  const median = n === 0 ? NaN : n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted[n - 1] ?? NaN, n };
}

/**
 * Runs `a` and `b` alternately `rounds` times (after `warmup` untimed rounds),
 * each returning one measurement, and returns both sample sets.
 */
export async function alternate(
  rounds: number,
  a: () => Promise<number>,
  b: () => Promise<number>,
  warmup = 1,
): Promise<{ a: number[]; b: number[] }> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    // Alternate which goes first, so neither always follows the other.
    if (i % 2 === 0) {
      out.a.push(await a());
      out.b.push(await b());
    } else {
      out.b.push(await b());
      out.a.push(await a());
    }
  }
  return out;
}

export interface CommandRun {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  peakRssKb: number;
}

/**
 * Runs a command to completion and returns its wall time in ms. With
 * `sampleRss`, polls /proc/PID/status VmHWM (peak RSS) just before exit.
 */
export function runCommand(
  command: string,
  args: string[],
  options: { input?: string; stdoutToNull?: boolean; sampleRss?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', options.stdoutToNull ? 'ignore' : 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    let peakRssKb = 0;
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < 1 << 20) stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 1 << 16) stderr += d.toString();
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    const rssTimer = options.sampleRss ? setInterval(() => (peakRssKb = Math.max(peakRssKb, readPeakRssKb(child.pid))), 50) : undefined;
    const killTimer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - start;
      clearTimeout(killTimer);
      if (rssTimer) clearInterval(rssTimer);
      resolve({ ms, code, stdout, stderr, peakRssKb });
    });
  });
}

/** Peak resident set size (VmHWM) of a live process, in KiB; 0 if unreadable. */
export function readPeakRssKb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export interface ResultRow {
  work: string;
  peer: string;
  /** what is compared: 'ms' (lower is better) or a rate like 'MB/s' (higher is better) */
  unit: string;
  higherIsBetter: boolean;
  sockkit: Stats;
  peerStats: Stats;
  target: string;
  /** met/missed, computed by the suite from its own target */
  met: boolean | undefined;
  note?: string;
  /** No ratio column: the values compare by difference (two clock offsets near zero). */
  noRatio?: true;
  /** Measured in interleaved pairs (bench/interleaved.ts): the ratio is the pairs' median. */
  paired?: PairedRatio;
}

/** The median of paired ratios with a 95% confidence interval (order statistics). */
export interface PairedRatio {
  median: number;
  low: number;
  high: number;
  n: number;
}

/** A row that shows a floor (wall time in ms): a measurement beside the targets, not one. */
export function floorRow(work: string, peer: string, times: { a: number[]; b: number[] }, note: string): ResultRow {
  return {
    work,
    peer,
    unit: 'ms',
    higherIsBetter: false,
    sockkit: stats(times.a),
    peerStats: stats(times.b),
    target: '(shows the floor)',
    met: undefined,
    note,
  };
}

export function ratio(row: Pick<ResultRow, 'sockkit' | 'peerStats' | 'paired'>): number {
  return row.paired ? row.paired.median : row.sockkit.median / row.peerStats.median;
}

/** `0.98× (95% CI 0.97–0.99, 24 pairs)` */
export function formatPaired(p: PairedRatio): string {
  return `${p.median.toFixed(2)}× (95% CI ${p.low.toFixed(2)}–${p.high.toFixed(2)}, ${p.n} pairs)`;
}

function ratioCell(row: ResultRow): string {
  if (row.noRatio) return '–';
  return row.paired ? formatPaired(row.paired) : `${ratio(row).toFixed(2)}×`;
}

export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  return n >= 100 ? n.toFixed(0) : n.toFixed(digits);
}

/** A markdown table, so the same output can go into bench/README.md. */
export function formatTable(rows: ResultRow[]): string {
  const head = '| work | peer | sockkit median (min–max) | peer median (min–max) | ratio sockkit/peer | target | met |';
  const sep = '|---|---|---|---|---|---|---|';
  const lines = rows.map((r) => {
    const s = `${fmt(r.sockkit.median)} ${r.unit} (${fmt(r.sockkit.min)}–${fmt(r.sockkit.max)})`;
    const p = `${fmt(r.peerStats.median)} ${r.unit} (${fmt(r.peerStats.min)}–${fmt(r.peerStats.max)})`;
    const met = r.met === undefined ? '–' : r.met ? 'yes' : 'no';
    return `| ${r.work} | ${r.peer} | ${s} | ${p} | ${ratioCell(r)} | ${r.target} | ${met}${r.note ? ` (${r.note})` : ''} |`;
  });
  return [head, sep, ...lines].join('\n');
}

/** The row that says whether sockkit's measured offsets agree with the peer's (NTP, NTS). */
export function offsetAgreementRow(work: string, peer: string, sockkitOffsets: number[], peerOffsets: number[]): ResultRow {
  const so = stats(sockkitOffsets);
  const po = stats(peerOffsets);
  return {
    work,
    peer,
    unit: 'ms',
    higherIsBetter: false,
    sockkit: so,
    peerStats: po,
    target: 'agree within 1 ms',
    met: Math.abs(so.median - po.median) < 1,
    note: `difference ${Math.abs(so.median - po.median).toFixed(3)} ms`,
    noRatio: true,
  };
}
