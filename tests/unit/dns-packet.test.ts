import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  decodeMessage,
  DnsFormatError,
  encodeIPv6,
  encodeMessage,
  encodeQuery,
  formatIPv6,
  formatRecordData,
  nameToLabels,
  rcodeName,
  RecordType,
  typeName,
  typeNumber,
  type DnsMessage,
  type DnsRecord,
} from '../../src/net/dns/packet.js';

const rr = (name: string, type: number, data: DnsRecord['data'], ttl = 300): DnsRecord => ({ name, type, class: 1, ttl, data });

const SAMPLE_RECORDS: DnsRecord[] = [
  rr('www.example.', RecordType.A, { kind: 'A', address: '198.51.100.7' }),
  rr('www.example.', RecordType.AAAA, { kind: 'AAAA', address: '2001:db8::7' }),
  rr('alias.example.', RecordType.CNAME, { kind: 'NAME', target: 'www.example.' }),
  rr('example.', RecordType.NS, { kind: 'NAME', target: 'ns1.example.' }),
  rr('7.100.51.198.in-addr.arpa.', RecordType.PTR, { kind: 'NAME', target: 'www.example.' }),
  rr('example.', RecordType.MX, { kind: 'MX', preference: 10, exchange: 'mail.example.' }),
  rr('example.', RecordType.TXT, { kind: 'TXT', strings: [Buffer.from('one'), Buffer.from('two "quoted"'), Buffer.alloc(0)] }),
  rr('_sip._tcp.example.', RecordType.SRV, { kind: 'SRV', priority: 10, weight: 60, port: 5060, target: 'sip.example.' }),
  rr('example.', RecordType.SOA, {
    kind: 'SOA',
    mname: 'ns1.example.',
    rname: 'hostmaster.example.',
    serial: 2026112401,
    refresh: 7200,
    retry: 900,
    expire: 1209600,
    minimum: 300,
  }),
  rr('example.', RecordType.CAA, { kind: 'CAA', flags: 0, tag: 'issue', value: Buffer.from('ca.example') }),
  rr('opaque.example.', 65280, { kind: 'RAW', bytes: Buffer.from([10, 0, 0, 1]) }),
];

function sampleMessage(): DnsMessage {
  return {
    id: 0xbeef,
    qr: true,
    opcode: 0,
    aa: true,
    tc: false,
    rd: true,
    ra: false,
    ad: true,
    cd: false,
    rcode: 0,
    questions: [{ name: 'example.', type: RecordType.ANY, class: 1 }],
    answers: SAMPLE_RECORDS,
    authorities: [SAMPLE_RECORDS[3]!],
    additionals: [SAMPLE_RECORDS[0]!],
  };
}

/** A query built by the general encoder: RD, one question, an EDNS0 OPT with a 1232-byte payload. */
function generalQuery(id: number, name: string, type: number): Buffer {
  return encodeMessage({
    id,
    rd: true,
    questions: [{ name, type, class: 1 }],
    additionals: [{ name: '.', type: RecordType.OPT, class: 1232, ttl: 0, data: { kind: 'RAW', bytes: Buffer.alloc(0) } }],
  });
}

describe('dns-packet: encode/decode round trips', () => {
  test('every record type survives a round trip', () => {
    const message = sampleMessage();
    expect(decodeMessage(encodeMessage(message))).toEqual(message);
  });

  test.each(SAMPLE_RECORDS.map((r) => [typeName(r.type), r] as const))('%s alone round-trips', (_name, record) => {
    const message = { ...sampleMessage(), answers: [record], authorities: [], additionals: [] };
    expect(decodeMessage(encodeMessage(message)).answers).toEqual([record]);
  });

  test('a query carries RD, one question and an EDNS0 OPT record with a 1232-byte payload', () => {
    const query = decodeMessage(encodeQuery(0x1234, 'www.example.', RecordType.AAAA));
    expect(query).toMatchObject({ id: 0x1234, qr: false, rd: true, rcode: 0 });
    expect(query.questions).toEqual([{ name: 'www.example.', type: RecordType.AAAA, class: 1 }]);
    expect(query.additionals).toHaveLength(1);
    expect(query.additionals[0]).toMatchObject({ name: '.', type: RecordType.OPT, class: 1232 });
  });

  test('the fast query encoder writes the same bytes as the general one', () => {
    for (const [name, type] of [['www.example.', 1], ['.', 2], ['a\\.b.example.', 16], ['xn--bcher-kva.test.', 28]] as const) {
      expect(encodeQuery(0x4242, name, type)).toEqual(generalQuery(0x4242, name, type));
    }
  });

  test('the fast query encoder agrees with the general one for any name, with or without a trailing dot', () => {
    const label = fc.oneof(fc.stringMatching(/^[a-z0-9_-]{1,63}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((l) => !/[.\\]/.test(l) && Buffer.byteLength(l) <= 63));
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.integer({ min: 1, max: 65535 }), (labels, dot, type) => {
        const name = labels.join('.') + (dot ? '.' : '');
        if (Buffer.byteLength(name) + 2 > 255) return;
        expect(encodeQuery(9, name, type)).toEqual(generalQuery(9, name, type));
      }),
    );
  });

  test('the wire limits hold exactly: 63-byte labels and 255-byte names', () => {
    const label63 = 'a'.repeat(63);
    const name255 = [label63, label63, label63, 'b'.repeat(61)].join('.') + '.'; // 4×(1+len) + root = 255
    expect(() => encodeQuery(1, name255, 1)).not.toThrow();
    expect(() => encodeQuery(1, `c.${name255}`, 1)).toThrow('name longer than 255 bytes');
    expect(() => encodeQuery(1, `${'é'.repeat(32)}.test.`, 1)).toThrow('label longer than 63 bytes'); // 64 bytes of UTF-8
    expect(() => encodeQuery(1, '.a.', 1)).toThrow('empty label');
    expect(() => encodeQuery(1, 'a.b..', 1)).toThrow('empty label');
  });

  test('names that cannot be encoded throw DnsFormatError', () => {
    expect(() => encodeQuery(1, `${'a'.repeat(64)}.test.`, 1)).toThrow(DnsFormatError);
    expect(() => encodeQuery(1, 'a..b.', 1)).toThrow(DnsFormatError);
  });

  test('AD and CD (RFC 4035 §3.2) are bits 0x20 and 0x10 of the flags', () => {
    const bytes = encodeMessage({ id: 7, qr: true, ad: true, cd: true });
    expect(bytes.readUInt16BE(2) & 0x30).toBe(0x30);
    expect(decodeMessage(bytes)).toMatchObject({ ad: true, cd: true });
  });

  test('EDNS: the DO bit and the options of the OPT record (RFC 6891 §6.1.2, RFC 3225)', () => {
    const options = Buffer.from([0x00, 0x03, 0x00, 0x02, 0x61, 0x62, 0x00, 0x0c, 0x00, 0x00]);
    const message = decodeMessage(encodeMessage({ id: 1, additionals: [{ name: '.', type: RecordType.OPT, class: 1232, ttl: 0x8000, data: { kind: 'RAW', bytes: options } }] }));
    expect(message.edns).toEqual({ udpPayload: 1232, version: 0, extendedRcode: 0, do: true, options: [{ code: 3, data: Buffer.from('ab') }, { code: 12, data: Buffer.alloc(0) }] });
    const overrun = Buffer.from([0x00, 0x03, 0x00, 0x09, 0x61]);
    expect(() => decodeMessage(encodeMessage({ id: 1, additionals: [{ name: '.', type: RecordType.OPT, class: 1232, ttl: 0, data: { kind: 'RAW', bytes: overrun } }] }))).toThrow(/overruns the OPT record/);
  });

  test('header flags and RCODE are decoded', () => {
    const bytes = encodeMessage({ id: 7, qr: true, tc: true, rcode: 3 });
    expect(decodeMessage(bytes)).toEqual({
      id: 7, qr: true, opcode: 0, aa: false, tc: true, rd: false, ra: false, ad: false, cd: false, rcode: 3,
      questions: [], answers: [], authorities: [], additionals: [],
    });
  });

  const label = fc.stringMatching(/^[a-z0-9_-]{1,20}$/);
  const name = fc.array(label, { minLength: 0, maxLength: 5 }).map((ls) => (ls.length ? ls.join('.') + '.' : '.'));
  const record: fc.Arbitrary<DnsRecord> = fc.oneof(
    fc.record({ name, a: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }) }).map(({ name, a }) =>
      rr(name, RecordType.A, { kind: 'A', address: a.join('.') }),
    ),
    fc.record({ name, b: fc.uint8Array({ minLength: 16, maxLength: 16 }) }).map(({ name, b }) =>
      rr(name, RecordType.AAAA, { kind: 'AAAA', address: formatIPv6(Buffer.from(b)) }),
    ),
    fc.record({ name, target: name, pref: fc.integer({ min: 0, max: 65535 }) }).map(({ name, target, pref }) =>
      rr(name, RecordType.MX, { kind: 'MX', preference: pref, exchange: target }),
    ),
    fc.record({ name, strings: fc.array(fc.uint8Array({ maxLength: 255 }), { minLength: 1, maxLength: 4 }) }).map(({ name, strings }) =>
      rr(name, RecordType.TXT, { kind: 'TXT', strings: strings.map((s) => Buffer.from(s)) }),
    ),
    fc.record({ name, bytes: fc.uint8Array({ maxLength: 40 }), type: fc.integer({ min: 65280, max: 65534 }) }).map(({ name, bytes, type }) =>
      rr(name, type, { kind: 'RAW', bytes: Buffer.from(bytes) }),
    ),
  );

  test('property: any message of generated records round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.array(record, { maxLength: 6 }), (id, answers) => {
        const message = { ...sampleMessage(), id, answers, authorities: [], additionals: [] };
        expect(decodeMessage(encodeMessage(message))).toEqual(message);
      }),
      { numRuns: 300 },
    );
  });
});

// Hand-built wire bytes: a name at offset 12, later names pointing back to it.
function compressedReply(): Buffer {
  const header = Buffer.from([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]);
  const question = Buffer.from([3, ...Buffer.from('www'), 7, ...Buffer.from('example'), 0, 0, 1, 0, 1]);
  // answer 1: CNAME, owner = pointer to 12, target = "web" + pointer to "example" (offset 16)
  const cname = Buffer.from([0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, ...Buffer.from('web'), 0xc0, 16]);
  // answer 2: A, owner = pointer to the CNAME target (offset 12+17+12 = 41)
  const a = Buffer.from([0xc0, 41, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 7]);
  return Buffer.concat([header, question, cname, a]);
}

describe('dns-packet: decoding wire bytes', () => {
  test('follows compression pointers (RFC 1035 §4.1.4)', () => {
    const message = decodeMessage(compressedReply());
    expect(message.questions[0]!.name).toBe('www.example.');
    expect(message.answers.map((r) => [r.name, formatRecordData(r)])).toEqual([
      ['www.example.', 'web.example.'],
      ['web.example.', '198.51.100.7'],
    ]);
  });

  test('answersOnly: the same questions and answers; the other sections walked and checked, not built', () => {
    // The same reply with its second answer moved to the authority section.
    const bytes = compressedReply();
    bytes[7] = 1; // ANCOUNT
    bytes[9] = 1; // NSCOUNT
    const full = decodeMessage(bytes);
    const light = decodeMessage(bytes, { answersOnly: true });
    expect(full.authorities).toHaveLength(1);
    expect(light).toEqual({ ...full, authorities: [] });
    for (let cut = 12; cut < bytes.length; cut++) {
      expect(() => decodeMessage(bytes.subarray(0, cut), { answersOnly: true })).toThrow(DnsFormatError);
    }
    const looped = Buffer.from(bytes);
    looped[bytes.length - 16] = 0xc0; // the authority record's owner points at itself
    looped[bytes.length - 15] = bytes.length - 16;
    expect(() => decodeMessage(looped, { answersOnly: true })).toThrow(/pointer loop/);
  });

  test('a pointer to itself is a loop, rejected with a typed error', () => {
    const bytes = compressedReply();
    bytes[29] = 0xc0; // first answer's owner pointer → its own offset (29)
    bytes[30] = 29;
    expect(() => decodeMessage(bytes)).toThrow(DnsFormatError);
    expect(() => decodeMessage(bytes)).toThrow(/pointer loop/);
  });

  test('two pointers pointing at each other are rejected', () => {
    const header = Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]);
    const loop = Buffer.from([0xc0, 14, 0xc0, 12, 0, 1, 0, 1]);
    expect(() => decodeMessage(Buffer.concat([header, loop]))).toThrow(/pointer loop/);
  });

  test('a forward pointer is rejected', () => {
    const header = Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]);
    const forward = Buffer.from([0xc0, 16, 0, 1, 0, 1, 0]);
    expect(() => decodeMessage(Buffer.concat([header, forward]))).toThrow(DnsFormatError);
  });

  test('truncated messages and short headers throw DnsFormatError', () => {
    const full = compressedReply();
    for (let cut = 0; cut < full.length; cut++) {
      expect(() => decodeMessage(full.subarray(0, cut))).toThrow(DnsFormatError);
    }
  });

  test('a header claiming 65535 answers with no bytes fails fast', () => {
    const header = Buffer.from([0, 1, 0x81, 0x80, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(() => decodeMessage(header)).toThrow(/truncated/);
  });

  test('an A record with 5 bytes of data is malformed', () => {
    const bytes = encodeMessage({ id: 1, answers: [rr('x.', RecordType.A, { kind: 'RAW', bytes: Buffer.from([1, 2, 3, 4, 5]) })] });
    expect(() => decodeMessage(bytes)).toThrow(/A record of 5 bytes/);
  });

  test('a name longer than 255 bytes on the wire is rejected', () => {
    const label = [63, ...Buffer.alloc(63, 0x61)];
    const header = Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]);
    const name = Buffer.from([...label, ...label, ...label, ...label, ...label, 0, 0, 1, 0, 1]);
    expect(() => decodeMessage(Buffer.concat([header, name]))).toThrow(/longer than 255/);
  });

  test('property: any bytes decode or throw DnsFormatError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          decodeMessage(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(DnsFormatError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('property: valid messages with random corruptions decode or throw DnsFormatError', () => {
    const valid = encodeMessage(sampleMessage());
    const compressed = compressedReply();
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (useCompressed, edits, cut) => {
          const bytes = Buffer.from(useCompressed ? compressed : valid);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const input = bytes.subarray(0, bytes.length - (cut % 4));
          let full;
          try {
            full = decodeMessage(input);
          } catch (err) {
            expect(err).toBeInstanceOf(DnsFormatError);
          }
          let light;
          try {
            light = decodeMessage(input, { answersOnly: true });
          } catch (err) {
            expect(err).toBeInstanceOf(DnsFormatError);
          }
          // answersOnly checks a subset: it accepts whatever the full decoder accepts, identically
          if (full) expect(light).toEqual({ ...full, authorities: [], additionals: [] });
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('dns-packet: EDNS extended RCODE and DNAME', () => {
  const opt = (ttl: number): DnsRecord => ({ name: '.', type: RecordType.OPT, class: 1232, ttl, data: { kind: 'RAW', bytes: Buffer.alloc(0) } });

  test.each([
    ['BADVERS: header 0, OPT upper bits 1', 0, 1, 16, 'BADVERS'],
    ['BADMODE: header 3 (NXDOMAIN alone), OPT upper bits 1', 3, 1, 19, 'BADMODE'],
    ['BADCOOKIE: header 7, upper bits 1', 7, 1, 23, 'BADCOOKIE'],
    ['an unnamed RCODE: upper bits 0x10', 0, 0x10, 256, 'RCODE256'],
    ['no upper bits: the header RCODE alone', 3, 0, 3, 'NXDOMAIN'],
  ])('%s → RCODE %s', (_what, header, upper, rcode, name) => {
    // the OPT record written by hand: TTL = upper 8 bits << 24 (RFC 6891 §6.1.3)
    const bytes = encodeMessage({ id: 1, qr: true, rcode: header, additionals: [opt(upper * 0x1000000)] });
    for (const options of [{}, { answersOnly: true }]) {
      const message = decodeMessage(bytes, options);
      expect(message.rcode).toBe(rcode);
      expect(message.edns).toEqual({ udpPayload: 1232, version: 0, extendedRcode: upper });
      expect(rcodeName(message.rcode)).toBe(name);
    }
    expect(bytes.readUInt16BE(2) & 0xf).toBe(header); // the header keeps its own 4 bits
  });

  test('without an OPT record the RCODE is the header\'s 4 bits, and no edns', () => {
    const message = decodeMessage(encodeMessage({ id: 1, qr: true, rcode: 3 }));
    expect(message.rcode).toBe(3);
    expect(message).not.toHaveProperty('edns');
  });

  test('an extended RCODE round-trips through the encoder, which needs an OPT record for it', () => {
    const message = decodeMessage(encodeMessage({ id: 1, qr: true, rcode: 16, additionals: [opt(0)] }));
    expect(message.rcode).toBe(16);
    expect(() => encodeMessage({ id: 1, qr: true, rcode: 16 })).toThrow(DnsFormatError);
  });

  test('two OPT records are malformed (RFC 6891 §6.1.1), also when only the answers are built', () => {
    const bytes = encodeMessage({ id: 1, qr: true, additionals: [opt(0), opt(0x1000000)] });
    expect(() => decodeMessage(bytes)).toThrow(/2 OPT records/);
    expect(() => decodeMessage(bytes, { answersOnly: true })).toThrow(/2 OPT records/);
  });

  test('a DNAME record carries a name, like a CNAME', () => {
    const record = rr('example.', RecordType.DNAME, { kind: 'NAME', target: 'example.net.' });
    expect(decodeMessage(encodeMessage({ id: 1, answers: [record] })).answers).toEqual([record]);
    expect(typeName(39)).toBe('DNAME');
    expect(typeNumber('dname')).toBe(39);
  });
});

describe('dns-packet: presentation form (as dig prints it)', () => {
  test.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
  ])('IPv6 %s → %s', (input, shown) => {
    expect(formatIPv6(encodeIPv6(input))).toBe(shown);
  });

  test('TXT strings are quoted with dig escapes', () => {
    const txt = rr('t.', RecordType.TXT, { kind: 'TXT', strings: [Buffer.from('a "b" \\ c'), Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9]), Buffer.from('\t')] });
    expect(formatRecordData(txt)).toBe('"a \\"b\\" \\\\ c" "caf\\195\\169" "\\009"');
  });

  test('CAA, SOA, SRV, MX and unknown types', () => {
    const text = SAMPLE_RECORDS.map(formatRecordData);
    expect(text).toContain('0 issue "ca.example"');
    expect(text).toContain('ns1.example. hostmaster.example. 2026112401 7200 900 1209600 300');
    expect(text).toContain('10 60 5060 sip.example.');
    expect(text).toContain('10 mail.example.');
    expect(text).toContain('\\# 4 0A000001');
  });

  test('special characters in labels are escaped, and escapes parse back', () => {
    const labels = [Buffer.from('a.b'), Buffer.from([0x20, 0x41])];
    const bytes = encodeMessage({ id: 1, answers: [rr('x.', RecordType.PTR, { kind: 'RAW', bytes: Buffer.concat([Buffer.from([3]), labels[0]!, Buffer.from([2]), labels[1]!, Buffer.from([0])]) })] });
    const shown = formatRecordData(decodeMessage(bytes).answers[0]!);
    expect(shown).toBe('a\\.b.\\032A.');
    expect(nameToLabels(shown)).toEqual(labels);
  });

  test('type names and numbers', () => {
    expect(typeNumber('mx')).toBe(15);
    expect(typeNumber('CAA')).toBe(257);
    expect(typeNumber('type65280')).toBe(65280);
    expect(typeNumber('TYPE70000')).toBeUndefined();
    expect(typeNumber('bogus')).toBeUndefined();
    expect(typeName(65280)).toBe('TYPE65280');
  });
});
