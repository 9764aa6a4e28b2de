// RFC 862 echo over UDP: each datagram is sent back to its source, unchanged.

import type { Family } from './address.js';
import { formatHostPort } from './address.js';
import { bindUdp } from './bind.js';
import { bindFailure } from './bind.js';
import type { TraceFn } from './trace.js';

export interface UdpEchoStats {
  datagrams: number;
  bytes: number;
}

export interface UdpEchoServer {
  port: number;
  stop(): Promise<UdpEchoStats>;
}

/** Datagrams traced one by one before tracing switches to a total at stop. */
const TRACED_DATAGRAMS = 20;

export async function startUdpEcho(
  where: { address: string; family: Family; port: number },
  onError: (what: string, err: NodeJS.ErrnoException) => void,
  trace?: TraceFn,
): Promise<UdpEchoServer> {
  const socket = await bindUdp(where.address, where.family, where.port, trace ?? (() => {})).catch((err: unknown) => {
    throw bindFailure(err, { protocol: 'udp', address: where.address, port: where.port });
  });
  const stats: UdpEchoStats = { datagrams: 0, bytes: 0 };
  // A send error (e.g. ICMP port unreachable reported back) concerns one peer only.
  socket.on('error', (err: NodeJS.ErrnoException) => onError('send', err));
  socket.on('message', (msg, rinfo) => {
    stats.datagrams++;
    stats.bytes += msg.length;
    if (trace && stats.datagrams <= TRACED_DATAGRAMS) {
      trace('recv', `${msg.length} bytes from ${formatHostPort(rinfo.address, rinfo.port)}${stats.datagrams === TRACED_DATAGRAMS ? ' (further datagrams: totals at stop)' : ''}`);
      trace('send', `${msg.length} bytes to ${formatHostPort(rinfo.address, rinfo.port)}`);
    }
    socket.send(msg, rinfo.port, rinfo.address);
  });
  return {
    port: socket.address().port,
    stop: () =>
      new Promise<UdpEchoStats>((resolve) => {
        trace?.('close', `udp: ${stats.datagrams} datagrams, ${stats.bytes} bytes echoed`);
        socket.close(() => resolve(stats));
      }),
  };
}

