// dig's forms (@SERVER, -x, -p, +word) and the rule that no string that is not a host
// name ever reaches a resolver: a DNS server written here records every question it
// gets, and the system resolver's queries are recorded inside the sandbox.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { startRecordingDnsServer, type RecordingDnsServer } from '../helpers/dns-server.js';
import { describeInSandbox, startTestResolver, type TestResolver } from '../helpers/sandbox.js';

const NOT_NAMES = ['+tcp.example', 'a..b', 'a b.test', 'a\\.b.test', `${'a'.repeat(64)}.test`, 'x;id', 'a/b.test', 'tab\there'];

describe("resolve: dig's forms against a recording DNS server", () => {
  let server: RecordingDnsServer;
  beforeAll(async () => {
    server = await startRecordingDnsServer();
  });
  afterAll(async () => {
    await server.close();
  });

  test('@SERVER anywhere among the names, with -p for its port', async () => {
    server.received.length = 0;
    const r = await runSockkit(['resolve', 'one.test', '@127.0.0.1', 'two.test', '-p', String(server.port), '--type', 'A']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t').slice(0, 5).join(' '))).toEqual([
      `one.test A 60 192.0.2.1 127.0.0.1:${server.port}`,
      `two.test A 60 192.0.2.1 127.0.0.1:${server.port}`,
    ]);
    expect(server.received.map((q) => q.name).sort()).toEqual(['one.test.', 'two.test.']);
  });

  test('@ADDR:PORT works as --server does; a port in it wins over -p', async () => {
    server.received.length = 0;
    const r = await runSockkit(['resolve', `@127.0.0.1:${server.port}`, '-p', '1', 'three.test', '--type', 'TXT', '--short']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`"from 127.0.0.1:${server.port}"\n`);
    expect(server.received).toEqual([{ name: 'three.test.', type: 16, transport: 'udp' }]);
  });

  test('-x ADDRESS asks for the PTR of its reverse name', async () => {
    server.received.length = 0;
    const r = await runSockkit(['resolve', '-x', '198.51.100.7', '-x', '2001:db8::1', '@127.0.0.1', '-p', String(server.port), '--json']);
    expect(r.code).toBe(3); // the test server has no PTR records: NODATA
    const results = JSON.parse(r.stdout) as Array<{ name: string; type: string; queryName: string }>;
    expect(results.map((x) => [x.name, x.type, x.queryName])).toEqual([
      ['198.51.100.7', 'PTR', '7.100.51.198.in-addr.arpa.'],
      ['2001:db8::1', 'PTR', `1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa.`],
    ]);
    expect(server.received.map((q) => q.type)).toEqual([12, 12]);
  });

  test.each([
    [['+short'], /'\+short' is a dig option; sockkit's flag for it is --short/],
    [['+sho'], /flag for it is --short/],
    [['+json'], /flag for it is --json/],
    [['+time=3'], /flag for it is --timeout SECONDS/],
    [['+nofrobnicate'], /'\+nofrobnicate' is a dig option, and sockkit has no flag for it/],
    [['@'], /'@' must be followed by the server/],
    [['-x', 'not-an-ip.test'], /bad -x 'not-an-ip.test': not an IP address/],
  ])('%j is a usage error (exit 2) and nothing is asked', async (extra, message) => {
    server.received.length = 0;
    const r = await runSockkit(['resolve', 'ok.test', ...extra, `@127.0.0.1:${server.port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expectCleanError(r, 'resolve');
    expect(server.received).toEqual([]);
  });

  test.each(NOT_NAMES)('%j is not a host name: exit 2 before any query, even beside good names', async (bad) => {
    server.received.length = 0;
    const r = await runSockkit(['resolve', 'good.test', bad, '--server', `127.0.0.1:${server.port}`, '--type', 'A']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad name|is a dig option/);
    expectCleanError(r, 'resolve');
    expect(server.received).toEqual([]);
  });

  test('from stdin (streamed): a bad line is never sent; it gets its own INVALID result in its place, and exit 2', async () => {
    server.received.length = 0;
    const r = await runSockkit(['resolve', '-', '--server', `127.0.0.1:${server.port}`], { input: 'good.test\n@x\n+tcp\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad name '@x'.*@SERVER/);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3); // one line per input line, in input order
    expect(lines[0]).toMatch(/^good\.test\tA\/AAAA\t/);
    expect(lines[1]).toMatch(/^@x\tA\/AAAA\t\tINVALID \(bad name '@x': /);
    expect(lines[2]).toMatch(/^\+tcp\tA\/AAAA\t\tINVALID \(bad name '\+tcp': /);
    expect(server.received.map((q) => q.name)).toEqual(['good.test.', 'good.test.']); // A and AAAA, nothing else
  });

  test('-f FILE reads names as - does; --ndjson streams one JSON object per result, in input order', async () => {
    server.received.length = 0;
    const dir = mkdtempSync(join(tmpdir(), 'sockkit-names-'));
    const file = join(dir, 'names.txt');
    writeFileSync(file, '# a list\nf1.test\n\nf2.test  # trailing\nf3.test\n');
    try {
      const r = await runSockkit(['resolve', '-f', file, `@127.0.0.1:${server.port}`, '--type', 'A', '--ndjson']);
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { name: string; status: string }).name)).toEqual(['f1.test', 'f2.test', 'f3.test']);
      expect(lines.every((l) => (JSON.parse(l) as { flags: string[] }).flags.includes('qr'))).toBe(true);
      expect(server.received.map((q) => q.name).sort()).toEqual(['f1.test.', 'f2.test.', 'f3.test.']);
      const bad = join(dir, 'bad.txt');
      writeFileSync(bad, 'ok.test\n+tcp\n');
      const refused = await runSockkit(['resolve', '-f', bad, `@127.0.0.1:${server.port}`]);
      expect(refused.code).toBe(2);
      expect(server.received.slice(3).map((q) => q.name)).toEqual(['ok.test.', 'ok.test.']); // A and AAAA; '+tcp' never sent
      const device = await runSockkit(['resolve', '-f', '/dev/zero', `@127.0.0.1:${server.port}`]);
      expect(device.code).toBe(2);
      expect(device.stderr).toMatch(/\/dev\/zero: a character device, not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('-p without a server is a usage error', async () => {
    const r = await runSockkit(['resolve', 'localhost', '-p', '53']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-p \/ --port: names the port of a DNS server/);
  });
});

describeInSandbox('resolve: nothing that is not a host name reaches the system resolver', () => {
  let resolver: TestResolver;
  beforeAll(async () => {
    resolver = await startTestResolver('answering');
  });
  afterAll(async () => {
    await resolver.close();
  });

  test.each([...NOT_NAMES, '+short', '@'])('%j: exit 2, the resolver received nothing', async (bad) => {
    const before = resolver.received.length;
    const r = await runSockkit(['resolve', 'fine.test', bad, '--timeout', '2'], { resolvConf: resolver.resolvConf });
    expect(r.code).toBe(2);
    expectCleanError(r, 'resolve');
    expect(resolver.received.slice(before)).toEqual([]);
  });

  test('a good name does reach it (the check above could fail)', async () => {
    const before = resolver.received.length;
    const r = await runSockkit(['resolve', 'fine.test', '-4', '--timeout', '2'], { resolvConf: resolver.resolvConf });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^fine\.test\tA\t\t192\.0\.2\.1\tsystem/);
    expect(resolver.received.slice(before)).toContain('fine.test.');
  });
});
