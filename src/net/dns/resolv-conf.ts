// /etc/resolv.conf as glibc reads it (resolv.conf(5)): the `nameserver` lines, at
// most three, in order, and `options timeout:N attempts:N`. sockkit asks those
// servers itself for the types getaddrinfo cannot look up (MX, TXT, ...). The parser
// is pure; the file is read within a bound (a device in its place is refused).
import { ipFamily } from '../shared/ip-literal.js';
import { readBoundedFile } from '../shared/read-input.js';

export interface ResolvConf {
  /** IP literals, in the file's order (glibc's MAXNS: the first three). */
  nameservers: string[];
  /** `options timeout:` in seconds (glibc: 5 by default, at most 30). */
  timeoutSeconds: number;
  /** `options attempts:` (glibc: 2 by default, at most 5). */
  attempts: number;
  /** True when the file names no server: glibc then asks 127.0.0.1, and so does sockkit. */
  defaulted: boolean;
}

/** glibc's limits (resolv/resolv.h: MAXNS, RES_MAXRETRANS-ish caps). */
const MAX_NAMESERVERS = 3;
const DEFAULT_TIMEOUT_S = 5;
const MAX_TIMEOUT_S = 30;
const DEFAULT_ATTEMPTS = 2;
const MAX_ATTEMPTS = 5;
/** A resolv.conf is a few lines; anything larger is not one. */
const MAX_RESOLV_CONF_BYTES = 1024 * 1024;

export const DEFAULT_RESOLV_CONF = '/etc/resolv.conf';

/** Reads the file glibc reads; a USAGE error says why it cannot be used. */
export async function readResolvConf(path: string): Promise<ResolvConf> {
  return parseResolvConf((await readBoundedFile(path, MAX_RESOLV_CONF_BYTES)).toString('utf8'));
}

/** resolv.conf text → its servers and options. Lines it does not know are skipped, as glibc does. */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: string[] = [];
  let timeoutSeconds = DEFAULT_TIMEOUT_S;
  let attempts = DEFAULT_ATTEMPTS;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...rest] = line.split(/\s+/);
    if (keyword === 'nameserver' && rest[0] !== undefined) {
      const address = rest[0];
      if (ipFamily(address.replace(/%.*$/, '')) && nameservers.length < MAX_NAMESERVERS) nameservers.push(address);
    } else if (keyword === 'options') {
      for (const option of rest) {
        const m = /^(timeout|attempts):(\d+)$/.exec(option);
        if (!m) continue;
        const value = Number(m[2]);
        if (m[1] === 'timeout') timeoutSeconds = Math.min(Math.max(value, 1), MAX_TIMEOUT_S);
        else attempts = Math.min(Math.max(value, 1), MAX_ATTEMPTS);
      }
    }
  }
  const defaulted = nameservers.length === 0;
  if (defaulted) nameservers.push('127.0.0.1');
  return { nameservers, timeoutSeconds, attempts, defaulted };
}

/**
 * How long one server of the list may take, inside a question's budget: glibc would
 * wait timeout × attempts for each; sockkit never waits longer than its own --timeout,
 * and leaves the servers after this one their share of it.
 */
export function serverTryBudgetMs(conf: Pick<ResolvConf, 'timeoutSeconds' | 'attempts'>, remainingMs: number, serversLeft: number): number {
  const glibcMs = conf.timeoutSeconds * conf.attempts * 1000;
  return Math.max(1, Math.min(glibcMs, remainingMs / Math.max(1, serversLeft)));
}
