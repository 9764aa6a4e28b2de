import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  CLIENT_PREFACE,
  ErrorCode,
  FrameReader,
  Http2Error,
  decodeFrame,
  encodeFrame,
  readFrameHeader,
  type Frame,
} from '../../src/net/http2/frames.js';

/** Decodes every frame in `bytes`, fed in the given pieces. */
function readAll(pieces: Buffer[], maxFrameSize = 16_384): Frame[] {
  const frames: Frame[] = [];
  // Copies: the reader's views are valid during the callback only.
  const reader = new FrameReader(maxFrameSize, (h, payload) => frames.push(decodeFrame(h, Buffer.from(payload))));
  for (const p of pieces) reader.push(p);
  return frames;
}

function decodeOne(bytes: Buffer): Frame {
  return decodeFrame(readFrameHeader(bytes), bytes.subarray(9));
}

function expectH2Error(fn: () => unknown, code: number): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Http2Error);
    expect((err as Http2Error).errorCode).toBe(code);
    return;
  }
  throw new Error('expected an Http2Error');
}

describe('frame encoding, byte for byte', () => {
  test('the client preface (RFC 9113 3.4)', () => {
    expect(CLIENT_PREFACE.toString('hex')).toBe('505249202a20485454502f322e300d0a0d0a534d0d0a0d0a');
  });

  test('SETTINGS with two values; its ACK', () => {
    const bytes = encodeFrame({ type: 'SETTINGS', ack: false, settings: [[0x2, 0], [0x4, 65535]] });
    expect(bytes.toString('hex')).toBe('00000c040000000000' + '000200000000' + '00040000ffff');
    expect(encodeFrame({ type: 'SETTINGS', ack: true, settings: [] }).toString('hex')).toBe('000000040100000000');
  });

  test('WINDOW_UPDATE, RST_STREAM, PING ack, GOAWAY', () => {
    expect(encodeFrame({ type: 'WINDOW_UPDATE', streamId: 3, increment: 0x10000 }).toString('hex')).toBe('000004080000000003' + '00010000');
    expect(encodeFrame({ type: 'RST_STREAM', streamId: 5, errorCode: ErrorCode.CANCEL }).toString('hex')).toBe('000004030000000005' + '00000008');
    expect(encodeFrame({ type: 'PING', ack: true, data: Buffer.from('01234567') }).toString('hex')).toBe('000008060100000000' + Buffer.from('01234567').toString('hex'));
    expect(encodeFrame({ type: 'GOAWAY', lastStreamId: 7, errorCode: 1, debug: Buffer.from('x') }).toString('hex')).toBe('000009070000000000' + '00000007' + '00000001' + '78');
  });

  test('padded DATA with END_STREAM: flags 0x9, pad length first, zeros after', () => {
    const bytes = encodeFrame({ type: 'DATA', streamId: 1, endStream: true, data: Buffer.from('hi'), padLength: 3 });
    expect(bytes.toString('hex')).toBe('000006000900000001' + '03' + '6869' + '000000');
    expect(decodeOne(bytes)).toEqual({ type: 'DATA', streamId: 1, endStream: true, data: Buffer.from('hi'), padLength: 3 });
  });

  test('HEADERS with priority: weight 256 is 255 on the wire', () => {
    const bytes = encodeFrame({ type: 'HEADERS', streamId: 1, endStream: false, endHeaders: true, block: Buffer.from([0x82]), priority: { exclusive: true, dependency: 3, weight: 256 } });
    expect(bytes.toString('hex')).toBe('000006012400000001' + '80000003' + 'ff' + '82');
  });

  test('the reserved bit of a stream ID is ignored on receipt', () => {
    const bytes = encodeFrame({ type: 'WINDOW_UPDATE', streamId: 1, increment: 1 });
    bytes[5]! |= 0x80;
    expect(decodeOne(bytes)).toEqual({ type: 'WINDOW_UPDATE', streamId: 1, increment: 1 });
  });

  test('an unknown type is read, not refused', () => {
    const bytes = Buffer.from('000002fa0300000003abcd', 'hex');
    expect(decodeOne(bytes)).toEqual({ type: 'UNKNOWN', typeCode: 0xfa, flags: 3, streamId: 3, payload: Buffer.from('abcd', 'hex') });
  });
});

describe('frames that break RFC 9113 on their own', () => {
  const cases: Array<[string, string, number]> = [
    ['DATA on stream 0', '000001000000000000' + '61', ErrorCode.PROTOCOL_ERROR],
    ['HEADERS on stream 0', '000001010400000000' + '82', ErrorCode.PROTOCOL_ERROR],
    ['padding as long as the frame', '000003000800000001' + '036161', ErrorCode.PROTOCOL_ERROR],
    ['padded frame with no pad length', '000000000800000001', ErrorCode.FRAME_SIZE_ERROR],
    ['SETTINGS on stream 1', '000000040000000001', ErrorCode.PROTOCOL_ERROR],
    ['SETTINGS of 5 bytes', '000005040000000000' + '0001000000', ErrorCode.FRAME_SIZE_ERROR],
    ['SETTINGS ack with a payload', '000006040100000000' + '000100001000', ErrorCode.FRAME_SIZE_ERROR],
    ['ENABLE_PUSH 2', '000006040000000000' + '000200000002', ErrorCode.PROTOCOL_ERROR],
    ['INITIAL_WINDOW_SIZE 2^31', '000006040000000000' + '000480000000', ErrorCode.FLOW_CONTROL_ERROR],
    ['MAX_FRAME_SIZE 16383', '000006040000000000' + '000500003fff', ErrorCode.PROTOCOL_ERROR],
    ['PING of 7 bytes', '000007060000000000' + '00000000000000', ErrorCode.FRAME_SIZE_ERROR],
    ['PING on stream 1', '000008060000000001' + '0000000000000000', ErrorCode.PROTOCOL_ERROR],
    ['GOAWAY of 7 bytes', '000007070000000000' + '00000000000000', ErrorCode.FRAME_SIZE_ERROR],
    ['WINDOW_UPDATE of 0', '000004080000000000' + '00000000', ErrorCode.PROTOCOL_ERROR],
    ['WINDOW_UPDATE of 3 bytes', '000003080000000000' + '000001', ErrorCode.FRAME_SIZE_ERROR],
    ['RST_STREAM on stream 0', '000004030000000000' + '00000001', ErrorCode.PROTOCOL_ERROR],
    ['PRIORITY of 4 bytes', '000004020000000001' + '00000000', ErrorCode.FRAME_SIZE_ERROR],
    ['CONTINUATION on stream 0', '000001090400000000' + '82', ErrorCode.PROTOCOL_ERROR],
  ];
  test.each(cases)('%s', (_name, hex, code) => expectH2Error(() => decodeOne(Buffer.from(hex, 'hex')), code));

  test('a frame longer than our SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR from its header alone', () => {
    // Only the header: the reader must refuse before it waits for (or allocates) 16 MiB.
    expectH2Error(() => readAll([Buffer.from('ffffff000000000001', 'hex')]), ErrorCode.FRAME_SIZE_ERROR);
    expectH2Error(() => readAll([Buffer.from('00400100', 'hex'), Buffer.from('0000000001', 'hex')]), ErrorCode.FRAME_SIZE_ERROR);
    expect(readAll([encodeFrame({ type: 'DATA', streamId: 1, endStream: false, data: Buffer.alloc(16_384) })])).toHaveLength(1);
  });
});

const streamId = fc.integer({ min: 1, max: 2 ** 31 - 1 });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const priority = fc.record({ exclusive: fc.boolean(), dependency: fc.integer({ min: 0, max: 2 ** 31 - 1 }), weight: fc.integer({ min: 1, max: 256 }) });
const padLength = fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined });
const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ type: fc.constant('DATA' as const), streamId, endStream: fc.boolean(), data: bytes(300), padLength }),
  fc.record(
    { type: fc.constant('HEADERS' as const), streamId, endStream: fc.boolean(), endHeaders: fc.boolean(), block: bytes(300), priority, padLength },
    { requiredKeys: ['type', 'streamId', 'endStream', 'endHeaders', 'block'] },
  ),
  fc.record({ type: fc.constant('PRIORITY' as const), streamId }).chain((f) => priority.map((p) => ({ ...f, ...p }))),
  fc.record({ type: fc.constant('RST_STREAM' as const), streamId, errorCode: u32 }),
  fc.oneof(
    fc.constant({ type: 'SETTINGS' as const, ack: true, settings: [] as Array<[number, number]> }),
    fc.record({
      type: fc.constant('SETTINGS' as const),
      ack: fc.constant(false),
      settings: fc.array(fc.tuple(fc.constantFrom(1, 3, 6, 0x99), u32), { maxLength: 6 }),
    }),
  ),
  fc.record({ type: fc.constant('PING' as const), ack: fc.boolean(), data: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((a) => Buffer.from(a)) }),
  fc.record({ type: fc.constant('GOAWAY' as const), lastStreamId: fc.integer({ min: 0, max: 2 ** 31 - 1 }), errorCode: u32, debug: bytes(40) }),
  fc.record({ type: fc.constant('WINDOW_UPDATE' as const), streamId: fc.integer({ min: 0, max: 2 ** 31 - 1 }), increment: fc.integer({ min: 1, max: 2 ** 31 - 1 }) }),
  fc.record({ type: fc.constant('CONTINUATION' as const), streamId, endHeaders: fc.boolean(), block: bytes(300) }),
);

describe('properties', () => {
  test('decode(encode(frame)) is the frame', () => {
    fc.assert(fc.property(frameArb, (frame) => expect(decodeOne(encodeFrame(frame))).toEqual(frame)), { numRuns: 500 });
  });

  test('the reader finds the same frames in any split of the stream', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), fc.array(fc.integer({ min: 0, max: 4000 }), { maxLength: 10 }), (frames, cuts) => {
        const stream = Buffer.concat(frames.map(encodeFrame));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const pieces: Buffer[] = [];
        let last = 0;
        for (const p of [...points, stream.length]) {
          pieces.push(stream.subarray(last, p));
          last = p;
        }
        expect(readAll(pieces)).toEqual(frames);
      }),
      { numRuns: 300 },
    );
  });

  test('arbitrary bytes: frames or an Http2Error, nothing else', () => {
    fc.assert(
      fc.property(fc.array(bytes(64), { maxLength: 6 }), (pieces) => {
        try {
          readAll(pieces, 32);
        } catch (err) {
          expect(err).toBeInstanceOf(Http2Error);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
