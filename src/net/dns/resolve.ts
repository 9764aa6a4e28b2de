// Resolves many (name, type) questions with bounded concurrency, either through the
// system resolver or by asking one DNS server directly, and hands the results back
// in input order as soon as each prefix of the list is complete (so output streams).
import { ipFamily } from '../shared/ip-literal.js';
import type { ErrorCode } from '../shared/errors.js';
import { SockkitError, toSockkitError, usageError } from '../shared/errors.js';
import type { TraceFn } from '../shared/trace.js';
import type { DnsServerAddress } from './client.js';
import type { DnsTransport, TransportName } from './transport.js';
import type { TlsInfo } from '../socket/tls.js';
import { extendedErrors, replyDetail, type ReplyDetail } from './reply-detail.js';
import { AXFR, TransferRefused } from './axfr.js';
import { serverTryBudgetMs, type ResolvConf } from './resolv-conf.js';
import { CLASS_IN, decodeMessage, formatRecordData, Rcode, rcodeName, RecordType, typeName, typeNumber, type DnsMessage, type DnsRecord } from './packet.js';
import { describeRecord, selectAnswers, type AnswerSelection } from './answers.js';
import { fqdn, type QueryName } from './names.js';
import { systemLookup, systemReverse } from '../socket/lookup.js';
import { parseHostPort } from '../shared/address.js';
import { monotonicMs } from '../shared/deadline.js';
import type { ChainValidator, SecurityStatus, SecurityVerdict, TrustChain } from '../dnssec/validate.js';
import type { TrustAnchors } from '../dnssec/anchors.js';
import { EXTRA_TYPES } from './types.js';
import { dohPath } from './doh.js';

/** The record types --dnssec shows as returned. */
export const DNSSEC_TYPES = new Set<number>([EXTRA_TYPES.RRSIG, EXTRA_TYPES.NSEC, EXTRA_TYPES.NSEC3, EXTRA_TYPES.DNSKEY, EXTRA_TYPES.DS]);
const fqdnLower = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase();

/** `refused` is the server's REFUSED RCODE; `unreachable` means no server listens (ICMP); `invalid`: a line of a list that is no name (never asked). */
export type ResolveStatus = 'ok' | 'nxdomain' | 'nodata' | 'servfail' | 'refused' | 'timeout' | 'unreachable' | 'tls' | 'error' | 'invalid';

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
  transport?: TransportName;
  /** DNS over TLS: what the connection's handshake negotiated. */
  tls?: TlsInfo;
  /** The whole reply (ResolveOptions.detail): header flags, every section, EDNS. */
  reply?: ReplyDetail;
  /** Extended DNS Errors the server gave (RFC 8914), in words. */
  extendedErrors?: string[];
  /** Records the server sent that do not answer the question (another owner, type or class). */
  ignored?: IgnoredAnswer[];
  /** --validate: the DNSSEC status of the answer, and why when it is not secure. */
  security?: SecurityStatus;
  securityReason?: string;
  /** --chain: the chain of trust of a secure answer, top down. */
  chain?: TrustChain;
}

/** One question to ask: a name and a DNS type, or `addresses` for the system resolver. */
export interface ResolveQuestion {
  name: QueryName;
  type: number | 'addresses';
  /** For `addresses`: one family only. */
  family?: 4 | 6;
  /** Asked of the DNS servers (ResolveOptions.servers); otherwise of the system resolver. */
  viaServers: boolean;
}

/**
 * The DNS servers of a run. `each`: every question is asked of every server at once
 * (--server given several times), one result per server. `in-order`: resolv.conf's
 * servers, the next one asked only when one fails (timeout, unreachable, SERVFAIL,
 * REFUSED, a bad reply), each within its share of the question's budget.
 */
export interface ServerSet {
  transports: DnsTransport[];
  mode: 'each' | 'in-order';
  /** resolv.conf's options: upper bounds of each server's try in `in-order` mode. */
  conf?: Pick<ResolvConf, 'timeoutSeconds' | 'attempts'>;
}

export interface ResolveOptions {
  servers?: ServerSet;
  /** The class asked of DNS servers (IN unless --class). */
  qclass?: number;
  /** Keep the whole reply on each result (--json, -v). */
  detail?: boolean;
  /** AXFR: the most records a transfer may bring (--max-records). */
  maxRecords?: number;
  timeoutMs: number;
  concurrency: number;
  trace: TraceFn;
  /** Stops the run: queries in flight fail, no new ones start, nothing more is emitted. */
  signal?: AbortSignal;
  /** Called once per question, in input order. */
  onResult: (result: ResolveResult, index: number) => void;
  /** --dnssec: RRSIG, NSEC, NSEC3, DNSKEY and DS records of the answer section are shown, not ignored. */
  dnssec?: boolean;
  /** --validate: check each answer from these anchors, fetching DNSKEY and DS through the same server. */
  validate?: { anchors: TrustAnchors; chain?: boolean };
  /** Where results go, when it can lag (a pipe): no new question starts while it is busy. */
  output?: { readonly busy: boolean; whenDrained(then: () => void): void };
}

/**
 * The questions for a list of names. With servers for everything (--server,
 * --resolv-conf): each type asked of them (default A and AAAA), PTR for addresses.
 * Without: addresses (A/AAAA, and PTR of an IP) go to getaddrinfo/getnameinfo as one
 * question, every other type to the DNS servers (resolv.conf's).
 */
export function planQuestions(names: QueryName[], types: number[] | undefined, serversForAll: boolean, family?: 4 | 6): ResolveQuestion[] {
  const questions: ResolveQuestion[] = [];
  const defaultTypes = family === 4 ? [RecordType.A] : family === 6 ? [RecordType.AAAA] : [RecordType.A, RecordType.AAAA];
  for (const name of names) {
    if (name.address) {
      questions.push({ name, type: RecordType.PTR, viaServers: serversForAll });
    } else if (serversForAll) {
      for (const type of types ?? defaultTypes) questions.push({ name, type, viaServers: true });
    } else {
      let addressesAsked = false;
      for (const type of types ?? [RecordType.A]) {
        if (type !== RecordType.A && type !== RecordType.AAAA) {
          questions.push({ name, type, viaServers: true });
        } else if (!addressesAsked) {
          addressesAsked = true;
          questions.push({ name, type: 'addresses', family: systemFamily(types, family), viaServers: false });
        }
      }
    }
  }
  return questions;
}

/** --type A or AAAA alone picks getaddrinfo's family; both, or neither, leave -4/-6's. */
function systemFamily(types: number[] | undefined, family: 4 | 6 | undefined): 4 | 6 | undefined {
  const hasA = types?.includes(RecordType.A) ?? false;
  const hasAAAA = types?.includes(RecordType.AAAA) ?? false;
  return hasA === hasAAAA ? family : hasA ? 4 : 6;
}

/** One unit of work: a question and the servers it goes to (none: the system resolver). */
export interface Job {
  question: ResolveQuestion;
  transports: DnsTransport[];
}

/** Questions × servers: `each` makes one job per server, `in-order` one job over the list. */
function jobsFor(questions: ResolveQuestion[], servers: ServerSet | undefined): Job[] {
  const jobs: Job[] = [];
  for (const question of questions) {
    if (!question.viaServers || !servers) jobs.push({ question, transports: [] });
    else if (servers.mode === 'in-order') jobs.push({ question, transports: servers.transports });
    else for (const transport of servers.transports) jobs.push({ question, transports: [transport] });
  }
  return jobs;
}

/**
 * Resolves every question, at most `concurrency` at a time; returns once all results
 * have been handed to onResult. Driven by callbacks, not one async task per question:
 * a batch of thousands spends its time on the wire, not on promises.
 */
export async function resolveAll(questions: ResolveQuestion[], options: ResolveOptions): Promise<void> {
  const jobs = jobsFor(questions, options.servers);
  const transports = jobs.some((j) => j.transports.length > 0) ? (options.servers?.transports ?? []) : [];
  await Promise.all(transports.map((t) => t.open()));
  const { signal } = options;
  const results: Array<ResolveResult | undefined> = new Array(jobs.length);
  const limit = Math.max(1, options.concurrency);
  let nextToStart = 0;
  let nextToEmit = 0;
  let inFlight = 0;
  let pumping = false;
  try {
    await new Promise<void>((resolveRun, rejectRun) => {
      // One listener for the whole run (not one per query): an interrupt fails what is in flight.
      const onAbort = () => {
        for (const t of transports) t.cancelAll(toSockkitError(signal?.reason, 'resolve'));
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
          while (nextToEmit < jobs.length && results[nextToEmit] && !signal?.aborted) {
            options.onResult(results[nextToEmit]!, nextToEmit);
            results[nextToEmit] = undefined; // emitted: let it go
            nextToEmit++;
          }
          if (nextToEmit === jobs.length || (signal?.aborted && inFlight === 0)) return end();
          pump();
        } catch (err) {
          // onResult runs inside a socket event here: a throw must end the run, not the process
          end(err);
        }
      };
      let waitingForOutput = false;
      const pump = () => {
        if (pumping || waitingForOutput) return; // a question that ended at once: the loop below goes on
        if (options.output?.busy) {
          waitingForOutput = true;
          options.output.whenDrained(() => {
            waitingForOutput = false;
            pump();
          });
          return;
        }
        pumping = true;
        while (inFlight < limit && nextToStart < jobs.length && !signal?.aborted) {
          const index = nextToStart++;
          const job = jobs[index]!;
          inFlight++;
          if (job.transports.length > 0) askServers(job, options, (result) => finished(index, result));
          else askSystem(job.question, options).then((result) => finished(index, result));
        }
        pumping = false;
      };
      if (jobs.length === 0 || signal?.aborted) return end();
      pump();
    });
  } finally {
    await Promise.all(transports.map((t) => t.close()));
  }
}

/** The fields every result of a question has, whatever the answer. */
function resultBase(question: ResolveQuestion, transport: DnsTransport | undefined, queryName: string): ResolveResult {
  const { name } = question;
  // no array literal inside the object literal: V8 copies such a literal through the
  // runtime (a walk of its boilerplate), a flat one in generated code; once per question
  const answers: ResolveAnswer[] = [];
  const result: ResolveResult = {
    name: name.input,
    queryName,
    type: question.type === 'addresses' ? addressTypeLabel(question.family) : typeName(question.type),
    status: 'ok',
    server: transport ? transport.label : 'system',
    timeMs: 0,
    answers,
  };
  if (name.idn) result.asciiName = name.ascii;
  return result;
}

/** Statuses after which resolv.conf's next server is asked (glibc moves on for these too). */
const TRY_NEXT_SERVER = new Set<ResolveStatus>(['timeout', 'unreachable', 'servfail', 'refused', 'tls', 'error']);

/**
 * One question to its server, or to resolv.conf's servers one after another until one
 * gives an answer (any answer but a failure), each within its share of the budget.
 * `done` gets the result of the last server asked, or an INTERRUPTED error.
 */
export function askServers(job: Job, options: ResolveOptions, done: (result: ResolveResult | SockkitError) => void): void {
  // one server (--server, and each of several): its result as it comes, timed by askOne
  if (job.transports.length === 1) return askOne(job.question, job.transports[0]!, options.timeoutMs, options, done);
  const started = monotonicMs();
  const deadline = started + options.timeoutMs;
  const conf = options.servers?.conf;
  const tryServer = (i: number) => {
    const remaining = Math.max(1, deadline - monotonicMs());
    // one server: the whole --timeout (named as such in a timeout); a list: each its share
    const budget = conf && job.transports.length > 1 ? serverTryBudgetMs(conf, remaining, job.transports.length - i) : i === 0 ? options.timeoutMs : remaining;
    askOne(job.question, job.transports[i]!, budget, options, (result) => {
      const last = i + 1 >= job.transports.length || deadline - monotonicMs() < 1;
      if (result instanceof SockkitError || last || !TRY_NEXT_SERVER.has(result.status)) {
        if (!(result instanceof SockkitError)) result.timeMs = elapsedSince(started);
        return done(result);
      }
      options.trace('next', `${result.server} gave ${result.status}: asking ${job.transports[i + 1]!.label}`);
      tryServer(i + 1);
    });
  };
  tryServer(0);
}

/** One question to one server within `budgetMs`. */
function askOne(question: ResolveQuestion, transport: DnsTransport, budgetMs: number, options: ResolveOptions, done: (result: ResolveResult | SockkitError) => void): void {
  const queryName = fqdn(question.name);
  const type = question.type as number;
  if (type === AXFR) return void transferOne(question, transport, budgetMs, options).then(done);
  const started = monotonicMs();
  transport.ask(queryName, type, budgetMs, (err, reply) => {
    if (err?.code === 'INTERRUPTED') return done(err);
    const result = resultBase(question, transport, queryName);
    result.timeMs = elapsedSince(started);
    if (err) {
      result.status = statusOfFailure(err, err);
      setFailure(result, err);
    } else {
      const selection = fillFromMessage(result, reply!.message, queryName, type, options);
      if (options.detail) result.reply = replyDetail(reply!.raw, reply!.message);
      result.transport = reply!.transport;
      if (reply!.tls) result.tls = reply!.tls;
      if (options.validate) {
        // the time a user waited: the chain of trust's fetches included
        return void validateResult(result, reply!.message, reply!.raw, selection.records, transport, started + budgetMs, options).then(() => {
          result.timeMs = elapsedSince(started);
          done(result);
        });
      }
    }
    done(result);
  });
}

/** One ChainValidator per server for the run: each server's DNSKEY and DS answers are fetched once. */
const validators = new WeakMap<DnsTransport, Promise<ChainValidator>>();

/**
 * --validate: the answer's security. Positive answers walk the chain of trust; denials
 * are not proved yet (indeterminate). Every fetch is bounded by what is left of the
 * question's budget.
 */
async function validateResult(result: ResolveResult, message: DnsMessage, raw: Buffer, records: DnsRecord[], transport: DnsTransport, deadline: number, options: ResolveOptions): Promise<void> {
  if (result.status !== 'ok' && result.status !== 'nxdomain' && result.status !== 'nodata') return;
  let pending = validators.get(transport);
  if (!pending) {
    // node:crypto (which the validator's modules load) only with --validate. The promise is
    // shared, so that questions in flight at once use one validator and its cache.
    pending = import('../dnssec/validate.js').then(({ ChainValidator }) => new ChainValidator(fetchThrough(transport, options.trace), options.validate!.anchors));
    validators.set(transport, pending);
  }
  const validator = await pending;
  validator.setDeadline(deadline);
  // proofs (denials, wildcard answers) are in the authority section, which the transport did not decode
  const full = message.authorities.length > 0 ? message : decodeMessage(raw);
  let verdict: SecurityVerdict;
  if (result.status === 'ok') {
    verdict = await validator.validateAnswer(full, records);
  } else {
    // along a CNAME chain the denial speaks of the chain's end
    const lastName = records.length > 0 && records.at(-1)!.data.kind === 'NAME' ? (records.at(-1)!.data as { target: string }).target : result.queryName;
    verdict = await validator.validateDenial(full, lastName, typeNumberOf(result.type), result.status === 'nxdomain');
    if (verdict.status === 'secure' && records.length > 0) {
      const chain = await validator.validateAnswer(full, records);
      if (chain.status !== 'secure') verdict = chain;
    }
  }
  result.security = verdict.status;
  if (verdict.reason) result.securityReason = verdict.reason;
  if (options.validate!.chain && verdict.chain) result.chain = verdict.chain;
  if (options.trace && verdict.reason) options.trace('dnssec', `${result.queryName} ${result.type}: ${verdict.status}: ${verdict.reason}`);
}

function typeNumberOf(name: string): number {
  return typeNumber(name) ?? 0;
}

/** The validator's way to ask: the same transport, each question within what is left of the deadline. */
function fetchThrough(transport: DnsTransport, trace: TraceFn): (name: string, type: number, deadline: number) => Promise<DnsMessage> {
  return (name, type, deadline) =>
    new Promise((resolve, reject) => {
      const left = deadline - monotonicMs();
      if (left < 1) return reject(new Error('timed out (--timeout) before the chain of trust was complete'));
      trace('dnssec', `fetching ${typeName(type)} ${name}`);
      // the transport decodes answers only: proofs of non-existence live in the authority section
      transport.ask(name, type, left, (err, reply) => (err ? reject(new Error(err.why)) : resolve(decodeMessage(reply!.raw))));
    });
}

/** A zone transfer as one result: every record in order, or why not (never rejects). */
async function transferOne(question: ResolveQuestion, transport: DnsTransport, budgetMs: number, options: ResolveOptions): Promise<ResolveResult> {
  const queryName = fqdn(question.name);
  const result = resultBase(question, transport, queryName);
  const started = monotonicMs();
  try {
    if (!transport.transfer) throw new SockkitError('USAGE', `AXFR @${transport.label}`, 'this transport cannot transfer a zone');
    const transfer = await transport.transfer(queryName, budgetMs, options.maxRecords ?? 1_000_000);
    result.answers = transfer.records.map(toAnswer);
    result.rcode = 'NOERROR';
    result.transport = 'tcp';
    if (options.detail) result.reply = replyDetail(transfer.firstRaw, transfer.first);
  } catch (err) {
    if (err instanceof TransferRefused) {
      result.rcode = rcodeName(err.rcode);
      const { status, error } = statusOfReply(err.rcode, { end: 'answer' });
      result.status = status === 'ok' ? 'error' : status;
      if (error) result.error = error;
      if (options.detail) result.reply = replyDetail(err.raw, err.message0);
    } else {
      const failure = toSockkitError(err, `AXFR ${queryName}`);
      result.status = statusOfFailure(err, failure);
      setFailure(result, failure);
    }
  }
  result.timeMs = elapsedSince(started);
  return result;
}

/** One question to the system resolver (getaddrinfo / getnameinfo); never rejects. */
export async function askSystem(question: ResolveQuestion, options: ResolveOptions): Promise<ResolveResult> {
  const { name } = question;
  const result = resultBase(question, undefined, name.ascii);
  const started = monotonicMs();
  try {
    if (name.address) {
      const hostname = await systemReverse(name.address, options.timeoutMs, options.trace, options.signal);
      result.answers = [{ name: name.address, type: 'PTR', ttl: null, value: hostname }];
    } else {
      const addresses = await systemLookup(name.ascii, question.family, options.timeoutMs, options.trace, options.signal);
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

/** Milliseconds since `started` (monotonicMs), to the microsecond. */
export function elapsedSince(started: number): number {
  return Math.round((monotonicMs() - started) * 1000) / 1000;
}

/** Why it failed, for the statuses that carry no RCODE to explain them. */
function setFailure(result: ResolveResult, failure: SockkitError): void {
  if (result.status === 'timeout' || result.status === 'unreachable' || result.status === 'tls' || result.status === 'error') result.error = failure.why;
}

export function addressTypeLabel(family?: 4 | 6): string {
  return family === 4 ? 'A' : family === 6 ? 'AAAA' : 'A/AAAA';
}

/**
 * The answers that answer the question (answers.ts: owner on the chain, type asked,
 * class IN), and the status from the RCODE and the chain (RFC 1035 §4.1.1; RFC 2308 for
 * NODATA; RFC 6604: along a chain the RCODE speaks of its last name).
 */
function fillFromMessage(result: ResolveResult, message: DnsMessage, queryName: string, type: number, options: Pick<ResolveOptions, 'trace' | 'qclass' | 'dnssec'>): AnswerSelection {
  const { trace } = options;
  const selection = selectAnswers(message.answers, queryName, type, options.qclass);
  result.answers = selection.records.map(toAnswer);
  if (options.dnssec) {
    // --dnssec: the signatures and proofs of the chain's names are shown as returned
    const onChain = new Set(selection.chain.map(fqdnLower));
    const shown = selection.ignored.filter(({ record }) => DNSSEC_TYPES.has(record.type) && onChain.has(fqdnLower(record.name)));
    result.answers.push(...shown.map(({ record }) => toAnswer(record)));
    selection.ignored = selection.ignored.filter((i) => !shown.includes(i));
  }
  if (selection.ignored.length > 0) {
    result.ignored = selection.ignored.map(({ record, why }) => ({ ...toAnswer(record), ...(record.class !== CLASS_IN ? { class: record.class } : {}), reason: why }));
    if (trace) for (const { record, why } of selection.ignored) trace('ignored', `${describeRecord(record)}: ${why}`);
  }
  result.rcode = rcodeName(message.rcode);
  const { status, error } = statusOfReply(message.rcode, selection);
  result.status = status;
  if (error) result.error = error;
  const extended = message.edns?.options ? extendedErrors(message) : [];
  if (extended.length > 0) {
    result.extendedErrors = extended;
    // shown with every failing answer: the server's own words on why
    if (status !== 'ok') result.error = [error, ...extended].filter(Boolean).join('; ');
  }
  return selection;
}

export function toAnswer(record: DnsRecord): ResolveAnswer {
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
  if (failure.code === 'TLS') return 'tls';
  return 'error';
}

/** The error category of a status: what the exit code is made of. */
export function statusErrorCode(result: ResolveResult): ErrorCode | undefined {
  if (result.security === 'bogus') return 'PROTOCOL'; // exit 7, whatever the answer's own status
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
    case 'tls':
      return 'TLS';
    case 'servfail':
    case 'refused':
    case 'error':
      return 'PROTOCOL';
    case 'invalid':
      return 'USAGE';
  }
}

/** A server as given: its address, and how to reach it (`tls://`, `https://`, `tcp://`, or UDP with TCP for truncated replies). */
export interface ServerSpec extends DnsServerAddress {
  scheme: 'dns' | 'tcp' | 'tls' | 'https';
  /** The host as given: for TLS and HTTPS, the name the certificate must carry. */
  given: string;
  /** DNS over HTTPS: the URL's path (`/dns-query` when none is written). */
  path?: string;
  /** A name's every address: TCP, TLS and HTTPS connect to them by Happy Eyeballs (transport.ts). */
  addresses?: string[];
}

const SCHEMES: Record<string, ServerSpec['scheme']> = { udp: 'dns', dns: 'dns', tcp: 'tcp', tls: 'tls', https: 'https' };
const DEFAULT_PORTS: Record<ServerSpec['scheme'], number> = { dns: 53, tcp: 53, tls: 853, https: 443 };

/**
 * `--server [tls://|https://|tcp://]HOST[:PORT]`: an IPv4 or IPv6 literal (v6 with a port
 * as `[::1]:5353`), or a host name resolved once through the system resolver (the
 * address used is then shown). The port: the one written, else -p, else 53 (853 for
 * TLS, 443 for HTTPS). `https://HOST[:PORT][/PATH]` may name a path (RFC 8484's URI
 * template without `{?dns}`; `/dns-query` when none).
 */
export async function parseServer(input: string, family: 4 | 6 | undefined, timeoutMs: number, trace: TraceFn, portFlag?: number): Promise<ServerSpec> {
  const { scheme, authority, path } = splitServerSpec(input);
  const { host, port } = parseHostPort(authority, portFlag ?? DEFAULT_PORTS[scheme]);
  if (port === 0) throw usageError(`bad --server '${input}'`, 'port 0 cannot be queried');
  const withPath = path === undefined ? {} : { path };
  if (ipFamily(host)) return { host, port, scheme, given: host, ...withPath };
  let addresses;
  try {
    addresses = await systemLookup(host, family, timeoutMs, trace);
  } catch (err) {
    const failure = toSockkitError(err, `resolve --server ${host}`);
    throw new SockkitError(failure.code, failure.what, failure.why, 'give the DNS server as an IP address');
  }
  const first = addresses[0];
  if (!first) throw new SockkitError('NOT_FOUND', `resolve --server ${host}`, 'no address');
  return { host: first.address, port, scheme, given: host, addresses: addresses.map((a) => a.address), ...withPath };
}

/** Exported for the unit tests: a --server's scheme, its HOST[:PORT], and for https:// its path. */
export function splitServerSpec(input: string): { scheme: ServerSpec['scheme']; authority: string; path?: string } {
  const prefixed = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(input);
  if (!prefixed) return { scheme: 'dns', authority: input };
  const scheme = SCHEMES[prefixed[1]!.toLowerCase()];
  if (!scheme) throw usageError(`bad --server '${input}'`, `'${prefixed[1]}://' is not a DNS transport sockkit speaks`, 'tls://HOST (DNS over TLS), https://HOST (DNS over HTTPS), tcp://HOST, or HOST for UDP');
  const rest = prefixed[2]!;
  if (scheme !== 'https') return { scheme, authority: rest.replace(/\/$/, '') };
  // The authority ends at the first `/` (or `?`): an IPv6 literal is in brackets, so has none.
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  if (authority.includes('@')) throw usageError(`bad --server '${input}'`, 'user information (user@) has no place in a DoH server URL');
  const tail = end === -1 ? '' : rest.slice(end);
  return { scheme, authority, path: dohPath(input, tail.startsWith('?') ? `/${tail}` : tail) };
}
