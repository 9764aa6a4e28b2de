// This machine's names and addresses: the host name, its fully qualified name (from
// the hosts file, else the system resolver), and the interface addresses.
// Kept light on purpose: `sockkit hostname` must start about as fast as plain node,
// so the hosts-file parser loads only when asked, and the plain form does not load this
// module at all (src/fast-path.ts). node:fs/promises and node:dns/promises (about 1.7 ms)
// are imported statically because V8's code cache, which bin/sockkit uses, cannot run a
// dynamic import().
import { systemLookup, systemReverse } from '../socket/lookup.js';
import { readBoundedFile } from '../shared/read-input.js';
import { hostname as osHostname, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { timeoutError, toSockkitError } from '../shared/errors.js';
import { noTrace, type TraceFn } from '../shared/trace.js';

/** The host name, as `hostname` and Python's `socket.gethostname()` print it. */
export function getHostname(): string {
  return osHostname();
}

export type AddressScope = 'host' | 'link' | 'site' | 'global';

export interface InterfaceAddress {
  name: string;
  family: 'IPv4' | 'IPv6';
  address: string;
  /** address/prefix, e.g. 192.0.2.2/24 */
  cidr: string;
  mac: string;
  internal: boolean;
  scope: AddressScope;
}

/**
 * Every address of every interface that is up, in interface order. `raw` defaults to
 * os.networkInterfaces() (libuv lists only interfaces that are up and running).
 */
export function listInterfaces(raw: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): InterfaceAddress[] {
  const result: InterfaceAddress[] = [];
  for (const [name, infos] of Object.entries(raw)) {
    for (const info of infos ?? []) {
      // Node < 18.4 reported family as a number; normalise both forms.
      const family = info.family === 'IPv6' || (info.family as unknown) === 6 ? 'IPv6' : 'IPv4';
      result.push({
        name,
        family,
        address: info.address,
        cidr: info.cidr ?? info.address,
        mac: info.mac,
        internal: info.internal,
        scope: addressScope(info.address, family),
      });
    }
  }
  return result;
}

/**
 * The scope of an address by its range, as `ip addr` names them: loopback is host,
 * 169.254/16 and fe80::/10 are link, the deprecated fec0::/10 is site, the rest global
 * (private and ULA ranges included: they route beyond the link).
 */
export function addressScope(address: string, family: 'IPv4' | 'IPv6'): AddressScope {
  if (family === 'IPv4') {
    if (address.startsWith('127.')) return 'host';
    if (address.startsWith('169.254.')) return 'link';
    return 'global';
  }
  const a = address.toLowerCase().split('%')[0]!;
  if (a === '::1') return 'host';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return addressScope(mapped[1]!, 'IPv4');
  const first = parseInt(a.split(':')[0] || '0', 16);
  if ((first & 0xffc0) === 0xfe80) return 'link';
  if ((first & 0xffc0) === 0xfec0) return 'site';
  return 'global';
}

/** The addresses `hostname -I` prints: no loopback, no link-local; IPv4 first. */
export function hostAddresses(interfaces: InterfaceAddress[]): string[] {
  const usable = interfaces.filter((i) => i.scope !== 'host' && i.scope !== 'link' && !i.internal);
  return [...usable.filter((i) => i.family === 'IPv4'), ...usable.filter((i) => i.family === 'IPv6')].map((i) => i.address);
}

export type FqdnResult =
  | { status: 'resolved'; fqdn: string; /** '/etc/hosts' (the file read) or 'dns' */ source: string }
  | { status: 'unresolved'; reason: string; code: 'NOT_FOUND' | 'TIMEOUT' | 'UNREACHABLE' | 'PROTOCOL' };

export interface FqdnOptions {
  /** The hosts file to consult first (tests point it at a fixture). */
  hostsFile?: string;
  timeoutMs: number;
  trace: TraceFn;
  /** System resolver hooks (tests); by default getaddrinfo and getnameinfo (socket/lookup.ts), bounded by timeoutMs. */
  lookupAddresses?: (name: string) => Promise<string[]>;
  reverseLookup?: (address: string) => Promise<string>;
}

export const DEFAULT_HOSTS_FILE = '/etc/hosts';
const MAX_HOSTS_FILE_BYTES = 16 * 1024 * 1024;

/**
 * The fully qualified name of `host`, the way `hostname -f` finds it: the canonical
 * name of the first hosts-file line listing the host; otherwise the system resolver
 * (address, then the address's name), accepted only when its first label is the host
 * name's. Never waits longer than `timeoutMs`; an answer that does not come in time is
 * "unresolved", not a hang.
 */
export async function lookupFqdn(host: string, options: FqdnOptions): Promise<FqdnResult> {
  const trace = options.trace;
  const hostsFile = options.hostsFile ?? DEFAULT_HOSTS_FILE;
  const fromHosts = await canonicalFromHostsFile(hostsFile, host, trace);
  if (fromHosts) return { status: 'resolved', fqdn: fromHosts, source: hostsFile };
  return fqdnFromResolver(host, options, trace);
}

async function canonicalFromHostsFile(path: string, host: string, trace: TraceFn): Promise<string | undefined> {
  const { parseHostsFile, canonicalNameFromHosts } = await import('./hosts-file.js');
  let text: string;
  try {
    // A hosts file is small; a device or an endless FIFO in its place is not read on and on.
    text = (await readBoundedFile(path, MAX_HOSTS_FILE_BYTES)).toString('utf8');
  } catch (err) {
    trace('read', `${path}: cannot read (${toSockkitError(err, path).why})`);
    return undefined;
  }
  const entry = canonicalNameFromHosts(parseHostsFile(text), host);
  trace('resolve', entry ? `${path}: ${host} → ${entry.canonical} (${entry.address})` : `${path}: no line lists ${host}`);
  return entry?.canonical;
}

async function fqdnFromResolver(host: string, options: FqdnOptions, trace: TraceFn): Promise<FqdnResult> {
  const lookupAddresses = options.lookupAddresses ?? (async (name: string) => (await systemLookup(name, undefined, options.timeoutMs, trace)).map((a) => a.address));
  const reverseLookup = options.reverseLookup ?? ((address: string) => systemReverse(address, options.timeoutMs, trace));
  let timer: NodeJS.Timeout | undefined;
  // getaddrinfo cannot be cancelled: stop waiting for it instead (main exits when done).
  const deadline = new Promise<FqdnResult>((resolve) => {
    timer = setTimeout(() => {
      const err = timeoutError(`fqdn of '${host}'`, options.timeoutMs);
      trace('resolve', `system resolver: ${err.why}`);
      resolve({ status: 'unresolved', reason: err.why, code: 'TIMEOUT' });
    }, options.timeoutMs);
  });
  const work = (async (): Promise<FqdnResult> => {
    trace('resolve', `system resolver: ${host}`);
    let addresses: string[];
    try {
      addresses = await lookupAddresses(host);
    } catch (err) {
      const failure = toSockkitError(err, `resolve ${host}`);
      if (failure.code === 'TIMEOUT' || failure.code === 'UNREACHABLE' || failure.code === 'PROTOCOL') {
        return { status: 'unresolved', reason: failure.why, code: failure.code };
      }
      const errno = ((failure.cause ?? err) as NodeJS.ErrnoException).code;
      return { status: 'unresolved', reason: `${host} has no address (${errno ?? failure.why})`, code: 'NOT_FOUND' };
    }
    trace('resolve', `system resolver: ${host} → ${addresses.join(', ') || 'no address'}`);
    const seen: string[] = [];
    for (const address of addresses) {
      let name: string;
      try {
        name = (await reverseLookup(address)).replace(/\.$/, '');
      } catch {
        continue;
      }
      trace('resolve', `system resolver: ${address} → ${name}`);
      if (firstLabel(name) === firstLabel(host)) return { status: 'resolved', fqdn: name, source: 'dns' };
      seen.push(`${address} is ${name}`);
    }
    const why = seen.length ? `no name of ${host}'s addresses starts with ${firstLabel(host)} (${seen.join('; ')})` : `no name for ${host}'s addresses`;
    return { status: 'unresolved', reason: why, code: 'NOT_FOUND' };
  })();
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function firstLabel(name: string): string {
  return name.split('.')[0]!.toLowerCase();
}
