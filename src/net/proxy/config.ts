// Which proxy a request goes through, as curl decides: -x/--proxy, else the environment
// (http_proxy for http URLs — lower case only, as curl, since HTTP_PROXY can be set by a
// CGI request header; https_proxy/HTTPS_PROXY for https; all_proxy/ALL_PROXY for both),
// unless no_proxy/NO_PROXY (or --noproxy, which replaces it) names the host. Pure.
import { BlockList } from 'node:net';
import { ipFamily } from '../shared/ip-literal.js';
import { usageError } from '../shared/errors.js';

export type ProxyScheme = 'http' | 'https' | 'socks5' | 'socks5h';

export interface ProxySpec {
  scheme: ProxyScheme;
  host: string;
  port: number;
  user?: string;
  password?: string;
  /** For messages: scheme://host:port, never the credentials. */
  display: string;
}

/** curl's default proxy port, except for https:// proxies (443, as curl's CURL_DEFAULT_HTTPS_PROXY_PORT). */
const DEFAULT_PROXY_PORT = 1080;
const DEFAULT_HTTPS_PROXY_PORT = 443;

/** A proxy URL as curl reads it: no scheme means http://; `source` names the flag or variable in errors. */
export function parseProxyUrl(text: string, source: string): ProxySpec {
  const bad = (why: string, hint?: string) => usageError(`bad proxy '${text}' (${source})`, why, hint);
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw bad('not a URL', 'e.g. http://127.0.0.1:3128 or socks5h://127.0.0.1:1080');
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'socks5' && scheme !== 'socks5h') {
    throw bad(`unsupported proxy scheme '${scheme}'`, 'http://, https://, socks5:// or socks5h://');
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw bad('no host');
  const defaultPort = scheme === 'https' ? DEFAULT_HTTPS_PROXY_PORT : DEFAULT_PROXY_PORT;
  const port = url.port !== '' ? Number(url.port) : (writtenPort(withScheme) ?? defaultPort);
  const display = `${scheme}://${url.host}${url.port === '' ? `:${port}` : ''}`;
  const credentials = url.username !== '' || url.password !== '' ? { user: percentDecoded(url.username, bad), password: percentDecoded(url.password, bad) } : {};
  return { scheme, host, port, ...credentials, display };
}

/** new URL() drops a port equal to the scheme's default (http://p:80): the port as written, if any. */
function writtenPort(text: string): number | undefined {
  const authority = text.replace(/^[^:]*:\/\//, '').split(/[/?#]/, 1)[0]!;
  const m = /:(\d+)$/.exec(authority.slice(authority.lastIndexOf('@') + 1));
  return m ? Number(m[1]) : undefined;
}

/** A user or password from the proxy URL, %XX-decoded as curl does; a malformed escape is a usage error. */
function percentDecoded(text: string, bad: (why: string, hint?: string) => Error): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw bad('a malformed %-escape in the user or password', "write a literal '%' as %25");
  }
}

/** Every variable proxyFor() reads a proxy from. */
export const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'];

export interface ProxySettings {
  /** -x/--proxy: '' means no proxy at all. */
  flag?: string;
  /** --noproxy: replaces no_proxy/NO_PROXY. */
  noProxy?: string;
  env: Record<string, string | undefined>;
}

/** The proxy for a request to host (http or https), or null for a direct connection. */
export function proxyFor(host: string, secure: boolean, settings: ProxySettings): ProxySpec | null {
  const { env } = settings;
  const fromEnv = (names: string[]) => names.map((n) => [n, env[n]] as const).find(([, v]) => v !== undefined && v !== '');
  let chosen: readonly [string, string | undefined] | undefined;
  if (settings.flag !== undefined) chosen = ['--proxy', settings.flag];
  else chosen = fromEnv(secure ? ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'] : ['http_proxy', 'all_proxy', 'ALL_PROXY']);
  if (!chosen || !chosen[1]) return null;
  const noProxy = settings.noProxy ?? (env.no_proxy || env.NO_PROXY || '');
  if (noProxyMatches(host, noProxy)) return null;
  return parseProxyUrl(chosen[1], chosen[0]);
}

/**
 * curl's no_proxy: comma-separated; `*` (the whole list) matches everything; a name matches
 * itself and its subdomains (a leading dot is the same); an IP matches itself; an
 * address with /BITS matches an IP host in that range.
 */
export function noProxyMatches(host: string, list: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  const hostFamily = ipFamily(name);
  if (list.trim() === '*') return true;
  for (const raw of list.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase().replace(/^\[|\]$/g, '');
    if (entry === '' || entry === '*') continue;
    const slash = entry.indexOf('/');
    if (slash !== -1) {
      if (hostFamily !== 0 && inCidr(name, hostFamily, entry.slice(0, slash), Number(entry.slice(slash + 1)))) return true;
      continue;
    }
    if (hostFamily !== 0 || ipFamily(entry) !== 0) {
      if (entry === name) return true;
      continue;
    }
    const suffix = entry.replace(/^\./, '').replace(/\.$/, '');
    if (name === suffix || name.endsWith(`.${suffix}`)) return true;
  }
  return false;
}

function inCidr(address: string, family: number, network: string, bits: number): boolean {
  const networkFamily = ipFamily(network);
  if (networkFamily !== family || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(network, bits, type);
  return list.check(address, type);
}

/** An http(s):// proxy takes an http:// URL's request itself, in absolute form; anything else is a tunnel. */
export function takesAbsoluteForm(proxy: ProxySpec, secure: boolean): boolean {
  return !secure && (proxy.scheme === 'http' || proxy.scheme === 'https');
}
