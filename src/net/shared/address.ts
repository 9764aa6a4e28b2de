// Parsing of the addresses users type: ports, host[:port], IPv6 literals.
import { ipFamily } from './ip-literal.js';
import { usageError } from './errors.js';

export type Family = 4 | 6;

/** Parses a TCP/UDP port. `allowZero` permits 0 (ask the kernel for an ephemeral port). */
export function parsePort(input: string | number, what = 'port', allowZero = true): number {
  const text = String(input).trim();
  if (!/^\d{1,5}$/.test(text)) throw usageError(`bad ${what} '${input}'`, 'not a number from 0 to 65535');
  const port = Number(text);
  if (port > 65535 || (!allowZero && port === 0)) {
    throw usageError(`bad ${what} '${input}'`, `must be from ${allowZero ? 0 : 1} to 65535`);
  }
  return port;
}

/** Parses `a-b` into an inclusive, ordered port range. */
export function parsePortRange(input: string): { first: number; last: number } {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(input);
  if (!m) throw usageError(`bad port range '${input}'`, "expected FIRST-LAST, e.g. 8000-8100");
  const first = parsePort(m[1]!, 'port range');
  const last = parsePort(m[2]!, 'port range');
  if (first > last) throw usageError(`bad port range '${input}'`, 'the first port is above the last');
  return { first, last };
}

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 literal
 * (which has no port: `::1` is the address, not `:` + port 1).
 */
export function parseHostPort(input: string, defaultPort: number): HostPort {
  const text = input.trim();
  if (text === '') throw usageError('bad address', 'empty host');
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    const host = bracketed[1]!;
    if (ipFamily(host) !== 6) throw usageError(`bad address '${input}'`, 'brackets must hold an IPv6 address');
    return { host, port: bracketed[2] === undefined ? defaultPort : parsePort(bracketed[2]) };
  }
  // Only a text with two or more colons can be a bare IPv6 address.
  if (text.indexOf(':') !== text.lastIndexOf(':') && ipFamily(text) === 6) return { host: text, port: defaultPort };
  const colon = text.lastIndexOf(':');
  if (colon === -1) return { host: validateHostName(text), port: defaultPort };
  if (text.indexOf(':') !== colon) {
    throw usageError(`bad address '${input}'`, 'an IPv6 address with a port must be written [addr]:port');
  }
  return { host: validateHostName(text.slice(0, colon)), port: parsePort(text.slice(colon + 1)) };
}

/** Rejects host strings no resolver could accept, before any packet is sent. */
export function validateHostName(host: string): string {
  if (host === '') throw usageError('bad host', 'empty host name');
  if (ipFamily(host)) return host;
  if (host.length > 253 + (host.endsWith('.') ? 1 : 0)) {
    throw usageError(`bad host '${truncate(host)}'`, 'a host name is at most 253 characters');
  }
  for (const label of host.replace(/\.$/, '').split('.')) {
    if (label === '') throw usageError(`bad host '${truncate(host)}'`, 'empty label (two dots in a row)');
    if (label.length > 63) throw usageError(`bad host '${truncate(host)}'`, 'a label is at most 63 characters');
  }
  if (/[\s\/\\@#?]/.test(host)) throw usageError(`bad host '${truncate(host)}'`, 'contains characters not allowed in a host name');
  return host;
}

/** `host:port` with IPv6 literals bracketed, for messages. */
export function formatHostPort(host: string, port: number): string {
  // A colon is only ever in an IPv6 literal (see parseHostPort).
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function truncate(s: string, max = 40): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
