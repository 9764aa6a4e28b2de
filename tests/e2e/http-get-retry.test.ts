// --retry against scripted flaky servers written here: 503 then 200, a reset then 200,
// Retry-After honoured (and refused past --retry-max-time), retries used up, a refused
// port; each retry a warning on stderr and a note in --json.
import { afterEach, describe, expect, test } from '@jest/globals';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { runSockkit } from '../helpers/run-sockkit.js';
import { freeTcpPort } from '../helpers/ports.js';
import { backoffMs, nextDelayMs, retryAfterMs } from '../../src/net/http/retry.js';

const servers: Array<Server | HttpServer> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** An HTTP server whose n-th request (0-based) gets script[n] (the last one repeats). */
async function scripted(script: Array<{ status: number; body: string; headers?: Record<string, string> }>): Promise<{ port: number; hits: () => number }> {
  let n = 0;
  const server = createHttpServer((_req, res) => {
    const step = script[Math.min(n++, script.length - 1)]!;
    res.writeHead(step.status, { 'Content-Type': 'text/plain', ...step.headers });
    res.end(step.body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return { port: (server.address() as { port: number }).port, hits: () => n };
}

const get = (...args: string[]) => runSockkit(['http-get', '--timeout', '10', ...args], { killAfterMs: 30000 });

describe('retry policy', () => {
  test('backoff doubles from 1 s to a 10 min cap; --retry-delay fixes it', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, undefined))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(30, undefined)).toBe(600000);
    expect(backoffMs(5, 250)).toBe(250);
  });
  test('Retry-After: seconds or an HTTP date; junk ignored', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Fri, 04 Dec 2026 12:00:10 GMT', Date.parse('Fri, 04 Dec 2026 12:00:00 GMT'))).toBe(10000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
  test('no retry past the count or when the wait would end past --retry-max-time', () => {
    const policy = { retries: 2, maxTimeMs: 5000 };
    expect(nextDelayMs(policy, 1, 0, undefined)).toBe(1000);
    expect(nextDelayMs(policy, 3, 0, undefined)).toBeNull();
    expect(nextDelayMs(policy, 1, 0, 6000)).toBeNull();
    expect(nextDelayMs({ retries: 2, maxTimeMs: 0 }, 1, 0, 6000)).toBe(6000);
  });
});

describe('http-get --retry', () => {
  test('503 then 200: the 503 body is not written, one warning, the 200 body; --json lists the retry', async () => {
    const { port, hits } = await scripted([{ status: 503, body: 'busy\n' }, { status: 200, body: 'finally\n' }]);
    const r = await get('--retry', '2', '--retry-delay', '0.1', `http://127.0.0.1:${port}/`);
    expect(r).toMatchObject({ code: 0, stdout: 'finally\n' });
    expect(r.stderr).toBe(`sockkit http-get: warning: the server answered 503 Service Unavailable: retrying in 0.1 s (retry 1 of 2)\n`);
    expect(hits()).toBe(2);
    const { port: p2 } = await scripted([{ status: 503, body: 'busy\n' }, { status: 200, body: 'finally\n' }]);
    const json = await get('--retry', '2', '--retry-delay', '0', '--json', `http://127.0.0.1:${p2}/`);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 200, retries: [{ retry: 1, why: 'the server answered 503 Service Unavailable', delayMs: 0 }] });
  });

  test('a connection reset before the response, then 200', async () => {
    const web = await scripted([{ status: 200, body: 'after the reset\n' }]);
    let resets = 0;
    const front = createServer((socket) => {
      if (resets++ === 0) return void socket.once('data', () => socket.resetAndDestroy());
      // Later connections go to the real server.
      const back = connect(web.port, '127.0.0.1');
      socket.pipe(back).pipe(socket);
      back.on('error', () => socket.destroy());
      socket.on('error', () => back.destroy());
    });
    servers.push(front);
    await new Promise<void>((resolve) => front.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (front.address() as { port: number }).port;
    const r = await get('--retry', '1', '--retry-delay', '0', `http://127.0.0.1:${port}/`);
    expect(r).toMatchObject({ code: 0, stdout: 'after the reset\n' });
    expect(r.stderr).toMatch(/^sockkit http-get: warning: GET http:\/\/127\.0\.0\.1:\d+\/: connection reset by peer: retrying in 0 s \(retry 1 of 1\)\n$/);
  });

  test('Retry-After: 1 is honoured over the backoff; past --retry-max-time it is not waited for', async () => {
    const { port } = await scripted([{ status: 429, body: 'slow down\n', headers: { 'Retry-After': '1' } }, { status: 200, body: 'ok\n' }]);
    const r = await get('--retry', '3', '--json', `http://127.0.0.1:${port}/`);
    expect(JSON.parse(r.stdout).retries).toEqual([{ retry: 1, why: 'the server answered 429 Too Many Requests', delayMs: 1000 }]);
    const { port: p2, hits } = await scripted([{ status: 503, body: 'come back later\n', headers: { 'Retry-After': '100' } }]);
    const started = Date.now();
    const late = await get('--retry', '3', '--retry-max-time', '2', `http://127.0.0.1:${p2}/`);
    expect(late).toMatchObject({ code: 0, stdout: 'come back later\n', stderr: '' }); // the 503 as it came (no --fail)
    expect(hits()).toBe(1);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  test('retries used up: the last response is the answer (exit 7 with --fail); without --retry, no retry', async () => {
    const { port, hits } = await scripted([{ status: 502, body: 'bad gateway\n' }]);
    const r = await get('--retry', '2', '--retry-delay', '0', '-f', `http://127.0.0.1:${port}/`);
    expect(r.code).toBe(7);
    expect(r.stderr.match(/retrying in/g)).toHaveLength(2);
    expect(r.stderr).toMatch(/the server answered 502 Bad Gateway \(--fail\)\n$/);
    expect(hits()).toBe(3);
    const once = await get(`http://127.0.0.1:${port}/`);
    expect(once).toMatchObject({ code: 0, stdout: 'bad gateway\n' });
    expect(hits()).toBe(4);
    // 404 is not transient.
    const { port: p404, hits: h404 } = await scripted([{ status: 404, body: 'no\n' }]);
    expect((await get('--retry', '3', '--retry-delay', '0', `http://127.0.0.1:${p404}/`)).stdout).toBe('no\n');
    expect(h404()).toBe(1);
  });

  test('a refused port: retried, then exit 4 with the last error', async () => {
    const port = await freeTcpPort();
    const r = await get('--retry', '1', '--retry-delay', '0', '-4', `http://127.0.0.1:${port}/`);
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toMatch(/warning: connect 127\.0\.0\.1:\d+: connection refused: retrying in 0 s \(retry 1 of 1\)/);
  });
});
