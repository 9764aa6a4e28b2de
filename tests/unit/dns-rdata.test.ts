import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { formatTypedRdata } from '../../src/net/dns/rdata.js';
import { formatRecordData, typeName, typeNumber } from '../../src/net/dns/packet.js';
import { EXTRA_TYPES } from '../../src/net/dns/types.js';

const raw = (type: number, bytes: number[] | Buffer) => formatRecordData({ name: 'x.', type, class: 1, ttl: 0, data: { kind: 'RAW', bytes: Buffer.from(bytes) } });

describe('presentation of the types beyond RFC 1035 (dig 9.18 style)', () => {
  test('type names both ways, as dig spells them', () => {
    for (const [name, number] of Object.entries(EXTRA_TYPES)) {
      expect(typeName(number)).toBe(name);
      expect(typeNumber(name.toLowerCase())).toBe(number);
    }
    expect(typeNumber('SPF')).toBe(99);
    expect(typeNumber('constructor')).toBeUndefined(); // no prototype names
    expect(typeName(1234)).toBe('TYPE1234');
  });

  test('DS: the digest in upper-case hex, cut at 56 characters', () => {
    const digest = Buffer.alloc(32, 0xab);
    expect(raw(43, [0x4f, 0x66, 8, 2, ...digest])).toBe(`20326 8 2 ${'AB'.repeat(28)} ${'AB'.repeat(4)}`);
  });

  test('NSEC: next name and type bitmap (RFC 4034 §4.3 example)', () => {
    // host.example.com. NSEC: A MX RRSIG NSEC TYPE1234
    const next = [4, ...Buffer.from('host'), 7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0];
    const bitmap = [0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20];
    expect(raw(47, [...next, ...bitmap])).toBe('host.example.com. A MX RRSIG NSEC TYPE1234');
  });

  test('a name compressed where RFC 3597 forbids it: the generic form, not a guess', () => {
    expect(raw(47, [0xc0, 0x0c, 0x00, 0x01, 0x40])).toBe('\\# 5 C00C000140');
  });

  test('SVCB: keys in order, unknown keys as keyNNNN, alpn quoted; keys out of order are unreadable', () => {
    const target = [0];
    const alpn = [0, 1, 0, 3, 2, ...Buffer.from('h2')];
    const port = [0, 3, 0, 2, 0x01, 0xbb];
    const unknown = [0x02, 0x9b, 0, 2, ...Buffer.from('hi')];
    expect(raw(64, [0, 1, ...target, ...alpn, ...port, ...unknown])).toBe('1 . alpn="h2" port=443 key667="hi"');
    expect(raw(64, [0, 1, ...target, ...port, ...alpn])).toMatch(/^\\# /);
  });

  test('LOC: RFC 1876 fields as BIND prints them', () => {
    // 42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m
    const lat = 2 ** 31 + ((42 * 60 + 21) * 60 + 54) * 1000;
    const lon = 2 ** 31 - ((71 * 60 + 6) * 60 + 18) * 1000;
    const alt = 10_000_000 - 2400;
    const b = Buffer.alloc(16);
    b.writeUInt8(0, 0);
    b.writeUInt8(0x33, 1);
    b.writeUInt8(0x16, 2);
    b.writeUInt8(0x13, 3);
    b.writeUInt32BE(lat, 4);
    b.writeUInt32BE(lon, 8);
    b.writeUInt32BE(alt, 12);
    expect(raw(29, b)).toBe('42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m');
  });

  test('property: any bytes of any of these types give a string, never a throw; unreadable ones the generic form', () => {
    const types = Object.values(EXTRA_TYPES);
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 80 }), (type, bytes) => {
        const text = raw(type, Buffer.from(bytes));
        expect(typeof text).toBe('string');
        if (formatTypedRdata(type, Buffer.from(bytes)) === undefined) expect(text).toMatch(/^\\# \d+/);
      }),
      { numRuns: 3000 },
    );
  });
});
