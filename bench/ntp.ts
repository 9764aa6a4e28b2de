// One NTP query: sockkit ntp against ntpdig, both against a local chronyd on port 123.
import { startChronyOnPort123 } from '../tests/interop/peers/chrony.js';
import { alternate, floorRow, runCommand, stats, type ResultRow, offsetAgreementRow } from './harness.js';
import { NO_EXTRA_CA, SOCKKIT, extraCaNote } from './paths.js';

export async function benchNtp(rounds = 20): Promise<ResultRow[]> {
  const chrony = await startChronyOnPort123();
  try {
    const sockkitOffsets: number[] = [];
    const peerOffsets: number[] = [];
    const sockkit = async () => {
      const r = await runCommand(SOCKKIT, ['ntp', chrony.address, '--json', '--timeout', '5']);
      const doc = JSON.parse(r.stdout) as { servers: Array<{ offsetMs: number }> };
      sockkitOffsets.push(doc.servers[0]!.offsetMs);
      return r.ms;
    };
    const peer = async () => {
      const r = await runCommand('ntpdig', ['-j', '-t', '5', chrony.address]);
      const doc = JSON.parse(r.stdout.trim().split('\n').pop()!) as { offset: number };
      peerOffsets.push(doc.offset * 1000);
      return r.ms;
    };
    const { a, b } = await alternate(rounds, sockkit, peer, 2);
    const wall: ResultRow = {
      work: 'one `sockkit ntp` query vs local chronyd (wall time)',
      peer: '`ntpdig`',
      unit: 'ms',
      higherIsBetter: false,
      sockkit: stats(a),
      peerStats: stats(b),
      target: '≤ 1.2×',
      met: stats(a).median / stats(b).median <= 1.2,
    };
    const offsets = offsetAgreementRow('offset measured (median of the one-shot runs)', '`ntpdig`', sockkitOffsets, peerOffsets);
    // The floor for any Node tool: a process that starts and does nothing, against ntpdig.
    const emptyNode = async () => (await runCommand(process.execPath, ['-e', ''])).ms;
    const floor = await alternate(rounds, emptyNode, peer, 1);
    const startOnly = floorRow("floor: an empty Node process (`node -e ''`), no query", '`ntpdig` (one query)', floor, 'the ratio any Node program started with this environment starts from');
    if (!process.env.NODE_EXTRA_CA_CERTS) return [wall, offsets, startOnly];
    const bareNode = async () => (await runCommand(process.execPath, ['-e', ''], { env: NO_EXTRA_CA })).ms;
    const bareFloor = await alternate(rounds, bareNode, peer, 1);
    return [wall, offsets, startOnly, floorRow("floor: `node -e ''` without NODE_EXTRA_CA_CERTS", '`ntpdig` (one query)', bareFloor, extraCaNote())];
  } finally {
    await chrony.stop();
  }
}
