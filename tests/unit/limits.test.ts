// Flags declare their limits once (options.ts `limit`), checked in one place with one
// wording (limits.ts) for both parsers.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { byteCount, checkFlagValues, describeLimit, type FlagLimit } from '../../src/commands/limits.js';
import { GLOBAL_OPTIONS, type OptionSpecs } from '../../src/commands/options.js';
import { COMMAND_NAMES, loadCommand } from '../../src/commands/registry.js';
import { SockkitError } from '../../src/net/shared/errors.js';

function check(limit: FlagLimit, value: unknown): unknown {
  const args: Record<string, unknown> = { flag: value };
  checkFlagValues({ flag: { describe: 'x', limit } }, args);
  return args.flag;
}

function refusal(limit: FlagLimit, value: unknown): SockkitError {
  try {
    check(limit, value);
  } catch (err) {
    return err as SockkitError;
  }
  throw new Error(`${String(value)} was accepted`);
}

describe('checkFlagValues', () => {
  test('integers: whole numbers in range pass; fractions, NaN, text and out-of-range values are usage errors in one wording', () => {
    const limit: FlagLimit = { kind: 'integer', min: 1, max: 1000 };
    expect(check(limit, 1)).toBe(1);
    expect(check(limit, '1000')).toBe(1000); // a string-typed flag's text
    for (const bad of [0, 1001, 1.5, Number.NaN, 'lots', '', '1e3', '-1']) {
      const err = refusal(limit, bad);
      expect(err.code).toBe('USAGE');
      expect(err.why).toBe('expected a whole number from 1 to 1,000');
    }
    expect(refusal(limit, 'lots').what).toBe("bad --flag 'lots'");
    expect(refusal(limit, Number.NaN).what).toBe('bad --flag'); // yargs' NaN says nothing of what was typed
  });

  test('seconds: decimals pass; `exclusive` refuses the bound itself', () => {
    expect(check({ kind: 'seconds', min: 0, exclusive: true }, 0.5)).toBe(0.5);
    expect(refusal({ kind: 'seconds', min: 0, exclusive: true }, 0).why).toBe('expected seconds above 0, e.g. 2 or 0.5');
    expect(check({ kind: 'seconds', min: 0 }, 0)).toBe(0);
    expect(refusal({ kind: 'seconds', min: 0.1, max: 3600 }, 3601).why).toBe('expected seconds from 0.1 to 3,600, e.g. 2 or 0.5');
  });

  test('bytes: K/M/G suffixes become a number, under the flag name and its camelCase twin', () => {
    const args: Record<string, unknown> = { 'max-size': '10M', maxSize: '10M' };
    checkFlagValues({ 'max-size': { describe: 'x', limit: { kind: 'bytes', min: 1 } } }, args);
    expect(args).toEqual({ 'max-size': 10 * 1024 * 1024, maxSize: 10 * 1024 * 1024 });
    expect(refusal({ kind: 'bytes', min: 1 }, '0').why).toMatch(/^expected a byte count from 1/);
    expect(byteCount('1G')).toBe(1024 ** 3);
    expect(byteCount('512KiB')).toBe(512 * 1024);
    expect(byteCount('ten')).toBeNaN();
  });

  test('a flag not given is not checked', () => {
    const args: Record<string, unknown> = {};
    checkFlagValues({ flag: { describe: 'x', limit: { kind: 'integer', min: 1 } } }, args);
    expect(args).toEqual({});
  });

  test('property: an integer limit accepts exactly the whole numbers in its range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 50 }), fc.integer({ min: 50, max: 100 }), fc.double({ min: -10, max: 200, noNaN: true }), (min, max, value) => {
        const accepted = (() => {
          try {
            check({ kind: 'integer', min, max }, value);
            return true;
          } catch {
            return false;
          }
        })();
        expect(accepted).toBe(Number.isInteger(value) && value >= min && value <= max);
      }),
    );
  });
});

describe('every numeric flag declares its limit', () => {
  test('each flag of type number, of every command and the global ones, has a limit', async () => {
    const missing: string[] = [];
    const audit = (where: string, options: OptionSpecs) => {
      for (const [name, spec] of Object.entries(options)) if (spec.type === 'number' && !spec.limit) missing.push(`${where} --${name}`);
    };
    audit('global', GLOBAL_OPTIONS);
    for (const name of COMMAND_NAMES) audit(name, (await loadCommand(name)).commandLine.options);
    expect(missing).toEqual([]);
  });

  test('describeLimit words each kind once', () => {
    expect(describeLimit({ kind: 'integer', min: 1 })).toBe('a whole number from 1 up');
    expect(describeLimit({ kind: 'integer', min: 0, max: 10 })).toBe('a whole number from 0 to 10');
  });
});
