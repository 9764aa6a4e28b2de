// echo-client --tls and --unix against independent servers (socat OPENSSL-LISTEN,
// ncat --ssl, openssl s_server, socat UNIX-LISTEN) and against sockkit's own
// echo-server: what was negotiated, certificate failures (exit 6), mutual TLS both
// ways, load mode's handshake figures, and --handshakes with and without resumption.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { waitFor } from '../helpers/process.js';
import { freePort } from '../helpers/ports.js';
import { makeCertificates, type CertPaths } from './peers/nginx.js';
import { startEchoServerProcess, type EchoServerProcess } from '../e2e/echo-server-process.js';
import { connect } from 'node:net';

/** Resolves once something accepts TCP connections on the port (or a Unix path). */
async function listening(where: number | string): Promise<void> {
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = typeof where === 'number' ? connect(where, '127.0.0.1') : connect({ path: where });
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      }),
    10_000,
    `a server on ${where}`,
  );
}

describeWithPeers('echo-client --tls and --unix against socat, ncat and openssl s_server', ['socat', 'ncat', 'openssl'], () => {
  let dir: string;
  let certs: CertPaths;
  const peers: ChildProcess[] = [];
  const servers: EchoServerProcess[] = [];
  const peer = async (command: string, args: string[], where: number | string) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'ignore'] });
    peers.push(child);
    await listening(where);
    return child;
  };
  const socatTls = async (verify = 'verify=0') => {
    const port = await freePort();
    await peer('socat', [`OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,cert=${certs.good[0]},key=${certs.good[1]},${verify}`, 'EXEC:cat'], port);
    return port;
  };
  const client = (args: string[]) => runSockkit(['echo-client', ...args]);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sockkit-tls-client-'));
    certs = makeCertificates(dir);
  });
  afterAll(async () => {
    for (const p of peers) p.kill('SIGKILL');
    for (const s of servers) await s.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('socat OPENSSL-LISTEN: the echo is verified, and the verdict and JSON name what TLS negotiated', async () => {
    const port = await socatTls();
    const r = await client(['-p', String(port), '--tls', '--cacert', certs.ca, '--servername', 'localhost', '-m', 'hello tls']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello tls');
    expect(r.stderr).toMatch(/echo from TCP\+TLS 127\.0\.0\.1:\d+ \(TLSv1\.3 TLS_\w+, cert localhost \(verified\), handshake [\d.]+ ms\): 9 bytes, identical/);
    const json = await client(['-p', String(port), '--tls', '--cacert', certs.ca, '--servername', 'localhost', '-m', 'x', '--json']);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ mode: 'message', protocol: 'tcp', secure: true, identical: true, tls: { protocol: 'TLSv1.3', verified: true, peerSubject: 'localhost', resumed: false } });
    expect(doc.tls.handshakeMs).toBeGreaterThan(0);
  });

  test('a wrong-name and an untrusted certificate are exit 6; -k completes with a warning', async () => {
    const port = await socatTls();
    const wrongName = await client(['-p', String(port), '--tls', '--cacert', certs.ca, '--servername', 'other.test', '-m', 'x']);
    expect(wrongName.code).toBe(6);
    expect(wrongName.stderr).toMatch(/other\.test/);
    const untrusted = await client(['-p', String(port), '--tls', '-m', 'x']);
    expect(untrusted.code).toBe(6);
    expect(untrusted.stderr).toMatch(/verify|certificate/);
    const insecure = await client(['-p', String(port), '--tls', '-k', '-m', 'x']);
    expect(insecure.code).toBe(0);
    expect(insecure.stderr).toMatch(/warning: the server certificate is not verified/);
    expect(insecure.stderr).toMatch(/NOT verified/);
  });

  test('without --cacert the server is checked against Node\'s roots plus NODE_EXTRA_CA_CERTS, as bin/sockkit hands it over', async () => {
    const port = await socatTls();
    const args = ['echo-client', '-p', String(port), '--tls', '--servername', 'localhost', '-m', 'extra-ca'];
    const trusted = await runSockkit(args, { asExecutable: true, env: { NODE_EXTRA_CA_CERTS: certs.ca } });
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toBe('extra-ca');
    const untrusted = await runSockkit(args, { asExecutable: true, env: { NODE_EXTRA_CA_CERTS: '' } });
    expect(untrusted.code).toBe(6);
  });

  test('ncat --ssl as the server: --count round trips over TLS', async () => {
    const port = await freePort();
    await peer('ncat', ['--ssl', '--ssl-cert', certs.good[0], '--ssl-key', certs.good[1], '-l', '-k', '127.0.0.1', String(port), '--sh-exec', 'cat'], port);
    const r = await client(['-p', String(port), '--tls', '--cacert', certs.ca, '--servername', 'localhost', '-c', '3', '-i', '0', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toMatchObject({ sent: 3, received: 3, mismatched: 0 });
    expect(doc.tls).toMatchObject({ verified: true });
  });

  test('mutual TLS both ways: a client certificate for socat verify=1 and for echo-server --require-client-cert', async () => {
    const port = await socatTls(`verify=1,cafile=${certs.ca}`);
    const identity = ['--cert', certs.client[0], '--key', certs.client[1]];
    const ok = await client(['-p', String(port), '--tls', '--cacert', certs.ca, '--servername', 'localhost', ...identity, '-m', 'mutual']);
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/identical/) });
    expect(ok.stdout).toBe('mutual');
    const server = await startEchoServerProcess(['--tls', '--cert', certs.good[0], '--key', certs.good[1], '--cacert', certs.ca, '--require-client-cert']);
    servers.push(server);
    const ours = await client(['-p', String(server.port), '--tls', '--cacert', certs.ca, '--servername', 'localhost', ...identity, '-m', 'ours']);
    expect(ours.code).toBe(0);
    await waitFor(() => server.events().some((e) => e.event === 'tls'), 5000, 'the tls event');
    expect(server.events().find((e) => e.event === 'tls')!.clientCertificate).toMatch(/sockkit test client/);
    const without = await client(['-p', String(server.port), '--tls', '--cacert', certs.ca, '--servername', 'localhost', '-m', 'nope']);
    expect(without.code).not.toBe(0);
    expect(without.stdout).toBe('');
  });

  test('load mode over TLS reports the handshakes; --handshakes resumes sessions unless --no-session-reuse', async () => {
    const server = await startEchoServerProcess(['--tls', '--cert', certs.good[0], '--key', certs.good[1], '--no-log-connections']);
    servers.push(server);
    const tls = ['-p', String(server.port), '--tls', '--cacert', certs.ca, '--servername', 'localhost'];
    const load = JSON.parse((await client([...tls, '-C', '4', '-d', '0.5', '--json'])).stdout);
    expect(load).toMatchObject({ mode: 'load', connectionsOpened: 4, mismatches: 0, handshakes: { count: 4, resumed: 0 } });
    expect(load.messages).toBeGreaterThan(0);
    expect(load.handshakes.time.p99Ms).toBeGreaterThan(0);

    const reuse = JSON.parse((await client([...tls, '--handshakes', '-C', '2', '-d', '1', '--json'])).stdout);
    expect(reuse).toMatchObject({ mode: 'handshakes', sessionReuse: true, failed: 0 });
    expect(reuse.count).toBeGreaterThan(4);
    expect(reuse.resumed).toBeGreaterThan(0);
    expect(reuse.resumed).toBeLessThan(reuse.count + 1);
    const full = JSON.parse((await client([...tls, '--handshakes', '-C', '2', '-d', '1', '--no-session-reuse', '--json'])).stdout);
    expect(full).toMatchObject({ sessionReuse: false, resumed: 0, failed: 0 });
    expect(full.count).toBeGreaterThan(0);
  });

  test('--handshakes against openssl s_server; nothing listening is exit 4', async () => {
    const port = await freePort();
    await peer('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', certs.good[0], '-key', certs.good[1], '-quiet', '-naccept', '100000'], port);
    const r = JSON.parse((await client(['-p', String(port), '--tls', '--cacert', certs.ca, '--servername', 'localhost', '--handshakes', '-C', '2', '-d', '1', '--json'])).stdout);
    expect(r.count).toBeGreaterThan(0);
    expect(r.resumed).toBeGreaterThan(0);
    const nothing = await client(['-p', String(await freePort()), '--tls', '-k', '--handshakes', '-C', '2', '-d', '1']);
    expect(nothing.code).toBe(4);
    expect(nothing.stderr).toMatch(/connection refused/);
  });

  test('--unix: socat UNIX-LISTEN and sockkit echo-server --unix --tls', async () => {
    const path = join(dir, 'socat.sock');
    await peer('socat', [`UNIX-LISTEN:${path},fork`, 'EXEC:cat'], path);
    const plain = await client(['--unix', path, '-m', 'over unix']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('over unix');
    expect(plain.stderr).toMatch(/echo from UNIX .*socat\.sock: 9 bytes, identical/);
    const tlsPath = join(dir, 'tls.sock');
    const server = await startEchoServerProcess(['--unix', tlsPath, '--tls', '--cert', certs.good[0], '--key', certs.good[1]]);
    servers.push(server);
    const overTls = await client(['--unix', tlsPath, '--tls', '--cacert', certs.ca, '-m', 'tls over unix', '--json']);
    expect(overTls.code).toBe(0);
    expect(JSON.parse(overTls.stdout)).toMatchObject({ protocol: 'unix', address: tlsPath, identical: true, tls: { verified: true } });
  });

  test('bad client flags: exit 2 with one line', async () => {
    for (const [args, message] of [
      [['-p', '9', '--cacert', certs.ca, '-m', 'x'], /--cacert: it is only used with --tls/],
      [['-p', '9', '--tls', '--udp', '-m', 'x'], /TLS needs a stream/],
      [['-p', '9', '--handshakes', '-C', '1', '-d', '1'], /--handshakes: it measures TLS handshakes/],
      [['-p', '9', '--tls', '--handshakes'], /needs --concurrency and --duration/],
      [['-p', '9', '--tls', '--cert', certs.client[0], '-m', 'x'], /needs both --cert FILE and --key FILE/],
      [['--unix', join(dir, 'x.sock'), '--udp', '--tls', '-m', 'x'], /TLS needs a stream/],
      [['-m', 'x'], /port/],
    ] as Array<[string[], RegExp]>) {
      const r = await client(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
  });
});
