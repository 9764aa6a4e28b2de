// echo-client UDP load mode (--udp --concurrency C --duration S): C datagrams in flight
// on one socket, each echo checked byte for byte; datagrams/s, loss, duplicates,
// reordering and RTT percentiles. Against sockkit's own echo-server, socat, and echo
// servers written here that drop, duplicate, hold back or corrupt datagrams. Bounds are
// relations between what the server did (it counts) and what the client reports, never
// rates: a loaded 2-core machine changes how many datagrams a second, not the relations.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { expectCleanError, runSockkit, sockkitSpawn } from '../helpers/run-sockkit.js';
import { freePort } from '../helpers/ports.js';
import { describeWithPeers } from '../helpers/peers.js';
import { startProcess, waitFor, type Started } from '../helpers/process.js';
import { startEchoServerProcess, type EchoServerProcess } from './echo-server-process.js';

interface TestServer {
  socket: UdpSocket;
  port: number;
  counts: { received: number; dropped: number; duplicated: number; held: number };
}

type Reply = (msg: Buffer, send: (b: Buffer) => void, counts: TestServer['counts']) => void;

async function udpServer(reply: Reply): Promise<TestServer> {
  const socket = createSocket('udp4');
  const counts = { received: 0, dropped: 0, duplicated: 0, held: 0 };
  socket.on('message', (msg, rinfo) => {
    counts.received++;
    reply(msg, (b) => socket.send(b, rinfo.port, rinfo.address), counts);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { socket, port: socket.address().port, counts };
}

let echo: EchoServerProcess;
let lossy: TestServer;
let reorderer: TestServer;
let corrupter: TestServer;

beforeAll(async () => {
  echo = await startEchoServerProcess(['--udp', '--rate-limit', '0', '--no-log-connections']);
  // Drops 1 datagram in 10 and echoes 1 in 50 twice.
  lossy = await udpServer((msg, send, c) => {
    if (c.received % 10 === 0) {
      c.dropped++;
      return;
    }
    send(msg);
    if (c.received % 50 === 25) {
      c.duplicated++;
      send(msg);
    }
  });
  // Holds every 5th datagram back until the next one has been echoed (or 20 ms, for the last one).
  let heldBack: { msg: Buffer; release: () => void; timer: NodeJS.Timeout } | undefined;
  reorderer = await udpServer((msg, send, c) => {
    if (c.received % 5 === 0 && !heldBack) {
      const release = () => {
        clearTimeout(held.timer);
        heldBack = undefined;
        send(msg);
      };
      const held = { msg, release, timer: setTimeout(() => release(), 20) };
      heldBack = held;
      c.held++;
      return;
    }
    send(msg);
    heldBack?.release();
  });
  // Changes byte 20 of every datagram.
  corrupter = await udpServer((msg, send) => {
    const copy = Buffer.from(msg);
    copy[20] = copy[20]! ^ 0x01;
    send(copy);
  });
});

afterAll(async () => {
  await echo.stop();
  for (const s of [lossy, reorderer, corrupter]) s.socket.close();
});

const load = (port: number, extra: string[]) => runSockkit(['echo-client', '-p', String(port), '--udp', ...extra, '--json']);

describe('echo-client --udp load mode', () => {
  test("against sockkit's echo-server (--rate-limit 0): every datagram echoed, none lost, duplicated or reordered", async () => {
    const r = await load(echo.port, ['-C', '16', '-d', '1', '--size', '200']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ mode: 'load', protocol: 'udp', concurrency: 16, size: 200, lost: 0, duplicates: 0, late: 0, reordered: 0, mismatches: 0, errors: {} });
    expect(doc.sent).toBeGreaterThan(16);
    expect(doc.echoed).toBe(doc.sent);
    expect(doc.bytesReceived).toBe(doc.sent * 200);
    expect(doc.echoedPerSecond).toBeGreaterThan(0);
    expect(doc.rtt.count).toBe(doc.echoed);
    expect(doc.rtt.p50Ms).toBeGreaterThan(0);
    expect(doc.rtt.p99Ms).toBeGreaterThanOrEqual(doc.rtt.p50Ms);
    expect(doc.rtt.maxMs).toBeGreaterThanOrEqual(doc.rtt.p99Ms);
  });

  test('piped text: the summary fields, one per line', async () => {
    const r = await runSockkit(['echo-client', '-p', String(echo.port), '--udp', '-C', '4', '-d', '0.3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^in flight\t4 datagrams of 64 bytes \(one socket\)$/m);
    expect(r.stdout).toMatch(/^datagrams\t(\d+) sent, \1 echoed, \d+\/s$/m);
    expect(r.stdout).toMatch(/^loss\t0 lost \(0\.00%\), 0 of them echoed late$/m);
    expect(r.stdout).toMatch(/^rtt\tmin [\d.]+, mean [\d.]+, p50 [\d.]+, p90 [\d.]+, p99 [\d.]+, p99\.9 [\d.]+, max [\d.]+ ms$/m);
  });

  test('a server that drops 1 in 10 and duplicates 1 in 50: loss and duplicates as it made them, exit 0', async () => {
    const before = { ...lossy.counts };
    const r = await load(lossy.port, ['-C', '16', '-d', '2', '--timeout', '0.5']);
    expect(r.code).toBe(0); // loss is measured, not a failure
    const doc = JSON.parse(r.stdout);
    const dropped = lossy.counts.dropped - before.dropped;
    const duplicated = lossy.counts.duplicated - before.duplicated;
    const received = lossy.counts.received - before.received;
    expect(received).toBeGreaterThanOrEqual(100);
    // Every datagram the server dropped was declared lost; anything more was lost in the
    // kernel or echoed after the timeout (then counted late, unless it came after the
    // run: at most the C in flight at its end).
    expect(doc.lost).toBeGreaterThanOrEqual(dropped);
    expect(doc.lost).toBeLessThanOrEqual(dropped + doc.late + (doc.sent - received) + 16);
    expect(doc.lossPercent).toBeGreaterThan(5);
    expect(doc.lossPercent).toBeLessThan(20);
    expect(doc.duplicates).toBeGreaterThanOrEqual(1);
    expect(doc.duplicates).toBeLessThanOrEqual(duplicated);
    expect(doc.echoed + doc.lost).toBe(doc.sent);
    expect(doc.mismatches).toBe(0);
  });

  test('a server that holds datagrams back: reordering counted, nothing lost', async () => {
    const before = reorderer.counts.held;
    const r = await load(reorderer.port, ['-C', '4', '-d', '1', '--timeout', '3']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const held = reorderer.counts.held - before;
    expect(held).toBeGreaterThanOrEqual(1);
    expect(doc.reordered).toBeGreaterThanOrEqual(1);
    expect(doc.reordered).toBeLessThanOrEqual(held);
    expect(doc).toMatchObject({ lost: 0, duplicates: 0, mismatches: 0 });
  });

  test('a corrupting server: exit 7, the mismatches and how the first one differed', async () => {
    const r = await load(corrupter.port, ['-C', '2', '-d', '0.3', '--size', '32']);
    expect(r.code).toBe(7);
    const doc = JSON.parse(r.stdout);
    expect(doc.mismatches).toBeGreaterThan(0);
    expect(doc.firstMismatch).toMatchObject({ bytes: 32, echoBytes: 32, offset: 20 });
    expect(doc.error).toMatchObject({ code: 'PROTOCOL', exitCode: 7 });
    const text = await runSockkit(['echo-client', '-p', String(corrupter.port), '--udp', '-C', '2', '-d', '0.3', '--size', '32']);
    expect(text.code).toBe(7);
    expect(text.stdout).toMatch(/^mismatches\t\d+ \(the first: 32-byte echo of a 32-byte datagram, first difference at byte 20: expected [0-9a-f ]+…?, seen [0-9a-f ]+…?\)$/m);
    expect(text.stderr).toMatch(/^sockkit echo-client: load on UDP 127\.0\.0\.1:\d+: \d+ echoes differ from what was sent/m);
  });

  test('nothing listening: ICMP port unreachable, exit 4', async () => {
    const r = await load(await freePort(), ['-C', '4', '-d', '0.3', '--timeout', '0.1']);
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout);
    expect(doc.echoed).toBe(0);
    expect(doc.errors.ECONNREFUSED).toBeGreaterThanOrEqual(1);
    expectCleanError(r, 'echo-client');
  });

  test('a --size too small for the sequence header is a usage error', async () => {
    const r = await runSockkit(['echo-client', '-p', String(echo.port), '--udp', '-C', '2', '-d', '1', '--size', '8']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--size must be from 12 \(the sequence header\) to 65507/);
  });

  test('Ctrl-C: the summary of the time it ran with interrupted: true, exit 130', async () => {
    const [file, argv, env] = sockkitSpawn(['echo-client', '-p', String(echo.port), '--udp', '-C', '4', '-d', '60', '--json', '--trace']);
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await waitFor(() => /\] send\s+4 datagrams/.test(err), 10_000, 'the run to start');
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGINT');
      expect(await closed).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
    const doc = JSON.parse(out);
    expect(doc).toMatchObject({ mode: 'load', protocol: 'udp', interrupted: true, lost: 0, mismatches: 0 });
    expect(doc.durationMs).toBeLessThan(60_000);
    expect(doc.echoed).toBe(doc.sent);
    expect(err).toMatch(/sockkit echo-client: interrupted\n$/);
  });
});

describeWithPeers('echo-client --udp load mode against socat', ['socat'], () => {
  let socat: Started;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    // One process per datagram (fork), each echoing it through cat.
    socat = startProcess('socat', [`UDP-RECVFROM:${port},bind=127.0.0.1,fork`, 'EXEC:cat']);
    await waitFor(async () => (await runSockkit(['echo-client', '-p', String(port), '--udp', '-m', 'x', '-q', '--timeout', '0.5'])).code === 0, 5000, 'socat to answer');
  });
  afterAll(async () => {
    await socat.stop();
  });

  test('socat UDP-RECVFROM fork EXEC:cat: every datagram echoed byte for byte', async () => {
    const r = await load(port, ['-C', '4', '-d', '1', '--timeout', '3', '--size', '100']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.sent).toBeGreaterThan(4);
    expect(doc).toMatchObject({ lost: 0, duplicates: 0, mismatches: 0 });
    expect(doc.echoed).toBe(doc.sent);
  });
});
