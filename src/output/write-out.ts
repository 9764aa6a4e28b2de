// -w/--write-out: curl's format language over one fetch's facts. %{name} is a variable
// (the ones below, as curl names and formats them: seconds with 6 decimals), %{json}
// all of them as one object, %% a percent sign, and \n \r \t \\ escapes. An unknown
// variable is refused before anything is fetched.
import type { FetchResult } from '../net/http/client.js';
import { usageError } from '../net/shared/errors.js';

type Value = string | number;

const VARIABLES = [
  'http_code',
  'response_code',
  'time_namelookup',
  'time_connect',
  'time_appconnect',
  'time_starttransfer',
  'time_redirect',
  'time_total',
  'size_download',
  'size_header',
  'speed_download',
  'remote_ip',
  'remote_port',
  'num_redirects',
  'num_connects',
  'url_effective',
  'http_version',
  'content_type',
  'scheme',
] as const;
type Variable = (typeof VARIABLES)[number];
const KNOWN = new Set<string>([...VARIABLES, 'json']);

/** Checks a format once, up front: every %{name} must be a variable sockkit knows. */
export function checkWriteOut(format: string): void {
  for (const m of format.matchAll(/%\{([^}]*)\}/g)) {
    if (!KNOWN.has(m[1]!)) throw usageError(`bad --write-out variable '%{${m[1]}}'`, 'not one sockkit knows', `known: ${[...KNOWN].join(', ')}`);
  }
}

const seconds = (ms: number) => Number((ms / 1000).toFixed(6));

/** The variables of a finished fetch, as curl computes them (times from the start, cumulative). */
export function writeOutValues(result: FetchResult): Record<Variable, Value> {
  const hop = result.final;
  const t = hop.timings;
  const redirectMs = result.hops.slice(0, -1).reduce((sum, h) => sum + h.timings.totalMs, 0);
  const namelookup = redirectMs + t.dnsMs;
  const connect = namelookup + t.connectMs;
  const appconnect = t.tlsMs === null ? 0 : connect + t.tlsMs;
  const total = redirectMs + t.totalMs;
  const contentType = hop.head.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? '';
  return {
    http_code: String(hop.status).padStart(3, '0'),
    response_code: String(hop.status).padStart(3, '0'),
    time_namelookup: seconds(namelookup),
    time_connect: seconds(connect),
    time_appconnect: seconds(appconnect),
    time_starttransfer: seconds(total - t.transferMs),
    time_redirect: seconds(redirectMs),
    time_total: seconds(total),
    size_download: hop.bodyBytes,
    size_header: hop.head.raw.length,
    speed_download: total > 0 ? Math.round(hop.bodyBytes / (total / 1000)) : 0,
    remote_ip: hop.remoteAddress,
    remote_port: hop.remotePort,
    num_redirects: result.redirects.length,
    // A request on a kept-alive connection (several URLs) opened none.
    num_connects: result.hops.filter((h) => !h.reusedConnection).length,
    url_effective: hop.url,
    // curl writes HTTP/1.0 as "1".
    http_version: hop.httpVersion === '1.0' ? '1' : hop.httpVersion,
    content_type: contentType,
    scheme: hop.url.startsWith('https:') ? 'HTTPS' : 'HTTP',
  };
}

/**
 * The variables of a fetch that failed before a response (refused, reset, a timeout, a TLS
 * failure): what curl writes then: http_code 000, no address, no version, the time spent.
 */
export function failedWriteOutValues(url: string, totalMs: number, bodyBytes: number): Record<Variable, Value> {
  return {
    http_code: '000',
    response_code: '000',
    time_namelookup: 0,
    time_connect: 0,
    time_appconnect: 0,
    time_starttransfer: 0,
    time_redirect: 0,
    time_total: seconds(totalMs),
    size_download: bodyBytes,
    size_header: 0,
    speed_download: 0,
    remote_ip: '',
    remote_port: 0,
    num_redirects: 0,
    num_connects: 0,
    url_effective: url,
    http_version: '0',
    content_type: '',
    scheme: '',
  };
}

/** The format with its variables and escapes replaced. */
export function renderWriteOut(format: string, values: Record<Variable, Value>): string {
  return format.replace(/%\{([^}]*)\}|%%|\\([nrt\\])/g, (whole, name: string | undefined, escape: string | undefined) => {
    if (whole === '%%') return '%';
    if (escape !== undefined) return escape === 'n' ? '\n' : escape === 'r' ? '\r' : escape === 't' ? '\t' : '\\';
    if (name === 'json') return JSON.stringify(values);
    const value = values[name as Variable];
    return typeof value === 'number' && name!.startsWith('time_') ? value.toFixed(6) : String(value);
  });
}
