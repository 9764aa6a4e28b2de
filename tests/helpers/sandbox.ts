// The loopback-only test world (scripts/sandbox.sh): `npm test` runs inside a network
// namespace with only loopback, where /etc/resolv.conf points at nothing. A test that
// needs the system resolver to behave a certain way (never answer, refuse at once)
// runs one sockkit process in a further mount namespace with its own resolv.conf
// (`resolvConf` of runSockkit), and answers, or not, from a socket of its own on a
// 127.x address. Outside the sandbox those tests skip loudly (fail under
// SOCKKIT_REQUIRE_PEERS=1): without it they would send queries off the machine.
import { describe, test } from '@jest/globals';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { decodeMessage } from '../../src/net/dns/packet.js';
import { startRecordingDnsServer } from './dns-server.js';

/** True inside scripts/sandbox.sh's namespace, checked: only loopback interfaces exist. */
export function inSandbox(): boolean {
  if (process.env.SOCKKIT_SANDBOX !== '1') return false;
  return Object.values(networkInterfaces()).every((addresses) => (addresses ?? []).every((a) => a.internal));
}

/** `describe` inside the sandbox; otherwise skip loudly, or fail when peers are required (CI). */
export function describeInSandbox(title: string, body: () => void): void {
  if (inSandbox()) {
    describe(title, body);
    return;
  }
  const message = `NOT SANDBOXED: "${title}" needs a resolver of its own — run npm test as root (scripts/sandbox.sh)`;
  if (process.env.SOCKKIT_REQUIRE_PEERS === '1') {
    describe(title, () => {
      test('runs inside the loopback-only sandbox', () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`\n*** ${message} — SKIPPING ***\n`);
  describe.skip(title, body);
}

/**
 * spawn()'s file and arguments for `file args` with `resolvConf` bound over
 * /etc/resolv.conf, and `hostsFile` over /etc/hosts when given (one process tree only).
 */
export function withResolvConf(resolvConf: string, file: string, args: string[], hostsFile?: string): [string, string[]] {
  const unshare = ['-m', '--propagation', 'private', '--', 'sh', '-c'];
  if (!hostsFile) return ['unshare', [...unshare, 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolvConf, file, ...args]];
  const script = 'mount --bind "$0" /etc/resolv.conf && mount --bind "$1" /etc/hosts && shift && exec "$@"';
  return ['unshare', [...unshare, script, resolvConf, hostsFile, file, ...args]];
}

/** A random 127.x.y.z address, so that resolvers of tests running at once never share port 53. */
export function randomLoopbackAddress(): string {
  const byte = () => 1 + Math.floor(Math.random() * 254);
  return `127.${byte()}.${byte()}.${byte()}`;
}

export interface TestResolver {
  /** The resolv.conf file naming it. */
  resolvConf: string;
  address: string;
  /** Queries that reached it (UDP datagrams and TCP connections). */
  queries: number;
  /** The question names of the UDP queries that reached it (lower case, with the trailing dot). */
  received: string[];
  close(): Promise<void>;
}

/**
 * A resolver on port 53 of a fresh 127.x address. `silent` reads every query and never
 * answers (a resolver that hangs); `refusing` listens on nothing, so every query gets an
 * ICMP port unreachable at once (what a dead local stub gives); `answering` answers
 * (tests/helpers/dns-server.ts: A 192.0.2.1, TXT naming itself, NODATA for the rest).
 */
export async function startTestResolver(kind: 'silent' | 'refusing' | 'answering', options = 'timeout:30 attempts:5'): Promise<TestResolver> {
  const address = randomLoopbackAddress();
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-resolver-'));
  const resolvConf = join(dir, 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${address}\noptions ${options}\n`);
  if (kind === 'answering') {
    const server = await startRecordingDnsServer({ address, port: 53 });
    return {
      resolvConf,
      address,
      get queries() {
        return server.received.length;
      },
      get received() {
        return server.received.map((q) => q.name.toLowerCase());
      },
      async close() {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  let udp: UdpSocket | undefined;
  let tcp: Server | undefined;
  const sockets = new Set<Socket>();
  const resolver: TestResolver = {
    resolvConf,
    address,
    queries: 0,
    received: [],
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([
        udp ? new Promise<void>((resolve) => udp!.close(() => resolve())) : undefined,
        tcp ? new Promise<void>((resolve) => tcp!.close(() => resolve())) : undefined,
      ]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (kind === 'silent') {
    udp = createSocket('udp4');
    udp.on('message', (msg: Buffer) => {
      resolver.queries++;
      resolver.received.push(questionName(msg));
    });
    await new Promise<void>((resolve, reject) => {
      udp!.once('error', reject);
      udp!.bind(53, address, () => resolve());
    });
    tcp = createServer((socket) => {
      resolver.queries++;
      sockets.add(socket);
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      tcp!.once('error', reject);
      tcp!.listen(53, address, () => resolve());
    });
  }
  return resolver;
}

/** The first question's name of a query, lower case ('' when it cannot be read). */
function questionName(msg: Buffer): string {
  try {
    return decodeMessage(msg).questions[0]?.name.toLowerCase() ?? '';
  } catch {
    return '';
  }
}
