// sockkit bind: bind a TCP or UDP port and report it, hold it, or scan a range.
import { defineCommand, familyOf } from './common.js';
import { FAMILY_CONFLICT, FAMILY_OPTIONS } from './options.js';
import { parsePort, parsePortRange } from '../net/shared/address.js';
import { usageError } from '../net/shared/errors.js';
import { bindSocket, DEFAULT_BIND_BACKLOG, scanPortRange, MAX_RANGE_PORTS } from '../net/socket/listen.js';
import { printBindResult, printHolding, printRangeScan, printUnixBindResult, printUnixDatagramBindResult } from '../output/bind.js';
import { bindUnixSocket, parseUnixAddress } from '../net/socket/unix.js';
import { formatHostPort } from '../net/shared/address.js';
import type { CommandContext } from './common.js';

interface BindArgs {
  unix?: string;
  unlink?: boolean;
  host?: string;
  port: string;
  udp: boolean;
  hold?: boolean;
  range?: string;
  backlog: number;
  ipv4?: boolean;
  ipv6?: boolean;
}

export default defineCommand<BindArgs>({
  command: 'bind',
  describe: 'bind a TCP or UDP socket and report what was bound',
  options: {
    ...FAMILY_OPTIONS,
    host: { type: 'string', requiresArg: true, describe: 'local address to bind (default: all interfaces, 0.0.0.0 or :: with -6)' },
    port: { alias: 'p', type: 'string', default: '0', requiresArg: true, describe: 'port to bind; 0 asks the kernel for an ephemeral port' },
    udp: { alias: 'u', type: 'boolean', default: false, describe: 'bind a UDP socket instead of TCP' },
    hold: { type: 'boolean', describe: 'keep the port bound until Ctrl-C / SIGTERM (then exit 0)' },
    range: { type: 'string', requiresArg: true, describe: `list the free ports in FIRST-LAST (at most ${MAX_RANGE_PORTS})` },
    unix: { type: 'string', requiresArg: true, describe: 'bind a Unix-domain stream socket at PATH (or @NAME, abstract) instead; with --udp a datagram socket at PATH' },
    unlink: { type: 'boolean', describe: '--unix: replace a stale socket file that nothing listens on (never any other file)' },
    backlog: { type: 'number', default: DEFAULT_BIND_BACKLOG, requiresArg: true, limit: { kind: 'integer', min: 1 }, describe: 'TCP listen backlog' },
  },
  conflicts: [FAMILY_CONFLICT, ['range', 'hold'], ['unix', 'host'], ['unix', 'range'], ['unix', 'ipv4'], ['unix', 'ipv6']],
  epilog:
    'Node cannot bind a TCP socket without listening, so a TCP bind is bind + listen. ' +
    'Exit 8 when the address is in use (the holding process is named when /proc shows it) or needs privilege.',
  examples: [
    ['sockkit bind --port 0', 'ask the kernel for an ephemeral TCP port'],
    ['sockkit bind --port 8080 --hold', 'hold port 8080 until Ctrl-C'],
    ['sockkit bind --udp -6 --port 5353', 'bind UDP [::]:5353'],
    ['sockkit bind --range 9000-9100', 'list the free TCP ports from 9000 to 9100'],
    ['sockkit bind --unix /tmp/app.sock --hold', 'hold a Unix socket path (stale ones: --unlink)'],
  ],
  defaultTimeoutSeconds: 5,
  longRunning: true,
  run: async (args, ctx) => {
    if (args.unix !== undefined) return bindUnix(args, ctx);
    if (args.unlink) throw usageError('--unlink', 'it is only used with --unix PATH');
    const protocol = args.udp ? 'udp' : 'tcp';
    const family = familyOf(args);
    if (args.range !== undefined) {
      const { first, last } = parsePortRange(args.range);
      const scan = await scanPortRange({ protocol, host: args.host, family, first, last, lookupTimeoutMs: ctx.timeoutMs }, ctx.signal, ctx.trace);
      await printRangeScan(ctx.term, scan);
      return 0;
    }
    const requestedPort = parsePort(args.port);
    const bound = await bindSocket({ protocol, host: args.host, port: requestedPort, family, backlog: args.backlog, lookupTimeoutMs: ctx.timeoutMs }, ctx.trace);
    const report = { ...bound, requestedPort, held: args.hold === true };
    await printBindResult(ctx.term, report);
    if (args.hold) await holdUntilStopped(ctx, `${protocol.toUpperCase()} ${formatHostPort(bound.address, bound.port)}`);
    ctx.trace('close', `${protocol} port ${bound.port}`);
    await bound.close();
    return 0;
  },
});

async function bindUnix(args: BindArgs, ctx: CommandContext): Promise<number> {
  if (args.port !== '0') throw usageError('--port', 'a Unix socket has a path, not a port: give --unix PATH alone');
  if (args.udp) return bindUnixDatagramCommand(args, ctx);
  const bound = await bindUnixSocket(parseUnixAddress(args.unix!), args.backlog, args.unlink === true, ctx.trace);
  const report = { ...bound, held: args.hold === true };
  await printUnixBindResult(ctx.term, report);
  if (args.hold) await holdUntilStopped(ctx, `UNIX ${bound.path}`);
  ctx.trace('close', `unix ${bound.path}${bound.abstract ? '' : ' (the file is removed)'}`);
  await bound.close();
  return 0;
}

/** bind --udp --unix: a Unix datagram socket (socket/unix-dgram.ts), reported, then closed and its file removed. */
async function bindUnixDatagramCommand(args: BindArgs, ctx: CommandContext): Promise<number> {
  const address = parseUnixAddress(args.unix!);
  const { bindUnixDatagram } = await import('../net/socket/unix-dgram.js');
  const { info, close } = await bindUnixDatagram(address, args.unlink === true, ctx.trace);
  await printUnixDatagramBindResult(ctx.term, { protocol: 'unix', type: 'datagram', path: address.display, ...info, held: args.hold === true });
  if (args.hold) await holdUntilStopped(ctx, `UNIX datagram ${address.display}`);
  ctx.trace('close', `unix datagram ${address.display} (the file is removed)`);
  close();
  return 0;
}

function holdUntilStopped(ctx: CommandContext, what: string): Promise<void> {
  printHolding(ctx.term, what);
  return new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
