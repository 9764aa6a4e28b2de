// DNS over HTTPS (RFC 8484) against unbound's https-port (HTTP/2), with dig +https as the
// reference client: answers equal for several types over POST and GET, the TLS facts in
// JSON, -v and --trace as DoT shows them, a wrong name and an untrusted CA (exit 6), -k,
// a path the server does not serve (HTTP 404, exit 7), and a batch of 200 names as
// concurrent streams of one connection (one TCP connect, one TLS handshake).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { makeCertificates } from './peers/nginx.js';
import { nameWithDeadFirstAddress, startUnbound, type UnboundPeer } from './peers/unbound.js';
import { inSandbox } from '../helpers/sandbox.js';

const execFileAsync = promisify(execFile);
const BATCH = Array.from({ length: 200 }, (_, i) => `b${i}.tls.example.test`);

interface Row {
  name: string;
  status: string;
  server: string;
  transport: string;
  id?: number;
  answers: Array<{ value: string }>;
  tls: { protocol: string; cipher: string; alpn: string; peerSubject: string; verified: boolean; verifyError: string | null };
}

describeWithPeers('resolve over HTTPS against unbound (compared with dig +https)', ['unbound', 'dig', 'openssl'], () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let unbound: UnboundPeer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sockkit-doh-'));
    certs = makeCertificates(dir);
    const batchData = BATCH.map((n, i) => `${n}. 60 IN A 198.51.100.${(i % 250) + 1}`);
    unbound = await startUnbound(certs.good[0], certs.good[1], batchData, { https: true });
  }, 30000);

  afterAll(async () => {
    await unbound?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const doh = () => [`@https://127.0.0.1:${unbound.httpsPort}/dns-query`, '--cacert', certs.ca];

  async function digHttps(name: string, type: string, get: boolean): Promise<string> {
    const { stdout } = await execFileAsync('dig', [get ? '+https-get' : '+https', `+tls-ca=${certs.ca}`, '+tls-hostname=localhost', '@127.0.0.1', '-p', String(unbound.httpsPort), name, type, '+short', '+time=5']);
    return stdout;
  }

  test.each([
    ['A', 'POST'],
    ['AAAA', 'POST'],
    ['TXT', 'POST'],
    ['MX', 'POST'],
    ['A', 'GET'],
    ['TXT', 'GET'],
    ['MX', 'GET'],
  ])('--short %s over HTTPS (%s) equals dig +https +short', async (type, method) => {
    const name = type === 'MX' ? 'mail.tls.example.test' : 'www.tls.example.test';
    const get = method === 'GET';
    const r = await runSockkit(['resolve', name, ...doh(), '--tls-hostname', 'localhost', '--type', type, '--short', ...(get ? ['--doh-get'] : [])]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toBe('');
    expect(r.stdout).toBe(await digHttps(name, type, get));
  });

  test('--trace shows the method, the stream and the h2 frames: POST carries a body, GET none', async () => {
    const post = await runSockkit(['resolve', 'www.tls.example.test', ...doh(), '--type', 'A', '--trace']);
    expect(post.code).toBe(0);
    expect(post.stderr).toMatch(/send\s+POST 128-byte query on stream 1 to https:\/\/127\.0\.0\.1:\d+\/dns-query/);
    expect(post.stderr).toMatch(/send\s+DATA stream 1 \[END_STREAM\] 128 bytes/);
    const get = await runSockkit(['resolve', 'www.tls.example.test', ...doh(), '--type', 'A', '--trace', '--doh-get']);
    expect(get.code).toBe(0);
    expect(get.stderr).toMatch(/send\s+GET 128-byte query on stream 1/);
    expect(get.stderr).toMatch(/send\s+HEADERS stream 1 \[END_STREAM\|END_HEADERS\]/);
    expect(get.stderr).not.toMatch(/send\s+DATA stream 1/);
  });

  test('JSON: the server as a URL, transport https, message ID 0, the TLS facts (ALPN h2)', async () => {
    const r = await runSockkit(['resolve', 'www.tls.example.test', `@https://localhost:${unbound.httpsPort}`, '-4', '--cacert', certs.ca, '--type', 'A', '--json']);
    expect(r.code).toBe(0);
    const [row] = JSON.parse(r.stdout) as Row[];
    expect(row!.server).toBe(`https://127.0.0.1:${unbound.httpsPort}/dns-query`);
    expect(row!.transport).toBe('https');
    expect(row!.id).toBe(0);
    expect(row!.answers.map((a) => a.value)).toEqual(['192.0.2.80']);
    expect(row!.tls).toMatchObject({ protocol: expect.stringMatching(/^TLSv1\.[23]$/), cipher: expect.any(String), alpn: 'h2', peerSubject: 'localhost', verified: true });
  });

  test('-v: the reply as dig shows it, the server and its TLS', async () => {
    const r = await runSockkit(['resolve', 'www.tls.example.test', ...doh(), '--type', 'A', '-v']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/status: NOERROR, id: 0\n/);
    expect(r.stdout).toMatch(/www\.tls\.example\.test\.\t60\tIN\tA\t192\.0\.2\.80/);
    expect(r.stdout).toMatch(new RegExp(`;; SERVER: https://127\\.0\\.0\\.1:${unbound.httpsPort}/dns-query \\(HTTPS\\)`));
    expect(r.stdout).toMatch(/;; TLS: TLSv1\.[23] \S+ cert=localhost\n/);
  });

  test('a wrong name (--tls-hostname wrong.example): TLS failure, exit 6, no answer', async () => {
    const r = await runSockkit(['resolve', 'www.tls.example.test', ...doh(), '--tls-hostname', 'wrong.example', '--type', 'A']);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/\tTLS \(the certificate is not for wrong\.example/);
    expect(r.stdout).not.toMatch(/192\.0\.2\.80/);
  });

  test('an untrusted certificate (the test CA without --cacert): exit 6; -k answers and reports it unverified', async () => {
    const plain = ['resolve', 'www.tls.example.test', `@https://127.0.0.1:${unbound.httpsPort}`, '--type', 'A'];
    const refused = await runSockkit(plain);
    expect(refused.code).toBe(6);
    expect(refused.stdout).toMatch(/\tTLS \(/);
    expect(refused.stdout).not.toMatch(/192\.0\.2\.80/);
    const insecure = await runSockkit([...plain, '-k', '--json']);
    expect(insecure.code).toBe(0);
    const [row] = JSON.parse(insecure.stdout) as Row[];
    expect(row!.answers[0]!.value).toBe('192.0.2.80');
    expect(row!.tls.verified).toBe(false);
    expect(row!.tls.verifyError).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/i);
  });

  test('a path unbound does not serve: its HTTP 404 said, exit 7', async () => {
    const r = await runSockkit(['resolve', 'www.tls.example.test', `@https://127.0.0.1:${unbound.httpsPort}/resolve`, '--cacert', certs.ca, '--type', 'A']);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(/ERROR \(the server answered HTTP 404/);
  });

  test('200 names ride one connection as concurrent streams: one connect, one TLS handshake, every answer right', async () => {
    const r = await runSockkit(['resolve', '-', ...doh(), '--type', 'A', '--trace', '--json', '--concurrency', '200'], { input: BATCH.join('\n') });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows).toHaveLength(200);
    expect(rows.map((x) => x.answers.map((a) => a.value).join())).toEqual(BATCH.map((_, i) => `198.51.100.${(i % 250) + 1}`));
    expect(r.stderr.match(/connected\s/g)).toHaveLength(1);
    expect(r.stderr.match(/tls\s+TLSv1\.[23] \S+ ALPN=h2 cert=localhost/g)).toHaveLength(1);
    // 200 streams, odd IDs 1..399, on that one connection; beyond unbound's 100 at once, each waits for a free one
    expect(r.stderr).toMatch(/recv\s+SETTINGS stream 0 \[-\] \d+ bytes: MAX_CONCURRENT_STREAMS=100/);
    expect(r.stderr.match(/query on stream to come \(the server's stream limit reached\)/g)).toHaveLength(100);
    expect(r.stderr).toMatch(/recv\s+HEADERS stream 399 /);
    expect(r.stderr).not.toMatch(/HEADERS stream 401 /);
    expect(r.stderr).not.toMatch(/reconnect/);
  });

  test('nothing listening on the DoH port: unreachable, exit 4, at once', async () => {
    const started = Date.now();
    const r = await runSockkit(['resolve', 'www.tls.example.test', `@https://127.0.0.1:${unbound.tlsPort + 1 === unbound.httpsPort ? unbound.tlsPort + 2 : unbound.tlsPort + 1}`, '--cacert', certs.ca, '--timeout', '10']);
    expect(r.code).toBe(4);
    expect(Date.now() - started).toBeLessThan(10000);
    expect(r.stdout).toMatch(/UNREACHABLE \(connection refused\)/);
  });

  (inSandbox() ? test : test.skip)('a server given by name is reached over every address it resolves to (Happy Eyeballs): ::1 refused, then 127.0.0.1', async () => {
    const world = nameWithDeadFirstAddress(dir, 'dns.example.test');
    const server = `@https://dns.example.test:${unbound.httpsPort}/dns-query`;
    const r = await runSockkit(['resolve', 'www.tls.example.test', server, '--tls-hostname', 'localhost', '--cacert', certs.ca, '--type', 'A', '--json', '--trace'], world);
    expect(r.code).toBe(0);
    const [row] = JSON.parse(r.stdout) as Array<{ server: string; answers: Array<{ value: string }> }>;
    expect(row!.answers.map((a) => a.value)).toEqual(['192.0.2.80']);
    expect(row!.server).toBe(`https://127.0.0.1:${unbound.httpsPort}/dns-query`); // the address that answered, not the first
    expect(r.stderr).toMatch(/\[::1\]:\d+: connection refused; trying the next address/);
  });
});
