import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { readDigForms, sockkitFlagFor } from '../../src/commands/dig-forms.js';
import { expectSockkitError } from '../helpers/expect-error.js';

const everyFlag = () => true;

describe("dig's forms among resolve's names", () => {
  test('@SERVER anywhere is a server, in order; the rest are names', () => {
    expect(readDigForms(['a.test', '@127.0.0.1', 'b.test', '@tls://dns.test', '-'], everyFlag)).toEqual({
      names: ['a.test', 'b.test', '-'],
      servers: ['127.0.0.1', 'tls://dns.test'],
    });
  });

  test("a lone '@' is a usage error", () => {
    expect(expectSockkitError(() => readDigForms(['@', 'x.test'], everyFlag)).why).toMatch(/must be followed by the server/);
  });

  test.each([
    ['+short', '--short'],
    ['+sho', '--short'],
    ['+tcp', '--tcp'],
    ['+vc', '--tcp'],
    ['+norec', '--no-recurse'],
    ['+norecurse', '--no-recurse'],
    ['+cd', '--cd'],
    ['+bufsize=512', '--bufsize N'],
    ['+noedns', '--no-edns'],
    ['+subnet=192.0.2.0/24', '--ecs SUBNET/LEN'],
    ['+time=3', '--timeout SECONDS'],
    ['+json', '--json'],
    ['+tls', '--server tls://HOST'],
  ])('%s is named as %s', (word, flag) => {
    expect(sockkitFlagFor(word)).toBe(flag);
  });

  test('a +word is a usage error naming the flag only when the command has it', () => {
    const has = (flag: string) => flag === '--short';
    expect(expectSockkitError(() => readDigForms(['x.test', '+short'], has)).why).toBe("'+short' is a dig option; sockkit's flag for it is --short");
    expect(expectSockkitError(() => readDigForms(['+tcp'], has)).why).toBe("'+tcp' is a dig option, and sockkit has no flag for it");
    expect(expectSockkitError(() => readDigForms(['+frobnicate'], everyFlag)).why).toMatch(/sockkit has no flag for it/);
    expect(expectSockkitError(() => readDigForms(['+short'], has)).code).toBe('USAGE');
    // names of Object.prototype are no dig options (fast-check found `+constructor`)
    for (const word of ['+constructor', '+__proto__', '+toString', '+hasOwnProperty', '+noconstructor']) {
      expect(expectSockkitError(() => readDigForms([word], everyFlag)).why).toBe(`'${word}' is a dig option, and sockkit has no flag for it`);
    }
  });

  test('property: every +word is refused; names and servers keep their order', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ minLength: 1 }).map((s) => `+${s}`), fc.string({ minLength: 1 }).map((s) => `@${s.trim() || 'x'}`), fc.string()), { maxLength: 8 }), (words) => {
        const plus = words.some((w) => w.startsWith('+') && w.length > 1);
        const emptyAt = words.some((w) => w.startsWith('@') && w.slice(1).trim() === '');
        let forms;
        try {
          forms = readDigForms(words, everyFlag);
        } catch (err) {
          expect((err as { code?: string }).code).toBe('USAGE');
          expect(plus || emptyAt).toBe(true);
          return;
        }
        expect(plus).toBe(false);
        expect(forms.names).toEqual(words.filter((w) => !w.startsWith('@')));
        expect(forms.servers).toEqual(words.filter((w) => w.startsWith('@')).map((w) => w.slice(1).trim()));
      }),
    );
  });
});
