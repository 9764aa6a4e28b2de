// Renderers for `sockkit bind`: what was bound (fields / JSON), and a port-range scan.
import type { BindResult, PortRangeScan } from '../net/socket/listen.js';
import type { UnixBindResult } from '../net/socket/unix.js';
import { describeHolder, holderJson } from '../net/socket/listen.js';
import { formatHostPort } from '../net/shared/address.js';
import type { Terminal } from './terminal.js';
import { printFields, printJson, printTable } from './render.js';

export interface BindReport extends BindResult {
  requestedPort: number;
  held: boolean;
}

function addressNote(r: { address: string; allInterfaces: boolean; family: 4 | 6 }): string {
  if (!r.allInterfaces) return r.address;
  return r.family === 6 ? `${r.address} (all interfaces, IPv6 and IPv4-mapped)` : `${r.address} (all IPv4 interfaces)`;
}

function stateNote(r: BindReport): string {
  if (r.protocol === 'udp') return 'bound';
  return `bound and listening, backlog ${r.backlog} (Node cannot bind TCP without listen)`;
}

export function bindJson(r: BindReport) {
  return {
    protocol: r.protocol,
    family: r.family,
    address: r.address,
    port: r.port,
    requestedPort: r.requestedPort,
    allInterfaces: r.allInterfaces,
    listening: r.listening,
    ...(r.backlog !== undefined ? { backlog: r.backlog } : {}),
    held: r.held,
  };
}

export async function printBindResult(term: Terminal, r: BindReport): Promise<void> {
  if (term.json) return printJson(term, bindJson(r));
  await printFields(term, [
    ['protocol', r.protocol.toUpperCase()],
    ['family', `IPv${r.family}`],
    ['address', addressNote(r)],
    ['port', r.requestedPort === 0 ? `${r.port} (ephemeral, chosen by the kernel)` : r.port],
    ['state', stateNote(r)],
  ]);
}

export function printHolding(term: Terminal, what: string): void {
  term.note(`holding ${what} until Ctrl-C or SIGTERM`);
}

export async function printUnixBindResult(term: Terminal, r: UnixBindResult & { held: boolean }): Promise<void> {
  const { protocol, path, abstract, mode, owner, group, listening, backlog, held } = r;
  if (term.json) return printJson(term, { protocol, path, abstract, mode, owner, group, listening, backlog, held });
  await printFields(term, [
    ['protocol', 'UNIX (stream)'],
    ['path', abstract ? `${path} (abstract namespace: no file)` : path],
    ['permissions', abstract ? 'none: any local process may connect' : `${mode} ${owner} ${group}`],
    ['state', `bound and listening, backlog ${backlog} (Node cannot bind without listen)`],
  ]);
}

/** bind --udp --unix: the datagram socket's path and who may send to it. */
export async function printUnixDatagramBindResult(
  term: Terminal,
  r: { protocol: 'unix'; type: 'datagram'; path: string; mode: string | null; owner: string | null; group: string | null; held: boolean },
): Promise<void> {
  if (term.json) return printJson(term, r);
  await printFields(term, [
    ['protocol', 'UNIX (datagram)'],
    ['path', r.path],
    ['permissions', `${r.mode} ${r.owner} ${r.group}`],
    ['state', 'bound (a datagram socket has no listen)'],
  ]);
}

export async function printRangeScan(term: Terminal, scan: PortRangeScan): Promise<void> {
  const inUse = new Map(scan.inUse.map((u) => [u.port, u.holders]));
  if (term.json) {
    return printJson(term, {
      protocol: scan.protocol,
      family: scan.family,
      address: scan.address,
      allInterfaces: scan.allInterfaces,
      first: scan.first,
      last: scan.last,
      free: scan.free,
      inUse: scan.inUse.map((u) => ({ port: u.port, holders: u.holders.map(holderJson) })),
      needsPrivilege: scan.needsPrivilege,
    });
  }
  type Row = { port: number; state: string; holder: string };
  const rows: Row[] = [];
  const denied = new Set(scan.needsPrivilege);
  for (let port = scan.first; port <= scan.last; port++) {
    const holders = inUse.get(port);
    if (denied.has(port)) rows.push({ port, state: 'needs privilege', holder: '' });
    else if (holders === undefined) rows.push({ port, state: 'free', holder: '' });
    else rows.push({ port, state: 'in use', holder: holders.map(describeHolder).join(', ') });
  }
  if (term.isStdoutTTY) {
    term.out(
      `${scan.free.length} of ${rows.length} ${scan.protocol.toUpperCase()} ports free on ${addressNote(scan)} in ${scan.first}-${scan.last}`,
    );
  }
  await printTable(
    term,
    [
      { header: 'port', value: (r: Row) => r.port, align: 'right' },
      { header: 'state', value: (r: Row) => r.state, style: (r: Row) => (r.state === 'free' ? 'green' : r.state === 'in use' ? 'yellow' : 'dim') },
      { header: 'held by', value: (r: Row) => r.holder },
    ],
    rows,
  );
}
