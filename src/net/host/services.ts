// The service table as pure functions: parsing /etc/services (services(5)) and the
// compact IANA table, and the lookups getservbyport/getservbyname do, in file order.
import { parsePort, parsePortRange } from '../shared/address.js';
import { SockkitError, usageError } from '../shared/errors.js';

export type Protocol = 'tcp' | 'udp';
export const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp'];

/** Where an entry came from: the services file, or the IANA registry embedded at build time. */
export type ServiceSource = 'etc' | 'iana';

export interface ServiceEntry {
  name: string;
  port: number;
  protocol: Protocol;
  aliases: string[];
  description?: string;
  source: ServiceSource;
}

/** A loaded table: its entries in file order, and where they came from. */
export interface ServiceTable {
  source: ServiceSource;
  /** The file the entries were read from. */
  path: string;
  entries: ServiceEntry[];
}

/**
 * Parses services(5) text: `name port/protocol [alias...] [# comment]`. The comment
 * becomes the description. Blank lines, comment lines, lines with a bad port and
 * protocols other than tcp/udp (ddp, sctp) are skipped, never fatal: one odd line
 * must not hide the rest, just as glibc's parser skips it.
 */
export function parseServicesFile(text: string): ServiceEntry[] {
  const entries: ServiceEntry[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const hash = rawLine.indexOf('#');
    const line = hash === -1 ? rawLine : rawLine.slice(0, hash);
    const comment = hash === -1 ? '' : rawLine.slice(hash + 1).trim();
    const fields = line.trim().split(/\s+/).filter((f) => f !== '');
    if (fields.length < 2) continue;
    const [name, portProto, ...aliases] = fields as [string, string, ...string[]];
    const m = /^(\d{1,5})\/([A-Za-z]+)$/.exec(portProto);
    if (!m) continue;
    const port = Number(m[1]);
    const protocol = m[2]!.toLowerCase();
    if (port > 65535 || (protocol !== 'tcp' && protocol !== 'udp')) continue;
    entries.push({ name, port, protocol, aliases, ...(comment ? { description: comment } : {}), source: 'etc' });
  }
  return entries;
}

/**
 * Parses the compact IANA table written by scripts/build-services.mjs: one line per
 * service, `port<TAB>protocols<TAB>name<TAB>description`, protocols being `t`, `u` or
 * `tu`; lines starting with `#` are comments. Malformed lines are skipped.
 */
export function parseIanaTable(text: string): ServiceEntry[] {
  const entries: ServiceEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [portText, protocols, name, description] = line.split('\t');
    if (!portText || !protocols || !name || !/^\d{1,5}$/.test(portText)) continue;
    const port = Number(portText);
    if (port > 65535) continue;
    for (const protocol of PROTOCOLS) {
      if (!protocols.includes(protocol[0]!)) continue;
      entries.push({ name, port, protocol, aliases: [], ...(description ? { description } : {}), source: 'iana' });
    }
  }
  return entries;
}

/** What the user asked for: a port or a name, optionally with `/tcp` or `/udp`. */
export type ServiceQuery =
  | { kind: 'port'; text: string; port: number; protocol?: Protocol }
  | { kind: 'name'; text: string; name: string; protocol?: Protocol };

/**
 * Reads `22`, `ssh`, `22/tcp`, `ssh/udp`. Digits only means a port (0–65535, else a
 * usage error); anything with a letter is a name (RFC 6335 §5.1: a service name has at
 * least one letter). Text with neither (`-1`, `1.5`) is a usage error, not a lookup.
 */
export function parseServiceQuery(input: string): ServiceQuery {
  const text = input.trim();
  const slash = text.lastIndexOf('/');
  const subject = slash === -1 ? text : text.slice(0, slash);
  let protocol: Protocol | undefined;
  if (slash !== -1) {
    const p = text.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp') throw usageError(`bad service '${input}'`, `unknown protocol '${text.slice(slash + 1)}' (tcp or udp)`);
    protocol = p;
  }
  if (subject === '') throw usageError(`bad service '${input}'`, 'empty port or name');
  if (/^\d+$/.test(subject)) return { kind: 'port', text, port: parsePort(subject), ...(protocol ? { protocol } : {}) };
  if (!/[A-Za-z]/.test(subject)) throw usageError(`bad port '${subject}'`, 'not a number from 0 to 65535');
  if (/\s/.test(subject)) throw usageError(`bad service '${input}'`, 'a service name has no spaces');
  return { kind: 'name', text, name: subject, ...(protocol ? { protocol } : {}) };
}

function protocolsFor(wanted: Protocol | undefined): readonly Protocol[] {
  return wanted ? [wanted] : PROTOCOLS;
}

/** Every entry for `port` (like getservbyport: the first one per protocol is the primary). */
export function findByPort(table: ServiceEntry[], port: number, protocol?: Protocol): ServiceEntry[] {
  const protocols = protocolsFor(protocol);
  return table.filter((e) => e.port === port && protocols.includes(e.protocol));
}

/**
 * Entries named `name` or aliased so (like getservbyname). Exact spelling first, as
 * glibc compares; only when nothing matches exactly, a case-insensitive match.
 */
export function findByName(table: ServiceEntry[], name: string, protocol?: Protocol): ServiceEntry[] {
  const protocols = protocolsFor(protocol);
  const inProtocol = table.filter((e) => protocols.includes(e.protocol));
  const exact = inProtocol.filter((e) => e.name === name || e.aliases.includes(name));
  if (exact.length > 0) return exact;
  const lower = name.toLowerCase();
  return inProtocol.filter((e) => e.name.toLowerCase() === lower || e.aliases.some((a) => a.toLowerCase() === lower));
}

/** Entries whose name, an alias or the description contains `word` (case-insensitive). */
export function searchServices(table: ServiceEntry[], word: string, protocol?: Protocol): ServiceEntry[] {
  const protocols = protocolsFor(protocol);
  const needle = word.toLowerCase();
  return table.filter(
    (e) =>
      protocols.includes(e.protocol) &&
      (e.name.toLowerCase().includes(needle) ||
        e.aliases.some((a) => a.toLowerCase().includes(needle)) ||
        (e.description?.toLowerCase().includes(needle) ?? false)),
  );
}

/** Entries with a port in [first, last], ordered by port, then protocol, then file order. */
export function servicesInRange(table: ServiceEntry[], first: number, last: number, protocol?: Protocol): ServiceEntry[] {
  const protocols = protocolsFor(protocol);
  const inRange = table.filter((e) => e.port >= first && e.port <= last && protocols.includes(e.protocol));
  // Array.prototype.sort is stable, so entries of one port and protocol keep file order.
  return inRange.sort((a, b) => a.port - b.port || PROTOCOLS.indexOf(a.protocol) - PROTOCOLS.indexOf(b.protocol));
}

/** One thing to look up: a port or name query, a --search word, or a --range. */
export type ServiceLookup =
  | ServiceQuery
  | { kind: 'search'; text: string; word: string }
  | { kind: 'range'; text: string; first: number; last: number };

export function searchLookup(word: string): ServiceLookup {
  if (word.trim() === '') throw usageError('bad --search', 'empty word');
  return { kind: 'search', text: word, word: word.trim() };
}

export function rangeLookup(text: string): ServiceLookup {
  const { first, last } = parsePortRange(text);
  return { kind: 'range', text, first, last };
}

export interface ServiceLookupResult {
  lookup: ServiceLookup;
  entries: ServiceEntry[];
  /** NOT_FOUND when the table has nothing for this lookup. */
  error?: SockkitError;
}

/** Answers each lookup from the table, in order; an empty answer carries a NOT_FOUND error. */
export function answerLookups(table: ServiceTable, lookups: ServiceLookup[], protocol?: Protocol): ServiceLookupResult[] {
  const where = table.source === 'iana' ? 'the IANA registry' : table.path;
  const hint = table.source === 'etc' ? 'try --source iana for the full IANA registry' : undefined;
  return lookups.map((lookup) => {
    const wanted = ('protocol' in lookup ? lookup.protocol : undefined) ?? protocol;
    const protocols = wanted ?? 'tcp or udp';
    let entries: ServiceEntry[];
    let what: string;
    switch (lookup.kind) {
      case 'port':
        entries = findByPort(table.entries, lookup.port, wanted);
        what = `unknown port ${lookup.port}`;
        break;
      case 'name':
        entries = findByName(table.entries, lookup.name, wanted);
        what = `unknown service '${lookup.name}'`;
        break;
      case 'search':
        entries = searchServices(table.entries, lookup.word, wanted);
        what = `search '${lookup.word}'`;
        break;
      case 'range':
        entries = servicesInRange(table.entries, lookup.first, lookup.last, wanted);
        what = `ports ${lookup.first}-${lookup.last}`;
        break;
    }
    if (entries.length > 0) return { lookup, entries };
    const why = lookup.kind === 'search' ? `no ${protocols} service in ${where} matches it` : `no ${protocols} service in ${where}`;
    return { lookup, entries, error: new SockkitError('NOT_FOUND', what, why, hint) };
  });
}
