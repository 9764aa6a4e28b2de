// Every command's flags, declared once as data. yargs builds the parser, --help and
// completion from these, and the direct parser (direct-parse.ts) reads the plain
// command lines from them without loading yargs. One declaration, so the two can
// never disagree about a name, an alias, a type or a default.
import type { FlagLimit } from './limits.js';

/** A flag, in the subset of yargs' option keys that sockkit uses. */
export interface OptionSpec {
  alias?: string;
  /** No type: yargs keeps a word as a string and turns a number into a number. */
  type?: 'string' | 'number' | 'boolean';
  /** Repeatable; the command sets 'greedy-arrays': false so a value never swallows a name. */
  array?: boolean;
  /**
   * Repeatable without being a yargs array (`-H` twice makes a list, once a string):
   * sockkit's own key, which yargs ignores. Every other flag that takes a value takes
   * one: given twice, it is a usage error (check-flags.ts).
   */
  repeatable?: boolean;
  choices?: readonly string[];
  default?: unknown;
  demandOption?: boolean;
  requiresArg?: boolean;
  /** Shared by every command: yargs offers it after any command name. */
  global?: boolean;
  /** The values it takes, checked once for both parsers (limits.ts); sockkit's own key. */
  limit?: FlagLimit;
  describe: string;
}

/** A positional argument: always text (an address, a name, a URL, a port). */
export interface PositionalSpec {
  type: 'string';
  array?: boolean;
  default?: unknown;
  demandOption?: boolean;
  describe: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

/** yargs-parser settings a command may change (see resolve). */
export interface ParserSettings {
  'unknown-options-as-args'?: boolean;
  'greedy-arrays'?: boolean;
  /** false: a flag with a dot in its name (http-get's --http1.1) is one flag, not an object. */
  'dot-notation'?: boolean;
}

/** What a command line may hold after the command name. */
export interface CommandLineSpec {
  /** yargs' command string: `resolve <names..>` (<> required, [] optional, .. variadic). */
  command: string;
  /** Declared here, ordered by `command`. */
  positionals: Record<string, PositionalSpec>;
  options: OptionSpecs;
  /** Pairs of flags that may not be given together. */
  conflicts: Array<[string, string]>;
  parserSettings: ParserSettings;
}

export const GLOBAL_OPTIONS: OptionSpecs = {
  json: { type: 'boolean', default: false, global: true, describe: 'print JSON (one document; NDJSON for servers)' },
  timeout: { type: 'number', global: true, requiresArg: true, limit: { kind: 'seconds', min: 0, exclusive: true }, describe: 'network timeout in seconds (decimals allowed; default per command)' },
  quiet: { alias: 'q', type: 'boolean', default: false, global: true, describe: 'no progress, warnings or notes on stderr' },
  color: { type: 'boolean', default: true, global: true, describe: 'colour on a TTY (--no-color, or NO_COLOR, turns it off)' },
  trace: { type: 'boolean', default: false, global: true, describe: 'print socket-level steps with timestamps to stderr' },
};

// No `default: false`: yargs 18 counts a default as "given", so the conflict would
// reject every command line.
/** -4 / -6, for a command that resolves or binds addresses. */
export const FAMILY_OPTIONS: OptionSpecs = {
  ipv4: { alias: '4', type: 'boolean', describe: 'use IPv4 only' },
  ipv6: { alias: '6', type: 'boolean', describe: 'use IPv6 only' },
};
/** A list of names streamed (`resolve -`, `-f FILE`): its pace and its account. */
export const BULK_OPTIONS: OptionSpecs = {
  rate: { type: 'number', requiresArg: true, limit: { kind: 'integer', min: 1, max: 1_000_000 }, describe: 'with - or -f: start at most N queries a second (a ceiling; retransmissions not counted)' },
  summary: { type: 'boolean', describe: 'with - or -f: a summary line on stderr at the end (names, answered, nxdomain, errors, q/s), also when stderr is not a terminal' },
};

export const FAMILY_CONFLICT: [string, string] = ['ipv4', 'ipv6'];

/** Flags every command knows besides its options: yargs' own. */
export const BUILT_IN_FLAGS: OptionSpecs = {
  help: { alias: 'h', type: 'boolean', describe: 'show help' },
  version: { alias: 'V', type: 'boolean', describe: 'show the version' },
};

/** True for a flag that takes one value and may be given once (not a boolean, not repeatable). */
export function takesOneValue(option: OptionSpec): boolean {
  return option.type !== 'boolean' && !option.array && !option.repeatable;
}

/** How a flag is written on the command line: `--name`, and `-a` for a one-letter alias (`--alias` otherwise). */
export function flagSpellings(name: string, option: OptionSpec): string[] {
  const spellings = [`--${name}`];
  if (option.alias) spellings.push(option.alias.length === 1 ? `-${option.alias}` : `--${option.alias}`);
  return spellings;
}

/** Every spelling (`--name`, `-a`) → the option's name. */
export function flagTable(options: OptionSpecs): Map<string, string> {
  const flags = new Map<string, string>();
  for (const [name, option] of Object.entries(options)) for (const spelling of flagSpellings(name, option)) flags.set(spelling, name);
  return flags;
}
