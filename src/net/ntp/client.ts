// The SNTP client on a raw UDP socket: resolve, pick the first address that answers,
// send 48-byte requests with a random nonce, validate every datagram that arrives,
// and measure offset and delay. Returns data or throws a SockkitError; never prints.
import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { SockkitError, protocolError, timeoutError, toSockkitError } from '../shared/errors.js';
import { sleep, withDeadline } from '../shared/deadline.js';
import { noTrace, type TraceFn } from '../shared/trace.js';
import { fillRandom } from '../shared/random.js';
import { encodeNtpRequest, formatRefId, type NtpPacket } from './packet.js';
import { endpointText, judgeReply, kissMessage, type Endpoint, type ReplyVerdict } from './validate.js';
import { bestIndex, measure, sampleStats, type SampleStats } from './measure.js';
import { literalFamily, lookupHost } from '../socket/lookup.js';
import { builtin } from '../shared/builtin.js';
// NTS (node:tls, node:crypto) is loaded only with --nts: see keyExchange().
import type { NtsKeResult } from './nts-ke.js';
import type { NtsAssociation, NtsCounters, ProtectedRequest } from './nts-association.js';

export type Family = 4 | 6;

export interface ResolvedAddress {
  address: string;
  family: Family;
}

export type LookupFn = (host: string, family: Family | undefined) => Promise<ResolvedAddress[]>;

export interface NtpQueryOptions {
  /** Host name or IP literal, as the user typed it. */
  server: string;
  port: number;
  family?: Family;
  /** Number of queries on one socket (≥ 1). */
  samples?: number;
  /** Pause between queries, in ms. */
  intervalMs?: number;
  /** Longest wait for each reply. With several addresses the first query's wait is shared among them. */
  timeoutMs: number;
  signal?: AbortSignal;
  trace: TraceFn;
  /** Name resolution (the system resolver unless a test passes its own). */
  lookup?: LookupFn;
  /** Local wall clock in Unix ms with sub-ms digits. */
  clock?: () => number;
  /** --nts: a key exchange first, then every request protected and every reply authenticated. */
  nts?: NtsOptions;
}

export interface NtsOptions {
  /** The NTS-KE port of the server (4460). */
  port: number;
  /** PEM CA certificates (--cacert); Node's bundled roots otherwise. */
  ca?: Buffer | Array<string | Buffer>;
  /** -k */
  insecure: boolean;
}

/** What NTS did for a report: the key exchange, where NTP went and why, and the cookies. */
export interface NtsReport {
  ke: NtsKeResult;
  /** The NTP server: named by the key exchange, or the address the key exchange used. */
  serverSource: 'negotiated' | 'ke-address';
  /** The NTP port: named by the key exchange, or --port (123). */
  portSource: 'negotiated' | 'option';
  cookies: NtsCounters & { left: number };
}

export interface NtpSample {
  /** 1-based. */
  index: number;
  status: 'ok' | 'timeout';
  /** T1, our clock when the request left (Unix ms). */
  sentAtUnixMs: number;
  /** T4, our clock when the reply arrived (Unix ms). */
  receivedAtUnixMs?: number;
  offsetMs?: number;
  delayMs?: number;
  packet?: NtpPacket;
  /** Datagrams that arrived during this query and were not an answer to it. */
  ignoredReplies: number;
  /** For a lost sample: why. */
  error?: SockkitError;
}

type AnsweredSample = NtpSample & Required<Pick<NtpSample, 'offsetMs' | 'delayMs' | 'packet' | 'receivedAtUnixMs'>>;

export interface UnansweredAddress {
  address: string;
  why: string;
}

export interface NtpServerReport {
  server: string;
  address: string;
  family: Family;
  port: number;
  /** Every address of the name, in resolver order. */
  addresses: string[];
  /** Addresses tried before the one that answered. */
  unanswered: UnansweredAddress[];
  status: 'ok' | 'unsynchronised';
  unsynchronisedReason?: string;
  /** The reply of the best sample (lowest delay), or the unsynchronised reply. */
  packet: NtpPacket;
  offsetMs: number;
  delayMs: number;
  /** T4 of that reply: the pivot for reading its timestamps in the right NTP era. */
  receivedAtUnixMs: number;
  samples: NtpSample[];
  /** 1-based index of the best sample. */
  bestSample: number;
  stats: SampleStats;
  /** All datagrams ignored over the whole run (wrong sender, wrong origin, unauthenticated). */
  ignoredReplies: number;
  nts?: NtsReport;
  /** Ctrl-C ended the run before --samples: these are the samples taken before it. */
  interrupted?: true;
}

/** A kiss-o'-death: a protocol error that also names the code (RFC 5905 §7.4). */
export class NtpKissOfDeathError extends SockkitError {
  constructor(
    readonly kissCode: string,
    what: string,
  ) {
    super('PROTOCOL', what, kissMessage(kissCode));
  }
}

/**
 * `performance.timeOrigin + performance.now()`: the wall clock with sub-ms resolution.
 * node:perf_hooks' own clock, not the global: the bundle reads the global
 * performance.now() from process.uptime() (esbuild.config.mjs), whose origin is a
 * few ms off timeOrigin.
 */
export function preciseClock(): number {
  const { performance: clock } = builtin('node:perf_hooks');
  return clock.timeOrigin + clock.now();
}

/** Queries one server; `samples` queries on one socket. */
export async function queryNtpServer(options: NtpQueryOptions): Promise<NtpServerReport> {
  const trace = options.trace;
  const samples = Math.max(1, Math.floor(options.samples ?? 1));
  const nts = options.nts ? await keyExchange(options, options.nts, samples, trace) : undefined;
  // With NTS, a server and port the key exchange negotiated win over the host and --port;
  // without a server named, NTP goes to the address the key exchange used (RFC 8915 §4.1.7).
  const target = nts ? { ...options, server: nts.ke.ntpServer ?? nts.ke.address, port: nts.ke.ntpPort ?? options.port } : options;
  const addresses = await resolveServer(target, trace);

  const clock = options.clock ?? preciseClock;
  const { session, first, unanswered } = await firstAnsweringAddress(target, addresses, clock, trace, nts);

  try {
    const collected: NtpSample[] = [];
    let outcome: ExchangeOutcome = first;
    // Every sample stands on its own, the first included: a lost reply is a lost
    // sample, and the run fails only when no sample at all was answered.
    let lastIgnored = '';
    let lastBudgetMs = options.timeoutMs;
    for (let index = 1; ; index++) {
      if (outcome.kind === 'silence') {
        const error = silenceError(session.server, outcome.budgetMs, outcome.ignored);
        if (outcome.ignored.count > 0) lastIgnored = outcome.ignored.last;
        lastBudgetMs = outcome.budgetMs;
        collected.push({ index, status: 'timeout', sentAtUnixMs: outcome.t1, ignoredReplies: outcome.ignored.count, error });
      } else {
        collected.push(toSample(index, outcome, session.server));
        if (outcome.verdict.kind === 'unsynchronised') {
          return withNts(report(options, session, addresses, unanswered, collected, outcome.verdict.reason), nts);
        }
      }
      if (index >= samples) break;
      if (nts && nts.cookiesLeft === 0) {
        // Never a cookie twice: without new ones from the server, the run ends here.
        trace('nts', `no cookie left after ${index} of ${samples} queries (the server sent no new ones): stopping`);
        break;
      }
      trace('wait', `${options.intervalMs ?? 0} ms before the next query`);
      try {
        await sleep(options.intervalMs ?? 0, options.signal);
        outcome = await session.exchange(options.timeoutMs, options.signal, clock);
      } catch (err) {
        // Interrupted (Ctrl-C): the samples taken so far are the report; the query in flight is not one.
        if (!options.signal?.aborted || !collected.some((s) => s.status === 'ok')) throw err;
        trace('stop', `interrupted after ${collected.length} of ${samples} samples`);
        return { ...withNts(report(options, session, addresses, unanswered, collected), nts), interrupted: true };
      }
    }
    if (!collected.some((s) => s.status === 'ok')) {
      throw withSkipped(noSampleAnswered(session.server, collected, lastBudgetMs, lastIgnored), options.server, unanswered);
    }
    return withNts(report(options, session, addresses, unanswered, collected), nts);
  } finally {
    session.close();
  }
}

/** NTS-KE with the server's host on the NTS-KE port, inside the same --timeout. */
async function keyExchange(options: NtpQueryOptions, nts: NtsOptions, samples: number, trace: TraceFn): Promise<NtsAssociation> {
  // Loaded here, so that plain `sockkit ntp` never loads node:tls or node:crypto.
  const [{ ntsKeyExchange }, { NtsAssociation }] = await Promise.all([import('./nts-ke.js'), import('./nts-association.js')]);
  const ke = await ntsKeyExchange({
    host: options.server,
    port: nts.port,
    family: options.family,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    trace,
    ca: nts.ca,
    insecure: nts.insecure,
  });
  if (ke.ntpServer !== undefined) trace('nts-ke', `NTP server ${ke.ntpServer} (negotiated)`);
  if (ke.ntpPort !== undefined) trace('nts-ke', `NTP port ${ke.ntpPort} (negotiated)`);
  return new NtsAssociation(ke, samples);
}

function withNts(report: NtpServerReport, nts: NtsAssociation | undefined): NtpServerReport {
  if (!nts) return report;
  const { ke } = nts;
  return {
    ...report,
    nts: {
      ke,
      serverSource: ke.ntpServer !== undefined ? 'negotiated' : 'ke-address',
      portSource: ke.ntpPort !== undefined ? 'negotiated' : 'option',
      cookies: { ...nts.counters, left: nts.cookiesLeft },
    },
  };
}

/**
 * Sends the first query to each address in resolver order until one answers (with
 * anything that carries our nonce). The wait is shared among the addresses left, so
 * the whole search stays within the timeout. The last address's session is returned
 * even when it stayed silent, so the caller reports that.
 */
async function firstAnsweringAddress(
  options: NtpQueryOptions,
  addresses: ResolvedAddress[],
  clock: () => number,
  trace: TraceFn,
  nts: NtsAssociation | undefined,
): Promise<{ session: QuerySession; first: ExchangeOutcome; unanswered: UnansweredAddress[] }> {
  const unanswered: UnansweredAddress[] = [];
  const started = performance.now();
  for (let i = 0; ; i++) {
    const target = addresses[i]!;
    const isLast = i === addresses.length - 1;
    const remaining = options.timeoutMs - (performance.now() - started);
    const budget = i === 0 ? options.timeoutMs / addresses.length : Math.max(1, remaining / (addresses.length - i));
    const session = await QuerySession.open(target, options.port, trace, nts);
    let first: ExchangeOutcome;
    try {
      first = await session.exchange(budget, options.signal, clock);
    } catch (err) {
      session.close();
      const failure = toSockkitError(err, `query ${endpointText(session.server)}`);
      if (isLast || !isTryNext(failure)) throw withSkipped(failure, options.server, unanswered);
      trace('next', `${target.address}: ${failure.why}; trying the next address`);
      unanswered.push({ address: target.address, why: failure.why });
      continue;
    }
    if (first.kind === 'silence' && !isLast) {
      const { why } = silenceError(session.server, budget, first.ignored);
      trace('next', `${target.address}: ${why}; trying the next address`);
      unanswered.push({ address: target.address, why });
      session.close();
      continue;
    }
    return { session, first, unanswered };
  }
}

/** When earlier addresses of the name were skipped, the error says so too. */
function withSkipped(error: SockkitError, server: string, unanswered: UnansweredAddress[]): SockkitError {
  if (unanswered.length === 0) return error;
  const skipped = unanswered.map((u) => `${u.address}: ${u.why}`).join('; ');
  return new SockkitError(error.code, `${error.what} (last of ${unanswered.length + 1} addresses of ${server})`, `${error.why}; before it, ${skipped}`, error.hint);
}

/** Turns an answered exchange into a sample, or throws for a final bad verdict. */
function toSample(index: number, outcome: Answered, server: Endpoint): NtpSample {
  const { verdict, t1, t4 } = outcome;
  const base = { index, sentAtUnixMs: t1, receivedAtUnixMs: t4, ignoredReplies: outcome.ignored.count };
  switch (verdict.kind) {
    case 'accept':
    case 'unsynchronised': {
      const m = measure(t1, t4, verdict.packet);
      return { ...base, status: 'ok', packet: verdict.packet, offsetMs: m.offsetMs, delayMs: m.delayMs };
    }
    case 'kiss':
      throw new NtpKissOfDeathError(verdict.code, `query ${endpointText(server)}`);
    case 'reject':
      throw new SockkitError('PROTOCOL', `reply from ${endpointText(server)}`, verdict.error.why);
  }
}

function report(
  options: NtpQueryOptions,
  session: QuerySession,
  addresses: ResolvedAddress[],
  unanswered: UnansweredAddress[],
  samples: NtpSample[],
  unsynchronisedReason?: string,
): NtpServerReport {
  const answered = samples.filter((s): s is AnsweredSample => s.status === 'ok');
  // The unsynchronised reply is the last one; otherwise the best is the lowest delay.
  const best = unsynchronisedReason !== undefined ? answered[answered.length - 1]! : answered[bestIndex(answered)]!;
  return {
    server: options.server,
    address: session.server.address,
    family: session.family,
    port: session.server.port,
    addresses: addresses.map((a) => a.address),
    unanswered,
    status: unsynchronisedReason === undefined ? 'ok' : 'unsynchronised',
    unsynchronisedReason,
    packet: best.packet,
    offsetMs: best.offsetMs,
    delayMs: best.delayMs,
    receivedAtUnixMs: best.receivedAtUnixMs,
    samples,
    bestSample: best.index,
    stats: sampleStats(answered)!,
    ignoredReplies: samples.reduce((n, s) => n + s.ignoredReplies, 0),
  };
}

async function resolveServer(options: NtpQueryOptions, trace: TraceFn): Promise<ResolvedAddress[]> {
  const { server, family, lookup } = options;
  const label = `bad server '${server}'`;
  try {
    if (!lookup || literalFamily(server, family, label) !== 0) return await lookupHost(server, family, options.timeoutMs, trace, label, options.signal);
    // A test's own resolver, under the same deadline.
    const found = await withDeadline(options.timeoutMs, `resolve ${server}`, () => lookup(server, family), options.signal);
    if (found.length === 0) throw new SockkitError('NOT_FOUND', `resolve ${server}`, family ? `no IPv${family} address for this name` : 'no address for this name');
    trace('resolve', `${server} → ${found.map((a) => a.address).join(', ')}`);
    return found;
  } catch (err) {
    throw toSockkitError(err, `resolve ${server}`);
  }
}

function isTryNext(err: SockkitError): boolean {
  return err.code === 'UNREACHABLE' || err.code === 'ADDRESS_UNAVAILABLE' || err.code === 'TIMEOUT';
}

/** Nothing usable arrived in time: a plain timeout, or a protocol error if only bogus datagrams came. */
function silenceError(server: Endpoint, budgetMs: number, ignored: Ignored): SockkitError {
  if (ignored.count === 0) return timeoutError(`no reply from ${endpointText(server)}`, budgetMs);
  const n = ignored.count;
  return protocolError(
    `no valid reply from ${endpointText(server)}`,
    `${n} ${n === 1 ? 'datagram' : 'datagrams'} ignored in ${formatMs(budgetMs)}; last: ${ignored.last}`,
  );
}

/**
 * Every query went unanswered. One query: its own error. Several: a timeout when
 * nothing came at all, a protocol error (as for one query) when only datagrams that
 * were not answers came.
 */
function noSampleAnswered(server: Endpoint, lost: readonly NtpSample[], budgetMs: number, lastIgnored: string): SockkitError {
  if (lost.length === 1) return lost[0]!.error!;
  const ignored = lost.reduce((n, s) => n + s.ignoredReplies, 0);
  const none = `none of ${lost.length} queries answered`;
  if (ignored === 0) {
    const each = timeoutError('', budgetMs);
    return new SockkitError('TIMEOUT', `no reply from ${endpointText(server)}`, `${none}, each ${each.why}`, each.hint);
  }
  return protocolError(`no valid reply from ${endpointText(server)}`, `${none}; ${ignored} ${ignored === 1 ? 'datagram' : 'datagrams'} ignored; last: ${lastIgnored}`);
}

function formatMs(ms: number): string {
  return Math.round(ms) >= 1000 ? `${+(ms / 1000).toFixed(3)} s` : `${Math.round(ms)} ms`;
}

interface Answered {
  kind: 'answer';
  verdict: Exclude<ReplyVerdict, { kind: 'ignore' }>;
  t1: number;
  t4: number;
  ignored: Ignored;
}

/** Datagrams that were not an answer: counted, and the last reason kept (memory stays bounded under a flood). */
interface Ignored {
  count: number;
  last: string;
}

type ExchangeOutcome = Answered | { kind: 'silence'; t1: number; budgetMs: number; ignored: Ignored };

/** One UDP socket (a fresh ephemeral port, RFC 9109) and the queries sent on it. */
class QuerySession {
  private readonly usedNonces = new Set<bigint>();
  private onDatagram: ((data: Buffer, from: Endpoint) => void) | undefined;
  private onError: ((err: Error) => void) | undefined;
  private primed: (() => void) | undefined;
  private readonly self: Endpoint;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly server: Endpoint,
    readonly family: Family,
    private readonly trace: TraceFn,
    private readonly nts: NtsAssociation | undefined,
  ) {
    this.self = { address: family === 6 ? '::1' : '127.0.0.1', port: socket.address().port };
    socket.on('message', (data, rinfo) => {
      const from = { address: rinfo.address, port: rinfo.port };
      // Our own warm-up byte (see prime) is never an answer, nor a forgery to count,
      // even when a loaded machine delivers it late.
      if (data.length === 1 && from.port === this.self.port && from.address === this.self.address) return this.primed?.();
      if (this.onDatagram) this.onDatagram(data, from);
      else trace('ignore', `${data.length} bytes from ${endpointText(from)} between queries`);
    });
    socket.on('error', (err) => this.onError?.(err));
  }

  static async open(target: ResolvedAddress, port: number, trace: TraceFn, nts: NtsAssociation | undefined): Promise<QuerySession> {
    const type = target.family === 6 ? 'udp6' : 'udp4';
    // We only ever send to an address we already resolved: an identity lookup makes
    // send() hand the datagram to the kernel synchronously, so T1 is taken right before
    // the real sendto() instead of a tick (and a lazy load of node:dns) earlier.
    const socket = createSocket({
      type,
      lookup: (address: string, _options: unknown, callback: (err: Error | null, address: string, family: number) => void) =>
        callback(null, address, target.family),
    } as SocketOptions);
    trace('socket', `${type} (datagram)`);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((err) => {
      socket.close();
      throw toSockkitError(err, 'bind a UDP socket');
    });
    const local = socket.address();
    trace('bind', `${endpointText(local)} (ephemeral source port ${local.port})`);
    const session = new QuerySession(socket, { address: target.address, port }, target.family, trace, nts);
    await session.prime();
    return session;
  }

  /**
   * Node compiles its receive path lazily: the first datagram a process gets waits about
   * a millisecond in the socket buffer meanwhile, all of it counted in T4 − T3, which
   * skews the first offset by half of it. One byte sent to ourselves on loopback pays
   * that cost before T1. It never leaves the machine, waits at most 50 ms, and is
   * harmless if lost.
   */
  private async prime(): Promise<void> {
    const { self } = this;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.primed = undefined;
        resolve();
      };
      const timer = setTimeout(done, 50);
      this.primed = done;
      this.socket.send(Buffer.of(0), self.port, self.address, (err) => {
        if (err) done();
      });
    });
    this.trace('prime', `1 byte to ourselves at ${endpointText(self)}, so the receive path is warm before timing`);
  }

  /** Sends one request and waits up to `budgetMs` for the answer to it. */
  exchange(budgetMs: number, signal: AbortSignal | undefined, clock: () => number): Promise<ExchangeOutcome> {
    const nonce = this.freshNonce();
    const trace = this.trace;
    const header = encodeNtpRequest(nonce);
    // With NTS: one fresh cookie, placeholders, the authenticator (throws when no cookie is left).
    const nts: ProtectedRequest | undefined = this.nts?.request(header, trace);
    const request = nts?.packet ?? header;
    const ignored: Ignored = { count: 0, last: '' };
    const earlierNonces = new Set(this.usedNonces);
    this.usedNonces.add(nonce);
    const server = this.server;
    const maxReplyBytes = this.nts?.maxReplyBytes;
    const ignore = (reason: string) => {
      trace('ignore', reason);
      ignored.count++;
      ignored.last = reason;
    };

    return new Promise<ExchangeOutcome>((resolve, reject) => {
      let t1 = 0;
      const finish = (done: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.onDatagram = undefined;
        this.onError = undefined;
        done();
      };
      const onAbort = () => finish(() => reject(signal?.reason));
      this.onError = (err) => finish(() => reject(toSockkitError(err, `send to ${endpointText(server)}`)));
      this.onDatagram = (data, from) => {
        const t4 = clock(); // first thing: every microsecond spent before this is counted as delay
        trace('recv', `${data.length} bytes from ${endpointText(from)}`);
        const verdict = judgeReply(data, from, { server, nonce, earlierNonces, maxReplyBytes });
        if (verdict.kind === 'ignore') return ignore(verdict.reason);
        // Only an authentic reply (or an NTS NAK with our Unique Identifier) is an answer.
        const protection = nts?.judge(data, verdict);
        if (protection?.kind === 'ignore') return ignore(protection.reason);
        trace('check', verdictText(verdict));
        finish(() => resolve({ kind: 'answer', verdict, t1, t4, ignored }));
      };
      const timer = setTimeout(() => {
        trace('timeout', `no valid reply within ${formatMs(budgetMs)}${ignored.count ? ` (${ignored.count} ignored)` : ''}`);
        finish(() => resolve({ kind: 'silence', t1, budgetMs, ignored }));
      }, budgetMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      t1 = clock();
      this.socket.send(request, server.port, server.address, (err) => {
        if (err) this.onError?.(err);
        else trace('send', `${request.length} bytes to ${endpointText(server)} (mode 3, version 4, nonce ${nonce.toString(16).padStart(16, '0')}${nts ? ', NTS extension fields' : ''})`);
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    this.trace('close', `socket to ${endpointText(this.server)}`);
  }

  /** 64 random bits, never zero and never reused on this socket. */
  private freshNonce(): bigint {
    const bytes = new Uint8Array(8);
    for (;;) {
      fillRandom(bytes);
      const nonce = Buffer.from(bytes).readBigUInt64BE(0);
      if (nonce !== 0n && !this.usedNonces.has(nonce)) return nonce;
    }
  }
}

function verdictText(verdict: Exclude<ReplyVerdict, { kind: 'ignore' }>): string {
  switch (verdict.kind) {
    case 'accept':
      return `ok: origin matches our nonce, mode 4, version ${verdict.packet.version}, stratum ${verdict.packet.stratum}, refid ${formatRefId(verdict.packet)}`;
    case 'unsynchronised':
      return `server unsynchronised: ${verdict.reason}`;
    case 'kiss':
      return kissMessage(verdict.code);
    case 'reject':
      return `rejected: ${verdict.error.why}`;
  }
}

