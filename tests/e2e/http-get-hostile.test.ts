// sockkit http-get against a server that answers wrongly on purpose: every case ends
// in a clear one-line error with the documented exit code, within its timeout.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { startHostileServer, type HostileServer } from '../fixtures/http/hostile-server.js';

let server: HostileServer;

beforeAll(async () => {
  server = await startHostileServer();
});

afterAll(async () => {
  await server.close();
});

async function get(path: string, extra: string[] = []) {
  const started = Date.now();
  const result = await runSockkit(['http-get', server.url(path), ...extra], { killAfterMs: 25000 });
  return { ...result, elapsedMs: Date.now() - started };
}

describe('http-get survives hostile servers', () => {
  // [path, extra flags, exit code, stderr pattern]
  const cases: Array<[string, string[], number, RegExp]> = [
    ['/endless-headers', [], 7, /headers are larger than 256 KiB/],
    ['/endless-header-line', [], 7, /a header line is longer than 64 KiB/],
    ['/nul-in-header', [], 7, /control character \(such as NUL\) in header "X-Bad"/],
    ['/status-abc', [], 7, /bad status code "abc"/],
    ['/status-2000', [], 7, /bad status code "2000"/],
    ['/garbage', [], 7, /not an HTTP response \(it starts with "SSH-2.0/],
    ['/cl-shorter-than-body', [], 7, /bytes after the end of the body \(Content-Length is shorter than the body\)/],
    ['/cl-longer-than-body', [], 7, /closed after 9 of 100 body bytes/],
    ['/cl-conflict', [], 7, /conflicting Content-Length values \(5, 6\)/],
    ['/cl-and-chunked', [], 7, /both Transfer-Encoding and Content-Length/],
    ['/chunk-invalid', [], 7, /bad chunk size "zz"/],
    ['/chunk-negative', [], 7, /bad chunk size "-5"/],
    ['/chunk-18-hex', [], 7, /chunk size "FFFFFFFFFFFFFFFFFF" is too large/],
    ['/chunk-missing-crlf', [], 7, /not followed by CRLF/],
    ['/chunk-no-final', [], 7, /closed before the last chunk/],
    ['/chunk-endless-extension', [], 7, /chunk-size line \(with extensions\) is longer than 4 KiB/],
    ['/endless-102', [], 7, /more than 50 interim 1xx responses/],
    ['/upgrade', [], 7, /switched protocols \(101\)/],
    ['/reset-mid-body', [], 7, /connection reset by peer after 1000 body bytes/],
    ['/redirect-file', ['-L'], 7, /refused redirect: to file:\/\/\/etc\/passwd: only http and https/],
    ['/redirect-self', ['-L'], 7, /redirect loop/],
    ['/gzip-bomb', ['--compressed', '--max-decoded-size', '8M', '-o', '/dev/null'], 7, /decodes to more than 8388608 bytes/],
    ['/cl-overflow', [], 7, /Content-Length "0000(9){20}" is too large/],
    ['/te-gzip-truncated', [], 7, /bad gzip body: unexpected end of file/],
    ['/te-compress', [], 7, /unsupported transfer coding "compress"/],
    ['/te-unknown-chunked', [], 7, /unsupported transfer coding "sockkit-secret"/],
  ];

  test.concurrent.each(cases)('%s %j → exit %d', async (path, extra, code, message) => {
    const r = await get(path, extra);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code, stderr: expect.stringMatching(message) });
    expectCleanError(r, 'http-get');
  });

  test('a gzip bomb is stopped by the default cap (1 GiB decoded)', async () => {
    const r = await get('/gzip-bomb', ['--compressed', '-o', '/dev/null']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/decodes to more than 1073741824 bytes \(a compression bomb\?\)/);
    expectCleanError(r, 'http-get');
  }, 60000);

  // Timeouts: exit 5, and the run ends near its budget (a hang guard, not a speed test).
  test.concurrent.each<[string, string[], RegExp, number]>([
    ['/headers-then-idle', ['--stall-timeout', '1'], /no data for 1 s in the middle of the response head/, 1000],
    ['/never-answer', ['--stall-timeout', '1'], /no data for 1 s waiting for the response/, 1000],
    ['/never-answer', ['--timeout', '1.5'], /timed out after 1.5 s/, 1500],
    ['/byte-every-2s', ['--timeout', '3'], /timed out after 3 s/, 3000],
  ])('%s %j → exit 5', async (path, extra, message, budgetMs) => {
    const r = await get(path, extra);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(message);
    expectCleanError(r, 'http-get');
    // A hang guard with room for a loaded machine; a real hang would also get another exit code.
    expect(r.elapsedMs).toBeLessThan(budgetMs + 12000);
  });

  test('a TLS server that never answers the ClientHello: --connect-timeout ends it (exit 5)', async () => {
    const started = Date.now();
    const r = await runSockkit(['http-get', '--connect-timeout', '1', `https://127.0.0.1:${server.port}/`], { killAfterMs: 25000 });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/TLS handshake with 127.0.0.1:\d+: no handshake after 1 s \(raise it with --connect-timeout SECONDS\)/);
    expect(Date.now() - started).toBeLessThan(13000);
  });
});

describe('http-get handles unusual but valid framing', () => {
  test.concurrent.each<[string, string[], string]>([
    ['/http10-close', [], 'close-delimited body\n'],
    ['/chunked-ext-trailers', [], 'chunk trailer'],
    ['/interim-then-ok', [], 'ok\n'],
    ['/no-content', [], ''],
    ['/keep-open', [], 'open\n'],
    ['/cl-leading-zeros', [], 'hello world\n'],
    ['/cl-300-zeros', [], 'hello world\n'],
    ['/cl-zeros-agree', [], 'hello world\n'],
    ['/te-gzip-close', [], 'decoded from a gzip transfer coding\n'],
    ['/te-gzip-chunked', [], 'gzip, then chunked\n'],
    ['/gzip-empty', ['--compressed'], ''],
    ['/gzip-empty-chunked', ['--compressed'], ''],
  ])('%s %j', async (path, extra, body) => {
    const r = await get(path, extra);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(body);
  });

  test('a server that keeps the connection open after the body does not hang the client', async () => {
    const r = await get('/keep-open', ['--stall-timeout', '20']);
    expect(r.code).toBe(0);
    expect(r.elapsedMs).toBeLessThan(10000);
  });

  test('-v shows interim responses and the final head on stderr', async () => {
    const r = await get('/interim-then-ok', ['-v']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^> GET \/interim-then-ok HTTP\/1.1$/m);
    expect(r.stderr).toMatch(/^< HTTP\/1.1 100 Continue$/m);
    expect(r.stderr).toMatch(/^< HTTP\/1.1 103 Early Hints$/m);
    expect(r.stderr).toMatch(/^< HTTP\/1.1 200 OK$/m);
  });
});

describe('redirects and credentials', () => {
  test('Authorization and Cookie are not sent to another host', async () => {
    const r = await get('/redirect-other-host', ['-L', '-H', 'Authorization: Bearer secret', '-H', 'Cookie: id=1', '-H', 'X-Other: kept']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^GET \/echo-headers HTTP\/1.1\r\nHost: localhost:\d+\r\n/);
    expect(r.stdout).toMatch(/X-Other: kept/);
    expect(r.stdout).not.toMatch(/Authorization|Cookie|secret/);
  });

  test('they are sent again on the same host', async () => {
    const r = await get('/redirect-same-host', ['-L', '-H', 'Authorization: Bearer secret']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Authorization: Bearer secret/);
  });

  test('without -L a redirect is the answer', async () => {
    const r = await get('/redirect-same-host', ['-i']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1.1 307 Temporary Redirect\r\nLocation: \/echo-headers\r\n/);
  });
});
