// threaded-server with 2 workers against itself with 1, for echo and upper.
//
// The ratio comes from interleaved 250 ms slices with both servers running
// (bench/interleaved.ts): separate runs of one server differ too much from each other
// here to decide a 0.9× line. bench/threaded-measure.mjs adds what needs a server of
// its own per run: how the load split between workers, p99, RSS, and the cores the
// server and the load client kept busy. Two control measurements show where the
// ratio comes from: a minimal node:cluster server under the same interleaved load,
// and sockkit again with the load client on CPU 0 and the servers on CPU 1.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { formatPaired, runCommand, stats, type ResultRow } from './harness.js';
import { interleave, pairedRatio, withServers, type ServerSpec } from './interleaved.js';
import { SOCKKIT, benchFile } from './paths.js';

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

const ROUNDS = 24;

function sockkitServer(workers: number, handler: string, cpus?: string): ServerSpec {
  return {
    command: SOCKKIT,
    args: ['threaded-server', '--json', '--port', 'PORT', '--workers', String(workers), '--handler', handler],
    readyWhen: (lines) => lines.filter((l) => l.includes('"worker-ready"')).length >= workers,
    cpus,
  };
}

function minimalClusterServer(workers: number): ServerSpec {
  return { command: process.execPath, args: [benchFile('minimal-cluster-server.cjs'), String(workers), 'PORT'] };
}

/** Starts the servers, loads them in interleaved slices, and returns each one's rates. */
function interleaved(specs: ServerSpec[], handler: string, clientCpus?: string): Promise<number[][]> {
  return withServers(specs, async (servers) => {
    // A cluster's workers each need a moment to take their first connection.
    await new Promise((r) => setTimeout(r, 1000));
    const load = { mode: 'pingpong', connections: 100, expect: handler as 'echo' | 'upper', rounds: ROUNDS, cpus: clientCpus } as const;
    return (await interleave(servers.map((s) => s.port), load)).rates;
  });
}

export async function benchThreaded(repeats = 2): Promise<ResultRow[]> {
  const r = await runCommand(process.execPath, [benchFile('threaded-measure.mjs'), '--workers', '1,2', '--handlers', 'echo,upper', '--connections', '100', '--duration', '5', '--repeats', String(repeats), '--settle', '1', '--json'], { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`threaded-measure exited ${r.code}: ${r.stderr.slice(0, 500)}`);
  const { runs } = JSON.parse(r.stdout) as { runs: Run[] };

  // echo is measured beside the smallest node:cluster server (1 and 2 workers, all four
  // interleaved), and again with the client and the servers each on a core of their own.
  const echoRates = await interleaved([sockkitServer(1, 'echo'), sockkitServer(2, 'echo'), minimalClusterServer(1), minimalClusterServer(2)], 'echo');
  const canPin = availableParallelism() >= 2 && (existsSync('/usr/bin/taskset') || existsSync('/bin/taskset'));
  const pinned = canPin ? await interleaved([sockkitServer(1, 'echo', '1'), sockkitServer(2, 'echo', '1')], 'echo', '0') : undefined;
  const upperRates = await interleaved([sockkitServer(1, 'upper'), sockkitServer(2, 'upper')], 'upper');

  const rows: ResultRow[] = [];
  for (const handler of ['echo', 'upper']) {
    const rates = handler === 'echo' ? echoRates : upperRates;
    const paired = pairedRatio(rates[1]!, rates[0]!);
    const one = runs.filter((x) => x.handler === handler && x.workers === 1);
    const two = runs.filter((x) => x.handler === handler && x.workers === 2);
    const split = stats(two.map((x) => x.maxSplitDeviationPercent)).median;
    // Both sides on one 2-core machine: how busy it already was with one worker.
    const cores = (xs: Run[]) => `${stats(xs.map((x) => x.serverCores)).median.toFixed(2)} + ${stats(xs.map((x) => x.clientCores)).median.toFixed(2)}`;
    const controls =
      handler === 'echo'
        ? `; in the same interleaving a minimal node:cluster echo server gave 2 vs 1 workers ${formatPaired(pairedRatio(rates[3]!, rates[2]!))}, ` +
          `sockkit vs it ${formatPaired(pairedRatio(rates[0]!, rates[2]!))} with 1 worker and ${formatPaired(pairedRatio(rates[1]!, rates[3]!))} with 2` +
          (pinned ? `; sockkit with the load client on CPU 0 and both servers on CPU 1: 2 vs 1 workers ${formatPaired(pairedRatio(pinned[1]!, pinned[0]!))}, ${stats(pinned[1]!).median.toFixed(0)} vs ${stats(pinned[0]!).median.toFixed(0)} msg/s` : '')
        : '';
    rows.push({
      work: `threaded-server \`${handler}\`, 2 workers, 100 conns × 64 B (interleaved 250 ms slices)`,
      peer: 'itself, 1 worker',
      unit: 'msg/s',
      higherIsBetter: true,
      sockkit: stats(rates[1]!),
      peerStats: stats(rates[0]!),
      paired,
      target: '≥ 0.9×, split within ±20%',
      met: paired.median >= 0.9 && split <= 20,
      note:
        `separate 5 s runs (${repeats} each): ${stats(two.map((x) => x.messagesPerSecond)).median.toFixed(0)} vs ${stats(one.map((x) => x.messagesPerSecond)).median.toFixed(0)} msg/s, ` +
        `split deviation ${split}%, p99 ${stats(two.map((x) => x.p99Ms)).median.toFixed(1)} ms vs ${stats(one.map((x) => x.p99Ms)).median.toFixed(1)} ms, ` +
        `RSS ${stats(two.map((x) => x.peakServerRssMiB)).median} vs ${stats(one.map((x) => x.peakServerRssMiB)).median} MiB, cores busy server + load client ${cores(two)} vs ${cores(one)}${controls}`,
    });
  }
  return rows;
}
