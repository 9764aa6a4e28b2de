// sockkit threaded-server: one port served by N node:cluster worker processes.
// The same CLI runs in the primary and in every worker (cluster.fork re-executes
// it with the same argv); cluster.isWorker picks the worker path.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { ipFamily } from '../net/shared/ip-literal.js';
import { defineCommand } from './common.js';
import { parsePort } from '../net/shared/address.js';
import { usageError } from '../net/shared/errors.js';
import type { WorkerConfig } from '../net/cluster/protocol.js';
import { runClusterPrimary } from '../net/cluster/primary.js';
import { runClusterWorker } from '../net/cluster/worker.js';
import { HANDLER_NAMES, type HandlerName } from '../net/cluster/handlers.js';
import { createServerEventPrinter, printServerSummary } from '../output/threaded-server.js';
import { tracing } from '../net/shared/trace.js';
import { TLS_SERVER_OPTIONS, tlsServerFiles, type TlsServerArgs } from './tls-flags.js';
import { randomBytes } from 'node:crypto';

export const MAX_WORKERS = 64;
const DEFAULT_REPLY = 'Thank you for connecting';
/** Forking and loading N bundles on a busy machine can take seconds; this bounds it. */
const STARTUP_TIMEOUT_MS = 30_000;
/** The primary hands its workers the TLS session-ticket keys through their environment. */
const TICKET_KEYS_ENV = 'SOCKKIT_TLS_TICKET_KEYS';

interface ThreadedServerArgs extends TlsServerArgs {
  host?: string;
  port: string;
  workers?: number;
  handler: string;
  reply?: string;
  'max-conns'?: number;
  'idle-timeout'?: number;
  ipv4?: boolean;
  ipv6?: boolean;
}

export default defineCommand<ThreadedServerArgs>({
  command: 'threaded-server',
  describe: 'serve one port from every CPU core (node:cluster workers)',
  options: {
    // Not FAMILY_OPTIONS: here -4/-6 also choose the default host, which the help says.
    ipv4: { alias: '4', type: 'boolean', describe: 'IPv4 only (default host 127.0.0.1)' },
    ipv6: { alias: '6', type: 'boolean', describe: 'IPv6 only (default host ::1)' },
    host: { type: 'string', describe: 'address to listen on (default 127.0.0.1, ::1 with -6; 0.0.0.0 or :: for all)', requiresArg: true },
    port: { type: 'string', default: '0', describe: 'TCP port (0: the kernel picks one, shown when listening)', requiresArg: true },
    workers: { type: 'number', limit: { kind: 'integer', min: 1, max: MAX_WORKERS }, describe: `worker processes, 1-${MAX_WORKERS} (default: available CPU cores, ${availableParallelism()} here)`, requiresArg: true },
    handler: { type: 'string', default: 'echo', choices: [...HANDLER_NAMES], describe: 'what each connection gets: echo, upper (echo upper-cased), reply (--reply text, then close), time (RFC 868: 4-byte binary, then close)' },
    reply: { type: 'string', describe: `text for --handler reply, sent with a newline (default "${DEFAULT_REPLY}")`, requiresArg: true },
    'max-conns': { type: 'number', limit: { kind: 'integer', min: 1 }, describe: 'open connections in total; each worker admits ceil(N / workers) and refuses beyond', requiresArg: true },
    'idle-timeout': { type: 'number', limit: { kind: 'seconds', min: 0, exclusive: true }, describe: 'close a connection idle for this many seconds (default: never)', requiresArg: true },
    ...TLS_SERVER_OPTIONS,
  },
  examples: [
    ['sockkit threaded-server --port 9000', 'echo on every core, port 9000'],
    ['sockkit threaded-server --workers 2 --handler upper --json', 'two workers, upper-casing echo, NDJSON events'],
    ['sockkit threaded-server --handler reply --reply thanks', 'the classic thank-you server'],
    ['sockkit threaded-server --handler time --port 3737', 'an RFC 868 time server'],
    ['sockkit threaded-server --port 9443 --tls --cert srv.crt --key srv.key', 'TLS terminated in every worker'],
  ],
  defaultTimeoutSeconds: 5,
  longRunning: true,
  run: async (args, ctx) => {
    const workers = parseWorkers(args.workers);
    // Workers trace through IPC events: they are told whether to, not handed a function.
    const config = workerConfig(args, workers, tracing(ctx.trace));
    config.tls = await tlsServerFiles(args);
    if (config.tls) {
      // Every worker resumes the others' TLS sessions: they share the session-ticket keys.
      const shared = process.env[TICKET_KEYS_ENV];
      config.tls.ticketKeys = shared !== undefined ? Buffer.from(shared, 'hex') : randomBytes(48);
    }
    if (cluster.isWorker) return runClusterWorker(config);
    if (config.tls) (await import('../net/socket/tls-server.js')).tlsServerConfig(config.tls); // a key OpenSSL refuses fails here, before any fork

    const printEvent = createServerEventPrinter(ctx.term);
    let result;
    try {
      result = await runClusterPrimary({
        workers,
        ...listenOptions(args),
        handler: config.handler,
        startupTimeoutMs: STARTUP_TIMEOUT_MS,
        drainTimeoutMs: ctx.timeoutMs,
        debug: ctx.term.env.SOCKKIT_DEBUG === '1',
        onEvent: printEvent,
        onWorkerStderr: (worker, text) => ctx.term.stderr.write(text.replace(/^/gm, `[worker ${worker}] `)),
        trace: ctx.trace,
        signal: ctx.signal,
        workerEnv: config.tls?.ticketKeys ? { [TICKET_KEYS_ENV]: config.tls.ticketKeys.toString('hex') } : undefined,
      });
    } finally {
      printEvent.flush(); // what was batched, also when the server fails
    }
    await printServerSummary(ctx.term, result);
    return 0;
  },
});

function parseWorkers(value: number | undefined): number {
  if (value === undefined) return Math.min(MAX_WORKERS, availableParallelism());
  return value; // within its declared limit already (limits.ts)
}

function workerConfig(args: ThreadedServerArgs, workers: number, tracing: boolean): WorkerConfig {
  const handler = args.handler as HandlerName;
  if (args.reply !== undefined && handler !== 'reply') {
    throw usageError('bad --reply', 'it is only used with --handler reply');
  }
  const { 'max-conns': maxConns, 'idle-timeout': idle } = args; // within their declared limits (limits.ts)
  listenOptions(args); // validated here too, so a bad host fails before anything starts
  return {
    handler,
    replyText: args.reply ?? DEFAULT_REPLY,
    maxConnsPerWorker: maxConns === undefined ? 0 : Math.ceil(maxConns / workers),
    idleTimeoutMs: idle === undefined ? 0 : Math.round(idle * 1000),
    tracing,
    crashAfter: testCrashAfter(),
  };
}

function listenOptions(args: ThreadedServerArgs): { host: string; port: number; ipv6Only: boolean } {
  if (args.ipv4 && args.ipv6) throw usageError('bad flags', '-4 and -6 cannot be used together');
  const family = args.ipv6 ? 6 : args.ipv4 ? 4 : undefined;
  return { host: listenHost(args.host, family), port: parsePort(args.port), ipv6Only: family === 6 };
}

/** An IP literal (or localhost); never a name, which would go to the resolver. */
function listenHost(host: string | undefined, family: 4 | 6 | undefined): string {
  if (host === undefined || host === 'localhost') return family === 6 ? '::1' : '127.0.0.1';
  const kind = ipFamily(host);
  if (kind === 0) throw usageError(`bad --host '${host}'`, 'expected an IP address to listen on, e.g. 127.0.0.1, ::1, 0.0.0.0 or ::');
  if (family !== undefined && kind !== family) throw usageError(`bad --host '${host}'`, `not an IPv${family} address (-${family} was given)`);
  return host;
}

/** Test-only: SOCKKIT_TEST_CRASH_AFTER=N makes worker 1 crash after serving N connections. */
function testCrashAfter(): number {
  const raw = process.env.SOCKKIT_TEST_CRASH_AFTER;
  if (raw === undefined || !/^\d+$/.test(raw)) return 0;
  return Number(raw);
}
