// dig's forms among resolve's names, as a dig user types them from habit: `@SERVER`
// anywhere is a server (same as --server, `@tls://…` included), and `+word` is one of
// dig's options: a usage error that names the sockkit flag doing the same. Pure: the
// names left over are still checked as host names (net/dns/names.ts) before any query.
import { usageError } from '../net/shared/errors.js';

export interface DigForms {
  /** The words that are names (or `-`), in order. */
  names: string[];
  /** `@SERVER` words, without the `@`, in order. */
  servers: string[];
}

/**
 * dig's `+option` (lower case, without `no` and `=value`) → the sockkit flag that does
 * it. The first word of each is the flag itself: named only when the command declares it.
 */
const DIG_OPTIONS: Record<string, string> = {
  short: '--short',
  tcp: '--tcp',
  vc: '--tcp',
  tls: '--server tls://HOST',
  https: '--server https://HOST',
  recurse: '--no-recurse',
  cd: '--cd',
  cdflag: '--cd',
  ad: '--ad',
  adflag: '--ad',
  bufsize: '--bufsize N',
  edns: '--no-edns',
  nsid: '--nsid',
  subnet: '--ecs SUBNET/LEN',
  cookie: '--cookie',
  padding: '--padding',
  time: '--timeout SECONDS',
  timeout: '--timeout SECONDS',
  tries: '--timeout SECONDS (retries happen inside it)',
  retry: '--timeout SECONDS (retries happen inside it)',
  json: '--json',
  yaml: '--json',
  all: '-v (every section; the default shows the answers)',
  answer: '-v (every section; the default shows the answers)',
  authority: '-v (every section; the default shows the answers)',
  additional: '-v (every section; the default shows the answers)',
  comments: '-v (every section; the default shows the answers)',
  question: '-v (every section; the default shows the answers)',
  stats: '-v (every section; the default shows the answers)',
  trace: '--trace (socket steps; sockkit does not walk the delegation from the root)',
  class: '--class CLASS',
};

/**
 * Splits resolve's positional words into names and `@SERVER`s; throws a USAGE error for
 * a `+word` (dig's options are flags here) or an empty `@`. `declared` says whether the
 * command has a flag (`--tcp`, `-v`), so the hint never names one that does not exist.
 */
export function readDigForms(words: readonly string[], declared: (flag: string) => boolean): DigForms {
  const forms: DigForms = { names: [], servers: [] };
  for (const word of words) {
    if (word.startsWith('@')) {
      const server = word.slice(1).trim();
      if (server === '') throw usageError(`bad server '${word}'`, "'@' must be followed by the server", 'e.g. @127.0.0.1 or @tls://dns.example');
      forms.servers.push(server);
    } else if (word.startsWith('+') && word.length > 1) {
      throw digOptionError(word, declared);
    } else {
      forms.names.push(word);
    }
  }
  return forms;
}

function digOptionError(word: string, declared: (flag: string) => boolean): Error {
  const flag = sockkitFlagFor(word);
  const named = flag !== undefined && declared(flag.split(' ')[0]!) ? flag : undefined;
  const why = named ? `'${word}' is a dig option; sockkit's flag for it is ${named}` : `'${word}' is a dig option, and sockkit has no flag for it`;
  return usageError('usage', why, 'see sockkit resolve --help');
}

/** The sockkit flag for dig's `+[no]word[=value]` (dig's abbreviations: +sho, +norec), or undefined. */
export function sockkitFlagFor(word: string): string | undefined {
  const bare = word.slice(1).replace(/=.*$/, '').toLowerCase();
  for (const candidate of bare.startsWith('no') ? [bare, bare.slice(2)] : [bare]) {
    if (candidate === '') continue;
    // own keys only: `+constructor` must not find Object.prototype's
    const exact = Object.hasOwn(DIG_OPTIONS, candidate) ? DIG_OPTIONS[candidate] : undefined;
    if (exact) return exact;
    // dig takes any unambiguous prefix of 2+ letters (`+sho`, `+rec`)
    const matches = candidate.length >= 2 ? Object.keys(DIG_OPTIONS).filter((k) => k.startsWith(candidate)) : [];
    const flags = new Set(matches.map((k) => DIG_OPTIONS[k]));
    if (flags.size === 1) return [...flags][0];
  }
  return undefined;
}
