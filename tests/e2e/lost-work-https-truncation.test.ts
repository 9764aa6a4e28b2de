// https bodies cut short (issue 22, class 7): a close-delimited body (no Content-Length,
// not chunked) is complete only at the server's TLS close_notify. A bare TCP FIN there is
// a truncation anyone on the path can cause: exit 7 with one clear line. The server is a
// node:tls server written here, which ends the underlying TCP socket itself to skip
// close_notify.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { expectCleanError, runSockkit, sockkitSpawn } from '../helpers/run-sockkit.js';

const BIG = 'y'.repeat(300_000) + '\n';

type Ending = 'close_notify' | 'fin' | 'destroy';

/** path → [response head + body, how the connection ends]. */
const ROUTES: Record<string, [string, Ending]> = {
  '/close-notify': [`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nthe whole body\n`, 'close_notify'],
  '/close-notify-big': [`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n${BIG}`, 'close_notify'],
  '/http10-close-notify': [`HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhttp/1.0 body\n`, 'close_notify'],
  '/fin': [`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nthe first half`, 'fin'],
  '/fin-big': [`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n${BIG}`, 'fin'],
  '/destroy': [`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nthe first half`, 'destroy'],
  '/cl-short-fin': [`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this`, 'fin'],
  '/cl-short-close-notify': [`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this`, 'close_notify'],
  '/chunked-short-fin': [`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`, 'fin'],
  '/chunked-short-close-notify': [`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`, 'close_notify'],
};

let dir: string;
let server: Server;
let port: number;

function end(socket: TLSSocket, how: Ending): void {
  if (how === 'close_notify') return void socket.end();
  // The TCP socket under the TLS layer: ending it sends a FIN and no close_notify.
  const tcp = (socket as unknown as { _parent: Socket })._parent;
  // Let the response's records leave first.
  setTimeout(() => (how === 'fin' ? tcp.end() : tcp.destroy()), 50);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sockkit-tls-'));
  const conf = join(dir, 'req.cnf');
  writeFileSync(conf, '[req]\ndistinguished_name=dn\n[dn]\n');
  execFileSync('openssl', ['req', '-config', conf, '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:TRUE'], { stdio: 'ignore' });
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (socket) => {
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const path = head.split(' ')[1] ?? '/';
      const [response, how] = ROUTES[path] ?? ['HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'close_notify'];
      socket.write(response);
      end(socket, how);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, extra: string[] = []) {
  return runSockkit(['http-get', '--cacert', join(dir, 'cert.pem'), `https://127.0.0.1:${port}${path}`, ...extra], { killAfterMs: 20000 });
}

describe('https, close-delimited body', () => {
  test.each([
    ['/close-notify', 'the whole body\n'],
    ['/close-notify-big', BIG],
    ['/http10-close-notify', 'http/1.0 body\n'],
  ])('%s: ended by close_notify → the body, exit 0', async (path, body) => {
    const r = await get(path);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(body);
  });

  test('ended by close_notify while stdout is full (sockkit paused reading): still complete, exit 0', async () => {
    // stdout is not read for 1 s: the 64 KiB pipe fills, and sockkit pauses the socket.
    const [file, argv, env] = sockkitSpawn(['http-get', '--cacert', join(dir, 'cert.pem'), `https://127.0.0.1:${port}/close-notify-big`]);
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    let bytes = 0;
    child.stdout.on('data', (d: Buffer) => (bytes += d.length));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(bytes).toBe(BIG.length);
  });

  test.each(['/fin', '/fin-big', '/destroy'])('%s: a TCP FIN without close_notify → "may be truncated", exit 7', async (path) => {
    const r = await get(path);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(
      /^sockkit http-get: GET https:\/\/127\.0\.0\.1:\d+\/\S+: the body may be truncated: the connection ended with a TCP FIN but no TLS close_notify after \d+ body bytes/m,
    );
    expectCleanError(r, 'http-get');
  });

  test('--json: the truncation is an error, not a result', async () => {
    const r = await get('/fin', ['--json']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/no TLS close_notify/);
  });
});

describe('https, Content-Length and chunked bodies cut short: an error either way', () => {
  test.each([
    ['/cl-short-fin', /closed after 9 of 100 body bytes/],
    ['/cl-short-close-notify', /closed after 9 of 100 body bytes/],
    ['/chunked-short-fin', /closed before the last chunk/],
    ['/chunked-short-close-notify', /closed before the last chunk/],
  ])('%s → exit 7', async (path, message) => {
    const r = await get(path);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(message);
    expectCleanError(r, 'http-get');
  });
});
