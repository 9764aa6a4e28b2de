import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { aeadSivDecrypt, aeadSivEncrypt, sivDecrypt, sivEncrypt } from '../../src/net/crypto/aes-siv.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('AES-SIV-CMAC-256, RFC 5297 Appendix A', () => {
  test('A.1 deterministic authenticated encryption', () => {
    const key = hex('fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff');
    const ad = hex('10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627');
    const plaintext = hex('11223344 55667788 99aabbcc ddee');
    const expected = hex('85632d07 c6e8f37f 950acd32 0a2ecc93 40c02b96 90c4dc04 daef7f6a fe5c');
    expect(sivEncrypt(key, [ad], plaintext).toString('hex')).toBe(expected.toString('hex'));
    expect(sivDecrypt(key, [ad], expected)?.toString('hex')).toBe(plaintext.toString('hex'));
  });

  test('A.2 nonce-based authenticated encryption (two AD items and a nonce)', () => {
    const key = hex('7f7e7d7c 7b7a7978 77767574 73727170 40414243 44454647 48494a4b 4c4d4e4f');
    const ad1 = hex('00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc bbaa9988 77665544 33221100');
    const ad2 = hex('10203040 50607080 90a0');
    const nonce = hex('09f91102 9d74e35b d84156c5 635688c0');
    const plaintext = hex('74686973 20697320 736f6d65 20706c61 696e7465 78742074 6f20656e 63727970 74207573 696e6720 5349562d 414553');
    const expected = hex(
      '7bdb6e3b 432667eb 06f4d14b ff2fbd0f cb900f2f ddbe4043 26601965 c889bf17 dba77ceb 094fa663 b7a3f748 ba8af829 ea64ad54 4a272e9c 485b62a3 fd5c0d',
    );
    expect(sivEncrypt(key, [ad1, ad2, nonce], plaintext).toString('hex')).toBe(expected.toString('hex'));
    expect(sivDecrypt(key, [ad1, ad2, nonce], expected)?.toString('hex')).toBe(plaintext.toString('hex'));
  });

  test('an empty plaintext still yields and checks a 16-byte tag (the NTS client request)', () => {
    const key = Buffer.alloc(32, 7);
    const sealed = aeadSivEncrypt(key, Buffer.alloc(16, 1), Buffer.from('header'), Buffer.alloc(0));
    expect(sealed.length).toBe(16);
    expect(aeadSivDecrypt(key, Buffer.alloc(16, 1), Buffer.from('header'), sealed)?.length).toBe(0);
    expect(aeadSivDecrypt(key, Buffer.alloc(16, 2), Buffer.from('header'), sealed)).toBeUndefined();
  });

  test('a key of the wrong size is refused', () => {
    expect(() => sivEncrypt(Buffer.alloc(16), [], Buffer.alloc(0))).toThrow(RangeError);
  });
});

describe('AES-SIV properties', () => {
  const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const bytes = (max: number) => fc.uint8Array({ maxLength: max });

  test('decrypt(encrypt(p)) = p for any key, nonce, associated data and plaintext', () => {
    fc.assert(
      fc.property(key, fc.uint8Array({ minLength: 1, maxLength: 32 }), bytes(100), bytes(100), (k, n, a, p) => {
        const sealed = aeadSivEncrypt(k, n, a, p);
        expect(sealed.length).toBe(p.length + 16);
        expect(aeadSivDecrypt(k, n, a, sealed)?.equals(Buffer.from(p))).toBe(true);
      }),
    );
  });

  test('any flipped bit of tag, ciphertext, associated data or nonce fails', () => {
    fc.assert(
      fc.property(
        key,
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        bytes(64),
        fc.constantFrom('sealed', 'ad', 'nonce'),
        fc.nat(),
        (k, n, a, p, where, at) => {
          const sealed = aeadSivEncrypt(k, n, a, p);
          const flip = (b: Uint8Array) => {
            const copy = Buffer.from(b);
            const bit = at % (copy.length * 8);
            copy[bit >> 3]! ^= 1 << (bit & 7);
            return copy;
          };
          const result =
            where === 'sealed' ? aeadSivDecrypt(k, n, a, flip(sealed)) : where === 'ad' ? aeadSivDecrypt(k, n, flip(a), sealed) : aeadSivDecrypt(k, flip(n), a, sealed);
          expect(result).toBeUndefined();
        },
      ),
    );
  });

  test('a truncated sealed box fails, never throws', () => {
    fc.assert(
      fc.property(key, bytes(40), fc.nat(), (k, p, cut) => {
        const sealed = aeadSivEncrypt(k, Buffer.alloc(16), Buffer.alloc(0), p);
        const short = sealed.subarray(0, cut % sealed.length);
        expect(aeadSivDecrypt(k, Buffer.alloc(16), Buffer.alloc(0), short)).toBeUndefined();
      }),
    );
  });
});
