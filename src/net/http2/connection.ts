// An HTTP/2 client connection (RFC 9113) on a socket the socket layer connected (TLS
// with ALPN h2, or h2c with prior knowledge): the preface and settings exchange, odd
// stream IDs, flow control on the connection and on each stream, PING answered, GOAWAY
// and RST_STREAM, and many streams at once. The server is not trusted: every frame is
// checked against the state it meets, and everything it could make us hold or do
// without end is bounded (the header block and its CONTINUATIONs, the decoded header
// list, the HPACK table, control frames, windows, DATA past a window or a
// content-length). A failure of the connection fails every open stream with one
// Http2Error (exit 7) and sends GOAWAY; a failure of one stream resets that stream.
import type { Socket } from 'node:net';
import { SockkitError, toSockkitError } from '../shared/errors.js';
import type { TraceFn } from '../shared/trace.js';
import { FrameTracer, printable } from './frame-trace.js';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  ErrorCode,
  FrameReader,
  Http2Error,
  MAX_WINDOW,
  Setting,
  decodeFrame,
  encodeFrame,
  errorName,
  readFrameHeader,
  type Frame,
  type FrameHeader,
} from './frames.js';
import { DEFAULT_TABLE_SIZE, HpackDecoder, HpackEncoder, type HeaderField } from './hpack.js';
import { responseHead, responseTrailers } from './response.js';
import { Http2Stream, type StreamOwner } from './stream.js';

export interface Http2Limits {
  /** SETTINGS_MAX_HEADER_LIST_SIZE we announce and enforce on decoded lists. */
  maxHeaderListSize: number;
  /** A compressed header block, HEADERS and CONTINUATIONs together. */
  maxHeaderBlockBytes: number;
  /** CONTINUATION frames in one header block (empty ones cost nothing else). */
  maxContinuationFrames: number;
  /** Frames that carry no response (SETTINGS, PING, PRIORITY, WINDOW_UPDATE, empty DATA, unknown) in a row. */
  maxControlFrames: number;
  /** Our answers (PING and SETTINGS acks) the server leaves unread in the socket. */
  maxQueuedOutputBytes: number;
  /** 1xx heads before the final one on a stream. */
  maxInterimResponses: number;
  /** Our receive window per stream (SETTINGS_INITIAL_WINDOW_SIZE) and for the connection. */
  streamWindow: number;
  connectionWindow: number;
}

export const DEFAULT_HTTP2_LIMITS: Readonly<Http2Limits> = {
  maxHeaderListSize: 256 * 1024,
  maxHeaderBlockBytes: 256 * 1024,
  maxContinuationFrames: 64,
  maxControlFrames: 10_000,
  maxQueuedOutputBytes: 1024 * 1024,
  maxInterimResponses: 50,
  streamWindow: 8 * 1024 * 1024,
  connectionWindow: 16 * 1024 * 1024,
};

const DEFAULT_WINDOW = 65_535;
const STREAMS_BEFORE_SETTINGS = 100;

export interface Http2ConnectionOptions {
  trace: TraceFn;
  /** Names the peer in errors: `HTTP/2 with localhost:8443`. */
  what: string;
  limits?: Partial<Http2Limits>;
}

/** When the settings exchange happened (performance.now()). */
export interface SettingsTimeline {
  prefaceSentAt: number;
  /** The server's SETTINGS arrived (its preface). */
  serverSettingsAt: number;
  /** The server acknowledged ours. */
  settingsAckedAt: number;
  /** The server's SETTINGS, as sent. */
  serverSettings: Array<[id: number, value: number]>;
}

/** A header block being gathered from HEADERS and CONTINUATION frames. */
interface PendingBlock {
  streamId: number;
  endStream: boolean;
  parts: Buffer[];
  bytes: number;
  continuations: number;
}

export class Http2ClientConnection implements StreamOwner {
  readonly limits: Http2Limits;
  readonly timeline: SettingsTimeline = { prefaceSentAt: 0, serverSettingsAt: 0, settingsAckedAt: 0, serverSettings: [] };
  private readonly reader: FrameReader;
  private readonly decoder: HpackDecoder;
  private readonly encoder = new HpackEncoder({ tableSize: DEFAULT_TABLE_SIZE, indexing: false, huffman: 'shorter' });
  private lastEncoded?: { fields: HeaderField[]; block: Buffer };
  private readonly tracer: FrameTracer;
  private readonly streams = new Map<number, Http2Stream>();
  private readonly flushAfterRead = new Set<Http2Stream>();
  private readonly waiting: Array<{ stream: Http2Stream; fields: HeaderField[]; body?: Buffer }> = [];
  private nextStreamId = 1;
  // Until the server's SETTINGS say otherwise, at most 100 streams: the least RFC 9113
  // (6.5.2) recommends a server allow, so requests sent early are not refused for number.
  private peer = { maxConcurrentStreams: STREAMS_BEFORE_SETTINGS, initialWindow: DEFAULT_WINDOW, maxFrameSize: DEFAULT_MAX_FRAME_SIZE };
  private sendWindow = DEFAULT_WINDOW;
  private recvWindow = DEFAULT_WINDOW;
  private recvUnacked = 0;
  private block: PendingBlock | null = null;
  private controlInARow = 0;
  private sawFirstBytes = false;
  private goaway: { lastStreamId: number; errorCode: number; debug: string } | null = null;
  private failure: SockkitError | null = null;
  private closed = false;
  private readonly settled: Promise<void>;
  private settle!: { resolve: () => void; reject: (err: SockkitError) => void };

  constructor(
    private readonly socket: Socket,
    private readonly options: Http2ConnectionOptions,
  ) {
    this.limits = { ...DEFAULT_HTTP2_LIMITS, ...options.limits };
    this.tracer = new FrameTracer(options.trace);
    this.decoder = new HpackDecoder({ maxTableSize: DEFAULT_TABLE_SIZE, maxHeaderListSize: this.limits.maxHeaderListSize });
    this.reader = new FrameReader(DEFAULT_MAX_FRAME_SIZE, (header, payload) => this.onFrame(header, payload));
    this.settled = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.settled.catch(() => {});
    socket.on('error', (err) => this.fail(toSockkitError(err, options.what)));
    socket.on('end', () => this.onSocketEnd());
    socket.on('close', () => this.onSocketEnd());
  }

  /**
   * start() without waiting: requests may follow the preface at once (RFC 9113 3.4), a
   * round trip sooner than after the server's SETTINGS. A server whose SETTINGS do not
   * come within `timeoutMs` fails the connection, and every stream on it, with `timedOut()`.
   * Both clients (http-get, DoH) open so.
   */
  startEarly(timeoutMs: number, timedOut: () => SockkitError): void {
    this.settingsTimer = setTimeout(() => this.fail(timedOut()), timeoutMs);
    void this.start();
  }

  /** startEarly's wait for the server's SETTINGS: cleared when they come or the connection ends. */
  private settingsTimer?: NodeJS.Timeout;

  /** Whether the server's SETTINGS came: until then nothing it sent was HTTP/2 for sure. */
  get serverSettingsCame(): boolean {
    return this.timeline.serverSettingsAt !== 0;
  }

  /** Sends the preface, our SETTINGS and connection window; resolves once the server's SETTINGS came. */
  start(): Promise<void> {
    const { streamWindow, connectionWindow, maxHeaderListSize } = this.limits;
    this.corkForThisTurn(); // the preface, our SETTINGS and the first requests: one write
    this.socket.write(CLIENT_PREFACE);
    this.options.trace('send', `connection preface (${CLIENT_PREFACE.length} bytes)`);
    this.timeline.prefaceSentAt = performance.now();
    this.send({
      type: 'SETTINGS',
      ack: false,
      settings: [
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, streamWindow],
        [Setting.MAX_HEADER_LIST_SIZE, maxHeaderListSize],
      ],
    });
    if (connectionWindow > DEFAULT_WINDOW) {
      this.send({ type: 'WINDOW_UPDATE', streamId: 0, increment: connectionWindow - DEFAULT_WINDOW });
      this.recvWindow = connectionWindow;
    }
    return this.settled;
  }

  /** Bytes from the socket, in any split. Never asks to pause: flow control holds the server back. */
  feed(chunk: Buffer): boolean {
    if (this.closed) return false;
    try {
      if (!this.sawFirstBytes && chunk.length > 0) this.checkFirstBytes(chunk);
      this.reader.push(chunk);
    } catch (err) {
      this.fail(err);
    }
    for (const stream of this.flushAfterRead) stream.handler?.flush?.();
    this.flushAfterRead.clear();
    return true;
  }

  /**
   * A request with these fields (pseudo-headers first) and an optional body, on a stream
   * of its own. Beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS it waits for a stream
   * to close (a DoH batch can hand over every question at once).
   */
  request(fields: HeaderField[], body?: Buffer): Http2Stream {
    if (this.failure) throw this.failure;
    if (this.goaway) throw new Http2Error(ErrorCode.REFUSED_STREAM, `the server is going away (GOAWAY ${errorName(this.goaway.errorCode)}): no new requests`, 0, this.options.what);
    const stream = new Http2Stream(this, this.limits.streamWindow, this.peer.initialWindow);
    stream.expectsBody = !fields.some(([n, v]) => n === ':method' && v === 'HEAD');
    this.waiting.push({ stream, fields, body });
    this.openWaiting();
    return stream;
  }

  /** Sends the HEADERS (and body) of waiting requests while the server allows more streams. */
  private openWaiting(): void {
    while (this.waiting.length > 0 && this.streams.size < this.peer.maxConcurrentStreams && !this.closed && !this.goaway) {
      const { stream, fields, body } = this.waiting.shift()!;
      if (stream.state === 'closed') continue; // cancelled while it waited
      stream.id = this.nextStreamId;
      this.nextStreamId += 2;
      stream.sendWindow = this.peer.initialWindow;
      this.streams.set(stream.id, stream);
      const hasBody = body !== undefined && body.length > 0;
      this.sendHeaderBlock(stream.id, this.headerBlock(fields), !hasBody);
      if (hasBody) {
        stream.pendingBody = body;
        this.sendPendingBody(stream);
      } else {
        stream.state = 'half-closed (local)';
      }
      stream.sentAt = performance.now();
      stream.handler?.opened?.();
    }
  }

  /**
   * The header block of a field list. The encoder keeps no dynamic table, so a block
   * depends on its fields alone: a caller that sends the same list again (a DoH batch's
   * POSTs, one list for every 128-byte padded query) gets the last block back unencoded.
   */
  private headerBlock(fields: HeaderField[]): Buffer {
    if (this.lastEncoded?.fields !== fields) this.lastEncoded = { fields, block: this.encoder.encode(fields) };
    return this.lastEncoded.block;
  }

  /** Whether a new request may still go on this connection: open, no GOAWAY, no failure. */
  get acceptsRequests(): boolean {
    return !this.closed && !this.goaway && !this.failure;
  }

  /** Ends the connection politely (GOAWAY NO_ERROR) once the caller is done with it. */
  close(): void {
    if (this.closed) return;
    this.send({ type: 'GOAWAY', lastStreamId: 0, errorCode: ErrorCode.NO_ERROR, debug: Buffer.alloc(0) });
    this.shutDown();
  }

  consumed(stream: Http2Stream, bytes: number): void {
    if (this.closed) return;
    this.recvUnacked += bytes;
    if (this.recvUnacked >= this.limits.connectionWindow / 2) {
      this.send({ type: 'WINDOW_UPDATE', streamId: 0, increment: this.recvUnacked });
      this.recvWindow += this.recvUnacked;
      this.recvUnacked = 0;
    }
    if (stream.state === 'closed') return;
    stream.unacked += bytes;
    if (stream.unacked >= this.limits.streamWindow / 2) {
      this.send({ type: 'WINDOW_UPDATE', streamId: stream.id, increment: stream.unacked });
      stream.recvWindow += stream.unacked;
      stream.unacked = 0;
    }
  }

  reset(stream: Http2Stream, errorCode: number): void {
    if (stream.state === 'closed' || this.closed) return;
    if (stream.id === 0) return void (stream.state = 'closed'); // never sent: nothing to reset
    this.send({ type: 'RST_STREAM', streamId: stream.id, errorCode });
    this.closeStream(stream);
  }

  /**
   * An HTTP/1.x server answers our preface with a status line, which read as a frame
   * header is a frame of megabytes: say what happened instead (h2c to an HTTP/1.1 port).
   */
  private checkFirstBytes(chunk: Buffer): void {
    this.sawFirstBytes = true;
    const start = chunk.subarray(0, 8).toString('latin1');
    if (/^HTTP\/1\.[01]/.test(start) || 'HTTP/1.'.startsWith(start)) {
      throw this.connectionError(ErrorCode.PROTOCOL_ERROR, `the server answered in ${start.trim() || 'HTTP/1.x'}…, not HTTP/2 (it does not speak h2c)`);
    }
  }

  private onFrame(header: FrameHeader, payload: Buffer): void {
    if (this.closed) return;
    const frame = decodeFrame(header, payload);
    this.tracer.frame('recv', header, frame);
    if (this.timeline.serverSettingsAt === 0 && frame.type !== 'SETTINGS') {
      throw this.connectionError(ErrorCode.PROTOCOL_ERROR, `the server began with ${frame.type}, not SETTINGS (is it HTTP/2?)`);
    }
    if (this.block && frame.type !== 'CONTINUATION') {
      throw this.connectionError(ErrorCode.PROTOCOL_ERROR, `a ${frame.type} frame in the middle of the header block of stream ${this.block.streamId}`);
    }
    this.countControl(frame);
    switch (frame.type) {
      case 'DATA':
        return this.onData(frame, header.length);
      case 'HEADERS':
        return this.onHeaders(frame);
      case 'CONTINUATION':
        return this.onContinuation(frame);
      case 'SETTINGS':
        return this.onSettings(frame);
      case 'PING':
        if (!frame.ack) this.sendAnswer({ type: 'PING', ack: true, data: Buffer.from(frame.data) });
        return;
      case 'GOAWAY':
        return this.onGoaway(frame);
      case 'WINDOW_UPDATE':
        return this.onWindowUpdate(frame);
      case 'RST_STREAM':
        return this.onReset(frame);
      case 'PUSH_PROMISE':
        throw this.connectionError(ErrorCode.PROTOCOL_ERROR, 'a PUSH_PROMISE, though we sent SETTINGS_ENABLE_PUSH 0');
      case 'PRIORITY':
      case 'UNKNOWN':
        return; // read and ignored (RFC 9113 5.3.2, 4.1)
    }
  }

  /**
   * Frames that carry no response can be sent without end and cost us work (and, for
   * PING and SETTINGS, an answer each): at most maxControlFrames of them in a row.
   */
  private countControl(frame: Frame): void {
    const progress = (frame.type === 'DATA' && (frame.data.length > 0 || frame.endStream)) || frame.type === 'HEADERS' || frame.type === 'CONTINUATION';
    if (progress) {
      this.controlInARow = 0;
      return;
    }
    if (++this.controlInARow > this.limits.maxControlFrames) {
      throw this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, `a flood: more than ${this.limits.maxControlFrames} ${frame.type === 'DATA' ? 'empty DATA' : frame.type} and other frames without response data in a row`);
    }
  }

  private onSettings(frame: Extract<Frame, { type: 'SETTINGS' }>): void {
    if (frame.ack) {
      if (this.timeline.settingsAckedAt === 0) this.timeline.settingsAckedAt = performance.now();
      return;
    }
    for (const [id, value] of frame.settings) this.applySetting(id, value);
    this.sendAnswer({ type: 'SETTINGS', ack: true, settings: [] });
    if (this.timeline.serverSettingsAt === 0) {
      this.timeline.serverSettingsAt = performance.now();
      this.timeline.serverSettings = frame.settings.map(([id, value]) => [id, value]);
      clearTimeout(this.settingsTimer);
      this.settle.resolve();
    }
  }

  private applySetting(id: number, value: number): void {
    if (id === Setting.MAX_CONCURRENT_STREAMS) {
      this.peer.maxConcurrentStreams = value;
      this.openWaiting();
    }
    else if (id === Setting.MAX_FRAME_SIZE) this.peer.maxFrameSize = value;
    else if (id === Setting.INITIAL_WINDOW_SIZE) {
      // A new initial window changes every open stream's window by the difference (RFC 9113 6.9.2).
      const delta = value - this.peer.initialWindow;
      this.peer.initialWindow = value;
      for (const stream of this.streams.values()) {
        stream.sendWindow += delta;
        if (stream.sendWindow > MAX_WINDOW) throw this.connectionError(ErrorCode.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${value} overflows the window of stream ${stream.id}`);
      }
      for (const stream of this.streams.values()) this.sendPendingBody(stream);
    }
    // HEADER_TABLE_SIZE: our encoder keeps no table. ENABLE_PUSH from a server is meaningless.
  }

  private onGoaway(frame: Extract<Frame, { type: 'GOAWAY' }>): void {
    const debug = frame.debug.length > 0 ? `: "${printable(frame.debug.subarray(0, 200))}"` : '';
    this.goaway = { lastStreamId: frame.lastStreamId, errorCode: frame.errorCode, debug };
    const why = `the server sent GOAWAY ${errorName(frame.errorCode)} (last stream ${frame.lastStreamId})${debug}`;
    for (const waiting of this.waiting.splice(0)) {
      this.failStream(waiting.stream, new Http2Error(ErrorCode.REFUSED_STREAM, `${why}: the request was not sent`, 0, this.options.what));
    }
    for (const stream of [...this.streams.values()]) {
      // Streams above the last one were never processed; with an error code, none will finish.
      if (stream.id > frame.lastStreamId || frame.errorCode !== ErrorCode.NO_ERROR) {
        this.failStream(stream, new Http2Error(frame.errorCode === ErrorCode.NO_ERROR ? ErrorCode.REFUSED_STREAM : frame.errorCode, `${why} ${this.progressOf(stream)}`, stream.id, this.options.what));
      }
    }
  }

  private onWindowUpdate(frame: Extract<Frame, { type: 'WINDOW_UPDATE' }>): void {
    if (frame.streamId === 0) {
      this.sendWindow += frame.increment;
      if (this.sendWindow > MAX_WINDOW) throw this.connectionError(ErrorCode.FLOW_CONTROL_ERROR, `a WINDOW_UPDATE that takes the connection's window past 2^31-1 (${this.sendWindow})`);
      for (const stream of this.streams.values()) this.sendPendingBody(stream);
      return;
    }
    const stream = this.knownStream(frame.streamId, 'WINDOW_UPDATE');
    if (!stream) return;
    stream.sendWindow += frame.increment;
    if (stream.sendWindow > MAX_WINDOW) {
      return this.streamError(stream, ErrorCode.FLOW_CONTROL_ERROR, `a WINDOW_UPDATE that takes stream ${stream.id}'s window past 2^31-1 (${stream.sendWindow})`);
    }
    this.sendPendingBody(stream);
  }

  private onReset(frame: Extract<Frame, { type: 'RST_STREAM' }>): void {
    const stream = this.knownStream(frame.streamId, 'RST_STREAM');
    if (!stream) return;
    this.closeStream(stream);
    this.failStream(stream, new Http2Error(frame.errorCode, `the server reset stream ${stream.id} with ${errorName(frame.errorCode)} ${this.progressOf(stream)}`, stream.id, this.options.what));
  }

  /**
   * The open stream a frame is for; undefined for a stream that was ours and is closed
   * (frames may still be in flight after our RST_STREAM). A stream we never opened
   * (idle, or even-numbered: we allow no push) is a connection error (RFC 9113 5.1).
   */
  private knownStream(id: number, type: string): Http2Stream | undefined {
    const stream = this.streams.get(id);
    if (stream) return stream;
    if (id % 2 === 0 || id >= this.nextStreamId) throw this.connectionError(ErrorCode.PROTOCOL_ERROR, `a ${type} frame on stream ${id}, which we never opened`);
    return undefined;
  }

  private onHeaders(frame: Extract<Frame, { type: 'HEADERS' }>): void {
    if (frame.endHeaders) return this.onHeaderBlock(frame.streamId, frame.block, frame.endStream);
    // The block goes on in CONTINUATION frames: copied, as the read buffer is reused.
    this.block = { streamId: frame.streamId, endStream: frame.endStream, parts: [Buffer.from(frame.block)], bytes: frame.block.length, continuations: 0 };
    this.checkBlockSize(this.block);
  }

  private onContinuation(frame: Extract<Frame, { type: 'CONTINUATION' }>): void {
    const block = this.block;
    if (!block || block.streamId !== frame.streamId) {
      throw this.connectionError(ErrorCode.PROTOCOL_ERROR, `a CONTINUATION on stream ${frame.streamId} without a header block to continue`);
    }
    block.continuations++;
    block.parts.push(Buffer.from(frame.block));
    block.bytes += frame.block.length;
    this.checkBlockSize(block);
    if (block.continuations > this.limits.maxContinuationFrames) {
      throw this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, `a header block in more than ${this.limits.maxContinuationFrames} CONTINUATION frames on stream ${block.streamId}`);
    }
    if (!frame.endHeaders) return;
    this.block = null;
    this.onHeaderBlock(block.streamId, Buffer.concat(block.parts), block.endStream);
  }

  private checkBlockSize(block: PendingBlock): void {
    if (block.bytes > this.limits.maxHeaderBlockBytes) {
      throw this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, `a header block of more than ${this.limits.maxHeaderBlockBytes} bytes on stream ${block.streamId}`);
    }
  }

  /** A whole header block: decoded in any case (the HPACK table must stay in step), then given to its stream. */
  private onHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void {
    let fields: HeaderField[];
    try {
      fields = this.decoder.decode(block);
    } catch (err) {
      // Any HPACK failure leaves the table out of step with the server's: the connection is done.
      throw err instanceof Http2Error ? this.connectionError(err.errorCode, `${err.why} (stream ${streamId})`) : err;
    }
    const stream = this.knownStream(streamId, 'HEADERS');
    if (!stream) return;
    if (stream.firstFrameAt === 0) stream.firstFrameAt = performance.now();
    try {
      this.deliverHeaders(stream, fields, endStream);
    } catch (err) {
      if (!(err instanceof Http2Error)) throw err;
      this.streamError(stream, err.errorCode, err.why);
    }
  }

  private deliverHeaders(stream: Http2Stream, fields: HeaderField[], endStream: boolean): void {
    if (stream.head) {
      // After the final head, only trailers, which end the stream (RFC 9113 8.1).
      if (!endStream) throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `malformed response on stream ${stream.id}: a second header block that does not end the stream`, stream.id);
      stream.handler?.trailers?.(responseTrailers(fields, stream.id));
      return this.endStream(stream);
    }
    const head = responseHead(fields, stream.id);
    if (head.status < 200) {
      if (endStream) throw new Http2Error(ErrorCode.PROTOCOL_ERROR, `malformed response on stream ${stream.id}: an interim ${head.status} that ends the stream`, stream.id);
      if (++stream.interimCount > this.limits.maxInterimResponses) {
        throw new Http2Error(ErrorCode.ENHANCE_YOUR_CALM, `more than ${this.limits.maxInterimResponses} interim responses on stream ${stream.id}`, stream.id);
      }
      stream.handler?.interim?.(head);
      return;
    }
    stream.head = head;
    if (head.status === 204 || head.status === 304) stream.expectsBody = false;
    stream.handler?.headers(head);
    if (endStream) this.endStream(stream);
  }

  private onData(frame: Extract<Frame, { type: 'DATA' }>, frameLength: number): void {
    // The whole frame counts against the windows, padding included (RFC 9113 6.9.1).
    this.recvWindow -= frameLength;
    if (this.recvWindow < 0) throw this.connectionError(ErrorCode.FLOW_CONTROL_ERROR, `DATA beyond the connection's window (${-this.recvWindow} bytes past it)`);
    const stream = this.knownStream(frame.streamId, 'DATA');
    // DATA for a stream we closed reaches no consumer: its bytes are consumed at once.
    if (!stream) return this.consumedByUs(frameLength);
    const bodyBytes = frame.data.length;
    stream.recvWindow -= frameLength;
    const failure = this.dataFailure(stream, bodyBytes);
    if (failure) {
      this.consumedByUs(frameLength);
      return this.streamError(stream, failure[0], failure[1]);
    }
    // Padding reaches no consumer either.
    if (frameLength > bodyBytes) this.consumed(stream, frameLength - bodyBytes);
    stream.bodyBytes += bodyBytes;
    if (bodyBytes > 0) {
      stream.handler?.data(frame.data);
      this.flushAfterRead.add(stream);
    }
    if (frame.endStream) this.endStream(stream);
  }

  /** Why DATA of `bytes` may not go to this stream, or null. */
  private dataFailure(stream: Http2Stream, bytes: number): [number, string] | null {
    if (stream.recvWindow < 0) return [ErrorCode.FLOW_CONTROL_ERROR, `DATA beyond stream ${stream.id}'s window (${-stream.recvWindow} bytes past it)`];
    if (!stream.head) return [ErrorCode.PROTOCOL_ERROR, `DATA on stream ${stream.id} before its response head`];
    const total = stream.bodyBytes + bytes;
    if (bytes > 0 && !stream.expectsBody) return [ErrorCode.PROTOCOL_ERROR, `a body for a response that has none (${stream.head.status}${stream.expectsBody ? '' : ', or HEAD'}) on stream ${stream.id}`];
    const declared = stream.expectsBody ? stream.head.contentLength : null;
    if (declared !== null && total > declared) return [ErrorCode.PROTOCOL_ERROR, `more DATA than the content-length of ${declared} on stream ${stream.id} (${total} bytes)`];
    return null;
  }

  private endStream(stream: Http2Stream): void {
    const declared = stream.expectsBody ? stream.head?.contentLength ?? null : null;
    if (declared !== null && stream.bodyBytes !== declared) {
      return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `the stream ended after ${stream.bodyBytes} of the ${declared} bytes its content-length says`);
    }
    if (!stream.head) return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `stream ${stream.id} ended without a response head`);
    this.closeStream(stream);
    stream.handler?.end();
  }

  /** Bytes that count against the connection's window but reach no stream's consumer. */
  private consumedByUs(bytes: number): void {
    this.recvUnacked += bytes;
    if (this.recvUnacked < this.limits.connectionWindow / 2) return;
    this.send({ type: 'WINDOW_UPDATE', streamId: 0, increment: this.recvUnacked });
    this.recvWindow += this.recvUnacked;
    this.recvUnacked = 0;
  }

  /** A stream's failure: RST_STREAM with `errorCode`, the stream's handler told; the connection goes on. */
  private streamError(stream: Http2Stream, errorCode: number, why: string): void {
    this.reset(stream, errorCode);
    this.failStream(stream, new Http2Error(errorCode, why, stream.id, this.options.what));
  }

  private failStream(stream: Http2Stream, err: SockkitError): void {
    this.closeStream(stream);
    const handler = stream.handler;
    stream.handler = null;
    handler?.error(err);
  }

  private closeStream(stream: Http2Stream): void {
    stream.state = 'closed';
    stream.pendingBody = null;
    if (!this.streams.delete(stream.id)) return;
    this.flushAfterRead.delete(stream);
    this.openWaiting();
  }

  private connectionError(errorCode: number, why: string): Http2Error {
    return new Http2Error(errorCode, why, 0, this.options.what);
  }

  /** The connection is done: GOAWAY (for our own findings), every open stream failed, the socket destroyed. */
  private fail(err: unknown): void {
    if (this.closed) return;
    const failure = err instanceof SockkitError ? err : toSockkitError(err, this.options.what);
    this.failure = failure;
    if (failure instanceof Http2Error && failure.streamId === 0 && !this.goaway) {
      this.send({ type: 'GOAWAY', lastStreamId: 0, errorCode: failure.errorCode, debug: Buffer.alloc(0) });
    }
    for (const stream of this.takeAllStreams()) {
      // A reset or a close once a response had begun leaves it truncated: the server's doing, exit 7.
      const midResponse = stream.head !== null && failure.code === 'UNREACHABLE';
      const streamFailure = midResponse ? new SockkitError('PROTOCOL', failure.what, `${failure.why} ${this.progressOf(stream)}`, undefined, { cause: failure }) : failure;
      this.failStream(stream, streamFailure);
    }
    this.shutDown();
    this.settle.reject(failure);
  }

  private onSocketEnd(): void {
    if (this.closed) return;
    const { goaway } = this;
    const why =
      this.timeline.serverSettingsAt === 0
        ? 'the server closed the connection before its SETTINGS (is it HTTP/2?)'
        : goaway
          ? `the connection closed after GOAWAY ${errorName(goaway.errorCode)} (last stream ${goaway.lastStreamId})${goaway.debug}`
          : 'the connection closed';
    for (const stream of this.takeAllStreams()) {
      this.failStream(stream, new SockkitError('PROTOCOL', this.options.what, `${why} ${this.progressOf(stream)}`));
    }
    this.fail(new SockkitError('PROTOCOL', this.options.what, why));
  }

  private progressOf(stream: Http2Stream): string {
    if (stream.id === 0) return 'before the request was sent';
    return stream.head ? `after ${stream.bodyBytes} body bytes on stream ${stream.id}` : `before the response head of stream ${stream.id}`;
  }

  private shutDown(): void {
    this.closed = true;
    this.block = null;
    this.tracer.summarise();
    clearTimeout(this.settingsTimer);
    this.uncork(); // the last frames (a GOAWAY) leave before the socket goes
    this.socket.destroy();
  }

  /**
   * Frames sent in one turn of the event loop leave in one write: over TLS one record
   * instead of one per frame (a DoH batch wrote a HEADERS and a DATA record per question).
   */
  private send(frame: Frame): void {
    if (this.socket.destroyed) return;
    const bytes = encodeFrame(frame);
    this.corkForThisTurn();
    this.socket.write(bytes);
    this.tracer.frame('send', readFrameHeader(bytes), frame);
  }

  private corkForThisTurn(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(this.uncork);
  }

  private corked = false;
  private readonly uncork = (): void => {
    if (!this.corked) return;
    this.corked = false;
    if (!this.socket.destroyed) this.socket.uncork();
  };

  /** An answer the server asked for (PING or SETTINGS ack): it must read them, or we stop. */
  private sendAnswer(frame: Frame): void {
    this.send(frame);
    const queued = this.socket.writableLength;
    if (queued > this.limits.maxQueuedOutputBytes) {
      throw this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, `the server does not read our answers (${queued} bytes of acknowledgements queued)`);
    }
  }

  /** HEADERS, then CONTINUATIONs when the block is larger than the server's frame size. */
  private sendHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void {
    const size = this.peer.maxFrameSize;
    this.send({ type: 'HEADERS', streamId, endStream, endHeaders: block.length <= size, block: block.subarray(0, size) });
    for (let at = size; at < block.length; at += size) {
      this.send({ type: 'CONTINUATION', streamId, endHeaders: at + size >= block.length, block: block.subarray(at, at + size) });
    }
  }

  /** As much of a request body as both windows let through. */
  private sendPendingBody(stream: Http2Stream): void {
    let body = stream.pendingBody;
    while (body && body.length > 0 && this.sendWindow > 0 && stream.sendWindow > 0) {
      const n = Math.min(body.length, this.sendWindow, stream.sendWindow, this.peer.maxFrameSize);
      const last = n === body.length;
      this.send({ type: 'DATA', streamId: stream.id, endStream: last, data: body.subarray(0, n) });
      this.sendWindow -= n;
      stream.sendWindow -= n;
      body = last ? null : body.subarray(n);
      if (last) stream.state = 'half-closed (local)';
    }
    stream.pendingBody = body;
  }

  /** Open streams and those still waiting for a slot, the waiting ones handed over (they will never be sent). */
  private takeAllStreams(): Http2Stream[] {
    const waiting = this.waiting.splice(0).map((w) => w.stream);
    return [...this.streams.values(), ...waiting.filter((s) => s.state !== 'closed')];
  }
}
