// sockkit echo-server: RFC 862 echo over TCP and/or UDP until Ctrl-C / SIGTERM.
import { defineCommand, familyOf } from './common.js';
import { FAMILY_CONFLICT, FAMILY_OPTIONS } from './options.js';
import { parsePort } from '../net/shared/address.js';
import { usageError } from '../net/shared/errors.js';
import { resolveBindHost } from '../net/socket/listen.js';
import { startEchoServer } from '../net/echo/server.js';
import { createEchoEventPrinter } from '../output/echo-server.js';
import { parseUnixAddress, type UnixAddress } from '../net/socket/unix.js';
import { TLS_SERVER_OPTIONS, tlsServerFromArgs, type TlsServerArgs } from './tls-flags.js';

interface EchoServerArgs extends TlsServerArgs {
  unix?: string;
  unlink?: boolean;
  host?: string;
  port: string;
  tcp?: boolean;
  udp?: boolean;
  backlog: number;
  'max-conns'?: number;
  'idle-timeout'?: number;
  'max-bytes'?: number;
  'log-connections': boolean;
  'allow-low-ports'?: boolean;
  /** Datagrams a second; text on the command line, a number once checked (limits.ts). */
  'rate-limit': number;
  ipv4?: boolean;
  ipv6?: boolean;
}

export const DEFAULT_ECHO_BACKLOG = 4096;
/**
 * UDP answers per second per source address. A one-at-a-time client (echo-client
 * --udp --interval 0) measured about 5,000/s here, under the limit; a loop between two
 * echo servers on loopback runs far above it, so its first dropped datagram ends it.
 */
export const DEFAULT_UDP_RATE_LIMIT = 10_000;

export default defineCommand<EchoServerArgs>({
  command: 'echo-server',
  describe: 'run an RFC 862 echo server (TCP and/or UDP)',
  options: {
    ...FAMILY_OPTIONS,
    host: {
      type: 'string',
      requiresArg: true,
      describe: 'address to listen on (default 127.0.0.1, ::1 with -6; expose it with --host 0.0.0.0, or --host :: for IPv6 and IPv4)',
    },
    port: { alias: 'p', type: 'string', default: '0', requiresArg: true, describe: 'port (0: the kernel picks one, shown in the listening event)' },
    tcp: { type: 'boolean', describe: 'serve TCP (the default; with --udp, serve both)' },
    udp: { alias: 'u', type: 'boolean', describe: 'serve UDP (with --tcp too: both on the same port)' },
    backlog: { type: 'number', default: DEFAULT_ECHO_BACKLOG, requiresArg: true, limit: { kind: 'integer', min: 1 }, describe: 'TCP listen backlog (the kernel caps it at net.core.somaxconn)' },
    'max-conns': { type: 'number', requiresArg: true, limit: { kind: 'integer', min: 1 }, describe: 'refuse TCP connections beyond N open at once (each refusal is logged)' },
    'idle-timeout': { type: 'number', requiresArg: true, limit: { kind: 'seconds', min: 0, exclusive: true }, describe: 'close a TCP connection idle for SECONDS' },
    'max-bytes': { type: 'number', requiresArg: true, limit: { kind: 'integer', min: 1 }, describe: 'echo at most N bytes per TCP connection, then close it' },
    'allow-low-ports': { type: 'boolean', describe: 'UDP: also answer sources on ports 0, 7, 9, 13, 17, 19 and 37 (echo, chargen and friends: a reflection loop)' },
    'rate-limit': {
      type: 'string',
      limit: { kind: 'integer', min: 0, max: 999_999_999 },
      default: String(DEFAULT_UDP_RATE_LIMIT),
      requiresArg: true,
      describe: 'UDP: answers per second per source address, one second of burst (0: no limit)',
    },
    unix: { type: 'string', requiresArg: true, describe: 'listen on a Unix-domain stream socket at PATH (or @NAME in the abstract namespace) instead of TCP; with --udp a datagram socket at PATH' },
    unlink: { type: 'boolean', describe: '--unix: replace a stale socket file that nothing listens on (never any other file)' },
    ...TLS_SERVER_OPTIONS,
    'log-connections': { type: 'boolean', default: true, describe: 'one event per connect/disconnect (--no-log-connections: only listening, refused, errors, summary)' },
  },
  conflicts: [FAMILY_CONFLICT, ['unix', 'host'], ['unix', 'ipv4'], ['unix', 'ipv6']],
  epilog:
    'Events go to stdout: readable lines on a terminal, key=value fields when piped, NDJSON with --json ' +
    '(first line: {"event":"listening","address","port","protocol"}). Ctrl-C / SIGTERM: stop accepting, ' +
    'echo what clients sent until they go quiet or close (at most --timeout, then cut), print a summary, exit 0. ' +
    'UDP never answers its own address and port, nor the small services\' ports (without --allow-low-ports), and at most --rate-limit a second per source.',
  examples: [
    ['sockkit echo-server --port 9000', 'echo TCP on 127.0.0.1:9000'],
    ['sockkit echo-server --port 0 --json', 'NDJSON events, port chosen by the kernel'],
    ['sockkit echo-server --host :: --tcp --udp --port 7007', 'TCP and UDP on every IPv6 and IPv4 address'],
    ['sockkit echo-server -p 9000 --max-conns 100 --idle-timeout 30', 'bounded: 100 clients, 30 s idle'],
    ['sockkit echo-server --unix /tmp/echo.sock', 'echo on a Unix-domain socket (nc -U /tmp/echo.sock)'],
    ['sockkit echo-server -p 9443 --tls --cert srv.crt --key srv.key', 'TLS echo (openssl s_client -connect 127.0.0.1:9443)'],
  ],
  defaultTimeoutSeconds: 5,
  longRunning: true,
  run: async (args, ctx) => {
    const family = familyOf(args);
    const port = parsePort(args.port);
    // Each is within its declared limit already (limits.ts).
    const { backlog, 'max-conns': maxConns, 'max-bytes': maxBytes, 'idle-timeout': idle, 'rate-limit': rateLimit } = args;
    const udp = args.udp === true;
    const tcp = args.tcp === true || !udp;
    const unix = unixOptions(args);
    const tls = await tlsServerFromArgs(args);
    if (tls && !tcp) throw usageError('--tls', 'TLS needs TCP: --udp alone has no connection to secure (DTLS is not offered)');
    const where = unix ? { address: '', family: 4 as const } : await resolveBindHost(args.host ?? (family === 6 ? '::1' : '127.0.0.1'), family, ctx.trace, ctx.timeoutMs);

    const print = createEchoEventPrinter(ctx.term);
    const server = await startEchoServer(
      {
        address: where.address,
        family: where.family,
        port,
        tcp,
        udp,
        backlog,
        maxConns,
        limits: { idleTimeoutMs: idle !== undefined ? idle * 1000 : undefined, maxBytes },
        udpPolicy: { allowLowPorts: args['allow-low-ports'] === true, ratePerSecond: rateLimit },
        tls,
        unix,
        shutdownGraceMs: ctx.timeoutMs,
        connectionEvents: args['log-connections'],
      },
      print,
      ctx.trace,
    );
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const summary = await server.stop();
    print({ event: 'summary', ...summary });
    // main exits right after: let a piped stdout take the last events first.
    await new Promise<void>((resolve) => (ctx.term.stdout as { write(s: string, cb: () => void): boolean }).write('', () => resolve()));
    return 0;
  },
});

function unixOptions(args: EchoServerArgs): { address: UnixAddress; unlink: boolean } | undefined {
  if (args.unix === undefined) {
    if (args.unlink) throw usageError('--unlink', 'it is only used with --unix PATH');
    return undefined;
  }
  if (args.udp && args.tcp) throw usageError('--tcp --udp --unix', 'one Unix socket is a stream or datagram socket: give --udp for datagrams, or neither');
  if (args.port !== '0') throw usageError('--port', 'a Unix socket has a path, not a port: give --unix PATH alone');
  return { address: parseUnixAddress(args.unix), unlink: args.unlink === true };
}
