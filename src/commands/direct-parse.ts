// Reads the plain command lines without yargs. Loading and running yargs cost every
// command ≈5 ms of start-up: resolve's first query left 15.5 ms after Node started
// with it and 10.9 ms without (medians of 25 runs).
//
// It is not a second argument parser with rules of its own: it takes only the forms
// whose meaning cannot be in doubt and hands everything else to yargs, which reads it
// or explains the error. It may refuse any command line; it must never read one
// differently (tests/unit/direct-parse.test.ts compares the two on thousands of them).
import { flagTable, GLOBAL_OPTIONS, type CommandLineSpec, type OptionSpec } from './options.js';

export type ParsedArgs = Record<string, unknown>;

/**
 * The arguments yargs would hand the command's handler for `tokens` (what follows the
 * command name), or undefined unless every token has one of these forms:
 * `--name VALUE`, `--name=VALUE`, `-a VALUE`, `--flag`, `--no-flag`, `-f`, a positional,
 * `-` where the command takes it (resolve: names from stdin), and `--`, after which
 * every token is a positional (cli.ts makes yargs read it so too).
 *
 * Refused, for yargs: help and version, unknown or repeated flags (check-flags.ts
 * explains those), bundled short flags, a value that starts with '-' or is empty, a
 * number that is not plainly written (1e3, 0x10, 010), a boolean followed by
 * `true`/`false`, a value outside its choices, a missing required argument, an extra
 * positional, and flags that conflict.
 */
export function parseDirect(tokens: readonly string[], spec: CommandLineSpec): ParsedArgs | undefined {
  const options: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS, ...spec.options };
  const flags = flagTable(options);
  const given = new Map<string, unknown>();
  const positionals: string[] = [];

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '--') {
      positionals.push(...tokens.slice(i + 1)); // the end of the options: all that follows is positional
      break;
    }
    if (token === '-') {
      // yargs keeps a lone '-' as a positional only when unknown options are arguments
      if (!spec.parserSettings['unknown-options-as-args']) return undefined;
      positionals.push(token);
      continue;
    }
    if (!token.startsWith('-')) {
      positionals.push(token);
      continue;
    }
    const equals = token.startsWith('--') ? token.indexOf('=') : -1;
    const flag = equals > 2 ? token.slice(0, equals) : token;
    const inline = equals > 2 ? token.slice(equals + 1) : undefined;

    let name: string;
    let value: unknown;
    const known = flags.get(flag);
    if (known) {
      name = known;
      const option = options[name]!;
      if (option.type === 'boolean') {
        if (inline !== undefined) return undefined;
        const next = tokens[i + 1];
        if (next === 'true' || next === 'false') return undefined; // yargs would take it as the value
        value = true;
      } else {
        value = readValue(inline ?? tokens[++i], option);
        if (value === undefined) return undefined;
      }
    } else {
      // --no-flag: a boolean set false
      const negated = flag.startsWith('--no-') && inline === undefined ? flags.get(`--${flag.slice(5)}`) : undefined;
      if (negated === undefined || options[negated]!.type !== 'boolean' || flag.slice(5) !== negated) return undefined;
      name = negated;
      value = false;
    }

    const option = options[name]!;
    if (option.array) {
      if (spec.parserSettings['greedy-arrays'] !== false) return undefined; // a greedy array swallows what follows
      given.set(name, [...((given.get(name) as unknown[] | undefined) ?? []), value]);
    } else if (given.has(name)) {
      return undefined; // yargs turns a repeated flag into an array
    } else {
      given.set(name, value);
    }
  }

  for (const [a, b] of spec.conflicts) if (given.has(a) && given.has(b)) return undefined;

  const args: ParsedArgs = {};
  if (!assignPositionals(args, positionals, spec)) return undefined;
  for (const [name, option] of Object.entries(options)) {
    const value = given.has(name) ? given.get(name) : option.default;
    if (value === undefined) {
      if (option.demandOption) return undefined;
      continue;
    }
    args[name] = value;
    args[camelCase(name)] = value;
  }
  return args;
}

const PLAIN_NUMBER = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** A flag's value as yargs would read it, or undefined when the direct path should not guess. */
function readValue(text: string | undefined, option: OptionSpec): string | number | undefined {
  if (text === undefined || text === '' || text.startsWith('-')) return undefined;
  if (option.choices && !option.choices.includes(text)) return undefined;
  switch (option.type) {
    case 'number':
      return PLAIN_NUMBER.test(text) ? Number(text) : undefined;
    case 'string':
      return text;
    default:
      // untyped: yargs turns numbers into numbers; only a word from `choices` is plain
      return option.choices ? text : undefined;
  }
}

/** Fills the positionals in command-string order; false when they do not fit it. */
function assignPositionals(args: ParsedArgs, given: string[], spec: CommandLineSpec): boolean {
  let next = 0;
  for (const { name, required, variadic } of positionalSlots(spec.command)) {
    const positional = spec.positionals[name];
    if (!positional) return false; // a slot without a declaration: let yargs decide
    if (variadic) {
      const rest = given.slice(next);
      next = given.length;
      if (rest.length > 0) args[name] = rest;
      else if (required) return false;
      else args[name] = positional.default ?? []; // yargs gives an empty list
    } else if (next < given.length) {
      args[name] = given[next++];
    } else if (required) {
      return false;
    } else if (positional.default !== undefined) {
      args[name] = positional.default;
    }
  }
  return next === given.length; // strict: no extra positionals
}

/** `resolve <names..>` → [{ names, required, variadic }]. */
function positionalSlots(command: string): Array<{ name: string; required: boolean; variadic: boolean }> {
  return command
    .split(' ')
    .slice(1)
    .map((slot) => ({ name: slot.slice(1, -1).replace(/\.\.$/, ''), required: slot.startsWith('<'), variadic: slot.endsWith('..>') || slot.endsWith('..]') }));
}

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
