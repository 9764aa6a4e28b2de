// 1,000 names over an encrypted transport against a local unbound: `sockkit resolve -`
// against dig doing the same with one connection per query.
//   - DNS over TLS: a tls:// server (one pipelined connection) vs `dig +tls -f`
//     (issue 16's target: ≤ 0.2× dig's wall time);
//   - DNS over HTTPS: an https:// server (one HTTP/2 connection, a stream per question)
//     vs `dig +https -f` (issue 18's target: ≤ 0.2×).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificates } from '../tests/interop/peers/nginx.js';
import { startUnbound, type UnboundPeer } from '../tests/interop/peers/unbound.js';
import { alternate, floorRow, runCommand, stats, type ResultRow } from './harness.js';
import { BASELINE, NO_EXTRA_CA, SOCKKIT, baselineRow, benchFile } from './paths.js';

const NAMES = 1000;

interface Transport {
  /** `tls`, `https`: the server URL's scheme, dig's `+tls`/`+https`. */
  scheme: 'tls' | 'https';
  label: string;
  connection: string;
  port: (unbound: UnboundPeer) => number;
  /** The smallest Node program doing the same (bench/), the floor for any Node client. */
  minimal: string;
}

const DOT: Transport = { scheme: 'tls', label: 'TLS', connection: 'one pipelined connection', port: (u) => u.tlsPort, minimal: 'minimal-dot-client.mjs' };
const DOH: Transport = { scheme: 'https', label: 'HTTPS', connection: 'one HTTP/2 connection', port: (u) => u.httpsPort, minimal: 'minimal-doh-client.mjs' };

export const benchResolveDot = (rounds = 6) => benchEncryptedResolve(DOT, rounds);
export const benchResolveDoh = (rounds = 6) => benchEncryptedResolve(DOH, rounds);

async function benchEncryptedResolve(t: Transport, rounds: number): Promise<ResultRow[]> {
  const dir = mkdtempSync(join(tmpdir(), `sockkit-bench-${t.scheme}-`));
  const certs = makeCertificates(dir);
  const names = Array.from({ length: NAMES }, (_, i) => `host-${String(i).padStart(4, '0')}.tls.example.test`);
  const zone = names.map((n, i) => `${n}. 60 IN A 198.51.100.${(i % 250) + 1}`);
  const unbound = await startUnbound(certs.good[0], certs.good[1], zone, { https: t.scheme === 'https' });
  const digFile = join(dir, 'names.dig');
  writeFileSync(digFile, names.map((n) => `${n} A`).join('\n') + '\n');
  const port = t.port(unbound);
  try {
    const resolveNames = async (input: string[], bin = SOCKKIT) => {
      const r = await runCommand(bin, ['resolve', '-', `@${t.scheme}://127.0.0.1:${port}`, '--tls-hostname', 'localhost', '--cacert', certs.ca, '--type', 'A', '--short'], { input: input.join('\n') });
      if (r.code !== 0 || r.stdout.split('\n').length !== input.length + 1) throw new Error(`${bin} resolve over ${t.label}: exit ${r.code}, ${r.stderr.slice(0, 300)}`);
      return r.ms;
    };
    const sockkit = () => resolveNames(names);
    const dig = async () => {
      const r = await runCommand('dig', [`+${t.scheme}`, `+tls-ca=${certs.ca}`, '+tls-hostname=localhost', '@127.0.0.1', '-p', String(port), '+short', '-f', digFile]);
      if (r.code !== 0 || r.stdout.split('\n').length !== NAMES + 1) throw new Error(`dig +${t.scheme} exited ${r.code}`);
      return r.ms;
    };
    const { a, b } = await alternate(rounds, sockkit, dig, 1);
    // The floor: the smallest Node program doing the same over one connection, started
    // without NODE_EXTRA_CA_CERTS, as bin/sockkit starts node.
    const minimal = async () => {
      const r = await runCommand(process.execPath, [benchFile(t.minimal), '127.0.0.1', String(port), certs.ca, 'localhost'], { input: names.join('\n') + '\n', env: NO_EXTRA_CA });
      if (r.code !== 0 || r.stdout.split('\n').length !== NAMES + 1) throw new Error(`${t.minimal} failed: ${r.stderr.slice(0, 300)}`);
      return r.ms;
    };
    const floor = await alternate(rounds, minimal, dig, 1);
    const againstBaseline = BASELINE ? await baselineRows(t, rounds, resolveNames, names) : [];
    return [
      {
        work: `\`sockkit resolve\` ${NAMES} names over ${t.label} vs local unbound (wall time, ${t.connection})`,
        peer: `\`dig +${t.scheme} -f\` (a connection per query)`,
        unit: 'ms',
        higherIsBetter: false,
        sockkit: stats(a),
        peerStats: stats(b),
        target: '≤ 0.2×',
        met: stats(a).median <= 0.2 * stats(b).median,
      },
      floorRow(
        `a minimal Node client, ${NAMES} names over ${t.label} (bench/${t.minimal}, ${t.connection})`,
        `\`dig +${t.scheme} -f\``,
        floor,
        `the floor for any Node program: 0.2× of dig is ${(0.2 * stats(floor.b).median).toFixed(0)} ms in these runs`,
      ),
      ...againstBaseline,
    ];
  } finally {
    await unbound.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** This build against SOCKKIT_BENCH_BASELINE's: the 1,000 names, and one name (start-up, handshake, first answer). */
async function baselineRows(t: Transport, rounds: number, resolveNames: (input: string[], bin?: string) => Promise<number>, names: string[]): Promise<ResultRow[]> {
  const batch = await alternate(rounds, () => resolveNames(names), () => resolveNames(names, BASELINE), 1);
  const single = await alternate(rounds * 2, () => resolveNames(names.slice(0, 1)), () => resolveNames(names.slice(0, 1), BASELINE), 2);
  return [
    baselineRow(`\`sockkit resolve\` ${NAMES} names over ${t.label}, this build`, batch, 'the same command and names, alternated'),
    baselineRow(`\`sockkit resolve\` 1 name over ${t.label}, this build`, single, 'start-up, handshake and one answer'),
  ];
}
