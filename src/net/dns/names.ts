// What a user types → what goes on the wire: IDN to punycode (UTS #46 via WHATWG
// url.domainToASCII), IP addresses to reverse names (RFC 1035 §3.5, RFC 3596 §2.5),
// and the length rules of RFC 1035 §2.3.4, checked before any packet is sent.
import { ipFamily } from '../shared/ip-literal.js';
import { domainToASCII } from 'node:url';
import { usageError } from '../shared/errors.js';
import { encodeIPv6 } from './packet.js';

export interface QueryName {
  /** As the user gave it. */
  input: string;
  /** The ASCII (punycode) form, without a trailing dot; '.' for the root. */
  ascii: string;
  /** True when the input had non-ASCII characters (shown both ways). */
  idn: boolean;
  /** For an IP address: the address; the query is a reverse (PTR) lookup. */
  address?: string;
  family?: 4 | 6;
}

/** Labels of letters, digits, '-' and '_', each 1–63 long, with an optional trailing dot. */
const PLAIN_NAME = /^(?:[A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}\.?$/;
/** What a label of a host name may hold (RFC 1123 §2.1, plus '_' for SRV/DKIM names and a whole-label '*' for wildcards). */
const HOST_LABEL = /^(?:[A-Za-z0-9_-]+|\*)$/;

/**
 * Parses one name or IP address. Throws a USAGE error for anything that is not a host
 * name a DNS server could answer: empty, over 253 characters, a label over 63, an empty
 * label, spaces, and any character outside letters, digits, '-', '_' (and a '*' label):
 * `@x`, `+tcp`, `a\.b` never reach a resolver, whichever one asks.
 */
export function parseQueryName(input: string): QueryName {
  const name = input.trim();
  if (name === '') throw usageError('bad name', 'empty name');
  const family = ipFamily(name);
  if (family === 4 || family === 6) {
    return { input: name, ascii: reverseName(name), idn: false, address: name, family };
  }
  if (name === '.') return { input: name, ascii: '.', idn: false };
  // The common case in one native test: host-name characters only, every label 1–63.
  if (name.length <= 254 && PLAIN_NAME.test(name)) {
    const ascii = name.endsWith('.') ? name.slice(0, -1) : name;
    if (ascii.length <= 253) return { input: name, ascii, idn: false };
  }
  const shown = shownInput(name);
  const bad = (why: string) => usageError(`bad name '${shown}'`, why);
  if (/[\s\x00-\x1f\x7f]/.test(name)) throw bad('contains spaces or control characters');
  const idn = /[^\x00-\x7f]/.test(name);
  let ascii = name.replace(/\.$/, '');
  if (idn) {
    ascii = domainToASCII(ascii);
    if (ascii === '') throw bad('not a valid internationalised domain name');
  }
  if (ascii.length > 253) throw bad(`a name is at most 253 characters (this one has ${ascii.length})`);
  for (const label of ascii.split('.')) {
    if (label === '') throw bad('empty label (two dots in a row, or a leading dot)');
    if (label.length > 63) throw bad(`a label is at most 63 characters ('${truncate(label, 20)}' has ${label.length})`);
    if (!HOST_LABEL.test(label)) throw bad(notHostCharacter(label, name));
  }
  return { input: name, ascii, idn };
}

/** Why a label is not a host name's: names the first offending character. */
function notHostCharacter(label: string, name: string): string {
  const ch = /[^A-Za-z0-9_*-]/.exec(label)?.[0] ?? '*';
  const hint = name.startsWith('@') ? " (a server is written @SERVER on the command line, or --server)" : name.startsWith('+') ? " (dig's +options are flags in sockkit: see --help)" : '';
  return `'${ch}' is not allowed in a host name: letters, digits, '-' and '_' only${hint}`;
}

/** 198.51.100.7 → 7.100.51.198.in-addr.arpa; 2001:db8::1 → 1.0.0.0…8.b.d.0.1.0.0.2.ip6.arpa */
export function reverseName(address: string): string {
  if (ipFamily(address) === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  const nibbles = encodeIPv6(address).toString('hex').split('');
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/** The fully qualified wire name (trailing dot) for a parsed name. */
export function fqdn(name: QueryName): string {
  return name.ascii === '.' ? '.' : `${name.ascii}.`;
}

/**
 * Names from a list (stdin): one per line; surrounding whitespace, blank lines and
 * `#` comments (whole-line or after whitespace) are skipped.
 */
export function parseNameList(text: string): string[] {
  const names: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line !== '') names.push(line);
  }
  return names;
}

function truncate(s: string, max = 40): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * Input that is no name, made safe to print in a message or a tab-separated row: control
 * characters (tabs and newlines included) as \DDD, as DNS presentation form writes bytes,
 * and at most 40 characters.
 */
export function shownInput(input: string): string {
  return truncate(input.replace(/[\x00-\x1f\x7f]/g, (c) => `\\${String(c.charCodeAt(0)).padStart(3, '0')}`));
}
