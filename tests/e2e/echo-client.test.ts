import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { freePort } from '../helpers/ports.js';
import { startEchoServerProcess, type EchoServerProcess } from './echo-server-process.js';

// Hostile peers: echo servers that answer wrongly on purpose.
function tcpServer(onConnection: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: false }, onConnection);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}
function udpServer(onMessage: (socket: UdpSocket, msg: Buffer, rinfo: { address: string; port: number }, n: number) => void): Promise<{ socket: UdpSocket; port: number }> {
  const socket = createSocket('udp4');
  let n = 0;
  socket.on('message', (msg, rinfo) => onMessage(socket, msg, rinfo, ++n));
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve({ socket, port: socket.address().port })));
}

let echo: EchoServerProcess;
let flipper: { server: Server; port: number };
let silent: { server: Server; port: number };
let udpDropper: { socket: UdpSocket; port: number };
let udpSilent: { socket: UdpSocket; port: number };

beforeAll(async () => {
  echo = await startEchoServerProcess(['--tcp', '--udp', '--no-log-connections']);
  // Echoes every chunk with its first byte changed.
  flipper = await tcpServer((s) => {
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      const copy = Buffer.from(d);
      copy[0] = copy[0]! ^ 0xff;
      s.write(copy);
    });
  });
  // Accepts and reads, never answers.
  silent = await tcpServer((s) => {
    s.on('error', () => {});
    s.resume();
  });
  // Echoes only every other datagram.
  udpDropper = await udpServer((socket, msg, rinfo, n) => {
    if (n % 2 === 0) socket.send(msg, rinfo.port, rinfo.address);
  });
  udpSilent = await udpServer(() => {});
});

afterAll(async () => {
  await echo.stop();
  flipper.server.close();
  silent.server.close();
  udpDropper.socket.close();
  udpSilent.socket.close();
});

describe('sockkit echo-client', () => {
  test('--message: the echo on stdout, the verdict with the RTT on stderr, exit 0', async () => {
    const r = await runSockkit(['echo-client', '--port', String(echo.port), '--message', 'hello']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello');
    expect(r.stderr).toMatch(new RegExp(`^echo from TCP 127\\.0\\.0\\.1:${echo.port}: 5 bytes, identical, rtt [\\d.]+ ms`));
  });

  test('stdin piped: 1 MiB of random bytes comes back byte for byte', async () => {
    const data = randomBytes(1024 * 1024);
    const r = await runSockkit(['echo-client', '--port', String(echo.port), '--json'], { input: data });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ mode: 'message', protocol: 'tcp', bytesSent: data.length, bytesReceived: data.length, identical: true });
    const plain = await runSockkit(['echo-client', '--port', String(echo.port), '-q'], { input: data });
    expect(plain.code).toBe(0);
    expect(plain.stdoutBytes.equals(data)).toBe(true);
  });

  test('--udp with stdin: one datagram echoed; more than a datagram holds is a usage error, nothing sent', async () => {
    const data = randomBytes(1200);
    const r = await runSockkit(['echo-client', '--port', String(echo.port), '--udp', '-q'], { input: data });
    expect(r.code).toBe(0);
    expect(r.stdoutBytes.equals(data)).toBe(true);
    const tooBig = await runSockkit(['echo-client', '--port', String(echo.port), '--udp'], { input: Buffer.alloc(70_000, 0x61) });
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toMatch(/stdin is more than one datagram can carry \(at most 65507 bytes\)/);
    expectCleanError(tooBig, 'echo-client');
  });

  test('--count --interval --size: one line per message, then the ping-like summary', async () => {
    const r = await runSockkit(['echo-client', '-p', String(echo.port), '--count', '4', '--interval', '0.01', '--size', '300']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 4).map((l) => l.split('\t').slice(0, 2).concat(l.split('\t')[3]!))).toEqual([
      ['1', '300', 'ok'],
      ['2', '300', 'ok'],
      ['3', '300', 'ok'],
      ['4', '300', 'ok'],
    ]);
    expect(lines[4]).toMatch(/^summary\tsent=4\treceived=4\tmismatched=0\tlost=0\tminMs=[\d.]+\tavgMs=[\d.]+\tp50Ms=[\d.]+\tp90Ms=[\d.]+\tp99Ms=[\d.]+\tmaxMs=[\d.]+$/);
  });

  test('--json for --count: one document with the summary and each sample', async () => {
    const r = await runSockkit(['echo-client', '-p', String(echo.port), '-c', '3', '-i', '0', '--udp', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ mode: 'count', protocol: 'udp', summary: { sent: 3, received: 3, lost: 0, mismatched: 0 } });
    expect(doc.samples).toHaveLength(3);
    expect(doc.samples[0]).toMatchObject({ seq: 1, bytes: 64, status: 'ok' });
    expect(doc.samples[0].rttMs).toBeGreaterThan(0);
    expect(doc.summary.maxMs).toBeGreaterThanOrEqual(doc.summary.p99Ms);
  });

  test('--lines: each line of stdin is one round trip', async () => {
    const r = await runSockkit(['echo-client', '-p', String(echo.port), '--lines'], { input: 'one\ntwo\nthree\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('one\ntwo\nthree\n');
    expect(r.stderr.match(/rtt/g)).toHaveLength(3);
  });

  test('--lines: a "line" longer than 1 MiB is refused (exit 2), not held in memory without end', async () => {
    const r = await runSockkit(['echo-client', '-p', String(echo.port), '--lines'], { input: Buffer.alloc(3 * 1024 * 1024, 0x61) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sockkit echo-client: stdin: a line longer than 1 MiB/);
  });

  test('--lines: CRLF lines and a last line without a newline each make one round trip', async () => {
    const r = await runSockkit(['echo-client', '-p', String(echo.port), '--lines'], { input: 'one\r\ntwo' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('one\ntwo\n');
  });

  test('UDP --message: one datagram, verified', async () => {
    const r = await runSockkit(['echo-client', '-p', String(echo.port), '--udp', '-m', 'dgram']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('dgram');
    expect(r.stderr).toMatch(/echo from UDP .* 5 bytes, identical/);
  });

  test('--trace shows connect, send and recv with byte counts on stderr', async () => {
    const r = await runSockkit(['echo-client', '-p', String(echo.port), '-m', 'abc', '--trace']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('abc');
    expect(r.stderr).toMatch(new RegExp(`\\] connect\\s+127\\.0\\.0\\.1:${echo.port}`));
    expect(r.stderr).toMatch(/\] send\s+3 bytes/);
    expect(r.stderr).toMatch(/\] recv\s+3 bytes/);
    expect(r.stderr).toMatch(/\] close\s+half-close/);
  });

  test('a corrupted echo: exit 7 and where it differs', async () => {
    const r = await runSockkit(['echo-client', '-p', String(flipper.port), '-m', 'hello']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/MISMATCH: sent 5 bytes, received 5, first difference at byte 0/);
    const c = await runSockkit(['echo-client', '-p', String(flipper.port), '-c', '3', '-i', '0', '--json']);
    expect(c.code).toBe(7);
    expect(JSON.parse(c.stdout).summary).toMatchObject({ sent: 3, mismatched: 3 });
  });

  test('refused: exit 4 over TCP and over UDP (ICMP port unreachable)', async () => {
    const port = await freePort();
    const tcp = await runSockkit(['echo-client', '-p', String(port), '-m', 'x']);
    expect(tcp.code).toBe(4);
    expectCleanError(tcp, 'echo-client');
    expect(tcp.stderr).toMatch(/connection refused/);
    const udp = await runSockkit(['echo-client', '-p', String(port), '-m', 'x', '--udp']);
    expect(udp.code).toBe(4);
  });

  test('a server that never echoes: exit 5 within the timeout (TCP and UDP)', async () => {
    const started = Date.now();
    const tcp = await runSockkit(['echo-client', '-p', String(silent.port), '-m', 'x', '--timeout', '0.5']);
    expect(tcp.code).toBe(5);
    expectCleanError(tcp, 'echo-client');
    expect(Date.now() - started).toBeLessThan(500 + 3000);
    const udp = await runSockkit(['echo-client', '-p', String(udpSilent.port), '-c', '2', '-i', '0', '--udp', '--timeout', '0.2']);
    expect(udp.code).toBe(5);
    expect(udp.stdout).toMatch(/^1\t64\t\tlost$/m);
  });

  test('UDP loss is counted per datagram, and the run still succeeds', async () => {
    const r = await runSockkit(['echo-client', '-p', String(udpDropper.port), '--udp', '-c', '6', '-i', '0', '--timeout', '0.3', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toMatchObject({ sent: 6, received: 3, lost: 3, mismatched: 0, lossPercent: 50 });
    expect(doc.samples.map((s: { status: string }) => s.status)).toEqual(['lost', 'ok', 'lost', 'ok', 'lost', 'ok']);
  });

  test('load mode: C connections for a duration; messages/s, MB/s, RTT percentiles, no mismatch', async () => {
    const r = await runSockkit(['echo-client', '-p', String(echo.port), '--concurrency', '20', '--duration', '1', '--size', '128', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ mode: 'load', concurrency: 20, size: 128, connectionsOpened: 20, connectionsFailed: 0, mismatches: 0 });
    expect(doc.messages).toBeGreaterThan(100);
    expect(doc.bytesReceived).toBeGreaterThanOrEqual(doc.messages * 128);
    expect(doc.rtt.count).toBeGreaterThanOrEqual(doc.messages);
    expect(doc.rtt.p50Ms).toBeGreaterThan(0);
    expect(doc.rtt.p99Ms).toBeGreaterThanOrEqual(doc.rtt.p50Ms);
    expect(doc.rtt.maxMs).toBeGreaterThanOrEqual(doc.rtt.p99Ms);
  });

  test('load mode against a corrupting server: exit 7 with the mismatch count', async () => {
    const r = await runSockkit(['echo-client', '-p', String(flipper.port), '-C', '3', '-d', '0.3', '--json']);
    expect(r.code).toBe(7);
    const doc = JSON.parse(r.stdout);
    expect(doc.mismatches).toBeGreaterThan(0);
    // The flipper changes the first byte of each chunk it reads: byte 0 of a message.
    expect(doc.firstMismatch).toMatchObject({ offset: 0 });
    expect(doc.firstMismatch.expectedHex).toHaveLength(32);
    expect(parseInt(doc.firstMismatch.seenHex.slice(0, 2), 16)).toBe(parseInt(doc.firstMismatch.expectedHex.slice(0, 2), 16) ^ 0xff);
    const text = await runSockkit(['echo-client', '-p', String(flipper.port), '-C', '1', '-d', '0.2']);
    expect(text.stdout).toMatch(/^mismatches\t\d+ \(the first: first difference at byte 0: expected [0-9a-f ]+…, seen [0-9a-f ]+… of its 64-byte message\)$/m);
  });

  test('load mode against a server at its --max-conns: the refused connections are counted as dropped, exit 7', async () => {
    const limited = await startEchoServerProcess(['--max-conns', '5', '--no-log-connections']);
    try {
      const r = await runSockkit(['echo-client', '-p', String(limited.port), '-C', '8', '-d', '0.5', '--json']);
      expect(r.code).toBe(7); // lost work is never a success
      expect(JSON.parse(r.stdout)).toMatchObject({ connectionsOpened: 8, connectionsDropped: 3, mismatches: 0 });
      expect(r.stderr).toMatch(/3 of 8 connections ended by the server before the run did/);
    } finally {
      await limited.stop();
    }
    expect(limited.events().at(-1)).toMatchObject({ event: 'summary', connections: 5, refused: 3 });
  });

  test('load mode with nothing listening: every connection fails, exit 4', async () => {
    const r = await runSockkit(['echo-client', '-p', String(await freePort()), '-C', '5', '-d', '0.2', '--json']);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject({ connectionsOpened: 0, connectionsFailed: 5, connectFailures: { ECONNREFUSED: 5 } });
    expect(r.stderr).toMatch(/5 of 5 connections failed to open \(ECONNREFUSED ×5\)/);
  });

  test.each([
    [['--concurrency', '10']],
    [['--duration', '1']],
    [['-C', '2', '-d', '1', '--udp', '--size', '11']],
    [['--count', '0']],
    [['--size', '-3']],
    [['--udp', '--size', '70000']],
  ])('usage error %p: exit 2', async (extra) => {
    const r = await runSockkit(['echo-client', '-p', String(echo.port), ...extra]);
    expect(r.code).toBe(2);
    expectCleanError(r, 'echo-client');
  });

  test('--port is required', async () => {
    const r = await runSockkit(['echo-client', '-m', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/port/);
  });
});
