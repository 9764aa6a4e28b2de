// 1,000 names over DNS over TLS against a local unbound: `sockkit resolve -` with a
// tls:// server (one pipelined connection) against `dig +tls -f` (one connection per
// query). Issue 16's target: ≤ 0.2× dig's wall time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificates } from '../tests/interop/peers/nginx.js';
import { startUnbound } from '../tests/interop/peers/unbound.js';
import { alternate, runCommand, stats, type ResultRow } from './harness.js';
import { SOCKKIT } from './paths.js';

const NAMES = 1000;

export async function benchResolveDot(rounds = 6): Promise<ResultRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-bench-dot-'));
  const certs = makeCertificates(dir);
  const names = Array.from({ length: NAMES }, (_, i) => `host-${String(i).padStart(4, '0')}.tls.example.test`);
  const unbound = await startUnbound(certs.good[0], certs.good[1], names.map((n, i) => `${n}. 60 IN A 198.51.100.${(i % 250) + 1}`));
  const digFile = join(dir, 'names.dig');
  writeFileSync(digFile, names.map((n) => `${n} A`).join('\n') + '\n');
  try {
    const sockkit = async () => {
      const r = await runCommand(SOCKKIT, ['resolve', '-', `@tls://127.0.0.1:${unbound.tlsPort}`, '--tls-hostname', 'localhost', '--cacert', certs.ca, '--type', 'A', '--short'], { input: names.join('\n') });
      if (r.code !== 0 || r.stdout.split('\n').length !== NAMES + 1) throw new Error(`sockkit resolve over TLS: exit ${r.code}, ${r.stderr.slice(0, 300)}`);
      return r.ms;
    };
    const dig = async () => {
      const r = await runCommand('dig', ['+tls', `+tls-ca=${certs.ca}`, '+tls-hostname=localhost', '@127.0.0.1', '-p', String(unbound.tlsPort), '+short', '-f', digFile]);
      if (r.code !== 0 || r.stdout.split('\n').length !== NAMES + 1) throw new Error(`dig +tls exited ${r.code}`);
      return r.ms;
    };
    const { a, b } = await alternate(rounds, sockkit, dig, 1);
    return [
      {
        work: `\`sockkit resolve\` ${NAMES} names over TLS vs local unbound (wall time, one pipelined connection)`,
        peer: '`dig +tls -f` (a connection per query)',
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
