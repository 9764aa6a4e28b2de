// URLs the user types and URLs servers send back (Location), the request head we
// write, and the redirect policy (RFC 9110 15.4). Pure functions, no sockets.
import { ipFamily } from '../shared/ip-literal.js';
import { SockkitError, usageError } from '../shared/errors.js';
import { validateHostName } from '../shared/address.js';
import type { HeaderList } from './parser.js';

export interface Target {
  url: URL;
  secure: boolean;
  /** Host without IPv6 brackets, for connect() and SNI. */
  host: string;
  port: number;
  /** The Host header value: host[:port], IPv6 bracketed, default port omitted. */
  authority: string;
  /** Path and query, never the fragment. */
  path: string;
}

/** Parses what the user typed; a URL without a scheme is http://, like curl. */
export function parseUserUrl(input: string): Target {
  const text = input.trim();
  if (text === '') throw usageError('bad URL', 'empty URL');
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw usageError(`bad URL '${truncate(input)}'`, 'not a valid URL', 'e.g. http://127.0.0.1:8080/path');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`bad URL '${truncate(input)}'`, `unsupported scheme '${url.protocol.slice(0, -1)}'`, 'only http and https');
  }
  return toTarget(url, (why) => usageError(`bad URL '${truncate(input)}'`, why));
}

export function toTarget(url: URL, fail: (why: string) => SockkitError): Target {
  const bracketed = url.hostname.startsWith('[');
  const host = bracketed ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw fail('no host');
  if (bracketed ? ipFamily(host) !== 6 : ipFamily(host) === 0) {
    try {
      validateHostName(host);
    } catch (err) {
      throw fail(err instanceof SockkitError ? err.why : 'bad host');
    }
  }
  const secure = url.protocol === 'https:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  return {
    url,
    secure,
    host,
    port,
    authority: url.host,
    path: `${url.pathname || '/'}${url.search}`,
  };
}

/** `Name: value` from -H; a bad name or a CR/LF in the value could split the request. */
export function parseHeaderOption(input: string): [string, string] {
  const colon = input.indexOf(':');
  const name = colon === -1 ? '' : input.slice(0, colon).trim();
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
    throw usageError(`bad header '${truncate(input)}'`, "expected 'Name: value'");
  }
  const value = input.slice(colon + 1).trim();
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
    throw usageError(`bad header '${truncate(name)}'`, 'control characters (CR, LF, NUL) are not allowed in a value');
  }
  return [name, value];
}

export interface RequestSpec {
  method: 'GET' | 'HEAD';
  target: Target;
  /** User headers (-H, -A, Authorization from the URL); they replace defaults of the same name. */
  headers: HeaderList;
  compressed: boolean;
  userAgent: string;
  /** '1.0' asks the server for an HTTP/1.0 answer (no chunked; close-delimited bodies). */
  httpVersion?: '1.0' | '1.1';
  /** Sent to an HTTP proxy (an http URL): the target in absolute form, and Proxy-Authorization. */
  viaProxy?: { authorization?: string };
  /** Several URLs: the connection may carry the next request, so no `Connection: close`. */
  keepAlive?: boolean;
}

/**
 * The request's header fields: the defaults (Host, User-Agent, Accept, Accept-Encoding
 * with --compressed, Authorization from URL credentials) unless the user gave the same
 * name, then the user's. As with curl, `-H 'Name:'` (an empty value) removes a default.
 */
export function requestFields(spec: RequestSpec): HeaderList {
  const defaults: HeaderList = [
    ['Host', spec.target.authority],
    ['User-Agent', spec.userAgent],
    ['Accept', '*/*'],
  ];
  if (spec.compressed) defaults.push(['Accept-Encoding', 'gzip, deflate, br']);
  const url = spec.target.url;
  if (url.username !== '' || url.password !== '') {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    defaults.push(['Authorization', `Basic ${Buffer.from(credentials).toString('base64')}`]);
  }
  const overridden = new Set(spec.headers.map(([n]) => n.toLowerCase()));
  const fields = defaults.filter(([n]) => !overridden.has(n.toLowerCase()));
  for (const [n, v] of spec.headers) if (v !== '') fields.push([n, v]);
  return fields;
}

/** The request head, byte for byte (RFC 9112 3). One request per connection. */
export function buildRequest(spec: RequestSpec): Buffer {
  // RFC 9112 3.2.2: a proxy gets the absolute form (never the URL's credentials).
  const requestTarget = spec.viaProxy ? `${spec.target.url.protocol}//${spec.target.authority}${spec.target.path}` : spec.target.path;
  const lines = [`${spec.method} ${requestTarget} HTTP/${spec.httpVersion ?? '1.1'}`];
  for (const [n, v] of requestFields(spec)) lines.push(`${n}: ${v}`);
  if (spec.viaProxy?.authorization) lines.push(`Proxy-Authorization: ${spec.viaProxy.authorization}`);
  // A connection we will not reuse: say so, and the server may close after the body.
  // (HTTP/1.0 closes by default; HTTP/1.1 keeps alive unless told.)
  const userConnection = spec.headers.some(([n]) => n.toLowerCase() === 'connection');
  if (!userConnection && spec.httpVersion !== '1.0' && !spec.keepAlive) lines.push('Connection: close');
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

/** Fields HTTP/2 forbids (RFC 9113 8.2.2): the connection's business, not the request's. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

/**
 * The same request as an HTTP/2 header list (RFC 9113 8.3.1): the pseudo-headers first
 * (:authority from Host, so a -H Host still names the authority), names in lower case,
 * connection-specific fields left out, TE only as "trailers".
 */
export function requestHeaderList(spec: RequestSpec): Array<[string, string]> {
  const fields = requestFields(spec);
  const host = fields.find(([n]) => n.toLowerCase() === 'host')?.[1] ?? spec.target.authority;
  const list: Array<[string, string]> = [
    [':method', spec.method],
    [':scheme', spec.target.secure ? 'https' : 'http'],
    [':authority', host],
    [':path', spec.target.path],
  ];
  for (const [n, v] of fields) {
    const name = n.toLowerCase();
    if (CONNECTION_SPECIFIC.has(name)) continue;
    if (name === 'te' && v.trim().toLowerCase() !== 'trailers') continue;
    list.push([name, v]);
  }
  return list;
}

export const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface RedirectStep {
  method: 'GET' | 'HEAD';
  target: Target;
  headers: HeaderList;
}

/**
 * The next request after a 3xx with a Location (RFC 9110 15.4). Only http and https
 * targets; 303 turns anything but HEAD into GET (301/302 too for non-GET methods,
 * as browsers and curl do); 307/308 keep the method. Credentials (Authorization,
 * Cookie, Proxy-Authorization, URL userinfo) are dropped when the origin changes,
 * so a redirect cannot leak them to another host.
 */
export function nextRequest(current: RedirectStep, status: number, location: string): RedirectStep {
  let url: URL;
  try {
    url = new URL(location, current.target.url);
  } catch {
    throw new SockkitError('PROTOCOL', 'bad redirect', `Location ${JSON.stringify(truncate(location))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SockkitError(
      'PROTOCOL',
      'refused redirect',
      `to ${truncate(url.href)}: only http and https targets are followed`,
    );
  }
  url.hash = '';
  const sameOrigin = url.origin === current.target.url.origin;
  let headers = current.headers;
  if (!sameOrigin) {
    const credentials = new Set(['authorization', 'cookie', 'proxy-authorization']);
    headers = headers.filter(([n]) => !credentials.has(n.toLowerCase()));
    url.username = '';
    url.password = '';
  } else if (url.username === '' && url.password === '') {
    url.username = current.target.url.username;
    url.password = current.target.url.password;
  }
  // Host comes from the new target, not from the old request.
  headers = headers.filter(([n]) => n.toLowerCase() !== 'host');
  const method = status === 303 && current.method !== 'HEAD' ? 'GET' : current.method;
  const target = toTarget(url, (why) => new SockkitError('PROTOCOL', 'bad redirect', `${truncate(url.href)}: ${why}`));
  return { method, target, headers };
}

/** A URL for display and JSON: the credentials replaced. */
export function displayUrl(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = copy.username ? '***' : '';
  copy.password = copy.password ? '***' : '';
  return copy.href;
}

function truncate(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
