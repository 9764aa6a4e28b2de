// HPACK against RFC 7541's own examples (Appendix C) and properties.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { ErrorCode, Http2Error } from '../../src/net/http2/frames.js';
import { HpackDecoder, HpackEncoder, decodeInteger, encodeInteger, type HeaderField } from '../../src/net/http2/hpack.js';
import { EOS, huffmanCode, huffmanDecode, huffmanEncode } from '../../src/net/http2/huffman.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const decoder = (maxTableSize = 4096, maxHeaderListSize = 64 * 1024) => new HpackDecoder({ maxTableSize, maxHeaderListSize });

function expectH2Error(fn: () => unknown, code: number, message?: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Http2Error);
    expect((err as Http2Error).errorCode).toBe(code);
    if (message) expect((err as Http2Error).message).toMatch(message);
    return;
  }
  throw new Error('expected an Http2Error');
}

/** Table entries newest first, as the RFC lists them. */
function tableOf(d: { table: { length: number; at(i: number): HeaderField | undefined } }): HeaderField[] {
  return Array.from({ length: d.table.length }, (_, i) => d.table.at(i)!);
}

describe('C.1 integers', () => {
  test('10 in a 5-bit prefix; 1337 in a 5-bit prefix; 42 in an 8-bit prefix', () => {
    expect(encodeInteger(10, 5, 0)).toEqual([0x0a]);
    expect(encodeInteger(1337, 5, 0)).toEqual([0x1f, 0x9a, 0x0a]);
    expect(encodeInteger(42, 8, 0)).toEqual([0x2a]);
    expect(decodeInteger(Buffer.from([0x1f, 0x9a, 0x0a]), 0, 5)).toEqual({ value: 1337, next: 3 });
  });

  test('an integer that never ends, or passes 2^32, is refused', () => {
    expectH2Error(() => decodeInteger(Buffer.from([0x1f, 0xff, 0xff]), 0, 5), ErrorCode.COMPRESSION_ERROR);
    expectH2Error(() => decodeInteger(Buffer.from([0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), 0, 5), ErrorCode.COMPRESSION_ERROR, /2\^32/);
  });
});

describe('C.2 header field representations', () => {
  test('C.2.1 literal with indexing', () => {
    const d = decoder();
    expect(d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'))).toEqual([['custom-key', 'custom-header']]);
    expect(d.table.size).toBe(55);
  });
  test('C.2.2 literal without indexing', () => {
    const d = decoder();
    expect(d.decode(hex('040c 2f73 616d 706c 652f 7061 7468'))).toEqual([[':path', '/sample/path']]);
    expect(d.table.length).toBe(0);
  });
  test('C.2.3 literal never indexed', () => {
    const d = decoder();
    expect(d.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'))).toEqual([['password', 'secret']]);
    expect(d.table.length).toBe(0);
  });
  test('C.2.4 indexed', () => {
    expect(decoder().decode(hex('82'))).toEqual([[':method', 'GET']]);
  });
});

const REQUESTS: HeaderField[][] = [
  [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']],
  [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']],
  [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']],
];
const REQUEST_SIZES = [57, 110, 164];

const RESPONSES: HeaderField[][] = [
  [[':status', '302'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', 'https://www.example.com']],
  [[':status', '307'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', 'https://www.example.com']],
  [
    [':status', '200'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'], ['location', 'https://www.example.com'],
    ['content-encoding', 'gzip'], ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
  ],
];
const RESPONSE_SIZES = [222, 222, 215];

const EXAMPLES: Array<[string, HeaderField[][], number[], number, 'never' | 'always', string[]]> = [
  ['C.3 requests without Huffman', REQUESTS, REQUEST_SIZES, 4096, 'never', [
    '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
    '8286 84be 5808 6e6f 2d63 6163 6865',
    '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
  ]],
  ['C.4 requests with Huffman', REQUESTS, REQUEST_SIZES, 4096, 'always', [
    '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
    '8286 84be 5886 a8eb 1064 9cbf',
    '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
  ]],
  ['C.5 responses without Huffman, table of 256', RESPONSES, RESPONSE_SIZES, 256, 'never', [
    '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
    '4803 3330 37c1 c0bf',
    '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
  ]],
  ['C.6 responses with Huffman, table of 256', RESPONSES, RESPONSE_SIZES, 256, 'always', [
    '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
    '4883 640e ffc1 c0bf',
    '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
  ]],
];

describe.each(EXAMPLES)('%s', (_name, lists, sizes, tableSize, huffman, blocks) => {
  test('decoded field by field, with the table sizes of the RFC', () => {
    const d = decoder(tableSize);
    blocks.forEach((block, i) => {
      expect(d.decode(hex(block))).toEqual(lists[i]);
      expect(d.table.size).toBe(sizes[i]);
    });
  });

  test('encoded byte for byte', () => {
    const e = new HpackEncoder({ tableSize, indexing: true, huffman });
    lists.forEach((list, i) => expect(e.encode(list).toString('hex')).toBe(hex(blocks[i]!).toString('hex')));
  });

  test('C.5.3 / C.6.3 evictions leave the RFC table', () => {
    if (tableSize !== 256) return;
    const d = decoder(tableSize);
    for (const block of blocks) d.decode(hex(block));
    expect(tableOf(d)).toEqual([RESPONSES[2]![5], ['content-encoding', 'gzip'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT']]);
  });
});

describe('limits and malformed blocks', () => {
  test('a table size update above what we allowed: COMPRESSION_ERROR', () => {
    // 001xxxxx with a 5-bit prefix: a size of 4097 against our 4096.
    expectH2Error(() => decoder(4096).decode(Buffer.from(encodeInteger(4097, 5, 0x20))), ErrorCode.COMPRESSION_ERROR, /4097, above the 4096/);
    expect(decoder(4096).decode(Buffer.from([...encodeInteger(4096, 5, 0x20), 0x82]))).toEqual([[':method', 'GET']]);
  });

  test('a table size update after a field', () => {
    expectH2Error(() => decoder().decode(hex('8220')), ErrorCode.COMPRESSION_ERROR, /after a header field/);
  });

  test('a header list above our SETTINGS_MAX_HEADER_LIST_SIZE', () => {
    const block = new HpackEncoder({ tableSize: 4096, indexing: false, huffman: 'never' }).encode([['x-big', 'a'.repeat(100)]]);
    expect(decoder(4096, 137).decode(block)).toHaveLength(1);
    expectH2Error(() => decoder(4096, 136).decode(block), ErrorCode.PROTOCOL_ERROR, /more than 136 bytes/);
  });

  test('index 0, an index past the table, a string past the block', () => {
    expectH2Error(() => decoder().decode(hex('80')), ErrorCode.COMPRESSION_ERROR, /index 0/);
    expectH2Error(() => decoder().decode(hex('be')), ErrorCode.COMPRESSION_ERROR, /past the end/);
    expectH2Error(() => decoder().decode(hex('4005616263')), ErrorCode.COMPRESSION_ERROR, /5 bytes with 3 left/);
  });
});

describe('Huffman', () => {
  test('the computed codes are the RFC table: a few rows of Appendix B', () => {
    expect(huffmanCode(0)).toEqual({ code: 0x1ff8, bits: 13 });
    expect(huffmanCode(0x20)).toEqual({ code: 0x14, bits: 6 });
    expect(huffmanCode(0x61)).toEqual({ code: 0x3, bits: 5 });
    expect(huffmanCode(0x7f)).toEqual({ code: 0xffffffc, bits: 28 });
    expect(huffmanCode(0xff)).toEqual({ code: 0x3ffffee, bits: 26 });
    expect(huffmanCode(EOS)).toEqual({ code: 0x3fffffff, bits: 30 });
  });

  test('EOS in the data, padding of 8 bits or more, padding with a zero bit: refused', () => {
    // h2spec's case: a string holding EOS.
    expect(huffmanDecode(hex('f2b24a84ff874951fffffffa7f'))).toBeNull();
    expect(huffmanDecode(hex('1fff'))).toBeNull(); // 'a' (00011) then 11 bits of padding
    expect(huffmanDecode(hex('1e'))).toBeNull(); // 'a' then padding 110
    expect(huffmanDecode(hex('1f'))).toEqual(Buffer.from('a'));
  });

  test('property: decode(encode(bytes)) is the bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (a) => expect(huffmanDecode(huffmanEncode(Buffer.from(a)))).toEqual(Buffer.from(a))), { numRuns: 500 });
  });
});

describe('properties', () => {
  const text = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 60 });
  const field = fc.tuple(fc.oneof(fc.constantFrom(':status', ':path', 'content-type', 'cookie', 'authorization', 'x-a'), text), text);
  const huffman = fc.constantFrom('always' as const, 'never' as const, 'shorter' as const);

  test('a sequence of header lists, encoded then decoded on one connection, comes back the same', () => {
    fc.assert(
      fc.property(fc.array(fc.array(field, { maxLength: 12 }), { maxLength: 6 }), fc.integer({ min: 0, max: 4096 }), fc.boolean(), huffman, (lists, tableSize, indexing, h) => {
        const e = new HpackEncoder({ tableSize, indexing, huffman: h });
        const d = decoder(tableSize, 1 << 20);
        for (const list of lists) expect(d.decode(e.encode(list))).toEqual(list);
        expect(d.table.size).toBe(e.table.size);
      }),
      { numRuns: 300 },
    );
  });

  test('arbitrary bytes: fields or an Http2Error, and the table never passes its size', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 4 }), (blocks) => {
        const d = decoder(256, 4096);
        for (const b of blocks) {
          try {
            d.decode(Buffer.from(b));
          } catch (err) {
            expect(err).toBeInstanceOf(Http2Error);
          }
          expect(d.table.size).toBeLessThanOrEqual(256);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
