// sockkit http-get against a real nginx on loopback: plain and TLS (a test CA made
// by openssl in a temp dir), framing nginx really uses, redirects, certificates
// that must be refused, IPv6, and the same bytes as curl.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { startNginx, type Nginx } from './peers/nginx.js';

const SMALL = 'hello from nginx\n';
const TEXT = Array.from({ length: 4000 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog\n`).join('');
const BIG = randomBytes(64 * 1024 * 1024);

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describeWithPeers('http-get interop with nginx', ['nginx', 'openssl', 'curl'], () => {
  let nginx: Nginx;
  let dir: string;
  let http: (path: string, host?: string) => string;
  let https: (path: string, port?: number, host?: string) => string;

  beforeAll(async () => {
    nginx = await startNginx({ files: { 'small.txt': SMALL, 'text.txt': TEXT, 'big.bin': BIG } });
    dir = mkdtempSync(join(tmpdir(), 'sockkit-http-interop-'));
    http = (path, host = '127.0.0.1') => `http://${host}:${nginx.ports.http}${path}`;
    https = (path, port = nginx.ports.https, host = 'localhost') => `https://${host}:${port}${path}`;
  }, 60000);

  afterAll(async () => {
    await nginx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = (...args: string[]) => runSockkit(['http-get', ...args], { killAfterMs: 60000 });

  test('a small file, byte for byte the same as curl', async () => {
    const r = await get(http('/small.txt'));
    expect(r).toMatchObject({ code: 0, stdout: SMALL, stderr: '' });
    expect(execFileSync('curl', ['-s', http('/small.txt')]).toString()).toBe(r.stdout);
  });

  test.each(['http', 'https'])('a 64 MiB file over %s: sha256 equal to the file', async (scheme) => {
    const file = join(dir, `big-${scheme}.bin`);
    const url = scheme === 'http' ? http('/big.bin') : https('/big.bin');
    const r = await get('--cacert', nginx.caFile, '-o', file, url);
    expect(r.code).toBe(0);
    expect(sha256(readFileSync(file))).toBe(sha256(BIG));
  }, 60000);

  test('a 64 MiB file to a pipe: sha256 equal to the file', async () => {
    const r = await get(http('/big.bin'));
    expect(r.code).toBe(0);
    expect(sha256(r.stdoutBytes)).toBe(sha256(BIG));
  }, 60000);

  test('--compressed: nginx sends gzip, chunked; the decoded body equals the file and curl --compressed', async () => {
    const r = await get('--compressed', '-v', http('/text.txt'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^< Content-Encoding: gzip$/m);
    expect(r.stderr).toMatch(/^< Transfer-Encoding: chunked$/m);
    expect(r.stdout).toBe(TEXT);
    expect(execFileSync('curl', ['-s', '--compressed', http('/text.txt')], { maxBuffer: 1 << 24 }).toString()).toBe(r.stdout);
  });

  test('without --compressed no Accept-Encoding is sent and the body is plain', async () => {
    const r = await get('-v', http('/text.txt'));
    expect(r.stderr).not.toMatch(/Accept-Encoding/);
    expect(r.stderr).not.toMatch(/Content-Encoding/);
    expect(r.stdout).toBe(TEXT);
  });

  test('HTTP/1.0 request: nginx ends a gzip body by closing the connection', async () => {
    const r = await get('--http10', '--compressed', '-v', http('/text.txt'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^> GET \/text.txt HTTP\/1.0$/m);
    expect(r.stderr).not.toMatch(/^< (Content-Length|Transfer-Encoding)/m);
    expect(r.stdout).toBe(TEXT);
  });

  test('HEAD (-I): the head, Content-Length but no body', async () => {
    const r = await get('-I', http('/big.bin'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    expect(r.stdout).toMatch(/\r\nContent-Length: 67108864\r\n/);
    expect(r.stdout.endsWith('\r\n\r\n')).toBe(true);
  });

  test('204 No Content', async () => {
    const r = await get('--json', http('/no-content'));
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 204, bytes: 0 });
  });

  test('404: body without --fail (exit 0); exit 7 and no body with it', async () => {
    const plain = await get(http('/missing'));
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/404 Not Found/);
    const failed = await get('--fail', http('/missing'));
    expect(failed.code).toBe(7);
    expect(failed.stdout).toBe('');
    expectCleanError(failed, 'http-get');
  });

  test.each(['301', '302', '303', '307', '308', 'absolute', 'relative', 'chain'])('redirect %s with -L', async (kind) => {
    const r = await get('-L', '--json', '-o', join(dir, `redirect-${kind}.txt`), http(`/redirect/${kind}`));
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.status).toBe(200);
    expect(doc.url).toBe(http('/small.txt'));
    expect(doc.redirects.length).toBeGreaterThanOrEqual(1);
    if (/^\d+$/.test(kind)) expect(doc.redirects[0].status).toBe(Number(kind));
    expect(readFileSync(join(dir, `redirect-${kind}.txt`), 'utf8')).toBe(SMALL);
  });

  test('a redirect loop ends with a clear error (exit 7)', async () => {
    const r = await get('-L', http('/redirect/loop-a'));
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/redirect loop: .*loop-a → .*loop-b → .*loop-a/);
    expectCleanError(r, 'http-get');
  });

  test('a redirect to file:// is refused (exit 7)', async () => {
    const r = await get('-L', http('/redirect/file'));
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/only http and https/);
  });

  test('https with --cacert: verified, TLS details in --json', async () => {
    const r = await get('--cacert', nginx.caFile, '--json', https('/small.txt'));
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.tls).toMatchObject({ protocol: expect.stringMatching(/^TLSv1\.[23]$/), peerSubject: 'localhost', verified: true, alpn: 'http/1.1' });
    expect(typeof doc.tls.cipher).toBe('string');
    expect(new Date(doc.tls.validTo).getTime()).toBeGreaterThan(Date.now());
    expect(doc.timings.tlsMs).toBeGreaterThan(0);
  });

  test('https to an IP address (no SNI) is checked against the IP in the certificate', async () => {
    const r = await get('--cacert', nginx.caFile, https('/small.txt', nginx.ports.https, '127.0.0.1'));
    expect(r).toMatchObject({ code: 0, stdout: SMALL });
  });

  test('https without --cacert: the test CA is not trusted (exit 6)', async () => {
    const r = await get(https('/small.txt'));
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/unable to verify the first certificate.*--cacert/);
    expectCleanError(r, 'http-get');
  });

  test.each<[string, keyof Nginx['ports'], RegExp]>([
    ['wrong name', 'wrongName', /the certificate is not for localhost \(it names DNS:wrong\.example\) \(use a URL with a name the certificate lists/],
    ['expired', 'expired', /the certificate has expired \(the server must renew it/],
    ['self-signed', 'selfSigned', /self-signed certificate/],
  ])('%s certificate: exit 6', async (_name, port, message) => {
    const r = await get('--cacert', nginx.caFile, https('/small.txt', nginx.ports[port]));
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(message);
    expectCleanError(r, 'http-get');
  });

  test('-k accepts the self-signed certificate, with a warning', async () => {
    const r = await get('-k', https('/small.txt', nginx.ports.selfSigned));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(SMALL);
    expect(r.stderr).toMatch(/warning: TLS certificates are not verified/);
  });

  test('an https URL to the plain http port: exit 6', async () => {
    const r = await get(https('/small.txt', nginx.ports.http));
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/did not answer in TLS/);
    expectCleanError(r, 'http-get');
  });

  test('IPv6: http and https to [::1]', async () => {
    const plain = await get(http('/small.txt', '[::1]'));
    expect(plain).toMatchObject({ code: 0, stdout: SMALL });
    const secure = await get('--cacert', nginx.caFile, '--json', https('/small.txt', nginx.ports.https, '[::1]'));
    expect(secure.code).toBe(0);
    expect(JSON.parse(secure.stdout)).toMatchObject({ remoteAddress: '::1', tls: { verified: true } });
  });
});
