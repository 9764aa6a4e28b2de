// HTTP/2 frames (RFC 9113 section 4 and 6): pure encode and decode of every frame type
// a client meets, the connection preface, and a streaming reader that cuts frames out
// of whatever the socket delivers, never holding more than one frame of at most
// SETTINGS_MAX_FRAME_SIZE bytes. Every rule a frame breaks on its own (a wrong length,
// stream 0 where a stream is needed, padding longer than the frame) is an Http2Error
// with the error code RFC 9113 names; rules that need the connection's state are the
// connection's (connection.ts).
import { SockkitError } from '../shared/errors.js';

/** What the client sends first (RFC 9113 3.4), before its SETTINGS. */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FRAME_HEADER_BYTES = 9;
/** The smallest SETTINGS_MAX_FRAME_SIZE and the default (RFC 9113 6.5.2). */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
export const MAX_ALLOWED_FRAME_SIZE = 16_777_215;
export const MAX_WINDOW = 2 ** 31 - 1;

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

const TYPE_NAMES = Object.fromEntries(Object.entries(FrameType).map(([name, code]) => [code, name])) as Record<number, string>;

export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

/** RFC 9113 section 7. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const ERROR_NAMES = Object.fromEntries(Object.entries(ErrorCode).map(([name, code]) => [code, name])) as Record<number, string>;

/** `PROTOCOL_ERROR`, or `0x1f` for a code RFC 9113 does not name. */
export function errorName(code: number): string {
  return ERROR_NAMES[code] ?? `0x${code.toString(16)}`;
}

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

const SETTING_NAMES = Object.fromEntries(Object.entries(Setting).map(([name, id]) => [id, name])) as Record<number, string>;

export function settingName(id: number): string {
  return SETTING_NAMES[id] ?? `0x${id.toString(16)}`;
}

/**
 * An HTTP/2 failure: `errorCode` is the RFC 9113 code that goes into our GOAWAY (or
 * that the server sent), `streamId` 0 for the connection. Exit 7, as any hostile reply.
 */
export class Http2Error extends SockkitError {
  constructor(
    readonly errorCode: number,
    why: string,
    readonly streamId = 0,
    what = 'HTTP/2',
  ) {
    super('PROTOCOL', what, why);
  }
}

export interface Priority {
  exclusive: boolean;
  dependency: number;
  /** 1-256 as RFC 9113 5.3 counts it (the wire carries weight - 1). */
  weight: number;
}

export type Frame =
  | { type: 'DATA'; streamId: number; endStream: boolean; data: Buffer; padLength?: number }
  | {
      type: 'HEADERS';
      streamId: number;
      endStream: boolean;
      endHeaders: boolean;
      block: Buffer;
      priority?: Priority;
      padLength?: number;
    }
  | ({ type: 'PRIORITY'; streamId: number } & Priority)
  | { type: 'RST_STREAM'; streamId: number; errorCode: number }
  | { type: 'SETTINGS'; ack: boolean; settings: Array<[id: number, value: number]> }
  | { type: 'PUSH_PROMISE'; streamId: number; promisedStreamId: number }
  | { type: 'PING'; ack: boolean; data: Buffer }
  | { type: 'GOAWAY'; lastStreamId: number; errorCode: number; debug: Buffer }
  | { type: 'WINDOW_UPDATE'; streamId: number; increment: number }
  | { type: 'CONTINUATION'; streamId: number; endHeaders: boolean; block: Buffer }
  /** A type RFC 9113 does not define: read and ignored (RFC 9113 4.1). */
  | { type: 'UNKNOWN'; typeCode: number; flags: number; streamId: number; payload: Buffer };

/** The 9-byte frame header as read, before its payload is looked at. */
export interface FrameHeader {
  length: number;
  type: number;
  flags: number;
  streamId: number;
}

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `UNKNOWN(0x${type.toString(16)})`;
}

export function readFrameHeader(bytes: Buffer, offset = 0): FrameHeader {
  return {
    length: bytes.readUIntBE(offset, 3),
    type: bytes[offset + 3]!,
    flags: bytes[offset + 4]!,
    // The reserved top bit is ignored on receipt (RFC 9113 4.1).
    streamId: bytes.readUInt32BE(offset + 5) & 0x7fffffff,
  };
}

/** One frame's bytes: the 9-byte header and `payload`. */
function frameBytes(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, 5);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

/** `body` behind a Pad Length byte and followed by that many zero bytes, when padded. */
function padded(body: Buffer, padLength: number | undefined): Buffer {
  if (padLength === undefined) return body;
  return Buffer.concat([Buffer.from([padLength]), body, Buffer.alloc(padLength)]);
}

function priorityBytes(p: Priority): Buffer {
  const out = Buffer.allocUnsafe(5);
  out.writeUInt32BE(((p.exclusive ? 0x80000000 : 0) | (p.dependency & 0x7fffffff)) >>> 0, 0);
  out[4] = p.weight - 1;
  return out;
}

function uint32(...values: number[]): Buffer {
  const out = Buffer.allocUnsafe(4 * values.length);
  values.forEach((v, i) => out.writeUInt32BE(v >>> 0, 4 * i));
  return out;
}

/** The frame on the wire (RFC 9113 section 6). Padding bytes are zeros. */
export function encodeFrame(frame: Frame): Buffer {
  const pad = (f: { padLength?: number }) => (f.padLength !== undefined ? Flag.PADDED : 0);
  switch (frame.type) {
    case 'DATA':
      return frameBytes(FrameType.DATA, (frame.endStream ? Flag.END_STREAM : 0) | pad(frame), frame.streamId, padded(frame.data, frame.padLength));
    case 'HEADERS': {
      const flags = (frame.endStream ? Flag.END_STREAM : 0) | (frame.endHeaders ? Flag.END_HEADERS : 0) | pad(frame) | (frame.priority ? Flag.PRIORITY : 0);
      const body = frame.priority ? Buffer.concat([priorityBytes(frame.priority), frame.block]) : frame.block;
      return frameBytes(FrameType.HEADERS, flags, frame.streamId, padded(body, frame.padLength));
    }
    case 'PRIORITY':
      return frameBytes(FrameType.PRIORITY, 0, frame.streamId, priorityBytes(frame));
    case 'RST_STREAM':
      return frameBytes(FrameType.RST_STREAM, 0, frame.streamId, uint32(frame.errorCode));
    case 'SETTINGS': {
      const payload = Buffer.allocUnsafe(6 * frame.settings.length);
      frame.settings.forEach(([id, value], i) => {
        payload.writeUInt16BE(id, 6 * i);
        payload.writeUInt32BE(value >>> 0, 6 * i + 2);
      });
      return frameBytes(FrameType.SETTINGS, frame.ack ? Flag.ACK : 0, 0, payload);
    }
    case 'PUSH_PROMISE':
      return frameBytes(FrameType.PUSH_PROMISE, Flag.END_HEADERS, frame.streamId, uint32(frame.promisedStreamId));
    case 'PING':
      return frameBytes(FrameType.PING, frame.ack ? Flag.ACK : 0, 0, frame.data);
    case 'GOAWAY':
      return frameBytes(FrameType.GOAWAY, 0, 0, Buffer.concat([uint32(frame.lastStreamId & 0x7fffffff, frame.errorCode), frame.debug]));
    case 'WINDOW_UPDATE':
      return frameBytes(FrameType.WINDOW_UPDATE, 0, frame.streamId, uint32(frame.increment & 0x7fffffff));
    case 'CONTINUATION':
      return frameBytes(FrameType.CONTINUATION, frame.endHeaders ? Flag.END_HEADERS : 0, frame.streamId, frame.block);
    case 'UNKNOWN':
      return frameBytes(frame.typeCode, frame.flags, frame.streamId, frame.payload);
  }
}

const protocolError = (why: string, streamId = 0) => new Http2Error(ErrorCode.PROTOCOL_ERROR, why, streamId);
const sizeError = (why: string, streamId = 0) => new Http2Error(ErrorCode.FRAME_SIZE_ERROR, why, streamId);

function needsStream(h: FrameHeader): void {
  if (h.streamId === 0) throw protocolError(`a ${typeName(h.type)} frame on stream 0`);
}

function onConnection(h: FrameHeader): void {
  if (h.streamId !== 0) throw protocolError(`a ${typeName(h.type)} frame on stream ${h.streamId} (it belongs to stream 0)`, h.streamId);
}

function exactLength(h: FrameHeader, payload: Buffer, length: number): void {
  if (payload.length !== length) throw sizeError(`a ${typeName(h.type)} frame of ${payload.length} bytes (it has ${length})`, h.streamId);
}

/** The payload without its padding (RFC 9113 6.1, 6.2), and the pad length, when PADDED is set. */
function unpad(h: FrameHeader, payload: Buffer): { body: Buffer; padLength?: number } {
  if (!(h.flags & Flag.PADDED)) return { body: payload };
  if (payload.length < 1) throw sizeError(`a padded ${typeName(h.type)} frame without its Pad Length`, h.streamId);
  const padLength = payload[0]!;
  if (padLength >= payload.length) throw protocolError(`a ${typeName(h.type)} frame with ${padLength} bytes of padding in ${payload.length}`, h.streamId);
  return { body: payload.subarray(1, payload.length - padLength), padLength };
}

function readPriority(bytes: Buffer): Priority {
  const word = bytes.readUInt32BE(0);
  return { exclusive: (word & 0x80000000) !== 0, dependency: word & 0x7fffffff, weight: bytes[4]! + 1 };
}

/**
 * The frame that `header` and `payload` make. `payload` may be a view into a buffer
 * that is reused later: DATA, HEADERS, CONTINUATION, PING and GOAWAY keep views of it.
 */
export function decodeFrame(h: FrameHeader, payload: Buffer): Frame {
  const { streamId, flags } = h;
  switch (h.type) {
    case FrameType.DATA: {
      needsStream(h);
      const { body, padLength } = unpad(h, payload);
      return { type: 'DATA', streamId, endStream: (flags & Flag.END_STREAM) !== 0, data: body, ...(padLength !== undefined && { padLength }) };
    }
    case FrameType.HEADERS:
      return decodeHeaders(h, payload);
    case FrameType.PRIORITY:
      needsStream(h);
      exactLength(h, payload, 5);
      return { type: 'PRIORITY', streamId, ...readPriority(payload) };
    case FrameType.RST_STREAM:
      needsStream(h);
      exactLength(h, payload, 4);
      return { type: 'RST_STREAM', streamId, errorCode: payload.readUInt32BE(0) };
    case FrameType.SETTINGS:
      return decodeSettings(h, payload);
    case FrameType.PUSH_PROMISE: {
      needsStream(h);
      const { body } = unpad(h, payload);
      if (body.length < 4) throw sizeError('a PUSH_PROMISE frame shorter than its promised stream ID', streamId);
      return { type: 'PUSH_PROMISE', streamId, promisedStreamId: body.readUInt32BE(0) & 0x7fffffff };
    }
    case FrameType.PING:
      onConnection(h);
      exactLength(h, payload, 8);
      return { type: 'PING', ack: (flags & Flag.ACK) !== 0, data: payload };
    case FrameType.GOAWAY:
      onConnection(h);
      if (payload.length < 8) throw sizeError(`a GOAWAY frame of ${payload.length} bytes (at least 8)`);
      return { type: 'GOAWAY', lastStreamId: payload.readUInt32BE(0) & 0x7fffffff, errorCode: payload.readUInt32BE(4), debug: payload.subarray(8) };
    case FrameType.WINDOW_UPDATE: {
      exactLength(h, payload, 4);
      const increment = payload.readUInt32BE(0) & 0x7fffffff;
      if (increment === 0) throw protocolError(`a WINDOW_UPDATE of 0 on ${streamId === 0 ? 'the connection' : `stream ${streamId}`}`, streamId);
      return { type: 'WINDOW_UPDATE', streamId, increment };
    }
    case FrameType.CONTINUATION:
      needsStream(h);
      return { type: 'CONTINUATION', streamId, endHeaders: (flags & Flag.END_HEADERS) !== 0, block: payload };
    default:
      return { type: 'UNKNOWN', typeCode: h.type, flags, streamId, payload };
  }
}

function decodeHeaders(h: FrameHeader, payload: Buffer): Frame {
  needsStream(h);
  const { body, padLength } = unpad(h, payload);
  const hasPriority = (h.flags & Flag.PRIORITY) !== 0;
  if (hasPriority && body.length < 5) throw sizeError('a HEADERS frame too short for its priority fields', h.streamId);
  return {
    type: 'HEADERS',
    streamId: h.streamId,
    endStream: (h.flags & Flag.END_STREAM) !== 0,
    endHeaders: (h.flags & Flag.END_HEADERS) !== 0,
    block: hasPriority ? body.subarray(5) : body,
    ...(hasPriority && { priority: readPriority(body) }),
    ...(padLength !== undefined && { padLength }),
  };
}

function decodeSettings(h: FrameHeader, payload: Buffer): Frame {
  onConnection(h);
  const ack = (h.flags & Flag.ACK) !== 0;
  if (ack && payload.length !== 0) throw sizeError(`a SETTINGS acknowledgement with ${payload.length} bytes of payload`);
  if (payload.length % 6 !== 0) throw sizeError(`a SETTINGS frame of ${payload.length} bytes (a multiple of 6)`);
  const settings: Array<[number, number]> = [];
  for (let at = 0; at < payload.length; at += 6) {
    const id = payload.readUInt16BE(at);
    const value = payload.readUInt32BE(at + 2);
    checkSetting(id, value);
    settings.push([id, value]);
  }
  return { type: 'SETTINGS', ack, settings };
}

/** The values RFC 9113 6.5.2 forbids. */
function checkSetting(id: number, value: number): void {
  if (id === Setting.ENABLE_PUSH && value > 1) throw protocolError(`SETTINGS_ENABLE_PUSH ${value} (0 or 1)`);
  if (id === Setting.INITIAL_WINDOW_SIZE && value > MAX_WINDOW) {
    throw new Http2Error(ErrorCode.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${value} (at most 2^31-1)`);
  }
  if (id === Setting.MAX_FRAME_SIZE && (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_ALLOWED_FRAME_SIZE)) {
    throw protocolError(`SETTINGS_MAX_FRAME_SIZE ${value} (16,384 to 16,777,215)`);
  }
}

/**
 * Cuts frames out of the bytes as they arrive, in any split. A frame that lies whole in
 * a chunk is decoded in place; a frame split across chunks is gathered in a buffer,
 * which a frame header longer than `maxFrameSize` never gets: FRAME_SIZE_ERROR (RFC 9113
 * 4.2), so a hostile length cannot make us allocate. The payloads handed to `onFrame`
 * are views valid until the next push() (the caller may reuse its chunk's memory then,
 * and the reader reuses its own): a 16 KiB DATA frame after a 9-byte header straddles
 * nearly every 16 KiB TLS record, and a fresh buffer for each was 5 % of a 1 GiB download.
 */
/** Frames up to this size are gathered in the reader's two reused buffers. */
const GATHER_BYTES = 64 * 1024;

export class FrameReader {
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  private pending: { header: FrameHeader; payload: Buffer; filled: number } | null = null;
  /** Two gathering buffers used in turn: one may hold the frame just delivered while the next gathers. */
  private readonly gather: Buffer[] = [];
  private nextGather = 0;

  constructor(
    private readonly maxFrameSize: number,
    private readonly onFrame: (header: FrameHeader, payload: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let at = this.finishPending(chunk);
    while (at < chunk.length) {
      if (chunk.length - at < FRAME_HEADER_BYTES) {
        chunk.copy(this.header, 0, at);
        this.headerFilled = chunk.length - at;
        return;
      }
      const header = this.checked(readFrameHeader(chunk, at));
      const start = at + FRAME_HEADER_BYTES;
      if (chunk.length - start < header.length) {
        const payload = this.gatheringBuffer(header.length);
        const filled = chunk.copy(payload, 0, start);
        this.pending = { header, payload, filled };
        return;
      }
      at = start + header.length;
      this.onFrame(header, chunk.subarray(start, at));
    }
  }

  /** Whether a frame has begun and not ended (bytes the connection still owes us). */
  get midFrame(): boolean {
    return this.headerFilled > 0 || this.pending !== null;
  }

  /** Completes a header or frame that earlier chunks began; returns where the rest of `chunk` starts. */
  private finishPending(chunk: Buffer): number {
    let at = 0;
    if (this.headerFilled > 0) {
      const take = Math.min(FRAME_HEADER_BYTES - this.headerFilled, chunk.length);
      chunk.copy(this.header, this.headerFilled, 0, take);
      this.headerFilled += take;
      at = take;
      if (this.headerFilled < FRAME_HEADER_BYTES) return at;
      this.headerFilled = 0;
      const header = this.checked(readFrameHeader(this.header));
      this.pending = { header, payload: this.gatheringBuffer(header.length), filled: 0 };
    }
    const pending = this.pending;
    if (!pending) return at;
    const take = Math.min(pending.payload.length - pending.filled, chunk.length - at);
    chunk.copy(pending.payload, pending.filled, at, at + take);
    pending.filled += take;
    at += take;
    if (pending.filled === pending.payload.length) {
      this.pending = null;
      this.onFrame(pending.header, pending.payload);
    }
    return at;
  }

  /** Room for a split frame of `length` bytes: one of the two reused buffers, or a buffer of its own when larger. */
  private gatheringBuffer(length: number): Buffer {
    const size = Math.min(this.maxFrameSize, GATHER_BYTES);
    if (length > size) return Buffer.allocUnsafe(length);
    const index = this.nextGather;
    this.nextGather = 1 - index;
    this.gather[index] ??= Buffer.allocUnsafe(size);
    return this.gather[index].subarray(0, length);
  }

  private checked(header: FrameHeader): FrameHeader {
    if (header.length > this.maxFrameSize) {
      throw sizeError(`a ${typeName(header.type)} frame of ${header.length} bytes, above our SETTINGS_MAX_FRAME_SIZE of ${this.maxFrameSize}`);
    }
    return header;
  }
}
