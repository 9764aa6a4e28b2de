// Command lines that run without yargs (≈5 ms of every start:
// src/commands/direct-parse.ts says why and how). Anything these paths do not take
// goes to the full parser, which prints the same output (tests/e2e/fast-path.test.ts).
import { hostname } from 'node:os';
import { printHostname } from './output/hostname.js';
import { Terminal } from './output/terminal.js';
import { parseDirect } from './commands/direct-parse.js';
import { commandNamed, loadCommand } from './commands/registry.js';
import { COMPLETION_FLAG } from './completion.js';

const HARMLESS_FLAGS = new Set(['--no-color', '--color', '--quiet', '-q']);

/** Runs argv without yargs when it can, returning the exit status; undefined otherwise. */
export async function runFastPath(argv: string[]): Promise<number | undefined> {
  const [word, ...rest] = argv;
  // Tab in a shell: subcommands and flags from the declarations; nothing runs, yargs never loads.
  if (word === COMPLETION_FLAG) return (await import('./completion.js')).printCompletions(rest);
  // Plain `sockkit hostname` needs not even its command module: os.hostname() alone
  // (src/net/host/hostname.ts loads the resolver and file modules its other modes need).
  if (word === 'hostname' && rest.every((a) => HARMLESS_FLAGS.has(a))) {
    printHostname(new Terminal({ command: word }), hostname());
    return 0;
  }
  const name = commandNamed(word);
  if (!name) return undefined;
  const command = await loadCommand(name);
  const args = parseDirect(rest, command.commandLine);
  if (!args) return undefined;
  return command.runParsed(args);
}
