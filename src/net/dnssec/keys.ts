// Key tags (RFC 4034 Appendix B), DS digests (RFC 4034 §5.1.4, RFC 4509, RFC 6605 §2) and
// DNSKEY public keys as node:crypto KeyObjects (RFC 3110, RFC 6605, RFC 8080). Pure.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { canonicalName } from './canonical.js';
import type { Dnskey, Ds } from './records.js';

/** RFC 4034 Appendix B: the 16-bit sum over the DNSKEY RDATA (not algorithm 1's). */
export function keyTag(rdata: Buffer): number {
  let sum = 0;
  for (let i = 0; i < rdata.length; i++) sum += i & 1 ? rdata[i]! : rdata[i]! << 8;
  sum += (sum >>> 16) & 0xffff;
  return sum & 0xffff;
}

/** DS digest types sockkit computes: SHA-256 (2) and SHA-384 (4); SHA-1 (1) is read for RFC 4034's example only. */
const DIGESTS: Record<number, string> = { 1: 'sha1', 2: 'sha256', 4: 'sha384' };
export const SUPPORTED_DIGESTS = new Set([2, 4]);

/** digest(canonical owner name | DNSKEY RDATA), or undefined for an unknown digest type. */
export function dsDigest(owner: string, key: Dnskey, digestType: number): Buffer | undefined {
  const hash = DIGESTS[digestType];
  if (!hash) return undefined;
  return createHash(hash).update(canonicalName(owner)).update(key.rdata).digest();
}

/** Whether a DS names this key: tag, algorithm and digest all equal. */
export function dsMatches(ds: Ds, owner: string, key: Dnskey): boolean {
  if (ds.algorithm !== key.algorithm || ds.keyTag !== keyTag(key.rdata)) return false;
  const digest = dsDigest(owner, key, ds.digestType);
  return digest !== undefined && digest.equals(ds.digest);
}

const b64url = (b: Buffer) => b.toString('base64url');

/** The algorithms node:crypto verifies for sockkit: RSA 8/10, ECDSA 13/14, Ed25519 15. */
export const SUPPORTED_ALGORITHMS = new Set([8, 10, 13, 14, 15]);

/** A DNSKEY's public key for node:crypto; undefined when malformed or of an algorithm not supported. */
export function publicKeyOf(key: Dnskey): KeyObject | undefined {
  const k = key.publicKey;
  try {
    switch (key.algorithm) {
      case 8:
      case 10: {
        // RFC 3110 §2: exponent length (1 byte, or 0 then 2 bytes), exponent, modulus
        let at = 1;
        let expLength = k[0] ?? 0;
        if (expLength === 0) {
          if (k.length < 3) return undefined;
          expLength = k.readUInt16BE(1);
          at = 3;
        }
        const e = k.subarray(at, at + expLength);
        const n = k.subarray(at + expLength);
        if (e.length !== expLength || expLength === 0 || n.length === 0) return undefined;
        return createPublicKey({ key: { kty: 'RSA', e: b64url(e), n: b64url(n) }, format: 'jwk' });
      }
      case 13:
      case 14: {
        const size = key.algorithm === 13 ? 32 : 48;
        if (k.length !== size * 2) return undefined;
        const crv = key.algorithm === 13 ? 'P-256' : 'P-384';
        return createPublicKey({ key: { kty: 'EC', crv, x: b64url(k.subarray(0, size)), y: b64url(k.subarray(size)) }, format: 'jwk' });
      }
      case 15:
        if (k.length !== 32) return undefined;
        return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(k) }, format: 'jwk' });
      default:
        return undefined;
    }
  } catch {
    return undefined; // node:crypto refused the key (not a point on the curve, bad modulus)
  }
}
