// sockkit ntp: flags → typed options → queryNtpServers (concurrently) → renderer → exit code.
import { defineCommand, familyOf } from './common.js';
import { FAMILY_CONFLICT, FAMILY_OPTIONS } from './options.js';
import { parseHostPort, parsePort } from '../net/shared/address.js';
import { SockkitError, usageError } from '../net/shared/errors.js';
import { queryNtpServers, type NtpOutcome } from '../net/ntp/servers.js';
import { ExitCode, exitCodeFor, worstExitCode } from '../exit-codes.js';
import { printNtpJson, printNtpReport, printNtpServers } from '../output/ntp.js';
import { printError } from '../output/errors.js';
import { withSpinner } from '../output/spinner.js';
import { NTS_KE_DEFAULT_PORT } from '../net/ntp/nts-ke-records.js';
import type { NtsOptions } from '../net/ntp/client.js';
import type { CommandContext } from './common.js';

const DEFAULT_SERVER = 'pool.ntp.org';
const MAX_SAMPLES = 1000;

interface NtpArgs {
  servers?: string[];
  port: string;
  samples: number;
  interval: number;
  ipv4?: boolean;
  ipv6?: boolean;
  nts: boolean;
  'nts-port': string;
  cacert?: string;
  insecure: boolean;
}

export default defineCommand<NtpArgs>({
  command: 'ntp [servers..]',
  describe: 'query NTP servers for the time, offset and delay',
  positionals: {
    servers: {
      type: 'string',
      array: true,
      describe: 'NTP servers (host, host:port, [v6]:port); several are queried at once',
      default: [DEFAULT_SERVER],
    },
  },
  options: {
    ...FAMILY_OPTIONS,
    port: { alias: 'p', type: 'string', default: '123', describe: 'server UDP port', requiresArg: true },
    samples: { alias: 'n', type: 'number', default: 1, limit: { kind: 'integer', min: 1, max: MAX_SAMPLES }, describe: `queries per server on one socket (1–${MAX_SAMPLES}); the best has the lowest delay`, requiresArg: true },
    interval: { type: 'number', default: 1, limit: { kind: 'seconds', min: 0 }, describe: 'seconds between samples', requiresArg: true },
    nts: { type: 'boolean', default: false, describe: 'Network Time Security (RFC 8915): key exchange over TLS 1.3, then authenticated NTP' },
    'nts-port': { type: 'string', default: String(NTS_KE_DEFAULT_PORT), describe: 'NTS-KE TCP port (with --nts)', requiresArg: true },
    cacert: { type: 'string', requiresArg: true, describe: "with --nts: trust the CA certificates in this PEM file instead of Node's bundled ones" },
    insecure: { alias: 'k', type: 'boolean', default: false, describe: 'with --nts: do not verify the NTS-KE certificate (warns)' },
  },
  conflicts: [FAMILY_CONFLICT],
  examples: [
    ['sockkit ntp', `clock offset against ${DEFAULT_SERVER}`],
    ['sockkit ntp 127.0.0.1 -p 11123 -n 5', 'five samples, one second apart, from a local server'],
    ['sockkit ntp time.google.com time.cloudflare.com', 'two servers at once, and which is best'],
    ['sockkit ntp ::1 --json --trace', 'IPv6, as JSON, showing every socket step'],
    ['sockkit ntp --nts time.cloudflare.com', 'authenticated time (NTS): the key exchange and the NTS-protected query'],
  ],
  defaultTimeoutSeconds: 5,
  run: async (args, ctx) => {
    const port = parsePort(args.port, 'port', false);
    const samples = args.samples;
    const names = args.servers && args.servers.length > 0 ? args.servers.map(String) : [DEFAULT_SERVER];
    const targets = names.map((name) => ({ name, ...parseHostPort(name, port) }));
    const nts = await ntsOptions(args, ctx);

    // Several samples: Ctrl-C prints those taken so far, then exit 130 (one sample: exit at once, as before).
    if (samples > 1) ctx.reportOnInterrupt();
    const label = targets.length === 1 ? `querying ${targets[0]!.name}` : `querying ${targets.length} servers`;
    const outcomes = await withSpinner(ctx.term, `${label}…`, () =>
      queryNtpServers(targets, {
        family: familyOf(args),
        samples,
        intervalMs: args.interval * 1000,
        timeoutMs: ctx.timeoutMs,
        signal: ctx.signal,
        trace: ctx.trace,
        nts,
      }),
    );

    // A usage error (e.g. -4 with an IPv6 literal) is the user's, not the server's.
    const usage = outcomes.find((o): o is Extract<NtpOutcome, { error: SockkitError }> => 'error' in o && o.error.code === 'USAGE');
    if (usage) throw usage.error;

    const interrupted = ctx.signal.aborted;
    if (ctx.term.json) printNtpJson(ctx.term, outcomes, interrupted);
    else if (outcomes.length === 1 && 'report' in outcomes[0]!) await printNtpReport(ctx.term, outcomes[0].report);
    else if (outcomes.length > 1) await printNtpServers(ctx.term, outcomes);

    for (const outcome of outcomes) {
      if ('report' in outcome && outcome.report.nts && outcome.report.samples.length < samples && outcome.report.status === 'ok') {
        ctx.term.warn(`${outcome.server}: ${outcome.report.samples.length} of ${samples} queries sent: no NTS cookie left (the server sent no new ones, or the replies that carried them were lost)`);
      }
      if ('error' in outcome) printError(ctx.term, outcome.error);
      else if (outcome.report.status === 'unsynchronised') {
        printError(ctx.term, new SockkitError('PROTOCOL', `${outcome.server}`, `server unsynchronised: ${outcome.report.unsynchronisedReason}`));
      }
    }
    return interrupted ? ExitCode.INTERRUPTED : worstExitCode(outcomes.map(exitCodeOf));
  },
});

/** --nts and its TLS flags; those flags without --nts are a usage error, not silently ignored. */
async function ntsOptions(args: NtpArgs, ctx: CommandContext): Promise<NtsOptions | undefined> {
  if (!args.nts) {
    const stray = args.cacert !== undefined ? '--cacert' : args.insecure ? '-k' : args['nts-port'] !== String(NTS_KE_DEFAULT_PORT) ? '--nts-port' : undefined;
    if (stray) throw usageError(`bad flag ${stray}`, 'it applies to the NTS key exchange: add --nts');
    return undefined;
  }
  const port = parsePort(args['nts-port'], 'nts-port', false);
  // Loaded here: trust.ts brings node:tls, which plain `sockkit ntp` never needs.
  const { clientTrust } = await import('./trust.js');
  const ca = await clientTrust(args.cacert, ctx.term, ctx.trace);
  if (args.insecure) ctx.term.warn('TLS certificates are not verified (--insecure)');
  return { port, ca, insecure: args.insecure };
}

/** ok → 0; unsynchronised → 7 (the server declines to serve time); a failure by its code. */
function exitCodeOf(outcome: NtpOutcome): number {
  if ('error' in outcome) return exitCodeFor(outcome.error.code);
  return outcome.report.status === 'ok' ? ExitCode.OK : ExitCode.PROTOCOL;
}
