// Builds the yargs parser once: global flags, the nine commands, strict parsing,
// typo suggestions, the completion command, and the single place a usage error
// becomes exit 2. What yargs does not check is checked before it runs
// (commands/check-flags.ts: unknown and repeated flags) or arranged around it (`--`).
import yargs from 'yargs';
import { EXIT_CODE_TABLE, ExitCode } from './exit-codes.js';
import { SockkitError, usageError } from './net/shared/errors.js';
import { printError } from './output/errors.js';
import { Terminal } from './output/terminal.js';
import { newRunState, RUN_STATE, type GlobalArgs, type RunState } from './commands/common.js';
import { GLOBAL_OPTIONS } from './commands/options.js';
import { COMMAND_NAMES, commandNamed, loadCommand, type CommandName } from './commands/registry.js';
import { checkFlags } from './commands/check-flags.js';
import { completionScript, defaultShell, SHELLS, type Shell } from './completion.js';
import type { SockkitCommand } from './commands/common.js';
import type { Argv, CommandModule, Options } from 'yargs';

declare const SOCKKIT_VERSION: string;
const VERSION = typeof SOCKKIT_VERSION === 'string' ? SOCKKIT_VERSION : '0.0.0-dev';

/** The named command alone when argv starts with one; otherwise all (help lists them, typos get suggestions). */
async function loadCommands(commandName: CommandName | undefined): Promise<SockkitCommand[]> {
  const names = commandName ? [commandName] : COMMAND_NAMES;
  return Promise.all(names.map(async (name) => loadCommand(name)));
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
  const commands = argv[0] === COMPLETION_COMMAND ? [] : await loadCommands(commandName);

  // yargs writes --help/--version output through console.log.
  try {
    const problem = checkFlags(argv, (word) => (word === COMPLETION_COMMAND ? {} : commands.find((c) => c.name === word)?.commandLine.options));
    if (problem) throw problem;
    const parser = createParser(argv, commands.map((c) => c.yargsModule), (stdout as { columns?: number }).columns ?? 100, state);
    await parser.parseAsync();
  } catch (err) {
    const term = new Terminal({ ...state.terminal, command: commandName ?? (argv[0] === COMPLETION_COMMAND ? argv[0] : undefined) });
    const failure = err instanceof SockkitError ? err : usageError('usage', err instanceof Error ? err.message : String(err));
    printError(term, failure);
    return failure.code === 'USAGE' ? ExitCode.USAGE : ExitCode.UNEXPECTED;
  }
  return state.exitCode;
}

const COMPLETION_COMMAND = 'completion';

/**
 * The whole yargs parser for argv, with these command modules and the run `state`
 * handed to the handler; parse it with parseAsync() and no arguments (argv is given
 * here). A usage error throws a SockkitError (code USAGE).
 * Exported for the test that holds the direct parser to it.
 */
export function createParser(argv: string[], commands: Array<CommandModule<GlobalArgs, never>>, columns = 100, state?: RunState) {
  const commandName = commandNamed(argv[0]) ?? (argv[0] === COMPLETION_COMMAND ? argv[0] : undefined);
  const afterDoubleDash = new PositionalsAfterDoubleDash(argv);
  const parser = yargs(afterDoubleDash.argv)
    .scriptName('sockkit')
    .usage('sockkit <command> [options]\n\nOne socket toolkit: lookups, NTP, HTTP, bind, echo and multi-core servers.')
    .options(GLOBAL_OPTIONS as Record<string, Options>)
    .command(commands as never)
    .command(completionCommand as never)
    .middleware((args) => afterDoubleDash.restore(args), true)
    .middleware((args) => {
      if (state) (args as Record<string, unknown>)[RUN_STATE] = state; // where the handler leaves the exit status
    })
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
      const said = afterDoubleDash.restoreText(message ?? '');
      const why = unknownCommand ? `unknown command '${argv[0]}'. ${said}`.trim() : said || 'bad command line';
      throw usageError('usage', why, `see sockkit ${commandName ? commandName + ' ' : ''}--help`);
    });

  skipHelpCaching(parser);
  return parser;
}

/** `sockkit completion [bash|zsh]`: the script (src/completion.ts); completing itself never runs a command. */
const completionCommand: CommandModule<GlobalArgs, { shell?: Shell }> = {
  command: `${COMPLETION_COMMAND} [shell]`,
  describe: 'print a bash or zsh completion script: source <(sockkit completion bash)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('shell', { choices: SHELLS, describe: 'the shell (default: zsh when $SHELL is zsh, else bash)' })
      .example('source <(sockkit completion bash)', 'Tab completes sockkit commands and flags in this bash')
      .example('sockkit completion zsh > ~/.zfunc/_sockkit', 'install it for zsh (a directory in $fpath)') as never,
  handler: (args) => {
    process.stdout.write(completionScript(args.shell ?? defaultShell()));
  },
};

/**
 * `--` ends the options, but yargs leaves what follows it out of the positionals
 * (`ntp --port 123 -- 127.0.0.1` asked the default server). So yargs is given
 * placeholder words instead, which it reads as positionals and never as flags, and
 * the words are put back before validation and the handler.
 */
class PositionalsAfterDoubleDash {
  readonly argv: string[];
  private readonly words = new Map<string, string>();

  constructor(argv: readonly string[]) {
    const end = argv.indexOf('--');
    if (end === -1) {
      this.argv = [...argv];
      return;
    }
    const after = argv.slice(end + 1).map((word, i) => {
      const placeholder = `sockkit-positional-${i}-${process.pid}`;
      this.words.set(placeholder, word);
      return placeholder;
    });
    this.argv = [...argv.slice(0, end), ...after];
  }

  restore(args: Record<string, unknown>): void {
    if (this.words.size === 0) return;
    const put = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(put) : typeof value === 'string' ? (this.words.get(value) ?? value) : value;
    for (const key of Object.keys(args)) args[key] = put(args[key]);
  }

  restoreText(text: string): string {
    let restored = text;
    for (const [placeholder, word] of this.words) restored = restored.split(placeholder).join(word);
    return restored;
  }
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
