import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { TransferReader, TransferRefused } from '../../src/net/dns/axfr.js';
import { encodeMessage, RecordType, type DnsRecord } from '../../src/net/dns/packet.js';
import { SockkitError } from '../../src/net/shared/errors.js';

const ZONE = 'zone.test.';
const soa = (serial: number): DnsRecord => ({
  name: ZONE, type: RecordType.SOA, class: 1, ttl: 60,
  data: { kind: 'SOA', mname: 'ns.zone.test.', rname: 'h.zone.test.', serial, refresh: 1, retry: 1, expire: 1, minimum: 1 },
});
const a = (i: number): DnsRecord => ({ name: `h${i}.${ZONE}`, type: RecordType.A, class: 1, ttl: 60, data: { kind: 'A', address: `192.0.2.${i % 250}` } });
const frame = (answers: DnsRecord[], options: { id?: number; rcode?: number; question?: boolean } = {}) => {
  const m = encodeMessage({ id: options.id ?? 7, qr: true, rcode: options.rcode ?? 0, questions: options.question === false ? [] : [{ name: ZONE, type: 252, class: 1 }], answers });
  return Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);
};
const reader = (max = 1000) => new TransferReader(ZONE, 7, max, 'AXFR zone.test.');

describe('AXFR: the messages of one transfer (RFC 5936)', () => {
  test('SOA, records over several messages (later ones without the question), SOA again: done, in order', () => {
    const r = reader();
    expect(r.add(frame([soa(5), a(1), a(2)]))).toBe(false);
    expect(r.add(frame([a(3)], { question: false }))).toBe(false);
    expect(r.add(frame([a(4), soa(5)], { question: false }))).toBe(true);
    expect(r.result().records.map((x) => x.name)).toEqual([ZONE, 'h1.zone.test.', 'h2.zone.test.', 'h3.zone.test.', 'h4.zone.test.', ZONE]);
    expect(r.result().messages).toBe(3);
  });

  test('property: any cut of the byte stream gives the same records', () => {
    const bytes = Buffer.concat([frame([soa(9), a(1), a(2)]), frame([a(3), a(4)]), frame([soa(9)])]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 6 }), (cuts) => {
        const r = reader();
        const points = [0, ...[...new Set(cuts)].sort((x, y) => x - y), bytes.length];
        let done = false;
        for (let i = 0; i + 1 < points.length; i++) done = r.add(bytes.subarray(points[i]!, points[i + 1]!)) || done;
        expect(done).toBe(true);
        expect(r.result().records).toHaveLength(6);
      }),
    );
  });

  const fails = (frames: Buffer[], why: RegExp, max = 1000) => {
    const r = reader(max);
    let err: unknown;
    try {
      for (const f of frames) r.add(f);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SockkitError);
    expect((err as SockkitError).code).toBe('PROTOCOL');
    expect((err as SockkitError).why).toMatch(why);
  };

  test('a transfer that does not start with the SOA', () => fails([frame([a(1), soa(1)])], /does not start with the zone's SOA/));
  test('a closing SOA with another serial', () => fails([frame([soa(1), a(1), soa(2)])], /another serial/));
  test('more records than --max-records', () => fails([frame([soa(1), a(1), a(2), a(3)])], /more than 3 records/, 3));
  test('a message for another query ID', () => fails([frame([soa(1)]), frame([a(1)], { id: 8 })], /not a reply to our query/));
  test('a message for another question', () => {
    const m = encodeMessage({ id: 7, qr: true, questions: [{ name: 'other.test.', type: 252, class: 1 }], answers: [soa(1)] });
    fails([Buffer.concat([Buffer.from([0, m.length]), m])], /another question/);
  });
  test('garbage inside a frame', () => fails([Buffer.from([0, 3, 1, 2, 3])], /malformed message 1/));

  test('REFUSED (or any RCODE but NOERROR) is handed back as such, with the message', () => {
    expect(() => reader().add(frame([], { rcode: 5 }))).toThrow(TransferRefused);
  });
});
