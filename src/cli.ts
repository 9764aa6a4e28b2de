// Builds the yargs parser once: global flags, the nine commands, strict parsing,
// typo suggestions, completion, and the single place a usage error becomes exit 2.
import yargs from 'yargs';
import { EXIT_CODE_TABLE, ExitCode } from './exit-codes.js';
import { SockkitError, usageError } from './net/errors.js';
import { printError } from './output/errors.js';
import { Terminal } from './output/terminal.js';
import { RUN_STATE, type GlobalArgs, type RunState } from './commands/common.js';
import type { CommandModule } from 'yargs';

declare const SOCKKIT_VERSION: string;
const VERSION = typeof SOCKKIT_VERSION === 'string' ? SOCKKIT_VERSION : '0.0.0-dev';

// Each command module loads only when it is needed, and the built-in modules it uses
// with it: `sockkit ntp` never loads tls, zlib, crypto or cluster. Loading every one of
// them cost each command ≈8 ms of start-up. All load for help, completion and typos.
const COMMAND_LOADERS = {
  hostname: () => import('./commands/hostname.js'),
  resolve: () => import('./commands/resolve.js'),
  service: () => import('./commands/service.js'),
  ntp: () => import('./commands/ntp.js'),
  'http-get': () => import('./commands/http-get.js'),
  bind: () => import('./commands/bind.js'),
  'echo-server': () => import('./commands/echo-server.js'),
  'echo-client': () => import('./commands/echo-client.js'),
  'threaded-server': () => import('./commands/threaded-server.js'),
} satisfies Record<string, () => Promise<{ default: object }>>;
type CommandName = keyof typeof COMMAND_LOADERS;
const COMMAND_NAMES = Object.keys(COMMAND_LOADERS) as CommandName[];

/** The named command alone when argv starts with one; otherwise all (help lists them, typos get suggestions). */
async function loadCommands(commandName: CommandName | undefined): Promise<Array<CommandModule<GlobalArgs, never>>> {
  const names = commandName ? [commandName] : COMMAND_NAMES;
  return Promise.all(names.map(async (name) => (await COMMAND_LOADERS[name]()).default as unknown as CommandModule<GlobalArgs, never>));
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
  const state: RunState = { exitCode: ExitCode.OK, terminal: options.terminal ?? {}, handleSignals: options.handleSignals ?? true };
  const stdout = state.terminal.stdout ?? process.stdout;
  const commandName = COMMAND_NAMES.find((n) => n === argv[0]);
  const commands = await loadCommands(commandName);
  const parser = yargs(argv)
    .scriptName('sockkit')
    .usage('sockkit <command> [options]\n\nOne socket toolkit: lookups, NTP, HTTP, bind, echo and multi-core servers.')
    .option('json', { type: 'boolean', default: false, describe: 'print JSON (one document; NDJSON for servers)', global: true })
    .option('timeout', { type: 'number', describe: 'network timeout in seconds (decimals allowed; default per command)', global: true, requiresArg: true })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress, warnings or notes on stderr', global: true })
    .option('color', { type: 'boolean', default: true, describe: 'colour on a TTY (--no-color, or NO_COLOR, turns it off)', global: true })
    .option('trace', { type: 'boolean', default: false, describe: 'print socket-level steps with timestamps to stderr', global: true })
    .command(commands as never)
    .completion('completion', 'print a bash/zsh completion script (source <(sockkit completion))')
    .demandCommand(1, 'name a command: ' + COMMAND_NAMES.join(', '))
    .recommendCommands()
    .strict()
    .version(VERSION)
    .alias('help', 'h')
    .alias('version', 'V')
    .epilog(EPILOG)
    .wrap(Math.min(110, (stdout as { columns?: number }).columns ?? 100))
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      if (error instanceof SockkitError) throw error;
      if (error) throw error;
      const unknownCommand = !commandName && argv[0] !== undefined && !argv[0].startsWith('-');
      const why = unknownCommand ? `unknown command '${argv[0]}'. ${message ?? ''}`.trim() : (message ?? 'bad command line');
      throw usageError('usage', why, `see sockkit ${commandName ? commandName + ' ' : ''}--help`);
    });

  skipHelpCaching(parser);

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
