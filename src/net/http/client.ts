// The socket side of http-get: resolve, connect (TCP, then TLS), write the request
// bytes ourselves, feed what arrives to the pure parser, and pass body slices to a
// sink with backpressure. One request per connection (Connection: close), so a
// server that keeps the connection open after the body cannot hang us: we close
// as soon as the parser says the message is complete.
import { lookupHost } from '../socket/lookup.js';
import { type Socket } from 'node:net';
import { ipFamily } from '../shared/ip-literal.js';
import type { TLSSocket } from 'node:tls';
import type { ConnectAttempt } from '../socket/connect.js';
import { tlsHandshake, type TlsInfo } from '../socket/tls.js';
import { StallWatchdog } from '../shared/stall-watchdog.js';
import { getSystemErrorName } from 'node:util';
import { SockkitError, timeoutError, toSockkitError, formatSeconds } from '../shared/errors.js';
import type { Family } from '../shared/address.js';
import type { TraceFn } from '../shared/trace.js';
import {
  HttpResponseParser,
  headerValue,
  type BodyFraming,
  type HttpLimits,
  type ResponseHead,
} from './parser.js';
import { buildRequest, displayUrl, nextRequest, REDIRECT_STATUSES, type RedirectStep, type RequestSpec } from './url.js';
import type { BodySink } from './body.js';
import { routeBody, type BodyRoute } from './body-route.js';
import type { Http2ClientConnection } from '../http2/connection.js';
import { Http2Exchange } from './h2-exchange.js';
import { formatHostPort } from '../shared/address.js';
import type { Pins } from './pinning.js';
import { CONNECT_TIMEOUT_HINT, openConnection, remainingOf, type ReusedReads } from './open.js';
import type { ProxySpec } from '../proxy/config.js';
import { proxyAuthRefusal, proxyAuthorization } from '../proxy/http.js';
import { keepsAlive, saysClose, originKey, proxiedKey, StaleConnection, type ConnectionPool, type KeptConnection, type SharedH2 } from './connection-pool.js';

export { routeBody };

export type { TlsInfo };

export interface HopTimings {
  /** Name resolution (0 for an IP literal). */
  dnsMs: number;
  /** TCP handshake. */
  connectMs: number;
  /** TLS handshake; null for http. */
  tlsMs: number | null;
  /** HTTP/2: our preface and SETTINGS sent → the server's SETTINGS in; null over HTTP/1.x. */
  settingsMs: number | null;
  /** Request written to first response byte (server think time). */
  ttfbMs: number;
  /** First response byte to the end of the body. */
  transferMs: number;
  /** Start to end of this request. */
  totalMs: number;
}

export interface HopResult {
  url: string;
  method: string;
  status: number;
  reason: string;
  httpVersion: string;
  head: ResponseHead;
  framing: BodyFraming;
  remoteAddress: string;
  remotePort: number;
  /** Body bytes received after transfer decoding (what -o gets without --compressed). */
  bodyBytes: number;
  /** Bytes handed to the sink: decoded when a Content-Encoding was decoded. */
  deliveredBytes: number;
  decodedEncoding: string | null;
  timings: HopTimings;
  tls: TlsInfo | null;
  /** Whether the body was read (false when the caller stopped after the head). */
  bodyRead: boolean;
  /** Every connection attempt Happy Eyeballs made (address, start, end, result). */
  attempts: ConnectAttempt[];
  /** With a connection pool (several URLs): the connection's number, and whether an earlier request used it. */
  connectionId?: number;
  reusedConnection?: boolean;
}

export interface RequestHooks {
  /** Every non-1xx head, including redirects that are followed (-v). */
  onAnyHead?(head: ResponseHead): void;
  /** The head of a redirect that is about to be followed (its body is not read). */
  onRedirect?(head: ResponseHead): void;
  /** Called with the final head; return where the body goes, or null to stop reading. */
  onHead(head: ResponseHead, hop: { url: string; method: string }): BodySink | null;
  onInterim?(head: ResponseHead): void;
  /** A step of a proxy's handshake: CONNECT and its reply, SOCKS5 methods and reply (-v). */
  onProxyStep?(line: string): void;
  /** The raw request bytes, once written (-v). */
  onRequest?(bytes: Buffer): void;
  /** Body bytes received so far and the expected total (null when unknown). */
  onProgress?(received: number, expected: number | null): void;
}

export interface ClientOptions {
  family?: Family;
  /** PEM CA certificates (--cacert, or the bundled ones plus NODE_EXTRA_CA_CERTS); Node's default store otherwise. */
  ca?: string | Buffer | Array<string | Buffer>;
  insecure: boolean;
  connectTimeoutMs: number;
  /** No byte for this long while we are reading: fail. */
  stallTimeoutMs: number;
  /** The whole operation, redirects included: performance.now() deadline. */
  deadline: number;
  totalTimeoutMs: number;
  limits?: Partial<HttpLimits>;
  /** --compressed: decode these Content-Encodings, up to this many bytes. */
  maxDecodedBytes: number;
  trace: TraceFn;
  signal?: AbortSignal;
  /**
   * HTTP/2: `offer` it in ALPN beside http/1.1 and speak what the server picks (https);
   * `off` (--http1.1); `require` it (--http2: a server that does not pick h2 is an error);
   * `prior-knowledge` (--http2-prior-knowledge: h2c on http://, h2 required on https://).
   */
  http2: Http2Mode;
  /** Happy Eyeballs: start the next address after this long while one is pending (--happy-eyeballs-delay). */
  attemptDelayMs?: number;
  /** --resolve and --connect-to: where a host:port really connects (every hop). */
  pins?: Pins;
  /** The proxy for a request to host (every hop), or null: -x, the environment, no_proxy. */
  proxyFor?: (host: string, secure: boolean) => ProxySpec | null;
  /** An https:// proxy's own trust: --proxy-cacert (Node's default roots otherwise) and --proxy-insecure. */
  proxyCa?: string | Buffer | Array<string | Buffer>;
  proxyInsecure?: boolean;
  /** --unix-socket: every request goes to this Unix-domain socket (no lookup, no proxy). */
  unixSocket?: string;
  /** Several URLs: HTTP/1.1 connections kept open between requests to one origin (keep-alive), HTTP/2 ones shared. */
  connections?: ConnectionPool;
}

export type Http2Mode = 'offer' | 'off' | 'require' | 'prior-knowledge';

/**
 * Performs one request: as a new stream on a shared HTTP/2 connection to the same origin,
 * or on a kept-alive HTTP/1.1 one, when the pool has one (a request the server never took
 * up there goes, once, on a new connection), else on a fresh connection.
 */
export async function requestOnce(spec: RequestSpec, options: ClientOptions, hooks: RequestHooks): Promise<HopResult> {
  const key = poolKeyFor(spec, options);
  if (key === null) return requestOnNew(spec, options, hooks, null);
  const pool = options.connections!;
  // A pooled connection may turn out stale: then one opened meanwhile (by another -Z
  // transfer that met the same GOAWAY) is tried, never the same one twice, then a new one.
  const tried = new Set<number>();
  for (;;) {
    for (let opening = pool.openingTo(key); opening; opening = pool.openingTo(key)) await opening;
    const shared = tried.size < 2 ? pool.sharedH2(key) : undefined;
    const kept = shared || tried.size >= 2 ? undefined : pool.take(key);
    const pooled = shared ?? kept;
    if (!pooled || tried.has(pooled.id)) break;
    tried.add(pooled.id);
    try {
      return shared ? await requestOnShared(shared, spec, options, hooks) : await requestOnKept(kept!, { ...spec, keepAlive: true }, options, hooks);
    } catch (err) {
      if (!(err instanceof StaleConnection)) throw err;
      options.trace('connect', `connection #${pooled.id} ${shared ? 'did not take' : 'was closed by the server before it answered'} the request (${err.why}): trying another`);
    }
  }
  // Until this connection says whether it speaks h2, other requests to the origin wait for it.
  const opening = mayBeHttp2(spec, options) ? pool.beginOpening(key) : undefined;
  try {
    return await requestOnNew({ ...spec, keepAlive: true }, options, hooks, key, opening);
  } finally {
    opening?.();
  }
}

/** The pool key when this request may use a kept or shared connection: not HTTP/1.0, a pool. */
function poolKeyFor(spec: RequestSpec, options: ClientOptions): string | null {
  if (!options.connections || spec.httpVersion === '1.0') return null;
  const { target } = spec;
  const proxy = options.unixSocket === undefined ? options.proxyFor?.(target.host, target.secure) : null;
  if (proxy) return proxiedKey(target.secure, target.host, target.port, proxy);
  return originKey(target.secure, target.host, target.port, options.unixSocket ?? '');
}

/** Whether a new connection for this request may speak HTTP/2 (and so be shared). */
function mayBeHttp2(spec: RequestSpec, options: ClientOptions): boolean {
  return spec.target.secure ? options.http2 !== 'off' : options.http2 === 'prior-knowledge';
}

/** A request as a new stream on a shared HTTP/2 connection: no lookup, connect or handshake. */
async function requestOnShared(shared: SharedH2, spec: RequestSpec, options: ClientOptions, hooks: RequestHooks): Promise<HopResult> {
  const { url, started, remaining } = reuseStart(spec, options);
  options.connections!.streamOn(shared);
  options.trace('connect', `reusing connection #${shared.id} to ${peerName(shared.address, shared.port)} (HTTP/2, request ${shared.requests} on it)`);
  const exchange = await new Http2Exchange(shared.connection, spec, options, hooks, url, { shared: true, retryUnsent: true }).run(remaining);
  return reusedHop(exchange, url, spec, shared, started);
}

/** The URL as shown, the start and the budget left of a request on a connection already open; none left is a timeout. */
function reuseStart(spec: RequestSpec, options: ClientOptions): { url: string; started: number; remaining: number } {
  const url = displayUrl(spec.target.url);
  const started = performance.now();
  const remaining = options.deadline - started;
  if (remaining <= 0) throw timeoutError(`GET ${url}`, options.totalTimeoutMs);
  return { url, started, remaining };
}

/** What a request on a connection already open returns: nothing was resolved, connected or shaken hands with. */
function reusedHop(exchange: Exchange, url: string, spec: RequestSpec, on: { id: number; address: string; port: number; tls: TlsInfo | null }, started: number): HopResult {
  const finished = performance.now();
  return {
    ...exchange,
    url,
    method: spec.method,
    remoteAddress: on.address,
    remotePort: on.port,
    tls: on.tls,
    attempts: [],
    connectionId: on.id,
    reusedConnection: true,
    timings: {
      dnsMs: 0,
      connectMs: 0,
      tlsMs: spec.target.secure ? 0 : null,
      settingsMs: null,
      ttfbMs: round(exchange.firstByteAt - exchange.sentAt),
      transferMs: round(finished - exchange.firstByteAt),
      totalMs: round(finished - started),
    },
  };
}

/** A request on a connection an earlier one left open: no lookup, connect or handshake. */
async function requestOnKept(kept: KeptConnection, spec: RequestSpec, options: ClientOptions, hooks: RequestHooks): Promise<HopResult> {
  const { url, started, remaining } = reuseStart(spec, options);
  options.trace('connect', `reusing connection #${kept.id} to ${peerName(kept.address, kept.port)} (request ${kept.requests + 1} on it)`);
  if (kept.absoluteForm) ({ spec, hooks } = viaHttpProxy(spec, hooks, kept.proxy!, url));
  const exchange = await new HttpExchange(kept.socket, spec, options, hooks, url, kept.reads, { pool: options.connections!, connection: kept }).run(remaining);
  return reusedHop(exchange, url, spec, kept, started);
}

/**
 * Performs one request on a fresh connection; with a pool key, the connection may be kept
 * for the next (HTTP/1.1) or shared (HTTP/2). `known` is called once that is known.
 */
async function requestOnNew(spec: RequestSpec, options: ClientOptions, hooks: RequestHooks, key: string | null, known?: () => void): Promise<HopResult> {
  const { target } = spec;
  const url = displayUrl(target.url);
  const started = performance.now();
  const remaining = () => options.deadline - performance.now();
  if (remaining() <= 0) throw timeoutError(`GET ${url}`, options.totalTimeoutMs);

  const reused: ReusedReads = { handler: null };
  const connectTimeoutMs = () => Math.min(options.connectTimeoutMs, remainingOf(options));
  const opened = await openConnection(spec, options, hooks, reused);
  const { socket, address, port, attempts, dnsDone, trustDone, connected } = opened;
  if (opened.absoluteForm) {
    if (options.http2 === 'prior-knowledge') {
      socket.destroy();
      throw new SockkitError('PROTOCOL', `GET ${url}`, 'h2c (--http2-prior-knowledge) cannot go through an HTTP proxy', 'use an https:// URL (tunnelled with CONNECT) or a socks5:// proxy');
    }
    ({ spec, hooks } = viaHttpProxy(spec, hooks, opened.proxy!, url));
  }

  let tls: TlsInfo | null = null;
  let tlsDone = connected;
  try {
    if (target.secure) {
      tls = await tlsHandshake(socket as TLSSocket, target.host, connectTimeoutMs(), options.trace, CONNECT_TIMEOUT_HINT);
      tlsDone = performance.now();
    }
  } catch (err) {
    socket.destroy();
    // Inside a tunnel the socket's peer is the proxy: name the origin, and the proxy it went through.
    if (opened.proxy && err instanceof SockkitError) {
      throw new SockkitError(err.code, `TLS handshake with ${formatHostPort(target.host, target.port)} via ${opened.proxy.display}`, err.why, err.hint, { cause: err });
    }
    throw err;
  }
  let h2: boolean;
  try {
    h2 = speaksHttp2(options.http2, target.secure, tls, url);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  let settingsMs: number | null = null;
  let exchange: Exchange;
  if (h2) {
    // A shared connection's frames belong to every request on it: traced unlabelled (-Z labels each request's own lines).
    const frameTrace = key === null ? options.trace : options.connections!.trace;
    const connection = await startHttp2(socket, reused, frameTrace, connectTimeoutMs(), target);
    // With a pool, the next requests to this origin go on it as streams of their own.
    const shared = key === null ? undefined : shareH2(options, { key, connection, socket, address, port, tls });
    known?.();
    exchange = await new Http2Exchange(connection, spec, options, hooks, url, { shared: shared !== undefined, retryUnsent: false }).run(remaining());
    // The request went with the preface; the server's SETTINGS came meanwhile (or the exchange failed)
    const { serverSettingsAt, prefaceSentAt } = connection.timeline;
    settingsMs = serverSettingsAt === 0 ? null : round(serverSettingsAt - prefaceSentAt);
    if (shared) Object.assign(exchange, { connectionId: shared.id, reusedConnection: false });
  } else {
    known?.();
    // An HTTP/1.x connection may carry the next URL to this origin (or through this proxy).
    const keep = key === null ? undefined : keepAliveFor(options, { key, socket, reads: reused, address, port, tls, proxy: opened.proxy, absoluteForm: opened.absoluteForm });
    exchange = await new HttpExchange(socket, keep ? spec : { ...spec, keepAlive: false }, options, hooks, url, reused, keep).run(remaining());
    if (keep) Object.assign(exchange, { connectionId: keep.connection.id, reusedConnection: false });
  }
  const finished = performance.now();
  return {
    ...exchange,
    url,
    method: spec.method,
    remoteAddress: address,
    remotePort: port,
    tls,
    attempts,
    timings: {
      dnsMs: round(dnsDone - started),
      connectMs: round(connected - trustDone),
      tlsMs: target.secure ? round(trustDone - dnsDone + (tlsDone - connected)) : null,
      settingsMs,
      ttfbMs: round(exchange.firstByteAt - exchange.sentAt),
      transferMs: round(finished - exchange.firstByteAt),
      totalMs: round(finished - started),
    },
  };
}

/** A request an HTTP proxy takes itself: absolute-form target, its credentials, its 407 refused. */
function viaHttpProxy(spec: RequestSpec, hooks: RequestHooks, proxy: ProxySpec, url: string): { spec: RequestSpec; hooks: RequestHooks } {
  return {
    spec: { ...spec, viaProxy: { authorization: proxyAuthorization(proxy) } },
    hooks: refusingProxyAuth(hooks, `${spec.method} ${url} via ${proxy.display}`, proxy.user !== undefined),
  };
}

/**
 * A request in absolute form to an HTTP proxy: its 407 is the proxy's refusal, an error
 * as for a CONNECT (a 401 may be the origin's own answer, and stays a response).
 */
function refusingProxyAuth(hooks: RequestHooks, what: string, sentCredentials: boolean): RequestHooks {
  return {
    ...hooks,
    onHead(head, hop) {
      const refusal = proxyAuthRefusal(head.status, head.reason, what, sentCredentials, false);
      if (refusal) throw refusal;
      return hooks.onHead(head, hop);
    },
  };
}

/**
 * Whether this connection speaks HTTP/2: what the server picked in ALPN (https), or
 * --http2-prior-knowledge (http). --http2 with a server that picked anything else is an error.
 */
function speaksHttp2(mode: Http2Mode, secure: boolean, tls: TlsInfo | null, url: string): boolean {
  if (!secure && mode === 'require') {
    // A redirect to http:// under --http2 (the URL given was checked up front): no ALPN to ask with.
    throw new SockkitError('PROTOCOL', `GET ${url}`, 'HTTP/2 on an http:// URL needs --http2-prior-knowledge (--http2 asks for it in TLS ALPN)');
  }
  if (!secure) return mode === 'prior-knowledge';
  if (tls?.alpn === 'h2') return true;
  if (mode === 'require' || mode === 'prior-knowledge') {
    throw new SockkitError('PROTOCOL', `GET ${url}`, `the server did not pick HTTP/2 in ALPN (it picked ${tls?.alpn ?? 'nothing'})`, 'drop --http2 to accept HTTP/1.1');
  }
  return false;
}

/**
 * HTTP/2 on a connection whose ALPN picked it, the preface sent: the request follows at
 * once, not a round trip later after the server's SETTINGS (a server that never sends
 * them fails the request with the connect timeout's error). The HTTP/2 stack
 * (src/net/http2/, whose Huffman tables are built at load) loads only here, not at every
 * fetch's start. Whatever the server sends meanwhile (its SETTINGS may follow the
 * handshake at once) is held, copied as the read buffer is reused, and fed to the
 * connection in order right after our preface.
 */
async function startHttp2(socket: Socket, reused: ReusedReads, trace: TraceFn, timeoutMs: number, target: { host: string; port: number }): Promise<Http2ClientConnection> {
  const held: Buffer[] = [];
  reused.handler = (chunk) => {
    held.push(Buffer.from(chunk));
    return true;
  };
  const { Http2ClientConnection } = await import('../http2/connection.js');
  const what = `HTTP/2 with ${formatHostPort(target.host, target.port)}`;
  const connection = new Http2ClientConnection(socket, { trace, what });
  connection.startEarly(timeoutMs, () => new SockkitError('TIMEOUT', what, `no SETTINGS from the server after ${formatSeconds(timeoutMs)}`, CONNECT_TIMEOUT_HINT));
  for (const chunk of held.splice(0)) connection.feed(chunk);
  reused.handler = (chunk) => connection.feed(chunk);
  return connection;
}

export interface Redirect {
  url: string;
  status: number;
  location: string;
}

export interface FetchResult {
  final: HopResult;
  redirects: Redirect[];
  hops: HopResult[];
}

/** Follows redirects (when asked) until a final response; every hop shares one deadline. */
export async function fetchFollowing(
  first: RequestSpec,
  follow: { enabled: boolean; maxRedirects: number },
  options: ClientOptions,
  hooks: RequestHooks,
): Promise<FetchResult> {
  // Let the caller's synchronous start-up work (argument parsing) finish first, so
  // it is not counted as DNS time of the first request.
  await new Promise((resolve) => setImmediate(resolve));
  let step: RedirectStep = { method: first.method, target: first.target, headers: first.headers };
  const redirects: Redirect[] = [];
  const hops: HopResult[] = [];
  const seen = new Set<string>();
  for (;;) {
    const key = `${step.method} ${step.target.url.href}`;
    if (seen.has(key)) {
      const chain = [...redirects.map((r) => r.url), displayUrl(step.target.url)].join(' → ');
      throw new SockkitError('PROTOCOL', 'redirect loop', chain, 'the server redirects back to a URL already visited');
    }
    seen.add(key);
    const spec: RequestSpec = { ...first, method: step.method, target: step.target, headers: step.headers };
    let isRedirect = false;
    const hop = await requestOnce(spec, options, {
      ...hooks,
      onHead(head, info) {
        const location = headerValue(head.headers, 'location');
        isRedirect = follow.enabled && REDIRECT_STATUSES.has(head.status) && location !== undefined;
        // The body of a redirect we follow is never shown: stop reading it.
        if (!isRedirect) return hooks.onHead(head, info);
        hooks.onRedirect?.(head);
        return null;
      },
    });
    hops.push(hop);
    if (!isRedirect) return { final: hop, redirects, hops };
    const location = headerValue(hop.head.headers, 'location')!;
    redirects.push({ url: hop.url, status: hop.status, location });
    if (redirects.length > follow.maxRedirects) {
      throw new SockkitError(
        'PROTOCOL',
        'too many redirects',
        `more than ${follow.maxRedirects} (last: ${hop.url} → ${location})`,
        'raise it with --max-redirs',
      );
    }
    step = nextRequest(step, hop.status, location);
    options.trace('redirect', `${hop.status} → ${displayUrl(step.target.url)}`);
  }
}

export interface Exchange {
  status: number;
  reason: string;
  httpVersion: string;
  head: ResponseHead;
  framing: BodyFraming;
  bodyBytes: number;
  deliveredBytes: number;
  decodedEncoding: string | null;
  bodyRead: boolean;
  sentAt: number;
  firstByteAt: number;
}

/** A new connection's place in the pool, numbered (--trace names it). */
function keepAliveFor(options: ClientOptions, connection: Omit<KeptConnection, 'id' | 'requests'>): KeepAlive {
  const pool = options.connections!;
  const kept: KeptConnection = { ...connection, id: pool.newId(), requests: 0 };
  options.trace('connect', `connection #${kept.id} to ${peerName(kept.address, kept.port)}`);
  return { pool, connection: kept };
}

/** A new HTTP/2 connection's place in the pool, numbered (--trace names it). */
function shareH2(options: ClientOptions, connection: Omit<SharedH2, 'id' | 'requests'>): SharedH2 {
  const pool = options.connections!;
  const shared = pool.share(connection);
  pool.streamOn(shared);
  options.trace('connect', `connection #${shared.id} to ${peerName(shared.address, shared.port)} (HTTP/2, shared by the requests to this origin)`);
  return shared;
}

/** host:port, or the path of a Unix socket (--unix-socket: port 0). */
function peerName(address: string, port: number): string {
  return port === 0 ? address : formatHostPort(address, port);
}

/** Where an exchange on a connection that may be kept goes back to, and the connection. */
interface KeepAlive {
  pool: ConnectionPool;
  connection: KeptConnection;
}

/** Counts the reads of a response and traces the first few; the rest is one line at the end. */
class ReadCounter {
  reads = 0;
  bodyReads = 0;
  bytes = 0;

  constructor(private readonly trace: TraceFn) {}

  count(length: number, inBody: boolean): void {
    this.reads++;
    this.bytes += length;
    if (inBody) this.bodyReads++;
    if (!inBody || this.bodyReads <= 3) this.trace('recv', `${length} bytes${inBody ? ' of body' : ''}`);
    else if (this.bodyReads === 4) this.trace('recv', '… (further body reads summarised at the end)');
  }

  summarise(): void {
    if (this.reads > 0) this.trace('recv', `${this.reads} reads, ${this.bytes} bytes in total (${this.bodyReads} reads of body)`);
  }
}

/** One request and its response on one connection: the parser, the body's route, backpressure and the timers. */
class HttpExchange {
  private readonly what: string;
  private readonly parser: HttpResponseParser;
  private readonly reads: ReadCounter;
  private readonly watchdog: StallWatchdog;
  private route: BodyRoute | null = null;
  private stopAfterHead = false;
  private paused = false;
  private settled = false;
  private firstByteAt = 0;
  private sentAt = 0;
  private expected: number | null = null;
  private lastChunkLength = 0;
  private totalTimer: NodeJS.Timeout | undefined;
  private resolve!: (exchange: Exchange) => void;
  private reject!: (err: unknown) => void;

  constructor(
    private readonly socket: Socket | TLSSocket,
    private readonly spec: RequestSpec,
    private readonly options: ClientOptions,
    private readonly hooks: RequestHooks,
    private readonly url: string,
    private readonly reused: ReusedReads,
    private readonly keep?: KeepAlive,
  ) {
    this.what = `${spec.method} ${url}`;
    this.reads = new ReadCounter(options.trace);
    this.watchdog = new StallWatchdog(options.stallTimeoutMs, () => this.onStall());
    this.parser = new HttpResponseParser(
      {
        onInterim: (head) => {
          options.trace('recv', `interim ${head.status} ${head.reason}`);
          hooks.onInterim?.(head);
        },
        onHead: (head, framing) => this.onHead(head, framing),
        onBody: (chunk) => this.onBody(chunk),
        onTrailers: (trailers) => options.trace('recv', `${trailers.length} trailer field(s)`),
        onComplete() {},
      },
      { method: spec.method, limits: options.limits },
    );
  }

  run(budgetMs: number): Promise<Exchange> {
    return new Promise<Exchange>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.totalTimer = setTimeout(() => this.fail(timeoutError(this.what, this.options.totalTimeoutMs)), Math.max(1, budgetMs));
      this.options.signal?.addEventListener('abort', this.onAbort, { once: true });
      // The chunk is a view into the read buffer that the next read reuses.
      this.reused.handler = (chunk) => this.onChunk(chunk);
      this.socket.on('end', this.onSocketEnd);
      this.socket.on('error', this.onSocketError);
      this.socket.on('close', this.onSocketClose);
      this.watchdog.start();

      const request = buildRequest(this.spec);
      this.sentAt = performance.now();
      this.socket.write(request);
      this.options.trace('send', `${request.length} bytes (request head)`);
      this.hooks.onRequest?.(request);
    });
  }

  private readonly onAbort = () => this.fail(new SockkitError('INTERRUPTED', this.what, 'interrupted'));
  private readonly onSocketEnd = () => this.onEnd();
  private readonly onSocketError = (err: NodeJS.ErrnoException) => this.onError(err);
  private readonly onSocketClose = () => this.fail(new SockkitError('PROTOCOL', this.what, 'the connection closed unexpectedly'));

  private onHead(head: ResponseHead, framing: BodyFraming): void {
    this.options.trace('recv', `HTTP/${head.httpVersion} ${head.status} ${head.reason}, ${head.raw.length} bytes of head, body: ${describeFraming(framing)}`);
    this.expected = framing.kind === 'length' ? framing.length : null;
    this.hooks.onAnyHead?.(head);
    const target = this.hooks.onHead(head, { url: this.url, method: this.spec.method });
    if (target === null) {
      this.stopAfterHead = true;
      return;
    }
    this.route = routeBody(head, framing, target, this.spec.compressed === true, this.options.maxDecodedBytes);
    const { transferCoding } = framing as { transferCoding?: string };
    if (this.route.transferDecoder) this.options.trace('recv', `Transfer-Encoding ${transferCoding}: decoding it`);
  }

  private onBody(chunk: Buffer): void {
    const sink = this.route?.sink;
    if (!sink || sink.write(chunk) || this.paused) return;
    // Backpressure: stop reading until the output catches up; the watchdog rests too.
    this.paused = true;
    this.socket.pause();
    this.watchdog.rest();
    sink.onceDrained(() => {
      this.paused = false;
      if (this.settled) return;
      this.watchdog.wake();
      this.socket.resume();
    });
  }

  private onChunk(chunk: Buffer): boolean {
    if (this.settled) return false;
    if (this.reads.reads === 0) this.firstByteAt = performance.now();
    this.lastChunkLength = chunk.length;
    this.reads.count(chunk.length, this.parser.head !== undefined);
    try {
      const before = this.parser.bodyBytes;
      this.parser.feed(chunk);
      this.route?.sink.flush();
      if (this.parser.bodyBytes !== before) this.hooks.onProgress?.(this.parser.bodyBytes, this.expected);
      if (this.stopAfterHead || this.parser.done) {
        if (!this.stopAfterHead) this.parser.rejectBytesAfterBody(chunk.length);
        void this.succeed();
      }
    } catch (err) {
      this.fail(err);
    }
    this.watchdog.progress();
    return !this.paused;
  }

  private onEnd(): void {
    if (this.settled) return;
    try {
      // Over TLS, a body that ends when the connection does must end with close_notify:
      // a bare TCP FIN is a truncation anyone on the path can cause.
      const { socket, parser } = this;
      if (isTls(socket) && parser.framing?.kind === 'close' && !parser.done && !endedByCloseNotify(socket, this.paused)) {
        throw new SockkitError(
          'PROTOCOL',
          this.what,
          `the body may be truncated: the connection ended with a TCP FIN but no TLS close_notify after ${parser.bodyBytes} body bytes, and a body without Content-Length or chunked framing is complete only at close_notify (anyone on the path can cut it short)`,
        );
      }
      parser.finish();
      void this.succeed();
    } catch (err) {
      this.fail(err);
    }
  }

  private onError(err: NodeJS.ErrnoException): void {
    const failure = toSockkitError(err, this.what);
    if (this.parser.started && failure.code === 'UNREACHABLE') {
      // The response had begun: a reset now leaves it truncated.
      this.fail(new SockkitError('PROTOCOL', this.what, `${failure.why} after ${this.parser.bodyBytes} body bytes`, undefined, { cause: err }));
    } else {
      this.fail(failure);
    }
  }

  private onStall(): void {
    if (this.settled) return;
    const { parser } = this;
    const where = parser.head ? `after ${parser.bodyBytes} body bytes` : parser.started ? 'in the middle of the response head' : 'waiting for the response';
    this.fail(new SockkitError('TIMEOUT', this.what, `no data for ${formatSeconds(this.options.stallTimeoutMs)} ${where}`, 'raise it with --stall-timeout SECONDS'));
  }

  /** Ends the exchange: the socket is closed, or handed back to the pool when `kept`. */
  private cleanup(kept = false): void {
    clearTimeout(this.totalTimer);
    this.watchdog.stop();
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.reused.handler = null;
    this.reads.summarise();
    if (kept && this.keep) {
      this.socket.off('end', this.onSocketEnd);
      this.socket.off('error', this.onSocketError);
      this.socket.off('close', this.onSocketClose);
      const { connection, pool } = this.keep;
      connection.requests++;
      pool.give(connection);
      this.options.trace('close', `connection #${connection.id} kept open for the next request`);
      return;
    }
    this.socket.destroy();
    this.options.trace('close', 'connection closed by us');
  }

  /**
   * Whether the connection may carry the next request: asked for (no Connection: close
   * from the user either), the response framed and read to its end, nothing after it
   * (a redirect or --fail stops reading without checking that), no close from the server.
   */
  private mayKeep(): boolean {
    const { parser, spec } = this;
    if (!spec.keepAlive || saysClose(spec.headers)) return false;
    try {
      parser.rejectBytesAfterBody(this.lastChunkLength);
    } catch {
      return false;
    }
    return keepsAlive(parser.head!, parser.framing!, parser.done);
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.cleanup();
    this.route?.sink.abort();
    const failure = err instanceof SockkitError ? err : toSockkitError(err, this.what);
    // A kept-alive connection the server closed while it was idle: nothing of the
    // response came, so the request can go on a new connection.
    if (this.keep && this.keep.connection.requests > 0 && !this.parser.started && failure.code !== 'TIMEOUT' && failure.code !== 'INTERRUPTED') {
      this.reject(new StaleConnection(failure.code, failure.what, failure.why, failure.hint, { cause: failure }));
      return;
    }
    this.reject(failure);
  }

  private async succeed(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    // Never reuse a connection with a body left unread, or one either side will close.
    const { parser } = this;
    this.cleanup(this.keep !== undefined && this.mayKeep());
    try {
      if (this.route) await this.route.sink.end();
    } catch (err) {
      this.reject(err instanceof SockkitError ? err : toSockkitError(err, 'write body'));
      return;
    }
    const { route } = this;
    const head = parser.head!;
    const bodyBytes = route?.transferDecoder ? route.transferDecoder.decodedBytes() : parser.bodyBytes;
    this.resolve({
      status: head.status,
      reason: head.reason,
      httpVersion: head.httpVersion,
      head,
      framing: parser.framing!,
      bodyBytes,
      deliveredBytes: route?.contentDecoder ? route.contentDecoder.decodedBytes() : bodyBytes,
      decodedEncoding: route?.decodedEncoding ?? null,
      bodyRead: !this.stopAfterHead,
      sentAt: this.sentAt,
      firstByteAt: this.firstByteAt || performance.now(),
    });
  }
}

/**
 * Whether a TLS socket's 'end' came from the server's close_notify rather than a bare
 * TCP FIN. Node reports both alike; the TCP handle under the TLS layer tells them
 * apart: reading a FIN stops libuv's reading of it, while a close_notify ends TLS with
 * TCP still reading, and readStart() then answers EALREADY. While we had paused reading
 * (backpressure), no FIN could be read at all, so an end then came from TLS. When the
 * handle is not there to ask (another Node), the answer is no: never a silent truncation.
 */
/** A TLS socket, told without loading node:tls for a plain http fetch. */
function isTls(socket: Socket | TLSSocket): socket is TLSSocket {
  return (socket as Partial<TLSSocket>).encrypted === true;
}

function endedByCloseNotify(socket: TLSSocket, paused: boolean): boolean {
  if (paused) return true;
  const tcp = (socket as unknown as { _handle?: { _parent?: { readStart?: () => number } } })._handle?._parent;
  if (typeof tcp?.readStart !== 'function') return false;
  const result = tcp.readStart();
  return result < 0 && getSystemErrorName(result) === 'EALREADY';
}

export function describeFraming(framing: BodyFraming): string {
  switch (framing.kind) {
    case 'none':
      return 'none';
    case 'length':
      return `Content-Length ${framing.length}`;
    case 'chunked':
      return framing.transferCoding ? `${framing.transferCoding}, chunked` : 'chunked';
    case 'close':
      return `${framing.transferCoding ? `${framing.transferCoding}, ` : ''}until the server closes`;
    case 'stream':
      return `until END_STREAM${framing.length !== null ? `, content-length ${framing.length}` : ''}`;
  }
}

export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
