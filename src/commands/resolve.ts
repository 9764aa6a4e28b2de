// `sockkit resolve <name|ip>...`: names → records, through the system resolver
// (getaddrinfo) or, with --server, by asking one DNS server directly over UDP/TCP.
import { defineCommand, familyOf, type CommandContext } from './common.js';
import { FAMILY_CONFLICT, FAMILY_OPTIONS, flagTable, GLOBAL_OPTIONS } from './options.js';
import { usageError } from '../net/shared/errors.js';
import { exitCodeFor, worstExitCode } from '../exit-codes.js';
import { readStdin } from '../net/shared/read-input.js';
import { parseNameList, parseQueryName, type QueryName } from '../net/dns/names.js';
import { RecordType, typeName, typeNumber } from '../net/dns/packet.js';
import { parseServer, planQuestions, resolveAll, statusErrorCode, type ResolveResult } from '../net/dns/resolve.js';
import { readDigForms } from './dig-forms.js';
import { printResolveJson, printResolveTable, ResolveStreamPrinter } from '../output/resolve.js';

const TYPE_CHOICES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SRV', 'PTR', 'SOA', 'CAA', 'ANY'];

interface ResolveArgs {
  names: string[];
  server?: string;
  reverse?: string[];
  port?: number;
  type?: string[];
  short: boolean;
  concurrency: number;
  ipv4?: boolean;
  ipv6?: boolean;
}

const command = defineCommand<ResolveArgs>({
  command: 'resolve [names..]',
  describe: 'resolve names to addresses (system resolver or a DNS server)',
  // yargs drops a lone `-` from variadic positionals when it re-parses them;
  // 'unknown-options-as-args' keeps it (the price: yargs passes unknown flags on as
  // names; check-flags.ts refuses them before yargs runs). Not greedy: `--type MX example.com` leaves the name alone.
  parserSettings: { 'unknown-options-as-args': true, 'greedy-arrays': false },
  positionals: {
    names: {
      type: 'string',
      array: true,
      describe: 'names or IP addresses (an IP means a reverse PTR lookup); - reads names from stdin, one per line; @SERVER is a server, as in dig',
    },
  },
  options: {
    server: {
      alias: 's',
      type: 'string',
      requiresArg: true,
      describe: 'ask this DNS server directly: IPv4, IPv6, [v6]:port or host:port (port 53 by default)',
    },
    type: {
      alias: 't',
      type: 'string',
      array: true,
      requiresArg: true,
      describe: `record type, repeatable or comma-separated: ${TYPE_CHOICES.join(', ')} (needs --server except A/AAAA; default A and AAAA)`,
    },
    reverse: { alias: 'x', type: 'string', array: true, requiresArg: true, describe: 'reverse (PTR) lookup of this IP address, as dig -x; repeatable' },
    port: { alias: 'p', type: 'number', requiresArg: true, limit: { kind: 'integer', min: 1, max: 65_535 }, describe: 'the DNS server\'s port when the server does not name one, as dig -p' },
    short: { type: 'boolean', default: false, describe: 'print only the values, one per line' },
    concurrency: { alias: 'c', type: 'number', default: 50, requiresArg: true, limit: { kind: 'integer', min: 1, max: 10_000 }, describe: 'questions in flight at once' },
    ...FAMILY_OPTIONS,
  },
  conflicts: [FAMILY_CONFLICT],
  examples: [
    ['sockkit resolve localhost', 'every address of localhost from the system resolver (/etc/hosts, DNS)'],
    ['sockkit resolve example.com --server 127.0.0.1:5353 --type MX --type TXT', 'MX and TXT records from one DNS server'],
    ['sockkit resolve 198.51.100.7 --server ::1', 'reverse (PTR) lookup of an address'],
    ['sockkit resolve @127.0.0.1 -p 5353 -x 198.51.100.7', "dig's forms: @SERVER, -p PORT, -x ADDRESS"],
    ['sockkit resolve - --server 127.0.0.1 --short < names.txt', 'a list of names from stdin, 50 at a time'],
  ],
  defaultTimeoutSeconds: 5,
  run: async (args, ctx) => runResolve(args, ctx),
});
export default command;

/** Every spelling of resolve's own flags and the global ones (dig's +options name one of these). */
const RESOLVE_FLAGS = new Set([...flagTable({ ...GLOBAL_OPTIONS, ...command.commandLine.options }).keys()]);

async function runResolve(args: ResolveArgs, ctx: CommandContext): Promise<number> {
  const family = familyOf(args);
  const concurrency = args.concurrency;
  const forms = readDigForms((args.names ?? []).map(String), (flag) => RESOLVE_FLAGS.has(flag));
  const names = await readNames(forms.names, args.reverse ?? []);
  const types = parseTypes(args.type);
  const trace = ctx.trace;
  const serverInput = oneServer(args.server, forms.servers);
  if (serverInput === undefined && args.port !== undefined) {
    throw usageError('-p / --port', 'names the port of a DNS server', 'add @SERVER or --server ADDRESS');
  }

  const server = serverInput === undefined ? undefined : await parseServer(serverInput, family, ctx.timeoutMs, trace, args.port ?? 53);
  const systemFamily = server || !types ? family : systemFamilyFor(types, names, family);
  const questions = planQuestions(names, types, server !== undefined, server ? family : systemFamily);
  const results: ResolveResult[] = [];
  const codes: number[] = [];
  const streaming = !ctx.term.json && (args.short || !ctx.term.isStdoutTTY) ? new ResolveStreamPrinter(ctx.term, args.short) : undefined;
  await resolveAll(questions, {
    server,
    family: systemFamily,
    timeoutMs: ctx.timeoutMs,
    concurrency,
    trace,
    signal: ctx.signal,
    onResult: (result) => {
      const code = statusErrorCode(result);
      codes.push(code ? exitCodeFor(code) : 0);
      if (streaming) streaming.print(result);
      else results.push(result);
    },
  });
  streaming?.flush();
  if (ctx.term.json) printResolveJson(ctx.term, results);
  else if (!streaming) await printResolveTable(ctx.term, results);
  return worstExitCode(codes);
}

/**
 * Without --server only addresses can be asked for (getaddrinfo/getnameinfo): --type A
 * or AAAA picks the family, PTR needs IP addresses, anything else needs a DNS server.
 */
function systemFamilyFor(types: number[], names: QueryName[], family: 4 | 6 | undefined): 4 | 6 | undefined {
  const unsupported = types.filter((t) => t !== RecordType.A && t !== RecordType.AAAA && t !== RecordType.PTR);
  if (unsupported.length > 0) {
    throw usageError(`--type ${unsupported.map(typeName).join(',')}`, 'the system resolver only looks up addresses', 'add --server ADDRESS to ask a DNS server');
  }
  const hasA = types.includes(RecordType.A);
  const hasAAAA = types.includes(RecordType.AAAA);
  const named = names.find((n) => !n.address);
  if (!hasA && !hasAAAA && named) {
    throw usageError(`--type PTR for '${named.input}'`, 'the system resolver reverses IP addresses only', 'give an IP address, or add --server ADDRESS');
  }
  return hasA === hasAAAA ? family : hasA ? 4 : 6;
}

/**
 * What `resolve -` reads from stdin, at most: a list of names, not an endless stream
 * (`yes`, /dev/zero). A name is at most 253 characters; a line may carry a comment.
 */
export const NAME_LIST_LIMITS = { maxBytes: 64 * 1024 * 1024, maxLines: 1_000_000, maxLineBytes: 64 * 1024 };

const nameListTooLong = (why: string) =>
  usageError('names from stdin', why, `at most ${NAME_LIST_LIMITS.maxLines.toLocaleString('en-US')} lines of up to 64 KiB, 64 MiB in all; split the list`);

/** --server and @SERVER: one server (for now). */
function oneServer(flag: string | undefined, fromWords: string[]): string | undefined {
  const all = [...(flag === undefined ? [] : [String(flag)]), ...fromWords];
  if (all.length > 1) throw usageError(`servers ${all.map((s) => `'${s}'`).join(', ')}`, 'one server at a time');
  return all[0];
}

/**
 * Expands `-` into the names read from stdin, adds -x's addresses, and checks every
 * name before any query: nothing that is not a host name or an IP reaches a resolver.
 */
async function readNames(args: string[], reverse: string[]): Promise<QueryName[]> {
  const raw: string[] = [];
  for (const arg of args.map(String)) {
    if (arg !== '-') {
      raw.push(arg);
      continue;
    }
    const fromStdin = parseNameList((await readStdin({ ...NAME_LIST_LIMITS, tooLong: nameListTooLong })).toString('utf8'));
    if (fromStdin.length === 0) throw usageError('no names', 'stdin had no names (one per line; blank lines and # comments are skipped)');
    raw.push(...fromStdin);
  }
  const names = raw.map(parseQueryName);
  for (const address of reverse.map(String)) {
    const parsed = parseQueryName(address);
    if (!parsed.address) throw usageError(`bad -x '${address}'`, 'not an IP address', '-x takes an address to look up in reverse');
    names.push(parsed);
  }
  if (names.length === 0) throw usageError('no names', 'give a name, an IP address, -x ADDRESS, or - to read names from stdin');
  return names;
}

function parseTypes(values: string[] | undefined): number[] | undefined {
  if (!values || values.length === 0) return undefined;
  const types: number[] = [];
  for (const value of values.flatMap((v) => String(v).split(','))) {
    const text = value.trim();
    const type = typeNumber(text);
    if (type === undefined || type === RecordType.OPT || text === '') {
      throw usageError(`bad --type '${value}'`, `expected one of ${TYPE_CHOICES.join(', ')} (or TYPEnnn)`);
    }
    if (!types.includes(type)) types.push(type);
  }
  return types;
}
