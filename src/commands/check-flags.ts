// The flag rules yargs does not keep, checked once on the raw command line before
// yargs reads it (cli.ts; the direct parser refuses these lines and so hands them
// there). yargs turns a repeated flag into an array, which the command then
// mistakes for its one value ("input.trim is not a function"), and reports an
// unknown flag that swallowed the next word as a missing argument. So:
//   - a flag no one declared is named as unknown;
//   - a flag that takes one value (options.ts: not a boolean, not repeatable) given
//     twice, under any of its spellings, is a usage error;
//   - `--` ends the options: nothing after it is looked at.
// Tokens are split into flags and values as yargs-parser splits them, so that the
// two never disagree about which token is a flag.
import { usageError, type SockkitError } from '../net/shared/errors.js';
import { BUILT_IN_FLAGS, flagSpellings, flagTable, GLOBAL_OPTIONS, takesOneValue, type OptionSpecs } from './options.js';

/** yargs-parser's negative number: a positional, or a value, never a flag. */
const NEGATIVE_NUMBER = /^-([0-9]+(\.[0-9]+)?|\.[0-9]+)$/;

/**
 * The first broken flag rule in `argv` (everything after `sockkit`), or undefined.
 * `optionsOf` gives a command's options by name (undefined: not a command). Global
 * flags may come before the command name; the first other word is the command.
 */
export function checkFlags(argv: readonly string[], optionsOf: (command: string) => OptionSpecs | undefined): SockkitError | undefined {
  let command: string | undefined;
  let reader = new FlagReader({ ...BUILT_IN_FLAGS, ...GLOBAL_OPTIONS });
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') return undefined;
    if (isFlag(token, reader)) {
      const end = reader.read(argv, i, command);
      if (typeof end !== 'number') return end; // the problem
      i = end;
      continue;
    }
    if (command !== undefined) continue; // a positional
    const options = optionsOf(token);
    if (!options) return undefined; // not a command: yargs says so, with a suggestion
    command = token;
    reader = reader.withOptions({ ...BUILT_IN_FLAGS, ...GLOBAL_OPTIONS, ...options });
  }
  return undefined;
}

/** A token yargs reads as a flag: `-x`, `--x`, not `-`, not a negative number (but `-4` where it is a flag). */
function isFlag(token: string, reader: FlagReader): boolean {
  if (!token.startsWith('-') || token === '-') return false;
  if (NEGATIVE_NUMBER.test(token)) return reader.knows(token); // -4 / -6 are flags
  return true;
}

/** Reads flags against one set of options and counts the single-value ones given. */
class FlagReader {
  private readonly names: Map<string, string>;
  private readonly given = new Set<string>();

  constructor(private readonly options: OptionSpecs) {
    this.names = flagTable(options);
    // yargs also reads --max-redirs as --maxRedirs
    for (const [spelling, name] of [...this.names]) {
      const camel = spelling.replace(/(?<=^--.+)-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      if (camel !== spelling) this.names.set(camel, name);
    }
  }

  /** The same flags seen so far (global ones before the command name), with more options. */
  withOptions(options: OptionSpecs): FlagReader {
    const next = new FlagReader(options);
    for (const name of this.given) next.given.add(name);
    return next;
  }

  knows(spelling: string): boolean {
    return this.names.has(spelling);
  }

  /** Reads the flag at argv[i]: the index of its last token (its value's, if separate), or the problem. */
  read(argv: readonly string[], i: number, command: string | undefined): number | SockkitError {
    const token = argv[i]!;
    return token.startsWith('--') ? this.readLong(argv, i, command) : this.readShort(argv, i, command);
  }

  private readLong(argv: readonly string[], i: number, command: string | undefined): number | SockkitError {
    const token = argv[i]!;
    const equals = token.indexOf('=');
    const spelling = equals === -1 ? token : token.slice(0, equals);
    let name = this.names.get(spelling);
    if (name === undefined && spelling.startsWith('--no-')) {
      const negated = this.names.get(`--${spelling.slice(5)}`);
      if (negated !== undefined && this.options[negated]!.type === 'boolean') return i; // --no-color
    }
    if (name === undefined) return unknownFlag(spelling, command);
    const problem = this.count(name, command);
    if (problem) return problem;
    if (equals !== -1) return i;
    // yargs-parser: a long flag takes the next token unless it starts with '-' (a negative number aside)
    const next = argv[i + 1];
    const takesNext = next !== undefined && (this.options[name]!.type === 'boolean' ? /^(true|false)$/.test(next) : !next.startsWith('-') || NEGATIVE_NUMBER.test(next));
    return takesNext ? i + 1 : i;
  }

  private readShort(argv: readonly string[], i: number, command: string | undefined): number | SockkitError {
    const token = argv[i]!;
    // yargs-parser reads `-abc` as -a -b -c, and `-s5`, `-s::1`, `-s=x` as -s with a value
    const letters = token.slice(1);
    for (let j = 0; j < letters.length; j++) {
      const spelling = `-${letters[j]}`;
      const name = this.names.get(spelling);
      if (name === undefined) return unknownFlag(spelling, command);
      const problem = this.count(name, command);
      if (problem) return problem;
      const rest = letters.slice(j + 1);
      const last = rest === '';
      if (last) break;
      if (rest.startsWith('=') || /^-?\d+(\.\d*)?(e-?\d+)?$/.test(rest) || /^\W/.test(rest)) return i; // the rest is its value
    }
    const name = this.names.get(`-${letters[letters.length - 1]}`)!;
    const next = argv[i + 1];
    const takesNext =
      next !== undefined && (this.options[name]!.type === 'boolean' ? /^(true|false)$/.test(next) : !/^(-|--)[^-]/.test(next) || NEGATIVE_NUMBER.test(next));
    return takesNext ? i + 1 : i;
  }

  /** Records that `name` was given; a problem if it takes one value and was given before. */
  private count(name: string, command: string | undefined): SockkitError | undefined {
    const option = this.options[name]!;
    if (!takesOneValue(option)) return undefined;
    if (!this.given.has(name)) {
      this.given.add(name);
      return undefined;
    }
    return usageError(flagSpellings(name, option).join(' / '), 'given twice; it takes one value', seeHelp(command));
  }
}

function unknownFlag(spelling: string, command: string | undefined): SockkitError {
  return usageError('usage', `unknown option '${spelling}'`, seeHelp(command));
}

function seeHelp(command: string | undefined): string {
  return `see sockkit ${command ? `${command} ` : ''}--help`;
}

