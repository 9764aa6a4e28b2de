// Renderers for `sockkit hostname`. The default form is one line and imports nothing
// heavy: it is on the start-up path the benchmark measures.
import type { FqdnResult, InterfaceAddress } from '../net/host/hostname.js';
import type { Terminal } from './terminal.js';
import { paint } from './style.js';
import { printJson, printTable } from './render.js';

/** The default output: the host name on one line (TTY or piped alike). */
export function printHostname(term: Terminal, hostname: string): void {
  term.out(hostname);
}

/** `--fqdn`: "name (from source)" on a TTY, `name<TAB>source` when piped; nothing when unresolved. */
export function printFqdn(term: Terminal, fqdn: FqdnResult): void {
  if (fqdn.status !== 'resolved') return; // the command reports it as an error line on stderr
  if (term.isStdoutTTY) term.out(`${fqdn.fqdn} ${paint(term, 'dim', `(from ${fqdn.source})`)}`);
  else term.out(`${fqdn.fqdn}\t${fqdn.source}`);
}

/** `--ips`: one address per line. */
export function printAddresses(term: Terminal, addresses: string[]): void {
  for (const a of addresses) term.out(a);
}

/** `--all`: a table of interface addresses on a TTY, tab-separated lines when piped. */
export async function printInterfaces(term: Terminal, interfaces: InterfaceAddress[]): Promise<void> {
  await printTable<InterfaceAddress>(
    term,
    [
      { header: 'interface', value: (i) => i.name, style: () => 'bold' },
      { header: 'family', value: (i) => i.family },
      { header: 'address/cidr', value: (i) => i.cidr, style: (i) => (i.scope === 'global' ? 'green' : undefined) },
      { header: 'mac', value: (i) => i.mac },
      { header: 'scope', value: (i) => i.scope },
      { header: 'internal', value: (i) => (i.internal ? 'yes' : 'no') },
    ],
    interfaces,
  );
}

export interface HostnameJson {
  hostname: string;
  fqdn?: string | null;
  /** '/etc/hosts', 'dns' or 'unresolved' */
  fqdnSource?: string;
  fqdnError?: string;
  ips?: string[];
  interfaces: InterfaceAddress[];
}

/** `--json`: one document; the fqdn fields only when --fqdn asked for them, ips only with --ips. */
export function hostnameJson(hostname: string, interfaces: InterfaceAddress[], fqdn?: FqdnResult, ips?: string[]): HostnameJson {
  const fqdnFields: Partial<HostnameJson> =
    fqdn === undefined
      ? {}
      : fqdn.status === 'resolved'
        ? { fqdn: fqdn.fqdn, fqdnSource: fqdn.source }
        : { fqdn: null, fqdnSource: 'unresolved', fqdnError: fqdn.reason };
  return {
    hostname,
    ...fqdnFields,
    ...(ips ? { ips } : {}),
    interfaces: interfaces.map(({ name, family, address, cidr, mac, internal, scope }) => ({ name, family, address, cidr, mac, internal, scope })),
  };
}

export function printHostnameJson(term: Terminal, doc: HostnameJson): void {
  printJson(term, doc);
}
