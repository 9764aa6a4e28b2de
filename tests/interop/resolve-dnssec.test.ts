// `resolve --dnssec` and `--validate` against a signed hierarchy of the test's own
// (peers/signed-hierarchy.ts: NSD serving `.`, `test.`, `sockkit.test.` signed by
// ldns-signzone with algorithms 8, 13 and 15, an unsigned delegation and zones broken on
// purpose). delv, given the same root DS, is the reference validator: for each name
// sockkit's status equals delv's; the broken ones are bogus, exit 7, with the right reason.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { startSignedHierarchy, type SignedHierarchy } from './peers/signed-hierarchy.js';
import { createSocket } from 'node:dgram';
import { decodeMessage, encodeMessage } from '../../src/net/dns/packet.js';

const execFileAsync = promisify(execFile);

interface Result {
  name: string;
  type: string;
  status: string;
  security?: string;
  securityReason?: string;
  answers: Array<{ name: string; type: string; ttl: number; value: string }>;
}

describeWithPeers('resolve --validate against a signed hierarchy (compared with delv)', ['nsd', 'ldns-keygen', 'ldns-signzone', 'ldns-key2ds', 'delv', 'dig'], () => {
  let h: SignedHierarchy;

  beforeAll(async () => {
    h = await startSignedHierarchy();
  }, 60000);

  afterAll(async () => {
    await h?.stop();
  });

  async function sockkit(args: string[]) {
    const anchor = args.includes('--validate') ? ['--trust-anchor', h.anchorFile] : [];
    const r = await runSockkit(['resolve', ...args, '@127.0.0.1', '-p', String(h.port), ...anchor, '--json', '--timeout', '5']);
    return { code: r.code, stderr: r.stderr, results: JSON.parse(r.stdout || '[]') as Result[] };
  }

  /** delv's verdict in sockkit's words. */
  async function delv(name: string, type: string): Promise<string> {
    const out = await execFileAsync('delv', ['-a', h.delvAnchorFile, '@127.0.0.1', '-p', String(h.port), name, type], { timeout: 20000 }).catch((err: { stdout?: string; stderr?: string }) => err);
    const text = `${out.stdout ?? ''}\n${out.stderr ?? ''}`;
    // a denial reads `resolution failed: ncache nxdomain` and then `; negative response, fully validated`
    if (text.includes('fully validated')) return 'secure';
    if (text.includes('unsigned answer')) return 'insecure';
    if (/resolution failed|no valid signature|broken trust chain/.test(text)) return 'bogus';
    return `unrecognised delv output: ${text}`;
  }

  // [name, type, security, reason (for bogus), the answer's status]
  const CASES: Array<[string, string, string, RegExp | undefined, string?]> = [
    ['www.sockkit.test', 'A', 'secure', undefined], // root RSA/SHA-256 → test. ECDSA P-256 → sockkit.test. Ed25519
    ['www.sockkit.test', 'AAAA', 'secure', undefined],
    ['alias.sockkit.test', 'A', 'secure', undefined], // a CNAME and its target, both signed
    ['mail.sockkit.test', 'MX', 'secure', undefined],
    ['sockkit.test', 'DNSKEY', 'secure', undefined],
    ['test', 'DS', 'secure', undefined],
    ['www.unsigned.test', 'A', 'insecure', undefined], // NSEC in test. proves no DS
    ['www.plain.sockkit.test', 'A', 'insecure', undefined], // NSEC3 in sockkit.test. proves no DS
    ['x.wild.test', 'A', 'secure', undefined], // a wildcard answer, the name proved absent by NSEC
    ['x.y.wild.sockkit.test', 'A', 'secure', undefined], // … and by NSEC3 (next closer name covered)
    ['forged.sockkit.test', 'A', 'bogus', /RRSIG by key \d+, which is not a DNSKEY of sockkit\.test\./],
    ['tampered.sockkit.test', 'A', 'bogus', /signature does not verify/],
    ['www.expired.test', 'A', 'bogus', /signature expired 2020-02-01T00:00:00Z/],
    ['www.nomatch.test', 'A', 'bogus', /DS matches no key/],
    ['www.nokeysig.test', 'A', 'bogus', /no RRSIG over the DNSKEY set of nokeysig\.test\./],
    // denial of existence: NSEC in test., NSEC3 (salted) in sockkit.test.
    ['nope.test', 'A', 'secure', undefined, 'nxdomain'],
    ['ns.test', 'AAAA', 'secure', undefined, 'nodata'],
    ['nope.sockkit.test', 'A', 'secure', undefined, 'nxdomain'],
    ['www.sockkit.test', 'TXT', 'secure', undefined, 'nodata'],
    ['alias.sockkit.test', 'TXT', 'secure', undefined, 'nodata'], // a signed CNAME, then NODATA at its target
    ['nope.unsigned.test', 'A', 'insecure', undefined, 'nxdomain'],
    ['n.badnsec.test', 'A', 'bogus', /NXDOMAIN not proved: no NSEC covers n\.badnsec\.test\./, 'nxdomain'], // the covering NSEC taken out
  ];

  test.each(CASES)('%s %s: %s, as delv says', async (name, type, status, reason, answer = 'ok') => {
    const [ours, theirs] = await Promise.all([sockkit([name, '--type', type, '--validate']), delv(name, type)]);
    expect(ours.results).toHaveLength(1);
    expect(ours.results[0]!.status).toBe(answer);
    expect(ours.results[0]!.security).toBe(status);
    expect(theirs).toBe(status);
    expect(ours.code).toBe(status === 'bogus' ? 7 : answer === 'ok' ? 0 : 3);
    if (reason) expect(ours.results[0]!.securityReason).toMatch(reason);
    if (status === 'secure') expect(ours.results[0]!.securityReason).toBeUndefined();
  }, 30000);

  test('a bogus answer is one readable line on stderr with --short, and its values are not printed', async () => {
    const r = await runSockkit(['resolve', 'tampered.sockkit.test', '-t', 'A', '@127.0.0.1', '-p', String(h.port), '--trust-anchor', h.anchorFile, '--validate', '--short']);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('sockkit resolve: tampered.sockkit.test A: bogus (tampered.sockkit.test. A: signature does not verify)');
  });

  test('piped: the security status is the last tab-separated column', async () => {
    const r = await runSockkit(['resolve', 'www.sockkit.test', 'www.unsigned.test', '-t', 'A', '@127.0.0.1', '-p', String(h.port), '--trust-anchor', h.anchorFile, '--validate']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows.map((f) => [f[0], f[3], f[6]])).toEqual([
      ['www.sockkit.test', '192.0.2.10', 'secure'],
      ['www.unsigned.test', '192.0.2.50', 'insecure (unsigned.test. is an unsigned delegation (NSEC proves no DS))'],
    ]);
  });

  test('the IANA root keys do not vouch for this private root: bogus, exit 7', async () => {
    const r = await runSockkit(['resolve', 'www.sockkit.test', '-t', 'A', '@127.0.0.1', '-p', String(h.port), '--validate', '--json']);
    expect(r.code).toBe(7);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ security: 'bogus', securityReason: 'the trust anchor matches no DNSKEY of .' });
  });

  test('the chain is fetched once per run: 30 names of one zone, one DNSKEY question per zone', async () => {
    const names = Array.from({ length: 15 }, () => ['www.sockkit.test', 'alias.sockkit.test']).flat();
    const file = join(h.dir, 'names.txt');
    writeFileSync(file, `${names.join('\n')}\n`);
    const r = await runSockkit(['resolve', '-f', file, '-t', 'A', '@127.0.0.1', '-p', String(h.port), '--trust-anchor', h.anchorFile, '--validate', '--json', '--trace']);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as Result[];
    expect(results.map((x) => x.security)).toEqual(names.map(() => 'secure'));
    const fetches = r.stderr.split('\n').filter((l) => /dnssec\s+fetching/.test(l)).map((l) => l.replace(/^.*fetching /, ''));
    expect(fetches.filter((f) => f === 'DNSKEY sockkit.test.')).toHaveLength(1);
    expect(fetches.filter((f) => f === 'DNSKEY .')).toHaveLength(1);
    expect(new Set(fetches).size).toBe(fetches.length);
  });

  test('--dnssec sets DO and shows the RRSIG as dig +dnssec does', async () => {
    const [ours, theirs] = await Promise.all([
      sockkit(['www.sockkit.test', '--type', 'A', '--dnssec']),
      execFileAsync('dig', ['@127.0.0.1', '-p', String(h.port), '+dnssec', '+noall', '+answer', 'www.sockkit.test', 'A']),
    ]);
    expect(ours.code).toBe(0);
    const digLines = theirs.stdout.trim().split('\n').map((l) => l.split(/\s+/));
    const digRrsig = digLines.find((f) => f[3] === 'RRSIG')!;
    const rrsig = ours.results[0]!.answers.find((a) => a.type === 'RRSIG');
    expect(rrsig?.value).toBe(digRrsig.slice(4).join(' '));
    expect(rrsig?.value).toMatch(/^A 15 3 3600 /);
    // without --dnssec the server sends no signature (DO clear)
    const plain = await sockkit(['www.sockkit.test', '--type', 'A']);
    expect(plain.results[0]!.answers.map((a) => a.type)).toEqual(['A']);
    expect(JSON.stringify(plain.results[0])).not.toContain('RRSIG');
  });

  test('a wildcard answer whose proof is taken out on the way (a proxy drops the authority section): bogus, exit 7', async () => {
    // a UDP forwarder to NSD that strips the NSEC/NSEC3 proof from the replies for *.wild names
    const proxy = createSocket('udp4');
    await new Promise<void>((resolve) => proxy.bind(0, '127.0.0.1', resolve));
    proxy.on('message', (query, client) => {
      const upstream = createSocket('udp4');
      upstream.on('message', (answer) => {
        const message = decodeMessage(answer);
        const strip = /\.wild\./i.test(message.questions[0]?.name ?? '');
        proxy.send(strip ? encodeMessage({ ...message, authorities: [] }) : answer, client.port, client.address);
        upstream.close();
      });
      upstream.send(query, h.port, '127.0.0.1');
    });
    try {
      for (const name of ['x.wild.test', 'x.y.wild.sockkit.test']) {
        const r = await runSockkit(['resolve', name, '-t', 'A', `@127.0.0.1:${proxy.address().port}`, '--trust-anchor', h.anchorFile, '--validate', '--json', '--timeout', '5']);
        expect(r.code).toBe(7);
        expect(JSON.parse(r.stdout)[0]).toMatchObject({ status: 'ok', security: 'bogus', securityReason: `${name}. A: a wildcard answer without proof that ${name}. does not exist` });
      }
    } finally {
      proxy.close();
    }
  });

  test('--chain: the zones top down with their keys, the DS that links each, and the key that signed the answer (as dig shows it)', async () => {
    const [ours, theirs] = await Promise.all([
      sockkit(['www.sockkit.test', '--type', 'A', '--validate', '--chain']),
      execFileAsync('dig', ['@127.0.0.1', '-p', String(h.port), '+dnssec', '+noall', '+answer', 'www.sockkit.test', 'A']),
    ]);
    expect(ours.code).toBe(0);
    const chain = (ours.results[0] as unknown as { chain: { zones: Array<{ zone: string; keys: Array<{ tag: number; algorithm: number; flags: number }>; ds: Array<{ tag: number; matchesKey?: number }>; fromAnchor: boolean; dnskeySignedBy: number }>; signatures: Array<{ keyTag: number; zone: string; inception: string; expiration: string }> } }).chain;
    expect(chain.zones.map((z) => [z.zone, z.keys.map((k) => k.algorithm)[0], z.fromAnchor])).toEqual([['.', 8, true], ['test.', 13, false], ['sockkit.test.', 15, false]]);
    for (const z of chain.zones) {
      const ksk = z.keys.find((k) => k.flags === 257)!;
      expect(z.ds).toEqual([expect.objectContaining({ tag: ksk.tag, matchesKey: ksk.tag })]);
      expect(z.dnskeySignedBy).toBe(ksk.tag);
    }
    const rrsig = theirs.stdout.split('\n').map((l) => l.split(/\s+/)).find((f) => f[3] === 'RRSIG')!; // owner ttl IN RRSIG A 15 3 ttl exp inc tag signer
    expect(chain.signatures).toEqual([expect.objectContaining({ keyTag: Number(rrsig[10]), zone: 'sockkit.test.', expiration: rrsig[8], inception: rrsig[9] })]);
    const zsk = chain.zones[2]!.keys.find((k) => k.flags === 256)!;
    expect(chain.signatures[0]!.keyTag).toBe(zsk.tag);
    // piped: one tab-separated line per zone and per signature after the answer
    const piped = await runSockkit(['resolve', 'www.sockkit.test', '-t', 'A', '@127.0.0.1', '-p', String(h.port), '--trust-anchor', h.anchorFile, '--validate', '--chain']);
    const lines = piped.stdout.trim().split('\n');
    expect(lines.map((l) => l.split('\t').slice(0, 4).join(' '))).toEqual([
      expect.stringMatching(/^www\.sockkit\.test A 3600 192\.0\.2\.10$/),
      'chain www.sockkit.test. zone .', 'chain www.sockkit.test. zone test.', 'chain www.sockkit.test. zone sockkit.test.',
      'chain www.sockkit.test. rrsig www.sockkit.test. A',
    ]);
  });

  test('over TCP: the same verdicts (the chain fetched on the one connection)', async () => {
    const [good, bad] = await Promise.all([sockkit(['www.sockkit.test', '--type', 'A', '--validate', '--tcp']), sockkit(['tampered.sockkit.test', '--type', 'A', '--validate', '--tcp'])]);
    expect(good.results[0]).toMatchObject({ transport: 'tcp', security: 'secure' });
    expect(bad.code).toBe(7);
    expect(bad.results[0]).toMatchObject({ transport: 'tcp', security: 'bogus', securityReason: 'tampered.sockkit.test. A: signature does not verify' });
  });

  test('--chain for insecure and bogus answers: the links that held, then where the chain ended and why', async () => {
    type Chain = { zones: Array<{ zone: string }>; signatures: unknown[]; end?: { status: string; zone: string; reason: string } };
    const cases: Array<[string, string[], Chain['end']]> = [
      ['www.unsigned.test', ['.', 'test.'], { status: 'insecure', zone: 'unsigned.test.', reason: 'unsigned.test. is an unsigned delegation (NSEC proves no DS)' }],
      ['www.plain.sockkit.test', ['.', 'test.', 'sockkit.test.'], { status: 'insecure', zone: 'plain.sockkit.test.', reason: 'plain.sockkit.test. is an unsigned delegation (NSEC3 proves no DS)' }],
      ['tampered.sockkit.test', ['.', 'test.', 'sockkit.test.'], { status: 'bogus', zone: 'sockkit.test.', reason: 'tampered.sockkit.test. A: signature does not verify' }],
      ['www.nomatch.test', ['.', 'test.'], { status: 'bogus', zone: 'nomatch.test.', reason: 'DS matches no key: the DS of nomatch.test. matches no DNSKEY' }],
      ['www.expired.test', ['.', 'test.'], { status: 'bogus', zone: 'expired.test.', reason: 'DNSKEY set of expired.test.: signature expired 2020-02-01T00:00:00Z' }],
    ];
    for (const [name, zones, end] of cases) {
      const r = await sockkit([name, '--type', 'A', '--validate', '--chain']);
      const chain = (r.results[0] as unknown as { chain: Chain }).chain;
      expect([name, chain.zones.map((z) => z.zone), chain.signatures, chain.end]).toEqual([name, zones, [], end]);
      expect(r.results[0]!.securityReason).toBe(end!.reason);
    }
    // piped: an `end` line after the zones' lines
    const piped = await runSockkit(['resolve', 'tampered.sockkit.test', '-t', 'A', '@127.0.0.1', '-p', String(h.port), '--trust-anchor', h.anchorFile, '--validate', '--chain']);
    expect(piped.code).toBe(7);
    expect(piped.stdout.trim().split('\n').slice(1).map((l) => l.split('\t').slice(0, 4).join(' '))).toEqual([
      'chain tampered.sockkit.test. zone .',
      'chain tampered.sockkit.test. zone test.',
      'chain tampered.sockkit.test. zone sockkit.test.',
      'chain tampered.sockkit.test. end sockkit.test.',
    ]);
    expect(piped.stdout.trim().split('\n').at(-1)!.split('\t').slice(4)).toEqual(['bogus', 'tampered.sockkit.test. A: signature does not verify']);
  });
});
