// Proofs of non-existence: NSEC (RFC 4035 §5.4) and NSEC3 (RFC 5155 §8) on record sets
// built here; the NSEC3 hash against RFC 5155 Appendix A (checked with ldns-nsec3-hash).
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { DnsRecord } from '../../src/net/dns/packet.js';
import { canonicalName, compareNames } from '../../src/net/dnssec/canonical.js';
import { base32hex, nsec3Denial, nsec3Hash, nsecDenial } from '../../src/net/dnssec/denial.js';

function bitmap(types: number[]): Buffer {
  const windows = new Map<number, number[]>();
  for (const t of types) {
    const w = t >> 8;
    const bytes = windows.get(w) ?? [];
    const i = (t & 0xff) >> 3;
    while (bytes.length <= i) bytes.push(0);
    bytes[i]! |= 0x80 >> (t & 7);
    windows.set(w, bytes);
  }
  return Buffer.concat([...windows.entries()].sort((a, b) => a[0] - b[0]).map(([w, b]) => Buffer.from([w, b.length, ...b])));
}

const nsec = (owner: string, next: string, types: number[]): DnsRecord => ({ name: owner, type: 47, class: 1, ttl: 300, data: { kind: 'RAW', bytes: Buffer.concat([canonicalName(next), bitmap(types)]) } });

const B32 = '0123456789abcdefghijklmnopqrstuv';
function unbase32hex(text: string): Buffer {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text) {
    value = (value << 5) | B32.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

const SALT = Buffer.from('aabbccdd', 'hex');
function nsec3(zone: string, hash: string, next: string, types: number[], optOut = false, iterations = 12): DnsRecord {
  const nextBytes = unbase32hex(next);
  const head = Buffer.from([1, optOut ? 1 : 0, iterations >> 8, iterations & 0xff, SALT.length]);
  return { name: `${hash}.${zone}`, type: 50, class: 1, ttl: 300, data: { kind: 'RAW', bytes: Buffer.concat([head, SALT, Buffer.from([nextBytes.length]), nextBytes, bitmap(types)]) } };
}

describe('NSEC3 hash (RFC 5155 Appendix A: salt aabbccdd, 12 iterations)', () => {
  test.each([
    ['example.', '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom'],
    ['a.example.', '35mthgpgcu1qg68fab165klnsnk3dpvl'],
    ['*.w.example.', 'r53bq7cc2uvmubfu5ocmm6pers9tk9en'],
    ['x.y.w.example.', '2vptu5timamqttgl4luu9kg21e0aor3s'],
    ['XX.Example.', 't644ebqk9bibcna874givr6joj62mlhv'],
  ])('%s → %s', (name, hash) => {
    expect(nsec3Hash(name, SALT, 12)).toBe(hash);
  });
  test('base32hex round trip (RFC 4648 §7 alphabet, no padding)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
      expect(unbase32hex(base32hex(Buffer.from(bytes))).equals(Buffer.from(bytes))).toBe(true);
    }));
  });
});

describe('NSEC denial', () => {
  // example. → a → m (A) → z → back to the apex
  const chain = [nsec('example.', 'a.example.', [2, 6, 46, 47, 48]), nsec('a.example.', 'm.example.', [1, 46, 47]), nsec('m.example.', 'z.example.', [1, 46, 47]), nsec('z.example.', 'example.', [1, 16, 46, 47])];
  test('NODATA: the NSEC at the name lacks the type', () => {
    expect(nsecDenial([chain[2]!], 'm.example.', 16, false)).toEqual({ proved: true });
    expect(nsecDenial([chain[2]!], 'm.example.', 1, false)).toMatchObject({ proved: false, reason: expect.stringContaining('lists the type asked') });
    expect(nsecDenial([chain[1]!], 'm.example.', 16, false).proved).toBe(false);
  });
  test('NXDOMAIN: a covering NSEC and the wildcard proved absent', () => {
    expect(nsecDenial([chain[2]!, chain[0]!], 'n.example.', 1, true)).toEqual({ proved: true }); // *.example. sorts before a.example.
    expect(nsecDenial([chain[2]!], 'n.example.', 1, true)).toMatchObject({ proved: false, reason: 'no NSEC proves *.example. absent' });
    expect(nsecDenial([chain[1]!, chain[0]!], 'n.example.', 1, true)).toMatchObject({ proved: false, reason: 'no NSEC covers n.example.' });
    expect(nsecDenial([chain[3]!, chain[0]!], 'zz.example.', 1, true)).toEqual({ proved: true }); // the last NSEC wraps to the apex
    expect(nsecDenial([chain[2]!, chain[0]!], 'm.example.', 1, true).proved).toBe(false); // m exists
  });
  test('property: among the chain, a name is covered by exactly one NSEC unless it exists', () => {
    const owners = chain.map((r) => r.name);
    fc.assert(fc.property(fc.stringMatching(/^[a-z]{1,3}$/), (label) => {
      const name = `${label}.example.`;
      const exists = owners.includes(name);
      const proofs = chain.filter((r) => nsecDenial([r, chain[0]!], name, 1, true).proved);
      expect(proofs.length).toBe(exists ? 0 : 1);
    }));
  });
  test('canonical order of the RFC 4034 §6.1 example holds for covering', () => {
    expect(compareNames('z.example.', '\\001.z.example.')).toBeLessThan(0);
  });
});

describe('NSEC3 denial', () => {
  // the zone example. with names example., a.example., m.example.; hashes sorted into a ring
  const names = ['example.', 'a.example.', 'm.example.'];
  const hashed = names.map((n) => ({ n, h: nsec3Hash(n, SALT, 12) })).sort((x, y) => (x.h < y.h ? -1 : 1));
  const ring = (optOut = false) => hashed.map((e, i) => nsec3('example.', e.h, hashed[(i + 1) % hashed.length]!.h, e.n === 'example.' ? [2, 6, 46, 48, 51] : [1, 46], optOut));
  test('NODATA: the NSEC3 matching the name lacks the type', () => {
    expect(nsec3Denial(ring(), 'a.example.', 16, false, 'example.')).toEqual({ proved: true });
    expect(nsec3Denial(ring(), 'a.example.', 1, false, 'example.')).toMatchObject({ proved: false });
  });
  test('NXDOMAIN: closest encloser matched, next closer and wildcard covered', () => {
    expect(nsec3Denial(ring(), 'nope.example.', 1, true, 'example.')).toEqual({ proved: true });
    expect(nsec3Denial(ring(), 'a.b.example.', 1, true, 'example.')).toEqual({ proved: true });
    expect(nsec3Denial(ring(), 'a.example.', 1, true, 'example.')).toMatchObject({ proved: false, reason: expect.stringContaining('it exists') });
    // without the record covering the next closer name: not proved
    const h = nsec3Hash('nope.example.', SALT, 12);
    const withoutCover = ring().filter((r) => {
      const own = r.name.split('.')[0]!;
      const i = hashed.findIndex((e) => e.h === own);
      const next = hashed[(i + 1) % hashed.length]!.h;
      return !(next <= own ? h > own || h < next : h > own && h < next);
    });
    expect(nsec3Denial(withoutCover, 'nope.example.', 1, true, 'example.')).toMatchObject({ proved: false });
  });
  test('opt-out spans make NXDOMAIN insecure, and over 150 iterations the zone is insecure', () => {
    expect(nsec3Denial(ring(true), 'nope.example.', 1, true, 'example.')).toEqual({ proved: true, optOut: true });
    const many = [nsec3('example.', hashed[0]!.h, hashed[1]!.h, [1], false, 151)];
    expect(nsec3Denial(many, 'nope.example.', 1, true, 'example.')).toEqual({ insecure: 'NSEC3 with 151 iterations (over 150, RFC 9276)' });
  });
});
