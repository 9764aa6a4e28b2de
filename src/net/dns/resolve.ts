// Resolves many (name, type) questions with bounded concurrency, either through the
// system resolver or by asking one DNS server directly, and hands the results back
// in input order as soon as each prefix of the list is complete (so output streams).
import { isIP } from 'node:net';
import type { ErrorCode } from '../shared/errors.js';
import { SockkitError, toSockkitError, usageError } from '../shared/errors.js';
import type { TraceFn } from '../shared/trace.js';
import { DnsClient, type DnsServerAddress } from './client.js';
import { CLASS_IN, formatRecordData, Rcode, rcodeName, RecordType, typeName, type DnsMessage, type DnsRecord } from './packet.js';
import { describeRecord, selectAnswers, type AnswerSelection } from './answers.js';
import { fqdn, type QueryName } from './names.js';
import { systemLookup, systemReverse } from '../socket/lookup.js';
import { parseHostPort } from '../shared/address.js';
import { monotonicMs } from '../shared/deadline.js';

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

/** A record of the answer section that does not answer the question, and why. */
export interface IgnoredAnswer extends ResolveAnswer {
  /** The record's class, when it is not IN. */
  class?: number;
  reason: string;
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
  /** Records the server sent that do not answer the question (another owner, type or class). */
  ignored?: IgnoredAnswer[];
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
  trace: TraceFn;
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

/**
 * Resolves every question, at most `concurrency` at a time; returns once all results
 * have been handed to onResult. Driven by callbacks, not one async task per question:
 * a batch of thousands spends its time on the wire, not on promises.
 */
export async function resolveAll(questions: ResolveQuestion[], options: ResolveOptions): Promise<void> {
  const client = options.server ? new DnsClient(options.server, { trace: options.trace }) : undefined;
  await client?.open();
  const { signal } = options;
  const results: Array<ResolveResult | undefined> = new Array(questions.length);
  const limit = Math.max(1, options.concurrency);
  let nextToStart = 0;
  let nextToEmit = 0;
  let inFlight = 0;
  let pumping = false;
  try {
    await new Promise<void>((resolveRun, rejectRun) => {
      // One listener for the whole run (not one per query): an interrupt fails what is in flight.
      const onAbort = () => {
        client?.cancelAll(toSockkitError(signal?.reason, 'resolve'));
        if (inFlight === 0) resolveRun();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const end = (err?: unknown) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) rejectRun(err);
        else resolveRun();
      };
      const finished = (index: number, result: ResolveResult | SockkitError) => {
        inFlight--;
        if (result instanceof SockkitError) return end(result); // INTERRUPTED: the run stops
        results[index] = result;
        try {
          // Hand over each complete prefix in input order; an abort (Ctrl-C, or nobody
          // reading stdout any more) stops the output at once.
          while (nextToEmit < questions.length && results[nextToEmit] && !signal?.aborted) {
            options.onResult(results[nextToEmit]!, nextToEmit);
            results[nextToEmit] = undefined; // emitted: let it go
            nextToEmit++;
          }
          if (nextToEmit === questions.length || (signal?.aborted && inFlight === 0)) return end();
          pump();
        } catch (err) {
          // onResult runs inside a socket event here: a throw must end the run, not the process
          end(err);
        }
      };
      const pump = () => {
        if (pumping) return; // a question that ended at once: the loop below goes on
        pumping = true;
        while (inFlight < limit && nextToStart < questions.length && !signal?.aborted) {
          const index = nextToStart++;
          inFlight++;
          if (client) askServer(client, questions[index]!, options, (result) => finished(index, result));
          else askSystem(questions[index]!, options).then((result) => finished(index, result));
        }
        pumping = false;
      };
      if (questions.length === 0 || signal?.aborted) return end();
      pump();
    });
  } finally {
    await client?.close();
  }
}

/** The fields every result of a question has, whatever the answer. */
function resultBase(question: ResolveQuestion, client: DnsClient | undefined, family: 4 | 6 | undefined, queryName: string): ResolveResult {
  const { name } = question;
  const result: ResolveResult = {
    name: name.input,
    queryName,
    type: question.type === 'addresses' ? addressTypeLabel(family) : typeName(question.type),
    status: 'ok',
    server: client ? client.label : 'system',
    timeMs: 0,
    answers: [],
  };
  if (name.idn) result.asciiName = name.ascii;
  return result;
}

/** One question to the DNS server; `done` gets the result, or an INTERRUPTED error. */
function askServer(client: DnsClient, question: ResolveQuestion, options: ResolveOptions, done: (result: ResolveResult | SockkitError) => void): void {
  const queryName = fqdn(question.name);
  const type = question.type as number;
  const started = monotonicMs();
  client.ask(queryName, type, options.timeoutMs, (err, reply) => {
    if (err?.code === 'INTERRUPTED') return done(err);
    const result = resultBase(question, client, undefined, queryName);
    result.timeMs = elapsedSince(started);
    if (err) {
      result.status = statusOfFailure(err, err);
      setFailure(result, err);
    } else {
      fillFromMessage(result, reply!.message, queryName, type, options.trace);
      result.transport = reply!.transport;
    }
    done(result);
  });
}

/** One question to the system resolver (getaddrinfo / getnameinfo); never rejects. */
async function askSystem(question: ResolveQuestion, options: ResolveOptions): Promise<ResolveResult> {
  const { name } = question;
  const result = resultBase(question, undefined, options.family, name.ascii);
  const started = monotonicMs();
  try {
    if (name.address) {
      const hostname = await systemReverse(name.address, options.timeoutMs, options.trace, options.signal);
      result.answers = [{ name: name.address, type: 'PTR', ttl: null, value: hostname }];
    } else {
      const addresses = await systemLookup(name.ascii, options.family, options.timeoutMs, options.trace, options.signal);
      result.answers = addresses.map((a) => ({ name: name.ascii, type: a.family === 6 ? 'AAAA' : 'A', ttl: null, value: a.address }));
      if (result.answers.length === 0) result.status = 'nodata';
    }
  } catch (err) {
    const failure = toSockkitError(err, `resolve ${name.input}`);
    result.status = statusOfFailure(err, failure);
    setFailure(result, failure);
  }
  result.timeMs = elapsedSince(started);
  return result;
}

function elapsedSince(started: number): number {
  return Math.round((monotonicMs() - started) * 1000) / 1000;
}

/** Why it failed, for the statuses that carry no RCODE to explain them. */
function setFailure(result: ResolveResult, failure: SockkitError): void {
  if (result.status === 'timeout' || result.status === 'unreachable' || result.status === 'error') result.error = failure.why;
}

function addressTypeLabel(family?: 4 | 6): string {
  return family === 4 ? 'A' : family === 6 ? 'AAAA' : 'A/AAAA';
}

/**
 * The answers that answer the question (answers.ts: owner on the chain, type asked,
 * class IN), and the status from the RCODE and the chain (RFC 1035 §4.1.1; RFC 2308 for
 * NODATA; RFC 6604: along a chain the RCODE speaks of its last name).
 */
function fillFromMessage(result: ResolveResult, message: DnsMessage, queryName: string, type: number, trace: TraceFn): void {
  const selection = selectAnswers(message.answers, queryName, type);
  result.answers = selection.records.map(toAnswer);
  if (selection.ignored.length > 0) {
    result.ignored = selection.ignored.map(({ record, why }) => ({ ...toAnswer(record), ...(record.class !== CLASS_IN ? { class: record.class } : {}), reason: why }));
    if (trace) for (const { record, why } of selection.ignored) trace('ignored', `${describeRecord(record)}: ${why}`);
  }
  result.rcode = rcodeName(message.rcode);
  const { status, error } = statusOfReply(message.rcode, selection);
  result.status = status;
  if (error) result.error = error;
}

function toAnswer(record: DnsRecord): ResolveAnswer {
  return { name: record.name, type: typeName(record.type), ttl: record.ttl, value: formatRecordData(record) };
}

/** Exported for the unit tests: a reply's status from its (extended) RCODE and where its chain ended. */
export function statusOfReply(rcode: number, selection: Pick<AnswerSelection, 'end' | 'problem'>): { status: ResolveStatus; error?: string } {
  if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) {
    const status = RCODE_STATUS[rcode];
    return status ? { status } : { status: 'error', error: `the server answered ${rcodeName(rcode)}${RCODE_MEANING[rcode] ?? ''}` };
  }
  if (selection.end === 'loop' || selection.end === 'too-long') return { status: 'error', error: selection.problem };
  if (rcode === Rcode.NXDOMAIN) return { status: 'nxdomain' };
  return { status: selection.end === 'answer' ? 'ok' : 'nodata' };
}

const RCODE_STATUS: Partial<Record<number, ResolveStatus>> = { 2: 'servfail', 5: 'refused' };

const RCODE_MEANING: Partial<Record<number, string>> = {
  1: ': it could not read the query',
  4: ': it does not implement this kind of query',
  16: ': extended RCODE 16, EDNS version 0 not supported',
};

function statusOfFailure(err: unknown, failure: SockkitError): ResolveStatus {
  // The system resolver's errno travels as the SockkitError's cause.
  const errno = ((err instanceof SockkitError ? err.cause : err) as NodeJS.ErrnoException | undefined)?.code;
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
export async function parseServer(input: string, family: 4 | 6 | undefined, timeoutMs: number, trace: TraceFn, defaultPort = 53): Promise<DnsServerAddress> {
  const { host, port } = parseHostPort(input, defaultPort);
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
