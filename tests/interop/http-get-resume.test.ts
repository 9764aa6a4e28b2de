// http-get -C/--continue-at and -r/--range against nginx (which honours ranges, over
// HTTP/1.1 and h2), with curl -C - / curl -r on the same files as the reference, and
// against servers scripted here: one that ignores ranges (200), ones that answer 206
// with a Content-Range that is not what was asked for, or none.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { startNginx, type Nginx } from './peers/nginx.js';

const BODY = randomBytes(300_000);
const CLEAN_ENV = { http_proxy: '', https_proxy: '', HTTPS_PROXY: '', all_proxy: '', ALL_PROXY: '', no_proxy: '', NO_PROXY: '' };

const get = (args: string[]) => runSockkit(['http-get', '--timeout', '10', ...args], { env: CLEAN_ENV, killAfterMs: 30000 });

/** A server that answers every GET by path: its status line, fields and body. */
async function scriptedServer(answers: Record<string, (range: string | undefined) => { head: string; body?: Buffer }>): Promise<{ server: Server; url: (path: string) => string; ranges: Array<string | undefined> }> {
  const ranges: Array<string | undefined> = [];
  const server = createServer((socket) => {
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      if (!buffered.includes('\r\n\r\n')) return;
      const path = buffered.split(' ')[1]!;
      const range = /\r\nRange: ([^\r]*)/i.exec(buffered)?.[1];
      ranges.push(range);
      const answer = answers[path]?.(range) ?? { head: 'HTTP/1.1 404 Not Found\r\nContent-Length: 0' };
      const body = answer.body ?? Buffer.alloc(0);
      socket.end(Buffer.concat([Buffer.from(`${answer.head}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`, 'latin1'), body]));
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as { port: number };
  return { server, url: (path) => `http://127.0.0.1:${port}${path}`, ranges };
}

describeWithPeers('http-get -C/-r against nginx, beside curl -C - and curl -r', ['nginx', 'openssl', 'curl'], () => {
  let nginx: Nginx;
  let dir: string;
  beforeAll(async () => {
    nginx = await startNginx({ files: { 'big.bin': BODY } });
    dir = mkdtempSync(join(tmpdir(), 'sockkit-resume-'));
  }, 60000);
  afterAll(async () => {
    await nginx?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const http = () => `http://127.0.0.1:${nginx.ports.http}/big.bin`;
  const curl = (...args: string[]) => spawnSync('curl', ['-s', '--max-time', '10', ...args], { env: { ...process.env, ...CLEAN_ENV } });
  /** A partial download: the first n bytes of the body in a fresh file. */
  const partial = (name: string, n: number) => {
    const path = join(dir, name);
    writeFileSync(path, BODY.subarray(0, n));
    return path;
  };

  test('-C - with -o FILE: 206 with a matching Content-Range is appended; the file equals the original, as curl -C - leaves its copy', async () => {
    for (const cut of [1, 100_000, BODY.length - 1]) {
      const ours = partial(`ours-${cut}`, cut);
      const r = await get(['-C', '-', '-o', ours, '--json', http()]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 206, bytes: BODY.length - cut });
      const theirs = partial(`curl-${cut}`, cut);
      expect(curl('-C', '-', '-o', theirs, http()).status).toBe(0);
      expect(readFileSync(ours).equals(BODY)).toBe(true);
      expect(readFileSync(theirs).equals(readFileSync(ours))).toBe(true);
    }
  });

  test('-C - with several URLs: each -o FILE resumes from its own size; with -O, each remote name in the working directory', async () => {
    const first = partial('several-1', 1000);
    const second = partial('several-2', 250_000);
    const complete = partial('several-3', BODY.length);
    const r = await get(['-C', '-', '-o', first, '-o', second, '-o', complete, '-w', '%{http_code}\\n', http(), http(), http()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('206\n206\n416\n');
    for (const path of [first, second, complete]) expect(readFileSync(path).equals(BODY)).toBe(true);

    const cwd = mkdtempSync(join(dir, 'remote-name-'));
    writeFileSync(join(cwd, 'big.bin'), BODY.subarray(0, 77_777));
    const o = await runSockkit(['http-get', '--timeout', '10', '-C', '-', '-O', '--json', http()], { env: CLEAN_ENV, cwd, killAfterMs: 30000 });
    expect(o.code).toBe(0);
    expect(JSON.parse(o.stdout)).toMatchObject([{ status: 206, bytes: BODY.length - 77_777 }]);
    expect(readFileSync(join(cwd, 'big.bin')).equals(BODY)).toBe(true);
    // -C - to stdout has no file to take a size from: that URL's own usage error, the others go on
    const mixed = await get(['-C', '-', '-o', partial('several-4', 10), http(), http()]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/there is no -o FILE/);
  });

  test('-C - over h2 (nginx, TLS): the same 206, appended', async () => {
    const ours = partial('h2', 123_456);
    const r = await get(['-C', '-', '-o', ours, '--cacert', nginx.caFile, '--json', `https://localhost:${nginx.ports.h2}/big.bin`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 206, httpVersion: '2' });
    expect(readFileSync(ours).equals(BODY)).toBe(true);
  });

  test('-C - on a complete file: 416 is success, the file untouched; on a missing file: the whole body', async () => {
    const complete = partial('complete', BODY.length);
    const r = await get(['-C', '-', '-o', complete, http()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`sockkit http-get: ${complete} is already complete (${BODY.length} bytes; the server answered 416 Requested Range Not Satisfiable to bytes=${BODY.length}-)\n`);
    expect(readFileSync(complete).equals(BODY)).toBe(true);
    expect(curl('-C', '-', '-o', partial('complete-curl', BODY.length), http()).status).toBe(0);
    // -f does not turn that 416 into a failure: nothing is missing.
    expect((await get(['-f', '-C', '-', '-o', complete, http()])).code).toBe(0);
    const missing = join(dir, 'missing');
    const whole = await get(['-C', '-', '-o', missing, '--json', http()]);
    expect(JSON.parse(whole.stdout)).toMatchObject({ status: 200, bytes: BODY.length });
    expect(readFileSync(missing).equals(BODY)).toBe(true);
  });

  test('-C N: an explicit offset, to stdout (as curl -C N) and appended to -o FILE', async () => {
    const r = await get(['-C', '250000', '-o', '-', http()]);
    expect(r.code).toBe(0);
    expect(r.stdoutBytes.equals(BODY.subarray(250_000))).toBe(true);
    expect(curl('-C', '250000', http()).stdout.equals(r.stdoutBytes)).toBe(true);
    const file = partial('explicit', 10);
    expect((await get(['-C', '10', '-o', file, http()])).code).toBe(0);
    expect(readFileSync(file).equals(BODY)).toBe(true);
  });

  test('-r A-B, A-, -N: exactly those bytes, as curl -r; a list is passed as-is (multipart/byteranges)', async () => {
    for (const [range, expected] of [
      ['0-99', BODY.subarray(0, 100)],
      ['299990-', BODY.subarray(299_990)],
      ['-7', BODY.subarray(BODY.length - 7)],
      ['299000-400000', BODY.subarray(299_000)], // ends early: at the end of the file
    ] as const) {
      const r = await get(['-r', range, '-o', '-', http()]);
      expect(r.code).toBe(0);
      expect(r.stdoutBytes.equals(expected)).toBe(true);
      expect(curl('-r', range, http()).stdout.equals(r.stdoutBytes)).toBe(true);
    }
    const list = await get(['-r', '0-1,10-11', '-i', '-o', '-', http()]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^HTTP\/1\.1 206 Partial Content\r\n/);
    expect(list.stdout).toMatch(/Content-Type: multipart\/byteranges; boundary=/);
    expect(list.stdoutBytes.includes(Buffer.concat([Buffer.from('Content-Range: bytes 10-11/300000\r\n\r\n'), BODY.subarray(10, 12)]))).toBe(true);
  });

  test('bad -C / -r values and -C - without -o FILE are usage errors (exit 2), before any connection', async () => {
    for (const [args, message] of [
      [['-C', '-'], "sockkit http-get: bad --continue-at '-': it resumes the -o FILE from its size, and there is no -o FILE (add -o FILE, or give the offset: -C BYTES)\n"],
      [['-C', '12x'], "sockkit http-get: bad --continue-at '12x': not '-' or a byte offset ('-C -' resumes from the size of the -o FILE)\n"],
      [['-r', '5-1'], "sockkit http-get: bad --range '5-1': '5-1' ends before it starts\n"],
      [['-r', 'bytes=0-1'], "sockkit http-get: bad --range 'bytes=0-1': 'bytes=0-1' is not A-B, A- or -N (byte positions, comma-separated)\n"],
    ] as const) {
      const r = await get([...args, 'http://127.0.0.1:9/']);
      expect(r).toMatchObject({ code: 2, stderr: message });
    }
    expect((await get(['-C', '5', '-r', '0-1', 'http://127.0.0.1:9/'])).code).toBe(2);
  });
});

describe('http-get -C/-r against servers that ignore or misstate ranges', () => {
  let scripted: Awaited<ReturnType<typeof scriptedServer>>;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sockkit-resume-hostile-'));
    scripted = await scriptedServer({
      '/ignores': () => ({ head: 'HTTP/1.1 200 OK', body: BODY }),
      // 206 from byte 0 whatever was asked.
      '/lies': () => ({ head: `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-999/${BODY.length}`, body: BODY.subarray(0, 1000) }),
      '/no-content-range': () => ({ head: 'HTTP/1.1 206 Partial Content', body: BODY.subarray(0, 1000) }),
      // The resource is smaller than the file being resumed.
      '/shorter': () => ({ head: 'HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */50' }),
      '/gone': () => ({ head: 'HTTP/1.1 404 Not Found', body: Buffer.from('not here\n') }),
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => scripted?.server.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const partial = (name: string, n: number) => {
    const path = join(dir, name);
    writeFileSync(path, BODY.subarray(0, n));
    return path;
  };

  test('a server that ignores ranges: the 200 restarts the file (said on stderr); -r gets the whole body, said too', async () => {
    const file = partial('restart', 5000);
    const r = await get(['-C', '-', '-o', file, scripted.url('/ignores')]);
    expect(r.code).toBe(0);
    expect(scripted.ranges.at(-1)).toBe('bytes=5000-');
    expect(r.stderr).toBe(`sockkit http-get: warning: the server ignored the range and sent the whole body (200): ${file} restarted from byte 0\n`);
    expect(readFileSync(file).equals(BODY)).toBe(true);
    const ranged = await get(['-r', '0-9', '-o', '-', scripted.url('/ignores')]);
    expect(ranged.code).toBe(0);
    expect(ranged.stdoutBytes.length).toBe(BODY.length);
    expect(ranged.stderr).toBe('sockkit http-get: warning: the server ignored the range and sent the whole body (200)\n');
  });

  test('a 206 whose Content-Range is not what was asked (or absent): exit 7, the file untouched, nothing on stdout', async () => {
    for (const path of ['/lies', '/no-content-range']) {
      const file = partial(`lie${path.replaceAll('/', '-')}`, 5000);
      const r = await get(['-C', '-', '-o', file, scripted.url(path)]);
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(new RegExp(`^sockkit http-get: bytes 5000- of ${file}: the server (sent Content-Range 'bytes 0-999/300000', not the range asked for \\(bytes=5000-\\)|answered 206 with no Content-Range) \\(${file} is left as it was\\)\\n$`));
      expect(readFileSync(file).equals(BODY.subarray(0, 5000))).toBe(true);
    }
    const ranged = await get(['-r', '100-199', '-o', '-', scripted.url('/lies')]);
    expect(ranged.code).toBe(7);
    expect(ranged.stdoutBytes.length).toBe(0);
    expect(ranged.stderr).toContain("the server sent Content-Range 'bytes 0-999/300000', not the range asked for (bytes=100-199)");
  });

  test('416 saying the resource is shorter than the file, or an error status: exit 7, the file untouched', async () => {
    const file = partial('longer', 5000);
    const shorter = await get(['-C', '-', '-o', file, scripted.url('/shorter')]);
    expect(shorter.code).toBe(7);
    expect(shorter.stderr).toContain('the server answered 416 Range Not Satisfiable: it has 50 bytes, and the resume was from byte 5000');
    const gone = await get(['-C', '-', '-o', file, scripted.url('/gone')]);
    expect(gone.code).toBe(7);
    expect(gone.stderr).toContain('the server answered 404 Not Found, not 206 Partial Content');
    expect(readFileSync(file).equals(BODY.subarray(0, 5000))).toBe(true);
    expect(existsSync(file)).toBe(true);
  });
});
