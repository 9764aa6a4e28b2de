// sockkit http-get over HTTP/2 against a server that answers wrongly on purpose (written
// here with sockkit's frame encoder: tests/fixtures/http2/): every case ends in one clear
// line with exit 7 (5 for a stall), within its timeout, with bounded memory; and a slow
// stdout holds a well-behaved server back instead of growing the process.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { createServer, type Server, type Socket } from 'node:net';
import { expectCleanError, runSockkit, sockkitSpawn } from '../helpers/run-sockkit.js';
import { startHostileH2Server, type HostileH2Server } from '../fixtures/http2/hostile-h2-server.js';
import { GOOD, HELLO, HOSTILE, sendWithinWindow } from '../fixtures/http2/behaviours.js';

let server: HostileH2Server;
const SLOW_SINK_TOTAL = 256 << 20;

beforeAll(async () => {
  server = await startHostileH2Server({
    ...GOOD,
    ...Object.fromEntries(HOSTILE.map((c) => [c.path, c.behaviour])),
    // 64 KiB of gzip that decode to 64 MiB: --max-decoded-size holds over h2 as over HTTP/1.1.
    '/gzip-bomb': (ctx) => {
      ctx.headers([[':status', '200'], ['content-type', 'text/plain'], ['content-encoding', 'gzip']]);
      const bomb = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
      for (let at = 0; at < bomb.length; at += 16384) {
        ctx.send({ type: 'DATA', streamId: ctx.streamId, endStream: at + 16384 >= bomb.length, data: bomb.subarray(at, at + 16384) });
      }
    },
    '/slow-sink': async (ctx) => {
      ctx.headers([[':status', '200'], ['content-type', 'application/octet-stream']]);
      await sendWithinWindow(ctx, SLOW_SINK_TOTAL);
    },
  });
});

afterAll(() => server.close());

const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

function get(path: string, extra: string[] = []) {
  return runSockkit(['http-get', '--http2-prior-knowledge', ...extra, url(path)], { killAfterMs: 25000 });
}

test('a well-behaved h2c exchange: body, -v header lists with pseudo-headers, --json httpVersion "2"', async () => {
  const r = await get('/hello', ['-v']);
  expect(r).toMatchObject({ code: 0, stdout: HELLO });
  expect(r.stderr).toMatch(/^> :method: GET$/m);
  expect(r.stderr).toMatch(/^> :scheme: http$/m);
  expect(r.stderr).toMatch(new RegExp(`^> :authority: 127.0.0.1:${server.port}$`, 'm'));
  expect(r.stderr).toMatch(/^< :status: 200$/m);
  const json = await get('/hello', ['--json']);
  expect(JSON.parse(json.stdout)).toMatchObject({ status: 200, httpVersion: '2', bytes: HELLO.length });
});

test('--compressed with a gzip bomb over h2: --max-decoded-size refuses it, exit 7', async () => {
  const r = await get('/gzip-bomb', ['--compressed', '--max-decoded-size', '8M', '-o', '/dev/null']);
  expect(r.code).toBe(7);
  expect(r.stderr).toMatch(/decodes to more than 8388608 bytes/);
  expectCleanError(r, 'http-get');
});

test('interim 103, CONTINUATIONs, padding and trailers: the body as sent, -i as curl shows h2', async () => {
  const r = await get('/unusual', ['-i']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^HTTP\/2 200\r\ncontent-type: text\/plain\r\nx-long: y{100}\r\n\r\npadded body\n$/);
});

describe('hostile servers: one clear line, the documented exit code', () => {
  // DATA past the window needs a consumer that stops reading: below.
  const cases = HOSTILE.filter((c) => c.path !== '/data-beyond-window');
  test.each(cases.map((c) => [c.path, c.message, c.exitCode ?? 7] as const))('%s', async (path, message, exitCode) => {
    const started = Date.now();
    const r = await get(path, ['--stall-timeout', '1', '--timeout', '20']);
    expect(r.code).toBe(exitCode);
    expect(r.stderr).toMatch(message);
    expectCleanError(r, 'http-get');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // Well inside --timeout: a limit, not the clock, ended it.
    expect(Date.now() - started).toBeLessThan(15000);
  }, 30000);
});

/** Runs http-get with stdout a pipe nobody reads for `ms`, then reads it all; resolves with its exit code and bytes. */
function withStalledStdout(path: string, ms: number): Promise<{ code: number | null; stderr: string; bytes: number }> {
  return new Promise((resolve) => {
    const [file, argv, env] = sockkitSpawn(['http-get', '--http2-prior-knowledge', '-o', '-', url(path)]);
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    child.stdout.pause();
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    setTimeout(() => {
      child.stdout.on('data', (d: Buffer) => (bytes += d.length));
      child.stdout.resume();
    }, ms);
    const killer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, bytes });
    });
  });
}

test('a slow stdout holds the server back: no more than the windows are sent while nobody reads', async () => {
  const pending = withStalledStdout('/slow-sink', 2000);
  await new Promise((r) => setTimeout(r, 1500));
  // Our windows (8 MiB per stream, 16 MiB for the connection) plus what the sockets and
  // the pipe hold: far below the 256 MiB the server has to send.
  const sentWhileStalled = server.sent.get('/slow-sink') ?? 0;
  expect(sentWhileStalled).toBeGreaterThan(0);
  expect(sentWhileStalled).toBeLessThan(32 << 20);
  const r = await pending;
  expect(r.code).toBe(0);
  expect(r.bytes).toBe(SLOW_SINK_TOTAL);
}, 70000);

test('a server that ignores the window while stdout is not read: DATA beyond the window, exit 7', async () => {
  const r = await withStalledStdout('/data-beyond-window', 3000);
  expect(r.code).toBe(7);
  expect(r.stderr).toMatch(/DATA beyond stream 1's window/);
}, 70000);

test('--http2 with an http:// URL: a usage error (exit 2) pointing at --http2-prior-knowledge', async () => {
  const r = await runSockkit(['http-get', '--http2', url('/hello')]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/HTTP\/2 is asked for in TLS ALPN.*--http2-prior-knowledge for h2c/);
  expectCleanError(r, 'http-get');
});

describe('--http2-prior-knowledge to a server that is not h2c', () => {
  let silent: Server;
  let http1: Server;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const portOf = (s: Server) => (s.address() as { port: number }).port;

  beforeAll(async () => {
    silent = createServer(track);
    http1 = createServer((socket) => {
      track(socket);
      socket.on('error', () => {});
      socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    });
    await Promise.all([silent, http1].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    for (const s of [silent, http1]) {
      await new Promise((resolve) => s.close(resolve));
    }
  });

  test('an HTTP/1.1 server: it answered in HTTP/1.1, exit 7', async () => {
    const r = await runSockkit(['http-get', '--http2-prior-knowledge', `http://127.0.0.1:${portOf(http1)}/`]);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/the server answered in HTTP\/1\.1…, not HTTP\/2 \(it does not speak h2c\)/);
    expectCleanError(r, 'http-get');
  });

  test('a server that never sends its SETTINGS: --connect-timeout, exit 5', async () => {
    const r = await runSockkit(['http-get', '--http2-prior-knowledge', '--connect-timeout', '1', `http://127.0.0.1:${portOf(silent)}/`]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/no SETTINGS from the server after 1 s/);
    expectCleanError(r, 'http-get');
  });
});
