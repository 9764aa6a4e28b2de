// Proofs of non-existence (RFC 4035 §5.4 for NSEC, RFC 5155 §8 for NSEC3): given the
// NSEC/NSEC3 records of a reply, already verified by their zone's keys, does their
// content prove NXDOMAIN or NODATA for the name and type asked? Pure.
import { createHash } from 'node:crypto';
import type { DnsRecord } from '../dns/packet.js';
import { canonicalName, compareNames } from './canonical.js';
import { parseNsec, rawRdata } from './records.js';

export type DenialVerdict = { proved: true; optOut?: boolean } | { proved: false; reason: string };

const NS = 2;
const SOA = 6;
const CNAME = 5;
const DS = 43;

const lower = (n: string) => (n.endsWith('.') ? n : `${n}.`).toLowerCase();
/** A name without its first label (the root stays the root). */
export function parentName(name: string): string {
  const n = lower(name);
  if (n === '.') return '.';
  const dot = n.indexOf('.');
  return dot === n.length - 1 ? '.' : n.slice(dot + 1);
}
const isBelowOrAt = (name: string, zone: string) => lower(zone) === '.' || lower(name) === lower(zone) || lower(name).endsWith(`.${lower(zone)}`);

// ---------------------------------------------------------------- NSEC

interface NsecEntry { owner: string; next: string; types: Set<number> }

function nsecEntries(records: DnsRecord[]): NsecEntry[] {
  return records.map((r) => ({ owner: lower(r.name), ...parseNsec(rawRdata(r)) })).map((e) => ({ ...e, next: lower(e.next) }));
}

/** owner < name < next in canonical order; the zone's last NSEC wraps to its apex. */
function nsecCovers(e: NsecEntry, name: string): boolean {
  const afterOwner = compareNames(e.owner, name) < 0;
  const wraps = compareNames(e.next, e.owner) <= 0;
  const beforeNext = compareNames(name, e.next) < 0;
  return wraps ? afterOwner || beforeNext : afterOwner && beforeNext;
}

/** The longest common ancestor of two names. */
function commonAncestor(a: string, b: string): string {
  let x = lower(a);
  while (!isBelowOrAt(lower(b), x)) x = parentName(x);
  return x;
}

export function nsecDenial(records: DnsRecord[], qname: string, qtype: number, nxdomain: boolean): DenialVerdict {
  const entries = nsecEntries(records);
  const name = lower(qname);
  if (!nxdomain) {
    const at = entries.find((e) => e.owner === name);
    if (at) {
      if (at.types.has(qtype) || at.types.has(CNAME)) return { proved: false, reason: `the NSEC at ${name} lists the type asked` };
      if (qtype !== DS && at.types.has(NS) && !at.types.has(SOA)) return { proved: false, reason: `the NSEC at ${name} is from the parent side of a delegation` };
      return { proved: true };
    }
    // an empty non-terminal: an NSEC covering the name whose next name is below it
    if (entries.some((e) => nsecCovers(e, name) && isBelowOrAt(e.next, name) && e.next !== name)) return { proved: true };
    return { proved: false, reason: `no NSEC at ${name} proves the type absent` };
  }
  const covering = entries.find((e) => e.owner !== name && nsecCovers(e, name));
  if (!covering) return { proved: false, reason: `no NSEC covers ${name}` };
  const encloser = [commonAncestor(name, covering.owner), commonAncestor(name, covering.next)].sort((a, b) => b.length - a.length)[0]!;
  const wildcard = encloser === '.' ? '*.' : `*.${encloser}`;
  if (entries.some((e) => e.owner === wildcard)) return { proved: false, reason: `${wildcard} exists: ${name} would be a wildcard answer` };
  if (!entries.some((e) => nsecCovers(e, wildcard))) return { proved: false, reason: `no NSEC proves ${wildcard} absent` };
  return { proved: true };
}

// ---------------------------------------------------------------- NSEC3

/** RFC 9276 §3.2: more iterations than this, and a validator may treat the zone as insecure. */
export const MAX_NSEC3_ITERATIONS = 150;

interface Nsec3Entry { hash: string; zone: string; optOut: boolean; iterations: number; salt: Buffer; algorithm: number; next: string; types: Set<number> }

const B32HEX = '0123456789abcdefghijklmnopqrstuv';
export function base32hex(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32HEX[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32HEX[(value << (5 - bits)) & 31];
  return out;
}

/** RFC 5155 §5: IH(salt, x, k) with SHA-1, on the canonical wire form. */
export function nsec3Hash(name: string, salt: Buffer, iterations: number): string {
  let digest = createHash('sha1').update(canonicalName(name)).update(salt).digest();
  for (let i = 0; i < iterations; i++) digest = createHash('sha1').update(digest).update(salt).digest();
  return base32hex(digest);
}

function parseNsec3(record: DnsRecord): Nsec3Entry | undefined {
  const b = rawRdata(record);
  if (b.length < 5) return undefined;
  const saltLength = b[4]!;
  const hashAt = 5 + saltLength;
  const hashLength = b[hashAt];
  if (hashLength === undefined) return undefined;
  const bitmaps = b.subarray(hashAt + 1 + hashLength);
  const owner = lower(record.name);
  const dot = owner.indexOf('.');
  // the bitmaps read as an NSEC whose next name is the root (one zero byte)
  const types = parseNsec(Buffer.concat([Buffer.from([0]), bitmaps])).types;
  return {
    algorithm: b[0]!, optOut: (b[1]! & 1) === 1, iterations: b.readUInt16BE(2), salt: b.subarray(5, hashAt),
    next: base32hex(b.subarray(hashAt + 1, hashAt + 1 + hashLength)), hash: owner.slice(0, dot), zone: owner.slice(dot + 1), types,
  };
}

const n3Covers = (e: Nsec3Entry, h: string) => (e.next <= e.hash ? h > e.hash || h < e.next : h > e.hash && h < e.next);

export function nsec3Denial(records: DnsRecord[], qname: string, qtype: number, nxdomain: boolean, zone: string): DenialVerdict | { insecure: string } {
  const entries = records.map(parseNsec3).filter((e): e is Nsec3Entry => e !== undefined && e.algorithm === 1 && lower(e.zone) === lower(zone));
  if (entries.length === 0) return { proved: false, reason: 'no NSEC3 record of the zone with SHA-1' };
  const { salt, iterations } = entries[0]!;
  if (iterations > MAX_NSEC3_ITERATIONS) return { insecure: `NSEC3 with ${iterations} iterations (over ${MAX_NSEC3_ITERATIONS}, RFC 9276)` };
  const hash = (n: string) => nsec3Hash(n, salt, iterations);
  const matching = (n: string) => entries.find((e) => e.hash === hash(n));
  const covering = (n: string) => entries.find((e) => n3Covers(e, hash(n)));
  const name = lower(qname);
  if (!nxdomain) {
    const at = matching(name);
    if (at) {
      if (at.types.has(qtype) || at.types.has(CNAME)) return { proved: false, reason: `the NSEC3 matching ${name} lists the type asked` };
      return { proved: true };
    }
    // RFC 5155 §8.6: DS NODATA below an opt-out span
    if (qtype === DS) {
      const span = closestEncloserProof(name, zone, matching, covering);
      if (span.proved && span.optOut) return { proved: true, optOut: true };
    }
    return { proved: false, reason: `no NSEC3 matches ${name}` };
  }
  if (matching(name)) return { proved: false, reason: `an NSEC3 matches ${name}: it exists` };
  const proof = closestEncloserProof(name, zone, matching, covering);
  if (!proof.proved) return proof;
  if (proof.optOut) return { proved: true, optOut: true };
  const wildcard = `*.${proof.encloser === '.' ? '' : proof.encloser}`;
  if (!covering(wildcard)) return { proved: false, reason: `no NSEC3 proves ${wildcard} absent` };
  return { proved: true };
}

/** RFC 5155 §8.3: an ancestor that exists (matched) and the next closer name below it that does not (covered). */
function closestEncloserProof(name: string, zone: string, matching: (n: string) => Nsec3Entry | undefined, covering: (n: string) => Nsec3Entry | undefined):
  { proved: true; encloser: string; optOut: boolean } | { proved: false; reason: string } {
  let nextCloser = name;
  for (let candidate = parentName(name); isBelowOrAt(candidate, zone); candidate = parentName(candidate)) {
    if (matching(candidate)) {
      const cover = covering(nextCloser);
      if (!cover) return { proved: false, reason: `no NSEC3 covers ${nextCloser}` };
      return { proved: true, encloser: candidate, optOut: cover.optOut };
    }
    nextCloser = candidate;
    if (candidate === '.') break;
  }
  return { proved: false, reason: `no NSEC3 proves a closest encloser of ${name}` };
}

/**
 * RFC 4035 §5.3.4, RFC 5155 §8.8: a wildcard answer needs a proof that the name asked does
 * not exist itself: an NSEC covering it, or an NSEC3 covering the next closer name below
 * the wildcard's parent (`encloser`).
 */
export function wildcardProof(records: DnsRecord[], name: string, encloser: string, zone: string): boolean {
  const nsecs = records.filter((r) => r.type === 47);
  if (nsecs.length > 0) return nsecEntries(nsecs).some((e) => e.owner !== lower(name) && nsecCovers(e, lower(name)));
  const entries = records.filter((r) => r.type === 50).map(parseNsec3).filter((e): e is Nsec3Entry => e !== undefined && e.algorithm === 1 && lower(e.zone) === lower(zone));
  if (entries.length === 0 || entries[0]!.iterations > MAX_NSEC3_ITERATIONS) return false;
  let nextCloser = lower(name);
  while (parentName(nextCloser) !== lower(encloser) && nextCloser !== '.') nextCloser = parentName(nextCloser);
  const h = nsec3Hash(nextCloser, entries[0]!.salt, entries[0]!.iterations);
  return entries.some((e) => n3Covers(e, h));
}

/** The types of the NSEC3 record matching `name` in `zone`, or undefined when none matches. */
export function nsec3TypesAt(records: DnsRecord[], name: string, zone: string): Set<number> | undefined {
  const entries = records.filter((r) => r.type === 50).map(parseNsec3).filter((e): e is Nsec3Entry => e !== undefined && e.algorithm === 1 && lower(e.zone) === lower(zone));
  if (entries.length === 0 || entries[0]!.iterations > MAX_NSEC3_ITERATIONS) return undefined;
  const h = nsec3Hash(name, entries[0]!.salt, entries[0]!.iterations);
  return entries.find((e) => e.hash === h)?.types;
}
