// Opening the connection a request goes over: straight to the URL's host (or where
// --connect-to / --resolve move it), or through a proxy (an HTTP CONNECT tunnel, SOCKS5,
// or an HTTP proxy that takes the request itself in absolute form). For https the TLS
// handshake has started on the socket returned; the caller waits for it. An https://
// proxy gets TLS of its own first (proxy/tls.ts), and the rest goes inside it.
import { type Socket } from 'node:net';
import { ipFamily } from '../shared/ip-literal.js';
import type { TLSSocket } from 'node:tls';
import { lookupHost } from '../socket/lookup.js';
import { connectFirst, connectPath, type ConnectAttempt } from '../socket/connect.js';
import { secureContextFor, tlsOpener, tlsOverSocket, tlsPathOpener } from '../socket/tls.js';
import { SockkitError, toSockkitError } from '../shared/errors.js';
import { formatHostPort, type Family } from '../shared/address.js';
import type { TraceFn } from '../shared/trace.js';
import { connectRoute, NO_PINS } from './pinning.js';
import type { RequestSpec } from './url.js';
import type { ClientOptions, Http2Mode, RequestHooks } from './client.js';
import { takesAbsoluteForm, type ProxySpec } from '../proxy/config.js';
import { httpConnectTunnel } from '../proxy/http.js';
import { socks5Connect } from '../proxy/socks5.js';
import { describeProxyTls, tlsToProxy } from '../proxy/tls.js';

export interface OpenConnection {
  socket: Socket | TLSSocket;
  /** The address connected to: the server's, or the proxy's. */
  address: string;
  port: number;
  attempts: ConnectAttempt[];
  /** An HTTP proxy takes the request itself: its target in absolute form. */
  proxy: ProxySpec | null;
  absoluteForm: boolean;
  dnsDone: number;
  trustDone: number;
  connected: number;
}

export async function openConnection(spec: RequestSpec, options: ClientOptions, hooks: RequestHooks, reused: ReusedReads): Promise<OpenConnection> {
  if (options.unixSocket !== undefined) return openUnix(spec, options.unixSocket, options, reused);
  const proxy = options.proxyFor?.(spec.target.host, spec.target.secure) ?? null;
  return proxy ? openViaProxy(spec, proxy, options, hooks, reused) : openDirect(spec, options, reused);
}

/** --unix-socket PATH: every request goes to this Unix-domain socket; Host (and SNI, the certificate check) from the URL. */
async function openUnix(spec: RequestSpec, path: string, options: ClientOptions, reused: ReusedReads): Promise<OpenConnection> {
  const { target } = spec;
  const started = performance.now();
  const onread = readsInto(reused);
  const secureContext = target.secure ? secureContextFor(options.ca) : undefined;
  const trustDone = performance.now();
  const tls = secureContext && { host: target.host, alpn: alpnFor(options.http2, spec.httpVersion), secureContext, insecure: options.insecure };
  const socket = await connectPath(path, path, {
    ...connectShared(options, onread),
    open: tls ? tlsPathOpener({ trace: options.trace, onread }, tls) : undefined,
  });
  return { socket, address: path, port: 0, attempts: [], proxy: null, absoluteForm: false, dnsDone: started, trustDone, connected: performance.now() };
}

async function openDirect(spec: RequestSpec, options: ClientOptions, reused: ReusedReads): Promise<OpenConnection> {
  const { target } = spec;
  // --connect-to / --resolve move the connection, never the name: Host, SNI and the
  // certificate check stay with the URL's host.
  const route = connectRoute(target.host, target.port, options.pins ?? NO_PINS);
  for (const note of route.notes) options.trace('resolve', note);
  const addresses = route.addresses ? pinnedOfFamily(route.addresses, options.family, route.host) : await resolveTarget(route.host, options);
  const dnsDone = performance.now();
  const onread = readsInto(reused);
  // The trust store (14-40 ms) is TLS set-up, not TCP connect: built and timed before it.
  const secureContext = target.secure ? secureContextFor(options.ca) : undefined;
  const trustDone = performance.now();
  const tls = secureContext && { host: target.host, alpn: alpnFor(options.http2, spec.httpVersion), secureContext, insecure: options.insecure };
  const { socket, address, attempts } = await connectFirst(addresses, {
    ...connectShared(options, onread),
    port: route.port,
    attemptDelayMs: options.attemptDelayMs,
    open: tls ? tlsOpener({ port: route.port, trace: options.trace, onread }, tls) : undefined,
  });
  const connected = performance.now();
  traceAttempts(options.trace, attempts, route.port);
  return { socket, address, port: route.port, attempts, proxy: null, absoluteForm: false, dnsDone, trustDone, connected };
}

/**
 * Through a proxy: TCP to the proxy (connectFirst, Happy Eyeballs and all), then its
 * handshake (proxyHandshake: TLS with an https:// proxy, CONNECT, SOCKS5). TLS to the
 * origin then runs inside the tunnel, checked against the URL's host.
 */
async function openViaProxy(spec: RequestSpec, proxy: ProxySpec, options: ClientOptions, hooks: RequestHooks, reused: ReusedReads): Promise<OpenConnection> {
  const { target } = spec;
  options.trace('proxy', `${formatHostPort(target.host, target.port)} via ${proxy.display}`);
  const proxyAddresses = await resolveTarget(proxy.host, { ...options, family: undefined });
  // socks5://: sockkit resolves the origin (socks5h:// leaves the name to the proxy).
  const originHost = proxy.scheme === 'socks5' && ipFamily(target.host) === 0 ? (await resolveTarget(target.host, options))[0]! : target.host;
  const dnsDone = performance.now();
  const secureContext = target.secure ? secureContextFor(options.ca) : undefined;
  const trustDone = performance.now();
  const { socket: tcp, address, attempts } = await connectFirst(proxyAddresses, {
    port: proxy.port,
    attemptDelayMs: options.attemptDelayMs,
    timeoutMs: connectBudget(options),
    trace: options.trace,
    signal: options.signal,
    timeoutHint: CONNECT_TIMEOUT_HINT,
  });
  traceAttempts(options.trace, attempts, proxy.port);
  const absoluteForm = takesAbsoluteForm(proxy, target.secure);
  const trace: TraceFn = (step, detail) => {
    options.trace(step, detail);
    hooks.onProxyStep?.(detail);
  };
  const channel = await proxyHandshake(tcp, spec, proxy, originHost, options, trace);
  const connected = performance.now();
  const socket = secureContext
    ? tlsOverSocket(channel, options.trace, { host: target.host, alpn: alpnFor(options.http2, spec.httpVersion), secureContext, insecure: options.insecure })
    : channel;
  // A socket layered on the TCP one (TLS in the tunnel, TLS inside TLS) may end without
  // ending what is under it: the TCP connection goes with it.
  if (socket !== tcp) socket.once('close', () => tcp.destroy());
  // No onread on a tunnel: its reads arrive as 'data' and go where the reused buffer's would.
  socket.on('data', (chunk: Buffer) => {
    if (reused.handler && reused.handler(chunk) === false) socket.pause();
  });
  return { socket, address, port: proxy.port, attempts, proxy, absoluteForm, dnsDone, trustDone, connected };
}

/**
 * The proxy's side on its TCP connection: TLS with the proxy first for https://, then a
 * CONNECT for an https origin through an HTTP(S) proxy, or SOCKS5; an http origin through
 * an HTTP(S) proxy needs nothing more. Returns the socket the origin's bytes go on.
 */
async function proxyHandshake(tcp: Socket, spec: RequestSpec, proxy: ProxySpec, originHost: string, options: ClientOptions, trace: TraceFn): Promise<Socket> {
  const { target } = spec;
  const handshake = { timeoutMs: connectBudget(options), trace, timeoutHint: CONNECT_TIMEOUT_HINT };
  let channel: Socket = tcp;
  try {
    if (proxy.scheme === 'https') {
      const tls = await tlsToProxy(tcp, proxy, { ca: options.proxyCa, insecure: options.proxyInsecure === true, timeoutMs: handshake.timeoutMs, timeoutHint: CONNECT_TIMEOUT_HINT }, options.trace);
      channel = tls.socket;
      trace('proxy', describeProxyTls(tls.info));
    }
    if (proxy.scheme === 'socks5' || proxy.scheme === 'socks5h') {
      await socks5Connect(channel, originHost, target.port, proxy, handshake);
    } else if (target.secure) {
      await httpConnectTunnel(channel, formatHostPort(target.host, target.port), proxy, { ...handshake, userAgent: spec.userAgent });
    }
    return channel;
  } catch (err) {
    channel.destroy();
    tcp.destroy();
    throw err;
  }
}

function connectBudget(options: ClientOptions): number {
  return Math.min(options.connectTimeoutMs, remainingOf(options));
}

/** The ALPN list for an https connection. */
export function alpnFor(mode: Http2Mode, httpVersion: RequestSpec['httpVersion']): string[] {
  // With --http2 too: a server without h2 then picks http/1.1 (and we refuse it, exit 7)
  // rather than ending the handshake with "no application protocol".
  return mode === 'off' || httpVersion === '1.0' ? ['http/1.1'] : ['h2', 'http/1.1'];
}

/** One --trace line for the race when there was one: every attempt, its start, end and result. */
export function traceAttempts(trace: TraceFn, attempts: ConnectAttempt[], port: number): void {
  if (attempts.length < 2) return;
  const each = attempts.map((a) => `${formatHostPort(a.address, port)} ${a.result}${a.error ? ` (${a.error})` : ''} ${a.startMs.toFixed(0)}→${a.endMs === undefined ? '…' : a.endMs.toFixed(0)} ms`);
  trace('connect', `happy eyeballs: ${each.join('; ')}`);
}

export async function resolveTarget(host: string, options: ClientOptions): Promise<string[]> {
  const budgetMs = Math.min(options.connectTimeoutMs, remainingOf(options));
  try {
    const found = await lookupHost(host, options.family, budgetMs, options.trace, `bad URL host ${host}`, options.signal);
    return found.map((a) => a.address);
  } catch (err) {
    const failure = toSockkitError(err, `resolve ${host}`);
    if (failure.code !== 'NOT_FOUND') throw failure;
    throw new SockkitError('NOT_FOUND', `resolve ${host}`, 'unknown host', failure.hint, { cause: err });
  }
}

/** --resolve's addresses, only those of -4 / -6 when given. */
export function pinnedOfFamily(addresses: string[], family: Family | undefined, host: string): string[] {
  const kept = family ? addresses.filter((a) => ipFamily(a) === family) : addresses;
  if (kept.length === 0) throw new SockkitError('NOT_FOUND', `resolve ${host}`, `--resolve gives no IPv${family} address`);
  return kept;
}

export function remainingOf(options: ClientOptions): number {
  return Math.max(1, options.deadline - performance.now());
}

export const READ_BUFFER_BYTES = 1024 * 1024;

/** Where reads into a reused buffer go; set once the exchange starts. Returns false to pause. */
export interface ReusedReads {
  handler: ((chunk: Buffer) => boolean) | null;
}

/** What a request's connect is given, to a host or a Unix socket: its budget, trace, Ctrl-C and read buffer. */
function connectShared(options: ClientOptions, onread: ReturnType<typeof readsInto>) {
  return { timeoutMs: connectBudget(options), trace: options.trace, signal: options.signal, timeoutHint: CONNECT_TIMEOUT_HINT, onread };
}

/**
 * Reads go into one reused buffer, for http and https alike: no allocation per read, so a
 * 1 GiB download neither churns the garbage collector nor grows the process. Over TLS
 * that also skips the stream layer for each 16 KiB record (65,536 per GiB): a quarter of
 * the CPU time of the transfer. Each read is handed to whoever reads the connection now.
 */
function readsInto(reused: ReusedReads): { buffer: Buffer; callback: (n: number, buffer: Uint8Array) => boolean } {
  return {
    buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
    callback: (n, buffer) => (reused.handler ? reused.handler((buffer as Buffer).subarray(0, n)) : true),
  };
}

export const CONNECT_TIMEOUT_HINT = 'raise it with --connect-timeout SECONDS';

