// `sockkit resolve --validate` of a name three zones deep (`.` → `test.` → `sockkit.test.`),
// cold (one process each, nothing cached), against `delv` with the same root DS, on the
// DNSSEC tests' own signed hierarchy served by NSD. Issue 17's target: within 1.5× of delv.
import { startSignedHierarchy } from '../tests/interop/peers/signed-hierarchy.js';
import { alternate, runCommand, stats, type ResultRow } from './harness.js';
import { SOCKKIT } from './paths.js';

export async function benchResolveDnssec(rounds = 10): Promise<ResultRow[]> {
  const h = await startSignedHierarchy();
  try {
    const sockkit = async () => {
      const r = await runCommand(SOCKKIT, ['resolve', 'www.sockkit.test', '-t', 'A', '@127.0.0.1', '-p', String(h.port), '--validate', '--trust-anchor', h.anchorFile]);
      if (r.code !== 0 || !r.stdout.includes('\tsecure')) throw new Error(`sockkit resolve --validate: exit ${r.code}, ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}`);
      return r.ms;
    };
    const delv = async () => {
      const r = await runCommand('delv', ['-a', h.delvAnchorFile, '@127.0.0.1', '-p', String(h.port), 'www.sockkit.test', 'A']);
      if (r.code !== 0 || !r.stdout.includes('fully validated')) throw new Error(`delv exited ${r.code}`);
      return r.ms;
    };
    const { a, b } = await alternate(rounds, sockkit, delv, 1);
    return [
      {
        work: '`sockkit resolve --validate` of www.sockkit.test (3 zones deep, cold, one process)',
        peer: '`delv -a` with the same root DS',
        unit: 'ms',
        higherIsBetter: false,
        sockkit: stats(a),
        peerStats: stats(b),
        target: '≤ 1.5×',
        met: stats(a).median <= 1.5 * stats(b).median,
      },
    ];
  } finally {
    await h.stop();
  }
}
