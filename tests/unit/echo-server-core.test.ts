// The echo server core in-process, on loopback: limits, half-close, resets, shutdown.
import { noTrace } from '../../src/net/shared/trace.js';
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { OwnAddress, SourceRateLimiter, udpRefusal } from '../../src/net/echo/udp.js';
import { connectionBudget, RefusalAggregator } from '../../src/net/socket/descriptor-budget.js';
import { Terminal } from '../../src/output/terminal.js';
import { humanLine } from '../../src/output/echo-server.js';
import { humanEventLine } from '../../src/output/threaded-server.js';
import { keyValueLine } from '../../src/output/server-events.js';
import { FakeStream } from '../helpers/fake-stream.js';
import { startEchoServer, type EchoServer, type EchoServerEvent, type EchoServerOptions } from '../../src/net/echo/server.js';

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
    noTrace,
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

describe('UDP echo guards (pure)', () => {
  test('OwnAddress: a specific bind is only itself; a wildcard bind is its port on any local address', () => {
    const specific = new OwnAddress('127.0.0.1', 7007, () => []);
    expect(specific.matches('127.0.0.1', 7007)).toBe(true);
    expect(specific.matches('::ffff:127.0.0.1', 7007)).toBe(true);
    expect(specific.matches('127.0.0.1', 7008)).toBe(false);
    expect(specific.matches('127.0.0.2', 7007)).toBe(false);

    const wildcard = new OwnAddress('::', 7007, () => ['192.0.2.10', 'fe80::1%eth0']);
    expect(wildcard.matches('127.0.0.9', 7007)).toBe(true); // all of 127/8 is local
    expect(wildcard.matches('::1', 7007)).toBe(true);
    expect(wildcard.matches('::ffff:192.0.2.10', 7007)).toBe(true);
    expect(wildcard.matches('FE80::1', 7007)).toBe(true);
    expect(wildcard.matches('192.0.2.11', 7007)).toBe(false);
    expect(wildcard.matches('192.0.2.10', 9)).toBe(false);
  });

  test('OwnAddress re-reads the interfaces, so an address added later counts', () => {
    let list = ['192.0.2.10'];
    const own = new OwnAddress('0.0.0.0', 7, () => list, 1000);
    expect(own.matches('198.51.100.1', 7, 0)).toBe(false);
    list = ['198.51.100.1'];
    expect(own.matches('198.51.100.1', 7, 500)).toBe(false);
    expect(own.matches('198.51.100.1', 7, 1500)).toBe(true);
  });

  test('udpRefusal: own address first, then small-service ports unless allowed, then the rate limit', () => {
    const own = new OwnAddress('127.0.0.1', 5000, () => []);
    const policy = { allowLowPorts: false, ratePerSecond: 0 };
    expect(udpRefusal('127.0.0.1', 5000, own, policy, undefined)).toBe('ownAddress');
    for (const port of [0, 7, 9, 13, 17, 19, 37]) expect(udpRefusal('127.0.0.1', port, own, policy, undefined)).toBe('lowPort');
    expect(udpRefusal('127.0.0.1', 7, own, { ...policy, allowLowPorts: true }, undefined)).toBeUndefined();
    expect(udpRefusal('127.0.0.1', 40000, own, policy, undefined)).toBeUndefined();
  });

  test('SourceRateLimiter: one second of burst per source, refilled at the rate; sources are independent', () => {
    const limiter = new SourceRateLimiter(10);
    const allowed = (source: string, now: number, n: number) => Array.from({ length: n }, () => limiter.allow(source, now)).filter(Boolean).length;
    expect(allowed('a', 0, 15)).toBe(10);
    expect(allowed('b', 0, 3)).toBe(3);
    expect(allowed('a', 100, 5)).toBe(1); // 100 ms at 10/s: one token back
    expect(allowed('a', 10_000, 20)).toBe(10); // never more than one second saved
  });

  test('SourceRateLimiter: memory stays bounded under forged sources', () => {
    const limiter = new SourceRateLimiter(5);
    for (let i = 0; i < 70_000; i++) limiter.allow(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i / 1000);
    expect(limiter.size).toBeLessThanOrEqual(65_536);
  });
});

describe('descriptor refusals are aggregated', () => {
  test('the first is reported at once, the rest as one count a window; flush reports what is pending', () => {
    jest.useFakeTimers();
    try {
      const reports: number[] = [];
      const aggregator = new RefusalAggregator((n) => reports.push(n), 1000);
      for (let i = 0; i < 500; i++) aggregator.add();
      expect(reports).toEqual([1]);
      jest.advanceTimersByTime(1000);
      expect(reports).toEqual([1, 499]);
      jest.advanceTimersByTime(1000); // nothing pending: quiet, and the next refusal is reported at once
      aggregator.add();
      aggregator.add();
      expect(reports).toEqual([1, 499, 1]);
      aggregator.flush();
      expect(reports).toEqual([1, 499, 1, 1]);
    } finally {
      jest.useRealTimers();
    }
  });

  test('connectionBudget reads this process limit and what is open (Linux)', () => {
    const budget = connectionBudget();
    if (process.platform !== 'linux') return;
    expect(budget).toBeDefined();
    expect(budget!.connections).toBe(Math.max(1, budget!.limit - budget!.inUse - 16));
    expect(budget!.inUse).toBeGreaterThan(2);
  });
});

describe('stop: whenSettled', () => {
  test('a client that goes on sending after the stop is still echoed until it goes quiet, then FIN', async () => {
    const { port } = await start();
    const s = await open(port);
    const echoed = readAll(s);
    s.write('before ');
    await new Promise((r) => setTimeout(r, 50));
    const stopping = server!.stop();
    server = undefined;
    for (const word of ['during ', 'the ', 'stop']) {
      await new Promise((r) => setTimeout(r, 100)); // under the 250 ms quiet period
      s.write(word);
    }
    expect((await echoed).toString()).toBe('before during the stop');
    expect(await stopping).toMatchObject({ cut: 0, bytesIn: 22, bytesOut: 22 });
  });
});

describe('descriptor refusal lines', () => {
  const term = new Terminal({ stdout: new FakeStream(true), stderr: new FakeStream(true), env: { NO_COLOR: '1' } });

  test('echo-server: one readable line and one tab-separated record per aggregated event', () => {
    const e = { event: 'refused', protocol: 'tcp', reason: 'descriptors', count: 92, open: 27, descriptorLimit: 64 } as const;
    expect(humanLine(term, e)).toMatch(/refused {4}92 connections: out of file descriptors \(ulimit -n 64, 27 open\); accepted and closed$/);
    expect(keyValueLine(e)).toBe('refused\tprotocol=tcp\treason=descriptors\tcount=92\topen=27\tdescriptorLimit=64');
  });

  test('threaded-server: worker 0 is the primary', () => {
    const e = { event: 'refused', worker: 0, reason: 'descriptors', count: 3, open: 1, descriptorLimit: 64 } as const;
    expect(humanEventLine(term, e)).toMatch(/^\[primary\] refused 3 connections: out of file descriptors \(ulimit -n 64, 1 open\)/);
    expect(keyValueLine(e)).toBe('refused\tworker=0\treason=descriptors\tcount=3\topen=1\tdescriptorLimit=64');
  });
});
