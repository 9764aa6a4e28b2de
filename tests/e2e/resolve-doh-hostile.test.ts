// `sockkit resolve` over DNS over HTTPS against an HTTP/2 server written here (TLS with
// ALPN h2, sockkit's own frame encoder: tests/fixtures/http2/) that answers wrongly on
// purpose, one behaviour per path: each failure is one clear reason with the project's
// exit code (7 for what the server got wrong, 5 for a stall), within its timeout; what
// RFC 8484 asks of the request (ID 0, the media type, base64url without padding) is
// checked on the server's side; and a server that closes or sends GOAWAY in the middle
// of a batch loses no question.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { runSockkit, sockkitSpawn } from '../helpers/run-sockkit.js';
import { spawn } from 'node:child_process';
import { describeWithPeers } from '../helpers/peers.js';
import { makeCertificates } from '../interop/peers/nginx.js';
import { sleep, startHostileH2Server, type H2Context, type H2Behaviour, type HostileH2Server } from '../fixtures/http2/hostile-h2-server.js';
import { decodeMessage, encodeMessage, RecordType } from '../../src/net/dns/packet.js';
import { fromBase64url } from '../../src/net/dns/doh.js';

interface Seen {
  method: string;
  id: number;
  accept?: string;
  contentType?: string;
  path: string;
}

/** What every request carried, for the checks of what RFC 8484 asks of a client. */
const seen: Seen[] = [];
/** Requests answered per connection, for the behaviours that turn hostile part-way. */
const answeredOn = new WeakMap<Socket, number>();
/** Connections each path was asked on. */
const connections = new Map<string, Set<Socket>>();

/** The DNS query of a request: from ?dns= (GET) or the DATA frames of its stream (POST). */
async function queryOf(ctx: H2Context): Promise<Buffer | undefined> {
  const field = (name: string) => ctx.request.find(([n]) => n === name)?.[1];
  const dns = /[?&]dns=([^&]*)/.exec(ctx.path)?.[1];
  let query = dns === undefined ? undefined : fromBase64url(dns);
  for (let waited = 0; !query && dns === undefined && waited < 2000 && !ctx.closed(); waited += 5) {
    const data = ctx.received.filter((f) => f.type === 'DATA' && f.streamId === ctx.streamId);
    if (data.some((f) => f.type === 'DATA' && f.endStream)) query = Buffer.concat(data.map((f) => (f.type === 'DATA' ? f.data : Buffer.alloc(0))));
    else await sleep(5);
  }
  if (query) seen.push({ method: field(':method')!, id: query.readUInt16BE(0), accept: field('accept'), contentType: field('content-type'), path: ctx.path });
  const path = ctx.path.split('?')[0]!;
  if (!connections.has(path)) connections.set(path, new Set());
  connections.get(path)!.add(ctx.socket);
  return query;
}

/** A reply to `query` with one A record (or `address` for its name), as a DoH body. */
function answer(query: Buffer, address = '192.0.2.53'): Buffer {
  const q = decodeMessage(query);
  const question = q.questions[0]!;
  const answers = question.type === RecordType.A ? [{ name: question.name, type: RecordType.A, class: 1, ttl: 30, data: { kind: 'A' as const, address } }] : [];
  return encodeMessage({ id: q.id, qr: true, rd: true, ra: true, rcode: 0, questions: q.questions, answers });
}

function respond(ctx: H2Context, body: Buffer, fields: Array<[string, string]> = [['content-type', 'application/dns-message']]): void {
  ctx.headers([[':status', '200'], ...fields, ['content-length', String(body.length)]]);
  ctx.send({ type: 'DATA', streamId: ctx.streamId, endStream: true, data: body });
}

function countAnswer(ctx: H2Context): number {
  const n = (answeredOn.get(ctx.socket) ?? 0) + 1;
  answeredOn.set(ctx.socket, n);
  return n;
}

const BEHAVIOURS: Record<string, H2Behaviour> = {
  '/dns-query': async (ctx) => {
    const query = await queryOf(ctx);
    if (query) respond(ctx, answer(query));
  },
  '/status-503': (ctx) => {
    ctx.headers([[':status', '503'], ['content-type', 'text/plain'], ['content-length', '4']]);
    ctx.send({ type: 'DATA', streamId: ctx.streamId, endStream: true, data: Buffer.from('busy') });
  },
  '/html': async (ctx) => {
    await queryOf(ctx);
    respond(ctx, Buffer.from('<html>not DNS</html>'), [['content-type', 'text/html']]);
  },
  '/no-type': async (ctx) => {
    const query = await queryOf(ctx);
    if (query) respond(ctx, answer(query), []);
  },
  // 70,000 bytes of "DNS message" with no content-length: refused once past 65,535.
  '/oversized': (ctx) => {
    ctx.headers([[':status', '200'], ['content-type', 'application/dns-message']]);
    for (let sent = 0; sent < 70_000; sent += 10_000) ctx.send({ type: 'DATA', streamId: ctx.streamId, endStream: sent + 10_000 >= 70_000, data: Buffer.alloc(10_000) });
  },
  '/oversized-declared': (ctx) => {
    ctx.headers([[':status', '200'], ['content-type', 'application/dns-message'], ['content-length', '70000']]);
  },
  // ID 0, QR set, one question claimed, then bytes that are no question.
  '/garbage': async (ctx) => {
    await queryOf(ctx);
    respond(ctx, Buffer.concat([Buffer.from([0, 0, 0x81, 0x80, 0, 1, 0, 5, 0, 0, 0, 0]), Buffer.from('\xff\xfe garbage, not a DNS name', 'latin1')]));
  },
  '/other-question': async (ctx) => {
    const query = await queryOf(ctx);
    if (query) respond(ctx, encodeMessage({ id: 0, qr: true, rcode: 0, questions: [{ name: 'elsewhere.test.', type: RecordType.A, class: 1 }], answers: [] }));
  },
  // Answers the first five questions of a connection, then reads and never answers.
  '/first-five': async (ctx) => {
    const query = await queryOf(ctx);
    if (query && !ctx.closed() && countAnswer(ctx) <= 5) respond(ctx, answer(query));
  },
  '/stall': async (ctx) => {
    await queryOf(ctx); // reads the question, never answers
  },
  // Answers two questions, then GOAWAY INTERNAL_ERROR: the rest of the batch fails, said.
  '/goaway-error': async (ctx) => {
    const query = await queryOf(ctx);
    if (!query || ctx.closed()) return;
    const n = countAnswer(ctx);
    if (n <= 2) return respond(ctx, answer(query));
    if (n === 3) {
      ctx.send({ type: 'GOAWAY', lastStreamId: ctx.streamId - 2, errorCode: 0x2, debug: Buffer.from('overloaded') });
      setTimeout(() => ctx.socket.destroy(), 100);
    }
  },
  // Answers two questions per connection, then GOAWAY NO_ERROR naming the last one it
  // took: the questions after it were never processed and go out again on a new connection.
  '/goaway-graceful': async (ctx) => {
    const query = await queryOf(ctx);
    if (!query || ctx.closed()) return;
    const n = countAnswer(ctx);
    if (n <= 2) return respond(ctx, answer(query));
    if (n === 3) {
      ctx.send({ type: 'GOAWAY', lastStreamId: ctx.streamId - 2, errorCode: 0, debug: Buffer.alloc(0) });
      setTimeout(() => ctx.socket.end(), 100);
    }
  },
  // One answer per connection, then the connection closes (an idle-closing server).
  '/close-after-each': async (ctx) => {
    const query = await queryOf(ctx);
    if (!query || ctx.closed()) return;
    if (countAnswer(ctx) === 1) {
      respond(ctx, answer(query));
      setTimeout(() => ctx.socket.destroy(), 20);
    }
  },
  '/close-at-once': async (ctx) => {
    await queryOf(ctx);
    ctx.socket.destroy();
  },
};

describeWithPeers('resolve over HTTPS against a hostile HTTP/2 server', ['openssl'], () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let server: HostileH2Server;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sockkit-doh-hostile-'));
    certs = makeCertificates(dir);
    server = await startHostileH2Server(BEHAVIOURS, { cert: readFileSync(certs.good[0]), key: readFileSync(certs.good[1]) });
  }, 30000);

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const doh = (path: string, ...extra: string[]) => ['@https://127.0.0.1:' + String(server.port) + path, '--cacert', certs.ca, '--type', 'A', ...extra];

  test('POST and GET as RFC 8484 asks: ID 0, accept and content-type application/dns-message, base64url ?dns= without padding', async () => {
    seen.length = 0;
    const post = await runSockkit(['resolve', 'a.test', 'bb.test', ...doh('/dns-query', '--short')]);
    expect(post.code).toBe(0);
    expect(post.stdout).toBe('192.0.2.53\n192.0.2.53\n');
    const get = await runSockkit(['resolve', 'a.test', 'bb.test', ...doh('/dns-query', '--short', '--doh-get')]);
    expect(get.code).toBe(0);
    expect(get.stdout).toBe('192.0.2.53\n192.0.2.53\n');
    expect(seen).toHaveLength(4);
    for (const s of seen) expect(s).toMatchObject({ id: 0, accept: 'application/dns-message' });
    expect(seen.filter((s) => s.method === 'POST').map((s) => s.contentType)).toEqual(['application/dns-message', 'application/dns-message']);
    const gets = seen.filter((s) => s.method === 'GET');
    expect(gets).toHaveLength(2);
    for (const s of gets) expect(s.path).toMatch(/^\/dns-query\?dns=[A-Za-z0-9_-]+$/);
    for (const s of gets) expect(s.contentType).toBeUndefined();
  });

  describe('each wrong answer: its reason on the row, the exit code', () => {
    test.each([
      ['/status-503', /ERROR \(the server answered HTTP 503 \(Service Unavailable\), not 200 with a DNS message/, 7],
      ['/html', /ERROR \(the server answered with content-type "text\/html", not application\/dns-message/, 7],
      ['/no-type', /ERROR \(the server answered with no content-type, not application\/dns-message/, 7],
      ['/oversized', /ERROR \(a body of more than 65535 bytes on stream 1: a DNS message is at most 65535\)/, 7],
      ['/oversized-declared', /ERROR \(a body of 70000 bytes \(content-length\): a DNS message is at most 65535/, 7],
      ['/garbage', /ERROR \(malformed reply: .* \(the reply on stream 1\)\)/, 7],
      ['/other-question', /ERROR \(reply is for A elsewhere\.test\., not our question \(the reply on stream 1\)\)/, 7],
      ['/stall', /TIMEOUT \(timed out after 1 s\)/, 5],
    ])('%s', async (path, message, exitCode) => {
      const started = Date.now();
      const r = await runSockkit(['resolve', 'x.test', ...doh(path, '--timeout', '1')]);
      expect(r.code).toBe(exitCode);
      expect(r.stdout).toMatch(message);
      expect(r.stdout).not.toMatch(/192\.0\.2\.53/);
      expect(Date.now() - started).toBeLessThan(8000);
    });
  });

  test('GOAWAY INTERNAL_ERROR mid-batch: the questions answered before it stand, the rest fail saying so, exit 7', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `g${i}.test`);
    const r = await runSockkit(['resolve', ...names, ...doh('/goaway-error', '--timeout', '3')]);
    expect(r.code).toBe(7);
    const rows = r.stdout.trim().split('\n');
    expect(rows).toHaveLength(6);
    expect(rows.filter((l) => /\t192\.0\.2\.53\t/.test(l))).toHaveLength(2);
    const failed = rows.filter((l) => !/\t192\.0\.2\.53\t/.test(l));
    expect(failed).toHaveLength(4);
    for (const row of failed) expect(row).toMatch(/\tERROR \(the server sent GOAWAY INTERNAL_ERROR \(last stream \d+\): "overloaded"/);
  });

  test('GOAWAY NO_ERROR mid-batch: the questions it did not take go out on a new connection; none is lost', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `n${i}.test`);
    const r = await runSockkit(['resolve', ...names, ...doh('/goaway-graceful', '--short', '--trace', '--timeout', '5')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('192.0.2.53\n'.repeat(10));
    expect(connections.get('/goaway-graceful')!.size).toBeGreaterThanOrEqual(4);
    expect(r.stderr).toMatch(/recv\s+GOAWAY stream 0 \[-\] 8 bytes: last stream \d+, NO_ERROR/);
    expect(r.stderr).toMatch(/reconnect\s+.*GOAWAY NO_ERROR.*asking A n\d\.test\. again on a new connection/);
  });

  test('a server that closes the connection after each answer: every question answered, over as many connections', async () => {
    const names = Array.from({ length: 5 }, (_, i) => `c${i}.test`);
    const r = await runSockkit(['resolve', ...names, ...doh('/close-after-each', '--short', '--trace', '--timeout', '5')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('192.0.2.53\n'.repeat(5));
    expect(connections.get('/close-after-each')!.size).toBeGreaterThanOrEqual(5);
    expect(r.stderr.match(/tls\s+TLSv1\.3 /g)!.length).toBeGreaterThanOrEqual(5);
  });

  test('a server that closes every connection without answering: tried on 3 connections, then exit 7', async () => {
    const started = Date.now();
    const r = await runSockkit(['resolve', 'z.test', ...doh('/close-at-once', '--timeout', '5')]);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(/ERROR \(the server ended 3 connections without answering anything/);
    expect(connections.get('/close-at-once')!.size).toBe(3);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('Ctrl-C in the middle of a batch whose later answers never come: the answers in order so far stand, "interrupted", exit 130 at once', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `n${i}.test`);
    const [file, argv, env] = sockkitSpawn(['resolve', '-', ...doh('/first-five', '--timeout', '30', '--trace')]);
    const child = spawn(file, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.end(names.join('\n'));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    const seen = (pattern: RegExp) => (err.match(pattern) ?? []).length;
    while ((seen(/\] send\s+POST/g) < names.length || seen(/\] recv\s+\d+-byte reply on stream/g) < 5) && Date.now() < deadline) await sleep(50);
    expect(seen(/\] send\s+POST/g)).toBe(names.length);
    expect(seen(/\] recv\s+\d+-byte reply on stream/g)).toBe(5);
    const interruptedAt = Date.now();
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(Date.now() - interruptedAt).toBeLessThan(5000);
    expect(err).toMatch(/^sockkit resolve: interrupted$/m);
    // the five answered, printed in input order; nothing for the ones cut off
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(5);
    for (const [i, line] of lines.entries()) expect(line).toMatch(new RegExp(`^n${i}\\.test\\tA\\t\\d+\\t192\\.0\\.2\\.53\\t`));
  });

  test('a TLS server that picks no protocol in ALPN (not HTTP/2): exit 7, said', async () => {
    const { createServer } = await import('node:tls');
    const plain = createServer({ cert: readFileSync(certs.good[0]), key: readFileSync(certs.good[1]) }, (s) => s.on('error', () => {}));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const port = (plain.address() as { port: number }).port;
    try {
      const r = await runSockkit(['resolve', 'x.test', `@https://127.0.0.1:${port}`, '--cacert', certs.ca, '--type', 'A', '--timeout', '3']);
      expect(r.code).toBe(7);
      expect(r.stdout).toMatch(/ERROR \(the server did not pick HTTP\/2 in ALPN \(it picked nothing\)/);
    } finally {
      plain.close();
    }
  });

  test('the question goes right after the connection preface, not a round trip later after the server\'s SETTINGS', async () => {
    const late = await startHostileH2Server(BEHAVIOURS, { cert: readFileSync(certs.good[0]), key: readFileSync(certs.good[1]) }, { settingsDelayMs: 300 });
    try {
      const r = await runSockkit(['resolve', 'a.test', '@https://127.0.0.1:' + String(late.port) + '/dns-query', '--cacert', certs.ca, '--type', 'A', '--short']);
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: '192.0.2.53\n' });
      expect(late.requestsBeforeSettings).toBe(1);
    } finally {
      await late.close();
    }
  });

  test('a TLS server that picks h2 and then says nothing (no SETTINGS): timeout, exit 5, within --timeout', async () => {
    const { createServer } = await import('node:tls');
    const mute = createServer({ cert: readFileSync(certs.good[0]), key: readFileSync(certs.good[1]), ALPNProtocols: ['h2'] }, (s) => s.on('error', () => {}));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const port = (mute.address() as { port: number }).port;
    try {
      const started = Date.now();
      const r = await runSockkit(['resolve', 'x.test', `@https://127.0.0.1:${port}`, '--cacert', certs.ca, '--type', 'A', '--timeout', '1']);
      expect(r.code).toBe(5);
      expect(r.stdout).toMatch(/\tTIMEOUT \(/);
      expect(Date.now() - started).toBeLessThan(6000);
    } finally {
      mute.close();
    }
  });

  test('a TLS server that picks h2, reads the question and closes before any SETTINGS: exit 7 at once, one connection, no retry', async () => {
    const { createServer } = await import('node:tls');
    let accepted = 0;
    const closer = createServer({ cert: readFileSync(certs.good[0]), key: readFileSync(certs.good[1]), ALPNProtocols: ['h2'] }, (s) => {
      accepted++;
      s.on('error', () => {});
      s.once('data', () => s.end());
    });
    await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', resolve));
    const port = (closer.address() as { port: number }).port;
    try {
      const r = await runSockkit(['resolve', 'x.test', `@https://127.0.0.1:${port}`, '--cacert', certs.ca, '--type', 'A', '--timeout', '5']);
      expect(r.code).toBe(7);
      expect(r.stdout).toMatch(/\tERROR \(the server closed the connection before its SETTINGS \(is it HTTP\/2\?\)/);
      expect(accepted).toBe(1);
    } finally {
      closer.close();
    }
  });

  test('flags that only make sense with DoH are refused without it: --doh-get, exit 2', async () => {
    const r = await runSockkit(['resolve', 'x.test', '@127.0.0.1', '--doh-get']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sockkit resolve: --doh-get: only applies to DNS over HTTPS \(name the server as https:\/\/HOST\)/);
  });
});
