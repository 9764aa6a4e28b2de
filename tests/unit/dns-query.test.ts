import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { DEFAULT_QUERY, queryEncoder, querySpec, type QueryOptions } from '../../src/net/dns/query.js';
import { clientSubnetOption, describeEdnsOption, describeExtendedError } from '../../src/net/dns/edns.js';
import { decodeMessage, encodeMessage, encodeQuery, RecordType } from '../../src/net/dns/packet.js';

const withEdns = (edns: Partial<Exclude<QueryOptions['edns'], false>>): QueryOptions => ({ ...DEFAULT_QUERY, edns: { ...(DEFAULT_QUERY.edns as object), ...edns } as Exclude<QueryOptions['edns'], false> });
const name = fc.array(fc.stringMatching(/^[a-z0-9-]{1,63}$/), { minLength: 1, maxLength: 3 }).map((ls) => `${ls.join('.')}.`);

describe('query options on the wire', () => {
  test('the defaults are encodeQuery itself, byte for byte (the batch path)', () => {
    expect(queryEncoder(DEFAULT_QUERY)(0x1234, 'a.test.', 1)).toEqual(encodeQuery(0x1234, 'a.test.', 1));
  });

  test('property: header bits, class and payload size come back as set', () => {
    fc.assert(
      fc.property(name, fc.boolean(), fc.boolean(), fc.boolean(), fc.constantFrom(1, 3, 4), fc.integer({ min: 512, max: 65535 }), (n, recurse, ad, cd, qclass, udpPayload) => {
        const options: QueryOptions = { qclass, recurse, ad, cd, edns: { udpPayload, do: false, options: [], padBlock: 0 } };
        const q = decodeMessage(queryEncoder(options)(7, n, RecordType.TXT));
        expect(q).toMatchObject({ id: 7, rd: recurse, ad, cd, questions: [{ name: n, type: 16, class: qclass }] });
        expect(q.edns!.udpPayload).toBe(udpPayload);
      }),
    );
  });

  test('property: with padding every query is a multiple of 128 octets (RFC 8467 §4.1), the padding option last', () => {
    const spec = querySpec(DEFAULT_QUERY, true);
    fc.assert(
      fc.property(name, fc.integer({ min: 0, max: 65535 }), (n, id) => {
        const bytes = spec.encode(id, n, RecordType.A);
        expect(bytes.length % 128).toBe(0);
        expect(decodeMessage(bytes).edns!.options!.at(-1)!.code).toBe(12);
      }),
    );
    expect(querySpec(DEFAULT_QUERY, false).encode(1, 'a.test.', 1).length % 128).not.toBe(0);
    expect(querySpec(withEdns({ padBlock: 128 })).encode(1, 'a.test.', 1).length).toBe(128);
  });

  test('property: a padded query (patched in place) equals the one the general encoder writes, with and without other options', () => {
    const opt = (data: Buffer) => ({ name: '.', type: RecordType.OPT, class: 1232, ttl: 0, data: { kind: 'RAW' as const, bytes: data } });
    const optionWire = (code: number, data: Buffer) => Buffer.concat([Buffer.from([code >> 8, code & 0xff, data.length >> 8, data.length & 0xff]), data]);
    fc.assert(
      fc.property(name, fc.integer({ min: 0, max: 65535 }), fc.boolean(), (n, id, withNsid) => {
        const options = withNsid ? [{ code: 3, data: Buffer.alloc(0) }] : [];
        const ours = querySpec(withEdns({ options }), true).encode(id, n, RecordType.A);
        const base = Buffer.concat(options.map((o) => optionWire(o.code, o.data)));
        const unpadded = encodeMessage({ id, rd: true, questions: [{ name: n, type: 1, class: 1 }], additionals: [opt(base)] });
        const padding = (128 - ((unpadded.length + 4) % 128)) % 128;
        const general = encodeMessage({ id, rd: true, questions: [{ name: n, type: 1, class: 1 }], additionals: [opt(Buffer.concat([base, optionWire(12, Buffer.alloc(padding))]))] });
        expect(ours).toEqual(general);
      }),
    );
  });

  test('--no-edns: no OPT record', () => {
    expect(decodeMessage(queryEncoder({ ...DEFAULT_QUERY, edns: false })(1, 'a.test.', 1)).additionals).toEqual([]);
  });

  test('a cookie sent: a reply echoing another client cookie is refused, ours (or none) is fine', () => {
    const ours = Buffer.from('0102030405060708', 'hex');
    const spec = querySpec(withEdns({ options: [{ code: 10, data: ours }] }));
    const reply = (cookie?: Buffer) => decodeMessage(encodeMessage({ id: 1, qr: true, additionals: [{ name: '.', type: RecordType.OPT, class: 1232, ttl: 0, data: { kind: 'RAW', bytes: cookie ? Buffer.concat([Buffer.from([0, 10, 0, cookie.length]), cookie]) : Buffer.alloc(0) } }] }));
    expect(spec.check!(reply(Buffer.concat([ours, Buffer.alloc(8, 9)])))).toBeUndefined();
    expect(spec.check!(reply())).toBeUndefined();
    expect(spec.check!(reply(Buffer.alloc(16, 1)))).toMatch(/not ours/);
  });
});

describe('EDNS options in words', () => {
  test('client subnet (RFC 7871 §6): the address cut to the prefix, bits past it zero', () => {
    expect(clientSubnetOption('192.0.2.255/24').data).toEqual(Buffer.from([0, 1, 24, 0, 192, 0, 2]));
    expect(clientSubnetOption('2001:db8:ffff::/36').data).toEqual(Buffer.from([0, 2, 36, 0, 0x20, 0x01, 0x0d, 0xb8, 0xf0]));
    expect(clientSubnetOption('0.0.0.0/0').data).toEqual(Buffer.from([0, 1, 0, 0]));
    expect(describeEdnsOption(clientSubnetOption('192.0.2.0/24'))).toEqual({ name: 'CLIENT-SUBNET', value: '192.0.2.0/24/0' });
  });

  test('extended errors (RFC 8914): code, registry name, text with control characters escaped', () => {
    expect(describeExtendedError(Buffer.from([0, 6]))).toBe('6 (DNSSEC Bogus)');
    expect(describeExtendedError(Buffer.concat([Buffer.from([0, 15]), Buffer.from('blocked\nby policy')]))).toBe('15 (Blocked): blocked\\010by policy');
    expect(describeExtendedError(Buffer.from([0x12, 0x34]))).toBe('4660 (unassigned)');
    expect(describeExtendedError(Buffer.from([1]))).toMatch(/malformed/);
  });

  test('property: any option bytes are described without a throw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.uint8Array({ maxLength: 40 }), (code, data) => {
        const described = describeEdnsOption({ code, data: Buffer.from(data) });
        expect(typeof described.value).toBe('string');
        expect(described.value).not.toMatch(/[\x00-\x1f]/);
      }),
    );
  });
});

describe('padding appended in place (query.ts padQuery)', () => {
  test('property: the same bytes as encoding the message again with a PADDING option (RFC 7830), with and without other options', () => {
    fc.assert(
      fc.property(name, fc.integer({ min: 0, max: 65535 }), fc.boolean(), fc.constantFrom(128, 468, 64), (n, id, nsid, padBlock) => {
        const options = nsid ? [{ code: 3, data: Buffer.alloc(0) }] : [];
        const padded = queryEncoder(withEdns({ padBlock, options }))(id, n, RecordType.A);
        const unpadded = queryEncoder(withEdns({ padBlock: 0, options }))(id, n, RecordType.A);
        const padding = (padBlock - ((unpadded.length + 4) % padBlock)) % padBlock;
        const optionBytes = Buffer.concat([...options.map(() => Buffer.from([0, 3, 0, 0])), Buffer.from([0, 12, padding >> 8, padding & 0xff]), Buffer.alloc(padding)]);
        const reference = encodeMessage({ id, rd: true, questions: [{ name: n, type: RecordType.A, class: 1 }], additionals: [{ name: '.', type: RecordType.OPT, class: 1232, ttl: 0, data: { kind: 'RAW', bytes: optionBytes } }] });
        expect(padded).toEqual(reference);
      }),
    );
  });
});
