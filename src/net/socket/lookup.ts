// The system resolver: getaddrinfo / getnameinfo through libc, so /etc/hosts,
// nsswitch.conf and the configured DNS servers apply exactly as for every other
// program (Python's gethostbyname / gethostbyaddr do the same).
//
// A libc lookup cannot be cancelled, and it runs on one of libuv's 4 pool threads,
// which Node joins before the process exits: a lookup still waiting on a DNS server
// that never answers keeps a finished command alive (glibc's default: 5 s per server
// and try, 2 tries, 3 servers, and once more for a search domain). So sockkit
//  - tells glibc its budget before the first lookup (RES_OPTIONS `timeout:` and
//    `attempts:`, appended to any the user set), so that glibc gives up inside the
//    command's timeout and the pool thread is free when the command ends;
//  - runs at most as many lookups at once as libuv does, and starts a
//    question's clock when its lookup starts, so no lookup waits in libuv's queue
//    after its question has been answered with a timeout;
//  - names what really happened: glibc's EAI_AGAIN in milliseconds is a resolver that
//    failed at once (refused, unreachable), not a timeout.
// A command interrupted while a lookup is still running leaves by the signal itself
// (see systemLookupsInFlight and commands/common.ts).
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { ipFamily } from '../shared/ip-literal.js';
import { SockkitError, timeoutError, toSockkitError, usageError } from '../shared/errors.js';
import { monotonicMs } from '../shared/deadline.js';
import type { TraceFn } from '../shared/trace.js';
import { builtin } from '../shared/builtin.js';

export interface SystemAddress {
  address: string;
  family: 4 | 6;
}

/** Every address getaddrinfo returns for `name` (both families unless one is asked for). */
export function systemLookup(
  name: string,
  family: 4 | 6 | undefined,
  timeoutMs: number,
  trace: TraceFn,
  signal?: AbortSignal,
): Promise<SystemAddress[]> {
  const call = `getaddrinfo("${name}"${family ? `, AF_INET${family === 6 ? '6' : ''}` : ''})`;
  return runLookup<SystemAddress[]>(
    { what: `getaddrinfo ${name}`, call, timeoutMs, trace, signal },
    (done) =>
      builtin('node:dns').lookup(name, { all: true, family: family ?? 0, order: 'verbatim' }, (err, addresses) =>
        done(err, err ? undefined : addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }))),
      ),
    (addresses) => `${name} → ${addresses.map((a) => a.address).join(', ') || 'no addresses'}`,
  );
}

/**
 * The one "IP literal vs -4/-6" check of the tool: the family of `address` when it is an
 * IP literal (refused, naming `label`, when -4/-6 asks for the other), 0 for a name.
 */
export function literalFamily(address: string, family: 4 | 6 | undefined, label: string): 0 | 4 | 6 {
  const literal = ipFamily(address) as 0 | 4 | 6;
  if (literal !== 0 && family !== undefined && family !== literal) {
    throw usageError(label, `an IPv${literal} address, but -${family} asks for IPv${family}`);
  }
  return literal;
}

/**
 * The addresses to use for `host`: an IP literal as it is (checked against -4/-6, no
 * lookup), a name through the system resolver; none at all is NOT_FOUND. `label`
 * names the host in a usage error (`bad server '::1'`).
 */
export async function lookupHost(
  host: string,
  family: 4 | 6 | undefined,
  timeoutMs: number,
  trace: TraceFn,
  label: string,
  signal?: AbortSignal,
): Promise<SystemAddress[]> {
  const literal = literalFamily(host, family, label);
  if (literal !== 0) {
    trace('resolve', `${host} is an IPv${literal} address: no lookup`);
    return [{ address: host, family: literal }];
  }
  const found = await systemLookup(host, family, timeoutMs, trace, signal);
  if (found.length === 0) {
    throw new SockkitError('NOT_FOUND', `resolve ${host}`, family ? `no IPv${family} address for this name` : 'no address for this name');
  }
  return found;
}

/** The host name getnameinfo gives for an address (reverse lookup through /etc/hosts, then DNS). */
export function systemReverse(address: string, timeoutMs: number, trace: TraceFn, signal?: AbortSignal): Promise<string> {
  return runLookup<string>(
    { what: `getnameinfo ${address}`, call: `getnameinfo(${address})`, timeoutMs, trace, signal },
    (done) => builtin('node:dns').lookupService(address, 0, (err, host) => done(err, err ? undefined : host)),
    (host) => `${address} → ${host}`,
  );
}

/** Lookups handed to libc and not yet returned (whether or not anyone still waits for them). */
export function systemLookupsInFlight(): number {
  return inFlight;
}

/** `work` or a TIMEOUT SockkitError after `timeoutMs`, whichever comes first. */
export function raceDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(what, timeoutMs) satisfies SockkitError), timeoutMs);
  });
  work.catch(() => {}); // a failure after the deadline is no longer anyone's concern
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

// ---- at most as many libc lookups as libuv runs at once ----

/**
 * libuv runs "slow I/O" (getaddrinfo, getnameinfo) on at most half of its pool
 * (UV_THREADPOOL_SIZE, 4 by default): 2 lookups at once, measured here; more would
 * only queue inside libuv, where they can no longer be given up.
 */
const POOL_THREADS = Math.max(1, Math.min(1024, Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10) || 4));
const LOOKUP_SLOTS = Math.floor((POOL_THREADS + 1) / 2);
let inFlight = 0;
const waiting: Array<() => void> = [];

function takeSlot(signal: AbortSignal | undefined): Promise<void> {
  if (inFlight < LOOKUP_SLOTS) {
    inFlight++;
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const start = () => {
      signal?.removeEventListener('abort', onAbort);
      inFlight++;
      resolve();
    };
    const onAbort = () => {
      waiting.splice(waiting.indexOf(start), 1);
      reject(signal?.reason);
    };
    waiting.push(start);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function releaseSlot(): void {
  inFlight--;
  waiting.shift()?.();
}

interface LookupCall {
  what: string;
  call: string;
  timeoutMs: number;
  trace: TraceFn;
  signal?: AbortSignal;
}

type Done<T> = (err: NodeJS.ErrnoException | null, value: T | undefined) => void;

async function runLookup<T>(call: LookupCall, start: (done: Done<T>) => void, describe: (value: T) => string): Promise<T> {
  const bound = boundGlibc(call.timeoutMs, call.trace);
  await takeSlot(call.signal);
  if (call.signal?.aborted) {
    releaseSlot();
    throw call.signal.reason;
  }
  call.trace('resolve', `${call.call} via the system resolver`);
  const started = monotonicMs();
  const work = new Promise<T>((resolve, reject) => {
    start((err, value) => {
      releaseSlot();
      if (err) reject(lookupFailure(err, call.what, monotonicMs() - started, bound));
      else resolve(value as T);
    });
  });
  // glibc gives up by bound.givesUpMs on its own; the deadline is the safety net
  // (an nsswitch module that ignores RES_OPTIONS) and, where glibc needs longer than
  // the budget, waits for it, so the command ends when it says it ends.
  const deadlineMs = Math.max(call.timeoutMs, bound.givesUpMs + 500);
  const value = await raceAbort(raceDeadline(work, deadlineMs, call.what), call.signal);
  call.trace('resolve', describe(value));
  return value;
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort!));
}

/** A getaddrinfo/getnameinfo error as a SockkitError that says what happened (the errno stays as `cause`). */
export function lookupFailure(err: NodeJS.ErrnoException, what: string, elapsedMs: number, bound: GlibcBound): SockkitError {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_NONAME':
      return new SockkitError('NOT_FOUND', what, 'name not found', undefined, { cause: err });
    case 'EAI_NODATA':
    case 'ENODATA':
      return new SockkitError('NOT_FOUND', what, 'no address for this name', undefined, { cause: err });
    case 'EAI_FAIL':
      return new SockkitError('PROTOCOL', what, 'non-recoverable failure in name resolution (the DNS server failed)', undefined, { cause: err });
    case 'EAI_AGAIN':
    case 'ETIMEOUT':
      // glibc waits at least 1 s for a server before it calls a query timed out; an
      // EAI_AGAIN sooner than that is a refusal (ICMP port unreachable) or a SERVFAIL.
      if (elapsedMs < FAILED_AT_ONCE_MS) {
        return new SockkitError(
          'UNREACHABLE',
          what,
          `the system resolver failed at once (${Math.round(elapsedMs)} ms): its DNS servers are unreachable, refused the query or failed`,
          'check the nameserver lines of /etc/resolv.conf',
          { cause: err },
        );
      }
      return new SockkitError(
        'TIMEOUT',
        what,
        `no answer from the system resolver's DNS servers in ${(elapsedMs / 1000).toFixed(1)} s`,
        bound.minimumMs > bound.budgetMs ? `glibc waits at least ${bound.minimumMs / 1000} s for these servers` : 'raise it with --timeout SECONDS',
        { cause: err },
      );
    default:
      return toSockkitError(err, what);
  }
}

const FAILED_AT_ONCE_MS = 900;

// ---- telling glibc the budget ----

/** What /etc/resolv.conf says that decides how long glibc waits for silent servers. */
export interface ResolverFacts {
  /** DNS servers glibc will try (1 to 3: glibc's MAXNS; 1 when none is listed: 127.0.0.1). */
  servers: number;
  /** A search list applies: glibc asks once more with the first search domain. */
  searches: boolean;
}

export interface GlibcBound {
  /** RES_OPTIONS words sockkit appends, e.g. `timeout:1 attempts:2`. */
  options: string;
  /** When glibc gives up on silent servers (attempts × servers × timeout × tries of the name). */
  givesUpMs: number;
  /** The least glibc can wait (timeout:1 attempts:1). */
  minimumMs: number;
  budgetMs: number;
}

/**
 * The largest glibc wait that fits `budgetMs`, with a retransmission (attempts:2) when
 * one fits. glibc gives each server `timeout` seconds per attempt (at least 1), and asks
 * a second name (the first search domain) when the first times out: measured here with
 * 1 and 3 silent servers, with and without a search list.
 */
export function planGlibcBound(budgetMs: number, facts: ResolverFacts): GlibcBound {
  const tries = facts.servers * (facts.searches ? 2 : 1);
  const seconds = budgetMs / 1000;
  const attempts = seconds >= 2 * tries ? 2 : 1;
  const timeout = Math.max(1, Math.floor(seconds / (attempts * tries)));
  return { options: `timeout:${timeout} attempts:${attempts}`, givesUpMs: attempts * tries * timeout * 1000, minimumMs: tries * 1000, budgetMs };
}

/** Reads the facts from resolv.conf text (and the environment glibc also reads). */
export function resolverFacts(text: string, env: NodeJS.ProcessEnv, host: string): ResolverFacts {
  let servers = 0;
  let searchLine: string | undefined;
  for (const line of text.split('\n')) {
    const [keyword, ...values] = line.trim().split(/\s+/);
    if (keyword === 'nameserver' && values.length > 0) servers++;
    // The last `search` or `domain` line wins, as in glibc.
    if (keyword === 'search' || keyword === 'domain') searchLine = values.join(' ');
  }
  let searches: boolean;
  if (env.LOCALDOMAIN !== undefined) searches = env.LOCALDOMAIN.trim() !== '';
  else if (searchLine !== undefined) searches = searchLine.trim() !== '';
  else searches = host.includes('.'); // glibc takes the domain of the host name
  return { servers: Math.min(3, Math.max(1, servers)), searches };
}

let glibcBound: GlibcBound | undefined;

/** Once per process, before the first lookup: RES_OPTIONS from the command's budget. */
function boundGlibc(budgetMs: number, trace: TraceFn): GlibcBound {
  if (glibcBound) return glibcBound;
  glibcBound = planGlibcBound(budgetMs, resolverFacts(readResolvConf(), process.env, hostname()));
  const userOptions = process.env.RES_OPTIONS?.trim();
  process.env.RES_OPTIONS = userOptions ? `${userOptions} ${glibcBound.options}` : glibcBound.options;
  trace('resolve', `system resolver bounded to ${(glibcBound.givesUpMs / 1000).toFixed(0)} s: RES_OPTIONS="${process.env.RES_OPTIONS}"`);
  return glibcBound;
}

function readResolvConf(): string {
  try {
    // A regular file of sane size only: never block on a FIFO or read a device.
    const stat = statSync('/etc/resolv.conf');
    return stat.isFile() && stat.size <= 65_536 ? readFileSync('/etc/resolv.conf', 'latin1') : '';
  } catch {
    return '';
  }
}
