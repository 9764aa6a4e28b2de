// What the common paths load: each Node built-in costs 0.3-10 ms of every run to load,
// so a small fetch or a plain query loads only what it uses (src/net/shared/builtin.ts).
// Read back from process.moduleLoadList by a preload, as the resolve tests do.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit, SOCKKIT_BIN } from '../helpers/run-sockkit.js';
import { decodeMessage, encodeMessage, RecordType, type DnsRecord } from '../../src/net/dns/packet.js';
import { makeCertificates } from '../interop/peers/nginx.js';

// perf_hooks: what the `performance` global loads (the bundle reads performance.now() from process.uptime()).
const WATCHED = ['tls', 'crypto', 'zlib', 'v8', 'dns', 'tty', 'fs/promises', 'readline', 'perf_hooks'];

let dir: string;
let preload: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockkit-start-up-'));
  preload = join(dir, 'modules.cjs');
  const pattern = `^NativeModule (${WATCHED.join('|')})$`;
  writeFileSync(
    preload,
    `process.on('exit', () => process.stderr.write('builtins ' + process.moduleLoadList.filter((m) => /${pattern.replaceAll('/', '\\/')}/.test(m)).map((m) => m.slice(13)).sort().join(',') + '\\n'));\n`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs sockkit with the preload; its exit code, stdout and the watched built-ins it loaded. */
async function loaded(args: string[]): Promise<{ code: number | null; stdout: string; builtins: string | undefined }> {
  const r = await runSockkit(args, { env: { NODE_OPTIONS: `--require ${preload}` } });
  return { code: r.code, stdout: r.stdout, builtins: r.stderr.match(/^builtins (.*)$/m)?.[1] };
}

describe('http-get', () => {
  let server: HttpServer;
  let port: number;

  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      if (req.url === '/gzip') {
        res.writeHead(200, { 'Content-Encoding': 'gzip' });
        res.end(gzipSync('hello\n'));
      } else res.end('hello\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('a small http GET of an IP literal loads no TLS, zlib, v8, dns, tty, fs/promises or perf_hooks', async () => {
    expect(await loaded(['http-get', `http://127.0.0.1:${port}/`])).toEqual({ code: 0, stdout: 'hello\n', builtins: '' });
  });

  test('a gzip body loads node:zlib when it comes (and is decoded)', async () => {
    expect(await loaded(['http-get', '--compressed', `http://127.0.0.1:${port}/gzip`])).toEqual({ code: 0, stdout: 'hello\n', builtins: 'zlib' });
  });

  test('-w @FILE loads node:fs/promises to read it', async () => {
    const format = join(dir, 'format.txt');
    writeFileSync(format, '%{http_code}\\n');
    expect(await loaded(['http-get', '-o', '/dev/null', '-w', `@${format}`, `http://127.0.0.1:${port}/`])).toMatchObject({ code: 0, stdout: '200\n' });
  });
});

describeWithPeers('http-get over TLS', ['openssl'], () => {
  let server: HttpsServer;
  let port: number;
  let ca: string;

  beforeAll(async () => {
    const certs = makeCertificates(join(dir, 'pki'));
    ca = certs.ca;
    server = createHttpsServer({ cert: readFileSync(certs.good[0]), key: readFileSync(certs.good[1]) }, (_req, res) => res.end('hello\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  }, 30000);

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('a small https GET with --cacert loads TLS and nothing else of these (no perf_hooks)', async () => {
    expect(await loaded(['http-get', '--cacert', ca, `https://127.0.0.1:${port}/`])).toEqual({ code: 0, stdout: 'hello\n', builtins: 'crypto,tls' });
  });
});

describe('resolve --server', () => {
  let server: UdpSocket;
  let port: number;

  beforeAll(async () => {
    server = createSocket('udp4');
    server.on('message', (msg, from) => {
      const query = decodeMessage(msg);
      const answers: DnsRecord[] = [{ name: query.questions[0]!.name, type: RecordType.A, class: 1, ttl: 60, data: { kind: 'A', address: '198.51.100.7' } }];
      server.send(encodeMessage({ id: query.id, qr: true, aa: true, rd: query.rd, questions: query.questions, answers }), from.port, from.address);
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    port = server.address().port;
  });

  afterAll(() => {
    server.close();
  });

  test('a plain query loads no TLS, crypto, tty, fs/promises or perf_hooks', async () => {
    const r = await loaded(['resolve', 'www.example.test', '--type', 'A', '--server', `127.0.0.1:${port}`]);
    expect(r.stdout).toContain('198.51.100.7');
    expect(r).toMatchObject({ code: 0, builtins: 'dns' }); // node:dgram itself requires node:dns
  });
});

test('the bundle is ASCII: bin/sockkit reads it as latin1, which is then the same string', () => {
  const bundle = readFileSync(join(dirname(SOCKKIT_BIN), '..', 'dist', 'sockkit.cjs'));
  expect(bundle.length).toBeGreaterThan(100_000);
  expect(bundle.findIndex((byte) => byte > 0x7f)).toBe(-1);
});

// cli-table3 is a bundle of its own (esbuild.config.mjs), required only when a table is drawn: on a terminal.
describeWithPeers('a table on a terminal', ['script'], () => {
  test('is drawn by cli-table3 from dist/sockkit-table.cjs', () => {
    const out = execFileSync('script', ['-qec', `'${SOCKKIT_BIN}' service 80`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 20_000 });
    expect(out).toMatch(/┌─+┬/);
    expect(out).toMatch(/│ http +│ +80 │ tcp/);
  });
});
