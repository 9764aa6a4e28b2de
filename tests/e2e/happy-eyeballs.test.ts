// Happy Eyeballs (RFC 8305) in the socket layer's connectFirst, seen from echo-client:
// a name with an IPv6 and an IPv4 address, where the IPv6 path black-holes SYNs
// (nftables drop, inside the loopback-only sandbox), still connects, over IPv4, one
// attempt delay after the IPv6 attempt began: never after --timeout. And a refused
// IPv6 path falls through to IPv4 at once.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeInSandbox } from '../helpers/sandbox.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { connectFirst, interleaveFamilies } from '../../src/net/socket/connect.js';
import { noTrace } from '../../src/net/shared/trace.js';

test('interleaveFamilies: IPv6 first, then the families alternate, each in its own order', () => {
  expect(interleaveFamilies(['127.0.0.1', '::1', '127.0.0.2', '::2', '::3'])).toEqual(['::1', '127.0.0.1', '::2', '127.0.0.2', '::3']);
  expect(interleaveFamilies(['127.0.0.1', '127.0.0.2'])).toEqual(['127.0.0.1', '127.0.0.2']);
  expect(interleaveFamilies([])).toEqual([]);
});

describeInSandbox('Happy Eyeballs with a black-holed IPv6 path', () => {
  let dir: string;
  let server: Server;
  let port: number;
  const table = `sockkit_he_${process.pid}`;
  const nft = (...args: string[]) => execFileSync('nft', args, { stdio: ['ignore', 'ignore', 'pipe'] });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sockkit-he-'));
    server = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => server.listen({ host: '::', port: 0 }, resolve)); // ::1 and 127.0.0.1 alike
    port = (server.address() as { port: number }).port;
    nft('add', 'table', 'inet', table);
    nft('add', 'chain', 'inet', table, 'input', '{ type filter hook input priority 0; }');
    nft('add', 'rule', 'inet', table, 'input', 'ip6', 'daddr', '::1', 'tcp', 'dport', String(port), 'drop');
    writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost\n::1 dual.test\n127.0.0.1 dual.test\n`);
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.53\n');
  });
  afterAll(async () => {
    nft('delete', 'table', 'inet', table);
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('connectFirst: IPv6 attempted first, IPv4 started 250 ms later wins, the IPv6 attempt is cancelled', async () => {
    const { socket, address, attempts } = await connectFirst(['::1', '127.0.0.1'], { port, timeoutMs: 5000, trace: noTrace });
    socket.destroy();
    expect(address).toBe('127.0.0.1');
    expect(attempts.map((a) => [a.address, a.result])).toEqual([
      ['::1', 'cancelled'],
      ['127.0.0.1', 'connected'],
    ]);
    expect(attempts[1]!.startMs).toBeGreaterThanOrEqual(240);
    expect(attempts[1]!.startMs).toBeLessThan(2000); // the attempt delay, not the 5 s timeout
  });

  test('an attempt delay of 0 means one at a time: the black-holed IPv6 attempt then takes the whole timeout', async () => {
    await expect(connectFirst(['::1', '127.0.0.1'], { port, timeoutMs: 600, trace: noTrace, attemptDelayMs: 0 })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  test('echo-client to a name with both families: the echo comes back over IPv4, and --trace shows both attempts', async () => {
    const r = await runSockkit(['echo-client', '--host', 'dual.test', '-p', String(port), '-m', 'eyeballs', '--timeout', '5', '--trace'], {
      resolvConf: join(dir, 'resolv.conf'),
      hostsFile: join(dir, 'hosts'),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('eyeballs');
    expect(r.stderr).toMatch(/connect\s+\[::1\]:\d+/);
    expect(r.stderr).toMatch(/127\.0\.0\.1:\d+: attempt 2, \d+ ms after the first/);
    expect(r.stderr).toMatch(/\[::1\]:\d+: cancelled \(127\.0\.0\.1:\d+ connected first\)/);
  });

  test('http-get to a name with both families: the body over IPv4 after the delay; --json, --timing and --trace show every attempt', async () => {
    const web = createHttpServer((_req, res) => res.end('over ipv4\n'));
    await new Promise<void>((resolve) => web.listen({ host: '::', port: 0 }, resolve));
    const webPort = (web.address() as { port: number }).port;
    nft('add', 'rule', 'inet', table, 'input', 'ip6', 'daddr', '::1', 'tcp', 'dport', String(webPort), 'drop');
    const files = { resolvConf: join(dir, 'resolv.conf'), hostsFile: join(dir, 'hosts') };
    const url = `http://dual.test:${webPort}/`;
    try {
      const json = await runSockkit(['http-get', url, '--json', '--happy-eyeballs-delay', '100', '--timeout', '5'], files);
      expect(json.code).toBe(0);
      const doc = JSON.parse(json.stdout) as { remoteAddress: string; connectAttempts: Array<{ address: string; startMs: number; result: string }> };
      expect(doc.remoteAddress).toBe('127.0.0.1');
      expect(doc.connectAttempts.map((a) => [a.address, a.result])).toEqual([
        ['::1', 'cancelled'],
        ['127.0.0.1', 'connected'],
      ]);
      expect(doc.connectAttempts[1]!.startMs).toBeGreaterThanOrEqual(95); // --happy-eyeballs-delay 100, not the default 250
      expect(doc.connectAttempts[1]!.startMs).toBeLessThan(240);

      const timing = await runSockkit(['http-get', url, '--timing', '--timeout', '5'], files);
      expect(timing.code).toBe(0);
      expect(timing.stdout).toMatch(/^attempt ::1\t-\t[\d.]+\tcancelled$/m);
      expect(timing.stdout).toMatch(/^attempt 127\.0\.0\.1\t[\d.]+\t[\d.]+\tconnected$/m);

      const traced = await runSockkit(['http-get', url, '--trace', '--timeout', '5'], files);
      expect(traced.stdout).toBe('over ipv4\n');
      expect(traced.stderr).toMatch(/happy eyeballs: \[::1\]:\d+ cancelled 0→… ms; 127\.0\.0\.1:\d+ connected 2\d\d→\d+ ms/);

      // 0: one at a time, so the black-holed ::1 takes the whole connect timeout.
      const serial = await runSockkit(['http-get', url, '--happy-eyeballs-delay', '0', '--connect-timeout', '0.5'], files);
      expect(serial.code).toBe(5);
      expect(serial.stderr).toMatch(/^sockkit http-get: connect \[::1\]:\d+: no answer after 0\.5 s/);
    } finally {
      await new Promise((r) => web.close(r));
    }
  });

  test('a refused IPv6 path falls through to IPv4 at once', async () => {
    const v4only = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => v4only.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const v4port = (v4only.address() as { port: number }).port;
    try {
      const { address, attempts } = await connectFirst(['::1', '127.0.0.1'], { port: v4port, timeoutMs: 5000, trace: noTrace }).then((c) => (c.socket.destroy(), c));
      expect(address).toBe('127.0.0.1');
      expect(attempts[0]).toMatchObject({ address: '::1', result: 'failed', error: 'connection refused' });
      expect(attempts[1]!.startMs).toBeLessThan(240); // started by the refusal, not by the delay
    } finally {
      await new Promise((r) => v4only.close(r));
    }
  });
});
