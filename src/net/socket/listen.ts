// The listening side of the socket layer: bind one TCP or UDP socket (`sockkit bind`,
// echo-server, threaded-server's primary), and when the kernel refuses, say why and
// who holds the port. Node cannot bind a TCP socket without also listening (net.Server
// has no bare bind), so a TCP bind here is bind + listen, and the result says so.
import { createServer, type Server } from 'node:net';
import { ipFamily } from '../shared/ip-literal.js';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { SockkitError, toSockkitError, usageError, withMeasured } from '../shared/errors.js';
import { formatHostPort, validateHostName, type Family } from '../shared/address.js';
import { findPortHolders, portsInUse, type PortHolder, type SocketProtocol } from './proc-net.js';
import { noTrace, type TraceFn } from '../shared/trace.js';
import { lookupHost } from './lookup.js';

export interface BindOptions {
  protocol: SocketProtocol;
  /** Undefined: every interface of the family (0.0.0.0, or :: with family 6). */
  host?: string;
  port: number;
  family?: Family;
  backlog?: number;
  /** The budget of a host name's lookup (default 5 s). */
  lookupTimeoutMs?: number;
}

export interface BindResult {
  protocol: SocketProtocol;
  family: Family;
  address: string;
  port: number;
  /** True when the host was not given and the wildcard address was used. */
  allInterfaces: boolean;
  /** TCP only: Node binds and listens in one call. */
  listening: boolean;
  backlog?: number;
}

export interface BoundSocket extends BindResult {
  close(): Promise<void>;
}

export const DEFAULT_BIND_BACKLOG = 511;

/** The address to bind: the host given (an IP, or a name resolved once), or the wildcard. */
/** How long a bind host name may take to resolve when the command names no budget. */
const BIND_LOOKUP_TIMEOUT_MS = 5000;

export async function resolveBindHost(
  host: string | undefined,
  family: Family | undefined,
  trace: TraceFn,
  timeoutMs = BIND_LOOKUP_TIMEOUT_MS,
): Promise<{ address: string; family: Family; allInterfaces: boolean }> {
  if (host === undefined) {
    const f = family ?? 4;
    return { address: f === 6 ? '::' : '0.0.0.0', family: f, allInterfaces: true };
  }
  // Here -4/-6 says which addresses to listen on, hence its own wording.
  const literal = ipFamily(host);
  if (literal) {
    if (family && literal !== family) throw usageError(`bad host '${host}'`, `not an IPv${family} address (-${family} was given)`);
    return { address: host, family: literal as Family, allInterfaces: false };
  }
  // "999.1.1.1" is a legal host name, but nobody means a name by it: refuse it rather
  // than send it to a DNS server.
  if (/^[\d.]+$/.test(host)) throw usageError(`bad host '${host}'`, 'not a valid IPv4 address');
  validateHostName(host);
  try {
    const [first] = await lookupHost(host, family, timeoutMs, trace, `bad host '${host}'`);
    return { address: first!.address, family: first!.family, allInterfaces: false };
  } catch (err) {
    throw toSockkitError(err, `resolve ${host}`);
  }
}

/** Binds (and for TCP listens); the caller closes the returned socket. */
export async function bindSocket(options: BindOptions, trace: TraceFn): Promise<BoundSocket> {
  const where = await resolveBindHost(options.host, options.family, trace, options.lookupTimeoutMs);
  try {
    if (options.protocol === 'tcp') {
      const backlog = options.backlog ?? DEFAULT_BIND_BACKLOG;
      const server = await listenTcp(where.address, options.port, backlog, trace);
      const port = (server.address() as { port: number }).port;
      return {
        protocol: 'tcp',
        family: where.family,
        address: where.address,
        port,
        allInterfaces: where.allInterfaces,
        listening: true,
        backlog,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    }
    const socket = await bindUdp(where.address, where.family, options.port, trace);
    return {
      protocol: 'udp',
      family: where.family,
      address: where.address,
      port: socket.address().port,
      allInterfaces: where.allInterfaces,
      listening: false,
      close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
    };
  } catch (err) {
    throw bindFailure(err, { protocol: options.protocol, address: where.address, port: options.port });
  }
}

export function listenTcp(
  address: string,
  port: number,
  backlog: number,
  trace: TraceFn,
  server: Server = createServer(),
  ipv6Only?: boolean,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    trace('socket', `tcp${ipFamily(address) === 6 ? '6' : '4'} stream`);
    trace('bind', formatHostPort(address, port));
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host: address, port, backlog, ipv6Only }, () => {
      server.off('error', onError);
      const bound = server.address() as { port: number };
      trace('listen', `${formatHostPort(address, bound.port)} backlog ${backlog} (the kernel caps it at net.core.somaxconn)`);
      resolve(server);
    });
  });
}

export function bindUdp(address: string, family: Family, port: number, trace: TraceFn): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    trace('socket', `udp${family} datagram`);
    trace('bind', formatHostPort(address, port));
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    const onError = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      trace('bound', formatHostPort(address, socket.address().port));
      resolve(socket);
    });
  });
}

/** The first port below which binding needs privilege (Linux sysctl; 1024 elsewhere). */
export function unprivilegedPortStart(): number {
  try {
    const n = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
    return Number.isInteger(n) ? n : 1024;
  } catch {
    return 1024;
  }
}

export interface BindTarget {
  protocol: SocketProtocol;
  address: string;
  port: number;
}

/**
 * Turns a failed bind into the error the user sees: who holds a port in use (read
 * from /proc when possible, like `ss -ltnp`), why a low port is refused.
 */
export function bindFailure(
  err: unknown,
  target: BindTarget,
  lookupHolders: (target: BindTarget) => PortHolder[] = (t) => findPortHolders(t.protocol, t.port, t.address),
  privilegedBelow: () => number = unprivilegedPortStart,
): SockkitError {
  const what = `bind ${target.protocol} ${formatHostPort(target.address, target.port)}`;
  const measured = { protocol: target.protocol, address: target.address, port: target.port };
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    const holders = target.port === 0 ? [] : lookupHolders(target);
    const failure = new SockkitError(
      'ADDRESS_UNAVAILABLE',
      what,
      holders.length ? `address already in use by ${holders.map(describeHolder).join(', ')}` : 'address already in use',
      holders.length ? undefined : 'see who holds it with: ss -ltnup',
      { cause: err },
    );
    return withMeasured(failure, { ...measured, holders: holders.map(holderJson) });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    const limit = privilegedBelow();
    const low = target.port > 0 && target.port < limit;
    const failure = new SockkitError(
      'ADDRESS_UNAVAILABLE',
      what,
      low ? `permission denied: ports below ${limit} need privilege` : 'permission denied',
      low ? 'run as root, grant CAP_NET_BIND_SERVICE, or pick a port from 1024 up' : undefined,
      { cause: err },
    );
    return withMeasured(failure, measured);
  }
  return withMeasured(toSockkitError(err, what), measured);
}

/** A holder as --json shows it. */
export function holderJson(h: PortHolder): { address: string; port: number; pid: number | null; command: string | null } {
  return { address: h.address, port: h.port, pid: h.pid ?? null, command: h.command ?? null };
}

export function describeHolder(h: PortHolder): string {
  const proc = h.pid !== undefined ? `${h.command ?? 'process'} (pid ${h.pid})` : 'another socket (process not readable)';
  return `${proc} on ${formatHostPort(h.address, h.port)}`;
}

export interface PortRangeScan {
  protocol: SocketProtocol;
  family: Family;
  address: string;
  allInterfaces: boolean;
  first: number;
  last: number;
  free: number[];
  inUse: Array<{ port: number; holders: PortHolder[] }>;
  /** Refused with EACCES: below the unprivileged port start, not held by anyone. */
  needsPrivilege: number[];
}

/** Never probe more ports than this in one call: each probe is a bind + close. */
export const MAX_RANGE_PORTS = 10000;

/** What a failed probe of `bind --range` says about its port; undefined: not a fact about the port. */
export function probeOutcome(err: unknown): 'in use' | 'needs privilege' | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return 'in use';
  if (code === 'EACCES' || code === 'EPERM') return 'needs privilege';
  return undefined;
}

/** Tries each port of [first, last] in turn (bind, close) and lists the free ones. */
export async function scanPortRange(
  options: { protocol: SocketProtocol; host?: string; family?: Family; first: number; last: number; lookupTimeoutMs?: number },
  signal: AbortSignal | undefined,
  trace: TraceFn,
): Promise<PortRangeScan> {
  const count = options.last - options.first + 1;
  if (options.first < 1) throw usageError(`bad port range ${options.first}-${options.last}`, 'ports start at 1');
  if (count > MAX_RANGE_PORTS) {
    throw usageError(`bad port range ${options.first}-${options.last}`, `${count} ports; at most ${MAX_RANGE_PORTS} are scanned in one call`);
  }
  const where = await resolveBindHost(options.host, options.family, trace, options.lookupTimeoutMs);
  const free: number[] = [];
  const busy: number[] = [];
  const needsPrivilege: number[] = [];
  for (let port = options.first; port <= options.last; port++) {
    if (signal?.aborted) throw signal.reason;
    try {
      if (options.protocol === 'tcp') {
        const server = await listenTcp(where.address, port, 1, noTrace);
        await new Promise<void>((resolve) => server.close(() => resolve()));
      } else {
        const socket = await bindUdp(where.address, where.family, port, noTrace);
        await new Promise<void>((resolve) => socket.close(() => resolve()));
      }
      free.push(port);
    } catch (err) {
      const outcome = probeOutcome(err);
      if (outcome === undefined) throw bindFailure(err, { protocol: options.protocol, address: where.address, port });
      (outcome === 'in use' ? busy : needsPrivilege).push(port);
    }
  }
  trace('scan', `${count} ports tried, ${free.length} free, ${busy.length} in use, ${needsPrivilege.length} need privilege`);
  const holders = busy.length ? portsInUse(options.protocol, options.first, options.last, where.address) : new Map<number, PortHolder[]>();
  return {
    protocol: options.protocol,
    family: where.family,
    address: where.address,
    allInterfaces: where.allInterfaces,
    first: options.first,
    last: options.last,
    free,
    inUse: busy.map((port) => ({ port, holders: holders.get(port) ?? [] })),
    needsPrivilege,
  };
}

/**
 * Keeps the listener open until a poll phase accepts nothing more (bounded by `limitMs`).
 * libuv accepts one connection per event-loop turn (measured on Node 20: 200 clients
 * that had all connected were accepted one per turn, and at a stop 84 of them were
 * still queued); a turn that accepts nothing means the kernel's queue is empty.
 */
export async function acceptQueued(accepted: () => number, limitMs: number): Promise<void> {
  const until = performance.now() + limitMs;
  let before: number;
  do {
    before = accepted();
    await afterOnePoll();
  } while (accepted() !== before && performance.now() < until);
}

/** Resolves after the event loop has been through at least one more poll phase. */
function afterOnePoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
