// http-get through real proxies on loopback, with curl through the same proxies as
// the reference: ncat as an HTTP proxy (absolute-form GET for http, CONNECT for https),
// microsocks as SOCKS5 with and without user/password, nginx behind them. Then proxies
// written here that refuse: 407, CONNECT answered 403, SOCKS5 reply codes, silence.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { describeWithPeers } from '../helpers/peers.js';
import { freeTcpPorts, acceptsTcp } from '../helpers/ports.js';
import { startProcess, waitFor, type Started } from '../helpers/process.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { startNginx, type Nginx } from './peers/nginx.js';

const SMALL = 'hello from nginx\n';
/** No proxy from the environment the tests run in, unless a test sets one. */
const CLEAN_ENV = { http_proxy: '', https_proxy: '', HTTPS_PROXY: '', all_proxy: '', ALL_PROXY: '', no_proxy: '', NO_PROXY: '' };


/** A proxy written here: `answer` gets each connection's first bytes and replies as it likes. */
async function hostileProxy(answer: (socket: Socket, first: Buffer) => void): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (first) => answer(socket, first));
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return { port: (server.address() as { port: number }).port, server };
}

/** A SOCKS5 proxy that accepts no-auth, then answers CONNECT with `code`. */
function socksAnswering(code: number) {
  return hostileProxy((socket) => {
    socket.write(Buffer.from([5, 0]));
    socket.once('data', () => socket.end(Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0])));
  });
}

describeWithPeers('http-get through proxies (ncat, microsocks) to nginx', ['nginx', 'openssl', 'curl', 'ncat', 'microsocks'], () => {
  let nginx: Nginx;
  let ncat: Started;
  let socks: Started;
  let socksAuth: Started;
  const ports = { ncat: 0, socks: 0, socksAuth: 0 };
  const hostile: Server[] = [];

  beforeAll(async () => {
    nginx = await startNginx({
      files: { 'small.txt': SMALL },
      locations: 'location = /line { return 200 "$request_uri via $host\\n"; } location = /conn { return 200 "connection $connection\\n"; }',
    });
    [ports.ncat, ports.socks, ports.socksAuth] = (await freeTcpPorts(3)) as [number, number, number];
    ncat = startProcess('ncat', ['-l', '127.0.0.1', String(ports.ncat), '--proxy-type', 'http', '-k']);
    socks = startProcess('microsocks', ['-i', '127.0.0.1', '-p', String(ports.socks)]);
    socksAuth = startProcess('microsocks', ['-i', '127.0.0.1', '-p', String(ports.socksAuth), '-u', 'alice', '-P', 's3cret']);
    for (const port of Object.values(ports)) await waitFor(() => acceptsTcp(port), 10000, `proxy on ${port}`);
  }, 60000);

  afterAll(async () => {
    for (const s of hostile) await new Promise((r) => s.close(r));
    await Promise.all([ncat?.stop(), socks?.stop(), socksAuth?.stop()]);
    await nginx?.stop();
  });

  const get = (args: string[], env: NodeJS.ProcessEnv = {}) => runSockkit(['http-get', '--timeout', '10', ...args], { env: { ...CLEAN_ENV, ...env }, killAfterMs: 30000 });
  const curl = (...args: string[]) => execFileSync('curl', ['-s', '--max-time', '10', ...args], { env: { ...process.env, ...CLEAN_ENV } }).toString();
  const http = (path: string) => `http://127.0.0.1:${nginx.ports.http}${path}`;
  const https = (path: string, port = nginx.ports.https) => `https://localhost:${port}${path}`;

  test('ncat HTTP proxy, http URL: the request goes to the proxy in absolute form; the same body as curl -x', async () => {
    const proxy = `http://127.0.0.1:${ports.ncat}`;
    const r = await get(['-x', proxy, '--json', '-o', '/dev/null', http('/small.txt')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 200, bytes: SMALL.length, remoteAddress: '127.0.0.1', remotePort: ports.ncat });
    const body = await get(['-x', proxy, '-v', http('/line')]);
    expect(body.stdout).toBe(curl('-x', proxy, http('/line')));
    expect(body.stderr).toContain(`> GET http://127.0.0.1:${nginx.ports.http}/line HTTP/1.1`);
  });

  test('ncat HTTP proxy, https URL: a CONNECT tunnel, TLS inside it checked against the URL host; h2 by ALPN through it', async () => {
    const proxy = `127.0.0.1:${ports.ncat}`;
    const r = await get(['-x', proxy, '--cacert', nginx.caFile, '-v', https('/small.txt')]);
    expect(r).toMatchObject({ code: 0, stdout: SMALL });
    expect(r.stderr).toContain(`* proxy: send CONNECT localhost:${nginx.ports.https} HTTP/1.1`);
    expect(r.stderr).toMatch(/\* proxy: recv HTTP\/1\.[01] 200/);
    expect(curl('-x', proxy, '--cacert', nginx.caFile, https('/small.txt'))).toBe(r.stdout);
    const h2 = await get(['-x', proxy, '--cacert', nginx.caFile, '--json', '-o', '/dev/null', https('/small.txt', nginx.ports.h2)]);
    expect(JSON.parse(h2.stdout)).toMatchObject({ status: 200, httpVersion: '2', tls: { alpn: 'h2', verified: true } });
    // The tunnel does not weaken the check: a certificate for another name is still refused.
    const wrong = await get(['-x', proxy, '--cacert', nginx.caFile, `https://localhost:${nginx.ports.wrongName}/small.txt`]);
    expect(wrong.code).toBe(6);
    expect(wrong.stderr).toMatch(new RegExp(`^sockkit http-get: TLS handshake with localhost:${nginx.ports.wrongName} via http://127\\.0\\.0\\.1:${ports.ncat}: the certificate is not for localhost`));
  });

  test('microsocks: socks5:// (sockkit resolves) and socks5h:// (the proxy resolves), http and https, as curl', async () => {
    for (const scheme of ['socks5', 'socks5h']) {
      const proxy = `${scheme}://127.0.0.1:${ports.socks}`;
      const r = await get(['-x', proxy, '--trace', '--cacert', nginx.caFile, https('/small.txt')]);
      expect(r).toMatchObject({ code: 0, stdout: SMALL });
      expect(r.stderr).toContain(scheme === 'socks5' ? 'SOCKS5 CONNECT address 127.0.0.1' : 'SOCKS5 CONNECT name localhost');
      expect(curl('-x', proxy, '--cacert', nginx.caFile, https('/small.txt'))).toBe(SMALL);
      expect((await get(['-x', proxy, http('/line')])).stdout).toBe(curl('-x', proxy, http('/line')));
    }
  });

  test('several URLs: one CONNECT tunnel for an https origin (HTTP/1.1 and h2), one SOCKS5 tunnel per target, as curl', async () => {
    const tls = ['--cacert', nginx.caFile];
    const lines = (out: string) => out.match(/^connection \d+$/gm)!;
    for (const port of [nginx.ports.https, nginx.ports.h2]) {
      const urls = ['/conn', '/small.txt', '/conn'].map((p) => https(p, port));
      const r = await get(['-x', `127.0.0.1:${ports.ncat}`, ...tls, '--json', ...urls]);
      expect((JSON.parse(r.stdout) as Array<{ connection: { id: number; reused: boolean } }>).map((x) => [x.connection.id, x.connection.reused])).toEqual([
        [1, false],
        [1, true],
        [1, true],
      ]);
      const bodies = await get(['-x', `127.0.0.1:${ports.ncat}`, ...tls, ...urls]);
      // nginx saw both /conn on one connection: the tunnel carried all three.
      expect(new Set(lines(bodies.stdout)).size).toBe(1);
      expect(bodies.stdout.replace(/connection \d+/g, 'connection N')).toBe(curl('-x', `127.0.0.1:${ports.ncat}`, ...tls, ...urls).replace(/connection \d+/g, 'connection N'));
    }
    for (const scheme of ['socks5', 'socks5h']) {
      const urls = [http('/conn'), https('/conn'), http('/small.txt'), https('/conn'), http('/conn')];
      const r = await get(['-x', `${scheme}://127.0.0.1:${ports.socks}`, ...tls, '--trace', ...urls]);
      expect(r.code).toBe(0);
      const seen = lines(r.stdout);
      expect([seen[0] === seen[3], seen[1] === seen[2], seen[0] === seen[1]]).toEqual([true, true, false]);
      expect(r.stderr).toContain('2 connections opened for 5 URLs, 3 requests on a kept-alive one');
    }
  });

  test('several http URLs through an HTTP proxy that keeps the connection: absolute form on one connection', async () => {
    // A proxy stand-in written here (ncat and tinyproxy close after each request): it answers
    // itself, naming the request target it got and the client connection it came on.
    let clients = 0;
    const proxy = createHttpServer((req, res) => {
      const socket = req.socket as Socket & { number?: number };
      socket.number ??= ++clients;
      res.end(`${req.url} on connection ${socket.number} auth ${req.headers['proxy-authorization'] ?? '-'}\n`);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    hostile.push(proxy as unknown as Server);
    const at = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const urls = [http('/a'), 'http://example.test/b', http('/c')];
    const r = await get(['-x', `http://u:p@${at}`, ...urls]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const auth = `Basic ${Buffer.from('u:p').toString('base64')}`;
    expect(r.stdout).toBe(urls.map((u) => `${u} on connection 1 auth ${auth}\n`).join(''));
    // curl the same (asynchronously: the proxy runs in this process).
    const { stdout: theirs } = await promisify(execFile)('curl', ['-s', '--max-time', '10', '-x', `http://u:p@${at}`, ...urls], { env: { ...process.env, ...CLEAN_ENV } });
    expect(theirs.replace(/connection \d+/g, 'connection 1')).toBe(r.stdout);
  });

  test('microsocks with user/password: RFC 1929 from the proxy URL; a wrong password is a clear refusal (exit 7)', async () => {
    const ok = await get(['-x', `socks5h://alice:s3cret@127.0.0.1:${ports.socksAuth}`, http('/small.txt')]);
    expect(ok).toMatchObject({ code: 0, stdout: SMALL });
    expect(curl('-x', `socks5h://alice:s3cret@127.0.0.1:${ports.socksAuth}`, http('/small.txt'))).toBe(SMALL);
    const bad = await get(['-x', `socks5h://alice:wrong@127.0.0.1:${ports.socksAuth}`, http('/small.txt')]);
    expect(bad.code).toBe(7);
    expect(bad.stderr).toMatch(/^sockkit http-get: SOCKS5 CONNECT 127\.0\.0\.1:\d+ via socks5h:\/\/127\.0\.0\.1:\d+: proxy needs authentication: the user\/password was refused\n$/);
    const none = await get(['-x', `socks5h://127.0.0.1:${ports.socksAuth}`, http('/small.txt')]);
    expect(none.code).toBe(7);
    expect(none.stderr).toContain('proxy needs authentication (no acceptable method)');
  });

  test('the environment as curl reads it: https_proxy / HTTPS_PROXY, http_proxy (lower case only), all_proxy, no_proxy', async () => {
    const { port: refusing, server } = await hostileProxy((socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    hostile.push(server);
    const p = `http://127.0.0.1:${refusing}`;
    const url = https('/small.txt');
    const tls = ['--cacert', nginx.caFile];
    expect((await get([...tls, url], { https_proxy: p })).code).toBe(7); // through the refusing proxy
    expect((await get([...tls, url], { HTTPS_PROXY: p })).code).toBe(7);
    expect((await get([...tls, url], { ALL_PROXY: p })).code).toBe(7);
    expect((await get([...tls, url], { https_proxy: p, NO_PROXY: 'example.com,.localhost' })).code).toBe(0); // suffix
    expect((await get([...tls, url], { https_proxy: p, no_proxy: '*' })).code).toBe(0);
    expect((await get([...tls, url, '--noproxy', 'localhost'], { https_proxy: p })).code).toBe(0);
    expect((await get([...tls, url, '--noproxy', 'example.com'], { https_proxy: p, no_proxy: 'localhost' })).code).toBe(7); // --noproxy replaces no_proxy
    expect((await get([...tls, url, '-x', ''], { https_proxy: p })).code).toBe(0); // -x '' turns the environment off
    // http URLs: http_proxy in lower case; HTTP_PROXY is ignored (a CGI request can set it).
    const { port: socksRefusing, server: s2 } = await socksAnswering(2);
    hostile.push(s2);
    const socksProxy = `socks5://127.0.0.1:${socksRefusing}`;
    expect((await get([http('/small.txt')], { http_proxy: socksProxy })).code).toBe(7);
    expect((await get([http('/small.txt')], { HTTP_PROXY: socksProxy })).code).toBe(0);
    expect((await get([http('/small.txt')], { http_proxy: socksProxy, no_proxy: '127.0.0.0/8' })).code).toBe(0); // CIDR
    expect((await get([http('/small.txt')], { http_proxy: socksProxy, no_proxy: '127.0.0.1' })).code).toBe(0); // IP
    expect((await get([http('/small.txt')], { http_proxy: socksProxy, no_proxy: '10.0.0.0/8,::1' })).code).toBe(7);
  });

  test('refusals are named: 407 → "proxy needs authentication", CONNECT 403, SOCKS5 reply codes, a bad proxy URL', async () => {
    const { port: auth, server: s1 } = await hostileProxy((socket) => socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n'));
    const { port: forbidden, server: s2 } = await hostileProxy((socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    const { port: refused, server: s3 } = await socksAnswering(5);
    const { port: unreachable, server: s4 } = await socksAnswering(4);
    hostile.push(s1, s2, s3, s4);
    const url = https('/small.txt');
    const r407 = await get(['-x', `127.0.0.1:${auth}`, url]);
    expect(r407.code).toBe(7);
    expect(r407.stderr).toBe(`sockkit http-get: proxy CONNECT localhost:${nginx.ports.https} via http://127.0.0.1:${auth}: proxy needs authentication (407 Proxy Authentication Required) (put the credentials in the proxy URL: http://USER:PASSWORD@HOST:PORT)\n`);
    const r403 = await get(['-x', `127.0.0.1:${forbidden}`, url]);
    expect(r403.code).toBe(7);
    expect(r403.stderr).toContain('the proxy refused the tunnel: 403 Forbidden');
    const rRefused = await get(['-x', `socks5h://127.0.0.1:${refused}`, url]);
    expect(rRefused.code).toBe(4);
    expect(rRefused.stderr).toContain('the SOCKS5 proxy answered: connection refused (0x05)');
    const rUnreachable = await get(['-x', `socks5h://127.0.0.1:${unreachable}`, url]);
    expect(rUnreachable.code).toBe(4);
    expect(rUnreachable.stderr).toContain('the SOCKS5 proxy answered: host unreachable (0x04)');
    const badUrl = await get(['-x', 'socks4://127.0.0.1:1', url]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toBe("sockkit http-get: bad proxy 'socks4://127.0.0.1:1' (--proxy): unsupported proxy scheme 'socks4' (http://, https://, socks5:// or socks5h://)\n");
  });

  test('a proxy that accepts and never answers: exit 5 within --connect-timeout', async () => {
    const { port: silent, server } = await hostileProxy(() => {});
    hostile.push(server);
    for (const proxy of [`127.0.0.1:${silent}`, `socks5h://127.0.0.1:${silent}`]) {
      const started = Date.now();
      const r = await get(['-x', proxy, '--connect-timeout', '1', https('/small.txt')]);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/no answer from the proxy after 1 s/);
      expect(Date.now() - started).toBeLessThan(8000);
    }
  });
});
