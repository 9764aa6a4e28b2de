// Start-up: `sockkit hostname` against the smallest Node program that prints the host name.
import { alternate, runCommand, stats, type ResultRow } from './harness.js';
import { SOCKKIT } from './paths.js';

export async function benchStartup(rounds = 20): Promise<ResultRow[]> {
  const sockkit = () => runCommand(process.execPath, [SOCKKIT, 'hostname']).then((r) => r.ms);
  const peer = () => runCommand(process.execPath, ['-e', "console.log(require('os').hostname())"]).then((r) => r.ms);
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
  return [row];
}
