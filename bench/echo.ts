// Echo servers side by side (sockkit, a minimal Node pipe server, socat, ncat), the
// most connections sockkit holds, and sockkit's load client against a minimal one:
// bench/echo-measure.mjs does those runs and prints its own table.
//
// Then the "within 5% of the minimal Node server" question, which separate runs
// cannot answer here (the same server gives ±25% from one 3 s run to the next): both
// servers run at once and are loaded in interleaved 250 ms slices (bench/interleaved.ts).
// Not for bulk under a 1 MiB window: there TCP_NODELAY's cost (bench/README.md) shows
// only on a connection streaming for seconds, never in 250 ms slices that stop and
// drain, so echo-measure's separate runs are the measure of it.
import { runCommand, stats, type ResultRow } from './harness.js';
import { interleave, pairedRatio, withServers, type InterleavedLoad } from './interleaved.js';
import { SOCKKIT, benchFile } from './paths.js';

/** 24 rounds: 48 slices of 250 ms, a 95% interval of about ±5% here. */
const ROUNDS = 24;

const LOADS: Array<{ work: string; unit: string; scale: number; load: InterleavedLoad }> = [
  { work: '1 bulk connection, unbounded writer', unit: 'MB/s', scale: 1e6, load: { mode: 'bulk', windowBytes: 0 } },
  { work: '100 ping-pong connections × 64 B', unit: 'msg/s', scale: 1, load: { mode: 'pingpong', connections: 100 } },
  { work: '1,000 ping-pong connections × 64 B', unit: 'msg/s', scale: 1, load: { mode: 'pingpong', connections: 1000 } },
];

export async function benchEcho(): Promise<ResultRow[]> {
  const r = await runCommand(process.execPath, [benchFile('echo-measure.mjs'), '--seconds', '3', '--rounds', '5'], { timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(`echo-measure exited ${r.code}: ${r.stderr.slice(-500)}`);
  console.log(r.stdout.trim() + '\n');
  return benchEchoPaired();
}

async function benchEchoPaired(): Promise<ResultRow[]> {
  const specs = [
    { command: SOCKKIT, args: ['echo-server', '--port', 'PORT', '--json'] },
    { command: process.execPath, args: [benchFile('minimal-echo-server.cjs'), 'PORT'] },
  ];
  return withServers(specs, async ([sockkit, minimal]) => {
    const rows: ResultRow[] = [];
    for (const { work, unit, scale, load } of LOADS) {
      const faultsBefore = [sockkit!.minorFaults(), minimal!.minorFaults()];
      const { rates, totals } = await interleave([sockkit!.port, minimal!.port], { ...load, rounds: ROUNDS });
      const [mine, theirs] = rates;
      const paired = pairedRatio(mine!, theirs!);
      // Includes the warm-up slice's faults: an upper bound per GB.
      const perGB = (faults: number, bytes: number) => (faults / (bytes / 1e9)).toFixed(0);
      const faultNote =
        load.mode === 'bulk'
          ? `, server page faults per GB echoed ${perGB(sockkit!.minorFaults() - faultsBefore[0]!, totals[0]!)} vs ${perGB(minimal!.minorFaults() - faultsBefore[1]!, totals[1]!)}`
          : '';
      rows.push({
        work: `echo-server, ${work} (interleaved 250 ms slices)`,
        peer: 'the minimal Node `pipe` server',
        unit,
        higherIsBetter: true,
        sockkit: stats(mine!.map((x) => x / scale)),
        peerStats: stats(theirs!.map((x) => x / scale)),
        paired,
        target: 'within 5% (≥ 0.95×)',
        met: paired.median >= 0.95,
        note: `peak RSS so far ${mib(sockkit!.peakRss())} vs ${mib(minimal!.peakRss())}${faultNote}`,
      });
    }
    return rows;
  });
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
