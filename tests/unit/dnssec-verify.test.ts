// DNSSEC primitives against the RFCs' published examples: RFC 4034 §5.4 (key tag, DS),
// RFC 5702 §6 (RSA/SHA-256, RSA/SHA-512), RFC 6605 §6 (ECDSA P-256, P-384), RFC 8080 §6
// as corrected by erratum 4935 (Ed25519); then fast-check properties: any flipped bit of
// the RRset, the RRSIG or the key fails, and the validity window is kept.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { generateKeyPairSync, sign } from 'node:crypto';
import type { DnsRecord } from '../../src/net/dns/packet.js';
import { canonicalName, canonicalRdata, compareNames, signedData, signedOwner } from '../../src/net/dnssec/canonical.js';
import { dsDigest, dsMatches, keyTag } from '../../src/net/dnssec/keys.js';
import { parseDnskey, parseDs, parseRrsig, type Dnskey } from '../../src/net/dnssec/records.js';
import { serialBefore, validityProblem, verifyRrsig } from '../../src/net/dnssec/verify.js';

const b64 = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'base64');
const time = (s: string) => Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12), +s.slice(12, 14)) / 1000;

function dnskeyRdata(flags: number, algorithm: number, key: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(flags, 0);
  head[2] = 3;
  head[3] = algorithm;
  return Buffer.concat([head, key]);
}

function nameWire(name: string): Buffer {
  return canonicalName(name);
}

interface SigFields { covered: number; algorithm: number; labels: number; ttl: number; expiration: number; inception: number; tag: number; signer: string; signature: Buffer }
function rrsigRdata(f: SigFields): Buffer {
  const head = Buffer.alloc(18);
  head.writeUInt16BE(f.covered, 0);
  head[2] = f.algorithm;
  head[3] = f.labels;
  head.writeUInt32BE(f.ttl, 4);
  head.writeUInt32BE(f.expiration >>> 0, 8);
  head.writeUInt32BE(f.inception >>> 0, 12);
  head.writeUInt16BE(f.tag, 16);
  return Buffer.concat([head, nameWire(f.signer), f.signature]);
}

const a = (name: string, address: string): DnsRecord => ({ name, type: 1, class: 1, ttl: 3600, data: { kind: 'A', address } });
const mx = (name: string, preference: number, exchange: string): DnsRecord => ({ name, type: 15, class: 1, ttl: 3600, data: { kind: 'MX', preference, exchange } });

interface Vector { title: string; zone: string; flags: number; algorithm: number; key: string; tag: number; rrset: DnsRecord[]; labels: number; expiration: string; inception: string; signature: string }

const VECTORS: Vector[] = [
  {
    title: 'RFC 5702 §6.1 RSA/SHA-256 (512-bit key)', zone: 'example.net.', flags: 256, algorithm: 8, tag: 9033,
    key: 'AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8PkxUdp6p/DlUmObdk=',
    rrset: [a('www.example.net.', '192.0.2.91')], labels: 3, expiration: '20300101000000', inception: '20000101000000',
    signature: 'kRCOH6u7l0QGy9qpC9l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwlMgNEacFYK/lPtPiVYP4bwg==',
  },
  {
    title: 'RFC 5702 §6.2 RSA/SHA-512 (1024-bit key)', zone: 'example.net.', flags: 256, algorithm: 10, tag: 3740,
    key: 'AwEAAdHoNTOW+et86KuJOWRDp1pndvwb6Y83nSVXXyLA3DLroROUkN6X0O6pnWnjJQujX/AyhqFDxj13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8gpMpztNFLpPBz1bWXjDtaR7ZQBlZ3PFY12ZTSncorffcGmhOL',
    rrset: [a('www.example.net.', '192.0.2.91')], labels: 3, expiration: '20300101000000', inception: '20000101000000',
    signature: 'tsb4wnjRUDnB1BUi+t6TMTXThjVnG+eCkWqjvvjhzQL1d0YRoOe0CbxrVDYd0xDtsuJRaeUw1ep94PzEWzr0iGYgZBWm/zpq+9fOuagYJRfDqfReKBzMweOLDiNa8iP5g9vMhpuv6OPlvpXwm9Sa9ZXIbNl1MBGk0fthPgxdDLw=',
  },
  {
    title: 'RFC 6605 §6.1 ECDSA P-256/SHA-256', zone: 'example.net.', flags: 257, algorithm: 13, tag: 55648,
    key: 'GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==',
    rrset: [a('www.example.net.', '192.0.2.1')], labels: 3, expiration: '20100909100439', inception: '20100812100439',
    signature: 'qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==',
  },
  {
    title: 'RFC 6605 §6.2 ECDSA P-384/SHA-384', zone: 'example.net.', flags: 257, algorithm: 14, tag: 10771,
    key: 'xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40',
    rrset: [a('www.example.net.', '192.0.2.1')], labels: 3, expiration: '20100909102025', inception: '20100812102025',
    signature: '/L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hxQouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuzWTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm',
  },
  {
    title: 'RFC 8080 §6.1 Ed25519, first key (erratum 4935)', zone: 'example.com.', flags: 257, algorithm: 15, tag: 3613,
    key: 'l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=',
    rrset: [mx('example.com.', 10, 'mail.example.com.')], labels: 2, expiration: '20150819220000', inception: '20150729220000',
    signature: 'oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==',
  },
  {
    title: 'RFC 8080 §6.1 Ed25519, second key (erratum 4935)', zone: 'example.com.', flags: 257, algorithm: 15, tag: 35217,
    key: 'zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs=',
    rrset: [mx('example.com.', 10, 'mail.example.com.')], labels: 2, expiration: '20150819220000', inception: '20150729220000',
    signature: 'zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJSnzQoSm5poJ7gD7AQR0O7KuI5k2pcBg==',
  },
];

function materials(v: Vector) {
  const key = parseDnskey(dnskeyRdata(v.flags, v.algorithm, b64(v.key)));
  const sigRdata = rrsigRdata({ covered: v.rrset[0]!.type, algorithm: v.algorithm, labels: v.labels, ttl: 3600, expiration: time(v.expiration), inception: time(v.inception), tag: v.tag, signer: v.zone, signature: b64(v.signature) });
  const now = time(v.inception) + 86_400;
  return { key, sigRdata, now };
}

describe('RFC example signatures verify (node:crypto decides)', () => {
  test.each(VECTORS)('$title', (v) => {
    const { key, sigRdata, now } = materials(v);
    expect(keyTag(key.rdata)).toBe(v.tag);
    expect(verifyRrsig(v.rrset, parseRrsig(sigRdata), key, v.zone, now)).toEqual({ ok: true });
    // the record set with another value, the same signature: rejected
    const other = v.rrset[0]!.type === 1 ? [a(v.rrset[0]!.name, '192.0.2.99')] : [mx(v.rrset[0]!.name, 20, 'mail.example.com.')];
    expect(verifyRrsig(other, parseRrsig(sigRdata), key, v.zone, now)).toEqual({ ok: false, reason: 'signature does not verify' });
  });

  test('owner and RDATA names are compared in canonical (lower) case', () => {
    const v = VECTORS[4]!;
    const { key, sigRdata, now } = materials(v);
    const shouty = [mx('EXAMPLE.com.', 10, 'Mail.Example.COM.')];
    expect(verifyRrsig(shouty, parseRrsig(sigRdata), key, 'Example.COM.', now)).toEqual({ ok: true });
  });
});

describe('RFC 4034 §5.4 and the DS digests', () => {
  const key = parseDnskey(dnskeyRdata(256, 5, b64(`AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvx
    egXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==`)));
  test('dskey.example.com: key tag 60485 and the SHA-1 DS of the RFC', () => {
    expect(keyTag(key.rdata)).toBe(60485);
    expect(dsDigest('dskey.example.com.', key, 1)!.toString('hex').toUpperCase()).toBe('2BB183AF5F22588179A53B0A98631FAD1A292118');
  });
  test('SHA-256 and SHA-384 digests agree with ldns-key2ds 1.8 (an independent implementation)', () => {
    // `ldns-key2ds -f -n -2` / `-4` on the RFC's key, run once by hand
    expect(dsDigest('DSKEY.example.com.', key, 2)!.toString('hex')).toBe('d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a');
    expect(dsDigest('dskey.example.com.', key, 4)!.toString('hex')).toBe('ab64dbebe13c0b6bae558b78ccab93b836f8ada4cbed2d4484a8715a819de7b9e846315e70ea5d884b377394bdaf16a3');
    expect(dsDigest('dskey.example.com.', key, 3)).toBeUndefined();
  });
  test('the RFC 6605 and RFC 8080 DS records match their keys', () => {
    const cases: Array<[Vector, number, string]> = [
      [VECTORS[2]!, 2, 'b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17'],
      [VECTORS[3]!, 4, '72d7b62976ce06438e9c0bf319013cf801f09ecc84b8d7e9495f27e305c6a9b0563a9b5f4d288405c3008a946df983d6'],
      [VECTORS[4]!, 2, '3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b'],
      [VECTORS[5]!, 2, '401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c6614c'],
    ];
    for (const [v, digestType, hex] of cases) {
      const { key: k } = materials(v);
      const ds = parseDs(Buffer.concat([Buffer.from([v.tag >> 8, v.tag & 0xff, v.algorithm, digestType]), Buffer.from(hex, 'hex')]));
      expect(dsMatches(ds, v.zone, k)).toBe(true);
      expect(dsMatches({ ...ds, keyTag: (ds.keyTag + 1) & 0xffff }, v.zone, k)).toBe(false);
      expect(dsMatches(ds, `x.${v.zone}`, k)).toBe(false);
    }
  });
});

describe('canonical form and order (RFC 4034 §6)', () => {
  test('the §6.1 example names sort as listed', () => {
    const sorted = ['example.', 'a.example.', 'yljkjljk.a.example.', 'Z.a.example.', 'zABC.a.EXAMPLE.', 'z.example.', '\\001.z.example.', '*.z.example.', '\\200.z.example.'];
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareNames)).toEqual(sorted);
  });
  test('RDATA names lowercased for MX, A kept, wildcard owners rebuilt from the label count', () => {
    expect(canonicalRdata(mx('x.', 10, 'MAIL.Example.')).toString('hex')).toBe('000a046d61696c076578616d706c6500');
    expect(canonicalRdata(a('x.', '192.0.2.1')).toString('hex')).toBe('c0000201');
    expect(signedOwner('a.b.example.', 2)).toBe('*.b.example.');
    expect(signedOwner('*.example.', 1)).toBe('*.example.');
    expect(signedOwner('example.', 2)).toBeUndefined();
  });
  test('duplicate records are signed once, in RDATA order', () => {
    const sig = parseRrsig(rrsigRdata({ covered: 1, algorithm: 13, labels: 1, ttl: 60, expiration: 2, inception: 1, tag: 1, signer: 'x.', signature: Buffer.alloc(0) }));
    const one = signedData(sig, [a('x.', '192.0.2.2'), a('x.', '192.0.2.1')])!;
    const dup = signedData(sig, [a('x.', '192.0.2.1'), a('X.', '192.0.2.2'), a('x.', '192.0.2.1')])!;
    expect(dup.equals(one)).toBe(true);
    expect(one.subarray(one.length - 4).toString('hex')).toBe('c0000202');
  });
});

describe('validity window with serial arithmetic (RFC 4034 §3.1.5)', () => {
  test('inside, before and after', () => {
    const w = { inception: 1000, expiration: 2000 };
    expect(validityProblem(w, 1500)).toBeUndefined();
    expect(validityProblem(w, 2000)).toBeUndefined();
    expect(validityProblem(w, 2001)).toMatch(/^signature expired/);
    expect(validityProblem(w, 999)).toMatch(/^signature not yet valid/);
  });
  test('a window across the 2^32 wrap (2106) holds as serial numbers', () => {
    const w = { inception: 0xffff0000, expiration: 0x00010000 };
    expect(validityProblem(w, 0x1_0000_0000 + 5)).toBeUndefined();
    expect(serialBefore(0xfffffff0, 5)).toBe(true);
  });
  test('property: a time outside [inception, expiration] is refused, inside accepted', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 0x3fffffff }), fc.integer({ min: -0x3fffffff, max: 0x3fffffff }), (inception, length, offset) => {
      const w = { inception, expiration: (inception + length) >>> 0 };
      const now = inception + offset;
      const inside = offset >= 0 && offset <= length;
      expect(validityProblem(w, now) === undefined).toBe(inside);
    }));
  });
});

describe('any flipped bit fails (fast-check)', () => {
  // fresh keys of each algorithm, signing with node:crypto, a zone's RRset of 1-4 A records
  const makers: Record<number, () => { key: Buffer; sign: (d: Buffer) => Buffer }> = {
    8: () => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const jwk = publicKey.export({ format: 'jwk' });
      const e = Buffer.from(jwk.e!, 'base64url');
      const n = Buffer.from(jwk.n!, 'base64url');
      return { key: Buffer.concat([Buffer.from([e.length]), e, n]), sign: (d) => sign('sha256', d, privateKey) };
    },
    13: () => {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      return { key: Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]), sign: (d) => sign('sha256', d, { key: privateKey, dsaEncoding: 'ieee-p1363' }) };
    },
    15: () => {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      return { key: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'), sign: (d) => sign(null, d, privateKey) };
    },
  };
  for (const algorithm of [8, 13, 15]) {
    const maker = makers[algorithm]!();
    const key: Dnskey = parseDnskey(dnskeyRdata(257, algorithm, maker.key));
    const zone = 'sockkit.test.';
    const now = 1_700_000_000;
    const signed = (rrset: DnsRecord[]) => {
      const unsigned = rrsigRdata({ covered: 1, algorithm, labels: 3, ttl: 3600, expiration: now + 1000, inception: now - 1000, tag: keyTag(key.rdata), signer: zone, signature: Buffer.alloc(0) });
      const data = signedData(parseRrsig(unsigned), rrset)!;
      return Buffer.concat([unsigned, maker.sign(data)]);
    };
    const addresses = fc.uniqueArray(fc.tuple(fc.nat(255), fc.nat(255)).map(([x, y]) => `192.0.${x}.${y}`), { minLength: 1, maxLength: 4 });
    test(`algorithm ${algorithm}: the RRset, the RRSIG or the key with one bit flipped does not verify`, () => {
      fc.assert(fc.property(addresses, fc.nat(), fc.nat(7), fc.constantFrom('rrset', 'rrsig', 'key'), (list, at, bit, where) => {
        const rrset = list.map((x) => a('www.sockkit.test.', x));
        const sig = signed(rrset);
        expect(verifyRrsig(rrset, parseRrsig(sig), key, zone, now)).toEqual({ ok: true });
        if (where === 'rrset') {
          const i = at % rrset.length;
          const parts = (rrset[i]!.data as { address: string }).address.split('.').map(Number);
          parts[(at >> 3) % 4]! ^= 1 << bit;
          const changed = rrset.map((r, j) => (j === i ? a(r.name, parts.join('.')) : r));
          // flipping may make it equal another record of the set: then the set really changed size
          expect(verifyRrsig(changed, parseRrsig(sig), key, zone, now).ok).toBe(false);
        } else if (where === 'rrsig') {
          const bad = Buffer.from(sig);
          bad[at % bad.length]! ^= 1 << bit;
          let parsed;
          try { parsed = parseRrsig(bad); } catch { return; } // unreadable: never accepted either
          const same = parseRrsig(sig);
          // a letter of the signer's name in the other case is the same name (RFC 4034 §6.2): not a change
          if (parsed.signedPart.equals(same.signedPart) && parsed.signature.equals(same.signature)) return;
          expect(verifyRrsig(rrset, parsed, key, zone, now).ok).toBe(false);
        } else {
          const bad = Buffer.from(key.rdata);
          bad[at % bad.length]! ^= 1 << bit;
          expect(verifyRrsig(rrset, parseRrsig(sig), parseDnskey(bad), zone, now).ok).toBe(false);
        }
      }), { numRuns: algorithm === 8 ? 60 : 150 });
    });
  }
});
