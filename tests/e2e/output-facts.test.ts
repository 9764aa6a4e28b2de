// What sockkit prints must be true: a port that needs privilege is not "in use", every
// process holding a port is named and only sockets that block the bind, a certificate
// problem gets the hint that fixes it, OpenSSL's internals and 3,000-character URLs do
// not reach the error line, "no data" is not 0.000, and JSON numbers carry no float noise.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer, type TlsOptions } from 'node:tls';
import { expectCleanError, runSockkit, type RunResult } from '../helpers/run-sockkit.js';
import { makeCertificates } from '../interop/peers/nginx.js';

function listen(server: Server | TlsServer, host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve((server.address() as { port: number }).port));
  });
}

function close(server: Server | TlsServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('bind: the facts about a port', () => {
  // bind --range run unprivileged (needs privilege, not in use): tests/e2e/bind.test.ts, as user nobody.

  describe('a socket shared by two processes (a forked server)', () => {
    let server: Server;
    let child: ChildProcess;
    let dir: string;
    let port: number;
    beforeAll(async () => {
      server = createServer();
      port = await listen(server, '127.0.0.1');
      dir = mkdtempSync(join(tmpdir(), 'sockkit-fork-'));
      const script = join(dir, 'keep.cjs');
      // Keeps the listening socket it is sent, as a pre-fork server's workers do.
      writeFileSync(script, "process.on('message', (m, handle) => { globalThis.kept = handle; process.send('kept'); });\n");
      child = fork(script, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
      await new Promise<void>((resolve) => {
        child.once('message', () => resolve());
        child.send('take', server);
      });
    });
    afterAll(async () => {
      child.kill('SIGKILL');
      await close(server);
      rmSync(dir, { recursive: true, force: true });
    });

    test('every process holding it is named', async () => {
      const r = await runSockkit(['bind', '--host', '127.0.0.1', '--port', String(port), '--json']);
      expect(r.code).toBe(8);
      const pids = (JSON.parse(r.stdout).holders as Array<{ pid: number }>).map((h) => h.pid).sort();
      expect(pids).toEqual([process.pid, child.pid!].sort());
      expect(r.stderr).toContain(`(pid ${process.pid})`);
      expect(r.stderr).toContain(`(pid ${child.pid})`);
    });
  });

  describe('sockets on the same port in other families', () => {
    const servers: Server[] = [];
    let port: number;
    let dualPort: number;
    beforeAll(async () => {
      const v4 = createServer();
      const v6 = createServer();
      const dual = createServer();
      servers.push(v4, v6, dual);
      port = await listen(v4, '127.0.0.1');
      await listen(v6, '::1', port);
      dualPort = await listen(dual, '::');
    });
    afterAll(async () => {
      for (const s of servers) await close(s);
    });

    test('a ::1 listener is not named as blocking 127.0.0.1', async () => {
      const r = await runSockkit(['bind', '--host', '127.0.0.1', '--port', String(port), '--json']);
      expect(r.code).toBe(8);
      expect(JSON.parse(r.stdout).holders).toEqual([{ address: '127.0.0.1', port, pid: process.pid, command: expect.any(String) }]);
    });

    test('the dual-stack wildcard :: is named as blocking 127.0.0.1', async () => {
      const r = await runSockkit(['bind', '--host', '127.0.0.1', '--port', String(dualPort), '--json']);
      expect(r.code).toBe(8);
      expect(JSON.parse(r.stdout).holders).toEqual([{ address: '::', port: dualPort, pid: process.pid, command: expect.any(String) }]);
    });

    test('--range names only the 127.0.0.1 listener as holding the port for 127.0.0.1', async () => {
      const r = await runSockkit(['bind', '--host', '127.0.0.1', '--range', `${port}-${port}`, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).inUse).toEqual([{ port, holders: [{ address: '127.0.0.1', port, pid: process.pid, command: expect.any(String) }] }]);
    });
  });

  test('threaded-server on a port in use names the holder, as bind does', async () => {
    const holder = createServer();
    const port = await listen(holder, '127.0.0.1');
    try {
      const r = await runSockkit(['threaded-server', '--host', '127.0.0.1', '--port', String(port), '--workers', '1']);
      expect(r.code).toBe(8);
      expectCleanError(r, 'threaded-server');
      expect(r.stderr).toContain(`address already in use by node (pid ${process.pid}) on 127.0.0.1:${port}`);
    } finally {
      await close(holder);
    }
  });
});

describe('TLS failures: one readable reason, the hint that fits', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  const servers: TlsServer[] = [];
  const open = new Set<Socket>();
  async function tlsServer(options: TlsOptions): Promise<number> {
    const server = createTlsServer(options, (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n'));
    server.on('connection', (s: Socket) => {
      open.add(s);
      s.on('close', () => open.delete(s));
    });
    server.on('tlsClientError', () => {});
    servers.push(server);
    return listen(server, '127.0.0.1');
  }
  const pem = (pair: [string, string]) => ({ cert: readFileSync(pair[0]), key: readFileSync(pair[1]) });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sockkit-tls-facts-'));
    certs = makeCertificates(dir);
  }, 30000);
  afterAll(async () => {
    for (const s of open) s.destroy();
    for (const s of servers) await close(s);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The error line, checked for OpenSSL internals on the way. */
  function errorLine(r: RunResult): string {
    expect(r.code).toBe(6);
    expectCleanError(r, 'http-get');
    const line = r.stderr.trim().split('\n').at(-1)!;
    expect(line).not.toMatch(/:error:[0-9A-F]{8}:|\.\.\/deps|\.c:\d+|SSL routines/);
    return line;
  }

  test('an expired certificate: says expired, does not send the user to --cacert', async () => {
    const port = await tlsServer(pem(certs.expired));
    const line = errorLine(await runSockkit(['http-get', '--cacert', certs.ca, `https://localhost:${port}/`]));
    expect(line).toMatch(/the certificate has expired/);
    expect(line).toMatch(/renew/);
    expect(line).not.toMatch(/--cacert/);
  });

  test('a certificate for another name: names what it is for, does not send the user to --cacert', async () => {
    const port = await tlsServer(pem(certs.wrongName));
    const line = errorLine(await runSockkit(['http-get', '--cacert', certs.ca, `https://localhost:${port}/`]));
    expect(line).toContain('the certificate is not for localhost (it names DNS:wrong.example)');
    expect(line).not.toMatch(/--cacert/);
  });

  test('an unknown issuer (self-signed): trust its CA with --cacert, or -k', async () => {
    const port = await tlsServer(pem(certs.selfSigned));
    const line = errorLine(await runSockkit(['http-get', `https://localhost:${port}/`]));
    expect(line).toMatch(/self-signed certificate \(trust its CA with --cacert FILE, or skip the check with -k\)$/);
  });

  test("a server's alert (client certificate required): one reason with OpenSSL's short name, no source paths", async () => {
    const port = await tlsServer({ ...pem(certs.good), requestCert: true, rejectUnauthorized: true });
    const line = errorLine(await runSockkit(['http-get', '--cacert', certs.ca, `https://localhost:${port}/`]));
    expect(line).toMatch(/alert "certificate required" \(tlsv13 alert certificate required\)/);
    expect(line).toMatch(/client certificate/);
  });

  test('no TLS version in common: the alert, readable', async () => {
    const port = await tlsServer({ ...pem(certs.good), maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-NULL-SHA' });
    const line = errorLine(await runSockkit(['http-get', '--cacert', certs.ca, `https://localhost:${port}/`]));
    expect(line).toMatch(/alert "handshake failure" \(sslv3 alert handshake failure\)/);
  });
});

test('a redirect loop of 3,000-character URLs: the error line stays readable', async () => {
  const a = `/a${'x'.repeat(3000)}`;
  const b = `/b${'y'.repeat(3000)}`;
  const server = createServer((s) => {
    s.on('error', () => {});
    s.once('data', (d) => {
      const path = d.toString('latin1').split(' ')[1];
      s.end(`HTTP/1.1 302 Found\r\nLocation: ${path === a ? b : a}\r\nContent-Length: 0\r\n\r\n`);
    });
  });
  const port = await listen(server, '127.0.0.1');
  try {
    const r = await runSockkit(['http-get', '-L', `http://127.0.0.1:${port}${a}`]);
    expect(r.code).toBe(7);
    expectCleanError(r, 'http-get');
    const line = r.stderr.trim();
    expect(line).toMatch(/^sockkit http-get: redirect loop: /);
    expect(line.length).toBeLessThanOrEqual(500);
    expect(line).toContain(`http://127.0.0.1:${port}/axxx`);
    expect(line).toContain('…');
  } finally {
    await close(server);
  }
});

describe('echo-client statistics', () => {
  let silent: UdpSocket;
  let echo: UdpSocket;
  beforeAll(async () => {
    silent = createSocket('udp4'); // reads every datagram, answers none
    echo = createSocket('udp4');
    echo.on('message', (msg, from) => echo.send(msg, from.port, from.address));
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));
  });
  afterAll(() => {
    silent.close();
    echo.close();
  });

  test('nothing received: the round-trip figures say there is no data, not 0.000', async () => {
    const args = ['echo-client', '--udp', '--port', String(silent.address().port), '--count', '2', '--interval', '0', '--timeout', '0.2'];
    const piped = await runSockkit(args);
    expect(piped.code).toBe(5);
    const summary = piped.stdout.split('\n').find((l) => l.startsWith('summary'))!;
    expect(summary).toContain('received=0');
    expect(summary).toContain('minMs=–\tavgMs=–');
    expect(summary).not.toContain('0.000');
    const json = await runSockkit([...args, '--json']);
    const doc = JSON.parse(json.stdout);
    expect(doc.summary).toMatchObject({ received: 0, minMs: null, avgMs: null, maxMs: null });
  });

  test('--json numbers are rounded to the microsecond, without float noise', async () => {
    const r = await runSockkit(['echo-client', '--udp', '--port', String(echo.address().port), '--count', '20', '--interval', '0', '--json']);
    expect(r.code).toBe(0);
    const numbers = [...r.stdout.matchAll(/"\w+Ms": (-?[\d.e+-]+)/g)].map((m) => m[1]!);
    expect(numbers.length).toBeGreaterThan(20);
    for (const n of numbers) expect(n).toMatch(/^-?\d+(\.\d{1,3})?$/);
  });
});
