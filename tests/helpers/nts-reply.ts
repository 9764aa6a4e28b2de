// The server's side of NTS extension fields, for unit tests and the hostile NTS server:
// read a client's request, and build a reply protected with the S2C key (RFC 8915 §5.7).
import { aeadSivEncrypt } from '../../src/net/crypto/aes-siv.js';
import { decodeExtensionFields, encodeAuthenticator, encodeExtensionField, ExtensionType } from '../../src/net/ntp/nts-fields.js';

export interface ClientRequestFields {
  uniqueId: Buffer;
  cookie: Buffer;
  placeholders: number;
}

export function readRequestFields(request: Buffer): ClientRequestFields {
  const fields = decodeExtensionFields(request);
  if (typeof fields === 'string') throw new Error(fields);
  const uid = fields.find((f) => f.type === ExtensionType.UNIQUE_IDENTIFIER);
  const cookie = fields.find((f) => f.type === ExtensionType.NTS_COOKIE);
  if (!uid || !cookie) throw new Error('no Unique Identifier or cookie in the request');
  return { uniqueId: Buffer.from(uid.body), cookie: Buffer.from(cookie.body), placeholders: fields.filter((f) => f.type === ExtensionType.COOKIE_PLACEHOLDER).length };
}

export interface ReplyOptions {
  header: Buffer;
  uniqueId: Buffer;
  s2cKey: Buffer;
  cookies: Buffer[];
  nonce?: Buffer;
}

/** header, Unique Identifier, Authenticator with the cookies as encrypted NTS Cookie fields. */
export function protectedReply({ header, uniqueId, s2cKey, cookies, nonce = Buffer.alloc(16, 0x5a) }: ReplyOptions): Buffer {
  const before = Buffer.concat([header, encodeExtensionField(ExtensionType.UNIQUE_IDENTIFIER, uniqueId)]);
  const plaintext = Buffer.concat(cookies.map((c) => encodeExtensionField(ExtensionType.NTS_COOKIE, c)));
  return Buffer.concat([before, encodeAuthenticator(nonce, aeadSivEncrypt(s2cKey, nonce, before, plaintext))]);
}

/** An NTS NAK: kiss code NTSN and the Unique Identifier, no authenticator. */
export function ntsNak(header: Buffer, uniqueId: Buffer): Buffer {
  return Buffer.concat([header, encodeExtensionField(ExtensionType.UNIQUE_IDENTIFIER, uniqueId)]);
}
