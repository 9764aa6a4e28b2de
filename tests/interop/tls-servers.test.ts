// echo-server --tls and threaded-server --tls with independent TLS clients: socat
// OPENSSL, openssl s_client and ncat --ssl; mutual TLS; and clients that break the
// handshake (plain TCP, no client certificate, a stall), which must end only their
// own connection.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { waitFor } from '../helpers/process.js';
import { makeCertificates, type CertPaths } from './peers/nginx.js';
import { startEchoServerProcess, type EchoServerProcess } from '../e2e/echo-server-process.js';
import { startThreadedServer, type RunningServer } from '../e2e/threaded-harness.js';

/** Runs a shell command, bounded in time; resolves with stdout and stderr whatever its exit status. */
function sh(command: string, timeoutMs = 20_000): Promise<{ stdout: string; stderr: string; failed: boolean }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ stdout, stderr, failed: err !== null }));
  });
}

describeWithPeers('TLS servers with socat, openssl and ncat as clients', ['socat', 'openssl', 'ncat'], () => {
  let dir: string;
  let certs: CertPaths;
  const echoServers: EchoServerProcess[] = [];
  const threaded: RunningServer[] = [];
  const tlsArgs = () => ['--tls', '--cert', certs.good[0], '--key', certs.good[1]];
  const socatTo = (port: number, extra = '') => `socat -T 5 - OPENSSL:127.0.0.1:${port},cafile=${certs.ca},commonname=localhost${extra}`;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sockkit-tls-servers-'));
    certs = makeCertificates(dir);
  });
  afterAll(async () => {
    for (const s of echoServers) await s.stop('SIGKILL');
    for (const s of threaded) await s.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const echoServer = async (args: string[]) => {
    const s = await startEchoServerProcess(args);
    echoServers.push(s);
    return s;
  };

  test('echo-server --tls: socat gets its bytes back; events name the version, cipher, SNI and handshake time', async () => {
    const server = await echoServer(tlsArgs());
    const payload = 'hello over TLS\n'.repeat(1000);
    writeFileSync(join(dir, 'payload'), payload);
    const { stdout } = await sh(`${socatTo(server.port)} < ${join(dir, 'payload')}`);
    expect(stdout).toBe(payload);
    expect(server.events()[0]).toMatchObject({ event: 'listening', tls: true });
    const tls = server.events().find((e) => e.event === 'tls');
    expect(tls).toMatchObject({ version: 'TLSv1.3', sni: 'localhost', resumed: false, clientCertificate: null });
    expect(tls!.cipher).toMatch(/^TLS_/);
    expect(tls!.handshakeMs).toBeGreaterThan(0);
    await waitFor(() => server.events().some((e) => e.event === 'disconnect'), 5000, 'disconnect');
    // Byte counts are the application's (plaintext), not TLS records.
    expect(server.events().find((e) => e.event === 'disconnect')).toMatchObject({ bytesIn: payload.length, bytesOut: payload.length, reason: 'closed' });
  });

  test('--alpn: openssl s_client negotiates the protocol it offers; ncat --ssl echoes', async () => {
    const server = await echoServer([...tlsArgs(), '--alpn', 'echo,x-other']);
    const sclient = await sh(`printf ping | openssl s_client -connect 127.0.0.1:${server.port} -servername localhost -alpn x-other -CAfile ${certs.ca} -verify_return_error 2>&1`);
    expect(sclient.stdout).toMatch(/ALPN protocol: x-other/);
    expect(sclient.stdout).toMatch(/Verify return code: 0 \(ok\)/);
    const ncat = await sh(`printf 'from ncat' | ncat --ssl --ssl-verify --ssl-trustfile ${certs.ca} localhost ${server.port}`);
    expect(ncat.stdout).toBe('from ncat');
    await waitFor(() => server.events().filter((e) => e.event === 'tls').length === 2, 5000, 'two handshakes');
    expect(server.events().filter((e) => e.event === 'tls').map((e) => e.alpn)).toEqual(['x-other', null]);
  });

  test('mutual TLS: a client certificate from --cacert is served and named; none at all fails only that handshake', async () => {
    const server = await echoServer([...tlsArgs(), '--cacert', certs.ca, '--require-client-cert']);
    const withCert = await sh(`printf mutual | ${socatTo(server.port, `,cert=${certs.client[0]},key=${certs.client[1]}`)}`);
    expect(withCert.stdout).toBe('mutual');
    const without = await sh(`printf nope | ${socatTo(server.port)}`);
    expect(without.stdout).toBe('');
    await waitFor(() => server.events().filter((e) => e.event === 'disconnect').length === 2, 5000, 'two disconnects');
    expect(server.events().find((e) => e.event === 'tls')!.clientCertificate).toMatch(/CN=sockkit test client/);
    const failed = server.events().find((e) => e.event === 'disconnect' && e.reason === 'tls-handshake');
    expect(failed!.error).toMatch(/certificate/);
    // The server goes on serving.
    expect((await sh(`printf again | ${socatTo(server.port, `,cert=${certs.client[0]},key=${certs.client[1]}`)}`)).stdout).toBe('again');
  });

  test('a plain-TCP client and a client that stalls in the handshake end only their own connections', async () => {
    const server = await echoServer([...tlsArgs(), '--idle-timeout', '0.5']);
    const staller = connect(server.port, '127.0.0.1');
    staller.on('error', () => {});
    const plain = await sh(`printf 'GET / HTTP/1.0\\r\\n\\r\\n' | socat -T 3 - TCP:127.0.0.1:${server.port}`);
    expect(plain.stdout).not.toContain('GET');
    expect((await sh(`printf ok | ${socatTo(server.port)}`)).stdout).toBe('ok');
    await waitFor(() => server.events().filter((e) => e.event === 'disconnect').length === 3, 5000, 'three disconnects');
    const reasons = server.events().filter((e) => e.event === 'disconnect').map((e) => `${String(e.reason)}:${String(e.error ?? '')}`);
    expect(reasons).toContain('idle-timeout:');
    expect(reasons.some((r) => /^tls-handshake:(http request|wrong version number)/.test(r))).toBe(true);
    expect(reasons).toContain('closed:');
    staller.destroy();
  });

  test('threaded-server --tls: every worker terminates TLS, and a session from one worker resumes on another', async () => {
    const server = await startThreadedServer(['--workers', '2', ...tlsArgs()]);
    threaded.push(server);
    const session = join(dir, 'session.pem');
    // The pause lets s_client read the echo and the session tickets before stdin ends.
    const first = await sh(`(printf one; sleep 0.3) | openssl s_client -connect 127.0.0.1:${server.port} -CAfile ${certs.ca} -sess_out ${session} 2>&1`);
    expect(first.stdout).toMatch(/^New, TLSv1\.3/m);
    for (let i = 0; i < 3; i++) {
      const again = await sh(`(printf two; sleep 0.3) | openssl s_client -connect 127.0.0.1:${server.port} -CAfile ${certs.ca} -sess_in ${session} 2>&1`);
      expect(again.stdout).toMatch(/^Reused, TLSv1\.3/m);
    }
    expect((await sh(`printf three | ${socatTo(server.port)}`)).stdout).toBe('three');
    await waitFor(() => server.events().filter((e) => e.event === 'tls').length === 5, 10_000, 'five handshakes');
    const handshakes = server.events().filter((e) => e.event === 'tls');
    expect(new Set(handshakes.map((e) => e.worker)).size).toBe(2);
    expect(handshakes.filter((e) => e.resumed).length).toBe(3);
  }, 60_000);

  test('threaded-server --tls: ncat --ssl is served while another client stalls in its handshake', async () => {
    const server = await startThreadedServer(['--workers', '1', '--idle-timeout', '0.5', ...tlsArgs()]);
    threaded.push(server);
    const staller = connect(server.port, '127.0.0.1');
    staller.on('error', () => {});
    await server.waitForEvent((e) => e.event === 'connect', 10_000, 'the stalling connect');
    const ncat = await sh(`printf 'via ncat' | ncat --ssl --ssl-verify --ssl-trustfile ${certs.ca} localhost ${server.port}`);
    expect(ncat.stdout).toBe('via ncat');
    const stalled = await server.waitForEvent((e) => e.event === 'disconnect' && e.reason === 'idle-timeout', 10_000, 'the stalled handshake ending');
    expect(stalled.bytesIn).toBe(0);
    staller.destroy();
  }, 60_000);

  test('without --tls, echo-server and echo-client never load node:tls; with it, both do', async () => {
    const preload = join(dir, 'modules.cjs');
    writeFileSync(preload, "process.on('exit', () => process.stderr.write('tls loaded: ' + process.moduleLoadList.includes('NativeModule tls') + '\\n'));\n");
    const env = { NODE_OPTIONS: `--require ${preload}` };
    const plain = await startEchoServerProcess([], { env });
    const client = await runSockkit(['echo-client', '-p', String(plain.port), '-m', 'x'], { env });
    expect(client.code).toBe(0);
    expect(client.stderr).toMatch(/^tls loaded: false$/m);
    await plain.stop();
    expect(plain.stderr()).toMatch(/^tls loaded: false$/m);
    const secure = await startEchoServerProcess(tlsArgs(), { env });
    const tlsClient = await runSockkit(['echo-client', '-p', String(secure.port), '--tls', '--cacert', certs.ca, '--servername', 'localhost', '-m', 'x'], { env });
    expect(tlsClient.code).toBe(0);
    expect(tlsClient.stderr).toMatch(/^tls loaded: true$/m);
    await secure.stop();
    expect(secure.stderr()).toMatch(/^tls loaded: true$/m);
  });

  test('bad TLS flags: exit 2 with one line, before listening', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--cert', certs.good[0]], /--cert: it is only used with --tls/],
      [['--tls', '--cert', certs.good[0]], /needs --cert FILE and --key FILE/],
      [['--tls', '--cert', certs.good[0], '--key', certs.wrongName[1]], /OpenSSL refused them/],
      [['--tls', '--cert', certs.good[0], '--key', certs.good[0]], /no PEM private key/],
      [[...tlsArgs(), '--require-client-cert'], /needs --cacert/],
      [[...tlsArgs(), '--udp'], /TLS needs TCP/],
      [[...tlsArgs(), '--alpn', 'a,,b'], /bad --alpn/],
    ];
    for (const [args, message] of cases) {
      const r = await runSockkit(['echo-server', '--port', '0', ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const threadedRun = await runSockkit(['threaded-server', '--workers', '1', '--tls', '--cert', certs.good[0], '--key', certs.wrongName[1]]);
    expect(threadedRun.code).toBe(2);
    expect(threadedRun.stderr).toMatch(/OpenSSL refused them/);
    expect(readFileSync(certs.good[0], 'latin1')).toMatch(/BEGIN CERTIFICATE/);
  });
});
