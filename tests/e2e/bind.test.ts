import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expectCleanError, runSockkit, SOCKKIT_BIN } from '../helpers/run-sockkit.js';
import { startProcess, waitFor, type Started } from '../helpers/process.js';

describe('sockkit bind', () => {
  test('port 0 over TCP: the ephemeral port, all IPv4 interfaces, and that TCP means bind + listen', async () => {
    const r = await runSockkit(['bind', '--port', '0', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ protocol: 'tcp', family: 4, address: '0.0.0.0', requestedPort: 0, allInterfaces: true, listening: true, held: false });
    expect(doc.port).toBeGreaterThan(0);
  });

  test('piped output is label<TAB>value lines that state the default address and the listen', async () => {
    const r = await runSockkit(['bind']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^address\t0\.0\.0\.0 \(all IPv4 interfaces\)$/m);
    expect(r.stdout).toMatch(/^port\t\d+ \(ephemeral, chosen by the kernel\)$/m);
    expect(r.stdout).toMatch(/^state\tbound and listening, backlog 511 \(Node cannot bind TCP without listen\)$/m);
  });

  test('UDP port 0 is bound, not listening', async () => {
    const r = await runSockkit(['bind', '--udp', '--host', '127.0.0.1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ protocol: 'udp', address: '127.0.0.1', listening: false, allInterfaces: false });
  });

  test.each([
    [['-6'], '::', 'tcp'],
    [['-6', '--udp'], '::', 'udp'],
    [['--host', '::1'], '::1', 'tcp'],
    [['--host', '::1', '--udp'], '::1', 'udp'],
  ])('IPv6 %p binds %s', async (extra, address, protocol) => {
    const r = await runSockkit(['bind', ...extra, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ family: 6, address, protocol });
  });

  test.each([['70000'], ['abc'], ['-1']])('bad port %s: exit 2', async (port) => {
    const r = await runSockkit(['bind', '--port', port]);
    expect(r.code).toBe(2);
    expectCleanError(r, 'bind');
    expect(r.stderr).toMatch(/bad port/);
  });

  test.each([['999.1.1.1'], ['no such host!'], ['']])('bad host %p: exit 2', async (host) => {
    const r = await runSockkit(['bind', '--host', host]);
    expect(r.code).toBe(2);
    expectCleanError(r, 'bind');
  });

  test('-4 with an IPv6 host is a usage error', async () => {
    const r = await runSockkit(['bind', '-4', '--host', '::1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not an IPv4 address/);
  });

  describe('a port held by another process', () => {
    let holder: Started;
    let port = 0;
    beforeAll(async () => {
      holder = startProcess(process.execPath, [SOCKKIT_BIN, 'bind', '--host', '127.0.0.1', '--hold', '--json'], { env: { ...process.env, NO_COLOR: '1' } });
      // stdout (the JSON) and stderr (the "holding" note) arrive interleaved in output().
      await waitFor(() => /holding TCP/.test(holder.output()), 10000, 'the holder to bind');
      port = Number(/"port": (\d+)/.exec(holder.output())![1]);
    });
    afterAll(() => holder.stop());

    test('TCP: exit 8, and the holder is named with its PID (read from /proc)', async () => {
      const r = await runSockkit(['bind', '--host', '127.0.0.1', '--port', String(port)]);
      expect(r.code).toBe(8);
      expectCleanError(r, 'bind');
      expect(r.stderr).toContain(`bind tcp 127.0.0.1:${port}: address already in use by node (pid ${holder.child.pid}) on 127.0.0.1:${port}`);
    });

    test('the wildcard address is refused too, naming the same holder', async () => {
      const r = await runSockkit(['bind', '--port', String(port)]);
      expect(r.code).toBe(8);
      expect(r.stderr).toContain(`(pid ${holder.child.pid})`);
    });

    test('--range marks it in use, with its holder, and the others free', async () => {
      const r = await runSockkit(['bind', '--host', '127.0.0.1', '--range', `${port}-${port}`, '--json']);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.free).toEqual([]);
      expect(doc.inUse).toEqual([{ port, holders: [{ address: '127.0.0.1', port, pid: holder.child.pid, command: 'node' }] }]);
      expect(doc.needsPrivilege).toEqual([]);
    });

    test('--hold ends with exit 0 on SIGTERM', async () => {
      const h = startProcess(process.execPath, [SOCKKIT_BIN, 'bind', '--hold', '--host', '127.0.0.1']);
      await waitFor(() => /holding TCP/.test(h.output()), 10000, 'holding');
      const exited = new Promise<number | null>((resolve) => h.child.once('exit', (code) => resolve(code)));
      h.child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  });

  describe('a UDP port held by this test process', () => {
    let udp: UdpSocket;
    let port = 0;
    beforeAll(async () => {
      udp = createSocket('udp4');
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      port = udp.address().port;
    });
    afterAll(() => new Promise<void>((resolve) => udp.close(() => resolve())));

    test('exit 8 naming this PID', async () => {
      const r = await runSockkit(['bind', '--udp', '--host', '127.0.0.1', '--port', String(port)]);
      expect(r.code).toBe(8);
      expect(r.stderr).toContain(`bind udp 127.0.0.1:${port}: address already in use by`);
      expect(r.stderr).toContain(`(pid ${process.pid})`);
    });
  });

  test('--range lists free ports, one tab-separated record per port', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const held = (server.address() as { port: number }).port;
    try {
      const r = await runSockkit(['bind', '--host', '127.0.0.1', '--range', `${held - 1}-${held + 1}`]);
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[1]).toMatch(new RegExp(`^${held}\\tin use\\t.*\\(pid ${process.pid}\\) on 127\\.0\\.0\\.1:${held}$`));
    } finally {
      server.close();
    }
  });

  test('--range is bounded and checked', async () => {
    expect((await runSockkit(['bind', '--range', '1000-30000'])).code).toBe(2);
    expect((await runSockkit(['bind', '--range', '9100-9000'])).code).toBe(2);
  });

  // Real EACCES: run sockkit as an unprivileged user (we are root here) on port 1. The
  // checkout may sit in a directory that user cannot read (mktemp makes them 0700), so
  // the bundle is copied into a world-readable temporary directory first.
  const unprivilegedStart = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  const canTestPrivilege = process.getuid?.() === 0 && unprivilegedStart > 1;
  let nobodyCopy: string | undefined;
  beforeAll(() => {
    if (!canTestPrivilege) return;
    nobodyCopy = mkdtempSync(join(tmpdir(), 'sockkit-nobody-'));
    const root = join(dirname(SOCKKIT_BIN), '..');
    for (const file of ['bin/sockkit', 'bin/package.json', 'dist/sockkit.cjs', 'dist/sockkit-yargs.cjs']) {
      mkdirSync(join(nobodyCopy, dirname(file)), { recursive: true });
      copyFileSync(join(root, file), join(nobodyCopy, file));
    }
    for (const dir of [nobodyCopy, join(nobodyCopy, 'bin'), join(nobodyCopy, 'dist')]) chmodSync(dir, 0o755);
  });
  afterAll(() => {
    if (nobodyCopy) rmSync(nobodyCopy, { recursive: true, force: true });
  });
  (canTestPrivilege ? test : test.skip)('port 1 as an unprivileged user: exit 8, permission denied (skipped unless root and ip_unprivileged_port_start > 1)', async () => {
    const child = spawn(process.execPath, [join(nobodyCopy!, 'bin', 'sockkit'), 'bind', '--port', '1'], { uid: 65534, gid: 65534, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(8);
    expect(stderr).toContain(`bind tcp 0.0.0.0:1: permission denied: ports below ${unprivilegedStart} need privilege`);
  });

  /** sockkit run as user nobody, from the world-readable copy. */
  function runAsNobody(args: string[]): Promise<{ code: number | null; stdout: string }> {
    const child = spawn(process.execPath, [join(nobodyCopy!, 'bin', 'sockkit'), ...args], { uid: 65534, gid: 65534, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.resume();
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout })));
  }

  (canTestPrivilege && unprivilegedStart > 2 ? test : test.skip)('--range as an unprivileged user: the low ports need privilege, they are not "in use" (skipped unless root)', async () => {
    const low = unprivilegedStart - 2;
    const r = await runAsNobody(['bind', '--host', '127.0.0.1', '--range', `${low}-${unprivilegedStart + 1}`, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.needsPrivilege).toEqual([low, low + 1]);
    expect(doc.inUse).toEqual([]);
    expect(doc.free).toEqual([unprivilegedStart, unprivilegedStart + 1]);
    const piped = await runAsNobody(['bind', '--host', '127.0.0.1', '--range', `${low + 1}-${unprivilegedStart}`]);
    expect(piped.stdout).toBe(`${low + 1}\tneeds privilege\t\n${unprivilegedStart}\tfree\t\n`);
  });
});
