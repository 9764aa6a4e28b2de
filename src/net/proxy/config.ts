// Which proxy a request goes through, as curl decides: -x/--proxy, else the environment
// (http_proxy for http URLs — lower case only, as curl, since HTTP_PROXY can be set by a
// CGI request header; https_proxy/HTTPS_PROXY for https; all_proxy/ALL_PROXY for both),
// unless no_proxy/NO_PROXY (or --noproxy, which replaces it) names the host. Pure.
import { BlockList, isIP } from 'node:net';
import { usageError } from '../shared/errors.js';

export type ProxyScheme = 'http' | 'socks5' | 'socks5h';

export interface ProxySpec {
  scheme: ProxyScheme;
  host: string;
  port: number;
  user?: string;
  password?: string;
  /** For messages: scheme://host:port, never the credentials. */
  display: string;
}

/** curl's default proxy port, whatever the scheme. */
const DEFAULT_PROXY_PORT = 1080;

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
  if (scheme !== 'http' && scheme !== 'socks5' && scheme !== 'socks5h') {
    throw bad(`unsupported proxy scheme '${scheme}'`, 'http://, socks5:// or socks5h://');
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw bad('no host');
  const port = url.port === '' ? DEFAULT_PROXY_PORT : Number(url.port);
  const display = `${scheme}://${url.host}${url.port === '' ? `:${DEFAULT_PROXY_PORT}` : ''}`;
  return {
    scheme,
    host,
    port,
    ...(url.username !== '' || url.password !== '' ? { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : {}),
    display,
  };
}

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
  const hostFamily = isIP(name);
  if (list.trim() === '*') return true;
  for (const raw of list.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase().replace(/^\[|\]$/g, '');
    if (entry === '' || entry === '*') continue;
    const slash = entry.indexOf('/');
    if (slash !== -1) {
      if (hostFamily !== 0 && inCidr(name, hostFamily, entry.slice(0, slash), Number(entry.slice(slash + 1)))) return true;
      continue;
    }
    if (hostFamily !== 0 || isIP(entry) !== 0) {
      if (entry === name) return true;
      continue;
    }
    const suffix = entry.replace(/^\./, '').replace(/\.$/, '');
    if (name === suffix || name.endsWith(`.${suffix}`)) return true;
  }
  return false;
}

function inCidr(address: string, family: number, network: string, bits: number): boolean {
  const networkFamily = isIP(network);
  if (networkFamily !== family || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) return false;
  const list = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(network, bits, type);
  return list.check(address, type);
}
