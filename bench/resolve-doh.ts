// 1,000 names over DNS over HTTPS against a local unbound: `sockkit resolve -` with an
// https:// server (one HTTP/2 connection, a stream per question) against `dig +https -f`
// (one connection per query). Issue 18's target: ≤ 0.2× dig's wall time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificates } from '../tests/interop/peers/nginx.js';
import { startUnbound } from '../tests/interop/peers/unbound.js';
import { alternate, runCommand, stats, type ResultRow } from './harness.js';
import { SOCKKIT } from './paths.js';

const NAMES = 1000;

export async function benchResolveDoh(rounds = 6): Promise<ResultRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-bench-doh-'));
  const certs = makeCertificates(dir);
  const names = Array.from({ length: NAMES }, (_, i) => `host-${String(i).padStart(4, '0')}.tls.example.test`);
  const unbound = await startUnbound(certs.good[0], certs.good[1], names.map((n, i) => `${n}. 60 IN A 198.51.100.${(i % 250) + 1}`), { https: true });
  const digFile = join(dir, 'names.dig');
  writeFileSync(digFile, names.map((n) => `${n} A`).join('\n') + '\n');
  try {
    const sockkit = async () => {
      const r = await runCommand(SOCKKIT, ['resolve', '-', `@https://127.0.0.1:${unbound.httpsPort}`, '--tls-hostname', 'localhost', '--cacert', certs.ca, '--type', 'A', '--short'], { input: names.join('\n') });
      if (r.code !== 0 || r.stdout.split('\n').length !== NAMES + 1) throw new Error(`sockkit resolve over HTTPS: exit ${r.code}, ${r.stderr.slice(0, 300)}`);
      return r.ms;
    };
    const dig = async () => {
      const r = await runCommand('dig', ['+https', `+tls-ca=${certs.ca}`, '+tls-hostname=localhost', '@127.0.0.1', '-p', String(unbound.httpsPort), '+short', '-f', digFile]);
      if (r.code !== 0 || r.stdout.split('\n').length !== NAMES + 1) throw new Error(`dig +https exited ${r.code}`);
      return r.ms;
    };
    const { a, b } = await alternate(rounds, sockkit, dig, 1);
    return [
      {
        work: `\`sockkit resolve\` ${NAMES} names over HTTPS vs local unbound (wall time, one HTTP/2 connection)`,
        peer: '`dig +https -f` (a connection per query)',
        unit: 'ms',
        higherIsBetter: false,
        sockkit: stats(a),
        peerStats: stats(b),
        target: '≤ 0.2×',
        met: stats(a).median <= 0.2 * stats(b).median,
      },
    ];
  } finally {
    await unbound.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
