// The direct parser may refuse any command line, but whatever it accepts it must read
// exactly as yargs does. Each command's real yargs parser (cli.ts createParser, with a
// handler that only records its arguments) is the judge, on hand-picked command lines
// and on thousands of random ones made from the command's own flags.
import { describe, expect, test } from '@jest/globals';
import { createParser } from '../../src/cli.js';
import { parseDirect, type ParsedArgs } from '../../src/commands/direct-parse.js';
import { checkFlags } from '../../src/commands/check-flags.js';
import { flagSpellings, GLOBAL_OPTIONS, takesOneValue, type OptionSpec } from '../../src/commands/options.js';
import { COMMAND_NAMES, loadCommand, type CommandName } from '../../src/commands/registry.js';
import type { SockkitCommand } from '../../src/commands/common.js';

/** What yargs hands the handler for `tokens`, or 'usage error'. */
async function parseWithYargs(command: SockkitCommand, tokens: string[]): Promise<ParsedArgs | 'usage error'> {
  let parsed: ParsedArgs | undefined;
  const recorder = { ...command.yargsModule, handler: (argv: ParsedArgs) => void (parsed = argv) };
  try {
    await createParser([command.name, ...tokens], [recorder as never]).parseAsync();
  } catch {
    return 'usage error';
  }
  if (!parsed) throw new Error(`yargs ran no handler for ${JSON.stringify(tokens)}`);
  return parsed;
}

/** Every key a handler may read: option names, their camelCase forms, positionals. */
function handlerKeys(command: SockkitCommand): string[] {
  const names = [...Object.keys(GLOBAL_OPTIONS), ...Object.keys(command.commandLine.options)];
  const camel = names.map((n) => n.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
  return [...new Set([...names, ...camel, ...Object.keys(command.commandLine.positionals)])];
}

/** Compares the two where direct accepted; returns whether it did. */
async function expectSameReading(command: SockkitCommand, tokens: string[], yargsReading?: ParsedArgs | 'usage error'): Promise<boolean> {
  const direct = parseDirect(tokens, command.commandLine);
  if (!direct) return false;
  const full = yargsReading ?? (await parseWithYargs(command, tokens));
  const line = `sockkit ${command.name} ${tokens.join(' ')}`;
  expect({ line, result: full === 'usage error' ? full : 'parsed' }).toEqual({ line, result: 'parsed' });
  if (full === 'usage error') return true;
  for (const key of handlerKeys(command)) {
    expect({ line, key, value: direct[key] }).toEqual({ line, key, value: full[key] });
  }
  return true;
}

// Small and seeded: a failure names its command line, and the next run repeats it.
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUES = ['A', 'MX,TXT', '127.0.0.1:5391', '[::1]:53', '5', '0.5', '0', '10', '1e3', '0x10', '010', '-1', '', 'true', 'false',
  'tcp', 'udp', 'echo', 'upper', 'example.com', '-', '--', 'x y', '443', 'ssh/tcp', 'http://127.0.0.1:8080/', 'Name: value', '1G'];

/** A random command line from the command's own flags, values and words (0–7 tokens). */
function randomTokens(command: SockkitCommand, random: () => number): string[] {
  const flagForms: string[] = ['--help', '-h', '--version'];
  for (const [name, option] of Object.entries({ ...GLOBAL_OPTIONS, ...command.commandLine.options })) {
    flagForms.push(`--${name}`, `--no-${name}`);
    if (option.alias) flagForms.push(option.alias.length === 1 ? `-${option.alias}` : `--${option.alias}`);
  }
  flagForms.push('-46', '--bogus', '-Z');
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const tokens: string[] = [];
  const length = Math.floor(random() * 8);
  while (tokens.length < length) {
    const roll = random();
    if (roll < 0.45) tokens.push(pick(flagForms));
    else if (roll < 0.55) tokens.push(`${pick(flagForms)}=${pick(VALUES)}`);
    else tokens.push(pick(VALUES));
  }
  // --help and --version print through console.log; they are refused before yargs runs
  return tokens;
}

/**
 * What yargs reads wrongly instead of refusing: a single-value flag given twice (an
 * array) and `--no-` before a flag that takes a value (false).
 */
function misreadByYargs(command: SockkitCommand, parsed: ParsedArgs, tokens: string[]): boolean {
  const options: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS, ...command.commandLine.options };
  const flags = tokens.includes('--') ? tokens.slice(0, tokens.indexOf('--')) : tokens;
  return Object.entries(options).some(
    ([name, option]) => (takesOneValue(option) && Array.isArray(parsed[name])) || (option.type !== 'boolean' && flags.includes(`--no-${name}`)),
  );
}

const optionsOf = (command: SockkitCommand) => (word: string) => (word === command.name ? command.commandLine.options : undefined);

/**
 * check-flags.ts refuses exactly the lines yargs reads and misreads (a single-value
 * flag made a list, `--no-` before a value); every other line yargs reads, it lets
 * through, but for resolve's unknown flags, which yargs passes on as names.
 */
function expectFlagCheckAgreesWithYargs(command: SockkitCommand, tokens: string[], full: ParsedArgs | 'usage error'): void {
  const problem = checkFlags([command.name, ...tokens], optionsOf(command));
  if (full === 'usage error') return; // refused either way
  const line = `sockkit ${command.name} ${tokens.join(' ')}`;
  if (misreadByYargs(command, full, tokens)) {
    expect({ line, refused: problem !== undefined }).toEqual({ line, refused: true });
  } else if (!(command.name === 'resolve' && problem && /unknown option/.test(problem.why))) {
    expect({ line, problem: problem?.message }).toEqual({ line, problem: undefined });
  }
}

const commands = async () => Promise.all(COMMAND_NAMES.map((name: CommandName) => loadCommand(name)));

describe('the direct parser reads a command line as yargs does, or not at all', () => {
  test.each([
    ['resolve', ['-', '--server', '127.0.0.1:5391', '--type', 'A']],
    ['resolve', ['example.com', 'example.org', '-s', '::1', '-t', 'MX', '-t', 'TXT,A', '--short', '-4', '--json']],
    ['resolve', ['--server=127.0.0.1:53', '-c', '200', 'localhost', '--timeout', '0.5', '--no-color', '-q']],
    ['ntp', []],
    ['ntp', ['127.0.0.1', '::1', '-p', '11123', '-n', '5', '--interval', '0', '--json']],
    ['http-get', ['http://127.0.0.1:8080/big', '-o', '/dev/null', '--json', '-H', 'X-A: 1', '--compressed']],
    ['echo-server', ['--port', '9000', '--udp', '--no-log-connections', '--max-conns', '100']],
    ['echo-client', ['-p', '9000', '-C', '100', '-d', '5', '-s', '64', '--json']],
    ['threaded-server', ['--workers', '2', '--handler', 'upper', '--port', '0']],
    ['bind', ['--port', '8080', '--udp', '-6']],
    ['service', ['443', 'ssh', '--proto', 'tcp', '--source', 'iana']],
    ['hostname', ['--fqdn', '--json']],
    // `--` ends the options: what follows is positional, even '-1', '-' and '--help'
    ['resolve', ['--', 'example.com']],
    ['resolve', ['-4', '--', '-', 'example.com']],
    ['ntp', ['--port', '11123', '--', '127.0.0.1']],
    ['ntp', ['127.0.0.1', '--', '::1', '--help']],
    ['service', ['22', '--', '-1']],
    ['service', ['--', '--proto', 'tcp']],
    ['http-get', ['--json', '--', 'http://127.0.0.1:8080/']],
    ['http-get', ['a', 'b', '-Z', '--parallel-max', '4']], // several URLs
  ])('%s %j: taken, and read the same', async (name, tokens) => {
    const command = await loadCommand(name as CommandName);
    expect(await expectSameReading(command, tokens as string[])).toBe(true);
  });

  test.each([
    ['resolve', ['--help']],
    ['resolve', ['example.com', '-h']],
    ['resolve', ['--version']],
    ['resolve', ['example.com', '--bogus']],
    ['resolve', ['example.com', '-4s', '::1']], // bundled short flags
    ['resolve', ['example.com', '--timeout', '1e3']],
    ['resolve', ['example.com', '--timeout', '-1']],
    ['resolve', ['example.com', '--server']],
    ['resolve', ['example.com', '--short', 'false']],
    ['resolve', ['example.com', '-4', '-6']],
    ['service', ['-']],
    ['service', ['--proto', 'sctp']],
    ['http-get', []],
    ['echo-client', ['--unix', 'x', '--port', '3']], // conflicting flags
    ['bind', ['--range', '1-2', '--hold']],
    ['http-get', ['http://x/', '-H', 'A: 1', '-H', 'B: 2']], // repeated: yargs makes the array
  ])('%s %j: left to yargs', async (name, tokens) => {
    const command = await loadCommand(name as CommandName);
    expect(parseDirect(tokens as string[], command.commandLine)).toBeUndefined();
  });

  test('on 1,000 random command lines per command', async () => {
    const random = mulberry32(20261124);
    let taken = 0;
    let total = 0;
    for (const command of await commands()) {
      for (let i = 0; i < 1000; i++) {
        const tokens = randomTokens(command, random);
        const options = tokens.includes('--') ? tokens.slice(0, tokens.indexOf('--')) : tokens;
        if (options.some((t) => /^(--help|-h|--version)(=|$)/.test(t))) {
          expect(parseDirect(tokens, command.commandLine)).toBeUndefined();
          continue;
        }
        total++;
        const full = await parseWithYargs(command, tokens);
        if (await expectSameReading(command, tokens, full)) taken++;
        expectFlagCheckAgreesWithYargs(command, tokens, full);
      }
    }
    // Not vacuous: a good share of plain lines go the direct way.
    expect(taken).toBeGreaterThan(total * 0.1);
  });
});

/** Every flag of every command that takes one value, with a value it accepts. */
async function singleValueFlags(): Promise<Array<[string, string, string, string]>> {
  const rows: Array<[string, string, string, string]> = [];
  for (const command of await commands()) {
    for (const [name, option] of Object.entries({ ...GLOBAL_OPTIONS, ...command.commandLine.options })) {
      if (!takesOneValue(option)) continue;
      const value = option.choices?.[0] ?? (option.type === 'number' ? '1' : 'x');
      const spellings = flagSpellings(name, option);
      rows.push([command.name, spellings[0]!, spellings[spellings.length - 1]!, value]);
    }
  }
  return rows;
}

describe('a flag that takes one value, given twice, is a usage error in both parsers', () => {
  test('every single-value flag of every command, under each of its spellings', async () => {
    const rows = await singleValueFlags();
    expect(rows.length).toBeGreaterThan(40);
    for (const [name, long, short, value] of rows) {
      const command = await loadCommand(name as CommandName);
      for (const tokens of [[long, value, long, value], [long, value, short, value], [`${long}=${value}`, short, value]]) {
        const line = `sockkit ${name} ${tokens.join(' ')}`;
        // the direct parser leaves it to the full path, which checks flags before yargs
        expect({ line, direct: parseDirect(tokens, command.commandLine) }).toEqual({ line, direct: undefined });
        const problem = checkFlags([name, ...tokens], optionsOf(command));
        expect({ line, problem: problem?.message }).toEqual({ line, problem: expect.stringMatching(/given twice; it takes one value/) });
        expect(problem?.code).toBe('USAGE');
      }
      // once is fine (the check, not yargs' verdict on the value, is what is tested here)
      expect(checkFlags([name, long, value], optionsOf(command))).toBeUndefined();
    }
  });

  test('booleans and repeatable flags may be given again', async () => {
    const resolve = await loadCommand('resolve');
    expect(checkFlags(['resolve', 'x', '--json', '--json', '-q', '--quiet', '--no-color', '--color', '-t', 'A', '--type', 'MX'], optionsOf(resolve))).toBeUndefined();
    const httpGet = await loadCommand('http-get');
    expect(checkFlags(['http-get', 'http://x/', '-H', 'A: 1', '--header', 'B: 2'], optionsOf(httpGet))).toBeUndefined();
  });

  test('global flags before the command name count too', async () => {
    const service = await loadCommand('service');
    expect(checkFlags(['--timeout', '1', 'service', '22', '--timeout', '2'], optionsOf(service))?.message).toMatch(/--timeout: given twice/);
  });
});

describe('an unknown flag is named as unknown', () => {
  test.each([
    ['http-get', ['-Y', 'http://127.0.0.1/'], '-Y'],
    ['http-get', ['-kY', 'http://127.0.0.1/'], '-Y'],
    ['resolve', ['example.com', '--bogus'], '--bogus'],
    ['service', ['22', '--no-search'], '--no-search'], // --no- only for booleans
    ['ntp', ['--port=1', '--Port', '2'], '--Port'],
  ])('%s %j: %s', async (name, tokens, flag) => {
    const command = await loadCommand(name as CommandName);
    const problem = checkFlags([name, ...(tokens as string[])], optionsOf(command));
    expect(problem).toMatchObject({ code: 'USAGE', why: `unknown option '${flag}'` });
  });

  test.each([
    ['service', ['22', '--', '--bogus', '-x']], // after `--`: positionals
    ['service', ['-1']], // a negative number is a positional
    ['resolve', ['example.com', '-4', '--timeout', '-1']], // -4 is a flag, -1 a value
    ['http-get', ['http://x/', '-o', '-']], // '-' is a value
  ])('%s %j: no flag problem', async (name, tokens) => {
    const command = await loadCommand(name as CommandName);
    expect(checkFlags([name, ...(tokens as string[])], optionsOf(command))).toBeUndefined();
  });

  test('camelCase spellings yargs accepts are accepted', async () => {
    const httpGet = await loadCommand('http-get');
    expect(checkFlags(['http-get', 'http://x/', '--maxRedirs', '3', '--connectTimeout', '1'], optionsOf(httpGet))).toBeUndefined();
  });
});
