import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { SockkitError } from '../../src/net/shared/errors.js';
import {
  describeRecord,
  encodeRecord,
  interpretKeResponse,
  keRequestRecords,
  KeRecordReader,
  MAX_KE_RECORDS,
  MAX_KE_RESPONSE_BYTES,
  RecordType,
  type KeRecord,
} from '../../src/net/ntp/nts-ke-records.js';
import { exporterContext } from '../../src/net/ntp/nts-ke.js';

const u16 = (...values: number[]) => Buffer.from(values.flatMap((v) => [v >> 8, v & 0xff]));
const rec = (type: number, body: Buffer = Buffer.alloc(0), critical = false): KeRecord => ({ critical, type, body });
const END = rec(RecordType.END_OF_MESSAGE, Buffer.alloc(0), true);
const NTPV4 = rec(RecordType.NEXT_PROTOCOL, u16(0), true);
const SIV = rec(RecordType.AEAD, u16(15), true);
const COOKIE = rec(RecordType.NEW_COOKIE, Buffer.alloc(100, 0xcc));

function keFailure(records: KeRecord[]): string {
  try {
    interpretKeResponse(records);
  } catch (err) {
    expect(err).toBeInstanceOf(SockkitError);
    expect((err as SockkitError).code).toBe('PROTOCOL');
    return (err as SockkitError).why;
  }
  throw new Error('accepted');
}

describe('NTS-KE records (RFC 8915 §4)', () => {
  test('the request: NTPv4, AEAD_AES_SIV_CMAC_256, End of Message, all critical, 16 bytes', () => {
    const bytes = Buffer.concat(keRequestRecords().map(encodeRecord));
    expect(bytes.toString('hex')).toBe('80010002' + '0000' + '80040002' + '000f' + '80000000');
    expect(keRequestRecords().map(describeRecord)).toEqual([
      'NTS Next Protocol Negotiation (critical): NTPv4',
      'AEAD Algorithm Negotiation (critical): AEAD_AES_SIV_CMAC_256',
      'End of Message (critical)',
    ]);
  });

  test('the exporter contexts of RFC 8915 §5.1 for AEAD 15', () => {
    expect(exporterContext(15, 'c2s').toString('hex')).toBe('0000000f00');
    expect(exporterContext(15, 's2c').toString('hex')).toBe('0000000f01');
  });

  test('a chrony-like response: cookies, port, no server', () => {
    const port = rec(RecordType.PORT, u16(11123), true);
    const r = interpretKeResponse([NTPV4, SIV, port, COOKIE, COOKIE, END]);
    expect(r).toMatchObject({ aead: 15, ntpPort: 11123 });
    expect(r.ntpServer).toBeUndefined();
    expect(r.cookies.map((c) => c.length)).toEqual([100, 100]);
  });

  test('server negotiation and an unknown non-critical record are accepted', () => {
    const r = interpretKeResponse([NTPV4, SIV, rec(RecordType.SERVER, Buffer.from('ntp.example')), rec(0x1234, Buffer.of(1, 2)), COOKIE, END]);
    expect(r.ntpServer).toBe('ntp.example');
  });

  test.each<[string, KeRecord[], RegExp]>([
    ['an Error record', [rec(RecordType.ERROR, u16(1), true), END], /Error record 1 \(Bad Request\)/],
    ['a Warning record (no code is defined: an error)', [NTPV4, SIV, rec(RecordType.WARNING, u16(7)), COOKIE, END], /Warning record 7/],
    ['two AEAD records', [NTPV4, SIV, SIV, COOKIE, END], /more than one AEAD Algorithm Negotiation record/],
    ['an unknown critical record', [NTPV4, SIV, rec(0x4321, Buffer.of(1), true), COOKIE, END], /unrecognised critical record type 17185/],
    ['another AEAD algorithm', [NTPV4, rec(RecordType.AEAD, u16(30), true), COOKIE, END], /chose AEAD AEAD_AES_128_GCM_SIV, which we did not offer/],
    ['no AEAD record', [NTPV4, COOKIE, END], /none of the AEAD algorithms/],
    ['an empty next protocol list', [rec(RecordType.NEXT_PROTOCOL, Buffer.alloc(0), true), SIV, COOKIE, END], /none of the protocols/],
    ['another next protocol', [rec(RecordType.NEXT_PROTOCOL, u16(0x8000), true), SIV, COOKIE, END], /not NTPv4/],
    ['no cookie', [NTPV4, SIV, END], /no cookie/],
    ['no End of Message', [NTPV4, SIV, COOKIE], /no End of Message/],
    ['port 0', [NTPV4, SIV, rec(RecordType.PORT, u16(0)), COOKIE, END], /port 0/],
    ['a 3-byte port record', [NTPV4, SIV, rec(RecordType.PORT, Buffer.of(1, 2, 3)), COOKIE, END], /3 bytes \(2 expected\)/],
    ['a server name with a space', [NTPV4, SIV, rec(RecordType.SERVER, Buffer.from('a b')), COOKIE, END], /not a host name/],
  ])('refused: %s', (_, records, why) => {
    expect(keFailure(records)).toMatch(why);
  });

  test('the reader finds the same records however the stream is cut', () => {
    const records = [NTPV4, SIV, COOKIE, rec(RecordType.SERVER, Buffer.from('127.0.0.1')), END];
    const bytes = Buffer.concat(records.map(encodeRecord));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: bytes.length }), { maxLength: 10 }), (cuts) => {
        const reader = new KeRecordReader();
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const got: KeRecord[] = [];
        let at = 0;
        for (const p of [...points, bytes.length]) {
          got.push(...reader.push(bytes.subarray(at, p)));
          at = p;
        }
        expect(got).toEqual(records);
        expect(reader.heldBytes).toBe(0);
      }),
    );
  });

  test('the reader never throws anything but a PROTOCOL error on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const reader = new KeRecordReader();
        try {
          const records = reader.push(Buffer.from(bytes));
          for (const r of records) {
            expect(typeof describeRecord(r)).toBe('string');
          }
          interpretKeResponse(records);
        } catch (err) {
          expect((err as SockkitError).code).toBe('PROTOCOL');
        }
      }),
    );
  });

  test(`bounded: more than ${MAX_KE_RECORDS} records, or ${MAX_KE_RESPONSE_BYTES} bytes, is refused`, () => {
    const many = Buffer.concat(Array.from({ length: MAX_KE_RECORDS + 1 }, () => encodeRecord(rec(RecordType.WARNING, u16(0)))));
    expect(() => new KeRecordReader().push(many)).toThrow(/more than 256 records/);
    const reader = new KeRecordReader();
    const big = encodeRecord(rec(RecordType.NEW_COOKIE, Buffer.alloc(60_000)));
    reader.push(big);
    expect(() => reader.push(big)).toThrow(/more than 65536 bytes/);
  });
});
