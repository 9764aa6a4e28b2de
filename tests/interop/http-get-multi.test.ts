// http-get with several URLs beside curl with the same URLs, on one real nginx that
// logs the connection each request came on ($connection): the same bytes on stdout,
// the same -O files, as few connections as curl, the worst exit code; and
// --unix-socket against nginx listening on a Unix socket beside curl --unix-socket.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit, SOCKKIT_BIN } from '../helpers/run-sockkit.js';
import { startNginx, type Nginx } from './peers/nginx.js';

describeWithPeers('http-get URL URL … beside curl on nginx', ['nginx', 'openssl', 'curl'], () => {
  let nginx: Nginx;
  let dir: string;
  let accessLog: string;
  let socket: string;
  let base: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sockkit-multi-'));
    chmodSync(dir, 0o777); // nginx's workers write the log and the socket here
    accessLog = join(dir, 'connections.log');
    socket = join(dir, 'web.sock');
    nginx = await startNginx({
      files: { 'a.txt': 'first file\n', 'b.txt': 'second file\n', 'blob.bin': randomBytes(150_000), 'empty.txt': '' },
      httpBlock: "log_format connections '$connection $connection_requests $request_uri $status';",
      plainServer: `listen unix:${socket}; access_log ${accessLog} connections;`,
      locations: 'location /host { return 200 "host=$http_host uri=$request_uri\\n"; } location /conn { return 200 "connection $connection\\n"; }',
    });
    mkdirSync(join(nginx.docroot, 'sub'), { mode: 0o755 });
    writeFileSync(join(nginx.docroot, 'sub', 'c.txt'), 'third file\n', { mode: 0o644 });
    base = `http://127.0.0.1:${nginx.ports.http}`;
  }, 60000);
  afterAll(async () => {
    await nginx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The access log's lines since the last call: [connection, request on it, uri, status]. */
  let logged = 0;
  const newLogLines = (): string[][] => {
    const lines = readFileSync(accessLog, 'utf8').trimEnd().split('\n').filter(Boolean);
    const fresh = lines.slice(logged);
    logged = lines.length;
    return fresh.map((l) => l.split(' '));
  };
  const connections = (lines: string[][]) => new Set(lines.map((l) => l[0])).size;

  test('the same bytes on stdout as curl, over as few connections as curl (one)', async () => {
    const urls = ['/a.txt', '/blob.bin', '/empty.txt', '/sub/c.txt', '/a.txt'].map((p) => `${base}${p}`);
    newLogLines();
    const r = await runSockkit(['http-get', ...urls]);
    expect(r.code).toBe(0);
    const ours = newLogLines();
    const curl = execFileSync('curl', ['-s', ...urls], { maxBuffer: 1 << 24 });
    const theirs = newLogLines();
    expect(r.stdoutBytes.equals(curl)).toBe(true);
    expect(r.stdoutBytes.length).toBe(11 + 150_000 + 0 + 11 + 11);
    expect(ours.map((l) => l.slice(1))).toEqual(urls.map((u, i) => [String(i + 1), u.slice(base.length), '200']));
    expect(connections(ours)).toBe(1);
    expect(connections(theirs)).toBe(1);
  });

  test('-Z: the same bytes as the sequential run, in argument order', async () => {
    const urls = Array.from({ length: 12 }, (_, i) => `${base}/${['a.txt', 'blob.bin', 'sub/c.txt'][i % 3]}`);
    const r = await runSockkit(['http-get', '-Z', '--parallel-max', '4', ...urls]);
    expect(r.code).toBe(0);
    const curl = execFileSync('curl', ['-s', ...urls], { maxBuffer: 1 << 24 });
    expect(r.stdoutBytes.equals(curl)).toBe(true);
    expect(connections(newLogLines().slice(-12))).toBeLessThanOrEqual(4);
  });

  test('-O saves the files curl -O saves, byte for byte; a URL without a name is refused alone (exit 2)', async () => {
    const urls = ['/a.txt', '/sub/c.txt', '/blob.bin'].map((p) => `${base}${p}`);
    const ours = mkdtempSync(join(dir, 'ours-'));
    const theirs = mkdtempSync(join(dir, 'curl-'));
    const r = spawnSync(process.execPath, [SOCKKIT_BIN, 'http-get', '-O', `${base}/`, ...urls], { cwd: ours, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toBe(`sockkit http-get: -O ${base}/: the URL has no file name to save as (its path ends in '/') (give this URL a name with -o FILE)\n`);
    execFileSync('curl', ['-s', ...urls.flatMap((u) => ['-O', u])], { cwd: theirs });
    expect(readdirSync(ours).sort()).toEqual(['a.txt', 'blob.bin', 'c.txt']);
    expect(readdirSync(ours).sort()).toEqual(readdirSync(theirs).sort());
    for (const name of readdirSync(theirs)) expect(readFileSync(join(ours, name)).equals(readFileSync(join(theirs, name)))).toBe(true);
  });

  test('the worst exit code: a 404 under -f (7) beside a refused port (4) and a good URL', async () => {
    const r = await runSockkit(['http-get', '-f', `${base}/a.txt`, `${base}/missing`, 'http://127.0.0.1:1/', `${base}/b.txt`]);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('first file\nsecond file\n');
    expect(r.stderr.split('\n')[0]).toBe(`sockkit http-get: GET ${base}/missing: the server answered 404 Not Found (--fail)`);
    expect(r.stderr.split('\n')[1]).toMatch(/^sockkit http-get: GET http:\/\/127\.0\.0\.1:1\/: connect 127\.0\.0\.1:1: connection refused/);
    // curl also goes on after a failed URL and reports the last failure's code (22 for -f).
    expect(spawnSync('curl', ['-s', '-f', `${base}/a.txt`, `${base}/missing`, `${base}/b.txt`]).stdout.toString()).toBe(r.stdout);
  });

  test('--json: one record per URL, connection ids as nginx saw them', async () => {
    newLogLines();
    const r = await runSockkit(['http-get', '--json', `${base}/a.txt`, `${base}/b.txt`, `${base}/sub/c.txt`]);
    const records = JSON.parse(r.stdout) as Array<{ status: number; bytes: number; connection: { id: number; reused: boolean } }>;
    expect(records.map((x) => [x.status, x.bytes, x.connection.reused])).toEqual([
      [200, 11, false],
      [200, 12, true],
      [200, 11, true],
    ]);
    expect(connections(newLogLines())).toBe(1);
  });

  test('https: the TLS connection is kept too (one handshake), h2 or not; the bytes equal curl\'s', async () => {
    const urls = ['/a.txt', '/b.txt', '/sub/c.txt'].map((p) => `https://localhost:${nginx.ports.https}${p}`);
    const r = await runSockkit(['http-get', '--cacert', nginx.caFile, '--json', ...urls]);
    const records = JSON.parse(r.stdout) as Array<{ status: number; connection: { id: number; reused: boolean }; tls: { verified: boolean } }>;
    expect(records.map((x) => [x.status, x.connection.id, x.connection.reused, x.tls.verified])).toEqual([
      [200, 1, false, true],
      [200, 1, true, true],
      [200, 1, true, true],
    ]);
    const bodies = await runSockkit(['http-get', '--cacert', nginx.caFile, ...urls]);
    expect(bodies.stdout).toBe(execFileSync('curl', ['-s', '--cacert', nginx.caFile, ...urls]).toString());
  });

  test('h2 (ALPN): one shared connection, a stream per URL, sequential and -Z; the bytes equal curl --http2', async () => {
    const h2 = (p: string) => `https://localhost:${nginx.ports.h2}${p}`;
    const urls = ['/conn', '/a.txt', '/blob.bin', '/empty.txt', '/sub/c.txt', '/conn'].map(h2);
    const tls = ['--cacert', nginx.caFile];
    const overH2 = await runSockkit(['http-get', ...tls, '--json', ...urls]);
    expect((JSON.parse(overH2.stdout) as Array<{ httpVersion: string; connection: { id: number; reused: boolean } }>).map((x) => [x.httpVersion, x.connection.id, x.connection.reused])).toEqual(
      urls.map((_, i) => ['2', 1, i > 0]),
    );
    const curl = execFileSync('curl', ['-s', '--http2', ...tls, ...urls], { maxBuffer: 1 << 24 });
    const curlConnections = curl.toString('latin1').match(/^connection \d+$/gm)!;
    expect(curlConnections[1]).toBe(curlConnections[0]);
    for (const args of [[], ['-Z'], ['-Z', '--parallel-max', '2']]) {
      const r = await runSockkit(['http-get', ...tls, ...args, ...urls]);
      expect(r.code).toBe(0);
      // nginx's $connection: the first and the last URL came on one connection, as curl's did.
      const [first, ...rest] = r.stdout.match(/^connection \d+$/gm)!;
      expect(rest).toEqual([first]);
      expect(r.stdoutBytes.toString('latin1').replace(/^connection \d+$/gm, 'connection N')).toBe(curl.toString('latin1').replace(/^connection \d+$/gm, 'connection N'));
      expect(r.stdoutBytes.length).toBe(curl.length);
    }
  });

  test('--unix-socket: nginx on a Unix socket answers as it does to curl --unix-socket, Host from the URL', async () => {
    const urls = ['http://example.test:8080/host?x=1', 'http://example.test/a.txt'];
    const r = await runSockkit(['http-get', '--unix-socket', socket, ...urls]);
    expect(r).toMatchObject({ code: 0, stdout: 'host=example.test:8080 uri=/host?x=1\nfirst file\n', stderr: '' });
    expect(execFileSync('curl', ['-s', '--unix-socket', socket, ...urls]).toString()).toBe(r.stdout);
  });
});
