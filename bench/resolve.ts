// 1,000 names against a local NSD: `sockkit resolve - --server` against `dig -f`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNsd } from '../tests/interop/peers/nsd.js';
import { alternate, floorRow, runCommand, stats, type ResultRow } from './harness.js';
import { BASELINE, NO_EXTRA_CA, SOCKKIT, baselineRow, benchFile } from './paths.js';

const NAMES = 1000;

export async function benchResolve(rounds = 10): Promise<ResultRow[]> {
  const names = Array.from({ length: NAMES }, (_, i) => `host-${String(i).padStart(4, '0')}.sockkit.test`);
  const zone = names.map((n, i) => `${n}. IN A 198.51.100.${(i % 250) + 1}\n`).join('');
  const nsd = await startNsd({ extraZoneLines: `\n${zone}` });
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-bench-dns-'));
  const digFile = join(dir, 'names.dig');
  writeFileSync(digFile, names.map((n) => `${n} A`).join('\n') + '\n');
  const input = names.join('\n') + '\n';
  try {
    /** `sockkit resolve -` with these names on stdin; its wall time in ms. */
    const resolveNames = async (namesOnStdin: string, bin = SOCKKIT) => {
      const r = await runCommand(bin, ['resolve', '-', '--server', `127.0.0.1:${nsd.port}`, '--type', 'A'], { input: namesOnStdin });
      if (r.code !== 0) throw new Error(`sockkit resolve exited ${r.code}: ${r.stderr.slice(0, 300)}`);
      return r.ms;
    };
    const sockkit = () => resolveNames(input);
    const dig = async () => {
      const r = await runCommand('dig', ['@127.0.0.1', '-p', String(nsd.port), '+noall', '+answer', '-f', digFile]);
      if (r.code !== 0) throw new Error(`dig exited ${r.code}`);
      return r.ms;
    };
    const { a, b } = await alternate(rounds, sockkit, dig, 2);
    // The floor: the smallest Node program doing the same queries (bench/minimal-resolve-client.mjs),
    // started without NODE_EXTRA_CA_CERTS, as bin/sockkit starts node.
    const minimal = async () => {
      const r = await runCommand(process.execPath, [benchFile('minimal-resolve-client.mjs'), '127.0.0.1', String(nsd.port)], { input, env: NO_EXTRA_CA });
      if (r.code !== 0 || r.stdout.split('\n').length !== NAMES + 1) throw new Error(`minimal resolve client failed: ${r.stderr.slice(0, 300)}`);
      return r.ms;
    };
    const floor = await alternate(rounds, minimal, dig, 1);
    // The fixed part: the same command with one name (Node and CLI start-up, one query).
    const oneName = () => resolveNames(`${names[0]}\n`);
    const fixed = await alternate(rounds, oneName, dig, 1);
    const againstBaseline = BASELINE ? await baselineRows(rounds, resolveNames, input, `${names[0]}\n`) : [];
    return [
      ...againstBaseline,
      {
        work: `\`sockkit resolve\` ${NAMES} names vs local NSD (wall time)`,
        peer: '`dig -f`',
        unit: 'ms',
        higherIsBetter: false,
        sockkit: stats(a),
        peerStats: stats(b),
        target: '≤ 1.0×',
        met: stats(a).median <= stats(b).median,
      },
      floorRow(
        '`sockkit resolve` with 1 name (the fixed start-up part)',
        '`dig -f` (1000 names)',
        fixed,
        `per name after that: ${((stats(a).median - stats(fixed.a).median) / (NAMES - 1) * 1000).toFixed(0)} µs`,
      ),
      floorRow(
        `a minimal Node UDP client, ${NAMES} names (the floor for Node)`,
        '`dig -f`',
        floor,
        'bench/minimal-resolve-client.mjs: no CLI, no checks, no retries; node started without NODE_EXTRA_CA_CERTS',
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await nsd.stop();
  }
}

/** This build against SOCKKIT_BENCH_BASELINE's: the 1,000 names, and one name (mostly start-up). */
async function baselineRows(rounds: number, resolveNames: (input: string, bin?: string) => Promise<number>, all: string, one: string): Promise<ResultRow[]> {
  const batch = await alternate(rounds, () => resolveNames(all), () => resolveNames(all, BASELINE), 2);
  const single = await alternate(rounds * 2, () => resolveNames(one), () => resolveNames(one, BASELINE), 2);
  return [
    baselineRow(`\`sockkit resolve\` ${NAMES} names vs local NSD, this build`, batch, 'the same command and names, alternated'),
    baselineRow('`sockkit resolve` with 1 name, this build', single, 'start-up and one query'),
  ];
}
