// Paired comparisons of long-running servers: every server under test is started once,
// then bench/interleaved-load.mjs loads them in turn, 250 ms each, many times over (see
// that file for why). The ratio reported is the median of the ratios of adjacent
// slices, with its 95% confidence interval.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, readdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { runCommand, stats, type PairedRatio, type Stats } from './harness.js';
import { benchFile } from './paths.js';

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** A process and every descendant (cluster workers, forks), from /proc. */
export function processTree(pid: number): number[] {
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${found[i]}/task`)) {
        const children = readFileSync(`/proc/${found[i]}/task/${tid}/children`, 'utf8').trim();
        if (children) found.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      /* gone */
    }
  }
  return found;
}

function sumOverTree(pid: number, valueOf: (p: number) => number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      total += valueOf(p);
    } catch {
      /* gone */
    }
  }
  return total;
}

const statFields = (p: number) => {
  const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
};
/** minflt is field 10 of /proc/PID/stat, the 8th after the command name. */
const minorFaultsOf = (p: number) => Number(statFields(p)[7]);
const rssOf = (p: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) * 1024;

export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const port = await freePort();
  const args = spec.args.map((a) => a.replaceAll('PORT', String(port)));
  const [command, argv] = spec.cpus ? ['taskset', ['-c', spec.cpus, spec.command, ...args]] : [spec.command, args];
  const child: ChildProcess = spawn(command, argv, { stdio: ['ignore', 'pipe', openSync('/dev/null', 'w')], env: { ...process.env, ...spec.env } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = performance.now() + 30_000;
  for (;;) {
    const ready = spec.readyWhen ? spec.readyWhen(out.split('\n')) && (await accepts(port)) : await accepts(port);
    if (ready) break;
    if (child.exitCode !== null || performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${spec.command} ${args.join(' ')} did not start`);
    }
    await sleep(50);
  }
  const pid = child.pid!;
  let peak = sumOverTree(pid, rssOf);
  const sampler = setInterval(() => (peak = Math.max(peak, sumOverTree(pid, rssOf))), 100);
  return {
    port,
    minorFaults: () => sumOverTree(pid, minorFaultsOf),
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
