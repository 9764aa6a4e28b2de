// What every subcommand shares: the global flags, the command context, and the
// wrapper that turns a command's result or error into output and an exit status.
import type { Argv, CommandModule, Options } from 'yargs';
import { SockkitError, toSockkitError, usageError } from '../net/shared/errors.js';
import { noTrace, type TraceFn } from '../net/shared/trace.js';
import { exitCodeFor, ExitCode } from '../exit-codes.js';
import { Terminal, type TerminalOptions } from '../output/terminal.js';
import { reportFailure, reportInterrupted } from '../output/errors.js';
import { createTracePrinter } from '../output/trace.js';
import { systemLookupsInFlight } from '../net/socket/lookup.js';
import { GLOBAL_OPTIONS, type CommandLineSpec, type OptionSpecs, type ParserSettings, type PositionalSpec } from './options.js';
import { checkFlagValues } from './limits.js';

export interface GlobalArgs {
  json: boolean;
  timeout?: number;
  quiet: boolean;
  color: boolean;
  trace: boolean;
}

export interface CommandContext {
  term: Terminal;
  /** Socket-level trace hook: prints to stderr with --trace, noTrace otherwise (tracing() tells which). */
  trace: TraceFn;
  /** The network budget in ms: --timeout, or the command's stated default. */
  timeoutMs: number;
  /** Aborted on Ctrl-C / SIGTERM (servers drain; one-shot commands exit 130, or report first: reportOnInterrupt). */
  signal: AbortSignal;
  /**
   * From now on, the first Ctrl-C / SIGTERM aborts `signal` instead of exiting: the
   * command prints what it measured so far (as ping does) and returns
   * ExitCode.INTERRUPTED; a second one exits 130 at once.
   */
  reportOnInterrupt(): void;
}

/** Per-invocation state passed through yargs' parse context (see runCli). */
export interface RunState {
  exitCode: number;
  terminal: Omit<TerminalOptions, 'json' | 'quiet' | 'color' | 'command'>;
  /** Tests run commands in-process: they must not install process signal handlers. */
  handleSignals: boolean;
}

export const RUN_STATE = '__sockkitRun';

/** A fresh run: exit 0 until the command says otherwise; process signal handlers unless a test asks not to. */
export function newRunState(terminal: RunState['terminal'] = {}, handleSignals = true): RunState {
  return { exitCode: ExitCode.OK, terminal, handleSignals };
}

export interface CommandSpec<A> {
  /** yargs command string, e.g. 'resolve <names..>' */
  command: string;
  aliases?: string[];
  describe: string;
  /** Every positional the command string names (options.ts). */
  positionals?: Record<string, PositionalSpec>;
  options?: OptionSpecs;
  /** Pairs of flags that may not be given together. */
  conflicts?: Array<[string, string]>;
  parserSettings?: ParserSettings;
  /** More help after the options (the default --timeout is always added). */
  epilog?: string;
  /** At least two real examples: [command line, what it does]. */
  examples: Array<[string, string]>;
  /** Used when --timeout is not given; stated in --help. */
  defaultTimeoutSeconds: number;
  /** Servers run until interrupted and handle the abort signal themselves. */
  longRunning?: boolean;
  /** Returns the exit status (default 0); throws SockkitError on failure. */
  run: (args: A & GlobalArgs, ctx: CommandContext) => Promise<number | void>;
}

/** A command as both parsers use it: yargs (help, completion, every form) and the direct path. */
export interface SockkitCommand {
  name: string;
  yargsModule: CommandModule<GlobalArgs, never>;
  commandLine: CommandLineSpec;
  /** Runs the command on parsed arguments; returns the exit status (also left in state.exitCode). */
  runParsed(args: Record<string, unknown>, state?: RunState): Promise<number>;
}

export function defineCommand<A>(spec: CommandSpec<A>): SockkitCommand {
  const name = spec.command.split(' ')[0]!;
  const commandLine: CommandLineSpec = {
    command: spec.command,
    positionals: spec.positionals ?? {},
    options: spec.options ?? {},
    conflicts: spec.conflicts ?? [],
    parserSettings: spec.parserSettings ?? {},
  };

  const flagsWithLimits = { ...GLOBAL_OPTIONS, ...commandLine.options };
  const runParsed = async (parsed: Record<string, unknown>, state = newRunState()): Promise<number> => {
    const args = parsed as unknown as A & GlobalArgs;
    const term = new Terminal({
      ...state.terminal,
      command: name,
      json: args.json,
      quiet: args.quiet,
      color: args.color,
    });
    const controller = new AbortController();
    const interrupt: InterruptMode = { abortFirst: spec.longRunning === true };
    const removeSignals = state.handleSignals ? onInterrupt(term, controller, interrupt) : () => {};
    try {
      checkFlagValues(flagsWithLimits, parsed);
      const ctx: CommandContext = {
        term,
        trace: args.trace ? createTracePrinter(term) : noTrace,
        timeoutMs: timeoutMs(args.timeout, spec.defaultTimeoutSeconds),
        signal: controller.signal,
        reportOnInterrupt: () => {
          interrupt.abortFirst = true;
        },
      };
      state.exitCode = (await spec.run(args, ctx)) ?? ExitCode.OK;
      // A one-shot command that reported what it measured: then the usual line (its --json document stands).
      if (state.exitCode === ExitCode.INTERRUPTED && !spec.longRunning && interrupt.by) reportInterrupted(term, interrupt.by);
    } catch (err) {
      const failure = err instanceof SockkitError ? err : toSockkitError(err, 'unexpected error');
      reportFailure(term, failure);
      state.exitCode = exitCodeFor(failure.code);
    } finally {
      removeSignals();
    }
    return state.exitCode;
  };

  const yargsModule: CommandModule<GlobalArgs, never> = {
    command: spec.command,
    aliases: spec.aliases,
    describe: spec.describe,
    builder: (yargs: Argv<GlobalArgs>) => {
      let built = yargs as Argv;
      if (Object.keys(commandLine.parserSettings).length > 0) built = built.parserConfiguration(commandLine.parserSettings);
      for (const [positional, positionalSpec] of Object.entries(commandLine.positionals)) built = built.positional(positional, positionalSpec);
      built = built.options(commandLine.options as Record<string, Options>);
      for (const [a, b] of commandLine.conflicts) built = built.conflicts(a, b);
      for (const [cmd, what] of spec.examples) built = built.example(cmd, what);
      if (spec.epilog) built = built.epilog(spec.epilog);
      return built.epilog(`Default --timeout for ${name}: ${spec.defaultTimeoutSeconds} s.`) as never;
    },
    handler: async (argv) => {
      const parsed = argv as unknown as Record<string, unknown> & { [RUN_STATE]?: RunState };
      await runParsed(parsed, parsed[RUN_STATE]);
    },
  };
  return { name, yargsModule, commandLine, runParsed };
}

/** --timeout (checked against its limit already) in ms, or the command's default. */
function timeoutMs(seconds: number | undefined, fallbackSeconds: number): number {
  return (seconds ?? fallbackSeconds) * 1000;
}

/** Whether the first signal aborts ctx.signal (servers; one-shot commands once they asked), and which signal did. */
interface InterruptMode {
  abortFirst: boolean;
  by?: NodeJS.Signals;
}

/**
 * One-shot commands: Ctrl-C / SIGTERM exit 130 at once, unless they asked to report
 * first (ctx.reportOnInterrupt). Servers, and those: the first signal aborts ctx.signal
 * so they drain or print what they measured; a second one exits 130.
 */
function onInterrupt(term: Terminal, controller: AbortController, mode: InterruptMode): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (mode.abortFirst && !controller.signal.aborted) {
      mode.by = signal;
      controller.abort(new SockkitError('INTERRUPTED', 'stopped', `received ${signal}`));
      return;
    }
    reportInterrupted(term, signal);
    exitInterrupted(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * Exit 130 at once. A getaddrinfo still running on a libuv pool thread would hold
 * process.exit() until it returns (Node joins the pool threads first, and libc cannot
 * cancel the call), so then the process ends the way an uncaught Ctrl-C ends any
 * program: by the signal itself, which the shell reports as 128 + its number (130 for
 * SIGINT). Nothing is left to flush: stdout and stderr are written synchronously or
 * were drained by now.
 */
function exitInterrupted(signal: NodeJS.Signals): never {
  if (systemLookupsInFlight() > 0) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(ExitCode.INTERRUPTED);
}

/** The family chosen with -4 / -6, or undefined for either. */
export function familyOf(args: { ipv4?: boolean; ipv6?: boolean }): 4 | 6 | undefined {
  if (args.ipv4) return 4;
  if (args.ipv6) return 6;
  return undefined;
}
