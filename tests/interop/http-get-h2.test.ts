// sockkit http-get over HTTP/2 against real servers on loopback: nginx (`listen ... ssl
// http2`, ALPN h2) with the interop cases of http-get-nginx.test.ts repeated over h2 and
// bodies byte-identical to curl --http2's; nghttpd speaking h2c for --http2-prior-knowledge.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { startNginx, type Nginx } from './peers/nginx.js';
import { startNghttpd, type Nghttpd } from './peers/nghttpd.js';

const SMALL = 'hello from nginx over h2\n';
const TEXT = Array.from({ length: 4000 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog\n`).join('');
const BIG = randomBytes(64 * 1024 * 1024);
const GIB = 1024 * 1024 * 1024;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describeWithPeers('http-get over HTTP/2 with nginx and nghttpd', ['nginx', 'nghttpd', 'openssl', 'curl'], () => {
  let nginx: Nginx;
  let nghttpd: Nghttpd;
  let dir: string;
  let h2: (path: string) => string;
  let curl: (...args: string[]) => Buffer;

  beforeAll(async () => {
    nginx = await startNginx({
      files: { 'small.txt': SMALL, 'text.txt': TEXT, 'big.bin': BIG },
      locations: 'location /echo-header { default_type text/plain; return 200 "x-sockkit: $http_x_sockkit\\n"; }',
    });
    // A sparse 1 GiB file: nginx sends zeros, nothing is written to disk.
    execFileSync('truncate', ['-s', String(GIB), join(nginx.docroot, 'gig.bin')]);
    dir = mkdtempSync(join(tmpdir(), 'sockkit-h2-interop-'));
    const docroot = join(dir, 'www');
    mkdirSync(docroot);
    writeFileSync(join(docroot, 'small.txt'), SMALL);
    writeFileSync(join(docroot, 'big.bin'), BIG);
    nghttpd = await startNghttpd(docroot);
    h2 = (path) => `https://localhost:${nginx.ports.h2}${path}`;
    curl = (...args) => execFileSync('curl', ['-s', '--cacert', nginx.caFile, ...args], { maxBuffer: 1 << 28 });
  }, 60000);

  afterAll(async () => {
    await nginx?.stop();
    await nghttpd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = (...args: string[]) => runSockkit(['http-get', '--cacert', nginx.caFile, ...args], { killAfterMs: 60000 });

  test('ALPN picks h2: the body equals curl --http2, --json says httpVersion 2 and alpn h2', async () => {
    const r = await get(h2('/small.txt'));
    expect(r).toMatchObject({ code: 0, stdout: SMALL, stderr: '' });
    expect(curl('--http2', h2('/small.txt')).toString()).toBe(r.stdout);
    const doc = JSON.parse((await get('--json', h2('/small.txt'))).stdout);
    expect(doc).toMatchObject({ status: 200, httpVersion: '2', bytes: SMALL.length, tls: { alpn: 'h2', verified: true } });
    expect(doc.timings.settingsMs).toBeGreaterThanOrEqual(0);
  });

  test('64 MiB: sha256 equal to the file and to curl --http2', async () => {
    const file = join(dir, 'big-h2.bin');
    const r = await get('-o', file, h2('/big.bin'));
    expect(r.code).toBe(0);
    expect(sha256(readFileSync(file))).toBe(sha256(BIG));
    expect(sha256(curl('--http2', h2('/big.bin')))).toBe(sha256(BIG));
    const piped = await get(h2('/big.bin'));
    expect(sha256(piped.stdoutBytes)).toBe(sha256(BIG));
  }, 60000);

  test('1 GiB to /dev/null: every byte counted', async () => {
    const r = await get('--json', '-o', '/dev/null', h2('/gig.bin'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ httpVersion: '2', bytes: GIB });
  }, 120000);

  test('--compressed: gzip over h2 decoded, equal to the file and to curl --http2 --compressed', async () => {
    const r = await get('--compressed', '-v', h2('/text.txt'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^< content-encoding: gzip$/m);
    expect(r.stderr).toMatch(/^> accept-encoding: gzip, deflate, br$/m);
    expect(r.stdout).toBe(TEXT);
    expect(curl('--http2', '--compressed', h2('/text.txt')).toString()).toBe(r.stdout);
  });

  test('-v: the header lists as h2 sends them, pseudo-headers first', async () => {
    const r = await get('-v', h2('/small.txt'));
    const requestLines = r.stderr.split('\n').filter((l) => l.startsWith('> ')).map((l) => l.slice(2));
    expect(requestLines.slice(0, 4)).toEqual([':method: GET', ':scheme: https', `:authority: localhost:${nginx.ports.h2}`, ':path: /small.txt']);
    expect(r.stderr).not.toMatch(/^> (host|connection):/im);
    expect(r.stderr).toMatch(/^< :status: 200$/m);
    expect(r.stderr).toMatch(/^< server: nginx/m);
    expect(r.stderr).toMatch(/ALPN h2/);
  });

  test('-i and -I: HTTP/2 status line and lower-case fields, as curl --http2 -i prints them', async () => {
    const r = await get('-i', h2('/small.txt'));
    expect(r.stdout).toMatch(/^HTTP\/2 200\r\nserver: nginx[^\r]*\r\n/);
    expect(r.stdout.endsWith(`\r\n\r\n${SMALL}`)).toBe(true);
    const curlHead = curl('--http2', '-i', h2('/small.txt')).toString();
    const names = (head: string) => head.split('\r\n\r\n')[0]!.split('\r\n').slice(1).map((l) => l.split(':')[0]);
    expect(names(r.stdout)).toEqual(names(curlHead));
    const head = await get('-I', h2('/big.bin'));
    expect(head.code).toBe(0);
    expect(head.stdout).toMatch(/^HTTP\/2 200\r\n/);
    expect(head.stdout).toMatch(/\r\ncontent-length: 67108864\r\n/);
    expect(head.stdout.endsWith('\r\n\r\n')).toBe(true);
  });

  test('-H reaches the server over h2', async () => {
    const r = await get('-H', 'X-Sockkit: over h2', h2('/echo-header'));
    expect(r).toMatchObject({ code: 0, stdout: 'x-sockkit: over h2\n' });
  });

  test('204, and 404 with and without --fail', async () => {
    expect(JSON.parse((await get('--json', h2('/no-content'))).stdout)).toMatchObject({ status: 204, bytes: 0, httpVersion: '2' });
    const plain = await get(h2('/missing'));
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/404 Not Found/);
    const failed = await get('--fail', h2('/missing'));
    expect(failed.code).toBe(7);
    expect(failed.stdout).toBe('');
    expectCleanError(failed, 'http-get');
  });

  test('-L within h2, and across protocols: h2 → an absolute http:// URL (HTTP/1.1)', async () => {
    const within = await get('-L', '--json', '-o', join(dir, 'r1.txt'), h2('/redirect/chain'));
    expect(JSON.parse(within.stdout)).toMatchObject({ status: 200, httpVersion: '2', url: h2('/small.txt') });
    const across = await get('-L', '-v', '--json', '-o', join(dir, 'r2.txt'), h2('/redirect/absolute'));
    expect(across.code).toBe(0);
    expect(JSON.parse(across.stdout)).toMatchObject({ status: 200, httpVersion: '1.1', redirects: [{ status: 301 }] });
    expect(across.stderr).toMatch(/^< :status: 301$/m);
    expect(across.stderr).toMatch(/^> GET \/small.txt HTTP\/1.1$/m);
    expect(readFileSync(join(dir, 'r2.txt'), 'utf8')).toBe(SMALL);
    // --http2 cannot follow to http:// (no ALPN there): exit 7, not a silent HTTP/1.1.
    const required = await get('-L', '--http2', h2('/redirect/absolute'));
    expect(required.code).toBe(7);
    expect(required.stderr).toMatch(/needs --http2-prior-knowledge/);
  });

  test('--timing shows the settings exchange as a phase', async () => {
    const r = await get('--timing', h2('/small.txt'));
    expect(r.code).toBe(0);
    const phases = r.stdout.trim().split('\n').map((l) => l.split('\t')[0]);
    expect(phases).toEqual(['DNS lookup', 'TCP connect', 'TLS handshake', 'HTTP/2 settings', 'Server processing', 'Content transfer', 'Total']);
  });

  test('--trace shows the frames: SETTINGS values, HEADERS, DATA summarised', async () => {
    const r = await get('--trace', '-o', '/dev/null', h2('/big.bin'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/send +SETTINGS stream 0 \[-\] 18 bytes: ENABLE_PUSH=0 INITIAL_WINDOW_SIZE=\d+ MAX_HEADER_LIST_SIZE=262144/);
    expect(r.stderr).toMatch(/recv +SETTINGS stream 0 \[-\] \d+ bytes: .*MAX_CONCURRENT_STREAMS=128/);
    expect(r.stderr).toMatch(/send +HEADERS stream 1 \[END_STREAM\|END_HEADERS\]/);
    expect(r.stderr).toMatch(/recv +DATA: \d+ frames, 67108864 bytes/);
    expect(r.stderr.split('\n').filter((l) => / DATA stream 1 /.test(l))).toHaveLength(3);
  });

  test('--http1.1 against the h2 port: HTTP/1.1; --http2 against an https port without h2: exit 7', async () => {
    const one = JSON.parse((await get('--http1.1', '--json', h2('/small.txt'))).stdout);
    expect(one).toMatchObject({ httpVersion: '1.1', tls: { alpn: 'http/1.1' } });
    const refused = await get('--http2', `https://localhost:${nginx.ports.https}/small.txt`);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toMatch(/did not pick HTTP\/2 in ALPN \(it picked http\/1.1\)/);
    expectCleanError(refused, 'http-get');
  });

  test('nghttpd, h2c with --http2-prior-knowledge: bodies equal the files and curl --http2-prior-knowledge', async () => {
    const url = (p: string) => `http://127.0.0.1:${nghttpd.port}${p}`;
    const small = await get('--http2-prior-knowledge', url('/small.txt'));
    expect(small).toMatchObject({ code: 0, stdout: SMALL });
    const big = await get('--http2-prior-knowledge', url('/big.bin'));
    expect(big.code).toBe(0);
    expect(sha256(big.stdoutBytes)).toBe(sha256(BIG));
    expect(sha256(execFileSync('curl', ['-s', '--http2-prior-knowledge', url('/big.bin')], { maxBuffer: 1 << 28 }))).toBe(sha256(BIG));
    const doc = JSON.parse((await get('--http2-prior-knowledge', '--json', url('/small.txt'))).stdout);
    expect(doc).toMatchObject({ httpVersion: '2', tls: null, headers: { server: expect.stringMatching(/^nghttpd/) } });
  }, 60000);

  test('nghttpd, several h2c URLs: one connection, a stream each (-Z: concurrent); the bytes equal curl --http2-prior-knowledge', async () => {
    const urls = ['/small.txt', '/big.bin', '/small.txt', '/small.txt', '/small.txt'].map((p) => `http://127.0.0.1:${nghttpd.port}${p}`);
    // One curl per URL: curl 7.88's second request on an h2c prior-knowledge connection fails (exit 16).
    const curl = Buffer.concat(urls.map((u) => execFileSync('curl', ['-s', '--http2-prior-knowledge', u], { maxBuffer: 1 << 28 })));
    for (const extra of [[], ['-Z']]) {
      const r = await get('--http2-prior-knowledge', '--trace', ...extra, ...urls);
      expect(r.code).toBe(0);
      expect(sha256(r.stdoutBytes)).toBe(sha256(curl));
      expect(r.stderr).toContain('1 connection opened for 5 URLs, 4 requests on a kept-alive one');
      expect(r.stderr).toMatch(/send +HEADERS stream 9 /);
    }
  }, 60000);

  test('plain http without --http2-prior-knowledge stays HTTP/1.1 (no h2c upgrade)', async () => {
    const r = JSON.parse((await get('--json', `http://127.0.0.1:${nginx.ports.http}/small.txt`)).stdout);
    expect(r.httpVersion).toBe('1.1');
  });
});
