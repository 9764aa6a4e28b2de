// http-get with several URLs against scripted servers written here, which count their
// connections and can be slow or rude on purpose: keep-alive reuse, a new connection
// after Connection: close, after a body left unread, and after an idle connection the
// server closed; -Z output in argument order with a slow first URL; the worst exit
// code; --unix-socket. The nginx and curl comparisons are in tests/interop/http-get-multi.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { hasBinary } from '../helpers/peers.js';
import { makeCertificates } from '../interop/peers/nginx.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { remoteFileName } from '../../src/net/http/remote-name.js';
import { keepsAlive } from '../../src/net/http/connection-pool.js';
import { outputsFor } from '../../src/commands/http-get-transfers.js';
import { parseUserUrl } from '../../src/net/http/url.js';
import type { ResponseHead } from '../../src/net/http/parser.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

interface Scripted {
  port: number;
  /** Each request as `connection# path`, in arrival order. */
  log: string[];
}

/**
 * A raw HTTP/1.1 server: `respond(path, socket)` writes each response itself; returns
 * how to answer (and whether to close). Connections are numbered 1, 2, 3 … as accepted.
 */
async function scripted(respond: (path: string, socket: Socket) => void): Promise<Scripted> {
  const log: string[] = [];
  let connections = 0;
  const server = createServer((socket) => {
    const id = ++connections;
    let buffered = '';
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buffered += d.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const path = buffered.slice(0, end).split(' ')[1]!;
        buffered = buffered.slice(end + 4);
        log.push(`${id} ${path}`);
        respond(path, socket);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return { port: (server.address() as { port: number }).port, log };
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: text/plain\r\n${extra}\r\n${body}`;
const get = (...args: string[]) => runSockkit(['http-get', '--timeout', '10', ...args], { killAfterMs: 30000 });

describe('keep-alive between URLs to one origin', () => {
  test('one connection carries them all, bodies in order; --json says which connection', async () => {
    const s = await scripted((path, socket) => socket.write(ok(`${path}\n`)));
    const urls = ['/a', '/b', '/c'].map((p) => `http://127.0.0.1:${s.port}${p}`);
    const r = await get(...urls);
    expect(r).toMatchObject({ code: 0, stdout: '/a\n/b\n/c\n', stderr: '' });
    expect(s.log).toEqual(['1 /a', '1 /b', '1 /c']);
    const json = await get('--json', ...urls);
    const records = JSON.parse(json.stdout) as Array<{ url: string; connection: { id: number; reused: boolean } }>;
    expect(records.map((x) => [x.url, x.connection.id, x.connection.reused])).toEqual([
      [urls[0], 1, false],
      [urls[1], 1, true],
      [urls[2], 1, true],
    ]);
  });

  test('Connection: close from the server, or an HTTP/1.0 answer: the next URL gets a new connection', async () => {
    const s = await scripted((path, socket) => {
      if (path === '/close') socket.end(ok('closing\n', 'Connection: close\r\n'));
      else if (path === '/old') socket.end(`HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nold\n`);
      else socket.write(ok(`${path}\n`));
    });
    const r = await get(...['/a', '/close', '/b', '/old', '/c'].map((p) => `http://127.0.0.1:${s.port}${p}`));
    expect(r).toMatchObject({ code: 0, stdout: '/a\nclosing\n/b\nold\n/c\n' });
    expect(s.log).toEqual(['1 /a', '1 /close', '2 /b', '2 /old', '3 /c']);
  });

  test('-H Connection: the close option (a whole token, any case) ends each connection; a token that only contains "close" does not', async () => {
    const s = await scripted((path, socket) => socket.write(ok(`${path}\n`)));
    const urls = ['/a', '/b'].map((p) => `http://127.0.0.1:${s.port}${p}`);
    const closing = await get('-H', 'Connection: keep-alive, Close', ...urls);
    expect(closing).toMatchObject({ code: 0, stdout: '/a\n/b\n' });
    expect(s.log).toEqual(['1 /a', '2 /b']);
    const other = await get('-H', 'Connection: x-close-notify', ...urls);
    expect(other).toMatchObject({ code: 0, stdout: '/a\n/b\n' });
    expect(s.log.slice(2)).toEqual(['3 /a', '3 /b']);
  });

  test('a body left unread (--fail on a 404 whose body comes later) is never reused', async () => {
    const s = await scripted((path, socket) => {
      if (path !== '/missing') return void socket.write(ok(`${path}\n`));
      socket.write('HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\n');
      setTimeout(() => socket.writable && socket.write('not here\n\n'), 300);
    });
    const r = await get('-f', ...['/a', '/missing', '/b'].map((p) => `http://127.0.0.1:${s.port}${p}`));
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('/a\n/b\n');
    expect(r.stderr).toBe(`sockkit http-get: GET http://127.0.0.1:${s.port}/missing: the server answered 404 Not Found (--fail)\n`);
    expect(s.log).toEqual(['1 /a', '1 /missing', '2 /b']);
  });

  test('-L: a redirect read to its end keeps the connection; one with bytes after its body does not (and is no error)', async () => {
    const s = await scripted((path, socket) => {
      if (path === '/moved') socket.write('HTTP/1.1 302 Found\r\nLocation: /a\r\nContent-Length: 3\r\n\r\nbye');
      else if (path === '/sloppy') socket.write('HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 3\r\n\r\nbyeEXTRA');
      else socket.write(ok(`${path}\n`));
    });
    const r = await get('-L', `http://127.0.0.1:${s.port}/moved`, `http://127.0.0.1:${s.port}/sloppy`, `http://127.0.0.1:${s.port}/c`);
    expect(r).toMatchObject({ code: 0, stdout: '/a\n/b\n/c\n' });
    expect(s.log).toEqual(['1 /moved', '1 /a', '1 /sloppy', '2 /b', '2 /c']);
  });

  test('--retry: the 503 read to its end, the retry goes on the same connection', async () => {
    let tries = 0;
    const s = await scripted((path, socket) => {
      if (path === '/flaky' && tries++ === 0) socket.write('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\n\r\nbusy\n');
      else socket.write(ok(`${path}\n`));
    });
    const r = await get('--retry', '1', '--retry-delay', '0.1', `http://127.0.0.1:${s.port}/flaky`, `http://127.0.0.1:${s.port}/a`);
    expect(r).toMatchObject({ code: 0, stdout: '/flaky\n/a\n' });
    expect(r.stderr).toMatch(/503 Service Unavailable: retrying in 0\.1 s/);
    expect(s.log).toEqual(['1 /flaky', '1 /flaky', '1 /a']);
  });

  test('an idle connection the server closed without saying: the next request goes on a new one, nothing lost', async () => {
    // Keeps the connection open for 100 ms after each response, then closes it.
    const s = await scripted((path, socket) => {
      socket.write(ok(`${path}\n`));
      setTimeout(() => socket.destroy(), 100);
    });
    const urls = ['/a', '/b', '/c'].map((p) => `http://127.0.0.1:${s.port}${p}`);
    const r = await get('--trace', ...urls);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('/a\n/b\n/c\n');
    // However the race goes, every request was answered exactly once.
    expect(s.log.map((l) => l.split(' ')[1])).toEqual(['/a', '/b', '/c']);
  });
});

describe('-Z/--parallel', () => {
  test('a slow first URL: the others are fetched meanwhile, yet every output comes whole and in argument order', async () => {
    const answered = new Map<string, number>();
    const s = await scripted((path, socket) => {
      const answer = () => {
        socket.write(ok(path === '/slow' ? 'slow\n' : `${path}\n`));
        answered.set(path, performance.now());
      };
      if (path === '/slow') setTimeout(answer, 700);
      else answer();
    });
    const urls = ['/slow', '/a', '/b', '/c'].map((p) => `http://127.0.0.1:${s.port}${p}`);
    const r = await get('-Z', '-w', '[%{url_effective} %{http_code}]\\n', ...urls);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(urls.map((u) => `${u.endsWith('/slow') ? 'slow' : u.slice(u.lastIndexOf('/'))}\n[${u} 200]\n`).join(''));
    // /a, /b and /c were asked for (and answered) before /slow was answered: they ran at once.
    for (const p of ['/a', '/b', '/c']) expect(answered.get(p)!).toBeLessThan(answered.get('/slow')!);
    expect(new Set(s.log.map((l) => l.split(' ')[0])).size).toBe(4);
  });

  test('a 3 MiB body behind a slow one (more than the 1 MiB a slot holds before its socket waits) comes out whole, after it', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    const s = await scripted((path, socket) => {
      if (path === '/slow') setTimeout(() => socket.write(ok('slow\n')), 500);
      else socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`), big]));
    });
    const r = await get('-Z', `http://127.0.0.1:${s.port}/slow`, `http://127.0.0.1:${s.port}/big`);
    expect(r.code).toBe(0);
    expect(r.stdoutBytes.length).toBe(5 + big.length);
    expect(r.stdoutBytes.subarray(0, 5).toString()).toBe('slow\n');
    expect(r.stdoutBytes.subarray(5).equals(big)).toBe(true);
  });

  test('a URL that prints nothing (-o /dev/null) does not let a later one overtake a slow earlier one', async () => {
    const s = await scripted((path, socket) => {
      if (path === '/slow') setTimeout(() => socket.write(ok('slow\n')), 500);
      else socket.write(ok(`${path}\n`));
    });
    const r = await get('-Z', '-o', '-', '-o', '/dev/null', ...['/slow', '/quiet', '/b'].map((p) => `http://127.0.0.1:${s.port}${p}`));
    expect(r).toMatchObject({ code: 0, stdout: 'slow\n/b\n' });
  });

  test('--parallel-max 1 is one at a time on one connection', async () => {
    const s = await scripted((path, socket) => socket.write(ok(`${path}\n`)));
    const r = await get('-Z', '--parallel-max', '1', ...['/a', '/b'].map((p) => `http://127.0.0.1:${s.port}${p}`));
    expect(r).toMatchObject({ code: 0, stdout: '/a\n/b\n' });
    expect(s.log).toEqual(['1 /a', '1 /b']);
  });

  test('errors on stderr in argument order too; the exit code is the worst', async () => {
    const s = await scripted((path, socket) => {
      if (path === '/slow404') setTimeout(() => socket.write('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'), 500);
      else if (path === '/bad') socket.end('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n');
      else socket.write(ok(`${path}\n`));
    });
    const base = `http://127.0.0.1:${s.port}`;
    const r = await get('-Z', '-f', `${base}/slow404`, `${base}/bad`, `${base}/a`, 'http://127.0.0.1:1/');
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('/a\n');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`sockkit http-get: GET ${base}/slow404: the server answered 404 Not Found (--fail)`);
    expect(lines[1]).toBe(`sockkit http-get: GET ${base}/bad: bad HTTP response: bad Content-Length "x"`);
    expect(lines[2]).toMatch(/^sockkit http-get: GET http:\/\/127\.0\.0\.1:1\/: connect 127\.0\.0\.1:1: connection refused/);
  });
});

describe('outputs: -o pairing and -O', () => {
  test('the n-th -o goes with the n-th URL; the rest go to stdout; more -o than URLs is exit 2', async () => {
    const s = await scripted((path, socket) => socket.write(ok(`${path}\n`)));
    const dir = mkdtempSync(join(tmpdir(), 'sockkit-multi-'));
    try {
      const r = await get('-o', join(dir, 'first'), `http://127.0.0.1:${s.port}/a`, `http://127.0.0.1:${s.port}/b`);
      expect(r).toMatchObject({ code: 0, stdout: '/b\n' });
      expect(execFileSync('cat', [join(dir, 'first')]).toString()).toBe('/a\n');
      const extra = await get('-o', 'x', '-o', 'y', `http://127.0.0.1:${s.port}/a`);
      expect(extra).toMatchObject({ code: 2, stdout: '', stderr: 'sockkit http-get: -o / --output: given 2 times for 1 URL (one -o per URL, in the same order)\n' });
      expect(s.log).toEqual(['1 /a', '1 /b']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('-O names: the last path segment as written; empty, . and .. refused for that URL only', () => {
    const name = (u: string) => remoteFileName(parseUserUrl(u).url);
    expect(name('http://h/dir/file.tar.gz?x=1#f')).toBe('file.tar.gz');
    expect(name('http://h/a%20b')).toBe('a%20b');
    expect(name('http://h/a%2Fb')).toBe('a%2Fb');
    expect(() => name('http://h/')).toThrow(/no file name to save as/);
    expect(() => name('http://h/dir/')).toThrow(/its path ends in '\/'/);
    expect(() => name('http://h/a/..')).toThrow(/no file name/); // the URL parser resolved it to /
    const outputs = outputsFor(['http://h/x', 'http://h/', 'http://h/y'].map(parseUserUrl), ['mine'], { 'remote-name': true });
    expect(outputs).toEqual([{ path: 'mine' }, { refused: expect.objectContaining({ code: 'USAGE' }) }, { path: 'y' }]);
    expect(() => outputsFor(['http://h/a/x', 'http://h/b/x'].map(parseUserUrl), [], { 'remote-name': true, parallel: true })).toThrow(/two URLs would write it at once/);
    // the remote file named '-' is a file, not stdout
    expect(outputsFor(['http://h/-'].map(parseUserUrl), [], { 'remote-name': true, parallel: false })).toEqual([{ path: './-' }]);
  });

  test('property: an -O name is never empty, ., .., and never holds / \\ or NUL', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        let result: string;
        try {
          result = remoteFileName(new URL(url));
        } catch (err) {
          expect((err as { code?: string }).code).toBe('USAGE');
          return;
        }
        expect(result).not.toMatch(/^\.{0,2}$|[/\\\0]/);
      }),
      { numRuns: 2000 },
    );
  });
});

test('keepsAlive: HTTP/1.1, framed, read to the end, no Connection: close', () => {
  const head = (httpVersion: string, headers: Array<[string, string]> = []) => ({ httpVersion, headers, status: 200 }) as unknown as ResponseHead;
  const length = { kind: 'length', length: 3 } as const;
  expect(keepsAlive(head('1.1'), length, true)).toBe(true);
  expect(keepsAlive(head('1.1', [['Connection', 'keep-alive, Close']]), length, true)).toBe(false);
  expect(keepsAlive(head('1.1', [['Connection', 'keep-alive'], ['connection', 'close']]), length, true)).toBe(false);
  expect(keepsAlive(head('1.1', [['Connection', 'x-close-notify']]), length, true)).toBe(true);
  expect(keepsAlive(head('1.0'), length, true)).toBe(false);
  expect(keepsAlive(head('1.1'), length, false)).toBe(false);
  expect(keepsAlive(head('1.1'), { kind: 'close' } as never, true)).toBe(false);
  expect(keepsAlive(head('1.1'), { kind: 'chunked' } as never, true)).toBe(true);
});

describe('--unix-socket', () => {
  let dir: string;
  let server: HttpServer;
  let path: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sockkit-unix-http-'));
    path = join(dir, 'web.sock');
    server = createHttpServer((req, res) => res.end(`host=${req.headers.host} path=${req.url}\n`));
    await new Promise<void>((resolve) => server.listen(path, resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('the body from the socket, Host and path from the URL, as curl --unix-socket', async () => {
    const r = await runSockkit(['http-get', '--unix-socket', path, 'http://example.test:8080/hello?x=1']);
    expect(r).toMatchObject({ code: 0, stdout: 'host=example.test:8080 path=/hello?x=1\n', stderr: '' });
    // Not execFileSync: the server is in this process and must answer meanwhile.
    if (hasBinary('curl')) expect((await promisify(execFile)('curl', ['-s', '--unix-socket', path, 'http://example.test:8080/hello?x=1'])).stdout).toBe(r.stdout);
    const json = await runSockkit(['http-get', '--unix-socket', path, '--json', 'http://example.test/']);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 200, remoteAddress: path, connectAttempts: [] });
  });

  test('several URLs over one Unix connection', async () => {
    const r = await runSockkit(['http-get', '--unix-socket', path, '--json', 'http://a.test/1', 'http://a.test/2']);
    const records = JSON.parse(r.stdout) as Array<{ connection: { id: number; reused: boolean } }>;
    expect(records.map((x) => x.connection)).toEqual([{ id: 1, reused: false }, { id: 1, reused: true }]);
  });

  test('a path that cannot be a socket address is exit 2 before any connect; a missing socket file is exit 4', async () => {
    for (const [bad, why] of [['', /empty path/], ['x'.repeat(108), /longer than 107 bytes/]] as Array<[string, RegExp]>) {
      const r = await runSockkit(['http-get', '--unix-socket', bad, 'http://example.test/']);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(why) });
    }
    // '@' is a character of the path, as in curl (no abstract namespace here)
    const missing = await runSockkit(['http-get', '--unix-socket', join(dir, '@absent.sock'), 'http://example.test/']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/@absent\.sock: no such socket file/);
  });

  test('no proxy from the environment on a Unix socket', async () => {
    const r = await runSockkit(['http-get', '--unix-socket', path, 'http://example.test/'], { env: { http_proxy: 'http://127.0.0.1:1' } });
    expect(r).toMatchObject({ code: 0, stdout: 'host=example.test path=/\n' });
  });

  (hasBinary('openssl') ? test : test.skip)('https over the Unix socket (openssl makes its certificates): SNI and the certificate check from the URL host; a wrong name is exit 6', async () => {
    const certs = makeCertificates(join(dir, 'pki'));
    const tlsPath = join(dir, 'tls.sock');
    const tlsServer = createHttpsServer({ cert: readFileSync(certs.good[0]), key: readFileSync(certs.good[1]) }, (req, res) => res.end(`tls ${req.headers.host}${req.url}\n`));
    await new Promise<void>((resolve) => tlsServer.listen(tlsPath, resolve));
    try {
      const r = await runSockkit(['http-get', '--unix-socket', tlsPath, '--cacert', certs.ca, '--json', 'https://localhost/a', 'https://localhost/b']);
      const records = JSON.parse(r.stdout) as Array<{ tls: { verified: boolean; peerSubject: string }; connection: { reused: boolean } }>;
      expect(records.map((x) => [x.tls.verified, x.tls.peerSubject, x.connection.reused])).toEqual([
        [true, 'localhost', false],
        [true, 'localhost', true],
      ]);
      const wrong = await runSockkit(['http-get', '--unix-socket', tlsPath, '--cacert', certs.ca, 'https://other.test/']);
      expect(wrong.code).toBe(6);
      expect(wrong.stderr).toMatch(/^sockkit http-get: TLS handshake with other\.test: the certificate is not for other\.test /);
    } finally {
      tlsServer.closeAllConnections();
      await new Promise((r) => tlsServer.close(r));
    }
  });

  test('a missing socket file: exit 4 with one clear line', async () => {
    const r = await runSockkit(['http-get', '--unix-socket', join(dir, 'nope.sock'), 'http://example.test/']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`sockkit http-get: connect ${join(dir, 'nope.sock')}: no such socket file (is the server listening there?)\n`);
  });
});
