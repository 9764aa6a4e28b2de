// Free loopback ports for peers started by tests (bind port 0, read it, close).
import { connect, createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';

export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `count` different free TCP ports, each held open until all are found: one at a time,
 * a port just closed can come back from the next bind (nginx then merged a plain and a
 * TLS server on one port and refused its config).
 */
export async function freeTcpPorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, resolve);
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** A port free for both TCP and UDP on 127.0.0.1 (and ::1 when asked). */
export async function freePort(alsoIpv6 = false): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freeTcpPort();
    if ((await udpFree(port, 'udp4', '127.0.0.1')) && (!alsoIpv6 || (await udpFree(port, 'udp6', '::1')))) return port;
  }
  throw new Error('no free port found in 20 attempts');
}

function udpFree(port: number, type: 'udp4' | 'udp6', host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(type);
    socket.once('error', () => resolve(false));
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

/** Whether something accepts a TCP connection on 127.0.0.1:`port` now (a peer started and listening). */
export function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
