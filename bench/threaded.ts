// threaded-server with 2 workers against itself with 1, for echo and upper, under
// the same ping-pong load (bench/threaded-measure.mjs does the runs, interleaved).
import { runCommand, stats, type ResultRow } from './harness.js';
import { benchFile } from './paths.js';

interface Run {
  handler: string;
  workers: number;
  messagesPerSecond: number;
  maxSplitDeviationPercent: number;
  p99Ms: number;
  peakServerRssMiB: number;
  serverCores: number;
  clientCores: number;
}

export async function benchThreaded(repeats = 3): Promise<ResultRow[]> {
  const r = await runCommand(process.execPath, [benchFile('threaded-measure.mjs'), '--workers', '1,2', '--handlers', 'echo,upper', '--connections', '100', '--duration', '5', '--repeats', String(repeats), '--settle', '1', '--json'], { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`threaded-measure exited ${r.code}: ${r.stderr.slice(0, 500)}`);
  const { runs } = JSON.parse(r.stdout) as { runs: Run[] };
  const rows: ResultRow[] = [];
  for (const handler of ['echo', 'upper']) {
    const one = runs.filter((x) => x.handler === handler && x.workers === 1);
    const two = runs.filter((x) => x.handler === handler && x.workers === 2);
    const s2 = stats(two.map((x) => x.messagesPerSecond));
    const s1 = stats(one.map((x) => x.messagesPerSecond));
    const split = stats(two.map((x) => x.maxSplitDeviationPercent)).median;
    // Both sides on one 2-core machine: how busy it already was with one worker.
    const cores = (xs: Run[]) => `${stats(xs.map((x) => x.serverCores)).median.toFixed(2)} + ${stats(xs.map((x) => x.clientCores)).median.toFixed(2)}`;
    rows.push({
      work: `threaded-server \`${handler}\`, 2 workers, 100 conns × 64 B`,
      peer: 'itself, 1 worker',
      unit: 'msg/s',
      higherIsBetter: true,
      sockkit: s2,
      peerStats: s1,
      target: '≥ 0.9×, split within ±20%',
      met: s2.median / s1.median >= 0.9 && split <= 20,
      note: `split deviation ${split}%, p99 ${stats(two.map((x) => x.p99Ms)).median} ms vs ${stats(one.map((x) => x.p99Ms)).median} ms, RSS ${stats(two.map((x) => x.peakServerRssMiB)).median} vs ${stats(one.map((x) => x.peakServerRssMiB)).median} MiB, cores busy server + load client ${cores(two)} vs ${cores(one)}`,
    });
  }
  return rows;
}
