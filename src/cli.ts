// Builds the yargs parser once: global flags, the nine commands, strict parsing,
// typo suggestions, completion, and the single place a usage error becomes exit 2.
import yargs from 'yargs';
import { EXIT_CODE_TABLE, ExitCode } from './exit-codes.js';
import { SockkitError, usageError } from './net/errors.js';
import { printError } from './output/errors.js';
import { Terminal } from './output/terminal.js';
import { newRunState, RUN_STATE, type GlobalArgs, type RunState } from './commands/common.js';
import { GLOBAL_OPTIONS } from './commands/options.js';
import { COMMAND_NAMES, commandNamed, loadCommand, type CommandName } from './commands/registry.js';
import type { CommandModule, Options } from 'yargs';

declare const SOCKKIT_VERSION: string;
const VERSION = typeof SOCKKIT_VERSION === 'string' ? SOCKKIT_VERSION : '0.0.0-dev';

/** The named command alone when argv starts with one; otherwise all (help lists them, typos get suggestions). */
async function loadCommands(commandName: CommandName | undefined): Promise<Array<CommandModule<GlobalArgs, never>>> {
  const names = commandName ? [commandName] : COMMAND_NAMES;
  return Promise.all(names.map(async (name) => (await loadCommand(name)).yargsModule));
}

const EPILOG =
  'Exit codes:\n' + EXIT_CODE_TABLE.map(([code, what]) => `  ${String(code).padStart(3)}  ${what}`).join('\n') +
  '\n\nJSON: --json prints one document (NDJSON for servers); field names are camelCase with units.';

export interface CliOptions {
  terminal?: RunState['terminal'];
  handleSignals?: boolean;
}

/** Parses argv, runs the command, and returns the exit status (it never calls process.exit). */
export async function runCli(argv: string[], options: CliOptions = {}): Promise<number> {
  const state = newRunState(options.terminal, options.handleSignals);
  const stdout = state.terminal.stdout ?? process.stdout;
  const commandName = commandNamed(argv[0]);
  const parser = createParser(argv, await loadCommands(commandName), (stdout as { columns?: number }).columns ?? 100);

  // yargs writes --help/--version/completion output through console.log.
  try {
    await parser.parseAsync(argv, { [RUN_STATE]: state } as unknown as GlobalArgs);
  } catch (err) {
    const term = new Terminal({ ...state.terminal, command: commandName });
    const failure = err instanceof SockkitError ? err : usageError('usage', err instanceof Error ? err.message : String(err));
    printError(term, failure);
    return failure.code === 'USAGE' ? ExitCode.USAGE : ExitCode.UNEXPECTED;
  }
  return state.exitCode;
}

/**
 * The whole yargs parser for argv, with these command modules. A usage error throws a
 * SockkitError (code USAGE). Exported for the test that holds the direct parser to it.
 */
export function createParser(argv: string[], commands: Array<CommandModule<GlobalArgs, never>>, columns = 100) {
  const commandName = commandNamed(argv[0]);
  const parser = yargs(argv)
    .scriptName('sockkit')
    .usage('sockkit <command> [options]\n\nOne socket toolkit: lookups, NTP, HTTP, bind, echo and multi-core servers.')
    .options(GLOBAL_OPTIONS as Record<string, Options>)
    .command(commands as never)
    .completion('completion', 'print a bash/zsh completion script (source <(sockkit completion))')
    .demandCommand(1, 'name a command: ' + COMMAND_NAMES.join(', '))
    .recommendCommands()
    .strict()
    .version(VERSION)
    .alias('help', 'h')
    .alias('version', 'V')
    .epilog(EPILOG)
    .wrap(Math.min(110, columns))
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      if (error instanceof SockkitError) throw error;
      if (error) throw error;
      const unknownCommand = !commandName && argv[0] !== undefined && !argv[0].startsWith('-');
      const why = unknownCommand ? `unknown command '${argv[0]}'. ${message ?? ''}`.trim() : (message ?? 'bad command line');
      throw usageError('usage', why, `see sockkit ${commandName ? commandName + ' ' : ''}--help`);
    });

  skipHelpCaching(parser);
  return parser;
}

/**
 * yargs renders and caches a command's whole help text every time the command runs
 * (so a handler could call showHelp()), ≈9 ms of string-width work on each start.
 * sockkit's handlers never show help, so that caching is turned off. The method is
 * yargs-internal: if it is not there, nothing changes.
 */
function skipHelpCaching(parser: object): void {
  const internals = (parser as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: unknown } } })
    .getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}
