// The system resolver: getaddrinfo / getnameinfo through libc, so /etc/hosts,
// nsswitch.conf and the configured DNS servers apply exactly as for every other
// program (Python's gethostbyname / gethostbyaddr do the same).
// libc calls cannot be cancelled: each one races a deadline, and a late answer is dropped.
import { lookup, lookupService } from 'node:dns';
import { timeoutError, type SockkitError } from './errors.js';
import type { TraceFn } from './trace.js';

export interface SystemAddress {
  address: string;
  family: 4 | 6;
}

/** Every address getaddrinfo returns for `name` (both families unless one is asked for). */
export function systemLookup(name: string, family: 4 | 6 | undefined, timeoutMs: number, trace?: TraceFn): Promise<SystemAddress[]> {
  trace?.('resolve', `getaddrinfo("${name}"${family ? `, AF_INET${family === 6 ? '6' : ''}` : ''}) via the system resolver`);
  const work = new Promise<SystemAddress[]>((resolve, reject) => {
    lookup(name, { all: true, family: family ?? 0, order: 'verbatim' }, (err, addresses) => {
      if (err) return reject(err);
      resolve(addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })));
    });
  });
  return raceDeadline(work, timeoutMs, `getaddrinfo ${name}`).then((addresses) => {
    trace?.('resolve', `${name} → ${addresses.map((a) => a.address).join(', ') || 'no addresses'}`);
    return addresses;
  });
}

/** The host name getnameinfo gives for an address (reverse lookup through /etc/hosts, then DNS). */
export function systemReverse(address: string, timeoutMs: number, trace?: TraceFn): Promise<string> {
  trace?.('resolve', `getnameinfo(${address}) via the system resolver`);
  const work = new Promise<string>((resolve, reject) => {
    lookupService(address, 0, (err, hostname) => (err ? reject(err) : resolve(hostname)));
  });
  return raceDeadline(work, timeoutMs, `getnameinfo ${address}`).then((hostname) => {
    trace?.('resolve', `${address} → ${hostname}`);
    return hostname;
  });
}

/** `work` or a TIMEOUT SockkitError after `timeoutMs`, whichever comes first. */
export function raceDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(what, timeoutMs) satisfies SockkitError), timeoutMs);
  });
  work.catch(() => {}); // a failure after the deadline is no longer anyone's concern
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
