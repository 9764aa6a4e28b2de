// Paired comparisons of long-running servers: every server under test is started once,
// then bench/interleaved-load.mjs loads them in turn, 250 ms each, many times over (see
// that file for why). The ratio reported is the median of the ratios of adjacent
// slices, with its 95% confidence interval.
import { spawn, type ChildProcess } from 'node:child_process';
import { runCommand, stats, type PairedRatio } from './harness.js';
import { benchFile } from './paths.js';
import { accepts, freePort, minorFaults, rssBytes, sumOverTree } from './proc.mjs';

export interface ServerSpec {
  /** Command and arguments; PORT in an argument is replaced by the port to listen on. */
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Ready when this is true of the stdout lines so far (default: the port accepts). */
  readyWhen?: (lines: string[]) => boolean;
  /** Run on these CPUs only (taskset -c), children included. */
  cpus?: string;
}

export interface RunningServer {
  port: number;
  /** Minor page faults of the process tree so far. */
  minorFaults(): number;
  /** Highest RSS of the process tree seen (sampled every 100 ms), in bytes. */
  peakRss(): number;
  stop(): Promise<void>;
}

export interface InterleavedLoad {
  mode: 'pingpong' | 'bulk';
  connections?: number;
  windowBytes?: number;
  expect?: 'echo' | 'upper';
  rounds?: number;
  /** Run the load client on these CPUs only (taskset -c). */
  cpus?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const port = await freePort();
  const args = spec.args.map((a) => a.replaceAll('PORT', String(port)));
  const [command, argv] = spec.cpus ? ['taskset', ['-c', spec.cpus, spec.command, ...args]] : [spec.command, args];
  const child: ChildProcess = spawn(command, argv, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, ...spec.env } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = performance.now() + 30_000;
  for (;;) {
    if ((spec.readyWhen?.(out.split('\n')) ?? true) && (await accepts(port))) break;
    if (child.exitCode !== null || performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${spec.command} ${args.join(' ')} did not start`);
    }
    await sleep(50);
  }
  const pid = child.pid!;
  let peak = sumOverTree(pid, rssBytes);
  const sampler = setInterval(() => (peak = Math.max(peak, sumOverTree(pid, rssBytes))), 100);
  return {
    port,
    minorFaults: () => sumOverTree(pid, minorFaults),
    peakRss: () => peak,
    async stop() {
      clearInterval(sampler);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts the servers one after another, runs `use` on them, and stops them all whatever happens. */
export async function withServers<T>(specs: ServerSpec[], use: (servers: RunningServer[]) => Promise<T>): Promise<T> {
  const servers: RunningServer[] = [];
  try {
    for (const spec of specs) servers.push(await startServer(spec));
    return await use(servers);
  } finally {
    for (const s of servers) await s.stop();
  }
}

export interface InterleavedResult {
  /** Each server's rate per slice (bytes/s or messages/s). */
  rates: number[][];
  /** Each server's bytes or messages over all its measured slices. */
  totals: number[];
}

/** Runs the interleaved load on the servers' ports. */
export async function interleave(ports: number[], load: InterleavedLoad): Promise<InterleavedResult> {
  const args = [
    benchFile('interleaved-load.mjs'),
    '--ports',
    ports.join(','),
    '--mode',
    load.mode,
    '--connections',
    String(load.connections ?? 100),
    '--window',
    String(load.windowBytes ?? 0),
    '--rounds',
    String(load.rounds ?? 16),
    '--expect',
    load.expect ?? 'echo',
  ];
  const [command, argv] = load.cpus ? ['taskset', ['-c', load.cpus, process.execPath, ...args]] : [process.execPath, args];
  const r = await runCommand(command, argv, { timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`interleaved-load exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(r.stdout) as InterleavedResult;
}

/** Median of a[i] / b[i] and its 95% confidence interval (the order statistics around it). */
export function pairedRatio(a: number[], b: number[]): PairedRatio {
  const ratios = a.map((x, i) => x / b[i]!).sort((x, y) => x - y);
  const n = ratios.length;
  // Distribution-free interval for a median: ranks n/2 ± 1.96·√n/2 (1-based).
  const k = Math.max(1, Math.floor(n / 2 - 0.98 * Math.sqrt(n)));
  return { median: stats(ratios).median, low: ratios[k - 1]!, high: ratios[n - k]!, n };
}
