// One request/response exchange on an HTTP/2 connection, as its user sees it: the
// response head, body slices, trailers, the end or an error, and `consumed()` to say
// how many body bytes it is done with. That is flow control (RFC 9113 5.2): the
// connection opens the window again only for consumed bytes, so a consumer that stops
// consuming (a slow stdout) stops the server once the window is spent.
import type { SockkitError } from '../shared/errors.js';
import { ErrorCode } from './frames.js';
import type { HeaderField } from './hpack.js';
import type { Http2ResponseHead } from './response.js';

export interface StreamHandler {
  /** The final response head (status 200-599). */
  headers(head: Http2ResponseHead): void;
  /** 1xx interim heads before it. */
  interim?(head: Http2ResponseHead): void;
  /** A body slice: a view valid until flush(); call stream.consumed() once done with its bytes. */
  data(chunk: Buffer): void;
  trailers?(fields: HeaderField[]): void;
  /** The response is complete (END_STREAM, with the body length checked). */
  end(): void;
  error(err: SockkitError): void;
  /** The read that delivered the slices is over: their memory is about to be reused. */
  flush?(): void;
  /**
   * The request went out (its HEADERS sent). Beyond the server's stream limit a request
   * first waits for a slot; until this, no silence is the server's.
   */
  opened?(): void;
}

/** What a stream needs of its connection. */
export interface StreamOwner {
  consumed(stream: Http2Stream, bytes: number): void;
  reset(stream: Http2Stream, errorCode: number): void;
}

export type StreamState = 'open' | 'half-closed (local)' | 'closed';

export class Http2Stream {
  state: StreamState = 'open';
  handler: StreamHandler | null = null;
  head: Http2ResponseHead | null = null;
  interimCount = 0;
  /** Body bytes received (DATA payload without padding). */
  bodyBytes = 0;
  /** Whether a body may come at all (not for HEAD, 204, 304). */
  expectsBody = true;
  /** Our receive window for this stream, and what was consumed and not yet given back. */
  recvWindow: number;
  unacked = 0;
  /** The peer's window for what we send on this stream. */
  sendWindow: number;
  /** Request body bytes still to send (flow control may hold them). */
  pendingBody: Buffer | null = null;
  /** When the request's last frame was sent, and the first frame of the response came. */
  sentAt = 0;
  firstFrameAt = 0;

  /** The stream's number, odd; 0 while it waits for a slot under the server's SETTINGS_MAX_CONCURRENT_STREAMS. */
  id = 0;

  constructor(
    private readonly owner: StreamOwner,
    recvWindow: number,
    sendWindow: number,
  ) {
    this.recvWindow = recvWindow;
    this.sendWindow = sendWindow;
  }

  /** Where the response goes; set it before the event loop turns. */
  on(handler: StreamHandler): this {
    this.handler = handler;
    return this;
  }

  /** The consumer is done with `bytes` body bytes: they may be sent again. */
  consumed(bytes: number): void {
    if (bytes > 0) this.owner.consumed(this, bytes);
  }

  /** Stops the exchange (RST_STREAM CANCEL); no more events come. */
  cancel(): void {
    if (this.state !== 'closed') this.owner.reset(this, ErrorCode.CANCEL);
  }
}
