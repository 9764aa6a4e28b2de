// sockkit http-get with several URLs to one HTTP/2 origin: one connection, a stream per
// URL (one after another, or concurrent with -Z), against a server written here
// (tests/fixtures/http2/) that numbers its connections in every body. A GOAWAY, a
// refused stream or a closed connection sends the URLs the server never took up over a
// new connection; outputs stay whole and in argument order.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Socket } from 'node:net';
import { ErrorCode } from '../../src/net/http2/frames.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { sleep, startHostileH2Server, type H2Context, type HostileH2Server } from '../fixtures/http2/hostile-h2-server.js';

let server: HostileH2Server;
/** Each connection's number (1, 2, … in the order they came), and those that take no more requests. */
const numbers = new WeakMap<Socket, number>();
const leaving = new WeakSet<Socket>();
let connections = 0;
/** Streams of /stall that the client reset (RST_STREAM) once it gave up on them. */
const resets: number[] = [];

function numberOf(socket: Socket): number {
  if (!numbers.has(socket)) numbers.set(socket, ++connections);
  return numbers.get(socket)!;
}

function answer(ctx: H2Context, text: string): void {
  ctx.headers([[':status', '200'], ['content-type', 'text/plain'], ['content-length', String(text.length)]]);
  ctx.send({ type: 'DATA', streamId: ctx.streamId, endStream: true, data: Buffer.from(text) });
}

/** GOAWAY NO_ERROR naming this stream as the last one taken; the connection ends soon after. */
function goAway(ctx: H2Context): void {
  ctx.send({ type: 'GOAWAY', lastStreamId: ctx.streamId, errorCode: ErrorCode.NO_ERROR, debug: Buffer.from('bye') });
  setTimeout(() => ctx.socket.end(), 300);
}

beforeAll(async () => {
  server = await startHostileH2Server({
    '/conn': (ctx) => {
      // After GOAWAY the server processes nothing more on this connection.
      if (!leaving.has(ctx.socket)) answer(ctx, `conn ${numberOf(ctx.socket)} ${ctx.path}\n`);
    },
    // Answers, then GOAWAY: the next URL needs a new connection.
    '/bye': (ctx) => {
      leaving.add(ctx.socket);
      answer(ctx, `conn ${numberOf(ctx.socket)} bye\n`);
      goAway(ctx);
    },
    // Waits until the other -Z requests are on this connection, then GOAWAY with only this stream taken.
    '/hold-then-bye': async (ctx) => {
      leaving.add(ctx.socket);
      await sleep(300);
      goAway(ctx);
      answer(ctx, `conn ${numberOf(ctx.socket)} bye\n`);
    },
    // Half a body, then nothing: the stall timeout ends this transfer alone.
    '/stall': async (ctx) => {
      ctx.headers([[':status', '200'], ['content-type', 'text/plain']]);
      ctx.send({ type: 'DATA', streamId: ctx.streamId, endStream: false, data: Buffer.from('partial ') });
      const started = Date.now();
      while (!ctx.received.some((f) => f.type === 'RST_STREAM' && f.streamId === ctx.streamId)) {
        if (Date.now() - started > 8000 || ctx.closed()) return;
        await sleep(20);
      }
      resets.push(ctx.streamId);
    },
    // RST_STREAM REFUSED_STREAM on the first connection: "not processed, send it again".
    '/refuse-once': (ctx) => {
      if (numberOf(ctx.socket) === first) ctx.send({ type: 'RST_STREAM', streamId: ctx.streamId, errorCode: ErrorCode.REFUSED_STREAM });
      else answer(ctx, `conn ${numberOf(ctx.socket)} ${ctx.path}\n`);
    },
  });
});

afterAll(() => server.close());

/** The first connection of the current test. */
let first = 0;
const get = (paths: string[], extra: string[] = []) => {
  first = connections + 1;
  return runSockkit(['http-get', '--http2-prior-knowledge', '--timeout', '15', ...extra, ...paths.map((p) => `http://127.0.0.1:${server.port}${p}`)], { killAfterMs: 25000 });
};
/** `conn N` as numbered from this test's first connection. */
const relative = (stdout: string) => stdout.replace(/conn (\d+)/g, (_, n: string) => `conn ${Number(n) - first + 1}`);

test('sequential URLs: one connection, a new stream for each; --json and --trace name the connection', async () => {
  const r = await get(['/conn?1', '/conn?2', '/conn?3'], ['--json']);
  expect(r.code).toBe(0);
  const records = JSON.parse(r.stdout) as Array<{ httpVersion: string; connection: { id: number; reused: boolean } }>;
  expect(records.map((x) => [x.httpVersion, x.connection.id, x.connection.reused])).toEqual([
    ['2', 1, false],
    ['2', 1, true],
    ['2', 1, true],
  ]);
  const traced = await get(['/conn?1', '/conn?2', '/conn?3'], ['--trace']);
  expect(relative(traced.stdout)).toBe('conn 1 /conn?1\nconn 1 /conn?2\nconn 1 /conn?3\n');
  expect(traced.stderr).toMatch(/connection #1 to 127\.0\.0\.1:\d+ \(HTTP\/2, shared by the requests to this origin\)/);
  expect(traced.stderr).toMatch(/reusing connection #1 to 127\.0\.0\.1:\d+ \(HTTP\/2, request 3 on it\)/);
  expect(traced.stderr).toMatch(/send +HEADERS stream 5 /);
  expect(traced.stderr).toContain('1 connection opened for 3 URLs, 2 requests on a kept-alive one');
});

test('-Z: the URLs go as concurrent streams on one connection, the outputs in argument order', async () => {
  const paths = Array.from({ length: 20 }, (_, i) => `/conn?${i}`);
  const r = await get(paths, ['-Z', '--trace']);
  expect(r.code).toBe(0);
  expect(relative(r.stdout)).toBe(paths.map((p) => `conn 1 ${p}\n`).join(''));
  // 20 transfers at once listen for Ctrl-C on one signal: expected, no leak warning.
  expect(r.stderr).not.toContain('MaxListenersExceededWarning');
  // Every request was sent before the first response came: streams, not one after another.
  const lines = r.stderr.split('\n');
  const lastSend = lines.findIndex((l) => /send +HEADERS stream 39 /.test(l));
  const firstRecv = lines.findIndex((l) => /recv +HEADERS stream/.test(l));
  expect(lastSend).toBeGreaterThan(-1);
  expect(firstRecv).toBeGreaterThan(-1);
  expect(lastSend).toBeLessThan(firstRecv);
  // Each transfer's own lines carry its URL's number; the shared connection's frames none.
  expect(r.stderr).toMatch(/connect +\[1\] connection #1 to 127\.0\.0\.1:\d+ \(HTTP\/2/);
  expect(r.stderr).toMatch(/connect +\[20\] reusing connection #1 to 127\.0\.0\.1:\d+ \(HTTP\/2, request \d+ on it\)/);
  expect(r.stderr).toMatch(/recv +\[7\] HTTP\/2 200, /);
  expect(lines.filter((l) => /(send|recv) +\[\d+\] (HEADERS|DATA|SETTINGS)/.test(l))).toEqual([]);
});

test('GOAWAY after a response: the next URL opens a new connection', async () => {
  const r = await get(['/conn?a', '/bye', '/conn?b', '/conn?c'], ['--json']);
  expect(r.code).toBe(0);
  const records = JSON.parse(r.stdout) as Array<{ status: number; connection: { id: number; reused: boolean } }>;
  expect(records.map((x) => [x.status, x.connection.id, x.connection.reused])).toEqual([
    [200, 1, false],
    [200, 1, true],
    [200, 2, false],
    [200, 2, true],
  ]);
  const bodies = await get(['/conn?a', '/bye', '/conn?b', '/conn?c']);
  expect(relative(bodies.stdout)).toBe('conn 1 /conn?a\nconn 1 bye\nconn 2 /conn?b\nconn 2 /conn?c\n');
});

test('-Z and a GOAWAY that takes only the first stream: the others go again on a new connection', async () => {
  const r = await get(['/hold-then-bye', '/conn?1', '/conn?2', '/conn?3'], ['-Z', '--trace']);
  expect(r.code).toBe(0);
  expect(relative(r.stdout)).toBe('conn 1 bye\nconn 2 /conn?1\nconn 2 /conn?2\nconn 2 /conn?3\n');
  expect(r.stderr).toMatch(/connection #1 did not take the request \(the server sent GOAWAY NO_ERROR \(last stream 1\): "bye".*\): trying another/);
  expect(r.stderr).toContain('2 connections opened for 4 URLs');
});

test('a stream the server refuses (RST_STREAM REFUSED_STREAM) goes again on a new connection, once', async () => {
  const r = await get(['/conn?x', '/refuse-once', '/conn?y']);
  expect(r.code).toBe(0);
  expect(relative(r.stdout)).toBe('conn 1 /conn?x\nconn 2 /refuse-once\nconn 2 /conn?y\n');
});

test('the request goes right after the connection preface, not a round trip later after the server\'s SETTINGS; --json still times the SETTINGS', async () => {
  const late = await startHostileH2Server({ '/quick': (ctx) => answer(ctx, 'quick\n') }, undefined, { settingsDelayMs: 300 });
  try {
    const r = await runSockkit(['http-get', '--http2-prior-knowledge', '--json', `http://127.0.0.1:${late.port}/quick`], { killAfterMs: 25000 });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { httpVersion: string; timings: { settingsMs: number | null } };
    expect(json.httpVersion).toBe('2');
    expect(json.timings.settingsMs).toBeGreaterThanOrEqual(250);
    expect(late.requestsBeforeSettings).toBe(1);
  } finally {
    await late.close();
  }
});

test('-Z beyond the server\'s stream limit: a URL waiting for a slot is not stalled by the wait (the stall clock starts when it is sent)', async () => {
  // One stream at a time; the first body trickles for about 2 s, past a 1 s --stall-timeout.
  const oneAtATime = await startHostileH2Server(
    {
      '/trickle': async (ctx) => {
        ctx.headers([[':status', '200'], ['content-type', 'text/plain'], ['content-length', '8']]);
        for (let i = 0; i < 8; i++) {
          await sleep(250);
          if (ctx.closed()) return;
          ctx.send({ type: 'DATA', streamId: ctx.streamId, endStream: i === 7, data: Buffer.from('t') });
        }
      },
      '/quick': (ctx) => answer(ctx, 'quick\n'),
    },
    undefined,
    { maxConcurrentStreams: 1 },
  );
  try {
    const url = (p: string) => `http://127.0.0.1:${oneAtATime.port}${p}`;
    const r = await runSockkit(['http-get', '--http2-prior-knowledge', '-Z', '--stall-timeout', '1', '--timeout', '15', url('/trickle'), url('/quick')], { killAfterMs: 25000 });
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: 'ttttttttquick\n', stderr: '' });
  } finally {
    await oneAtATime.close();
  }
});

test('a transfer that stalls on a shared connection is reset alone (exit 5); the next URL goes on the same connection', async () => {
  const r = await get(['/conn?1', '/stall', '/conn?2'], ['--stall-timeout', '1']);
  expect(r.code).toBe(5);
  expect(r.stderr).toMatch(/^sockkit http-get: GET http:\/\/127\.0\.0\.1:\d+\/stall: no data for 1 s after 8 body bytes/m);
  expect(relative(r.stdout)).toMatch(/^conn 1 \/conn\?1\n(partial )?conn 1 \/conn\?2\n$/);
  // The server saw RST_STREAM for the stalled stream (3), not a closed connection.
  await sleep(100);
  expect(resets).toContain(3);
}, 20000);
