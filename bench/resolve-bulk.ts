// 100,000 names from stdin against a local NSD over UDP (issue 16's bulk rows):
// `sockkit resolve - --type A` against the minimal Node UDP client (the floor, within
// 1.2×) and against `dig -f` (≤ 0.25×), every name answered; and sockkit's peak RSS
// (< 150 MiB), with the names streamed rather than read first.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNsd } from '../tests/interop/peers/nsd.js';
import { alternate, floorRow, runCommand, stats, type ResultRow } from './harness.js';
import { NO_EXTRA_CA, SOCKKIT, benchFile } from './paths.js';

const NAMES = 100_000;

export async function benchResolveBulk(rounds = 3): Promise<ResultRow[]> {
  const names = Array.from({ length: NAMES }, (_, i) => `b${i}.sockkit.test`);
  const zone = names.map((n, i) => `${n}. IN A 198.51.${Math.floor(i / 250) % 250}.${(i % 250) + 1}\n`).join('');
  const nsd = await startNsd({ extraZoneLines: `\n${zone}` });
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-bench-bulk-'));
  const digFile = join(dir, 'names.dig');
  writeFileSync(digFile, names.map((n) => `${n} A`).join('\n') + '\n');
  const input = names.join('\n') + '\n';
  const rss: number[] = [];
  try {
    const sockkit = async () => {
      const r = await runCommand(SOCKKIT, ['resolve', '-', '--server', `127.0.0.1:${nsd.port}`, '--type', 'A'], { input, sampleRss: true, stdoutToNull: true, timeoutMs: 120_000 });
      // exit 0: every name answered (an NXDOMAIN would be 3, a timeout 5)
      if (r.code !== 0) throw new Error(`sockkit resolve exited ${r.code}: ${r.stderr.slice(0, 300)}`);
      rss.push(r.peakRssKb);
      return r.ms;
    };
    const minimal = async () => {
      const r = await runCommand(process.execPath, [benchFile('minimal-resolve-client.mjs'), '127.0.0.1', String(nsd.port)], { input, env: NO_EXTRA_CA, stdoutToNull: true });
      if (r.code !== 0) throw new Error(`minimal resolve client failed: ${r.stderr.slice(0, 300)}`);
      return r.ms;
    };
    const dig = async () => {
      const r = await runCommand('dig', ['@127.0.0.1', '-p', String(nsd.port), '+noall', '+answer', '-f', digFile], { stdoutToNull: true, timeoutMs: 600_000 });
      if (r.code !== 0) throw new Error(`dig exited ${r.code}`);
      return r.ms;
    };
    const floor = await alternate(rounds, sockkit, minimal, 1);
    // dig's rounds: sockkit, the minimal client and dig in turn, so that the minimal
    // client's own ratio to dig (the floor for any Node program) comes from the same runs.
    const digTimes = { a: [] as number[], minimal: [] as number[], b: [] as number[] };
    for (let i = 0; i < Math.max(1, rounds - 1); i++) {
      const order = [() => sockkit().then((ms) => digTimes.a.push(ms)), () => minimal().then((ms) => digTimes.minimal.push(ms)), () => dig().then((ms) => digTimes.b.push(ms))];
      for (let j = 0; j < order.length; j++) await order[(i + j) % order.length]!();
    }
    const ours = [...floor.a, ...digTimes.a];
    return [
      {
        work: `\`sockkit resolve -\` ${NAMES.toLocaleString('en-US')} names vs local NSD, UDP (wall time)`,
        peer: 'minimal Node UDP client (bench/minimal-resolve-client.mjs)',
        unit: 'ms',
        higherIsBetter: false,
        sockkit: stats(floor.a),
        peerStats: stats(floor.b),
        target: '≤ 1.2×',
        met: stats(floor.a).median <= 1.2 * stats(floor.b).median,
        note: 'the same window of 50; the minimal client reads all names first, checks only the ID and does not retransmit',
      },
      {
        work: `\`sockkit resolve -\` ${NAMES.toLocaleString('en-US')} names vs local NSD, UDP (wall time)`,
        peer: '`dig -f`',
        unit: 'ms',
        higherIsBetter: false,
        sockkit: stats(digTimes.a),
        peerStats: stats(digTimes.b),
        target: '≤ 0.25×',
        met: stats(digTimes.a).median <= 0.25 * stats(digTimes.b).median,
      },
      floorRow(
        `a minimal Node UDP client, ${NAMES.toLocaleString('en-US')} names (bench/minimal-resolve-client.mjs)`,
        '`dig -f`',
        { a: digTimes.minimal, b: digTimes.b },
        `the floor for any Node program, in the same rounds as the row above: 0.25× of dig is ${(0.25 * stats(digTimes.b).median).toFixed(0)} ms`,
      ),
      {
        work: `peak RSS of \`sockkit resolve -\`, ${NAMES.toLocaleString('en-US')} names`,
        peer: '(150 MiB)',
        unit: 'MiB',
        higherIsBetter: false,
        sockkit: stats(rss.map((kb) => kb / 1024)),
        peerStats: stats([150]),
        target: '< 150 MiB',
        met: Math.max(...rss) / 1024 < 150,
        note: `VmHWM sampled every 50 ms over ${ours.length} runs`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await nsd.stop();
  }
}
