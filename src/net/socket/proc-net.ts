// Who holds a port? The answer `ss -ltnp` gives, read from Linux's /proc:
// /proc/net/{tcp,tcp6,udp,udp6} list sockets with their inode; /proc/<pid>/fd/* links
// read `socket:[inode]`. Parsing is pure (parseProcNetTable); reading is best effort:
// without Linux or without permission to read other processes' fds, it finds nothing.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { isIPv4Literal, isIPv6Literal } from '../shared/ip-literal.js';

export type SocketProtocol = 'tcp' | 'udp';

export interface ProcNetEntry {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Kernel state number: 0x0A is TCP LISTEN, 0x07 an unconnected UDP socket. */
  state: number;
  uid: number;
  inode: number;
}

export interface PortHolder {
  protocol: SocketProtocol;
  address: string;
  port: number;
  pid?: number;
  command?: string;
}

export const TCP_LISTEN = 0x0a;

/**
 * Parses the text of /proc/net/tcp, tcp6, udp or udp6. Lines that do not have the
 * expected shape are skipped, never thrown on.
 */
export function parseProcNetTable(text: string): ProcNetEntry[] {
  const entries: ProcNetEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
    if (fields.length < 10 || !/^\d+:$/.test(fields[0]!)) continue;
    const local = parseHexEndpoint(fields[1]!);
    const remote = parseHexEndpoint(fields[2]!);
    const state = /^[0-9A-Fa-f]{2}$/.test(fields[3]!) ? parseInt(fields[3]!, 16) : NaN;
    const uid = /^\d+$/.test(fields[7]!) ? Number(fields[7]) : NaN;
    const inode = /^\d+$/.test(fields[9]!) ? Number(fields[9]) : NaN;
    if (!local || !remote || Number.isNaN(state) || Number.isNaN(uid) || Number.isNaN(inode)) continue;
    entries.push({
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state,
      uid,
      inode,
    });
  }
  return entries;
}

/**
 * `0100007F:1F90` → 127.0.0.1:8080. The address is written as 32-bit words in host
 * byte order (little-endian on x86 and arm64), the port in network order.
 */
export function parseHexEndpoint(text: string): { address: string; port: number } | undefined {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(text);
  if (!m) return undefined;
  const hex = m[1]!;
  const words: Buffer[] = [];
  for (let i = 0; i < hex.length; i += 8) words.push(Buffer.from(hex.slice(i, i + 8), 'hex').reverse());
  const bytes = Buffer.concat(words);
  return { address: bytes.length === 4 ? [...bytes].join('.') : formatIpv6(bytes), port: parseInt(m[2]!, 16) };
}

function formatIpv6(bytes: Buffer): string {
  // IPv4-mapped (::ffff:a.b.c.d) reads better in dotted form, as ss shows it.
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart === -1) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

function readTable(name: string): ProcNetEntry[] {
  try {
    return parseProcNetTable(readFileSync(`/proc/net/${name}`, 'utf8'));
  } catch {
    return [];
  }
}

/** Sockets bound to `port`: TCP listeners, or UDP sockets, of both families. */
export function socketsOnPort(protocol: SocketProtocol, port: number): Array<ProcNetEntry & { protocol: SocketProtocol }> {
  const tables = protocol === 'tcp' ? ['tcp', 'tcp6'] : ['udp', 'udp6'];
  const found: Array<ProcNetEntry & { protocol: SocketProtocol }> = [];
  for (const table of tables) {
    for (const e of readTable(table)) {
      if (e.localPort !== port) continue;
      if (protocol === 'tcp' && e.state !== TCP_LISTEN) continue;
      found.push({ ...e, protocol });
    }
  }
  return found;
}

export interface SocketOwner {
  pid: number;
  command?: string;
}

/**
 * Maps socket inodes to every process holding them by scanning /proc/<pid>/fd: a
 * forked server shares one socket among several processes, and each is named. The
 * scan is bounded by the number of processes and fds on the machine; unreadable
 * entries are skipped.
 */
export function processesHoldingInodes(inodes: Iterable<number>): Map<number, SocketOwner[]> {
  const wanted = new Set<string>();
  for (const inode of inodes) if (inode > 0) wanted.add(`socket:[${inode}]`);
  const found = new Map<number, SocketOwner[]>();
  if (wanted.size === 0) return found;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return found;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    const held = new Set<number>(); // one process may hold one socket on several fds
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!wanted.has(link)) continue;
      const inode = Number(link.slice(8, -1));
      if (held.has(inode)) continue;
      held.add(inode);
      const owners = found.get(inode) ?? [];
      owners.push({ pid: Number(pid), command: readCommand(pid) });
      found.set(inode, owners);
    }
  }
  return found;
}

function readCommand(pid: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** TCP sockets of any state (connected, closing) whose local port is `port`. */
function tcpSocketsUsingPort(port: number): Array<ProcNetEntry & { protocol: SocketProtocol }> {
  return ['tcp', 'tcp6'].flatMap((t) => readTable(t).filter((e) => e.localPort === port && e.inode > 0).map((e) => ({ ...e, protocol: 'tcp' as const })));
}

/**
 * Whether a socket bound to `held` stops a bind of `wanted` on the same port (Linux):
 * the same address, or either is its family's wildcard; across families only through
 * IPv6's dual stack — `::` holds every IPv4 address too (unless it is IPV6_V6ONLY,
 * which /proc does not show; a failed bind says it is not), and `::ffff:a.b.c.d` is
 * IPv4 a.b.c.d. So a `::1` listener does not block 127.0.0.1, and 0.0.0.0 does not block ::1.
 */
export function bindConflicts(wanted: string, held: string): boolean {
  const a = bindView(wanted);
  const b = bindView(held);
  if (a === undefined || b === undefined) return true; // unreadable: do not hide it
  if (a.v4 !== undefined && b.v4 !== undefined) return a.v4 === b.v4 || a.v4 === '0.0.0.0' || b.v4 === '0.0.0.0';
  if (a.v6 !== undefined && b.v6 !== undefined) return a.v6 === b.v6 || a.v6 === '::' || b.v6 === '::';
  // One side IPv4 only: only the other's dual-stack wildcard reaches it.
  return a.v6 === '::' || b.v6 === '::';
}

/** An address as a bind sees it: IPv4 (a.b.c.d, or ::ffff:a.b.c.d), or a canonical IPv6 text. */
function bindView(address: string): { v4?: string; v6?: string } | undefined {
  if (isIPv4Literal(address)) return { v4: address };
  if (!isIPv6Literal(address)) return undefined;
  const canonical = new URL(`http://[${address.replace(/%.*$/, '')}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return { v4: [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.') };
  }
  return { v6: canonical };
}

/**
 * Who holds `port` against a bind of `address` (best effort, Linux only): every
 * socket that conflicts with it, and every process holding each (PID/command when
 * readable). Listeners first; without one, a connection using the port as its local
 * port (an outgoing connection's ephemeral port also blocks a bind).
 */
export function findPortHolders(protocol: SocketProtocol, port: number, address?: string): PortHolder[] {
  const conflicting = (s: ProcNetEntry) => address === undefined || bindConflicts(address, s.localAddress);
  let sockets = socketsOnPort(protocol, port).filter(conflicting);
  if (sockets.length === 0 && protocol === 'tcp') sockets = tcpSocketsUsingPort(port).filter(conflicting);
  return holdersOf(protocol, sockets);
}

/** One holder per (address, process): a socket held by three processes is three holders. */
function holdersOf(protocol: SocketProtocol, sockets: ProcNetEntry[]): PortHolder[] {
  const owners = processesHoldingInodes(sockets.map((s) => s.inode));
  const holders: PortHolder[] = [];
  const seen = new Set<string>();
  for (const s of sockets) {
    const processes: Array<SocketOwner | undefined> = owners.get(s.inode) ?? [undefined];
    for (const owner of processes) {
      const key = `${s.localAddress}|${s.localPort}|${owner?.pid ?? `inode ${s.inode}`}`;
      if (seen.has(key)) continue; // SO_REUSEPORT: one process may hold several sockets on one address
      seen.add(key);
      holders.push({ protocol, address: s.localAddress, port: s.localPort, pid: owner?.pid, command: owner?.command });
    }
  }
  return holders;
}

/** Ports in use in [first, last] against a bind of `address`, for `bind --range`: one read of the tables. */
export function portsInUse(protocol: SocketProtocol, first: number, last: number, address?: string): Map<number, PortHolder[]> {
  const tables = protocol === 'tcp' ? ['tcp', 'tcp6'] : ['udp', 'udp6'];
  const byPort = new Map<number, ProcNetEntry[]>();
  for (const table of tables) {
    for (const e of readTable(table)) {
      if (e.localPort < first || e.localPort > last) continue;
      if (protocol === 'tcp' && e.state !== TCP_LISTEN) continue;
      if (address !== undefined && !bindConflicts(address, e.localAddress)) continue;
      const list = byPort.get(e.localPort) ?? [];
      list.push(e);
      byPort.set(e.localPort, list);
    }
  }
  const result = new Map<number, PortHolder[]>();
  for (const [port, entries] of byPort) result.set(port, holdersOf(protocol, entries));
  return result;
}
