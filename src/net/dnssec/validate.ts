// The chain of trust (RFC 4035 §5): from a trust anchor down to the zone that signed an
// answer, DS → DNSKEY at each zone cut, every RRset checked by verify.ts. The records it
// needs are asked through `fetch` (the caller's transport, bounded by its deadline) and
// kept for the run: 1,000 names of one zone cost the chain once.
import { sameName } from '../dns/answers.js';
import { RecordType, typeName, type DnsMessage, type DnsRecord } from '../dns/packet.js';
import { EXTRA_TYPES } from '../dns/types.js';

const T = { ...RecordType, ...EXTRA_TYPES };
import { dsMatches, keyTag, SUPPORTED_ALGORITHMS, SUPPORTED_DIGESTS } from './keys.js';
import { parseDnskey, parseDs, parseNsec, parseRrsig, rawRdata, type Dnskey, type Ds, type Rrsig } from './records.js';
import type { TrustAnchors } from './anchors.js';
import { verifyRrsig } from './verify.js';
import { nsec3Denial, nsec3TypesAt, nsecDenial, wildcardProof } from './denial.js';
import { signedOwner } from './canonical.js';

export type SecurityStatus = 'secure' | 'insecure' | 'bogus' | 'indeterminate';
export interface SecurityVerdict {
  status: SecurityStatus;
  /** Why, in one line (for every status but secure). */
  reason?: string;
  /** For secure answers: the chain of trust from the anchor (--chain). */
  chain?: TrustChain;
}

/** Asks one question (DO set) by `deadline` (monotonic ms) and gives the reply, or rejects with why not. */
export type Fetch = (name: string, type: number, deadline: number) => Promise<DnsMessage>;

/** One zone of a chain of trust, as --chain shows it. */
export interface ZoneLink {
  zone: string;
  keys: Array<{ tag: number; algorithm: number; flags: number }>;
  /** The DS records (or anchors) that vouch for the zone's keys, and the key each matches. */
  ds: Array<{ tag: number; algorithm: number; digestType: number; matchesKey?: number }>;
  /** Trusted from the anchor file (or the built-in root keys), not from a parent's DS. */
  fromAnchor: boolean;
  /** The key whose RRSIG over the DNSKEY set verified. */
  dnskeySignedBy: number;
}

/** Which key signed an answer's RRset, and the signature's validity window. */
export interface SignatureLink {
  owner: string;
  type: string;
  zone: string;
  keyTag: number;
  algorithm: number;
  inception: string;
  expiration: string;
}

export interface TrustChain {
  zones: ZoneLink[];
  signatures: SignatureLink[];
  /**
   * Where a chain that is not secure ends (--chain for insecure and bogus answers): the
   * zones above it are the secure links walked; `zone` is the delegation proved unsigned,
   * or the zone whose link or signature failed.
   */
  end?: { status: Exclude<SecurityStatus, 'secure'>; zone: string; reason: string };
}

type ZoneState =
  | { kind: 'secure'; zone: string; keys: Dnskey[]; unproven: string[]; links: ZoneLink[] }
  | { kind: 'insecure' | 'bogus' | 'indeterminate'; reason: string; links?: ZoneLink[]; at?: string };

type NotSecure = Exclude<SecurityStatus, 'secure'>;

/** A verdict that is not secure, with the secure links above where it ended (for --chain). */
function ended(status: NotSecure, reason: string, links: ZoneLink[], zone: string): SecurityVerdict {
  return { status, reason, chain: { zones: links, signatures: [], end: { status, zone: lower(zone), reason } } };
}

/** The verdict of a walk that did not reach a secure zone. */
function stateVerdict(state: Extract<ZoneState, { kind: NotSecure }>): SecurityVerdict {
  return ended(state.kind, state.reason, state.links ?? [], state.at ?? '.');
}

const RANK: Record<SecurityStatus, number> = { secure: 0, insecure: 1, indeterminate: 2, bogus: 3 };

const lower = (name: string) => (name.endsWith('.') ? name.toLowerCase() : `${name.toLowerCase()}.`);

/** Whether `name` is `zone` or below it. */
export function isAtOrBelow(name: string, zone: string): boolean {
  const n = lower(name);
  const z = lower(zone);
  return z === '.' || n === z || n.endsWith(`.${z}`);
}

/** The names from just below `top` down to `name`: `a.b.` under `.` → `b.`, `a.b.`. */
function namesBetween(top: string, name: string): string[] {
  const labels = lower(name).split('.').filter((l) => l !== '');
  const depth = lower(top) === '.' ? 0 : lower(top).split('.').filter((l) => l !== '').length;
  const out: string[] = [];
  for (let n = depth + 1; n <= labels.length; n++) out.push(`${labels.slice(labels.length - n).join('.')}.`);
  return out;
}

/** The RRSIGs of a section covering (owner, type). */
function signaturesFor(section: DnsRecord[], owner: string, type: number): Rrsig[] {
  const out: Rrsig[] = [];
  for (const r of section) {
    if (r.type !== T.RRSIG || !sameName(r.name, owner) || r.data.kind !== 'RAW') continue;
    try {
      const sig = parseRrsig(r.data.bytes);
      if (sig.typeCovered === type) out.push(sig);
    } catch {
      // an unreadable RRSIG proves nothing
    }
  }
  return out;
}

const recordsOf = (section: DnsRecord[], owner: string, type: number) => section.filter((r) => r.type === type && sameName(r.name, owner));

export class ChainValidator {
  private readonly fetched = new Map<string, Promise<DnsMessage>>();
  private readonly steps = new Map<string, Promise<ZoneState>>();
  private root: Promise<ZoneState> | undefined;
  /** The deadline of the latest question: fetches it starts end by then (shared fetches keep theirs). */
  private deadline = Number.POSITIVE_INFINITY;

  constructor(private readonly fetch: Fetch, private readonly anchors: TrustAnchors, private readonly nowSeconds: () => number = () => Date.now() / 1000) {}

  setDeadline(deadline: number): void {
    this.deadline = deadline;
  }

  /** The security of an answer: every RRset of `records` (a CNAME chain and its end) checked; the worst wins. */
  async validateAnswer(message: DnsMessage, records: DnsRecord[]): Promise<SecurityVerdict> {
    const sets = new Map<string, DnsRecord[]>();
    for (const r of records) {
      if (r.type === T.RRSIG) continue; // signatures are not signed themselves: they are checked with what they cover
      const key = `${lower(r.name)} ${r.type}`;
      sets.set(key, [...(sets.get(key) ?? []), r]);
    }
    let worst: SecurityVerdict = { status: 'indeterminate', reason: 'no records to validate' };
    const chain: TrustChain = { zones: [], signatures: [] };
    let first = true;
    for (const rrset of sets.values()) {
      const verdict = await this.validateRrset(rrset, signaturesFor(message.answers, rrset[0]!.name, rrset[0]!.type), message.authorities);
      if (verdict.chain) {
        for (const z of verdict.chain.zones) if (!chain.zones.some((c) => c.zone === z.zone)) chain.zones.push(z);
        chain.signatures.push(...verdict.chain.signatures);
      }
      if (first || RANK[verdict.status] > RANK[worst.status]) worst = verdict;
      first = false;
    }
    return worst.status === 'secure' ? { status: 'secure', chain } : worst;
  }

  /**
   * NXDOMAIN or NODATA: the NSEC or NSEC3 records of the authority section, each RRset
   * verified by the keys of the zone that signed them, must prove it (RFC 4035 §5.4, RFC 5155 §8).
   */
  async validateDenial(message: DnsMessage, qname: string, qtype: number, nxdomain: boolean): Promise<SecurityVerdict> {
    if (!isAtOrBelow(qname, this.anchors.zone)) return { status: 'indeterminate', reason: `no trust anchor above ${qname}` };
    const what = nxdomain ? 'NXDOMAIN' : 'NODATA';
    const proofs = message.authorities.filter((r) => r.type === T.NSEC || r.type === T.NSEC3);
    if (proofs.length === 0) {
      const unsigned = await this.unsignedAnswer(qname);
      return unsigned.status === 'bogus' ? { status: 'bogus', reason: `${what} without an NSEC or NSEC3 proof in the signed zone of ${qname}` } : unsigned;
    }
    const sigs = message.authorities.filter((r) => r.type === T.RRSIG);
    const signer = proofs.flatMap((p) => signaturesFor(sigs, p.name, p.type)).map((s) => s.signerName)[0];
    if (!signer) return { status: 'bogus', reason: `${what}: no RRSIG over its NSEC/NSEC3 records` };
    if (!isAtOrBelow(qname, signer)) return { status: 'bogus', reason: `${what}: proof signed by ${signer}, not above ${qname}` };
    const state = await this.zoneState(signer);
    if (state.kind !== 'secure') return stateVerdict(state);
    if (!sameName(state.zone, signer)) return { status: 'indeterminate', reason: `no DS for ${signer} in ${state.zone}, and no proof it is unsigned` };
    for (const owner of new Set(proofs.map((p) => `${p.name.toLowerCase()} ${p.type}`))) {
      const [name, type] = owner.split(' ') as [string, string];
      const rrset = proofs.filter((p) => p.name.toLowerCase() === name && p.type === Number(type));
      const verdict = this.verifyWithKeys(rrset, signaturesFor(sigs, name, Number(type)), state.keys, signer);
      if (!verdict.ok) return ended('bogus', `${what}: ${typeName(Number(type))} ${name}: ${verdict.reason}`, state.links, signer);
    }
    const nsec3 = proofs.some((p) => p.type === T.NSEC3);
    const result = safe(() => (nsec3 ? nsec3Denial(proofs.filter((p) => p.type === T.NSEC3), qname, qtype, nxdomain, signer) : nsecDenial(proofs, qname, qtype, nxdomain)));
    if (!result) return ended('bogus', `${what}: an NSEC/NSEC3 record is unreadable`, state.links, signer);
    if ('insecure' in result) return ended('insecure', result.insecure, state.links, signer);
    if (!result.proved) return ended('bogus', `${what} not proved: ${result.reason}`, state.links, signer);
    return result.optOut ? { status: 'insecure', reason: `${what} under an NSEC3 opt-out span` } : { status: 'secure' };
  }

  /** One RRset with the RRSIGs that came with it. */
  async validateRrset(rrset: DnsRecord[], sigs: Rrsig[], authorities: DnsRecord[] = []): Promise<SecurityVerdict> {
    const owner = rrset[0]!.name;
    if (!isAtOrBelow(owner, this.anchors.zone)) return { status: 'indeterminate', reason: `no trust anchor above ${owner}` };
    if (sigs.length === 0) return this.unsignedAnswer(owner);
    const signer = sigs[0]!.signerName;
    if (!isAtOrBelow(owner, signer)) return { status: 'bogus', reason: `RRSIG signer ${signer} is not above ${owner}` };
    const state = await this.zoneState(signer);
    if (state.kind !== 'secure') return stateVerdict(state);
    if (!sameName(state.zone, signer)) {
      return { status: 'indeterminate', reason: `no DS for ${signer} in ${state.zone}, and no proof it is unsigned` };
    }
    const verdict = this.verifyWithKeys(rrset, sigs, state.keys, signer);
    if (!verdict.ok) return ended('bogus', `${owner} ${typeName(rrset[0]!.type)}: ${verdict.reason}`, state.links, signer);
    const expanded = signedOwner(owner, verdict.sig.labels);
    if (expanded !== undefined && !sameName(expanded, owner)) {
      // a wildcard expansion: the reply must prove the name itself absent, by proofs signed in the zone
      const proofs = authorities.filter((r) => (r.type === T.NSEC || r.type === T.NSEC3) && this.proofVerifies(authorities, r, state.keys, signer));
      if (!safe(() => wildcardProof(proofs, owner, expanded.slice(2), signer))) return ended('bogus', `${owner} ${typeName(rrset[0]!.type)}: a wildcard answer without proof that ${owner} does not exist`, state.links, signer);
    }
    const sig = verdict.sig;
    const signature: SignatureLink = { owner: lower(owner), type: typeName(rrset[0]!.type), zone: lower(signer), keyTag: sig.keyTag, algorithm: sig.algorithm, inception: dnssecTime(sig.inception), expiration: dnssecTime(sig.expiration) };
    return { status: 'secure', chain: { zones: state.links, signatures: [signature] } };
  }

  /** Whether the NSEC/NSEC3 RRset of `record` verifies with the zone's keys. */
  private proofVerifies(authorities: DnsRecord[], record: DnsRecord, keys: Dnskey[], zone: string): boolean {
    const rrset = authorities.filter((r) => r.type === record.type && sameName(r.name, record.name));
    return this.verifyWithKeys(rrset, signaturesFor(authorities, record.name, record.type), keys, zone).ok;
  }

  /** An answer without RRSIG is insecure below a proven unsigned delegation, bogus in a signed zone. */
  private async unsignedAnswer(owner: string): Promise<SecurityVerdict> {
    const state = await this.walk(owner);
    if (state.kind !== 'secure') return stateVerdict(state);
    if (state.unproven.length > 0) return { status: 'indeterminate', reason: `no RRSIG, and no proof that ${state.unproven.at(-1)} is an unsigned delegation` };
    return ended('bogus', `no RRSIG for ${owner} in the signed zone ${state.zone}`, state.links, state.zone);
  }

  /** Tries every RRSIG against the keys it names; the first that verifies wins, else the most telling failure. */
  private verifyWithKeys(rrset: DnsRecord[], sigs: Rrsig[], keys: Dnskey[], zone: string): { ok: true; sig: Rrsig } | { ok: false; reason: string } {
    let reason = `no RRSIG by a key of ${zone}`;
    for (const sig of sigs) {
      for (const key of keys) {
        const verdict = verifyRrsig(rrset, sig, key, zone, this.nowSeconds());
        if (verdict.ok) return { ok: true, sig };
        if (verdict.reason !== 'RRSIG names another key') reason = verdict.reason;
      }
      if (reason === `no RRSIG by a key of ${zone}`) reason = `RRSIG by key ${sig.keyTag}, which is not a DNSKEY of ${zone}`;
    }
    return { ok: false, reason };
  }

  /** The validated keys of `zone`, walking down from the anchor. */
  private zoneState(zone: string): Promise<ZoneState> {
    return this.walk(zone);
  }

  private async walk(name: string): Promise<ZoneState> {
    let state = await this.rootState();
    if (state.kind !== 'secure') return { ...state, links: [], at: this.anchors.zone };
    for (const child of namesBetween(this.anchors.zone, name)) {
      if (state.kind !== 'secure') return state;
      const from: Extract<ZoneState, { kind: 'secure' }> = state;
      let step = this.steps.get(child);
      if (!step) {
        step = this.step(from, child);
        this.steps.set(child, step);
      }
      state = await step;
      // where the chain ended, and the secure links above it (--chain)
      if (state.kind !== 'secure') state = { ...state, links: state.links ?? from.links, at: state.at ?? child };
    }
    return state;
  }

  private ask(name: string, type: number): Promise<DnsMessage> {
    const key = `${lower(name)} ${type}`;
    let reply = this.fetched.get(key);
    if (!reply) {
      reply = this.fetch(name, type, this.deadline);
      this.fetched.set(key, reply);
    }
    return reply;
  }

  /** The anchor's zone: its DNSKEY set, signed by a key the anchors name. */
  private rootState(): Promise<ZoneState> {
    this.root ??= (async () => {
      return this.keysOf(this.anchors.zone, this.anchors.ds, this.anchors.keys, 'the trust anchor', []);
    })();
    return this.root;
  }

  /**
   * The DNSKEY set of `zone`, trusted when a key `trusted` picks signed it. The zone keys
   * of the set are then the zone's keys.
   */
  private async keysOf(zone: string, dsSet: Ds[], anchorKeys: Dnskey[], what: string, above: ZoneLink[]): Promise<ZoneState> {
    const reply = await this.ask(zone, T.DNSKEY).catch((err: Error) => err);
    if (reply instanceof Error) return { kind: 'indeterminate', reason: `DNSKEY ${zone}: ${reply.message}` };
    const records = recordsOf(reply.answers, zone, T.DNSKEY);
    const keys = records.flatMap((r) => (r.data.kind === 'RAW' ? [safe(() => parseDnskey(rawRdata(r)))] : [])).filter((k): k is Dnskey => k !== undefined);
    if (keys.length === 0) return { kind: 'bogus', reason: `no DNSKEY for ${zone}` };
    const matchOf = (ds: Ds) => keys.find((key) => dsMatches(ds, zone, key));
    const anchored = keys.filter((key) => dsSet.some((ds) => dsMatches(ds, zone, key)) || anchorKeys.some((k) => k.rdata.equals(key.rdata)));
    if (anchored.length === 0) return { kind: 'bogus', reason: `${what} matches no DNSKEY of ${zone}` };
    const sigs = signaturesFor(reply.answers, zone, T.DNSKEY);
    if (sigs.length === 0) return { kind: 'bogus', reason: `no RRSIG over the DNSKEY set of ${zone}` };
    const verdict = this.verifyWithKeys(records, sigs, anchored, zone);
    if (!verdict.ok) return { kind: 'bogus', reason: `DNSKEY set of ${zone}: ${verdict.reason}` };
    const link: ZoneLink = {
      zone: lower(zone),
      keys: keys.map((k) => ({ tag: keyTag(k.rdata), algorithm: k.algorithm, flags: k.flags })),
      ds: [
        ...dsSet.map((ds) => {
          const key = matchOf(ds);
          return { tag: ds.keyTag, algorithm: ds.algorithm, digestType: ds.digestType, ...(key ? { matchesKey: keyTag(key.rdata) } : {}) };
        }),
        ...anchorKeys.map((k) => ({ tag: keyTag(k.rdata), algorithm: k.algorithm, digestType: 0, ...(keys.some((x) => x.rdata.equals(k.rdata)) ? { matchesKey: keyTag(k.rdata) } : {}) })),
      ],
      fromAnchor: above.length === 0,
      dnskeySignedBy: verdict.sig.keyTag,
    };
    return { kind: 'secure', zone: lower(zone), keys: keys.filter((k) => k.flags & 0x0100), unproven: [], links: [...above, link] };
  }

  /** One name below a secure zone: a secure cut (DS → DNSKEY), an unsigned one (NSEC proof), or the same zone. */
  private async step(parent: Extract<ZoneState, { kind: 'secure' }>, child: string): Promise<ZoneState> {
    const reply = await this.ask(child, T.DS).catch((err: Error) => err);
    if (reply instanceof Error) return { kind: 'indeterminate', reason: `DS ${child}: ${reply.message}` };
    if (reply.rcode !== 0 && reply.rcode !== 3) return { kind: 'indeterminate', reason: `DS ${child}: the server answered RCODE ${reply.rcode}` };
    const dsRecords = recordsOf(reply.answers, child, T.DS);
    if (dsRecords.length > 0) return this.secureCut(parent, child, dsRecords, reply);
    return this.noDs(parent, child, reply);
  }

  private async secureCut(parent: Extract<ZoneState, { kind: 'secure' }>, child: string, dsRecords: DnsRecord[], reply: DnsMessage): Promise<ZoneState> {
    const sigs = signaturesFor(reply.answers, child, T.DS);
    if (sigs.length === 0) return { kind: 'bogus', reason: `no RRSIG over the DS of ${child}` };
    const verdict = this.verifyWithKeys(dsRecords, sigs, parent.keys, parent.zone);
    if (!verdict.ok) return { kind: 'bogus', reason: `DS of ${child}: ${verdict.reason}` };
    const dsSet = dsRecords.flatMap((r) => (r.data.kind === 'RAW' ? [safe(() => parseDs(r.data.kind === 'RAW' ? r.data.bytes : Buffer.alloc(0)))] : []));
    const usable = dsSet.filter((ds) => ds !== undefined && SUPPORTED_DIGESTS.has(ds.digestType) && SUPPORTED_ALGORITHMS.has(ds.algorithm));
    // RFC 4035 §5.2: a DS set of algorithms or digests none of which is supported makes the zone insecure
    if (usable.length === 0) return { kind: 'insecure', reason: `the DS of ${child} uses no supported algorithm or digest` };
    return this.keysOf(child, usable.filter((ds): ds is Ds => ds !== undefined), [], `the DS of ${child}`, parent.links).then((state) =>
      state.kind === 'bogus' && state.reason.startsWith(`the DS of ${child} matches no DNSKEY`) ? { kind: 'bogus', reason: `DS matches no key: the DS of ${child} matches no DNSKEY` } : state,
    );
  }

  /** No DS: a signed NSEC at the name in the parent says whether it is an unsigned delegation or no cut at all. */
  private noDs(parent: Extract<ZoneState, { kind: 'secure' }>, child: string, reply: DnsMessage): ZoneState {
    const nsecs = recordsOf(reply.authorities, child, T.NSEC);
    if (nsecs.length === 0) return this.noDsNsec3(parent, child, reply);
    const verdict = this.verifyWithKeys(nsecs, signaturesFor(reply.authorities, child, T.NSEC), parent.keys, parent.zone);
    if (!verdict.ok) return { kind: 'bogus', reason: `NSEC of ${child}: ${verdict.reason}` };
    const nsec = nsecs[0]!.data.kind === 'RAW' ? safe(() => parseNsec(rawRdata(nsecs[0]!))) : undefined;
    if (!nsec) return { kind: 'bogus', reason: `NSEC of ${child} unreadable` };
    if (nsec.types.has(T.NS) && !nsec.types.has(T.DS) && !nsec.types.has(T.SOA)) {
      return { kind: 'insecure', reason: `${child} is an unsigned delegation (NSEC proves no DS)` };
    }
    return parent; // the name is inside the parent zone: no cut here
  }

  /** The same with NSEC3 (RFC 5155 §8.6): a matching record with NS and no DS, or an opt-out span over the name. */
  private noDsNsec3(parent: Extract<ZoneState, { kind: 'secure' }>, child: string, reply: DnsMessage): ZoneState {
    const unproven = { ...parent, unproven: [...parent.unproven, child] };
    const nsec3s = reply.authorities.filter((r) => r.type === T.NSEC3 && isAtOrBelow(r.name, parent.zone));
    if (nsec3s.length === 0) return unproven;
    for (const owner of new Set(nsec3s.map((r) => lower(r.name)))) {
      const rrset = nsec3s.filter((r) => lower(r.name) === owner);
      const verdict = this.verifyWithKeys(rrset, signaturesFor(reply.authorities, owner, T.NSEC3), parent.keys, parent.zone);
      if (!verdict.ok) return { kind: 'bogus', reason: `NSEC3 ${owner}: ${verdict.reason}` };
    }
    const types = safe(() => nsec3TypesAt(nsec3s, child, parent.zone));
    if (types) {
      if (types.has(T.NS) && !types.has(T.DS) && !types.has(T.SOA)) return { kind: 'insecure', reason: `${child} is an unsigned delegation (NSEC3 proves no DS)` };
      return parent;
    }
    const span = safe(() => nsec3Denial(nsec3s, child, T.DS, false, parent.zone));
    if (span && 'proved' in span && span.proved && span.optOut) return { kind: 'insecure', reason: `${child} is under an NSEC3 opt-out span (an unsigned delegation may be there)` };
    return unproven;
  }
}

/** A 32-bit DNSSEC time as dig prints it: YYYYMMDDHHMMSS (the nearest date to now, RFC 4034 §3.1.5). */
function dnssecTime(t: number): string {
  const now = Math.floor(Date.now() / 1000);
  const offset = (t - (now >>> 0)) | 0;
  return new Date((now + offset) * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function safe<T>(make: () => T): T | undefined {
  try {
    return make();
  } catch {
    return undefined;
  }
}
