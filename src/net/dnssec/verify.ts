// RRSIG verification (RFC 4035 §5.3): the checks around the signature, then node:crypto's
// verify, which alone decides whether the signature is good. Pure.
import { verify } from 'node:crypto';
import { sameName } from '../dns/answers.js';
import type { DnsRecord } from '../dns/packet.js';
import { signedData } from './canonical.js';
import { keyTag, publicKeyOf, SUPPORTED_ALGORITHMS } from './keys.js';
import type { Dnskey, Rrsig } from './records.js';

export type SigVerdict = { ok: true } | { ok: false; reason: string };

const HASH_OF: Record<number, string | null> = { 8: 'sha256', 10: 'sha512', 13: 'sha256', 14: 'sha384', 15: null };

/** RFC 1982 serial arithmetic on 32-bit times: a before b. */
export function serialBefore(a: number, b: number): boolean {
  const d = (b - a) >>> 0;
  return d !== 0 && d < 0x80000000;
}

/** RFC 4034 §3.1.5: now must lie within [inception, expiration], compared as serial numbers. */
export function validityProblem(rrsig: Pick<Rrsig, 'inception' | 'expiration'>, nowSeconds: number): string | undefined {
  const now = nowSeconds >>> 0;
  if (serialBefore(rrsig.expiration, now)) return `signature expired ${isoTime(rrsig.expiration, nowSeconds)}`;
  if (serialBefore(now, rrsig.inception)) return `signature not yet valid (from ${isoTime(rrsig.inception, nowSeconds)})`;
  return undefined;
}

/** A 32-bit DNSSEC time as the nearest full date to now (RFC 4034 §3.1.5 wraps every 136 years). */
function isoTime(t: number, nowSeconds: number): string {
  const offset = (t - (nowSeconds >>> 0)) | 0; // signed 32-bit distance
  return new Date((Math.floor(nowSeconds) + offset) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Verifies one RRSIG over an RRset with one DNSKEY. `zone` is the signer the caller
 * expects (the zone the key belongs to). The verdict is node:crypto's verify.
 */
export function verifyRrsig(rrset: DnsRecord[], rrsig: Rrsig, key: Dnskey, zone: string, nowSeconds: number): SigVerdict {
  if (rrset.length === 0) return { ok: false, reason: 'empty RRset' };
  if (rrsig.typeCovered !== rrset[0]!.type) return { ok: false, reason: 'RRSIG covers another type' };
  if (!sameName(rrsig.signerName, zone)) return { ok: false, reason: `signer ${rrsig.signerName} is not the zone ${zone}` };
  if (!SUPPORTED_ALGORITHMS.has(rrsig.algorithm)) return { ok: false, reason: `unsupported algorithm ${rrsig.algorithm}` };
  if (key.protocol !== 3 || (key.flags & 0x0100) === 0) return { ok: false, reason: 'DNSKEY is not a zone key' };
  if (key.flags & 0x0080) return { ok: false, reason: 'DNSKEY is revoked' };
  if (key.algorithm !== rrsig.algorithm || keyTag(key.rdata) !== rrsig.keyTag) return { ok: false, reason: 'RRSIG names another key' };
  const timing = validityProblem(rrsig, nowSeconds);
  if (timing) return { ok: false, reason: timing };
  const data = signedData(rrsig, rrset);
  if (!data) return { ok: false, reason: 'RRSIG label count exceeds the owner name' };
  const publicKey = publicKeyOf(key);
  if (!publicKey) return { ok: false, reason: `DNSKEY ${rrsig.keyTag} unusable for algorithm ${key.algorithm}` };
  const hash = HASH_OF[rrsig.algorithm] ?? null;
  const options = rrsig.algorithm === 13 || rrsig.algorithm === 14 ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey;
  let good = false;
  try {
    good = verify(hash, data, options, rrsig.signature);
  } catch {
    good = false; // a malformed signature is a signature that does not verify
  }
  return good ? { ok: true } : { ok: false, reason: 'signature does not verify' };
}
