// Start-up: `sockkit hostname` against the smallest Node program that prints the host name.
import { alternate, floorRow, runCommand, stats, type ResultRow } from './harness.js';
import { BASELINE, NO_EXTRA_CA, SOCKKIT, baselineRow, extraCaNote } from './paths.js';

export async function benchStartup(rounds = 20): Promise<ResultRow[]> {
  const sockkit = () => runCommand(SOCKKIT, ['hostname']).then((r) => r.ms);
  const printHostname = ['-e', "console.log(require('os').hostname())"];
  const peer = () => runCommand(process.execPath, printHostname).then((r) => r.ms);
  const { a, b } = await alternate(rounds, sockkit, peer, 3);
  const row: ResultRow = {
    work: '`sockkit hostname` start-up',
    peer: "`node -e \"console.log(require('os').hostname())\"`",
    unit: 'ms',
    higherIsBetter: false,
    sockkit: stats(a),
    peerStats: stats(b),
    target: '≤ 1.3×',
    met: undefined,
  };
  row.met = row.sockkit.median / row.peerStats.median <= 1.3;
  const againstBaseline: ResultRow[] = [];
  const baselineBin = BASELINE;
  if (baselineBin) {
    const baseline = () => runCommand(baselineBin, ['hostname']).then((r) => r.ms);
    againstBaseline.push(baselineRow('`sockkit hostname` start-up, this build', await alternate(rounds, sockkit, baseline, 2), 'bundle load and the fast path'));
  }
  if (!process.env.NODE_EXTRA_CA_CERTS) return [row, ...againstBaseline];
  // This machine sets NODE_EXTRA_CA_CERTS, which the peer pays for at start and sockkit's
  // launcher avoids: the same peer without it is the fair floor.
  const bare = () => runCommand(process.execPath, printHostname, { env: NO_EXTRA_CA }).then((r) => r.ms);
  const floor = await alternate(rounds, sockkit, bare, 1);
  return [row, ...againstBaseline, floorRow('`sockkit hostname` start-up', 'the same `node -e`, without NODE_EXTRA_CA_CERTS', floor, extraCaNote())];
}
