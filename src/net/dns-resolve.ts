// Resolves many (name, type) questions with bounded concurrency, either through the
// system resolver or by asking one DNS server directly, and hands the results back
// in input order as soon as each prefix of the list is complete (so output streams).
import { isIP } from 'node:net';
import type { ErrorCode } from './errors.js';
import { SockkitError, toSockkitError, usageError } from './errors.js';
import type { TraceFn } from './trace.js';
import { DnsClient, type DnsServerAddress } from './dns-client.js';
import { formatRecordData, rcodeName, RecordType, typeName, type DnsMessage } from './dns-packet.js';
import { fqdn, type QueryName } from './dns-names.js';
import { systemLookup, systemReverse } from './system-resolver.js';
import { parseHostPort } from './address.js';
import { monotonicMs } from './deadline.js';

/** `refused` is the server's REFUSED RCODE; `unreachable` means no server listens (ICMP). */
export type ResolveStatus = 'ok' | 'nxdomain' | 'nodata' | 'servfail' | 'refused' | 'timeout' | 'unreachable' | 'error';

export interface ResolveAnswer {
  /** Owner name of the record (FQDN); differs from the question along a CNAME chain. */
  name: string;
  type: string;
  /** Seconds; null from the system resolver, which does not report TTLs. */
  ttl: number | null;
  /** Presentation form, as dig prints it: `10 mail.example.` for MX. */
  value: string;
}

export interface ResolveResult {
  /** The name as given. */
  name: string;
  /** The punycode form, only for internationalised names. */
  asciiName?: string;
  /** The name actually queried (reverse lookups: the in-addr.arpa / ip6.arpa name). */
  queryName: string;
  type: string;
  status: ResolveStatus;
  /** `127.0.0.1:53`, or `system` for getaddrinfo. */
  server: string;
  timeMs: number;
  answers: ResolveAnswer[];
  /** The RCODE from the server, e.g. NOERROR, NXDOMAIN. */
  rcode?: string;
  /** Why it failed, for timeout and error. */
  error?: string;
  transport?: 'udp' | 'tcp';
}

/** One question to ask: a name and a DNS type, or `addresses` for the system resolver. */
export interface ResolveQuestion {
  name: QueryName;
  type: number | 'addresses';
}

export interface ResolveOptions {
  /** Ask this server directly; without it, use the system resolver. */
  server?: DnsServerAddress;
  family?: 4 | 6;
  timeoutMs: number;
  concurrency: number;
  trace?: TraceFn;
  /** Stops the run: queries in flight fail, no new ones start, nothing more is emitted. */
  signal?: AbortSignal;
  /** Called once per question, in input order. */
  onResult: (result: ResolveResult, index: number) => void;
}

/** The default questions for a list of names: PTR for addresses, else the given types. */
export function planQuestions(names: QueryName[], types: number[] | undefined, useServer: boolean, family?: 4 | 6): ResolveQuestion[] {
  const questions: ResolveQuestion[] = [];
  for (const name of names) {
    if (name.address) {
      questions.push({ name, type: RecordType.PTR });
    } else if (!useServer) {
      questions.push({ name, type: 'addresses' });
    } else {
      const chosen = types ?? (family === 4 ? [RecordType.A] : family === 6 ? [RecordType.AAAA] : [RecordType.A, RecordType.AAAA]);
      for (const type of chosen) questions.push({ name, type });
    }
  }
  return questions;
}

/** Resolves every question; returns once all results have been handed to onResult. */
export async function resolveAll(questions: ResolveQuestion[], options: ResolveOptions): Promise<void> {
  const client = options.server ? new DnsClient(options.server, { trace: options.trace }) : undefined;
  // One listener for the whole run (not one per query): an interrupt fails what is in flight.
  const onAbort = () => client?.cancelAll(toSockkitError(options.signal?.reason, 'resolve'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const results: Array<ResolveResult | undefined> = new Array(questions.length);
  let nextToEmit = 0;
  let nextToStart = 0;
  const worker = async () => {
    // An abort (Ctrl-C, or nobody reading stdout any more) stops new questions at once.
    while (nextToStart < questions.length && !options.signal?.aborted) {
      const index = nextToStart++;
      results[index] = await resolveOne(questions[index]!, client, options);
      while (nextToEmit < questions.length && results[nextToEmit] && !options.signal?.aborted) {
        options.onResult(results[nextToEmit]!, nextToEmit);
        results[nextToEmit] = undefined; // emitted: let it go
        nextToEmit++;
      }
    }
  };
  try {
    const workers = Math.max(1, Math.min(options.concurrency, questions.length));
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await client?.close();
  }
}

async function resolveOne(question: ResolveQuestion, client: DnsClient | undefined, options: ResolveOptions): Promise<ResolveResult> {
  const { name } = question;
  const base = {
    name: name.input,
    ...(name.idn ? { asciiName: name.ascii } : {}),
    queryName: client ? fqdn(name) : name.ascii,
    type: question.type === 'addresses' ? addressTypeLabel(options.family) : typeName(question.type),
    server: client ? client.label : 'system',
  };
  const started = monotonicMs();
  const elapsed = () => Math.round((monotonicMs() - started) * 1000) / 1000;
  try {
    if (client) {
      const reply = await client.query(fqdn(name), question.type as number, { timeoutMs: options.timeoutMs });
      return { ...base, ...fromMessage(reply.message), timeMs: elapsed(), transport: reply.transport };
    }
    if (name.address) {
      const hostname = await systemReverse(name.address, options.timeoutMs, options.trace);
      return { ...base, status: 'ok', timeMs: elapsed(), answers: [{ name: name.address, type: 'PTR', ttl: null, value: hostname }] };
    }
    const addresses = await systemLookup(name.ascii, options.family, options.timeoutMs, options.trace);
    const answers = addresses.map((a) => ({ name: name.ascii, type: a.family === 6 ? 'AAAA' : 'A', ttl: null, value: a.address }));
    return { ...base, status: answers.length > 0 ? 'ok' : 'nodata', timeMs: elapsed(), answers };
  } catch (err) {
    const failure = toSockkitError(err, `resolve ${name.input}`);
    if (failure.code === 'INTERRUPTED') throw failure;
    const status = statusOfFailure(err, failure);
    const explain = status === 'timeout' || status === 'unreachable' || status === 'error';
    return { ...base, status, timeMs: elapsed(), answers: [], ...(explain ? { error: failure.why } : {}) };
  }
}

function addressTypeLabel(family?: 4 | 6): string {
  return family === 4 ? 'A' : family === 6 ? 'AAAA' : 'A/AAAA';
}

// RCODE → status (RFC 1035 §4.1.1, RFC 2308 for NODATA: NOERROR with no answer).
function fromMessage(message: DnsMessage): Pick<ResolveResult, 'status' | 'answers' | 'rcode'> {
  const answers = message.answers
    .filter((r) => r.type !== RecordType.OPT)
    .map((r) => ({ name: r.name, type: typeName(r.type), ttl: r.ttl, value: formatRecordData(r) }));
  const rcode = rcodeName(message.rcode);
  switch (message.rcode) {
    case 0:
      return { status: answers.length > 0 ? 'ok' : 'nodata', answers, rcode };
    case 3:
      return { status: 'nxdomain', answers, rcode };
    case 2:
      return { status: 'servfail', answers, rcode };
    case 5:
      return { status: 'refused', answers, rcode };
    default:
      return { status: 'error', answers, rcode };
  }
}

function statusOfFailure(err: unknown, failure: SockkitError): ResolveStatus {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOTFOUND' || errno === 'EAI_NONAME') return 'nxdomain';
  if (errno === 'EAI_NODATA' || errno === 'ENODATA') return 'nodata';
  if (failure.code === 'TIMEOUT') return 'timeout';
  if (failure.code === 'UNREACHABLE') return 'unreachable';
  return 'error';
}

/** The error category of a status: what the exit code is made of. */
export function statusErrorCode(result: ResolveResult): ErrorCode | undefined {
  switch (result.status) {
    case 'ok':
      return undefined;
    case 'nxdomain':
    case 'nodata':
      return 'NOT_FOUND';
    case 'timeout':
      return 'TIMEOUT';
    case 'unreachable':
      return 'UNREACHABLE';
    case 'servfail':
    case 'refused':
    case 'error':
      return 'PROTOCOL';
  }
}

/**
 * `--server HOST[:PORT]`: an IPv4 or IPv6 literal (v6 with a port as `[::1]:5353`), or a
 * host name resolved once through the system resolver (the address used is then shown).
 */
export async function parseServer(input: string, family: 4 | 6 | undefined, timeoutMs: number, trace?: TraceFn): Promise<DnsServerAddress> {
  const { host, port } = parseHostPort(input, 53);
  if (port === 0) throw usageError(`bad --server '${input}'`, 'port 0 cannot be queried');
  if (isIP(host)) return { host, port };
  let addresses;
  try {
    addresses = await systemLookup(host, family, timeoutMs, trace);
  } catch (err) {
    const failure = toSockkitError(err, `resolve --server ${host}`);
    throw new SockkitError(failure.code, failure.what, failure.why, 'give the DNS server as an IP address');
  }
  const first = addresses[0];
  if (!first) throw new SockkitError('NOT_FOUND', `resolve --server ${host}`, 'no address');
  return { host: first.address, port };
}
