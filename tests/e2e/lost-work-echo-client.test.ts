// echo-client never reports lost work as success (issue 22, class 7): load mode against
// servers that close, reset or ignore connections, and --timeout as a deadline against
// a server that trickles the echo one byte at a time. The hostile servers are here.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';

interface Peer {
  server: Server;
  port: number;
  sockets: Set<Socket>;
}

function tcpServer(onConnection: (socket: Socket, n: number) => void): Promise<Peer> {
  const sockets = new Set<Socket>();
  let n = 0;
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onConnection(s, ++n);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, sockets })));
}

function stop(peer: Peer): Promise<void> {
  for (const s of peer.sockets) s.destroy();
  return new Promise((resolve) => peer.server.close(() => resolve()));
}

/** Echoes what it reads one byte every `everyMs`: always progressing, never done in time. */
function trickle(socket: Socket, everyMs: number, readPaused = false): void {
  const queue: number[] = [];
  const timer = setInterval(() => {
    if (readPaused) {
      // Reads one byte at a time too: the client's writes block in the kernel.
      const b = socket.read(1) as Buffer | null;
      if (b) socket.write(b);
      return;
    }
    const b = queue.shift();
    if (b !== undefined) socket.write(Buffer.of(b));
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
  if (!readPaused) socket.on('data', (d: Buffer) => queue.push(...d));
}

let closer: Peer;
let resetter: Peer;
let everyOther: Peer;
let ignorer: Peer;
let trickler: Peer;
let slowReader: Peer;

beforeAll(async () => {
  closer = await tcpServer((s) => s.end()); // accepts, then closes at once (FIN)
  resetter = await tcpServer((s) => s.resetAndDestroy()); // accepts, then resets (RST)
  everyOther = await tcpServer((s, n) => (n % 2 === 0 ? s.end() : s.pipe(s))); // echoes odd connections, closes even ones
  ignorer = await tcpServer((s) => s.resume()); // reads, never echoes
  trickler = await tcpServer((s) => trickle(s, 100));
  slowReader = await tcpServer((s) => trickle(s, 100, true));
});

afterAll(async () => {
  await Promise.all([closer, resetter, everyOther, ignorer, trickler, slowReader].map(stop));
});

describe('load mode: lost work is a failure, with counts', () => {
  test('a server that closes every connection: each counted as dropped, exit 7, one error line', async () => {
    const r = await runSockkit(['echo-client', '-p', String(closer.port), '-C', '6', '-d', '0.3', '--json']);
    expect(r.code).toBe(7);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ connectionsOpened: 6, connectionsFailed: 0, connectionsDropped: 6, messages: 0 });
    expect(Object.values(doc.dropCauses as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(6);
    // One document: the measured summary with the failure beside it.
    expect(doc.mode).toBe('load');
    expect(doc.error).toMatchObject({ code: 'PROTOCOL', exitCode: 7 });
    expect(r.stderr).toMatch(/^sockkit echo-client: load on TCP 127\.0\.0\.1:\d+: 6 of 6 connections ended by the server before the run did \(.+\); 0 messages echoed$/m);
    expectCleanError(r, 'echo-client');
  });

  test('a server that resets every connection: each one failed or dropped, never a success', async () => {
    const r = await runSockkit(['echo-client', '-p', String(resetter.port), '-C', '4', '-d', '0.3', '--json']);
    const doc = JSON.parse(r.stdout);
    // The reset can beat Node's 'connect' event: then it is a connection that failed to open (4).
    expect(doc.connectionsOpened + doc.connectionsFailed).toBe(4);
    expect(doc.connectionsDropped).toBe(doc.connectionsOpened);
    expect(doc.messages).toBe(0);
    expect(r.code).toBe(doc.connectionsOpened > 0 ? 7 : 4);
    expect(r.stderr).toMatch(/ECONNRESET ×\d/);
    expectCleanError(r, 'echo-client');
  });

  test('a server that closes every other connection: the half that worked is measured, the rest counted, exit 7', async () => {
    const r = await runSockkit(['echo-client', '-p', String(everyOther.port), '-C', '6', '-d', '0.5', '--json']);
    expect(r.code).toBe(7);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ connectionsOpened: 6, connectionsDropped: 3, mismatches: 0 });
    expect(doc.messages).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/3 of 6 connections ended by the server before the run did/);
  });

  test('a server that never echoes: the connections are cut at --timeout after the run, exit 5', async () => {
    const started = Date.now();
    const r = await runSockkit(['echo-client', '-p', String(ignorer.port), '-C', '3', '-d', '0.3', '--timeout', '0.5', '--json']);
    expect(r.code).toBe(5);
    expect(JSON.parse(r.stdout)).toMatchObject({ connectionsOpened: 3, connectionsTimedOut: 3, connectionsDropped: 0, messages: 0 });
    expect(r.stderr).toMatch(/3 of 3 connections cut: their last echo was not back 0\.5 s after the run/);
    expect(Date.now() - started).toBeLessThan(800 + 4000);
  });
});

describe('--timeout is a deadline, not a bound on silence', () => {
  test('--message against a server that trickles the echo a byte every 100 ms: exit 5 at about --timeout', async () => {
    const started = Date.now();
    const r = await runSockkit(['echo-client', '-p', String(trickler.port), '-m', 'x'.repeat(100), '--timeout', '1']);
    const elapsed = Date.now() - started;
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^sockkit echo-client: wait for the echo of 100 bytes: timed out after 1 s/m);
    expectCleanError(r, 'echo-client');
    expect(elapsed).toBeLessThan(1000 + 4000); // the old code waited for all 100 bytes: 10 s
  });

  test('stdin piped against the same server: the same deadline', async () => {
    const started = Date.now();
    const r = await runSockkit(['echo-client', '-p', String(trickler.port), '--timeout', '1'], { input: randomBytes(100) });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/wait for the echo of 100 bytes: timed out after 1 s/);
    expect(Date.now() - started).toBeLessThan(1000 + 4000);
  });

  test('stdin of 8 MiB into a server that reads and echoes a byte every 100 ms: the blocked write times out, exit 5', async () => {
    const started = Date.now();
    const r = await runSockkit(['echo-client', '-p', String(slowReader.port), '--timeout', '1'], { input: randomBytes(8 * 1024 * 1024) });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^sockkit echo-client: send: timed out after 1 s/m);
    expect(Date.now() - started).toBeLessThan(1000 + 5000);
  });

  test('--count against the trickling server: the first message times out at --timeout, exit 5', async () => {
    const started = Date.now();
    const r = await runSockkit(['echo-client', '-p', String(trickler.port), '-c', '3', '-i', '0', '--size', '100', '--timeout', '1']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/echo of message 1: timed out after 1 s/);
    expect(Date.now() - started).toBeLessThan(1000 + 4000);
  });
});
