// Iterative resolution from the root (resolve --iterate, what `dig +trace` does): ask a
// root server with RD clear, follow each referral down to the zone that answers, using
// glue where the referral carries it and resolving glueless name-server names by the
// same walk (never through the system resolver), then follow CNAMEs out of the zone.
// Every query is one step, kept for the output: the zone, the server (name and
// address), what it said, and the time. A server that refuses, times out, or answers
// without authority is skipped for the next with the reason; loops and over-long walks
// end with an error. Every query is bounded by the per-query budget, the whole walk by
// its own deadline and a query count.
import { DnsClient } from './client.js';
import { selectAnswers, sameName } from './answers.js';
import { decodeMessage, DnsFormatError, formatRecordData, Rcode, rcodeName, RecordType, typeName, type DnsMessage, type DnsRecord } from './packet.js';
import type { QuerySpec } from './transport.js';
import { EXTRA_TYPES } from './types.js';
import { elapsedSince, toAnswer, type ResolveAnswer, type ResolveStatus } from './resolve.js';
import type { NameServer } from './root-hints.js';
import { ipFamily } from '../shared/ip-literal.js';
import { formatHostPort } from '../shared/address.js';
import { monotonicMs } from '../shared/deadline.js';
import { SockkitError } from '../shared/errors.js';
import type { TraceFn } from '../shared/trace.js';

/** Bounds of one walk (with its CNAMEs and name-server look-ups). */
export const ITERATE_LIMITS = {
  /** Queries sent in all: a resolver that asks more is lost (unbound gives up near this). */
  maxQueries: 100,
  /** Referrals followed for one name: one per label at most in a sane tree. */
  maxReferrals: 30,
  /** CNAMEs followed out of a zone, one new walk each. */
  maxCnames: 8,
  /** Name-server look-ups nested inside each other (the address of a server of a server...). */
  maxNesting: 4,
};

export type StepOutcome = 'referral' | 'answer' | 'cname' | 'nxdomain' | 'nodata' | 'skipped';

export interface IterationStep {
  /** The question asked: `A www.example.`. */
  question: string;
  /** The zone whose server was asked (`.` first). */
  zone: string;
  /** The server's name, and the address and port asked. */
  server: string;
  address: string;
  outcome: StepOutcome;
  /** The referral (`sockkit.test. NS ns.sockkit.test.`), the records, or why the server was skipped. */
  detail: string;
  /** For a referral: the servers it named, with the addresses of their glue. */
  servers?: NameServer[];
  /** For an answer: its records. */
  records?: ResolveAnswer[];
  timeMs: number;
  /** 0 for the walk asked for; 1 for the look-up of a name server's address it needed, and so on. */
  depth: number;
}

export interface IterateOptions {
  roots: readonly NameServer[];
  port: number;
  family?: 4 | 6;
  /** The budget of each query (--timeout). */
  queryTimeoutMs: number;
  /** The budget of the whole walk, name-server look-ups and validation fetches included. */
  walkTimeoutMs: number;
  /** How each query is written (RD clear; DO and CD for DNSSEC). */
  query: QuerySpec;
  trace: TraceFn;
}

/** Where a walk ended: an answer (with its CNAMEs), a denial, or a failure with why. */
export interface IterationOutcome {
  status: ResolveStatus;
  rcode?: string;
  error?: string;
  /** The answer's records in chain order: each CNAME/DNAME, then the records of the type asked. */
  records: DnsRecord[];
  /** The last name of the chain (what a denial speaks of). */
  lastName: string;
  /** Every reply's answer section, then the last reply's authority section (the proofs): what validation reads. */
  message?: DnsMessage;
  /** The server that gave the final reply (`127.0.0.4:53`). */
  server?: string;
  steps: IterationStep[];
}

/** A walk that cannot go on. `fatal`: a loop or a limit, not one server's fault: no other server is tried. */
class WalkError extends Error {
  constructor(readonly status: ResolveStatus, message: string, readonly fatal = false) {
    super(message);
  }
}

/** One reply, judged: where the walk goes next. */
type Judged =
  | { kind: 'referral'; zone: string; servers: NameServer[] }
  | { kind: 'answer' | 'nxdomain' | 'nodata'; message: DnsMessage }
  | { kind: 'lame'; why: string; status?: ResolveStatus };

/** Why one server (or one of its addresses) gave nothing usable. */
interface ServerFailure {
  who: string;
  why: string;
  /** timeout or unreachable when that is all it was; error otherwise. */
  status: ResolveStatus;
}

interface Found {
  kind: 'answer' | 'nxdomain' | 'nodata';
  message: DnsMessage;
  server: string;
}

const lower = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase();
const labelCount = (name: string) => lower(name).split('.').filter((l) => l !== '').length;

/** Whether `name` is `zone` or below it. */
function isAtOrBelow(name: string, zone: string): boolean {
  const n = lower(name);
  const z = lower(zone);
  return z === '.' || n === z || n.endsWith(`.${z}`);
}

export class IterativeResolver {
  private readonly clients = new Map<string, DnsClient>();
  /** Zone cuts learned on the way (zone → its servers), so later walks start at the deepest one known. */
  private readonly cuts = new Map<string, NameServer[]>();
  /** Addresses found for glueless name servers. */
  private readonly addresses = new Map<string, string[]>();
  /** The name servers being looked up, outermost first: one asked again is a loop. */
  private readonly lookingUp: string[] = [];
  private queries = 0;
  private deadline = 0;

  constructor(private readonly options: IterateOptions) {
    this.cuts.set('.', [...options.roots]);
  }

  /**
   * Walks to (name, type), following CNAMEs; never rejects. Each call gets the walk's
   * whole budget and query count, shared with the validation fetches that follow it.
   */
  async resolve(name: string, type: number): Promise<IterationOutcome> {
    this.deadline = monotonicMs() + this.options.walkTimeoutMs;
    this.queries = 0;
    const steps: IterationStep[] = [];
    try {
      return { ...(await this.follow(name, type, steps, 0)), steps };
    } catch (err) {
      if (!(err instanceof WalkError)) throw err;
      return { status: err.status, error: err.message, records: [], lastName: lower(name), steps };
    }
  }

  /**
   * The authoritative reply for (name, type), no CNAME followed, for the validator: a
   * DS from the parent's servers, a DNSKEY from the zone's. Starts at the deepest cut known.
   */
  async fetch(name: string, type: number): Promise<DnsMessage> {
    try {
      return (await this.walk(name, type, [], 0)).message;
    } catch (err) {
      throw err instanceof WalkError ? new Error(err.message) : err;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    this.clients.clear();
  }

  /** The walk for `name`, then one more from the deepest known cut for each CNAME target out of the zone. */
  private async follow(name: string, type: number, steps: IterationStep[], depth: number): Promise<Omit<IterationOutcome, 'steps'>> {
    const records: DnsRecord[] = [];
    const answers: DnsRecord[] = [];
    const seen = new Set<string>();
    let current = lower(name);
    for (let hops = 0; ; hops++) {
      seen.add(current);
      const found = await this.walk(current, type, steps, depth);
      answers.push(...found.message.answers);
      const selection = selectAnswers(found.message.answers, current, type);
      records.push(...selection.records);
      const message = { ...found.message, answers };
      const end = lower(selection.chain.at(-1) ?? current);
      const base = { records, lastName: end, message, server: found.server, rcode: rcodeName(found.message.rcode) };
      if (selection.end === 'loop' || selection.end === 'too-long') return { ...base, status: 'error', error: selection.problem };
      if (found.kind === 'nxdomain') return { ...base, status: 'nxdomain' };
      if (selection.end === 'answer') return { ...base, status: 'ok' };
      // a CNAME whose target the server does not hold (no SOA saying it is empty here): ask for the target
      const leftZone = end !== current && !found.message.authorities.some((r) => r.type === RecordType.SOA && isAtOrBelow(end, r.name));
      if (!leftZone) return { ...base, status: 'nodata' };
      if (seen.has(end)) return { ...base, status: 'error', error: `CNAME loop: ${end} leads back to a name already on the chain` };
      for (const alias of selection.chain) seen.add(lower(alias));
      if (hops + 1 > ITERATE_LIMITS.maxCnames) return { ...base, status: 'error', error: `more than ${ITERATE_LIMITS.maxCnames} CNAMEs followed out of their zones` };
      this.options.trace('iterate', `${current} is an alias of ${end}: walking to ${typeName(type)} ${end}`);
      current = end;
    }
  }

  /** The deepest zone known at or above `name` (strictly above for DS, which the parent holds). */
  private startingCut(name: string, type: number): string {
    const labels = lower(name).split('.').filter((l) => l !== '');
    for (let i = type === EXTRA_TYPES.DS ? 1 : 0; i < labels.length; i++) {
      const zone = `${labels.slice(i).join('.')}.`;
      if (this.cuts.has(zone)) return zone;
    }
    return '.';
  }

  /** Down the tree for one name: from the deepest known cut, one referral at a time, until a server answers. */
  private async walk(name: string, type: number, steps: IterationStep[], depth: number): Promise<Found> {
    let zone = this.startingCut(name, type);
    for (let referrals = 0; ; referrals++) {
      if (referrals > ITERATE_LIMITS.maxReferrals) throw new WalkError('error', `more than ${ITERATE_LIMITS.maxReferrals} referrals for ${name}`, true);
      const reply = await this.askZone(zone, this.cuts.get(zone)!, name, type, steps, depth);
      if (reply.kind !== 'referral') return reply;
      this.cuts.set(reply.zone, reply.servers);
      zone = reply.zone;
    }
  }

  /**
   * Asks the zone's servers in turn (those with glue first, then the glueless ones, whose
   * addresses are looked up then) until one gives a usable reply.
   */
  private async askZone(zone: string, servers: NameServer[], name: string, type: number, steps: IterationStep[], depth: number): Promise<Found | Extract<Judged, { kind: 'referral' }>> {
    const failures: ServerFailure[] = [];
    // glued servers first (no look-up needed), each group by name: the same walk every run
    const ordered = [...servers].sort((a, b) => Number(a.addresses.length === 0) - Number(b.addresses.length === 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const server of ordered) {
      let addresses: string[];
      try {
        addresses = this.usable(server.addresses.length > 0 ? server.addresses : await this.lookUp(server.name, steps, depth));
      } catch (err) {
        if (!(err instanceof WalkError) || err.fatal) throw err;
        failures.push({ who: server.name, why: `no address (${err.message})`, status: err.status });
        continue;
      }
      if (addresses.length === 0) {
        failures.push({ who: server.name, why: `no ${this.options.family === 6 ? 'IPv6 ' : this.options.family === 4 ? 'IPv4 ' : ''}address`, status: 'error' });
      }
      for (const address of addresses) {
        const reply = await this.askServer(zone, server.name, address, name, type, steps, depth);
        if (reply.kind === 'referral') return reply;
        if (reply.kind !== 'lame') return { kind: reply.kind, message: reply.message, server: formatHostPort(address, this.options.port) };
        failures.push({ who: `${server.name} (${address})`, why: reply.why, status: reply.status ?? 'error' });
      }
    }
    throw zoneFailure(zone, name, type, failures);
  }

  /** The addresses the family allows (-4, -6), IPv4 first. */
  private usable(addresses: string[]): string[] {
    const { family } = this.options;
    const v4 = addresses.filter((a) => ipFamily(a) === 4);
    const v6 = addresses.filter((a) => ipFamily(a) === 6);
    return family === 4 ? v4 : family === 6 ? v6 : [...v4, ...v6];
  }

  /** The addresses of a glueless name server, by a walk of their own (A, then AAAA when -6 or none). */
  private async lookUp(server: string, steps: IterationStep[], depth: number): Promise<string[]> {
    const known = this.addresses.get(server);
    if (known) return known;
    if (this.lookingUp.includes(server)) {
      const cycle = [...this.lookingUp.slice(this.lookingUp.indexOf(server)), server].join(' → ');
      throw new WalkError('error', `referral loop: the address of each name server needs the next: ${cycle}`, true);
    }
    if (depth + 1 > ITERATE_LIMITS.maxNesting) throw new WalkError('error', `name-server look-ups nested more than ${ITERATE_LIMITS.maxNesting} deep (at ${server})`, true);
    this.lookingUp.push(server);
    try {
      const found: string[] = [];
      for (const type of this.options.family === 6 ? [RecordType.AAAA] : [RecordType.A, RecordType.AAAA]) {
        this.options.trace('iterate', `looking up ${typeName(type)} ${server}, a name server without glue`);
        const outcome = await this.follow(server, type, steps, depth + 1);
        if (outcome.status !== 'ok' && outcome.status !== 'nodata') throw new WalkError(outcome.status, `${typeName(type)} ${server}: ${outcome.error ?? outcome.status.toUpperCase()}`);
        found.push(...outcome.records.flatMap((r) => (r.type === type && (r.data.kind === 'A' || r.data.kind === 'AAAA') ? [r.data.address] : [])));
        if (found.length > 0 && this.options.family !== 6) break;
      }
      this.addresses.set(server, found);
      return found;
    } finally {
      this.lookingUp.pop();
    }
  }

  /** One query to one server, its step recorded, the reply judged. */
  private async askServer(zone: string, server: string, address: string, name: string, type: number, steps: IterationStep[], depth: number): Promise<Judged> {
    if (++this.queries > ITERATE_LIMITS.maxQueries) throw new WalkError('error', `more than ${ITERATE_LIMITS.maxQueries} queries: the walk gives up`, true);
    const left = this.deadline - monotonicMs();
    if (left < 1) throw new WalkError('timeout', `the walk ran past its limit of ${this.options.walkTimeoutMs / 1000} s`, true);
    const budget = Math.min(this.options.queryTimeoutMs, left);
    const step: IterationStep = { question: `${typeName(type)} ${lower(name)}`, zone, server, address: formatHostPort(address, this.options.port), outcome: 'skipped', detail: '', timeMs: 0, depth };
    this.options.trace('iterate', `asking ${server} (${step.address}), a server of ${zone}, for ${step.question}`);
    const started = monotonicMs();
    const reply = await this.query(address, name, type, budget);
    step.timeMs = elapsedSince(started);
    const judged: Judged = reply instanceof SockkitError ? { kind: 'lame', why: reply.why, status: failureStatus(reply) } : judge(reply, zone, name, type);
    describeStep(step, judged, name, type);
    steps.push(step);
    return judged;
  }

  /** The whole reply (every section), or why there is none. */
  private query(address: string, name: string, type: number, budgetMs: number): Promise<DnsMessage | SockkitError> {
    const key = formatHostPort(address, this.options.port);
    let client = this.clients.get(key);
    if (!client) {
      client = new DnsClient({ host: address, port: this.options.port }, { trace: this.options.trace, query: this.options.query });
      this.clients.set(key, client);
    }
    const ready = client;
    return ready.open().then(
      () =>
        new Promise((resolve) =>
          ready.ask(name, type, budgetMs, (err, reply) => {
            if (err) return resolve(err);
            try {
              resolve(decodeMessage(reply!.raw));
            } catch (failure) {
              if (!(failure instanceof DnsFormatError)) throw failure;
              resolve(new SockkitError('PROTOCOL', `query @${key}`, `malformed reply: ${failure.message}`));
            }
          }),
        ),
    );
  }
}

/** No server of the zone gave a usable reply: why, each (or all at once when they all say the same). */
function zoneFailure(zone: string, name: string, type: number, failures: ServerFailure[]): WalkError {
  const statuses = new Set(failures.map((f) => f.status));
  const status = statuses.size === 1 ? failures[0]!.status : 'error';
  const head = `no server of ${zone} gave a usable reply for ${typeName(type)} ${name}`;
  if (failures.length === 0) return new WalkError('error', `${head}: it has none`);
  const reasons = new Set(failures.map((f) => f.why));
  if (failures.length > 1 && reasons.size === 1) return new WalkError(status, `${head}: all ${failures.length} tried: ${failures[0]!.why}`);
  return new WalkError(status, `${head}: ${failures.map((f) => `${f.who}: ${f.why}`).join('; ')}`);
}

function failureStatus(err: SockkitError): ResolveStatus {
  return err.code === 'TIMEOUT' ? 'timeout' : err.code === 'UNREACHABLE' ? 'unreachable' : 'error';
}

/**
 * What a reply from a server of `zone` means for the walk to `name` (RFC 1034 §5.3.3):
 * an authoritative answer or denial, a referral to a zone closer to the name, or a lame
 * reply (refused, an error, no authority and no referral, a referral that does not go down).
 */
export function judge(message: DnsMessage, zone: string, name: string, type: number): Judged {
  if (message.rcode !== Rcode.NOERROR && message.rcode !== Rcode.NXDOMAIN) return { kind: 'lame', why: `it answered ${rcodeName(message.rcode)}` };
  const selection = selectAnswers(message.answers, name, type);
  // RFC 6604: along a CNAME chain, NXDOMAIN speaks of the chain's last name
  const nxdomain = message.rcode === Rcode.NXDOMAIN;
  if (selection.records.length > 0 || nxdomain) {
    if (message.aa) return { kind: nxdomain ? 'nxdomain' : 'answer', message };
    return { kind: 'lame', why: `${nxdomain ? 'NXDOMAIN' : 'an answer'} without AA: not authoritative for the name` };
  }
  const ns = message.authorities.filter((r) => r.type === RecordType.NS && r.data.kind === 'NAME');
  if (!message.aa && ns.length > 0) return referral(message, ns, zone, name);
  // some servers set AA on a referral: NS of a zone below, and no SOA that would make it a NODATA
  const soa = message.authorities.some((r) => r.type === RecordType.SOA);
  if (ns.length > 0 && !soa && labelCount(ns[0]!.name) > labelCount(zone)) return referral(message, ns, zone, name);
  if (message.aa) return { kind: 'nodata', message };
  return { kind: 'lame', why: 'no AA and no referral: not a server of the zone' };
}

/** A referral must lead below the zone asked and above the name; glue is taken only from inside the zone asked (RFC 2181 §5.4.1). */
function referral(message: DnsMessage, ns: DnsRecord[], zone: string, name: string): Judged {
  const cut = lower(ns[0]!.name);
  if (!isAtOrBelow(name, cut)) return { kind: 'lame', why: `a referral to ${cut}, which is not above ${lower(name)}` };
  if (!isAtOrBelow(cut, zone) || labelCount(cut) <= labelCount(zone)) return { kind: 'lame', why: `a referral to ${cut} does not get closer to ${lower(name)} than ${zone}` };
  const servers: NameServer[] = [];
  for (const record of ns) {
    if (!sameName(record.name, cut)) continue;
    const target = lower((record.data as { target: string }).target);
    if (servers.some((s) => s.name === target)) continue;
    const glue = isAtOrBelow(target, zone)
      ? message.additionals.filter((r) => (r.type === RecordType.A || r.type === RecordType.AAAA) && sameName(r.name, target)).map((r) => (r.data as { address: string }).address)
      : [];
    servers.push({ name: target, addresses: glue });
  }
  return { kind: 'referral', zone: cut, servers };
}

function describeStep(step: IterationStep, judged: Judged, name: string, type: number): void {
  switch (judged.kind) {
    case 'lame':
      step.outcome = 'skipped';
      step.detail = judged.why;
      return;
    case 'referral':
      step.outcome = 'referral';
      step.servers = judged.servers;
      step.detail = `${judged.zone} NS ${judged.servers.map((s) => (s.addresses.length > 0 ? `${s.name} (${s.addresses.join(', ')})` : `${s.name} (no glue)`)).join(', ')}`;
      return;
    case 'nxdomain':
      step.outcome = 'nxdomain';
      step.detail = [chainText(judged.message, name, type), `NXDOMAIN ${soaOf(judged.message)}`.trim()].filter(Boolean).join(', ');
      return;
    case 'nodata':
      step.outcome = 'nodata';
      step.detail = `NODATA ${soaOf(judged.message)}`.trim();
      return;
    case 'answer': {
      const selection = selectAnswers(judged.message.answers, name, type);
      step.records = selection.records.map(toAnswer);
      step.outcome = selection.end === 'answer' ? 'answer' : 'cname';
      step.detail = chainText(judged.message, name, type);
    }
  }
}

/** The records that answer, as `CNAME www.example., www.example. A 192.0.2.1` (the owner shown when it is not the name asked). */
function chainText(message: DnsMessage, name: string, type: number): string {
  return selectAnswers(message.answers, name, type)
    .records.map((r) => `${lower(r.name) === lower(name) ? '' : `${r.name} `}${typeName(r.type)} ${formatRecordData(r)}`)
    .join(', ');
}

function soaOf(message: DnsMessage): string {
  const soa = message.authorities.find((r) => r.type === RecordType.SOA);
  return soa ? `(SOA of ${lower(soa.name)})` : '';
}
