// AEAD_AES_SIV_CMAC_256 (RFC 5297): deterministic authenticated encryption, the AEAD
// that NTS (RFC 8915) requires. Node 20's crypto has no SIV mode, so it is built here
// from AES-128 primitives: CMAC (RFC 4493) as the last block of an AES-CBC pass with a
// zero IV, and AES-CTR for the encryption. Pure functions; no sockets.
import { createCipheriv, timingSafeEqual } from 'node:crypto';

export const SIV_KEY_BYTES = 32;
const BLOCK = 16;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

/**
 * Encrypts `plaintext` under the 32-byte `key` (K1 for S2V, K2 for CTR), authenticating
 * every item of `associatedData` in order. Returns V || C (16 bytes longer than the input).
 */
export function sivEncrypt(key: Uint8Array, associatedData: readonly Uint8Array[], plaintext: Uint8Array): Buffer {
  const { macKey, ctrKey } = splitKey(key);
  const v = s2v(macKey, [...associatedData, plaintext]);
  return Buffer.concat([v, ctr(ctrKey, v, plaintext)]);
}

/** Decrypts V || C; undefined when the synthetic IV does not verify (anything was changed). */
export function sivDecrypt(key: Uint8Array, associatedData: readonly Uint8Array[], sealed: Uint8Array): Buffer | undefined {
  if (sealed.length < BLOCK) return undefined;
  const { macKey, ctrKey } = splitKey(key);
  const v = Buffer.from(sealed.subarray(0, BLOCK));
  const plaintext = ctr(ctrKey, v, sealed.subarray(BLOCK));
  const expected = s2v(macKey, [...associatedData, plaintext]);
  return timingSafeEqual(expected, v) ? plaintext : undefined;
}

/** The AEAD interface of RFC 5297 §6 (RFC 5116): S2V over (A, N, P). */
export function aeadSivEncrypt(key: Uint8Array, nonce: Uint8Array, associatedData: Uint8Array, plaintext: Uint8Array): Buffer {
  return sivEncrypt(key, [associatedData, nonce], plaintext);
}

export function aeadSivDecrypt(key: Uint8Array, nonce: Uint8Array, associatedData: Uint8Array, sealed: Uint8Array): Buffer | undefined {
  return sivDecrypt(key, [associatedData, nonce], sealed);
}

function splitKey(key: Uint8Array): { macKey: Buffer; ctrKey: Buffer } {
  if (key.length !== SIV_KEY_BYTES) throw new RangeError(`AES-SIV-CMAC-256 needs a ${SIV_KEY_BYTES}-byte key, got ${key.length}`);
  const k = Buffer.from(key.buffer, key.byteOffset, key.length);
  return { macKey: k.subarray(0, BLOCK), ctrKey: k.subarray(BLOCK) };
}

/** S2V (RFC 5297 §2.4): a CMAC-based PRF over a vector of strings; the last one is the plaintext. */
export function s2v(macKey: Uint8Array, strings: readonly Uint8Array[]): Buffer {
  const cmacKeys = subkeys(macKey);
  if (strings.length === 0) return cmac(macKey, cmacKeys, Buffer.concat([Buffer.alloc(BLOCK - 1), Buffer.of(1)]));
  let d = cmac(macKey, cmacKeys, ZERO_BLOCK);
  for (const s of strings.slice(0, -1)) d = xor(dbl(d), cmac(macKey, cmacKeys, s));
  const last = strings[strings.length - 1]!;
  let t: Buffer;
  if (last.length >= BLOCK) {
    // Sn xorend D: D is xored into the last 16 bytes.
    t = Buffer.from(last);
    const at = t.length - BLOCK;
    for (let i = 0; i < BLOCK; i++) t[at + i]! ^= d[i]!;
  } else {
    t = xor(dbl(d), pad(last));
  }
  return cmac(macKey, cmacKeys, t);
}

interface CmacSubkeys {
  k1: Buffer;
  k2: Buffer;
}

/** CMAC's two subkeys (RFC 4493 §2.3): L = AES(K, 0); K1 = dbl(L); K2 = dbl(K1). */
function subkeys(key: Uint8Array): CmacSubkeys {
  const l = aesBlock(key, ZERO_BLOCK);
  const k1 = dbl(l);
  return { k1, k2: dbl(k1) };
}

/** AES-CMAC (RFC 4493 §2.4) of `message` under `key`. */
export function cmac(key: Uint8Array, keys: CmacSubkeys, message: Uint8Array): Buffer {
  const complete = message.length > 0 && message.length % BLOCK === 0;
  const lastStart = complete ? message.length - BLOCK : message.length - (message.length % BLOCK);
  const last = complete ? xor(message.subarray(lastStart), keys.k1) : xor(pad(message.subarray(lastStart)), keys.k2);
  // CBC-MAC with a zero IV: the MAC is the last block of the CBC ciphertext.
  const cipher = createCipheriv('aes-128-cbc', key, ZERO_BLOCK).setAutoPadding(false);
  const out = Buffer.concat([cipher.update(message.subarray(0, lastStart)), cipher.update(last), cipher.final()]);
  return out.subarray(out.length - BLOCK);
}

function aesBlock(key: Uint8Array, block: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

/** AES-CTR from Q = V with bits 63 and 31 cleared (RFC 5297 §2.5), so the counter wraps the same everywhere. */
function ctr(key: Uint8Array, v: Buffer, data: Uint8Array): Buffer {
  const q = Buffer.from(v);
  q[8]! &= 0x7f;
  q[12]! &= 0x7f;
  const cipher = createCipheriv('aes-128-ctr', key, q);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** Doubling in GF(2^128) (RFC 5297 §2.3): shift left one bit, xor 0x87 when the top bit fell off. */
function dbl(block: Buffer): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = ((block[i]! << 1) | (i + 1 < BLOCK ? block[i + 1]! >> 7 : 0)) & 0xff;
  if (block[0]! & 0x80) out[BLOCK - 1]! ^= 0x87;
  return out;
}

function xor(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** 10* padding of a short block to 16 bytes. */
function pad(partial: Uint8Array): Buffer {
  const out = Buffer.alloc(BLOCK);
  out.set(partial);
  out[partial.length] = 0x80;
  return out;
}
