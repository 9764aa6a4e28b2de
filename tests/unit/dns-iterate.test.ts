// resolve --iterate's pure parts: the root hints (built in and named.root's format), and
// how a reply from a server of a zone is judged (answer, denial, referral, or lame).
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { IANA_ROOT_HINTS, parseRootHints, RootHintsError } from '../../src/net/dns/root-hints.js';
import { judge } from '../../src/net/dns/iterate.js';
import { Rcode, RecordType, type DnsMessage, type DnsRecord } from '../../src/net/dns/packet.js';

const rr = (name: string, type: number, data: DnsRecord['data']): DnsRecord => ({ name, type, class: 1, ttl: 60, data });
const ns = (zone: string, target: string) => rr(zone, RecordType.NS, { kind: 'NAME', target });
const a = (name: string, address: string) => rr(name, RecordType.A, { kind: 'A', address });
const soa = (zone: string) => rr(zone, RecordType.SOA, { kind: 'SOA', mname: 'ns.', rname: 'h.', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 });

function reply(parts: Partial<DnsMessage>): DnsMessage {
  return { id: 1, qr: true, opcode: 0, aa: false, tc: false, rd: false, ra: false, rcode: Rcode.NOERROR, questions: [], answers: [], authorities: [], additionals: [], ...parts };
}

describe('root hints', () => {
  test('built in: the 13 root servers of named.root, each with an IPv4 and an IPv6 address', () => {
    expect(IANA_ROOT_HINTS.map((s) => s.name)).toEqual('abcdefghijklm'.split('').map((l) => `${l}.root-servers.net.`));
    expect(IANA_ROOT_HINTS.every((s) => s.addresses.length === 2)).toBe(true);
    expect(IANA_ROOT_HINTS[0]).toEqual({ name: 'a.root-servers.net.', addresses: ['198.41.0.4', '2001:503:ba3e::2:30'] });
    expect(IANA_ROOT_HINTS[1]!.addresses).toEqual(['170.247.170.2', '2801:1b8:10::b']);
  });

  test("named.root's own lines: comments, TTL and class optional, names in any case", () => {
    const hints = parseRootHints(`;       This file holds the information on root name servers
; FORMERLY NS.INTERNIC.NET
.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4
A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30
.                        3600000  IN  NS    B.ROOT-SERVERS.NET.
b.root-servers.net.      A     170.247.170.2 ; a comment
; End of file`);
    expect(hints).toEqual([
      { name: 'a.root-servers.net.', addresses: ['198.41.0.4', '2001:503:ba3e::2:30'] },
      { name: 'b.root-servers.net.', addresses: ['170.247.170.2'] },
    ]);
  });

  test.each([
    ['', 'no NS line for the root (.)'],
    ['ns1. A 127.0.0.2', 'no NS line for the root (.)'],
    ['. NS ns1.', 'root server ns1. has no A or AAAA line'],
    ['. NS ns1.\nns1. A 2001:db8::1', "line 2: '2001:db8::1' is not an IPv4 address"],
    ['. NS ns1.\nns1. AAAA', 'line 2: AAAA without data'],
  ])('refused: %j', (text, why) => {
    expect(() => parseRootHints(text)).toThrow(new RootHintsError(why));
  });
});

describe('judging a reply on the way down', () => {
  const name = 'www.example.test.';
  test('a referral below the zone asked, glue taken only from inside that zone', () => {
    const judged = judge(reply({ authorities: [ns('example.test.', 'ns1.example.test.'), ns('example.test.', 'ns.other.')], additionals: [a('ns1.example.test.', '192.0.2.1'), a('ns.other.', '192.0.2.66')] }), 'test.', name, RecordType.A);
    expect(judged).toEqual({ kind: 'referral', zone: 'example.test.', servers: [{ name: 'ns1.example.test.', addresses: ['192.0.2.1'] }, { name: 'ns.other.', addresses: [] }] });
  });

  test.each<[string, Partial<DnsMessage>, string, string]>([
    ['a referral to the zone asked', { authorities: [ns('test.', 'ns.test.')] }, 'test.', 'a referral to test. does not get closer to www.example.test. than test.'],
    ['an upward referral', { authorities: [ns('.', 'ns1.')] }, 'test.', 'a referral to . does not get closer to www.example.test. than test.'],
    ['a referral aside', { authorities: [ns('other.test.', 'ns.test.')] }, 'test.', 'a referral to other.test., which is not above www.example.test.'],
    ['an answer without AA', { answers: [a(name, '192.0.2.1')] }, 'example.test.', 'an answer without AA: not authoritative for the name'],
    ['NXDOMAIN without AA', { rcode: Rcode.NXDOMAIN }, 'example.test.', 'NXDOMAIN without AA: not authoritative for the name'],
    ['REFUSED', { rcode: Rcode.REFUSED, aa: true }, 'example.test.', 'it answered REFUSED'],
    ['SERVFAIL', { rcode: Rcode.SERVFAIL }, 'example.test.', 'it answered SERVFAIL'],
    ['no AA and no referral', { authorities: [soa('example.test.')] }, 'example.test.', 'no AA and no referral: not a server of the zone'],
  ])('lame: %s', (_what, parts, zone, why) => {
    expect(judge(reply(parts), zone, name, RecordType.A)).toEqual({ kind: 'lame', why });
  });

  test('a referral with AA set by mistake (NS of a zone below, no SOA) is still a referral; with a SOA it is NODATA', () => {
    const parts = { aa: true, authorities: [ns('example.test.', 'ns1.example.test.')] };
    expect(judge(reply(parts), 'test.', name, RecordType.A)).toMatchObject({ kind: 'referral', zone: 'example.test.' });
    expect(judge(reply({ ...parts, authorities: [...parts.authorities, soa('test.')] }), 'test.', name, RecordType.A).kind).toBe('nodata');
    expect(judge(reply({ aa: true, authorities: [ns('example.test.', 'ns1.example.test.')] }), 'example.test.', name, RecordType.A).kind).toBe('nodata');
  });

  test('authoritative answers and denials end the walk', () => {
    expect(judge(reply({ aa: true, answers: [a(name, '192.0.2.1')] }), 'example.test.', name, RecordType.A).kind).toBe('answer');
    expect(judge(reply({ aa: true, rcode: Rcode.NXDOMAIN, authorities: [soa('example.test.')] }), 'example.test.', name, RecordType.A).kind).toBe('nxdomain');
    expect(judge(reply({ aa: true, authorities: [soa('example.test.')] }), 'example.test.', name, RecordType.A).kind).toBe('nodata');
    // a CNAME out of the zone is an answer (the walk then follows the target); NXDOMAIN along a chain stays NXDOMAIN (RFC 6604)
    const cname = rr(name, RecordType.CNAME, { kind: 'NAME', target: 'www.other.' });
    expect(judge(reply({ aa: true, answers: [cname] }), 'example.test.', name, RecordType.A).kind).toBe('answer');
    expect(judge(reply({ aa: true, rcode: Rcode.NXDOMAIN, answers: [cname] }), 'example.test.', name, RecordType.A).kind).toBe('nxdomain');
  });

  const label = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
  const nameOf = (labels: string[]) => (labels.length === 0 ? '.' : `${labels.join('.')}.`);

  test('property: a referral is followed only when it goes down from the zone asked and stays above the name', () => {
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 6 }), fc.nat(6), fc.array(label, { maxLength: 6 }), (qlabels, zoneDepth, cutLabels) => {
        const qname = nameOf(qlabels);
        const zone = nameOf(qlabels.slice(Math.min(zoneDepth, qlabels.length)));
        const cut = nameOf(cutLabels);
        const judged = judge(reply({ authorities: [ns(cut, 'ns.elsewhere.')] }), zone, qname, RecordType.A);
        const below = (n: string, z: string) => z === '.' || n === z || n.endsWith(`.${z}`);
        const closer = below(qname, cut) && below(cut, zone) && cut !== zone;
        expect(judged.kind).toBe(closer ? 'referral' : 'lame');
        if (judged.kind === 'referral') expect(judged.zone).toBe(cut);
      }),
      { numRuns: 500 },
    );
  });
});
