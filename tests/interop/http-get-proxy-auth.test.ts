// http-get through an https:// proxy and through a proxy that wants credentials, with
// curl through the same proxies as the reference. The https proxy is socat's
// OPENSSL-LISTEN (the test CA's certificates) in front of ncat --proxy-type http (ncat's
// own --ssl proxy mode loses response bodies); the authenticating one is tinyproxy with
// BasicAuth, from a config written here. nginx (TLS, h2) is the origin behind both.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Socket } from 'node:net';
import { describeWithPeers } from '../helpers/peers.js';
import { freeTcpPorts, acceptsTcp } from '../helpers/ports.js';
import { startProcess, waitFor, type Started } from '../helpers/process.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { startNginx, type Nginx } from './peers/nginx.js';

const SMALL = 'hello from nginx\n';
const CLEAN_ENV = { http_proxy: '', https_proxy: '', HTTPS_PROXY: '', all_proxy: '', ALL_PROXY: '', no_proxy: '', NO_PROXY: '' };
/** tinyproxy's BasicAuth takes only [A-Za-z0-9._-] in a password; the URL percent-encodes two of them. */
const USER = 'alice';
const PASSWORD = 'p-ss.w_rd';
const ENCODED = 'p%2Dss%2Ew_rd';


describeWithPeers('http-get through an https:// proxy (socat TLS + ncat) and tinyproxy with BasicAuth', ['nginx', 'openssl', 'curl', 'ncat', 'socat', 'tinyproxy'], () => {
  let nginx: Nginx;
  let dir: string;
  const peers: Started[] = [];
  const ports = { ncat: 0, tlsProxy: 0, wrongNameProxy: 0, tinyproxy: 0 };

  beforeAll(async () => {
    nginx = await startNginx({ files: { 'small.txt': SMALL }, locations: 'location = /line { return 200 "$request_uri via $host\\n"; }' });
    dir = mkdtempSync(join(tmpdir(), 'sockkit-proxy-auth-'));
    const free = await freeTcpPorts(Object.keys(ports).length);
    for (const [i, name] of (Object.keys(ports) as Array<keyof typeof ports>).entries()) ports[name] = free[i]!;
    const pki = join(nginx.dir, 'pki');
    const tlsFront = (port: number, cert: string) =>
      startProcess('socat', [`OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,cert=${join(pki, `${cert}.pem`)},key=${join(pki, `${cert}.key`)},verify=0`, `TCP:127.0.0.1:${ports.ncat}`]);
    writeFileSync(
      join(dir, 'tinyproxy.conf'),
      [`Port ${ports.tinyproxy}`, 'Listen 127.0.0.1', 'Timeout 30', 'MaxClients 20', `BasicAuth ${USER} ${PASSWORD}`, 'LogLevel Warning', 'DisableViaHeader Yes', ''].join('\n'),
    );
    peers.push(
      startProcess('ncat', ['-l', '127.0.0.1', String(ports.ncat), '--proxy-type', 'http', '-k']),
      tlsFront(ports.tlsProxy, 'good'),
      tlsFront(ports.wrongNameProxy, 'wrong'),
      startProcess('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')]),
    );
    for (const port of Object.values(ports)) await waitFor(() => acceptsTcp(port), 10000, `proxy on ${port}`);
  }, 60000);

  afterAll(async () => {
    await Promise.all(peers.map((p) => p.stop()));
    await nginx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = (args: string[], env: NodeJS.ProcessEnv = {}) => runSockkit(['http-get', '--timeout', '10', ...args], { env: { ...CLEAN_ENV, ...env }, killAfterMs: 30000 });
  const curl = (...args: string[]) => execFileSync('curl', ['-s', '--max-time', '10', ...args], { env: { ...process.env, ...CLEAN_ENV } }).toString();
  const curlStatus = (...args: string[]) => spawnSync('curl', ['-s', '-o', '/dev/null', '--max-time', '10', ...args], { env: { ...process.env, ...CLEAN_ENV } }).status;
  const http = (path: string) => `http://127.0.0.1:${nginx.ports.http}${path}`;
  const https = (path: string, port = nginx.ports.https) => `https://localhost:${port}${path}`;
  const tlsProxy = () => `https://localhost:${ports.tlsProxy}`;

  test('https:// proxy, http URL: TLS to the proxy checked against its name, the absolute-form request inside; as curl --proxy-cacert', async () => {
    const r = await get(['-x', tlsProxy(), '--proxy-cacert', nginx.caFile, '-v', http('/line')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(curl('-x', tlsProxy(), '--proxy-cacert', nginx.caFile, http('/line')));
    expect(r.stdout).toBe(`/line via 127.0.0.1\n`);
    expect(r.stderr).toMatch(/^\* proxy: TLS with the proxy: TLSv1\.[23] \S+, certificate localhost verified$/m);
    expect(r.stderr).toContain(`> GET http://127.0.0.1:${nginx.ports.http}/line HTTP/1.1`);
    // The proxy's IP address works as its name too (the certificate has IP:127.0.0.1).
    const byIp = await get(['-x', `https://127.0.0.1:${ports.tlsProxy}`, '--proxy-cacert', nginx.caFile, '--json', '-o', '/dev/null', http('/small.txt')]);
    expect(JSON.parse(byIp.stdout)).toMatchObject({ status: 200, bytes: SMALL.length, remotePort: ports.tlsProxy });
  });

  test('https:// proxy, https URL: CONNECT inside TLS, then TLS inside TLS to the origin (h2 by ALPN too); --trace shows both handshakes', async () => {
    const trust = ['--proxy-cacert', nginx.caFile, '--cacert', nginx.caFile];
    const r = await get(['-x', tlsProxy(), ...trust, '--trace', https('/small.txt')]);
    expect(r).toMatchObject({ code: 0, stdout: SMALL });
    expect(curl('-x', tlsProxy(), ...trust, https('/small.txt'))).toBe(SMALL);
    // These steps, each after the one before it.
    const lines = r.stderr.split('\n');
    const order = [/tls +ClientHello SNI=localhost ALPN=http\/1\.1 to the proxy/, /tls +TLSv1\.[23] .* cert=localhost/, /proxy +TLS with the proxy: .* verified/, new RegExp(`proxy +send CONNECT localhost:${nginx.ports.https} HTTP/1\\.1`), /proxy +recv HTTP\/1\.[01] 200/, /tls +ClientHello SNI=localhost ALPN=h2,http\/1\.1 inside the tunnel/, /tls +TLSv1\.[23] .* cert=localhost/];
    let from = 0;
    const found = order.map((pattern) => {
      const at = lines.findIndex((l, i) => i >= from && pattern.test(l));
      from = at + 1;
      return at >= 0 ? pattern.source : `missing: ${pattern.source}`;
    });
    expect(found).toEqual(order.map((p) => p.source));
    const h2 = await get(['-x', tlsProxy(), ...trust, '--json', '-o', '/dev/null', https('/small.txt', nginx.ports.h2)]);
    expect(JSON.parse(h2.stdout)).toMatchObject({ status: 200, httpVersion: '2', bytes: SMALL.length, tls: { alpn: 'h2', verified: true } });
    // The environment's https_proxy may name an https:// proxy too.
    const fromEnv = await get([...trust, https('/small.txt')], { https_proxy: tlsProxy() });
    expect(fromEnv).toMatchObject({ code: 0, stdout: SMALL });
  });

  test("the proxy's certificate is checked on its own trust: untrusted, --cacert alone, -k alone, a wrong name → exit 6; --proxy-insecure warns", async () => {
    const url = http('/small.txt');
    const untrusted = await get(['-x', tlsProxy(), url]);
    expect(untrusted.code).toBe(6);
    expect(untrusted.stderr).toBe(`sockkit http-get: TLS handshake with the proxy ${tlsProxy()}: unable to verify the first certificate (trust its CA with --proxy-cacert FILE, or skip the check with --proxy-insecure)\n`);
    expect(curlStatus('-x', tlsProxy(), url)).not.toBe(0);
    // --cacert and -k are the origin's (as in curl): they do not vouch for the proxy.
    expect((await get(['-x', tlsProxy(), '--cacert', nginx.caFile, url])).code).toBe(6);
    expect((await get(['-x', tlsProxy(), '-k', url])).code).toBe(6);
    expect(curlStatus('-x', tlsProxy(), '--cacert', nginx.caFile, url)).not.toBe(0);
    const wrongName = await get(['-x', `https://localhost:${ports.wrongNameProxy}`, '--proxy-cacert', nginx.caFile, url]);
    expect(wrongName.code).toBe(6);
    expect(wrongName.stderr).toMatch(/^sockkit http-get: TLS handshake with the proxy https:\/\/localhost:\d+: the certificate is not for localhost \(it names .*wrong\.example.*\)/);
    expect(curlStatus('-x', `https://localhost:${ports.wrongNameProxy}`, '--proxy-cacert', nginx.caFile, url)).not.toBe(0);
    const insecure = await get(['-x', `https://localhost:${ports.wrongNameProxy}`, '--proxy-insecure', '-v', url]);
    expect(insecure).toMatchObject({ code: 0, stdout: SMALL });
    expect(insecure.stderr).toContain("warning: the proxy's TLS certificate is not verified (--proxy-insecure)");
    expect(insecure.stderr).toMatch(/TLS with the proxy: .* NOT verified/);
    // A bad --proxy-cacert file is a usage error, named with its flag.
    const badFile = await get(['-x', tlsProxy(), '--proxy-cacert', join(dir, 'missing.pem'), url]);
    expect(badFile.code).toBe(2);
    expect(badFile.stderr).toMatch(/^sockkit http-get: bad --proxy-cacert \S+missing\.pem: /);
  });

  test('an https:// proxy that answers in plain HTTP: exit 6; one that never starts TLS: exit 5 within --connect-timeout', async () => {
    const plain = await get(['-x', `https://127.0.0.1:${ports.ncat}`, http('/small.txt')]);
    expect(plain.code).toBe(6);
    expect(plain.stderr).toBe(`sockkit http-get: TLS handshake with the proxy https://127.0.0.1:${ports.ncat}: the server did not answer in TLS (is it plain http? try an http:// proxy URL)\n`);
    const held: Socket[] = [];
    const silent = createServer((socket) => {
      socket.on('error', () => {});
      held.push(socket);
    });
    await new Promise<void>((resolve) => silent.listen({ host: '127.0.0.1', port: 0 }, resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const started = Date.now();
      const r = await get(['-x', `https://127.0.0.1:${port}`, '--connect-timeout', '1', http('/small.txt')]);
      expect(r.code).toBe(5);
      expect(r.stderr).toBe(`sockkit http-get: TLS handshake with the proxy https://127.0.0.1:${port}: no handshake after 1 s (raise it with --connect-timeout SECONDS)\n`);
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test('tinyproxy BasicAuth: the right credentials (percent-decoded from the URL) → 200 as curl, http and https URLs', async () => {
    const proxy = `http://${USER}:${ENCODED}@127.0.0.1:${ports.tinyproxy}`;
    const plain = await get(['-x', proxy, http('/line')]);
    expect(plain).toMatchObject({ code: 0, stdout: curl('-x', proxy, http('/line')) });
    const tunnel = await get(['-x', proxy, '--cacert', nginx.caFile, '-v', https('/small.txt')]);
    expect(tunnel).toMatchObject({ code: 0, stdout: SMALL });
    expect(tunnel.stderr).toContain(`* proxy: send CONNECT localhost:${nginx.ports.https} HTTP/1.1 (with Proxy-Authorization)`);
    expect(curl('-x', proxy, '--cacert', nginx.caFile, https('/small.txt'))).toBe(SMALL);
  });

  test('tinyproxy, several URLs: the tunnel is reused; its close after an absolute-form response sends the next request on a new connection', async () => {
    const proxy = `http://${USER}:${ENCODED}@127.0.0.1:${ports.tinyproxy}`;
    const urls = [http('/line'), http('/small.txt'), https('/small.txt'), https('/line'), http('/line')];
    const r = await get(['-x', proxy, '--cacert', nginx.caFile, '--trace', ...urls]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(curl('-x', proxy, '--cacert', nginx.caFile, ...urls));
    expect(r.stderr).toMatch(/reusing connection #\d+ to 127\.0\.0\.1:\d+ \(request 2 on it\)/);
  });

  test('tinyproxy BasicAuth: credentials from http_proxy / https_proxy', async () => {
    const proxy = `http://${USER}:${ENCODED}@127.0.0.1:${ports.tinyproxy}`;
    expect(await get([http('/small.txt')], { http_proxy: proxy })).toMatchObject({ code: 0, stdout: SMALL });
    expect(await get(['--cacert', nginx.caFile, https('/small.txt')], { https_proxy: proxy })).toMatchObject({ code: 0, stdout: SMALL });
    const missing = await get([http('/small.txt')], { http_proxy: `http://127.0.0.1:${ports.tinyproxy}` });
    expect(missing.code).toBe(7);
  });

  test('tinyproxy BasicAuth: no credentials → 407 "proxy needs authentication" (exit 7); wrong ones → refused (401 on CONNECT, exit 7)', async () => {
    const bare = `http://127.0.0.1:${ports.tinyproxy}`;
    const absolute = await get(['-x', bare, http('/small.txt')]);
    expect(absolute.code).toBe(7);
    expect(absolute.stderr).toBe(`sockkit http-get: GET ${http('/small.txt')} via ${bare}: proxy needs authentication (407 Proxy Authentication Required) (put the credentials in the proxy URL: http://USER:PASSWORD@HOST:PORT)\n`);
    expect(curl('-x', bare, '-o', '/dev/null', '-w', '%{http_code}', http('/small.txt'))).toBe('407');
    const connectAsked = await get(['-x', bare, '--cacert', nginx.caFile, https('/small.txt')]);
    expect(connectAsked.code).toBe(7);
    expect(connectAsked.stderr).toContain(`proxy CONNECT localhost:${nginx.ports.https} via ${bare}: proxy needs authentication (407 Proxy Authentication Required)`);
    // tinyproxy answers wrong credentials with 401 and WWW-Authenticate. To a CONNECT only
    // the proxy can have said it: a refusal. In absolute form it may be the origin's: a response, as curl.
    const wrong = `http://${USER}:wrong@127.0.0.1:${ports.tinyproxy}`;
    const wrongTunnel = await get(['-x', wrong, '--cacert', nginx.caFile, https('/small.txt')]);
    expect(wrongTunnel.code).toBe(7);
    expect(wrongTunnel.stderr).toContain('proxy needs authentication: it refused the credentials (401 Unauthorized) (check the user and password in the proxy URL');
    expect(curlStatus('-x', wrong, '--cacert', nginx.caFile, https('/small.txt'))).not.toBe(0);
    const wrongAbsolute = await get(['-x', wrong, '--json', http('/small.txt')]);
    expect(JSON.parse(wrongAbsolute.stdout)).toMatchObject({ status: 401 });
    expect(curl('-x', wrong, '-o', '/dev/null', '-w', '%{http_code}', http('/small.txt'))).toBe('401');
    expect((await get(['-x', wrong, '-f', http('/small.txt')])).code).toBe(7);
  });
});
