// `sockkit resolve <name|ip>...`: names → records, through the system resolver
// (getaddrinfo) or, with --server, by asking one DNS server directly over UDP/TCP.
import { fillRandom } from '../net/shared/random.js';
import { defineCommand, familyOf, type CommandContext } from './common.js';
import { BULK_OPTIONS, FAMILY_CONFLICT, FAMILY_OPTIONS, flagTable, GLOBAL_OPTIONS } from './options.js';
import { bulkNeedsServers, bulkSource, isBulkRun, runBulk } from './resolve-bulk.js';
import { usageError } from '../net/shared/errors.js';
import { exitCodeFor, worstExitCode } from '../exit-codes.js';
import { readBoundedFile, readStdin } from '../net/shared/read-input.js';
import { parseNameList, parseQueryName, type QueryName } from '../net/dns/names.js';
import { RecordType, typeNumber } from '../net/dns/packet.js';
import { parseServer, planQuestions, resolveAll, statusErrorCode, type ResolveResult, type ServerSet, type ServerSpec } from '../net/dns/resolve.js';
import { DnsClient } from '../net/dns/client.js';
import { StreamTransport } from '../net/dns/tcp.js';
import type { DnsTransport } from '../net/dns/transport.js';
import { DEFAULT_RESOLV_CONF, readResolvConf } from '../net/dns/resolv-conf.js';
import { readDigForms } from './dig-forms.js';
import { querySpec, type QueryOptions } from '../net/dns/query.js';
import { clientSubnetOption, EdnsCode, QUERY_PADDING_BLOCK } from '../net/dns/edns.js';
import { CLASS_IN, EDNS_UDP_PAYLOAD, type EdnsOption } from '../net/dns/packet.js';
import { AnchorError, IANA_ROOT_ANCHORS, parseTrustAnchors, type TrustAnchors } from '../net/dnssec/anchors.js';
import { DnssecFormatError } from '../net/dnssec/records.js';
import { printResolveJson, printResolveTable, ResolveStreamPrinter } from '../output/resolve.js';

const TYPE_CHOICES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SRV', 'PTR', 'SOA', 'CAA', 'DNAME', 'DNSKEY', 'DS', 'RRSIG', 'NSEC', 'NSEC3', 'NSEC3PARAM', 'CDS', 'CDNSKEY', 'TLSA', 'SSHFP', 'HTTPS', 'SVCB', 'NAPTR', 'URI', 'HINFO', 'LOC', 'ANY', 'AXFR'];
/** Meta types that are not questions a stub asks (RFC 6895 §3.1): transfers and transaction signatures. */
const NOT_QUESTIONS = new Set([RecordType.OPT, 249, 250, 251]);

export interface ResolveArgs {
  names: string[];
  server?: string[];
  resolvConf?: string;
  reverse?: string[];
  port?: number;
  tcp?: boolean;
  class?: string;
  verbose?: boolean;
  recurse: boolean;
  cd?: boolean;
  ad?: boolean;
  bufsize?: number;
  edns: boolean;
  nsid?: boolean;
  ecs?: string;
  cookie?: boolean;
  padding?: boolean;
  tlsHostname?: string;
  cacert?: string;
  insecure?: boolean;
  dohGet?: boolean;
  type?: string[];
  short: boolean;
  concurrency: number;
  maxRecords: number;
  file?: string;
  ndjson?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  dnssec?: boolean;
  validate?: boolean;
  trustAnchor?: string;
  chain?: boolean;
  iterate?: boolean;
  rootHints?: string;
  rate?: number;
  summary?: boolean;
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
      array: true,
      requiresArg: true,
      describe: 'ask this DNS server directly: IPv4, IPv6, [v6]:port or host:port (port 53 by default), tls://HOST (DNS over TLS, port 853), https://HOST[:PORT][/PATH] (DNS over HTTPS, port 443, /dns-query); repeat it to ask every server every question',
    },
    'resolv-conf': {
      type: 'string',
      requiresArg: true,
      describe: `ask the nameservers of this file (resolv.conf format), one after another, for every question (default: ${DEFAULT_RESOLV_CONF}, for the types getaddrinfo cannot look up)`,
    },
    type: {
      alias: 't',
      type: 'string',
      array: true,
      requiresArg: true,
      describe: `record type, repeatable or comma-separated: ${TYPE_CHOICES.join(', ')} (default A and AAAA; without --server, types other than A/AAAA go to resolv.conf's nameservers)`,
    },
    reverse: { alias: 'x', type: 'string', array: true, requiresArg: true, describe: 'reverse (PTR) lookup of this IP address, as dig -x; repeatable' },
    port: { alias: 'p', type: 'number', requiresArg: true, limit: { kind: 'integer', min: 1, max: 65_535 }, describe: 'the DNS server\'s port when the server does not name one, as dig -p' },
    tcp: { type: 'boolean', describe: 'ask over TCP (one connection, many questions at once) instead of UDP' },
    class: { type: 'string', requiresArg: true, describe: 'the class asked: IN (default), CH or HS (--class CH --type TXT version.bind)' },
    verbose: { alias: 'v', type: 'boolean', describe: "dig's full view of each reply: header flags, every section, EDNS, size and time" },
    recurse: { type: 'boolean', default: true, describe: 'set RD, asking the server to recurse (--no-recurse clears it)' },
    cd: { type: 'boolean', describe: 'set CD: checking disabled (the server skips DNSSEC validation)' },
    ad: { type: 'boolean', describe: 'set AD in the query: ask whether the answer is authentic' },
    bufsize: { type: 'number', requiresArg: true, limit: { kind: 'integer', min: 512, max: 65_535 }, describe: 'EDNS UDP payload size offered (default 1232)' },
    edns: { type: 'boolean', default: true, describe: 'send an EDNS OPT record (--no-edns: plain RFC 1035 queries)' },
    nsid: { type: 'boolean', describe: "ask for the server's identifier (RFC 5001)" },
    ecs: { type: 'string', requiresArg: true, describe: 'EDNS Client Subnet ADDRESS/PREFIX (RFC 7871), e.g. 192.0.2.0/24' },
    cookie: { type: 'boolean', describe: "send a client cookie (RFC 7873); the server's is shown, and a reply echoing another is ignored" },
    padding: { type: 'boolean', describe: 'pad queries to 128-byte blocks (RFC 7830/8467); on by default over TLS and HTTPS (--no-padding)' },
    'tls-hostname': { type: 'string', requiresArg: true, describe: 'DNS over TLS or HTTPS: the name the certificate must carry (and SNI), when tls:// or https:// names an IP address' },
    cacert: { type: 'string', requiresArg: true, describe: 'DNS over TLS or HTTPS: trust only the CA certificates of this PEM file' },
    insecure: { alias: 'k', type: 'boolean', describe: 'DNS over TLS or HTTPS: finish the handshake whatever the certificate says (the verdict is still shown)' },
    'doh-get': { type: 'boolean', describe: 'DNS over HTTPS: send each query with GET (base64url in ?dns=) instead of POST' },
    dnssec: { type: 'boolean', describe: 'set the DO bit and show the RRSIG, NSEC, NSEC3, DNSKEY and DS records returned' },
    validate: { type: 'boolean', describe: 'validate each answer with DNSSEC from the root (or --trust-anchor): secure, insecure, bogus (exit 7) or indeterminate' },
    chain: { type: 'boolean', describe: 'with --validate: explain the chain of trust of each answer, top down (keys, the DS that links each zone, the signing key, the validity window; where an insecure or bogus one ended, and why)' },
    iterate: { type: 'boolean', describe: 'resolve from the root servers down, following referrals, and show each step (dig +trace); -p applies to every server; each query within --timeout, the walk of a name within 6 times it' },
    'root-hints': { type: 'string', requiresArg: true, describe: "--iterate from this file's root servers (named.root format: NS and A/AAAA lines) instead of IANA's built-in hints" },
    'trust-anchor': { type: 'string', requiresArg: true, describe: "--validate from this file's DS or DNSKEY lines (presentation form) instead of the IANA root keys" },
    'max-records': { type: 'number', default: 1_000_000, requiresArg: true, limit: { kind: 'integer', min: 1, max: 100_000_000 }, describe: 'AXFR: the most records a zone transfer may bring' },
    file: { alias: 'f', type: 'string', requiresArg: true, describe: 'read names from this file, one per line (as -, the same bounds)' },
    ndjson: { type: 'boolean', describe: 'one JSON object per result, one per line, streamed in input order (the --json fields)' },
    short: { type: 'boolean', default: false, describe: 'print only the values, one per line' },
    concurrency: { alias: 'c', type: 'number', default: 50, requiresArg: true, limit: { kind: 'integer', min: 1, max: 10_000 }, describe: 'questions in flight at once' },
    ...BULK_OPTIONS,
    ...FAMILY_OPTIONS,
  },
  conflicts: [FAMILY_CONFLICT],
  examples: [
    ['sockkit resolve localhost', 'every address of localhost from the system resolver (/etc/hosts, DNS)'],
    ['sockkit resolve example.com --server 127.0.0.1:5353 --type MX --type TXT', 'MX and TXT records from one DNS server'],
    ['sockkit resolve 198.51.100.7 --server ::1', 'reverse (PTR) lookup of an address'],
    ['sockkit resolve @127.0.0.1 -p 5353 -x 198.51.100.7', "dig's forms: @SERVER, -p PORT, -x ADDRESS"],
    ['sockkit resolve -f names.txt @127.0.0.1 --ndjson', 'a list of names from a file, one JSON object per result as they come'],
    ['sockkit resolve - --server 127.0.0.1 --short < names.txt', 'a list of names from stdin, 50 at a time'],
    ['sockkit resolve example.com @https://dns.example/dns-query --type MX', 'DNS over HTTPS (RFC 8484): every question a stream of one HTTP/2 connection'],
    ['sockkit resolve www.example.com @127.0.0.1 --validate', 'is the answer signed all the way from the root keys? (DNSSEC)'],
    ['sockkit resolve www.example.com --iterate', 'from the root servers down, each referral shown (dig +trace)'],
  ],
  defaultTimeoutSeconds: 5,
  run: async (args, ctx) => runResolve(args, ctx),
});
export default command;

/** Every spelling of resolve's own flags and the global ones (dig's +options name one of these). */
const RESOLVE_FLAGS = new Set([...flagTable({ ...GLOBAL_OPTIONS, ...command.commandLine.options }).keys()]);

async function runResolve(args: ResolveArgs, ctx: CommandContext): Promise<number> {
  const family = familyOf(args);
  const forms = readDigForms((args.names ?? []).map(String), (flag) => RESOLVE_FLAGS.has(flag));
  // `-` and -f stream their names (resolve-bulk.ts): nothing is read before the run
  // (--iterate walks one name at a time and reads its list whole.)
  const iterate = args.iterate || args.rootHints !== undefined;
  const bulk = !iterate && isBulkRun(forms.names, args.file);
  const names = bulk ? [] : await readNames(forms.names, args.reverse ?? [], args.file);
  const types = parseTypes(args.type);
  const serverInputs = [...(args.server ?? []).map(String), ...forms.servers];
  // --iterate's walk (and validate-along) loads only for it
  if (iterate) return (await import('./resolve-iterate.js')).runIterate(args, ctx, names, types, serverInputs.length > 0);
  const serversForAll = serverInputs.length > 0 || args.resolvConf !== undefined;
  const questions = planQuestions(names, types, serversForAll, family);
  const needsServers = bulk ? bulkNeedsServers(types, serversForAll) : questions.some((q) => q.viaServers);
  if (!needsServers && args.port !== undefined) {
    throw usageError('-p / --port', 'names the port of a DNS server', 'add @SERVER or --server ADDRESS');
  }
  const query = queryOptions(args);
  if (!needsServers && (query.qclass !== CLASS_IN || args.class !== undefined)) {
    throw usageError('--class', 'getaddrinfo asks for class IN only', 'add @SERVER or --server ADDRESS');
  }
  const validate = await validationOptions(args, needsServers, query);
  const servers = needsServers ? await chooseServers(serverInputs, args, family, ctx, query) : undefined;

  const results: ResolveResult[] = [];
  const codes: number[] = [];
  if (args.ndjson && (ctx.term.json || args.short || args.verbose)) throw usageError('--ndjson', 'is an output form of its own', 'drop --json, --short or -v');
  const verbose = args.verbose === true && !ctx.term.json && !args.short;
  const mode = args.ndjson ? 'ndjson' : args.short ? 'short' : verbose ? 'verbose' : 'plain';
  if (bulk) {
    const source = bulkSource(forms.names, (args.reverse ?? []).map(String), args.file === undefined ? undefined : String(args.file));
    const detail = ctx.term.json || verbose || args.ndjson === true;
    const common = { servers, serversForAll, types, family, qclass: query.qclass, detail, maxRecords: args.maxRecords, dnssec: args.dnssec === true, validate };
    return runBulk(source, { ...common, mode: ctx.term.json ? 'json' : mode, concurrency: args.concurrency, ratePerSecond: args.rate, summary: args.summary === true }, ctx);
  }
  const bulkOnly = [args.rate !== undefined && '--rate', args.summary && '--summary'].filter(Boolean);
  if (bulkOnly.length > 0) throw usageError(bulkOnly.join(', '), 'for a list of names (- or -f FILE)', 'give the names on stdin or in a file');
  const streaming = !ctx.term.json && (mode !== 'plain' || !ctx.term.isStdoutTTY) ? new ResolveStreamPrinter(ctx.term, mode, args.validate === true, args.chain === true) : undefined;
  await resolveAll(questions, {
    servers,
    qclass: query.qclass,
    detail: ctx.term.json || verbose || args.ndjson === true,
    maxRecords: args.maxRecords,
    dnssec: args.dnssec === true,
    validate,
    output: streaming,
    timeoutMs: ctx.timeoutMs,
    concurrency: args.concurrency,
    trace: ctx.trace,
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
  else if (!streaming) await printResolveTable(ctx.term, results, validate !== undefined, args.chain === true);
  return worstExitCode(codes);
}

/**
 * The servers to ask: those given (--server, @SERVER), each asked every question; or
 * else resolv.conf's (--resolv-conf, /etc/resolv.conf), one after another.
 */
async function chooseServers(inputs: string[], args: ResolveArgs, family: 4 | 6 | undefined, ctx: CommandContext, query: QueryOptions): Promise<ServerSet> {
  if (inputs.length > 0) {
    const specs: ServerSpec[] = [];
    for (const input of inputs) specs.push(await parseServer(input, family, ctx.timeoutMs, ctx.trace, args.port));
    checkTlsFlags(args, specs.some((s) => s.scheme === 'tls' || s.scheme === 'https'), specs.some((s) => s.scheme === 'https'));
    const ca = await dnsTlsTrust(args, specs, ctx);
    // DNS over HTTPS (and with it the HTTP/2 stack) loads only when a server speaks it
    const doh = specs.some((s) => s.scheme === 'https') ? (await import('../net/dns/https.js')).DohTransport : undefined;
    return { transports: specs.map((spec) => transportFor(spec, args, ctx, ca, query, doh)), mode: 'each' };
  }
  checkTlsFlags(args, false, false);
  const path = args.resolvConf ?? DEFAULT_RESOLV_CONF;
  const conf = await readResolvConf(path);
  ctx.trace('config', `${path}: nameserver ${conf.nameservers.join(', ')}${conf.defaulted ? ' (none listed: the default)' : ''}, timeout:${conf.timeoutSeconds} attempts:${conf.attempts}`);
  const specs = conf.nameservers.map((host): ServerSpec => ({ host: host.replace(/%.*$/, ''), port: args.port ?? 53, scheme: 'dns', given: host }));
  return { transports: specs.map((spec) => transportFor(spec, args, ctx, undefined, query)), mode: 'in-order', conf };
}

/**
 * The CAs a DoT/DoH server's certificate must chain to: --cacert's file, or Node's bundled
 * roots plus NODE_EXTRA_CA_CERTS as bin/sockkit handed it over (as http-get and ntp --nts).
 * node:tls and the files are loaded only when a server speaks TLS.
 */
async function dnsTlsTrust(args: ResolveArgs, specs: ServerSpec[], ctx: CommandContext): Promise<Buffer | Array<string | Buffer> | undefined> {
  if (!specs.some((s) => s.scheme === 'tls' || s.scheme === 'https')) return undefined;
  const { clientTrust } = await import('./trust.js');
  return clientTrust(args.cacert, ctx.term, ctx.trace, args.insecure);
}

/** UDP (TCP for truncated replies), TCP (--tcp, tcp://), TLS (tls://) or HTTPS (https://). */
function transportFor(
  spec: ServerSpec,
  args: ResolveArgs,
  ctx: CommandContext,
  ca: Buffer | Array<string | Buffer> | undefined,
  query: QueryOptions,
  doh?: typeof import('../net/dns/https.js').DohTransport,
): DnsTransport {
  const tls = { name: args.tlsHostname ?? spec.given, ca, insecure: args.insecure };
  if (spec.scheme === 'tls') return new StreamTransport(spec, { trace: ctx.trace, tls, query: querySpec(query, args.padding !== false) });
  if (spec.scheme === 'https') {
    const method = args.dohGet ? 'GET' : 'POST';
    return new doh!(spec, { trace: ctx.trace, tls, path: spec.path ?? '/dns-query', method, query: querySpec(query, args.padding !== false) });
  }
  if (spec.scheme === 'tcp' || args.tcp) return new StreamTransport(spec, { trace: ctx.trace, query: querySpec(query) });
  return new DnsClient(spec, { trace: ctx.trace, query: querySpec(query) });
}

/** The header bits, class and EDNS record of every query, from the flags. */
export function queryOptions(args: ResolveArgs): QueryOptions {
  const edns = args.edns !== false;
  const wantsEdns = [args.bufsize !== undefined && '--bufsize', args.nsid && '--nsid', args.ecs !== undefined && '--ecs', args.cookie && '--cookie', args.padding && '--padding'].filter(Boolean);
  if (!edns && wantsEdns.length > 0) throw usageError(`--no-edns with ${wantsEdns.join(', ')}`, 'those are EDNS options: they need the OPT record --no-edns leaves out');
  const options: EdnsOption[] = [];
  if (args.nsid) options.push({ code: EdnsCode.NSID, data: Buffer.alloc(0) });
  if (args.ecs !== undefined) options.push(clientSubnetOption(String(args.ecs)));
  if (args.cookie) options.push({ code: EdnsCode.COOKIE, data: clientCookie() });
  return {
    qclass: parseClass(args.class),
    recurse: args.recurse !== false,
    ad: args.ad === true,
    // --validate sets CD as delv does: a validating server hands over what it would refuse, for sockkit to judge
    cd: args.cd === true || args.validate === true,
    edns: edns ? { udpPayload: args.bufsize ?? EDNS_UDP_PAYLOAD, do: args.dnssec === true || args.validate === true, options, padBlock: args.padding ? QUERY_PADDING_BLOCK : 0 } : false,
  };
}

/** --validate's trust anchors (the IANA root keys, or --trust-anchor's), after checking the flags go together. */
export async function validationOptions(args: ResolveArgs, needsServers: boolean, query: QueryOptions): Promise<{ anchors: TrustAnchors; chain: boolean } | undefined> {
  if (!args.validate) {
    if (args.trustAnchor !== undefined) throw usageError('--trust-anchor', 'is for --validate', 'add --validate');
    if (args.chain) throw usageError('--chain', 'explains what --validate found', 'add --validate');
    return undefined;
  }
  if (!needsServers) throw usageError('--validate', 'needs the records a DNS server returns (the system resolver gives addresses only)', 'add @SERVER or --server ADDRESS');
  if (query.edns === false) throw usageError('--validate with --no-edns', 'DNSSEC records come only with EDNS (the DO bit)');
  const file = args.trustAnchor === undefined ? undefined : String(args.trustAnchor);
  const text = file === undefined ? IANA_ROOT_ANCHORS : (await readBoundedFile(file, 1024 * 1024)).toString('utf8');
  try {
    return { anchors: parseTrustAnchors(text), chain: args.chain === true };
  } catch (err) {
    if (err instanceof AnchorError || err instanceof DnssecFormatError) throw usageError(`--trust-anchor ${file}`, err.message);
    throw err;
  }
}

function parseClass(text: string | undefined): number {
  if (text === undefined) return CLASS_IN;
  const known: Record<string, number> = { IN: 1, CH: 3, CHAOS: 3, HS: 4, HESIOD: 4 };
  const upper = String(text).toUpperCase();
  const generic = /^CLASS(\d{1,5})$/.exec(upper);
  const value = known[upper] ?? (generic && Number(generic[1]) <= 0xffff ? Number(generic[1]) : undefined);
  if (value === undefined) throw usageError(`bad --class '${text}'`, 'expected IN, CH, HS (or CLASSnnn)');
  return value;
}

/** --tls-hostname, --cacert and -k say how to trust a DoT or DoH server, --doh-get how to ask DoH: without one they are a mistake. */
function checkTlsFlags(args: ResolveArgs, anyTls: boolean, anyHttps: boolean): void {
  if (args.dohGet && !anyHttps) throw usageError('--doh-get', 'only applies to DNS over HTTPS', 'name the server as https://HOST');
  if (anyTls) return;
  const given = [args.tlsHostname !== undefined && '--tls-hostname', args.cacert !== undefined && '--cacert', args.insecure && '-k'].filter(Boolean);
  if (given.length > 0) throw usageError(given.join(', '), 'only apply to DNS over TLS or HTTPS', 'name the server as tls://HOST or https://HOST');
}

/**
 * What `resolve -` reads from stdin, at most: a list of names, not an endless stream
 * (`yes`, /dev/zero). A name is at most 253 characters; a line may carry a comment.
 */
export const NAME_LIST_LIMITS = { maxBytes: 64 * 1024 * 1024, maxLines: 1_000_000, maxLineBytes: 64 * 1024 };

const nameListTooLong = (why: string) =>
  usageError('names from stdin', why, `at most ${NAME_LIST_LIMITS.maxLines.toLocaleString('en-US')} lines of up to 64 KiB, 64 MiB in all; split the list`);

/**
 * Expands `-` into the names read from stdin, adds -x's addresses, and checks every
 * name before any query: nothing that is not a host name or an IP reaches a resolver.
 */
async function readNames(args: string[], reverse: string[], file: string | undefined): Promise<QueryName[]> {
  const raw: string[] = [];
  if (file !== undefined) {
    const fromFile = parseNameList((await readBoundedFile(String(file), NAME_LIST_LIMITS.maxBytes)).toString('utf8'));
    if (fromFile.length > NAME_LIST_LIMITS.maxLines) throw nameListTooLong(`${fromFile.length.toLocaleString('en-US')} names in ${file}`);
    if (fromFile.length === 0) throw usageError('no names', `${file} has no names (one per line; blank lines and # comments are skipped)`);
    raw.push(...fromFile);
  }
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
    if (type === undefined || NOT_QUESTIONS.has(type) || text === '') {
      throw usageError(`bad --type '${value}'`, `expected one of ${TYPE_CHOICES.join(', ')} (or TYPEnnn)`);
    }
    if (!types.includes(type)) types.push(type);
  }
  return types;
}

/** An 8-byte client cookie (RFC 7873) from the kernel's CSPRNG, without loading node:crypto (shared/random.ts). */
function clientCookie(): Buffer {
  const cookie = Buffer.alloc(8);
  fillRandom(cookie);
  return cookie;
}
