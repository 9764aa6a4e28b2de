// UDP load: sockkit's echo-client UDP load mode (`--udp -C 8 -d 3`) beside a minimal Node
// UDP load client (bench/minimal-udp-load-client.mjs: the same window of datagrams on one
// socket, no byte-for-byte check, no duplicate or reordering bookkeeping), both against
// socat as the echo server (`UDP-RECVFROM:…,fork PIPE`, one process per datagram) and
// against sockkit's echo-server (`--udp --rate-limit 0`). Datagrams echoed per second
// and p99 RTT, rounds alternated. Then the two servers side by side as sockkit's client
// measured them.
import { startProcess, waitFor, type Started } from '../tests/helpers/process.js';
import { freePort } from '../tests/helpers/ports.js';
import { alternate, runCommand, stats, type ResultRow } from './harness.js';
import { SOCKKIT, benchFile } from './paths.js';

const CONCURRENCY = 8;
const SECONDS = 3;
const ROUNDS = 5;

interface Measured {
  perSecond: number;
  p99Ms: number;
}

async function sockkitClient(port: number): Promise<Measured> {
  const r = await runCommand(SOCKKIT, ['echo-client', '-p', String(port), '--udp', '-C', String(CONCURRENCY), '-d', String(SECONDS), '--timeout', '1', '--json'], { timeoutMs: 60_000 });
  const doc = JSON.parse(r.stdout) as { echoedPerSecond: number; rtt: { p99Ms: number } };
  return { perSecond: doc.echoedPerSecond, p99Ms: doc.rtt.p99Ms };
}

async function minimalClient(port: number): Promise<Measured> {
  const r = await runCommand(process.execPath, [benchFile('minimal-udp-load-client.mjs'), '--port', String(port), '--concurrency', String(CONCURRENCY), '--duration', String(SECONDS), '--timeout', '1'], { timeoutMs: 60_000 });
  const doc = JSON.parse(r.stdout) as { perSecond: number; p99Ms: number };
  return { perSecond: doc.perSecond, p99Ms: doc.p99Ms };
}

/** Starts a UDP echo server and waits until it echoes. */
async function startServer(command: string, args: (port: number) => string[]): Promise<{ port: number; server: Started }> {
  const port = await freePort();
  const server = startProcess(command, args(port));
  await waitFor(async () => (await runCommand(SOCKKIT, ['echo-client', '-p', String(port), '--udp', '-m', 'x', '-q', '--timeout', '0.5'])).code === 0, 10_000, `${command} to echo`);
  return { port, server };
}

/** sockkit's client and the minimal one, alternated against one server: datagrams/s and p99 rows. */
async function clientsAgainst(serverName: string, port: number): Promise<{ rows: ResultRow[]; sockkitRuns: Measured[] }> {
  const sockkitRuns: Measured[] = [];
  const minimalRuns: Measured[] = [];
  await alternate(
    ROUNDS,
    async () => (sockkitRuns.push(await sockkitClient(port)), 0),
    async () => (minimalRuns.push(await minimalClient(port)), 0),
    1,
  );
  const work = `echo-client --udp load, ${CONCURRENCY} in flight × 64 B, against ${serverName}`;
  const peer = 'a minimal Node UDP load client';
  const rate = { a: stats(sockkitRuns.map((m) => m.perSecond)), b: stats(minimalRuns.map((m) => m.perSecond)) };
  const p99 = { a: stats(sockkitRuns.map((m) => m.p99Ms)), b: stats(minimalRuns.map((m) => m.p99Ms)) };
  return {
    sockkitRuns,
    rows: [
      { work: `${work}: datagrams/s`, peer, unit: 'datagrams/s', higherIsBetter: true, sockkit: rate.a, peerStats: rate.b, target: '≥ 0.9×', met: rate.a.median / rate.b.median >= 0.9 },
      { work: `${work}: p99 RTT`, peer, unit: 'ms', higherIsBetter: false, sockkit: p99.a, peerStats: p99.b, target: '(measured)', met: undefined },
    ],
  };
}

export async function benchUdp(): Promise<ResultRow[]> {
  const socat = await startServer('socat', (port) => [`UDP-RECVFROM:${port},bind=127.0.0.1,fork`, 'PIPE']);
  const sockkit = await startServer(SOCKKIT, (port) => ['echo-server', '--udp', '--port', String(port), '--rate-limit', '0', '--no-log-connections', '--json']);
  try {
    const onSocat = await clientsAgainst('socat UDP-RECVFROM fork PIPE', socat.port);
    const onSockkit = await clientsAgainst('sockkit echo-server --udp', sockkit.port);
    const servers: ResultRow = {
      work: `echo-server --udp as measured by echo-client --udp (${CONCURRENCY} in flight × 64 B): datagrams/s`,
      peer: 'socat UDP-RECVFROM fork PIPE',
      unit: 'datagrams/s',
      higherIsBetter: true,
      sockkit: stats(onSockkit.sockkitRuns.map((m) => m.perSecond)),
      peerStats: stats(onSocat.sockkitRuns.map((m) => m.perSecond)),
      target: '(measured)',
      met: undefined,
      note: `p99 ${stats(onSockkit.sockkitRuns.map((m) => m.p99Ms)).median.toFixed(3)} ms vs ${stats(onSocat.sockkitRuns.map((m) => m.p99Ms)).median.toFixed(3)} ms; socat forks a process per datagram`,
    };
    return [...onSocat.rows, ...onSockkit.rows, servers];
  } finally {
    await socat.server.stop();
    await sockkit.server.stop();
  }
}
