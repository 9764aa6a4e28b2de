// The /etc/hosts format (hosts(5)) as pure functions: `address name [alias...]`,
// `#` starts a comment anywhere on a line. Lines that do not parse are skipped, as
// glibc's files backend skips them, so one bad line never hides the others.
import { ipFamily } from '../shared/ip-literal.js';

export interface HostsEntry {
  address: string;
  /** The canonical name: the first name on the line (what getaddrinfo's AI_CANONNAME gives). */
  canonical: string;
  aliases: string[];
}

export function parseHostsFile(text: string): HostsEntry[] {
  const entries: HostsEntry[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const hash = rawLine.indexOf('#');
    const line = hash === -1 ? rawLine : rawLine.slice(0, hash);
    const fields = line.trim().split(/\s+/).filter((f) => f !== '');
    if (fields.length < 2) continue;
    const [address, canonical, ...aliases] = fields as [string, string, ...string[]];
    // An IPv6 literal may carry a zone (fe80::1%eth0); the address part must still parse.
    if (ipFamily(address.split('%')[0]!) === 0) continue;
    entries.push({ address, canonical, aliases });
  }
  return entries;
}

/**
 * The canonical name of `name` in hosts-file entries: the first name of the first line
 * that lists `name` (case-insensitive, as the resolver compares names), or undefined.
 */
export function canonicalNameFromHosts(entries: HostsEntry[], name: string): HostsEntry | undefined {
  const wanted = name.replace(/\.$/, '').toLowerCase();
  return entries.find(
    (e) => e.canonical.toLowerCase() === wanted || e.aliases.some((a) => a.toLowerCase() === wanted),
  );
}
