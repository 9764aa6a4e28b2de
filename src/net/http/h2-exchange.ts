// http-get's request and response over HTTP/2: the request as a header list on one
// stream of a connection (src/net/http2/), the response head handed to the same hooks
// as over HTTP/1.1, and the body through the same route (decoders, sink). Flow control
// is the backpressure: bytes count as consumed once the sink took them, so a slow
// stdout stops the window from opening and the server waits.
import { SockkitError, formatSeconds, timeoutError, toSockkitError } from '../shared/errors.js';
import { StallWatchdog } from '../shared/stall-watchdog.js';
import type { Http2ClientConnection } from '../http2/connection.js';
import { ErrorCode } from '../http2/frames.js';
import type { HeaderField } from '../http2/hpack.js';
import type { Http2ResponseHead } from '../http2/response.js';
import type { Http2Stream } from '../http2/stream.js';
import { routeBody, type BodyRoute } from './body-route.js';
import type { ClientOptions, Exchange, RequestHooks } from './client.js';
import type { BodyFraming, ResponseHead } from './parser.js';
import { requestHeaderList, type RequestSpec } from './url.js';
import { StaleConnection } from './connection-pool.js';


/** How an exchange uses its connection: its own (closed at the end), or one the pool shares. */
export interface StreamUse {
  /** The pool shares the connection: it stays open after this exchange. */
  shared: boolean;
  /** A request that did not open the connection: if the server never took it up, it may go on a new one. */
  retryUnsent: boolean;
}

const OWN_CONNECTION: StreamUse = { shared: false, retryUnsent: false };

/** Fields as `name: value` lines, the way -v shows them. */
function fieldLines(fields: readonly HeaderField[], first?: string): Buffer {
  const lines = first !== undefined ? [first] : [];
  for (const [name, value] of fields) lines.push(`${name}: ${value}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** An HTTP/2 head as http-get's ResponseHead: `raw` as curl -i prints it, `wire` as it came (-v). */
export function h2ResponseHead(head: Http2ResponseHead): ResponseHead {
  return {
    httpVersion: '2',
    status: head.status,
    reason: '',
    headers: head.headers,
    raw: fieldLines(head.headers, `HTTP/2 ${head.status}`),
    wire: fieldLines(head.fields),
  };
}

/** One request and its response on a stream of `connection`; the connection is closed at the end unless shared. */
export class Http2Exchange {
  private readonly what: string;
  private readonly watchdog: StallWatchdog;
  private stream: Http2Stream | null = null;
  private head: ResponseHead | null = null;
  private framing: BodyFraming = { kind: 'none' };
  private route: BodyRoute | null = null;
  private stopAfterHead = false;
  private bodyBytes = 0;
  private heldBytes = 0;
  private settled = false;
  private sentAt = 0;
  private firstByteAt = 0;
  private totalTimer: NodeJS.Timeout | undefined;
  private resolve!: (exchange: Exchange) => void;
  private reject!: (err: unknown) => void;

  constructor(
    private readonly connection: Http2ClientConnection,
    private readonly spec: RequestSpec,
    private readonly options: ClientOptions,
    private readonly hooks: RequestHooks,
    private readonly url: string,
    private readonly use: StreamUse = OWN_CONNECTION,
  ) {
    this.what = `${spec.method} ${url}`;
    this.watchdog = new StallWatchdog(options.stallTimeoutMs, () => this.onStall());
  }

  run(budgetMs: number): Promise<Exchange> {
    return new Promise<Exchange>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.totalTimer = setTimeout(() => this.fail(timeoutError(this.what, this.options.totalTimeoutMs)), Math.max(1, budgetMs));
      this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
      const fields = requestHeaderList(this.spec);
      try {
        this.stream = this.connection.request(fields).on({
          opened: () => this.onOpened(),
          interim: (head) => this.onInterim(head),
          headers: (head) => this.onHead(head),
          data: (chunk) => this.onData(chunk),
          flush: () => this.route?.sink.flush(),
          trailers: (trailers) => this.options.trace('recv', `${trailers.length} trailer field(s)`),
          end: () => void this.succeed(),
          error: (err) => this.fail(err),
        });
      } catch (err) {
        return this.fail(err);
      }
      // Sent at once, or waiting for a stream slot (the total timeout still runs meanwhile)
      if (this.stream.id !== 0) this.onOpened();
      this.hooks.onRequest?.(fieldLines(fields));
    });
  }

  /** The stall clock starts when the request is on the wire, not while it waits for a slot. */
  private onOpened(): void {
    if (this.settled || this.opened) return;
    this.opened = true;
    this.sentAt = performance.now();
    this.watchdog.start();
  }

  private opened = false;

  private readonly onAbort = () => this.fail(new SockkitError('INTERRUPTED', this.what, 'interrupted'));

  private onInterim(head: Http2ResponseHead): void {
    this.firstFrame();
    this.options.trace('recv', `interim ${head.status}`);
    this.hooks.onInterim?.(h2ResponseHead(head));
  }

  private onHead(h2head: Http2ResponseHead): void {
    this.firstFrame();
    const head = (this.head = h2ResponseHead(h2head));
    const noBody = this.spec.method === 'HEAD' || head.status === 204 || head.status === 304;
    this.framing = noBody ? { kind: 'none' } : { kind: 'stream', length: h2head.contentLength };
    this.options.trace('recv', `HTTP/2 ${head.status}, ${h2head.fields.length} header fields`);
    this.hooks.onAnyHead?.(head);
    const target = this.hooks.onHead(head, { url: this.url, method: this.spec.method });
    if (target === null) {
      // The body of a redirect we follow, or a --fail status: not read (RST_STREAM CANCEL).
      this.stopAfterHead = true;
      this.stream?.cancel();
      void this.succeed();
      return;
    }
    this.route = routeBody(head, this.framing, target, this.spec.compressed === true, this.options.maxDecodedBytes);
  }

  private onData(chunk: Buffer): void {
    this.watchdog.progress();
    this.bodyBytes += chunk.length;
    const sink = this.route?.sink;
    try {
      const accepted = !sink || sink.write(chunk);
      this.hooks.onProgress?.(this.bodyBytes, this.framing.kind === 'stream' ? this.framing.length : null);
      if (accepted && this.heldBytes === 0) return this.stream?.consumed(chunk.length);
      // Backpressure: these bytes are not given back to the window until the sink drains.
      const waiting = this.heldBytes > 0;
      this.heldBytes += chunk.length;
      if (waiting || !sink) return;
      this.watchdog.rest();
      sink.onceDrained(() => {
        if (this.settled) return;
        const held = this.heldBytes;
        this.heldBytes = 0;
        this.watchdog.wake();
        this.stream?.consumed(held);
      });
    } catch (err) {
      this.fail(err);
    }
  }

  private firstFrame(): void {
    this.watchdog.progress();
    if (this.firstByteAt === 0) this.firstByteAt = performance.now();
  }

  private onStall(): void {
    if (this.settled) return;
    const where = this.head ? `after ${this.bodyBytes} body bytes` : 'waiting for the response';
    this.fail(new SockkitError('TIMEOUT', this.what, `no data for ${formatSeconds(this.options.stallTimeoutMs)} ${where}`, 'raise it with --stall-timeout SECONDS'));
  }

  private cleanup(): void {
    clearTimeout(this.totalTimer);
    this.watchdog.stop();
    this.options.signal?.removeEventListener('abort', this.onAbort);
    // On a shared connection a stream that ended early (a timeout, Ctrl-C) is reset, so
    // nothing more of it arrives; a finished one is closed already.
    if (this.use.shared) return this.stream?.cancel();
    this.connection.close();
    this.options.trace('close', 'connection closed by us');
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.cleanup();
    this.route?.sink.abort();
    const failure = err instanceof SockkitError ? err : toSockkitError(err, this.what);
    this.reject(this.use.retryUnsent && this.unsent(failure) ? new StaleConnection(failure.code, failure.what, failure.why, failure.hint, { cause: failure }) : failure);
  }

  /**
   * Whether the server never took this request up: it was still waiting for a stream
   * when the connection went (GOAWAY, a close), or the server refused its stream.
   */
  private unsent(failure: SockkitError): boolean {
    if (this.head || failure.code === 'TIMEOUT' || failure.code === 'INTERRUPTED') return false;
    return !this.stream || this.stream.id === 0 || (failure as { errorCode?: number }).errorCode === ErrorCode.REFUSED_STREAM; // RFC 9113 8.7: not processed
  }

  private async succeed(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    this.cleanup();
    try {
      if (this.route) await this.route.sink.end();
    } catch (err) {
      this.reject(err instanceof SockkitError ? err : toSockkitError(err, 'write body'));
      return;
    }
    const head = this.head!;
    const { route } = this;
    this.resolve({
      status: head.status,
      reason: head.reason,
      httpVersion: '2',
      head,
      framing: this.framing,
      bodyBytes: this.bodyBytes,
      deliveredBytes: route?.contentDecoder ? route.contentDecoder.decodedBytes() : this.bodyBytes,
      decodedEncoding: route?.decodedEncoding ?? null,
      bodyRead: !this.stopAfterHead,
      sentAt: this.sentAt,
      firstByteAt: this.firstByteAt || performance.now(),
    });
  }
}
