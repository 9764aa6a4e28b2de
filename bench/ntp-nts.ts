// One NTS-authenticated query: `sockkit ntp --nts` against `chronyd -Q` with NTS, both
// against a local chronyd serving NTS (its own test CA and certificate), alternately.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCertificates } from '../tests/interop/peers/nginx.js';
import { startChrony } from '../tests/interop/peers/chrony.js';
import { alternate, runCommand, stats, type ResultRow, offsetAgreementRow } from './harness.js';
import { SOCKKIT } from './paths.js';

export async function benchNtpNts(rounds = 6): Promise<ResultRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-bench-nts-'));
  chmodSync(dir, 0o755); // chronyd reads the certificates as _chrony
  const certs = makeCertificates(dir);
  const run = join(dir, 'q');
  execFileSync('install', ['-d', '-o', '_chrony', '-g', '_chrony', '-m', '0770', run]);
  const chrony = await startChrony({ nts: { cert: certs.good[0], key: certs.good[1] } });
  try {
    const sockkitOffsets: number[] = [];
    const peerOffsets: number[] = [];
    const sockkit = async () => {
      const r = await runCommand(SOCKKIT, ['ntp', '127.0.0.1', '--nts', '--nts-port', String(chrony.ntsPort), '--cacert', certs.ca, '--json', '--timeout', '5']);
      const doc = JSON.parse(r.stdout) as { servers: Array<{ offsetMs: number }> };
      sockkitOffsets.push(doc.servers[0]!.offsetMs);
      return r.ms;
    };
    const peer = async () => {
      const r = await runCommand('chronyd', [
        '-Q',
        '-t',
        '10',
        `server 127.0.0.1 port ${chrony.port} nts ntsport ${chrony.ntsPort} iburst maxsamples 1`,
        `ntstrustedcerts ${certs.ca}`,
        `pidfile ${join(run, 'q.pid')}`,
        'cmdport 0',
      ]);
      const m = /System clock wrong by (-?\d+\.\d+) seconds/.exec(r.stdout + r.stderr);
      if (!m) throw new Error(`chronyd -Q gave no offset: ${r.stderr}`);
      peerOffsets.push(Number(m[1]) * 1000);
      return r.ms;
    };
    const { a, b } = await alternate(rounds, sockkit, peer, 1);
    const wall: ResultRow = {
      work: 'one `sockkit ntp --nts` query (NTS-KE + authenticated NTP) vs local chronyd (wall time)',
      peer: '`chronyd -Q` with NTS',
      unit: 'ms',
      higherIsBetter: false,
      sockkit: stats(a),
      peerStats: stats(b),
      target: '≤ 0.1×',
      met: stats(a).median / stats(b).median <= 0.1,
    };
    const offsets = offsetAgreementRow('NTS offset measured (median of the one-shot runs)', '`chronyd -Q` with NTS', sockkitOffsets, peerOffsets);
    return [wall, offsets];
  } finally {
    await chrony.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
