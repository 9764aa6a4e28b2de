// sockkit echo-client: send to an echo server, verify the echo, time the round trip.
import { randomBytes } from 'node:crypto';
import { defineCommand, familyOf } from './common.js';
import { FAMILY_CONFLICT, FAMILY_OPTIONS } from './options.js';
import { formatHostPort, parsePort, validateHostName } from '../net/shared/address.js';
import { SockkitError, timeoutError, usageError, withMeasured } from '../net/shared/errors.js';
import { resolveBindHost } from '../net/socket/listen.js';
import { sleep } from '../net/shared/deadline.js';
import {
  connectStream,
  openUdp,
  sha256,
  streamEchoTcp,
  summarizeSamples,
  tcpRoundTripper,
  udpRoundTripper,
  type EchoSample,
  type EchoSink,
  type EchoTarget,
  type RoundTripper,
  type StreamEchoResult,
} from '../net/echo/client.js';
import { loadFailure, runEchoLoad } from '../net/echo/load.js';
import { runUdpEchoLoad, udpLoadFailure, UDP_LOAD_HEADER_BYTES, type UdpLoadOptions, type UdpLoadResult } from '../net/echo/udp-load.js';
import { boundedLines, readStdin } from '../net/shared/read-input.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { printError } from '../output/errors.js';
import { countDocument, handshakeDocument, loadDocument, printCountSummary, printHandshakeResult, printLineEcho, printLoadResult, printSample, printStreamResult, printUdpLoadResult, udpLoadDocument, type ClientTarget } from '../output/echo-client.js';
import type { CommandContext } from './common.js';
import { drained } from '../output/terminal.js';
import type { Socket } from 'node:net';
import { parseUnixAddress } from '../net/socket/unix.js';
import { lookupHost } from '../net/socket/lookup.js';
import { ipFamily } from '../net/shared/ip-literal.js';
import { runHandshakes, type HandshakeRunOptions } from '../net/echo/handshakes.js';
import { TLS_CLIENT_OPTIONS, tlsClientFromArgs, type TlsClientArgs } from './tls-flags.js';

interface EchoClientArgs extends TlsClientArgs {
  host?: string;
  port?: string;
  unix?: string;
  handshakes?: boolean;
  'session-reuse': boolean;
  udp?: boolean;
  message?: string;
  count?: number;
  interval?: number;
  size?: number;
  lines?: boolean;
  concurrency?: number;
  duration?: number;
  ipv4?: boolean;
  ipv6?: boolean;
}

const MAX_COUNT = 100_000;
const MAX_CONCURRENCY = 50_000;
const MAX_DURATION_S = 3600;
const MAX_SIZE = 16 * 1024 * 1024;
const MAX_LOAD_MEMORY = 256 * 1024 * 1024;
/** The largest UDP payload: 65,535 − 8 (UDP) − 20 (IPv4) / − 40 (IPv6). */
const maxDatagram = (family: 4 | 6) => (family === 6 ? 65_527 : 65_507);

export default defineCommand<EchoClientArgs>({
  command: 'echo-client',
  describe: 'send messages to an echo server and measure round trips',
  options: {
    ...FAMILY_OPTIONS,
    host: { type: 'string', requiresArg: true, describe: 'echo server address (default 127.0.0.1, ::1 with -6)' },
    port: { alias: 'p', type: 'string', requiresArg: true, describe: 'echo server port (required unless --unix)' },
    unix: { type: 'string', requiresArg: true, describe: 'connect to a Unix-domain stream socket at PATH (or @NAME) instead of TCP; with --udp a datagram socket at PATH' },
    ...TLS_CLIENT_OPTIONS,
    handshakes: { type: 'boolean', describe: 'with --tls, --concurrency and --duration: open, handshake and close as fast as possible (new connections per second)' },
    'session-reuse': { type: 'boolean', default: true, describe: '--handshakes: resume the last session (--no-session-reuse: every handshake full)' },
    udp: { alias: 'u', type: 'boolean', describe: 'UDP: one datagram per message, lost after --timeout' },
    message: { alias: 'm', type: 'string', requiresArg: true, describe: 'send TEXT (default: stdin when piped, line by line on a terminal)' },
    count: { alias: 'c', type: 'number', requiresArg: true, limit: { kind: 'integer', min: 1, max: MAX_COUNT }, describe: `send N messages, one round trip each, then a summary (max ${MAX_COUNT})` },
    interval: { alias: 'i', type: 'number', requiresArg: true, limit: { kind: 'seconds', min: 0, max: 3600 }, describe: 'seconds between --count messages (default 1)' },
    size: { alias: 's', type: 'number', requiresArg: true, limit: { kind: 'integer', min: 1, max: MAX_SIZE }, describe: 'random payloads of BYTES (default 64 for --count and load)' },
    lines: { type: 'boolean', describe: 'send stdin line by line, one round trip per line (the default on a terminal)' },
    concurrency: { alias: 'C', type: 'number', requiresArg: true, limit: { kind: 'integer', min: 1, max: MAX_CONCURRENCY }, describe: `load mode: C connections ping-ponging --size messages; with --udp, C datagrams in flight (needs --duration; max ${MAX_CONCURRENCY})` },
    duration: { alias: 'd', type: 'number', requiresArg: true, limit: { kind: 'seconds', min: 0.1, max: MAX_DURATION_S }, describe: `load mode: run for SECONDS (needs --concurrency; max ${MAX_DURATION_S})` },
  },
  conflicts: [FAMILY_CONFLICT, ['unix', 'host'], ['unix', 'port'], ['unix', 'ipv4'], ['unix', 'ipv6']],
  epilog:
    'The echo goes to stdout and the verdict (identical or not, round-trip time) to stderr; --count prints one line ' +
    'per message like ping, then min/avg/p50/p90/p99/max. --timeout bounds the connect and each wait for an echo ' +
    '(UDP: the per-datagram loss timeout). Exit 7 on any mismatched echo, 4 refused, 5 timeout.',
  examples: [
    ['sockkit echo-client --port 9000 --message hi', 'one round trip, verified'],
    ['sockkit echo-client -p 9000 --count 10 --interval 0.2 --size 512', '10 random 512-byte messages, ping-style'],
    ['sockkit echo-client -p 9000 --udp --count 100 --interval 0.01 --timeout 0.5', 'UDP with loss counting'],
    ['head -c 16M /dev/urandom | sockkit echo-client -p 9000 > /dev/null', 'stream 16 MiB and verify the echo'],
    ['sockkit echo-client --port 9000 --concurrency 100 --duration 5', 'load test with 100 connections'],
    ['sockkit echo-client --port 9000 --udp -C 32 -d 5 --timeout 0.5', 'UDP load: 32 datagrams in flight; loss, duplicates, reordering'],
    ['sockkit echo-client -p 9443 --tls --cacert ca.crt --servername localhost -m hi', 'TLS echo; the verdict shows what was negotiated'],
    ['sockkit echo-client -p 9443 --tls -k --handshakes -C 8 -d 5', 'new TLS connections per second, sessions resumed'],
    ['sockkit echo-client --unix /tmp/echo.sock -m hi', 'echo over a Unix-domain socket'],
  ],
  defaultTimeoutSeconds: 5,
  run: async (args, ctx) => {
    const measured: Partial<ClientTarget> = {};
    try {
      return await runClient(args, ctx, measured);
    } catch (err) {
      // --json: the target (once known) goes beside the error.
      throw Object.keys(measured).length > 0 ? withMeasured(err, { ...measured }) : err;
    }
  },
});

async function runClient(args: EchoClientArgs, ctx: CommandContext, measured: Partial<ClientTarget>): Promise<number> {
  // Each is within its declared limit already (limits.ts).
  const { count, size, interval, concurrency, duration } = args;
  const target = await echoTarget(args, ctx);
  const shown: ClientTarget = {
    protocol: target.unix ? 'unix' : args.udp ? 'udp' : 'tcp',
    address: target.unix ? target.unix.display : target.address,
    port: target.port,
    ...(target.tls ? { secure: true } : {}),
  };
  Object.assign(measured, shown);
  if (args.handshakes) {
    if (concurrency === undefined || duration === undefined) throw usageError('--handshakes', 'it needs --concurrency and --duration');
    if (!target.tls) throw usageError('--handshakes', 'it measures TLS handshakes: give --tls');
    return handshakeMode(ctx, target, shown, { concurrency, durationMs: duration * 1000, timeoutMs: ctx.timeoutMs, sessionReuse: args['session-reuse'] });
  }

  if (concurrency !== undefined || duration !== undefined) {
    if (concurrency === undefined || duration === undefined) throw usageError('load mode', '--concurrency and --duration go together');
    if (args.message !== undefined || count !== undefined || args.lines) throw usageError('load mode', 'not combined with --message, --count or --lines');
    const messageSize = size ?? 64;
    if (messageSize * concurrency > MAX_LOAD_MEMORY) throw usageError('load mode', `--size × --concurrency must stay under ${MAX_LOAD_MEMORY / 1024 / 1024} MiB`);
    if (args.udp) return udpLoadMode(ctx, target, shown, { concurrency, durationMs: duration * 1000, size: messageSize, timeoutMs: ctx.timeoutMs });
    ctx.reportOnInterrupt(); // Ctrl-C: the summary of the time it ran, then exit 130
    const result = await runEchoLoad(target, { concurrency, durationMs: duration * 1000, size: messageSize, timeoutMs: ctx.timeoutMs }, ctx.trace, ctx.signal);
    // Any lost work (a connection not opened, dropped, cut, or a mismatch) fails the run;
    // with --json the summary is the error document's measured part.
    const failure = loadFailure(result, formatHostPort(target.address, target.port), ctx.timeoutMs);
    if (failure && ctx.term.json && !result.interrupted) throw withMeasured(failure, loadDocument(shown, result));
    await printLoadResult(ctx.term, shown, result);
    if (failure) printError(ctx.term, failure);
    if (result.interrupted) return ExitCode.INTERRUPTED;
    return failure ? exitCodeFor(failure.code) : ExitCode.OK;
  }

  if (count !== undefined || size !== undefined) {
    const payload = () => (args.message !== undefined ? Buffer.from(args.message) : randomBytes(size ?? 64));
    if (args.udp && (args.message !== undefined ? Buffer.byteLength(args.message) : (size ?? 64)) > maxDatagram(target.family)) {
      throw usageError('udp', `a message must fit one datagram (at most ${maxDatagram(target.family)} bytes)`);
    }
    return countMode(ctx, target, shown, args.udp === true, count ?? 1, (interval ?? 1) * 1000, payload);
  }
  if (args.message !== undefined) return messageMode(ctx, target, shown, args.udp === true, Buffer.from(args.message), args.message);
  if (args.lines || process.stdin.isTTY) return linesMode(ctx, target, shown, args.udp === true);
  if (args.udp) {
    const maxBytes = maxDatagram(target.family);
    const tooLong = () => usageError('udp', `stdin is more than one datagram can carry (at most ${maxBytes} bytes)`);
    const data = await readStdin({ maxBytes, tooLong });
    return messageMode(ctx, target, shown, true, data);
  }
  return messageMode(ctx, target, shown, false, process.stdin);
}

/** UDP load: C datagrams in flight on one socket (echo/udp-load.ts); loss alone is no failure, as with --count. */
async function udpLoadMode(ctx: CommandContext, target: EchoTarget, shown: ClientTarget, options: UdpLoadOptions): Promise<number> {
  if (options.size < UDP_LOAD_HEADER_BYTES || options.size > maxDatagram(target.family)) {
    throw usageError('udp load mode', `--size must be from ${UDP_LOAD_HEADER_BYTES} (the sequence header) to ${maxDatagram(target.family)} (one datagram)`);
  }
  const socket = await openUdp(target, ctx.trace);
  ctx.reportOnInterrupt(); // Ctrl-C: the summary of the time it ran, then exit 130
  let result: UdpLoadResult;
  try {
    result = await runUdpEchoLoad(socket, options, ctx.trace, ctx.signal);
  } finally {
    socket.close();
  }
  const failure = udpLoadFailure(result, formatHostPort(target.address, target.port));
  if (failure && ctx.term.json && !result.interrupted) throw withMeasured(failure, udpLoadDocument(shown, result));
  await printUdpLoadResult(ctx.term, shown, result);
  if (failure) printError(ctx.term, failure);
  if (result.interrupted) return ExitCode.INTERRUPTED;
  return failure ? exitCodeFor(failure.code) : ExitCode.OK;
}

/** The server to talk to: a host and port, or a Unix socket; TLS on top with --tls. */
async function echoTarget(args: EchoClientArgs, ctx: CommandContext): Promise<EchoTarget> {
  if (args.unix !== undefined) {
    if (args.udp && args.tls) throw usageError('--tls --udp', 'TLS needs a stream: DTLS is not offered');
    const unix = parseUnixAddress(args.unix);
    // A Unix socket has no host name to check: the certificate is checked against --servername, or localhost.
    return { address: '', family: 4, port: 0, unix, tls: await tlsClientFromArgs(args, 'localhost', ctx.term, ctx.trace) };
  }
  if (args.port === undefined) throw usageError('--port', 'the echo server port is required (or --unix PATH)');
  if (args.udp && args.tls) throw usageError('--tls --udp', 'TLS needs a stream: DTLS is not offered');
  const family = familyOf(args);
  const port = parsePort(args.port, 'port', false);
  const host = args.host ?? (family === 6 ? '::1' : '127.0.0.1');
  const tls = await tlsClientFromArgs(args, host, ctx.term, ctx.trace);
  if (args.udp) {
    const where = await resolveBindHost(host, family, ctx.trace, ctx.timeoutMs);
    return { address: where.address, family: where.family, port, tls };
  }
  // TCP: every address of the name, tried with Happy Eyeballs (IPv6 first, the next after 250 ms).
  if (ipFamily(host) === 0) {
    // "999.1.1.1" is a legal host name, but nobody means a name by it: never send it to a resolver.
    if (/^[\d.]+$/.test(host)) throw usageError(`bad host '${host}'`, 'not a valid IPv4 address');
    validateHostName(host);
  }
  const found = await lookupHost(host, family, ctx.timeoutMs, ctx.trace, `bad --host '${host}'`, ctx.signal);
  return { address: found[0]!.address, family: found[0]!.family, addresses: found.map((a) => a.address), port, tls };
}

/** --handshakes: new TLS connections as fast as they complete (echo/handshakes.ts). */
async function handshakeMode(ctx: CommandContext, target: EchoTarget, shown: ClientTarget, options: HandshakeRunOptions): Promise<number> {
  ctx.reportOnInterrupt(); // Ctrl-C: the figures of the time it ran, then exit 130
  const { result, firstError } = await runHandshakes(target, options, ctx.trace, ctx.signal);
  const failure = result.count === 0 ? firstError : undefined;
  if (failure && ctx.term.json && !result.interrupted) throw withMeasured(failure, handshakeDocument(shown, result));
  await printHandshakeResult(ctx.term, shown, result);
  if (failure) printError(ctx.term, failure);
  if (result.interrupted) return ExitCode.INTERRUPTED;
  return failure ? exitCodeFor(failure.code) : ExitCode.OK;
}

async function open(ctx: CommandContext, target: EchoTarget, shown: ClientTarget, udp: boolean): Promise<RoundTripper> {
  if (udp) return udpRoundTripper(await openUdp(target, ctx.trace), ctx.timeoutMs, ctx.trace);
  return tcpRoundTripper(await connectShown(ctx, target, shown), ctx.timeoutMs, ctx.trace);
}

/** A stream connection; what its TLS handshake negotiated goes into the target shown with the results. */
async function connectShown(ctx: CommandContext, target: EchoTarget, shown: ClientTarget): Promise<Socket> {
  const { socket, tls } = await connectStream(target, { timeoutMs: ctx.timeoutMs, trace: ctx.trace, signal: ctx.signal });
  if (tls) shown.tls = tls;
  return socket;
}

/** One message (or all of stdin) sent, its echo checked and written to stdout. */
async function messageMode(
  ctx: CommandContext,
  target: EchoTarget,
  shown: ClientTarget,
  udp: boolean,
  source: Buffer | AsyncIterable<Buffer>,
  text?: string,
): Promise<number> {
  let result: StreamEchoResult;
  const echoed: Buffer[] = [];
  const stdout = ctx.term.stdout as EchoSink;
  const sink: EchoSink = ctx.term.json
    ? { write: (chunk) => (text !== undefined && echoed.push(chunk), true) }
    : stdout;
  const writeEcho = (chunk: Buffer) => sink.write(chunk);
  if (udp) {
    const payload = source as Buffer;
    const rt = await open(ctx, target, shown, true);
    try {
      const s = await rt.roundTrip(1, payload);
      if (s.status === 'lost') throw timeoutError('echo (udp)', ctx.timeoutMs);
      writeEcho(s.echo!);
      result = {
        protocol: 'udp',
        bytesSent: payload.length,
        bytesReceived: s.echo!.length,
        identical: s.status === 'ok',
        firstDifferenceAt: s.firstDifferenceAt,
        ...(s.difference ? { difference: s.difference } : {}),
        firstByteMs: s.rttMs!,
        rttMs: s.rttMs!,
        sha256Sent: sha256(payload),
        sha256Received: sha256(s.echo!),
      };
    } finally {
      await rt.close();
    }
  } else {
    const socket = await connectShown(ctx, target, shown);
    try {
      result = await streamEchoTcp(socket, source, sink, ctx.timeoutMs, ctx.trace);
    } finally {
      socket.destroySoon();
    }
  }
  // A message without a newline leaves the terminal prompt on the same line.
  if (!ctx.term.json && text !== undefined && ctx.term.isStdoutTTY && !text.endsWith('\n')) ctx.term.out();
  await drained(ctx.term.stdout); // the echo first, then the verdict
  printStreamResult(ctx.term, shown, result, text !== undefined && ctx.term.json ? Buffer.concat(echoed).toString('utf8') : undefined);
  return result.identical ? ExitCode.OK : ExitCode.PROTOCOL;
}

async function countMode(
  ctx: CommandContext,
  target: EchoTarget,
  shown: ClientTarget,
  udp: boolean,
  count: number,
  intervalMs: number,
  payload: () => Buffer,
): Promise<number> {
  const rt = await open(ctx, target, shown, udp);
  // Ctrl-C from here on ends the run with the statistics of the messages answered so far.
  ctx.reportOnInterrupt();
  const samples: EchoSample[] = [];
  try {
    for (let seq = 1; seq <= count && !ctx.signal.aborted; seq++) {
      if (seq > 1 && intervalMs > 0) await sleep(intervalMs, ctx.signal);
      const sample = await rt.roundTrip(seq, payload(), ctx.signal);
      delete sample.echo; // only counts and times are kept for the summary
      samples.push(sample);
      printSample(ctx.term, shown, sample);
    }
  } catch (err) {
    if (!ctx.signal.aborted) throw err; // interrupted: the message in flight is not counted
  } finally {
    await rt.close();
  }
  const summary = summarizeSamples(samples);
  if (ctx.signal.aborted) {
    printCountSummary(ctx.term, shown, summary, samples, true);
    return ExitCode.INTERRUPTED;
  }
  const noEcho = summary.received === 0 && summary.mismatched === 0
    ? new SockkitError('TIMEOUT', `echo (${shown.protocol})`, `no echo for any of ${count} messages`, 'raise --timeout or check the server')
    : undefined;
  // --json: one document, the samples with the error beside them.
  if (noEcho && ctx.term.json) throw withMeasured(noEcho, countDocument(shown, summary, samples));
  printCountSummary(ctx.term, shown, summary, samples);
  if (summary.mismatched > 0) return ExitCode.PROTOCOL;
  if (noEcho) throw noEcho;
  return ExitCode.OK;
}

/** --lines: one line is one round trip; a longer "line" is a stream, not typing. */
const MAX_LINE_BYTES = 1024 * 1024;

/** Like nc on a terminal: each line typed is sent, its echo printed with the round trip. */
async function linesMode(ctx: CommandContext, target: EchoTarget, shown: ClientTarget, udp: boolean): Promise<number> {
  const rt = await open(ctx, target, shown, udp);
  if (process.stdin.isTTY && !ctx.term.quiet) ctx.term.note(`connected to ${shown.protocol.toUpperCase()} ${shown.address}:${shown.port}; type lines, Ctrl-D to end`);
  const samples: EchoSample[] = [];
  try {
    let seq = 0;
    for await (const line of boundedLines(process.stdin, MAX_LINE_BYTES, 'stdin')) {
      const sample = await rt.roundTrip(++seq, Buffer.from(line + '\n'));
      printLineEcho(ctx.term, shown, sample);
      delete sample.echo;
      samples.push(sample);
    }
  } finally {
    process.stdin.destroy();
    await rt.close();
  }
  const summary = summarizeSamples(samples);
  if (ctx.term.json) printCountSummary(ctx.term, shown, summary, samples);
  return summary.mismatched > 0 ? ExitCode.PROTOCOL : ExitCode.OK;
}
