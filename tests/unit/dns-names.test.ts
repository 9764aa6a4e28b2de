import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { parseNameList, parseQueryName, reverseName, fqdn } from '../../src/net/dns/names.js';
import { expectSockkitError } from '../helpers/expect-error.js';

describe('parseQueryName', () => {
  test('a plain name keeps its spelling and gets a trailing dot on the wire', () => {
    const name = parseQueryName(' www.Example.test ');
    expect(name).toEqual({ input: 'www.Example.test', ascii: 'www.Example.test', idn: false });
    expect(fqdn(name)).toBe('www.Example.test.');
    expect(fqdn(parseQueryName('www.example.test.'))).toBe('www.example.test.');
  });

  test('an internationalised name becomes punycode, shown both ways', () => {
    expect(parseQueryName('bücher.sockkit.test')).toEqual({ input: 'bücher.sockkit.test', ascii: 'xn--bcher-kva.sockkit.test', idn: true });
  });

  test('what is not a host name is refused, naming the character: dig forms, escapes, punctuation', () => {
    for (const [name, ch] of [['@x', '@'], ['+tcp', '+'], ['a\\.b.test', '\\'], ['a/b', '/'], ['x;rm', ';'], ['a*b.test', '*'], ["o'neil.test", "'"]]) {
      const err = expectSockkitError(() => parseQueryName(name!));
      expect(err.code).toBe('USAGE');
      expect(err.why).toContain(`'${ch}' is not allowed in a host name`);
    }
    expect(expectSockkitError(() => parseQueryName('@x')).why).toMatch(/@SERVER/);
    expect(expectSockkitError(() => parseQueryName('+short')).why).toMatch(/dig's \+options/);
  });

  test('a wildcard label is a whole label', () => {
    expect(parseQueryName('*.sockkit.test').ascii).toBe('*.sockkit.test');
  });

  test('property: a name with any character outside letters, digits, - and _ is refused (IDN aside)', () => {
    const allowed = /^[A-Za-z0-9_.-]*$/;
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab-_.@+\\/:;!"$%&()=?~^,<>|{}[]#\'`'.split('')), minLength: 1, maxLength: 30 }), (text) => {
        if (text.trim() === '' || text === '.' || allowed.test(text) || text.includes(':')) return;
        expect(expectSockkitError(() => parseQueryName(text)).code).toBe('USAGE');
      }),
    );
  });

  test('property: whatever is accepted is letters, digits, -, _ and dots in its ASCII form (or a whole * label)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        let name;
        try {
          name = parseQueryName(text);
        } catch (err) {
          expect((err as { code?: string }).code).toBe('USAGE');
          return;
        }
        if (name.address) return;
        // A * is accepted as a whole label anywhere (the wildcard label), never inside one.
        expect(name.ascii).toMatch(/^(\.|(\*|[A-Za-z0-9_-]+)(\.(\*|[A-Za-z0-9_-]+))*)$/);
      }),
    );
  });

  test('underscores (SRV names) are fine', () => {
    expect(parseQueryName('_sip._tcp.example').ascii).toBe('_sip._tcp.example');
  });

  test('IP addresses become reverse names', () => {
    expect(parseQueryName('198.51.100.7')).toMatchObject({ ascii: '7.100.51.198.in-addr.arpa', address: '198.51.100.7', family: 4 });
    expect(parseQueryName('2001:db8::1')).toMatchObject({ family: 6, address: '2001:db8::1' });
  });

  test('reverse names (RFC 1035 §3.5, RFC 3596 §2.5)', () => {
    expect(reverseName('127.0.0.1')).toBe('1.0.0.127.in-addr.arpa');
    expect(reverseName('2001:db8::10')).toBe('0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
    expect(reverseName('::1')).toBe(`1.${'0.'.repeat(31)}ip6.arpa`);
  });

  test('bad names are usage errors with a reason', () => {
    expect(expectSockkitError(() => parseQueryName('')).why).toMatch(/empty name/);
    expect(expectSockkitError(() => parseQueryName('   ')).why).toMatch(/empty name/);
    expect(expectSockkitError(() => parseQueryName(`${'a'.repeat(64)}.test`)).why).toMatch(/label is at most 63/);
    expect(expectSockkitError(() => parseQueryName(Array(30).fill('abcdefghi').join('.'))).why).toMatch(/at most 253 characters/);
    expect(expectSockkitError(() => parseQueryName('a..b')).why).toMatch(/empty label/);
    expect(expectSockkitError(() => parseQueryName('a b.test')).why).toMatch(/spaces/);
    expect(expectSockkitError(() => parseQueryName('xn--a.ü.test')).why).toMatch(/internationalised/);
    expect(expectSockkitError(() => parseQueryName('dangling\\')).why).toMatch(/not allowed in a host name/);
    expect(expectSockkitError(() => parseQueryName('bad\\999.test')).why).toMatch(/not allowed in a host name/);
  });

  test('63-character labels and 253-character names are accepted', () => {
    expect(parseQueryName(`${'a'.repeat(63)}.test`).ascii).toHaveLength(68);
    const name = [...Array(25).fill('abcdefghi'), 'abc'].join('.');
    expect(name).toHaveLength(253);
    expect(parseQueryName(name).ascii).toBe(name);
  });

  test('host-name-like names: accepted exactly when every label is 1–63 long and the name at most 253', () => {
    // Random names around the limits, against the rules written out here.
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const alphabet = 'abcXYZ019-_';
    for (let i = 0; i < 400; i++) {
      const labels = Array.from({ length: 1 + random(6) }, () => {
        const length = [0, 1, 62, 63, 64][random(5)]! || random(70);
        return Array.from({ length }, () => alphabet[random(alphabet.length)]).join('');
      });
      const bare = labels.join('.');
      const name = random(2) ? `${bare}.` : bare;
      if (name.trim() !== name || name === '' || name === '.') continue;
      const valid = labels.every((l) => l.length >= 1 && l.length <= 63) && bare.length <= 253;
      if (valid) expect(parseQueryName(name)).toEqual({ input: name, ascii: bare, idn: false });
      else expect(expectSockkitError(() => parseQueryName(name)).code).toBe('USAGE');
    }
  });
});

describe('parseNameList', () => {
  test('skips blank lines, surrounding whitespace and # comments', () => {
    expect(parseNameList('\n  a.test  \r\n\n# whole line\nb.test # trailing\n\t\n c.test')).toEqual(['a.test', 'b.test', 'c.test']);
  });

  test('an empty list is empty', () => {
    expect(parseNameList('\n\n  \n')).toEqual([]);
  });
});
