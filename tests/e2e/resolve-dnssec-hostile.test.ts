// --validate against a server written here: it answers the question with a signed-looking
// A record, then never answers the DNSKEY question the chain of trust needs. The result
// must come within --timeout (indeterminate, the reason said), not hang.
import { afterAll, beforeAll, expect, test, describe } from '@jest/globals';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSockkit } from '../helpers/run-sockkit.js';
import { reply, rr, startHostileDnsServer, type HostileDnsServer } from '../fixtures/dns/hostile-server.js';
import { RecordType } from '../../src/net/dns/packet.js';
import { canonicalName } from '../../src/net/dnssec/canonical.js';

/** An RRSIG over A by key 1 of `test.`: enough to send the validator up the chain. */
function fakeRrsig(owner: string) {
  const head = Buffer.alloc(18);
  head.writeUInt16BE(RecordType.A, 0);
  head[2] = 13;
  head[3] = 2;
  head.writeUInt32BE(60, 4);
  head.writeUInt32BE(0xffffff00, 8);
  head.writeUInt32BE(1, 12);
  head.writeUInt16BE(1, 16);
  return { name: owner, type: 46, class: 1, ttl: 60, data: { kind: 'RAW' as const, bytes: Buffer.concat([head, canonicalName('test.'), Buffer.alloc(64, 7)]) } };
}

describe('resolve --validate when the chain cannot be fetched', () => {
  let server: HostileDnsServer;
  let dir: string;
  let anchor: string;

  beforeAll(async () => {
    server = await startHostileDnsServer((query) => {
      const q = query.questions[0]!;
      if (q.type !== RecordType.A) return undefined; // DNSKEY, DS: silence
      return reply(query, [rr(q.name, RecordType.A, '198.51.100.9'), fakeRrsig(q.name)]);
    });
    dir = mkdtempSync(join(tmpdir(), 'sockkit-anchor-'));
    anchor = join(dir, 'anchor');
    writeFileSync(anchor, '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n');
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a silent DNSKEY question ends within --timeout: indeterminate, and why', async () => {
    const started = Date.now();
    const r = await runSockkit(['resolve', 'x.test', '-t', 'A', `@127.0.0.1:${server.port}`, '--validate', '--trust-anchor', anchor, '--timeout', '2', '--json']);
    const elapsed = Date.now() - started;
    expect(r.code).toBe(0);
    const [result] = JSON.parse(r.stdout) as Array<{ status: string; security: string; securityReason: string }>;
    expect(result).toMatchObject({ status: 'ok', security: 'indeterminate' });
    expect(result!.securityReason).toMatch(/^DNSKEY \.: .*tim/i);
    expect(elapsed).toBeLessThan(2000 + 3000);
    expect(server.queries.some((q) => q.message.questions[0]!.type === 48)).toBe(true);
  });

  test.each([
    [['x.test', '--validate'], '--validate: needs the records a DNS server returns'],
    [['x.test', '@127.0.0.1', '--chain'], '--chain: explains what --validate found'],
    [['x.test', '@127.0.0.1', '--trust-anchor', '/nonexistent'], '--trust-anchor: is for --validate'],
    [['x.test', '@127.0.0.1', '--validate', '--no-edns'], '--validate with --no-edns: DNSSEC records come only with EDNS'],
  ])('usage: %j → exit 2, one line', async (args, message) => {
    const r = await runSockkit(['resolve', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`sockkit resolve: ${message}`);
  });
});
