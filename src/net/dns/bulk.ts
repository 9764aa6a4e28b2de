// Bulk runs (`resolve -`, `-f FILE`): names streamed from a LineSource through a bounded
// window. A line is read only when the window has room; at most `concurrency` queries
// are in flight; results leave in input order as soon as the oldest one is done, and
// the results waiting behind a slow one are bounded (the reorder limit), so memory does
// not grow with the length of the list. Every line gets exactly one result per server
// and question (the default A+AAAA as one result), a line that is no name included.
import { SockkitError, toSockkitError } from '../shared/errors.js';
import type { LineSource } from '../shared/line-reader.js';
import { TokenBucket } from '../shared/token-bucket.js';
import { parseQueryName, shownInput, type QueryName } from './names.js';
import { RecordType, typeName } from './packet.js';
import { addressTypeLabel, askServers, askSystem, planQuestions, type Job, type ResolveOptions, type ResolveQuestion, type ResolveResult } from './resolve.js';
import type { DnsTransport } from './transport.js';

export interface BulkCounters {
  /** Names read so far (lines that are not blank or comments). */
  names: number;
  /** Queries started so far (retransmissions not counted). */
  queries: number;
  /** Names whose every result has been handed over. */
  namesDone: number;
}

export interface BulkOptions extends ResolveOptions {
  /** --type, or undefined for the default (A and AAAA: one result for both). */
  types?: number[];
  family?: 4 | 6;
  /** Every question goes to the servers (--server, --resolv-conf), not only those getaddrinfo cannot ask. */
  serversForAll: boolean;
  /** --rate: the most queries started per second. */
  ratePerSecond?: number;
  /** The most results held for input order behind the oldest unfinished one (default: from concurrency). */
  reorderLimit?: number;
  /** Filled in as the run goes (progress). */
  counters?: BulkCounters;
}

/** One result to hand over, made of one query or, for the default A+AAAA, two. */
class Slot {
  left: number;
  /** The last result of its line: handing it over finishes the name. */
  lastOfName = false;
  result?: ResolveResult = undefined;
  /** The parts of a merged result (A and AAAA), as they come; none for a single query. */
  readonly parts: Array<ResolveResult | undefined> | undefined;

  constructor(parts: number) {
    this.left = parts;
    this.parts = parts > 1 ? new Array(parts) : undefined;
  }
}

/** A query waiting for its turn in the window, and where its result goes: a Job itself (askServers takes it). */
class PendingJob implements Job {
  constructor(
    readonly slot: Slot,
    readonly part: number,
    readonly question: ResolveQuestion,
    readonly transports: DnsTransport[],
  ) {}
}

/**
 * What every line that is a name turns into, worked out once per run (planQuestions per
 * line cost a batch several arrays a name): the questions' types, grouped by result, and
 * the server lists each group goes to. Two plans: names, and IP addresses (PTR).
 */
interface LinePlan {
  groups: Array<{ questions: Array<Omit<ResolveQuestion, 'name'>>; targets: DnsTransport[][] }>;
}

/** The default reorder limit: room for the answers that pass one retransmitted query. */
function defaultReorderLimit(concurrency: number): number {
  return Math.min(Math.max(8 * concurrency, 4096), 65_536);
}

/** Resolves every name `source` gives, handing one result per name and server (and type) to onResult, in input order. */
export async function resolveStream(source: LineSource, options: BulkOptions): Promise<void> {
  const transports = options.servers?.transports ?? [];
  await Promise.all(transports.map((t) => t.open()));
  try {
    await new BulkRun(source, options).run();
  } finally {
    source.close();
    await Promise.all(transports.map((t) => t.close()));
  }
}

class BulkRun {
  private readonly slots: Slot[] = [];
  private head = 0;
  private readonly ready: PendingJob[] = [];
  private readyHead = 0;
  private inFlight = 0;
  private inputDone = false;
  private inputError?: unknown;
  private waiting = false;
  private pumping = false;
  private ended = false;
  private readonly limit: number;
  private readonly reorderLimit: number;
  private readonly bucket?: TokenBucket;
  private readonly counters: BulkCounters;
  private finish!: (err?: unknown) => void;
  /** Set by the abort listener: the loops below test a field, not the signal's getter, per name. */
  private aborted = false;
  /** LinePlans for a name and for an address, made at the first of each. */
  private readonly plans: { name?: LinePlan; address?: LinePlan } = {};

  constructor(
    private readonly source: LineSource,
    private readonly options: BulkOptions,
  ) {
    this.limit = Math.max(1, options.concurrency);
    this.reorderLimit = options.reorderLimit ?? defaultReorderLimit(this.limit);
    if (options.ratePerSecond) this.bucket = new TokenBucket(options.ratePerSecond);
    this.counters = options.counters ?? { names: 0, queries: 0, namesDone: 0 };
  }

  run(): Promise<void> {
    const { signal } = this.options;
    return new Promise<void>((resolve, reject) => {
      // One listener for the whole run: an interrupt fails what is in flight, nothing new starts.
      const onAbort = () => {
        this.aborted = true;
        for (const t of this.options.servers?.transports ?? []) t.cancelAll(toSockkitError(signal?.reason, 'resolve'));
        if (this.inFlight === 0) this.end();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.finish = (err) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      if (signal?.aborted) {
        this.aborted = true;
        return this.end();
      }
      this.pump();
    });
  }

  private end(err?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.finish(err);
  }

  /** Starts what the window, the rate and the output allow; reads lines only to fill it. */
  private pump(): void {
    if (this.pumping || this.waiting || this.ended) return;
    const { output } = this.options;
    let waitFor: ((then: () => void) => void) | undefined;
    this.pumping = true;
    try {
      while (this.inFlight < this.limit && !this.aborted && !output?.busy) {
        if (this.readyHead === this.ready.length) {
          if (this.inputDone || !this.roomInWindow()) break;
          const line = this.nextLine();
          if (line === undefined) {
            waitFor = (then) => this.source.whenReady(then);
            break;
          }
          if (line === null) this.inputDone = true;
          else this.expand(line);
          continue;
        }
        if (this.bucket && !this.bucket.take()) {
          const ms = this.bucket.waitMs();
          waitFor = (then) => setTimeout(then, ms);
          break;
        }
        this.start(this.ready[this.readyHead++]!);
        if (this.readyHead === this.ready.length) this.ready.length = this.readyHead = 0;
      }
      this.emitReady();
    } catch (err) {
      this.pumping = false;
      return this.end(err); // a throwing onResult
    }
    this.pumping = false;
    if (this.inputDone && this.readyHead === this.ready.length && this.head === this.slots.length) return this.end(this.inputError);
    if (this.aborted) return this.inFlight === 0 ? this.end() : undefined;
    // a slow reader of the output holds everything (finished queries still hand over theirs)
    if (output?.busy) return this.wait((then) => output.whenDrained(then));
    if (waitFor) this.wait(waitFor);
  }

  /**
   * The next line, or null at the end. An unreadable input or a line too long ends the
   * input: the names before it still get their results, then the run fails with it.
   */
  private nextLine(): string | null | undefined {
    try {
      return this.source.next();
    } catch (err) {
      this.inputError = err;
      return null;
    }
  }

  /** Whether another line may be read: the results held for input order are under the limit. */
  private roomInWindow(): boolean {
    if (this.slots.length - this.head < this.reorderLimit) return true;
    this.emitReady();
    return this.slots.length - this.head < this.reorderLimit;
  }

  private wait(arm: (then: () => void) => void): void {
    this.waiting = true;
    arm(() => {
      this.waiting = false;
      this.pump();
    });
  }

  /** One line: its slots (and the queries each is made of), or one `invalid` result. */
  private expand(line: string): void {
    const text = nameOfLine(line);
    if (text === '') return;
    this.counters.names++;
    let name: QueryName;
    try {
      name = parseQueryName(text);
    } catch (err) {
      if (!(err instanceof SockkitError)) throw err;
      const slot = new Slot(0);
      slot.result = invalidResult(text, err, this.typeLabel());
      slot.lastOfName = true;
      this.slots.push(slot);
      return;
    }
    const plan = name.address ? (this.plans.address ??= this.planFor(name)) : (this.plans.name ??= this.planFor(name));
    for (const group of plan.groups) {
      for (const transports of group.targets) {
        const slot = new Slot(group.questions.length);
        this.slots.push(slot);
        for (let part = 0; part < group.questions.length; part++) {
          const { type, family, viaServers } = group.questions[part]!;
          const question: ResolveQuestion = family === undefined ? { name, type, viaServers } : { name, type, family, viaServers };
          this.ready.push(new PendingJob(slot, part, question, transports));
        }
      }
    }
    this.slots[this.slots.length - 1]!.lastOfName = true;
  }

  /** The plan of every line like this one (a name, or an address): planQuestions' questions, grouped, with their servers. */
  private planFor(name: QueryName): LinePlan {
    const { servers } = this.options;
    const questions = planQuestions([name], this.options.types, this.options.serversForAll, this.options.family);
    // the default question of a run with servers, A and AAAA: one result for both
    const merged = this.options.types === undefined && questions.length === 2 && questions[0]!.type === RecordType.A && questions[1]!.type === RecordType.AAAA;
    const groups = merged ? [questions] : questions.map((q) => [q]);
    return {
      groups: groups.map((group) => {
        const viaServers = group[0]!.viaServers && servers !== undefined;
        const targets: DnsTransport[][] = !viaServers ? [[]] : servers.mode === 'in-order' ? [servers.transports] : servers.transports.map((t) => [t]);
        return { questions: group.map(({ type, family, viaServers: via }) => (family === undefined ? { type, viaServers: via } : { type, family, viaServers: via })), targets };
      }),
    };
  }

  private typeLabel(): string {
    const { types, family } = this.options;
    return types ? types.map(typeName).join(',') : addressTypeLabel(family);
  }

  private start(pending: PendingJob): void {
    this.inFlight++;
    this.counters.queries++;
    if (pending.transports.length > 0) askServers(pending, this.options, (result) => this.finished(pending, result));
    else void askSystem(pending.question, this.options).then((result) => this.finished(pending, result));
  }

  private finished(pending: PendingJob, result: ResolveResult | SockkitError): void {
    this.inFlight--;
    if (this.ended) return; // the run failed meanwhile: nothing more is handed over
    if (result instanceof SockkitError) return this.end(result); // INTERRUPTED: the run stops
    const { slot } = pending;
    if (slot.parts) {
      slot.parts[pending.part] = result;
      if (--slot.left === 0) slot.result = mergeFamilies(slot.parts as ResolveResult[]);
    } else {
      slot.left = 0;
      slot.result = result;
    }
    if (slot === this.slots[this.head]) {
      try {
        this.emitReady();
      } catch (err) {
        // onResult runs inside a socket event here: a throw must end the run, not the process
        return this.end(err);
      }
    }
    this.refillSoon();
  }

  /**
   * Refills the window once the event loop has handed over every reply it read in this
   * turn, not after each: the questions then leave in one burst, which the server reads
   * in one wake-up, as we read its answers. Refilling per answer kept both sides waking
   * for every datagram: 100,000 names over UDP took 2.7 s against 2.2 s, most of it in
   * the kernel (1.3 s of system time against 0.7). The window still refills within the
   * turn in which it drained, so a distant server sees it as full as before.
   */
  private refillSoon(): void {
    if (this.refillScheduled) return;
    this.refillScheduled = true;
    setImmediate(this.refill);
  }

  private refillScheduled = false;
  private readonly refill = (): void => {
    this.refillScheduled = false;
    this.pump();
  };

  /** Hands over each finished result at the head, in input order; an abort stops the output at once. */
  private emitReady(): void {
    const { onResult } = this.options;
    while (this.head < this.slots.length && !this.aborted) {
      const slot = this.slots[this.head]!;
      if (!slot.result) break;
      this.slots[this.head++] = undefined as unknown as Slot; // handed over: let it go
      if (slot.lastOfName) this.counters.namesDone++;
      onResult(slot.result, 0);
    }
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** A line of a list without its comment and surrounding space ('' for a blank or comment line). */
export function nameOfLine(line: string): string {
  return (line.includes('#') ? line.replace(/(^|\s)#.*$/, '') : line).trim();
}

/** A line that is not a name: its result says why; nothing is sent for it. */
function invalidResult(text: string, err: SockkitError, type: string): ResolveResult {
  // the line as it can be printed: no tab or newline of its own breaks a row
  const shown = shownInput(text);
  return { name: shown, queryName: shown, type, status: 'invalid', server: '-', timeMs: 0, answers: [], error: `${err.what}: ${err.why}` };
}

const ANSWERED = new Set(['ok', 'nxdomain', 'nodata']);
const WORST_SECURITY = ['bogus', 'indeterminate', 'insecure', 'secure'] as const;

/**
 * A and AAAA of one name as one result: both families' answers (a CNAME chain once); a
 * failure of either (timeout, SERVFAIL) is the result's status, with the family named,
 * since a retry is then due; else ok when either answered, nxdomain, or nodata.
 */
export function mergeFamilies([a, aaaa]: ResolveResult[]): ResolveResult {
  const parts = [a!, aaaa!];
  const failed = parts.filter((p) => !ANSWERED.has(p.status));
  const answered = parts.find((p) => p.status === 'ok');
  const decisive = failed[0] ?? answered ?? parts.find((p) => p.status === 'nxdomain') ?? a!;
  const seen = new Set(a!.answers.map((x) => `${x.name}\t${x.type}\t${x.value}`));
  const merged: ResolveResult = {
    ...decisive,
    type: 'A/AAAA',
    timeMs: Math.max(a!.timeMs, aaaa!.timeMs),
    answers: [...a!.answers, ...aaaa!.answers.filter((x) => !seen.has(`${x.name}\t${x.type}\t${x.value}`))],
  };
  const why = failed.map((p) => p.error ?? p.status.toUpperCase());
  // the same failure for both (a dead server) once; else each with its family
  if (failed.length > 0) merged.error = failed.length === 2 && why[0] === why[1] ? why[0] : failed.map((p, i) => `${p.type}: ${why[i]}`).join('; ');
  const extended = parts.flatMap((p) => p.extendedErrors ?? []);
  if (extended.length > 0) merged.extendedErrors = [...new Set(extended)];
  const ignored = parts.flatMap((p) => p.ignored ?? []);
  if (ignored.length > 0) merged.ignored = ignored;
  for (const status of WORST_SECURITY) {
    const worst = parts.find((p) => p.security === status);
    if (!worst) continue;
    merged.security = status;
    if (worst.securityReason) merged.securityReason = worst.securityReason;
    else delete merged.securityReason;
    break;
  }
  return merged;
}
