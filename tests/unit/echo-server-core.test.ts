// The echo server core in-process, on loopback: limits, half-close, resets, shutdown.
import { afterEach, describe, expect, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startEchoServer, type EchoServer, type EchoServerEvent, type EchoServerOptions } from '../../src/net/echo-server.js';

let server: EchoServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(overrides: Partial<EchoServerOptions> = {}) {
  const events: EchoServerEvent[] = [];
  server = await startEchoServer(
    { address: '127.0.0.1', family: 4, port: 0, tcp: true, udp: false, backlog: 511, limits: {}, udpPolicy: { allowLowPorts: false, ratePerSecond: 0 }, shutdownGraceMs: 2000, connectionEvents: true, ...overrides },
    (e) => events.push(e),
  );
  return { port: server.ports.tcp!, events };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the server sends until it ends its side. */
function readAll(s: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('end', () => {
      s.end(); // the server sent FIN: finish our side too, as a plain client would
      resolve(Buffer.concat(chunks));
    });
    s.once('error', reject);
  });
}

async function waitForEvent(events: EchoServerEvent[], pred: (e: EchoServerEvent) => boolean, ms = 5000): Promise<EchoServerEvent> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const found = events.find(pred);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no such event in ${JSON.stringify(events)}`);
}

describe('echo server core', () => {
  test('first event is listening with address, port, protocol', async () => {
    const { port, events } = await start();
    expect(events[0]).toMatchObject({ event: 'listening', protocol: 'tcp', address: '127.0.0.1', port });
  });

  test('half-close: the client ends its side, the server flushes every byte, then ends', async () => {
    const { port, events } = await start();
    const s = await open(port);
    const data = randomBytes(3 * 1024 * 1024);
    const echoed = readAll(s);
    s.end(data);
    expect((await echoed).equals(data)).toBe(true);
    const gone = await waitForEvent(events, (e) => e.event === 'disconnect');
    expect(gone).toMatchObject({ bytesIn: data.length, bytesOut: data.length, reason: 'closed', halfClosed: true });
  });

  test('--max-bytes: exactly N bytes come back, then FIN', async () => {
    const { port, events } = await start({ limits: { maxBytes: 1000 } });
    const s = await open(port);
    const data = randomBytes(5000);
    const echoed = readAll(s);
    s.write(data);
    const got = await echoed;
    expect(got.equals(data.subarray(0, 1000))).toBe(true);
    s.destroy();
    expect(await waitForEvent(events, (e) => e.event === 'disconnect')).toMatchObject({ reason: 'max-bytes', bytesOut: 1000 });
  });

  test('idle timeout closes a silent connection and says why', async () => {
    const { port, events } = await start({ limits: { idleTimeoutMs: 200 } });
    const s = await open(port);
    s.on('error', () => {});
    const gone = await waitForEvent(events, (e) => e.event === 'disconnect');
    expect(gone).toMatchObject({ reason: 'idle-timeout', bytesIn: 0 });
    s.destroy();
  });

  test('a reset mid-stream ends only that connection; the server keeps serving', async () => {
    const { port, events } = await start();
    const s = await open(port);
    s.write(randomBytes(256 * 1024));
    await new Promise((r) => setTimeout(r, 50));
    s.resetAndDestroy();
    const gone = await waitForEvent(events, (e) => e.event === 'disconnect');
    expect(gone).toMatchObject({ reason: 'reset', error: 'ECONNRESET' });
    const t = await open(port);
    const echoed = readAll(t);
    t.end('still here');
    expect((await echoed).toString()).toBe('still here');
  });

  test('--max-conns refuses (and reports) connections beyond the limit', async () => {
    const { port, events } = await start({ maxConns: 2 });
    const a = await open(port);
    const b = await open(port);
    await waitForEvent(events, (e) => e.event === 'connect' && e.open === 2);
    const c = await open(port);
    c.on('error', () => {});
    c.resume();
    const ended = new Promise((r) => c.once('end', r)); // the server closes it at once
    expect(await waitForEvent(events, (e) => e.event === 'refused')).toMatchObject({ reason: 'max-conns', maxConns: 2, remotePort: c.localPort });
    await ended;
    a.destroy();
    b.destroy();
  });

  test('stop: flushes and closes clients, reports connections, bytes and peak', async () => {
    const { port } = await start();
    const a = await open(port);
    const b = await open(port);
    const echoedA = readAll(a);
    const echoedB = readAll(b);
    a.write('hello');
    b.write('world!');
    await new Promise((r) => setTimeout(r, 100));
    const summary = await server!.stop();
    server = undefined;
    expect((await echoedA).toString()).toBe('hello');
    expect((await echoedB).toString()).toBe('world!');
    expect(summary).toMatchObject({ connections: 2, peakConcurrent: 2, bytesIn: 11, bytesOut: 11, refused: 0 });
    a.destroy();
    b.destroy();
  });
});
