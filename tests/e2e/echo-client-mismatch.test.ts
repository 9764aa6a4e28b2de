// echo-client against servers that are not echo servers: the verdict says how the reply
// differed (the first differing offset, the bytes expected and seen there, both lengths),
// on stderr, in --json, and per message for --count, --lines and a piped stdin.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { runSockkit } from '../helpers/run-sockkit.js';
import { freePort } from '../helpers/ports.js';
import { describeWithPeers } from '../helpers/peers.js';
import { startProcess, waitFor, type Started } from '../helpers/process.js';

function tcpServer(onConnection: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: false }, onConnection);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

const BANNER = 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n';
let upper: { server: Server; port: number };
let banner: { server: Server; port: number };
let shortThenClose: { server: Server; port: number };
let udpShort: { socket: UdpSocket; port: number };

beforeAll(async () => {
  // Answers every chunk with a-z upper-cased, like tr a-z A-Z.
  upper = await tcpServer((s) => {
    s.on('error', () => {});
    s.on('data', (d: Buffer) => s.write(d.map((c) => (c >= 0x61 && c <= 0x7a ? c - 0x20 : c))));
  });
  // Greets like an SSH server on connect and ignores what it is sent.
  banner = await tcpServer((s) => {
    s.on('error', () => {});
    s.resume();
    s.write(BANNER);
  });
  // Echoes all but the last byte of the first chunk, then closes.
  shortThenClose = await tcpServer((s) => {
    s.on('error', () => {});
    s.once('data', (d: Buffer) => s.end(d.subarray(0, -1)));
  });
  // Echoes each datagram one byte short.
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(msg.subarray(0, -1), rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  udpShort = { socket, port: socket.address().port };
});

afterAll(() => {
  upper.server.close();
  banner.server.close();
  shortThenClose.server.close();
  udpShort.socket.close();
});

describe('echo-client against servers that do not echo', () => {
  test('an upper-casing server: exit 7, the offset and both sides on stderr and in --json', async () => {
    const r = await runSockkit(['echo-client', '-p', String(upper.port), '-m', 'ok hello']);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('OK HELLO');
    expect(r.stderr.trim()).toMatch(/MISMATCH: sent 8 bytes, received 8, first difference at byte 0: expected "ok hello", seen "OK HELLO"$/);
    const j = await runSockkit(['echo-client', '-p', String(upper.port), '-m', '12 abc', '--json']);
    expect(j.code).toBe(7);
    expect(JSON.parse(j.stdout)).toMatchObject({
      identical: false,
      bytesSent: 6,
      bytesReceived: 6,
      firstDifferenceAt: 3,
      difference: { offset: 3, expectedHex: Buffer.from('abc').toString('hex'), seenHex: Buffer.from('ABC').toString('hex') },
    });
  });

  test('a server that answers with a banner: the banner is what was seen, and its length', async () => {
    const r = await runSockkit(['echo-client', '-p', String(banner.port), '-m', 'hello', '--timeout', '2']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/MISMATCH: sent 5 bytes, received \d+, first difference at byte 0: expected "hello", seen "SSH-2\.0-OpenSSH_"…/);
    const received = Number(/received (\d+)/.exec(r.stderr)![1]);
    expect(received).toBeGreaterThanOrEqual(5);
    expect(received).toBeLessThanOrEqual(BANNER.length);
  });

  test('a short echo, then FIN: the difference is where the echo stopped, the seen side ended', async () => {
    const r = await runSockkit(['echo-client', '-p', String(shortThenClose.port), '-m', 'hello', '--timeout', '2']);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('hell');
    expect(r.stderr).toMatch(/MISMATCH: sent 5 bytes, received 4, first difference at byte 4: expected "o", seen \(end\)/);
    // --count over TCP: the short answer is the first message's mismatch (not a bare "closed").
    const c = await runSockkit(['echo-client', '-p', String(shortThenClose.port), '-c', '1', '-m', 'hello', '--json', '--timeout', '2']);
    expect(c.code).toBe(7);
    expect(JSON.parse(c.stdout).samples[0]).toMatchObject({ status: 'mismatch', bytes: 5, echoBytes: 4, firstDifferenceAt: 4, difference: { offset: 4, expectedHex: '6f', seenHex: '' } });
  });

  test('--count over UDP with a short echo: every line says where and how; --json per sample', async () => {
    const r = await runSockkit(['echo-client', '-p', String(udpShort.port), '--udp', '-c', '3', '-i', '0', '-m', 'ping!', '--timeout', '1']);
    expect(r.code).toBe(7);
    const lines = r.stdout.trim().split('\n');
    for (const line of lines.slice(0, 3)) expect(line).toMatch(/^\d\t5\t[\d.]+\tmismatch\tfirstDifferenceAt=4\techoBytes=4\texpectedHex=21\tseenHex=$/);
    expect(lines[3]).toMatch(/^summary\tsent=3\treceived=3\tmismatched=3\t/);
    const j = await runSockkit(['echo-client', '-p', String(udpShort.port), '--udp', '-c', '2', '-i', '0', '-s', '40', '--json', '--timeout', '1']);
    expect(j.code).toBe(7);
    const doc = JSON.parse(j.stdout);
    expect(doc.summary).toMatchObject({ sent: 2, mismatched: 2 });
    for (const s of doc.samples) expect(s).toMatchObject({ status: 'mismatch', bytes: 40, echoBytes: 39, firstDifferenceAt: 39, difference: { offset: 39, seenHex: '' } });
    expect(doc.samples[0].difference.expectedHex).toMatch(/^[0-9a-f]{2}$/);
  });

  test('--lines: each mismatched line says how it differed, on stderr', async () => {
    const r = await runSockkit(['echo-client', '-p', String(upper.port), '--lines'], { input: 'abc\n123\n' });
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('ABC\n123\n');
    expect(r.stderr).toMatch(/\(MISMATCH: 3 bytes differ, echo 4 bytes, first difference at byte 0: expected "abc\\n", seen "ABC\\n"; rtt [\d.]+ ms\)/);
  });

  test('stdin piped (binary): the excerpt is hex', async () => {
    const data = Buffer.from([0x00, 0x01, 0x61, 0x62, 0xff]);
    const r = await runSockkit(['echo-client', '-p', String(upper.port), '-q'], { input: data });
    expect(r.code).toBe(7);
    expect(r.stdoutBytes).toEqual(Buffer.from([0x00, 0x01, 0x41, 0x42, 0xff]));
    expect(r.stderr).toMatch(/first difference at byte 2: expected 61 62 ff, seen 41 42 ff$/m);
  });
});

describeWithPeers('echo-client against socat EXEC:tr a-z A-Z', ['socat', 'stdbuf'], () => {
  let socat: Started;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    // stdbuf -o0: tr writes each chunk at once instead of holding it until EOF.
    socat = startProcess('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, 'EXEC:stdbuf -o0 tr a-z A-Z']);
    await waitFor(async () => (await runSockkit(['echo-client', '-p', String(port), '-m', '1', '-q'])).code === 0, 5000, 'socat to listen');
  });
  afterAll(async () => {
    await socat.stop();
  });

  test('the message upper-cased by tr: exit 7, first difference at the first letter', async () => {
    const r = await runSockkit(['echo-client', '-p', String(port), '-m', '42 is the answer', '--json']);
    expect(r.code).toBe(7);
    expect(JSON.parse(r.stdout)).toMatchObject({
      bytesSent: 16,
      bytesReceived: 16,
      difference: { offset: 3, expectedHex: Buffer.from('is the answer').toString('hex'), seenHex: Buffer.from('IS THE ANSWER').toString('hex') },
    });
  });
});
