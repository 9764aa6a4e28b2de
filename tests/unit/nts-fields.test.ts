import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { aeadSivDecrypt } from '../../src/net/crypto/aes-siv.js';
import {
  carriesUniqueId,
  checkNtsReply,
  decodeExtensionFields,
  encodeExtensionField,
  encodeNtsRequest,
  ExtensionType,
} from '../../src/net/ntp/nts-fields.js';
import { encodeNtpRequest } from '../../src/net/ntp/packet.js';
import { protectedReply, readRequestFields } from '../helpers/nts-reply.js';

const c2sKey = Buffer.alloc(32, 0x11);
const s2cKey = Buffer.alloc(32, 0x22);
const uniqueId = Buffer.alloc(32, 0x33);
const cookie = Buffer.alloc(100, 0x44);
const header = encodeNtpRequest(0x0123456789abcdefn);

describe('NTS extension fields (RFC 8915 §5)', () => {
  test('a field is padded to 4 bytes, its length counts the header', () => {
    expect(encodeExtensionField(0x0104, Buffer.of(1, 2, 3)).toString('hex')).toBe('01040008' + '01020300');
  });

  test('the request: header, Unique Identifier, cookie, placeholders, authenticator over all before it', () => {
    const nonce = Buffer.alloc(16, 0x55);
    const request = encodeNtsRequest(header, { uniqueId, cookie, placeholders: 2, c2sKey, nonce });
    expect(request.length).toBe(48 + 36 + 104 * 3 + 40);
    const fields = decodeExtensionFields(request);
    if (typeof fields === 'string') throw new Error(fields);
    expect(fields.map((f) => f.type)).toEqual([0x0104, 0x0204, 0x0304, 0x0304, 0x0404]);
    expect(fields[2]!.body.equals(Buffer.alloc(100))).toBe(true); // a placeholder is as long as the cookie, zeros
    const auth = fields[4]!;
    expect(auth.body.readUInt16BE(0)).toBe(16);
    expect(auth.body.readUInt16BE(2)).toBe(16);
    // The server's view: the tag verifies with the C2S key over everything before the authenticator.
    const plaintext = aeadSivDecrypt(c2sKey, auth.body.subarray(4, 20), request.subarray(0, auth.offset), auth.body.subarray(20, 36));
    expect(plaintext?.length).toBe(0);
    expect(readRequestFields(request)).toEqual({ uniqueId, cookie, placeholders: 2 });
  });

  test('an authentic reply gives its encrypted cookies', () => {
    const reply = protectedReply({ header, uniqueId, s2cKey, cookies: [Buffer.alloc(100, 1), Buffer.alloc(100, 2)] });
    const check = checkNtsReply(reply, uniqueId, s2cKey);
    expect(check.kind).toBe('authentic');
    if (check.kind === 'authentic') expect(check.cookies.map((c) => c[0])).toEqual([1, 2]);
  });

  test.each<[string, () => Buffer, RegExp]>([
    ['another key', () => protectedReply({ header, uniqueId, s2cKey: c2sKey, cookies: [cookie] }), /does not verify with the S2C key/],
    ['another Unique Identifier', () => protectedReply({ header, uniqueId: Buffer.alloc(32, 9), s2cKey, cookies: [cookie] }), /not the one we sent/],
    ['no authenticator', () => Buffer.concat([header, encodeExtensionField(ExtensionType.UNIQUE_IDENTIFIER, uniqueId)]), /unauthenticated/],
    ['a bare header', () => header, /no NTS Authenticator/],
    ['a field running past the end', () => Buffer.concat([header, Buffer.from('01040040', 'hex')]), /length 64/],
  ])('forged: %s', (_, reply, why) => {
    const check = checkNtsReply(reply(), uniqueId, s2cKey);
    expect(check.kind).toBe('forged');
    if (check.kind === 'forged') expect(check.reason).toMatch(why);
  });

  test('any flipped bit of an authentic reply makes it forged (or unreadable), never authentic', () => {
    const reply = protectedReply({ header, uniqueId, s2cKey, cookies: [cookie] });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: reply.length * 8 - 1 }), (bit) => {
        const copy = Buffer.from(reply);
        copy[bit >> 3]! ^= 1 << (bit & 7);
        expect(checkNtsReply(copy, uniqueId, s2cKey).kind).toBe('forged');
      }),
      { numRuns: 300 },
    );
  });

  test('any bytes after the header: a verdict, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
        const data = Buffer.concat([header, tail]);
        expect(['forged', 'authentic']).toContain(checkNtsReply(data, uniqueId, s2cKey).kind);
        expect(typeof carriesUniqueId(data, uniqueId)).toBe('boolean');
      }),
    );
  });

  test('an NTS NAK counts only with our Unique Identifier', () => {
    const nak = (id: Buffer) => Buffer.concat([header, encodeExtensionField(ExtensionType.UNIQUE_IDENTIFIER, id)]);
    expect(carriesUniqueId(nak(uniqueId), uniqueId)).toBe(true);
    expect(carriesUniqueId(nak(Buffer.alloc(32)), uniqueId)).toBe(false);
    expect(carriesUniqueId(header, uniqueId)).toBe(false);
  });
});
