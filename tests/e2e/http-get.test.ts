// sockkit http-get as a user runs it: flags, output forms and exit codes, against a
// small loopback server written in the test.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { freeTcpPort } from '../helpers/ports.js';
import { startHostileServer, type HostileServer } from '../fixtures/http/hostile-server.js';

let server: HostileServer;
let server6: HostileServer;
let dir: string;

beforeAll(async () => {
  server = await startHostileServer();
  server6 = await startHostileServer('::1');
  dir = mkdtempSync(join(tmpdir(), 'sockkit-http-e2e-'));
});

afterAll(async () => {
  await server.close();
  await server6.close();
  rmSync(dir, { recursive: true, force: true });
});

const httpGet = (...args: string[]) => runSockkit(['http-get', ...args]);

describe('http-get output', () => {
  test('the body goes to stdout, nothing else', async () => {
    const r = await httpGet(server.url('/ok'));
    expect(r).toMatchObject({ code: 0, stdout: 'hello\n', stderr: '' });
  });

  test('-i prints the head before the body; -I sends HEAD and prints the head', async () => {
    const i = await httpGet('-i', server.url('/ok'));
    expect(i.stdout).toBe('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n');
    const head = await httpGet('-I', server.url('/echo-headers'));
    expect(head.code).toBe(0);
    expect(head.stdout).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    expect(head.stdout).not.toMatch(/HEAD \/echo-headers/); // no body for HEAD
  });

  test('-i -L prints every head on the way, then the body', async () => {
    const r = await httpGet('-i', '-L', server.url('/redirect-same-host'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1.1 307 Temporary Redirect\r\nLocation: \/echo-headers\r\nContent-Length: 0\r\n\r\nHTTP\/1.1 200 OK\r\n/);
    expect(r.stdout).toMatch(/\r\n\r\nGET \/echo-headers HTTP\/1.1\r\n/);
  });

  test('-H, -A and the request sockkit writes', async () => {
    const r = await httpGet('-H', 'X-Test: 1', '-A', 'agent/9', '-H', 'Accept:', server.url('/echo-headers'));
    expect(r.code).toBe(0);
    const port = server.port;
    expect(r.stdout).toBe(`GET /echo-headers HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Test: 1\r\nUser-Agent: agent/9\r\nConnection: close\r\n\r\n`);
  });

  test('-o FILE writes the body and nothing to stdout', async () => {
    const file = join(dir, 'out.bin');
    const r = await httpGet('-o', file, server.url('/binary'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(file)).toEqual(Buffer.from([0, 1, 2, 3]));
  });

  test('binary to a pipe is fine (only a terminal is protected)', async () => {
    const r = await httpGet(server.url('/binary'));
    expect(r.code).toBe(0);
    expect(r.stdoutBytes).toEqual(Buffer.from([0, 1, 2, 3]));
  });

  test('--json: one document, no body on stdout', async () => {
    const r = await httpGet('--json', server.url('/ok'));
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      url: server.url('/ok'),
      status: 200,
      httpVersion: '1.1',
      headers: { 'content-type': 'text/plain', 'content-length': '6' },
      redirects: [],
      bytes: 6,
      tls: null,
      remoteAddress: '127.0.0.1',
    });
    for (const k of ['dnsMs', 'connectMs', 'ttfbMs', 'transferMs', 'totalMs']) expect(typeof doc.timings[k]).toBe('number');
    expect(doc.timings.tlsMs).toBeNull();
  });

  test('--json with -L lists the redirects', async () => {
    const r = await httpGet('--json', '-L', server.url('/redirect-same-host'));
    const doc = JSON.parse(r.stdout);
    expect(doc.status).toBe(200);
    expect(doc.redirects).toEqual([{ url: server.url('/redirect-same-host'), status: 307, location: '/echo-headers' }]);
  });

  test('--timing piped: phase, ms and start offset, tab-separated', async () => {
    const r = await httpGet('--timing', server.url('/ok'));
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(lines.map((l) => l[0])).toEqual(['DNS lookup', 'TCP connect', 'Server processing', 'Content transfer', 'Total']);
    for (const l of lines) expect(Number(l[1])).toBeGreaterThanOrEqual(0);
  });

  test('--trace tells the socket story', async () => {
    const r = await httpGet('--trace', '-o', '/dev/null', server.url('/ok'));
    expect(r.code).toBe(0);
    for (const step of ['connect', 'send', 'recv', 'close']) expect(r.stderr).toMatch(new RegExp(`\\] ${step}\\s`));
    expect(r.stderr).toMatch(/send\s+\d+ bytes \(request head\)/);
  });

  test('IPv6 literal URL', async () => {
    const r = await httpGet(server6.url('/ok'));
    expect(r).toMatchObject({ code: 0, stdout: 'hello\n' });
  });

  test('-4 with localhost connects over 127.0.0.1 (this machine maps localhost to IPv4 only)', async () => {
    const r = await httpGet('-4', '--json', `http://localhost:${server.port}/ok`);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).remoteAddress).toBe('127.0.0.1');
  });

  test('-6 with an IPv6 literal', async () => {
    const r = await httpGet('-6', '--json', server6.url('/ok'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).remoteAddress).toBe('::1');
  });
});

describe('http-get exit codes', () => {
  test.each<[string[], RegExp]>([
    [['ftp://127.0.0.1/'], /unsupported scheme 'ftp'/],
    [['http://exa mple/'], /bad URL/],
    [['-H', 'no colon here', 'http://127.0.0.1/'], /bad header/],
    [['-H', 'X: a\r\nInjected: 1', 'http://127.0.0.1/'], /control characters/],
    [['-4', 'http://[::1]:1/'], /IPv6 address, but -4/],
    [['--cacert', '/nonexistent/ca.pem', 'https://127.0.0.1:1/'], /bad --cacert/],
    [['--max-decoded-size', 'lots', 'http://127.0.0.1:1/'], /bad --max-decoded-size/],
    [['--stall-timeout', '0', 'http://127.0.0.1:1/'], /bad --stall-timeout/],
  ])('usage error %j → exit 2', async (args, message) => {
    const r = await httpGet(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expectCleanError(r, 'http-get');
  });

  test('connection refused → exit 4', async () => {
    const port = await freeTcpPort();
    const r = await httpGet(`http://127.0.0.1:${port}/`);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`sockkit http-get: connect 127.0.0.1:${port}: connection refused\n`);
  });

  test('--fail with 404 → exit 7 and no body; without --fail → exit 0 and the body', async () => {
    const failed = await httpGet('--fail', server.url('/missing'));
    expect(failed.code).toBe(7);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toMatch(/the server answered 404 Not Found \(--fail\)/);
    const plain = await httpGet(server.url('/missing'));
    expect(plain).toMatchObject({ code: 0, stdout: 'not found\n' });
  });

  test('--max-redirs 0 with -L: the first redirect is one too many', async () => {
    const r = await httpGet('-L', '--max-redirs', '0', server.url('/redirect-same-host'));
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/too many redirects: more than 0/);
  });

  test('--help states the timeouts and the --fail exit code', async () => {
    const r = await httpGet('--help');
    expect(r.stdout).toMatch(/Default --timeout for http-get: 300 s/);
    expect(r.stdout).toMatch(/--stall-timeout/);
    expect(r.stdout).toMatch(/exit 7/);
  });
});
