// Which DNS servers resolve asks: every one given (--server repeated, @SERVER), each
// row labelled with its server; or resolv.conf's, one after another, the next only
// when one fails, all inside --timeout. Servers written in the tests record what they get.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSockkit } from '../helpers/run-sockkit.js';
import { startRecordingDnsServer, type RecordingDnsServer } from '../helpers/dns-server.js';
import { freePort } from '../helpers/ports.js';
import { describeInSandbox, startTestResolver, type TestResolver } from '../helpers/sandbox.js';

interface Row {
  name: string;
  type: string;
  status: string;
  server: string;
  error?: string;
  answers: Array<{ value: string }>;
}

let live1: RecordingDnsServer;
let live2: RecordingDnsServer;
let silent: RecordingDnsServer;
let deadPort: number;
let dir: string;

beforeAll(async () => {
  live1 = await startRecordingDnsServer();
  live2 = await startRecordingDnsServer({ address: '::1' });
  silent = await startRecordingDnsServer({ answer: () => undefined });
  deadPort = await freePort(true);
  dir = mkdtempSync(join(tmpdir(), 'sockkit-resolvconf-'));
});
afterAll(async () => {
  await Promise.all([live1.close(), live2.close(), silent.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const label = (s: RecordingDnsServer) => (s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`);

describe('--server repeated: every question to every server, rows labelled by server', () => {
  test('two live servers: each answers each question, in question order then server order (TSV)', async () => {
    const r = await runSockkit(['resolve', 'a.test', 'b.test', '--type', 'TXT', '--server', label(live1), `@${label(live2)}`]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows.map((c) => [c[0], c[3], c[4]])).toEqual([
      ['a.test', `"from ${label(live1)}"`, label(live1)],
      ['a.test', `"from ${label(live2)}"`, label(live2)],
      ['b.test', `"from ${label(live1)}"`, label(live1)],
      ['b.test', `"from ${label(live2)}"`, label(live2)],
    ]);
  });

  test('a dead and a silent server among live ones: each its own error, the live ones answer; exit the worst (5)', async () => {
    const started = Date.now();
    const r = await runSockkit(['resolve', 'c.test', '--type', 'A', '--json', '--timeout', '1', '-s', label(live1), '-s', `127.0.0.1:${deadPort}`, '-s', label(silent)]);
    expect(Date.now() - started).toBeLessThan(6000);
    expect(r.code).toBe(5); // timeout (5) outranks unreachable (4)
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.map((x) => [x.server, x.status])).toEqual([
      [label(live1), 'ok'],
      [`127.0.0.1:${deadPort}`, 'unreachable'],
      [label(silent), 'timeout'],
    ]);
    expect(rows[0]!.answers[0]!.value).toBe('192.0.2.1');
  });

  test('a dead server alone among live ones: exit 4, its rows only', async () => {
    const r = await runSockkit(['resolve', 'd.test', '--type', 'A', '-s', label(live1), '-s', `127.0.0.1:${deadPort}`]);
    expect(r.code).toBe(4);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^d\.test\tA\t60\t192\.0\.2\.1\t/);
    expect(lines[1]).toMatch(new RegExp(`^d\\.test\\tA\\t\\tUNREACHABLE \\(connection refused\\)\\t127\\.0\\.0\\.1:${deadPort}\\t`));
  });
});

describe('--resolv-conf: its servers in order, the next only when one fails', () => {
  // Three servers on one port (resolv.conf has no ports; -p gives it): 127.0.0.2 dead,
  // 127.0.0.3 silent, 127.0.0.1 live.
  let port: number;
  let dead: RecordingDnsServer | undefined;
  let quiet: RecordingDnsServer;
  let live: RecordingDnsServer;
  beforeAll(async () => {
    live = await startRecordingDnsServer({ address: '127.0.0.1' });
    port = live.port;
    quiet = await startRecordingDnsServer({ address: '127.0.0.3', port, answer: () => undefined });
    dead = undefined;
  });
  afterAll(async () => {
    await Promise.all([live.close(), quiet.close(), dead?.close()]);
  });

  function conf(text: string): string {
    const path = join(dir, `resolv-${Math.random().toString(36).slice(2)}.conf`);
    writeFileSync(path, text);
    return path;
  }

  test('a dead first server: the next is asked at once, and the row names the one that answered', async () => {
    live.received.length = 0;
    const started = Date.now();
    const r = await runSockkit(['resolve', 'mx.test', '--type', 'TXT', '--resolv-conf', conf('nameserver 127.0.0.2\nnameserver 127.0.0.1\n'), '-p', String(port), '--trace', '--timeout', '5']);
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.stdout).toMatch(new RegExp(`^mx\\.test\\tTXT\\t60\\t"from 127\\.0\\.0\\.1:${port}"\\t127\\.0\\.0\\.1:${port}\\t`));
    expect(r.stderr).toMatch(/next\s+127\.0\.0\.2:\d+ gave unreachable: asking 127\.0\.0\.1/);
    expect(live.received).toEqual([{ name: 'mx.test.', type: 16, transport: 'udp' }]);
  });

  test("a silent first server: waited for glibc's timeout:1 at most, then the next", async () => {
    quiet.received.length = 0;
    const started = Date.now();
    const r = await runSockkit(['resolve', 'slow.test', '--type', 'TXT', '--resolv-conf', conf('nameserver 127.0.0.3\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n'), '-p', String(port), '--timeout', '8', '--json', '--trace']);
    const elapsed = Date.now() - started;
    expect(r.code).toBe(0);
    const [row] = JSON.parse(r.stdout) as Row[];
    expect(row!.server).toBe(`127.0.0.1:${port}`);
    expect(quiet.received.length).toBeGreaterThan(0); // it was asked first
    expect(r.stderr).toMatch(/next\s+127\.0\.0\.3:\d+ gave timeout: asking 127\.0\.0\.1/); // its try ran out, then the next
    expect(elapsed).toBeLessThan(8000 + 4000);
  });

  test('--timeout bounds the whole list: two silent servers end at --timeout with TIMEOUT, exit 5', async () => {
    const started = Date.now();
    const r = await runSockkit(['resolve', 'never.test', '--type', 'MX', '--resolv-conf', conf('nameserver 127.0.0.3\nnameserver 127.0.0.3\noptions timeout:30 attempts:5\n'), '-p', String(port), '--timeout', '1']);
    expect(r.code).toBe(5);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.stdout).toMatch(/TIMEOUT/);
  });

  test('--resolv-conf also takes the A/AAAA questions (getaddrinfo cannot be pointed at another file)', async () => {
    const r = await runSockkit(['resolve', 'addr.test', '-4', '--resolv-conf', conf('nameserver 127.0.0.1\n'), '-p', String(port)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^addr\\.test\\tA\\t60\\t192\\.0\\.2\\.1\\t127\\.0\\.0\\.1:${port}\\t`));
  });

  test('a missing file is a usage error naming it', async () => {
    const r = await runSockkit(['resolve', 'x.test', '--resolv-conf', join(dir, 'nope.conf')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.conf/);
  });
});

describeInSandbox("without --server: types other than A/AAAA go to /etc/resolv.conf's servers", () => {
  let resolver: TestResolver;
  beforeAll(async () => {
    resolver = await startTestResolver('answering');
  });
  afterAll(async () => {
    await resolver.close();
  });

  test('TXT goes to the nameserver of /etc/resolv.conf, and the row names it; A stays with getaddrinfo', async () => {
    const r = await runSockkit(['resolve', 'both.test', '--type', 'TXT,A'], { resolvConf: resolver.resolvConf });
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows.map((c) => [c[1], c[3], c[4]])).toEqual([
      ['TXT', `"from ${resolver.address}:53"`, `${resolver.address}:53`],
      ['A', '192.0.2.1', 'system'],
    ]);
  });
});
