// Is a string an IP address literal, and of which family? The same answers as Node's
// net.isIP, without its start-up cost: Node tests IPv6 with one large regular expression
// whose bounded repeats V8 expands before the first match, 10-12 ms of CPU here on the
// first string that is not an IPv4 address ('localhost', 'example.com', '::1'), that is
// on almost every command that names a host. This check walks the string once.
//
// node:tls calls net.isIP itself, on every servername at connect and on the host name in
// checkServerIdentity, through the node:net export: useFastIsIP() puts ipFamily there,
// so that those calls are quick too (tests/unit/ip-literal.test.ts holds it to Node's
// answers on generated literals and near-misses). Node's dns.lookup uses its own copy.
import { builtin } from './builtin.js';

/** 4 or 6 for an IPv4 or IPv6 literal (an IPv6 one may carry a `%zone`), else 0: net.isIP's answer. */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (typeof text !== 'string') return 0;
  if (!text.includes(':')) return isIPv4Literal(text) ? 4 : 0;
  return isIPv6Literal(text) ? 6 : 0;
}

/** Dotted quad, each part 0-255 in decimal without a leading zero (Node's IPv4 pattern). */
export function isIPv4Literal(text: string): boolean {
  const first = text.charCodeAt(0);
  if (!(first >= 48 && first <= 57)) return false; // a name: no split
  const parts = text.split('.');
  return parts.length === 4 && parts.every(isByte);
}

function isByte(part: string): boolean {
  if (part.length === 0 || part.length > 3 || (part.length > 1 && part[0] === '0')) return false;
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(part) <= 255;
}

const ZONE = /^[0-9a-zA-Z.:-]+$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Eight groups of 1-4 hex digits separated by colons, or fewer with one `::` standing for
 * at least one zero group; the last two groups may be written as an IPv4 address; then
 * an optional `%zone` of letters, digits and `-.:` (Node's IPv6 pattern).
 */
export function isIPv6Literal(text: string): boolean {
  const percent = text.indexOf('%');
  if (percent !== -1 && !ZONE.test(text.slice(percent + 1))) return false;
  const address = percent === -1 ? text : text.slice(0, percent);
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  // Only the text's last group may be an IPv4 address (not one before a closing `::`).
  const tail = groups[groups.length - 1]!;
  let count = groups.reduce((n, half) => n + half.length, 0);
  if (tail.length > 0 && tail[tail.length - 1]!.includes('.')) {
    if (!isIPv4Literal(tail.pop()!)) return false;
    count += 1; // an IPv4 tail is two groups
  }
  if (!groups.every((half) => half.every((group) => HEX_GROUP.test(group)))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

let installed = false;

/**
 * Makes node:net's isIP (which node:tls calls) answer with ipFamily. For the CLI's process
 * only: the answers are the same, only the first call's cost differs.
 */
export function useFastIsIP(): void {
  if (installed) return;
  installed = true;
  try {
    (builtin('node:net') as { isIP: (input: string) => number }).isIP = ipFamily;
  } catch {
    // a frozen or read-only export: Node's own check stays, only slower
  }
}
