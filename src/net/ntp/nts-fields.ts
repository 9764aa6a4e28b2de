// NTS extension fields in NTPv4 packets (RFC 8915 §5, on RFC 7822's field format), as
// pure functions: the protected request (Unique Identifier, NTS Cookie, Cookie
// Placeholders, NTS Authenticator and Encrypted Extension Fields) and the check of a
// reply with the S2C key. No sockets here.
import { aeadSivDecrypt, aeadSivEncrypt } from '../crypto/aes-siv.js';
import { NTP_HEADER_BYTES } from './packet.js';

export const ExtensionType = {
  UNIQUE_IDENTIFIER: 0x0104,
  NTS_COOKIE: 0x0204,
  COOKIE_PLACEHOLDER: 0x0304,
  AUTHENTICATOR: 0x0404,
} as const;

export const EXTENSION_NAMES: Readonly<Record<number, string>> = {
  0x0104: 'Unique Identifier',
  0x0204: 'NTS Cookie',
  0x0304: 'NTS Cookie Placeholder',
  0x0404: 'NTS Authenticator and Encrypted Extension Fields',
};

export const UNIQUE_ID_BYTES = 32;
export const NTS_NONCE_BYTES = 16;
/** A reply with 8 cookies of 1 KiB fits; beyond that a datagram is not an NTS reply to us. */
export const MAX_NTS_REPLY_BYTES = 16 * 1024;
/** Each request asks for at most 7 more cookies than it spends (8 in all, as the KE gives). */
export const MAX_PLACEHOLDERS = 7;

export interface ExtensionField {
  type: number;
  /** Where the field starts in the packet. */
  offset: number;
  /** The value, without padding. */
  body: Buffer;
}

/** One field: type, length (header included, a multiple of 4), value, zero padding. */
export function encodeExtensionField(type: number, body: Uint8Array): Buffer {
  const padded = Math.ceil(body.length / 4) * 4;
  const field = Buffer.alloc(4 + padded);
  field.writeUInt16BE(type, 0);
  field.writeUInt16BE(4 + padded, 2);
  field.set(body, 4);
  return field;
}

/**
 * The fields from `start` to the end, or why they cannot be read. The bodies keep their
 * padding (the length says the padded size; NTS values know their own length).
 */
export function decodeExtensionFields(data: Uint8Array, start = NTP_HEADER_BYTES): ExtensionField[] | string {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  const fields: ExtensionField[] = [];
  let at = start;
  while (at < buf.length) {
    if (buf.length - at < 4) return `${buf.length - at} stray bytes after the extension fields`;
    const type = buf.readUInt16BE(at);
    const length = buf.readUInt16BE(at + 2);
    if (length < 4 || length % 4 !== 0 || at + length > buf.length) {
      return `extension field 0x${type.toString(16).padStart(4, '0')} at byte ${at} has length ${length} (a multiple of 4 within the ${buf.length}-byte packet expected)`;
    }
    fields.push({ type, offset: at, body: buf.subarray(at + 4, at + length) });
    at += length;
  }
  return fields;
}

export function extensionName(type: number): string {
  return EXTENSION_NAMES[type] ?? `extension field 0x${type.toString(16).padStart(4, '0')}`;
}

export interface NtsRequestParts {
  uniqueId: Uint8Array;
  cookie: Uint8Array;
  /** Cookie Placeholders: each asks the server for one more cookie. */
  placeholders: number;
  c2sKey: Uint8Array;
  nonce: Uint8Array;
}

/**
 * The protected request: the 48-byte header, then Unique Identifier, NTS Cookie, the
 * placeholders (as long as the cookie, RFC 8915 §5.5), and the Authenticator, whose
 * associated data is everything before it and whose plaintext is empty.
 */
export function encodeNtsRequest(header: Buffer, parts: NtsRequestParts): Buffer {
  const before = Buffer.concat([
    header,
    encodeExtensionField(ExtensionType.UNIQUE_IDENTIFIER, parts.uniqueId),
    encodeExtensionField(ExtensionType.NTS_COOKIE, parts.cookie),
    ...Array.from({ length: parts.placeholders }, () => encodeExtensionField(ExtensionType.COOKIE_PLACEHOLDER, Buffer.alloc(parts.cookie.length))),
  ]);
  const sealed = aeadSivEncrypt(parts.c2sKey, parts.nonce, before, Buffer.alloc(0));
  return Buffer.concat([before, encodeAuthenticator(parts.nonce, sealed)]);
}

/** The Authenticator's value: nonce length, ciphertext length, nonce and ciphertext, each padded to 4 bytes. */
export function encodeAuthenticator(nonce: Uint8Array, ciphertext: Uint8Array): Buffer {
  const pad4 = (n: number) => Math.ceil(n / 4) * 4;
  const body = Buffer.alloc(4 + pad4(nonce.length) + pad4(ciphertext.length));
  body.writeUInt16BE(nonce.length, 0);
  body.writeUInt16BE(ciphertext.length, 2);
  body.set(nonce, 4);
  body.set(ciphertext, 4 + pad4(nonce.length));
  return encodeExtensionField(ExtensionType.AUTHENTICATOR, body);
}

export type NtsReplyCheck =
  | { kind: 'authentic'; cookies: Buffer[]; fields: ExtensionField[]; encrypted: ExtensionField[] }
  | { kind: 'forged'; reason: string; fields: ExtensionField[] };

/**
 * A reply counts only when its Authenticator verifies with the S2C key over everything
 * before it, and the Unique Identifier inside that authenticated part is ours. The
 * new cookies are the NTS Cookie fields of the decrypted plaintext.
 */
export function checkNtsReply(data: Uint8Array, uniqueId: Uint8Array, s2cKey: Uint8Array): NtsReplyCheck {
  const parsed = decodeExtensionFields(data);
  if (typeof parsed === 'string') return { kind: 'forged', reason: parsed, fields: [] };
  const fields = parsed;
  const forged = (reason: string): NtsReplyCheck => ({ kind: 'forged', reason, fields });
  const auth = fields.find((f) => f.type === ExtensionType.AUTHENTICATOR);
  if (!auth) return forged('no NTS Authenticator field: an unauthenticated reply');
  const signed = fields.filter((f) => f.offset < auth.offset);
  if (!signed.some((f) => f.type === ExtensionType.UNIQUE_IDENTIFIER && sameUniqueId(f.body, uniqueId))) {
    return forged(hasUniqueId(fields) ? 'the Unique Identifier is not the one we sent' : 'no Unique Identifier field before the Authenticator');
  }
  const box = authenticatorParts(auth.body);
  if (typeof box === 'string') return forged(box);
  const associated = Buffer.from(data.buffer, data.byteOffset, auth.offset);
  const plaintext = aeadSivDecrypt(s2cKey, box.nonce, associated, box.ciphertext);
  if (!plaintext) return forged('the NTS Authenticator does not verify with the S2C key');
  const encrypted = decodeExtensionFields(plaintext, 0);
  if (typeof encrypted === 'string') return forged(`the encrypted fields: ${encrypted}`);
  const cookies = encrypted.filter((f) => f.type === ExtensionType.NTS_COOKIE && f.body.length > 0).map((f) => Buffer.from(f.body));
  return { kind: 'authentic', cookies, fields, encrypted };
}

/** For an NTS NAK (kiss code NTSN, unauthenticated by design): does it carry our Unique Identifier? */
export function carriesUniqueId(data: Uint8Array, uniqueId: Uint8Array): boolean {
  const fields = decodeExtensionFields(data);
  return typeof fields !== 'string' && fields.some((f) => f.type === ExtensionType.UNIQUE_IDENTIFIER && sameUniqueId(f.body, uniqueId));
}

function hasUniqueId(fields: readonly ExtensionField[]): boolean {
  return fields.some((f) => f.type === ExtensionType.UNIQUE_IDENTIFIER);
}

/** The field's value is padded to 4 bytes; ours is 32 bytes, so it must be exactly that. */
function sameUniqueId(body: Buffer, uniqueId: Uint8Array): boolean {
  return body.length === Math.ceil(uniqueId.length / 4) * 4 && body.subarray(0, uniqueId.length).equals(uniqueId);
}

function authenticatorParts(body: Buffer): { nonce: Buffer; ciphertext: Buffer } | string {
  if (body.length < 4) return 'the NTS Authenticator field is too short';
  const nonceLength = body.readUInt16BE(0);
  const ciphertextLength = body.readUInt16BE(2);
  const nonceEnd = 4 + Math.ceil(nonceLength / 4) * 4;
  if (nonceLength === 0 || ciphertextLength < 16 || nonceEnd + ciphertextLength > body.length) {
    return `the NTS Authenticator's lengths (nonce ${nonceLength}, ciphertext ${ciphertextLength}) do not fit its ${body.length} bytes`;
  }
  return { nonce: body.subarray(4, 4 + nonceLength), ciphertext: body.subarray(nonceEnd, nonceEnd + ciphertextLength) };
}

/** One field, for --trace. */
export function describeField(field: ExtensionField): string {
  return `${extensionName(field.type)} (${field.body.length + 4} bytes)`;
}
