// RFC 862 echo over UDP: each datagram is sent back to its source, unchanged.
//
// A UDP source address is whatever the sender wrote, so an echo server is a classic
// reflector: a datagram forged to come from the server itself loops forever
// (measured before this guard: 220,736 echoes in 2 s at 97% CPU), and one forged to
// come from another echo server (or chargen, daytime...) makes the two ping-pong
// forever. Three guards, each counted by reason:
// - never answer our own address and port (a wildcard bind: any local address);
// - never answer the small services' ports (0, echo 7, discard 9, daytime 13, qotd
//   17, chargen 19, time 37), unless --allow-low-ports;
// - at most --rate-limit answers per second per source address (a token bucket, one
//   second of burst): a loop between two echo servers runs far faster than that and
//   is broken by its first dropped datagram.

import { networkInterfaces } from 'node:os';
import type { Family } from '../shared/address.js';
import { formatHostPort } from '../shared/address.js';
import { bindUdp } from '../socket/listen.js';
import { bindFailure } from '../socket/listen.js';
import type { TraceFn } from '../shared/trace.js';

export interface UdpRefusals {
  /** The source was this server's own address and port. */
  ownAddress: number;
  /** The source port was 0 or a small service's (see SMALL_SERVICE_PORTS). */
  lowPort: number;
  /** The source address was over its --rate-limit. */
  rateLimited: number;
}

export interface UdpEchoStats {
  /** Datagrams echoed (refused ones are in `refused` only). */
  datagrams: number;
  bytes: number;
  refused: UdpRefusals;
}

export interface UdpEchoPolicy {
  /** Answer sources on the small services' ports too. */
  allowLowPorts: boolean;
  /** Answers per second per source address; 0: no limit. */
  ratePerSecond: number;
}

export interface UdpEchoServer {
  port: number;
  stop(): Promise<UdpEchoStats>;
}

/** Ports of the RFC small services that answer any datagram (and port 0, never a real sender). */
export const SMALL_SERVICE_PORTS: ReadonlySet<number> = new Set([0, 7, 9, 13, 17, 19, 37]);

/** Datagrams traced one by one before tracing switches to a total at stop. */
const TRACED_DATAGRAMS = 20;

/** '::ffff:127.0.0.1' (an IPv4 sender on a dual-stack socket) → '127.0.0.1'; scope ids dropped. */
export function plainAddress(address: string): string {
  const lower = address.toLowerCase().replace(/%.*$/, '');
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

function isWildcard(address: string): boolean {
  const a = plainAddress(address);
  return a === '0.0.0.0' || a === '::' || a === '0:0:0:0:0:0:0:0';
}

/**
 * Is (address, port) this server? Bound to one address: that address and port. Bound
 * to a wildcard: the port on any local address (every interface address, and all of
 * 127/8, which Linux answers on lo). The interface list is re-read every few seconds,
 * so an address added while running is covered too.
 */
export class OwnAddress {
  private local = new Set<string>();
  private readAt = -Infinity;

  constructor(
    private readonly boundAddress: string,
    private readonly port: number,
    private readonly interfaces: () => string[] = localAddresses,
    private readonly refreshMs = 5000,
  ) {}

  matches(address: string, port: number, now = performance.now()): boolean {
    if (port !== this.port) return false;
    const source = plainAddress(address);
    if (!isWildcard(this.boundAddress)) return source === plainAddress(this.boundAddress);
    if (source.startsWith('127.') || source === '::1' || isWildcard(source)) return true;
    if (now - this.readAt >= this.refreshMs) {
      this.local = new Set(this.interfaces().map(plainAddress));
      this.readAt = now;
    }
    return this.local.has(source);
  }
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

/** Buckets kept at most; past it, buckets idle for a second (full again) are dropped. */
const MAX_BUCKETS = 65_536;

/**
 * A token bucket per source address: `ratePerSecond` tokens a second, at most one
 * second's worth saved. Memory is bounded whatever the sources (forged ones included).
 */
export class SourceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly ratePerSecond: number) {}

  allow(source: string, now = performance.now()): boolean {
    let bucket = this.buckets.get(source);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.sweep(now);
      bucket = { tokens: this.ratePerSecond, at: now };
      this.buckets.set(source, bucket);
    } else {
      bucket.tokens = Math.min(this.ratePerSecond, bucket.tokens + ((now - bucket.at) * this.ratePerSecond) / 1000);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    for (const [source, bucket] of this.buckets) if (now - bucket.at >= 1000) this.buckets.delete(source);
    if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear(); // all busy at once: a flood of sources; start over
  }
}

export type UdpRefusal = keyof UdpRefusals;

/** The guards in order; undefined: answer it. */
export function udpRefusal(
  address: string,
  port: number,
  own: OwnAddress,
  policy: UdpEchoPolicy,
  limiter: SourceRateLimiter | undefined,
): UdpRefusal | undefined {
  if (own.matches(address, port)) return 'ownAddress';
  if (!policy.allowLowPorts && SMALL_SERVICE_PORTS.has(port)) return 'lowPort';
  if (limiter && !limiter.allow(plainAddress(address))) return 'rateLimited';
  return undefined;
}

export async function startUdpEcho(
  where: { address: string; family: Family; port: number },
  policy: UdpEchoPolicy,
  onError: (what: string, err: NodeJS.ErrnoException) => void,
  trace: TraceFn,
): Promise<UdpEchoServer> {
  const socket = await bindUdp(where.address, where.family, where.port, trace).catch((err: unknown) => {
    throw bindFailure(err, { protocol: 'udp', address: where.address, port: where.port });
  });
  const port = socket.address().port;
  const own = new OwnAddress(where.address, port);
  const limiter = policy.ratePerSecond > 0 ? new SourceRateLimiter(policy.ratePerSecond) : undefined;
  const stats: UdpEchoStats = { datagrams: 0, bytes: 0, refused: { ownAddress: 0, lowPort: 0, rateLimited: 0 } };
  let received = 0;
  // A send error (e.g. ICMP port unreachable reported back) concerns one peer only.
  socket.on('error', (err: NodeJS.ErrnoException) => onError('send', err));
  socket.on('message', (msg, rinfo) => {
    received++;
    const traced = trace !== undefined && received <= TRACED_DATAGRAMS;
    const from = traced ? formatHostPort(rinfo.address, rinfo.port) : '';
    if (traced) trace('recv', `${msg.length} bytes from ${from}${received === TRACED_DATAGRAMS ? ' (further datagrams: totals at stop)' : ''}`);
    const refusal = udpRefusal(rinfo.address, rinfo.port, own, policy, limiter);
    if (refusal !== undefined) {
      stats.refused[refusal]++;
      if (traced) trace('drop', `${from}: ${REFUSAL_TEXT[refusal]}`);
      return;
    }
    stats.datagrams++;
    stats.bytes += msg.length;
    if (traced) trace('send', `${msg.length} bytes to ${from}`);
    socket.send(msg, rinfo.port, rinfo.address);
  });
  return {
    port,
    stop: () =>
      new Promise<UdpEchoStats>((resolve) => {
        const { ownAddress, lowPort, rateLimited } = stats.refused;
        trace('close', `udp: ${stats.datagrams} datagrams, ${stats.bytes} bytes echoed; not answered: ${ownAddress} own address, ${lowPort} low port, ${rateLimited} rate-limited`);
        socket.close(() => resolve(stats));
      }),
  };
}

const REFUSAL_TEXT: Record<UdpRefusal, string> = {
  ownAddress: 'source is this server itself (a forged loop), not answered',
  lowPort: 'source port is a small service (echo/chargen loop), not answered (--allow-low-ports)',
  rateLimited: 'source over --rate-limit, not answered',
};
