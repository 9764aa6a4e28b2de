// The HTTP/2 client connection against a scripted server on loopback: the exchange,
// concurrent streams, PING, flow control as the consumer reads, and every hostile case.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connectTo } from '../../src/net/socket/connect.js';
import { noTrace } from '../../src/net/shared/trace.js';
import { SockkitError } from '../../src/net/shared/errors.js';
import { Http2ClientConnection, type Http2Limits } from '../../src/net/http2/connection.js';
import type { Http2ResponseHead } from '../../src/net/http2/response.js';
import type { HeaderField } from '../../src/net/http2/hpack.js';
import { startHostileH2Server, type HostileH2Server } from '../fixtures/http2/hostile-h2-server.js';
import { GOOD, HELLO, HOSTILE } from '../fixtures/http2/behaviours.js';

let server: HostileH2Server;

beforeAll(async () => {
  const behaviours = { ...GOOD, ...Object.fromEntries(HOSTILE.map((c) => [c.path, c.behaviour])) };
  server = await startHostileH2Server(behaviours);
});
afterAll(() => server.close());

async function open(limits: Partial<Http2Limits> = {}): Promise<Http2ClientConnection> {
  const socket = await connectTo('127.0.0.1', { port: server.port, timeoutMs: 5000, trace: noTrace });
  const connection = new Http2ClientConnection(socket, { trace: noTrace, what: 'HTTP/2 with test', limits });
  socket.on('data', (chunk: Buffer) => connection.feed(chunk));
  await connection.start();
  return connection;
}

interface Outcome {
  head?: Http2ResponseHead;
  interim: number[];
  body: Buffer;
  trailers?: HeaderField[];
  error?: SockkitError;
}

/**
 * One request; the body is consumed as it comes unless `hold` (then nothing is consumed,
 * and with `holdMs` the outcome is what came in that time).
 */
function get(connection: Http2ClientConnection, path: string, hold = false, holdMs?: number): Promise<Outcome> {
  const fields: HeaderField[] = [[':method', 'GET'], [':scheme', 'http'], [':authority', 'test'], [':path', path]];
  return new Promise((resolve) => {
    const out: Outcome = { interim: [], body: Buffer.alloc(0) };
    const chunks: Buffer[] = [];
    const stream = connection.request(fields).on({
      headers: (head) => (out.head = head),
      interim: (head) => out.interim.push(head.status),
      data: (chunk) => {
        chunks.push(Buffer.from(chunk));
        if (!hold) stream.consumed(chunk.length);
      },
      trailers: (fields) => (out.trailers = fields),
      end: () => resolve({ ...out, body: Buffer.concat(chunks) }),
      error: (error) => resolve({ ...out, body: Buffer.concat(chunks), error }),
    });
    if (holdMs !== undefined) setTimeout(() => resolve({ ...out, body: Buffer.concat(chunks) }), holdMs);
  });
}

describe('a well-behaved server', () => {
  test('settings exchanged, then a response with its body', async () => {
    const c = await open();
    const r = await get(c, '/hello');
    expect(r.error).toBeUndefined();
    expect(r.head).toMatchObject({ status: 200, contentLength: HELLO.length, headers: [['content-type', 'text/plain'], ['content-length', String(HELLO.length)]] });
    expect(r.body.toString()).toBe(HELLO);
    expect(c.timeline.serverSettingsAt).toBeGreaterThan(0);
    expect(c.timeline.serverSettings).toEqual([[3, 100]]);
    c.close();
  });

  test('ten concurrent streams on one connection: odd IDs, each its own body', async () => {
    const c = await open();
    const results = await Promise.all(Array.from({ length: 10 }, () => get(c, '/whoami')));
    expect(results.map((r) => r.body.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `stream ${2 * i + 1}\n`));
    c.close();
  });

  test('the frames of requests made in one turn leave in one write, and a GOAWAY before closing still leaves', async () => {
    const socket = await connectTo('127.0.0.1', { port: server.port, timeoutMs: 5000, trace: noTrace });
    const connection = new Http2ClientConnection(socket, { trace: noTrace, what: 'HTTP/2 with test' });
    socket.on('data', (chunk: Buffer) => connection.feed(chunk));
    await connection.start();
    const writes: number[] = []; // frames' bytes per write reaching the socket's own writer
    const writable = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (chunks: Array<{ chunk: Buffer }>, cb: unknown) => void };
    const write = writable._write.bind(socket);
    const writev = writable._writev.bind(socket);
    writable._write = (chunk: unknown, ...rest: unknown[]) => (writes.push((chunk as Buffer).length), write(chunk, ...rest));
    writable._writev = (chunks, cb) => (writes.push(chunks.reduce((n, c) => n + c.chunk.length, 0)), writev(chunks, cb));
    const results = await Promise.all(Array.from({ length: 5 }, () => get(connection, '/hello')));
    expect(results.every((r) => r.body.toString() === HELLO)).toBe(true);
    // five HEADERS frames: one write of them all (WINDOW_UPDATEs for the bodies come after)
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(writes[0]).toBeGreaterThan(5 * 9);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const before = writes.length;
    connection.close();
    await closed;
    expect(writes.length).toBe(before + 1); // the GOAWAY, flushed before the socket was destroyed
    expect(writes[before]).toBe(9 + 8);
  });

  test('150 requests against SETTINGS_MAX_CONCURRENT_STREAMS 100: the rest wait for a slot, all answered', async () => {
    const c = await open();
    const results = await Promise.all(Array.from({ length: 150 }, () => get(c, '/whoami')));
    expect(results.every((r) => r.error === undefined)).toBe(true);
    expect(results.map((r) => r.body.toString())).toEqual(Array.from({ length: 150 }, (_, i) => `stream ${2 * i + 1}\n`));
    c.close();
  });

  test('a PING is answered with the same data', async () => {
    const c = await open();
    expect((await get(c, '/ping-first')).body.toString()).toBe('pong seen\n');
    c.close();
  });

  test('interim 103, CONTINUATIONs, padding, PRIORITY and trailers', async () => {
    const c = await open();
    const r = await get(c, '/unusual');
    expect(r.error).toBeUndefined();
    expect(r.interim).toEqual([103]);
    expect(r.head?.headers.find(([n]) => n === 'x-long')?.[1]).toBe('y'.repeat(100));
    expect(r.body.toString()).toBe('padded body\n');
    expect(r.trailers).toEqual([['x-trailer', 'done']]);
    c.close();
  });

  test('flow control: a consumer that reads nothing holds the server at the window', async () => {
    const c = await open({ streamWindow: 256 * 1024, connectionWindow: 1024 * 1024 });
    const held = await get(c, '/big-windowed', true, 500);
    // The server sends only what the windows allow: 256 KiB of the 4 MiB.
    expect(held.error).toBeUndefined();
    expect(held.body.length).toBe(256 * 1024);
    c.close();
    const c2 = await open({ streamWindow: 256 * 1024, connectionWindow: 1024 * 1024 });
    const read = await get(c2, '/big-windowed');
    expect(read.error).toBeUndefined();
    expect(read.body.length).toBe(4 << 20);
    c2.close();
  });
});

describe('a hostile server: one clear error, exit 7', () => {
  test.each(HOSTILE.filter((h) => h.path !== '/stall').map((h) => [h.path, h.message] as const))('%s', async (path, message) => {
    const c = await open();
    // A consumer that reads nothing: a server that ignores the window runs past it.
    const r = await get(c, path, path === '/data-beyond-window');
    expect(r.error).toBeInstanceOf(SockkitError);
    expect(r.error!.code).toBe('PROTOCOL');
    expect(r.error!.message).toMatch(message);
    c.close();
  }, 30000);
});
