// DNS over HTTPS (RFC 8484) without the connection: the path of a server's URL, the
// request's header list (POST with the message as body, or GET with it base64url-encoded
// in `?dns=`), and what a response head must say to carry a DNS message. Pure, so the
// unit tests reach every rule; https.ts runs them on an HTTP/2 connection.
import { usageError } from '../shared/errors.js';
import type { HeaderField } from '../http2/hpack.js';

export const DOH_DEFAULT_PATH = '/dns-query';
export const DOH_MEDIA_TYPE = 'application/dns-message';
/** A DNS message is at most 65,535 octets (its length travels in 16 bits everywhere else). */
export const DOH_MAX_MESSAGE = 65_535;
/** The longest path accepted from the command line (the `?dns=` part comes on top). */
const MAX_PATH = 1024;

export type DohMethod = 'POST' | 'GET';

/**
 * The path part of `https://HOST[:PORT][/PATH]` (everything from the first `/` after
 * the host, or `/dns-query`): visible ASCII only, no fragment. A query string is kept
 * (GET appends `&dns=` to it).
 */
export function dohPath(input: string, rest: string): string {
  if (rest === '' || rest === '/') return rest === '' ? DOH_DEFAULT_PATH : '/';
  const bad = (why: string) => usageError(`bad --server '${input}'`, why, `e.g. https://dns.example${DOH_DEFAULT_PATH}`);
  if (!rest.startsWith('/')) throw bad('the path must start with /');
  if (rest.length > MAX_PATH) throw bad(`the path is longer than ${MAX_PATH} characters`);
  if (!/^[\x21-\x7e]+$/.test(rest)) throw bad('the path may hold visible ASCII only (percent-encode the rest)');
  if (rest.includes('#')) throw bad('a fragment (#) is never sent to a server');
  return rest;
}

/** `{dns}` of RFC 8484 §4.1: base64url (RFC 4648 §5) without the `=` padding. */
export function base64url(bytes: Buffer): string {
  // Node's 'base64url' writes no padding; the replace keeps that a property of this function.
  return bytes.toString('base64url').replace(/=+$/, '');
}

/** The inverse, for the tests and the hostile servers: strict alphabet, no padding. */
export function fromBase64url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64url');
}

/** `:authority`: the host (IPv6 in brackets) and the port when it is not 443. */
export function dohAuthority(host: string, port: number): string {
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return port === 443 ? bracketed : `${bracketed}:${port}`;
}

/** The header list of one DoH request, pseudo-headers first; `body` is set for POST. */
export function dohRequest(method: DohMethod, authority: string, path: string, message: Buffer): { fields: HeaderField[]; body?: Buffer } {
  const common: HeaderField[] = [['accept', DOH_MEDIA_TYPE]];
  if (method === 'GET') {
    const target = `${path}${path.includes('?') ? '&' : '?'}dns=${base64url(message)}`;
    return { fields: [[':method', 'GET'], [':scheme', 'https'], [':authority', authority], [':path', target], ...common] };
  }
  return {
    fields: [[':method', 'POST'], [':scheme', 'https'], [':authority', authority], [':path', path], ...common, ['content-type', DOH_MEDIA_TYPE], ['content-length', String(message.length)]],
    body: message,
  };
}

/**
 * Why a response head cannot carry our answer (RFC 8484 §4.2.1: a DNS answer comes with
 * a 2xx status and `application/dns-message`), or undefined. Any other status is the
 * HTTP layer's failure: the server said nothing in DNS.
 */
export function dohHeadProblem(status: number, headers: readonly HeaderField[], contentLength: number | null): string | undefined {
  if (status !== 200) return `the server answered HTTP ${status}${STATUS_MEANING[status] ?? ''}, not 200 with a DNS message`;
  const types = headers.filter(([name]) => name === 'content-type').map(([, value]) => value);
  const type = types[0]?.split(';')[0]!.trim().toLowerCase();
  if (types.length !== 1 || type !== DOH_MEDIA_TYPE) {
    const said = types.length === 0 ? 'no content-type' : `content-type ${JSON.stringify(types.join(', ').slice(0, 80))}`;
    return `the server answered with ${said}, not ${DOH_MEDIA_TYPE}`;
  }
  if (contentLength !== null && contentLength > DOH_MAX_MESSAGE) return `a body of ${contentLength} bytes (content-length): a DNS message is at most ${DOH_MAX_MESSAGE}`;
  if (contentLength === 0) return 'an empty body (content-length 0): no DNS message';
  return undefined;
}

const STATUS_MEANING: Partial<Record<number, string>> = {
  400: ' (Bad Request: it could not read the query)',
  404: ' (Not Found: is the path right? DoH servers usually answer on /dns-query)',
  405: ' (Method Not Allowed: try the other of POST and --doh-get)',
  413: ' (Payload Too Large)',
  415: ' (Unsupported Media Type)',
  429: ' (Too Many Requests)',
  500: ' (Internal Server Error)',
  502: ' (Bad Gateway)',
  503: ' (Service Unavailable)',
  504: ' (Gateway Timeout)',
};
