// The one place that knows about the terminal: which streams, whether they are
// TTYs, whether colour is on. Commands receive a Terminal; tests pass fake streams.

export interface OutStream {
  write(chunk: string | Uint8Array): boolean;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Resolves once everything written to `stream` so far has left the process: piped
 * output can be queued in memory, and process.exit() would drop it.
 */
export function drained(stream: OutStream): Promise<void> {
  const writable = stream as OutStream & { writableLength?: number; write(chunk: string, callback: () => void): boolean };
  if (writable.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => writable.write('', () => resolve()));
}

export interface TerminalOptions {
  stdout?: OutStream;
  stderr?: OutStream;
  env?: NodeJS.ProcessEnv;
  /** false with --no-color; undefined means "decide from the environment". */
  color?: boolean;
  json?: boolean;
  quiet?: boolean;
  /** The subcommand, for error and warning prefixes. */
  command?: string;
}

export class Terminal {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly env: NodeJS.ProcessEnv;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly command: string;
  readonly color: boolean;
  /** Set once a JSON document is on stdout: --json promises one, so an error then adds none. */
  printedDocument = false;

  constructor(options: TerminalOptions = {}) {
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.env = options.env ?? process.env;
    this.json = options.json ?? false;
    this.quiet = options.quiet ?? false;
    this.command = options.command ?? '';
    // Colour only for a human at a TTY: never piped, never with NO_COLOR or --no-color.
    this.color =
      options.color !== false &&
      this.stdout.isTTY === true &&
      !this.env.NO_COLOR && // no-color.org: only a non-empty NO_COLOR turns colour off
      this.env.TERM !== 'dumb';
  }

  get isStdoutTTY(): boolean {
    return this.stdout.isTTY === true;
  }

  /** Progress (spinners, bars) only for a human watching stderr. */
  get showsProgress(): boolean {
    const err = this.stderr;
    return (
      !this.quiet &&
      !this.json &&
      err.isTTY === true &&
      (err.columns ?? 0) > 0 && // ora 9 loops forever on a 0-column TTY
      !this.env.CI &&
      this.env.TERM !== 'dumb'
    );
  }

  /** Writes one line of result to stdout. */
  out(line = ''): void {
    this.stdout.write(line + '\n');
  }

  /** Writes one line to stderr (diagnostics, events meant for a human). */
  err(line: string): void {
    this.stderr.write(line + '\n');
  }

  /** `sockkit <command>: warning: ...` on stderr, unless --quiet. */
  warn(message: string): void {
    if (!this.quiet) this.err(`${this.prefix}: warning: ${message}`);
  }

  /** `sockkit <command>: ...` on stderr, unless --quiet (informational notes). */
  note(message: string): void {
    if (!this.quiet) this.err(`${this.prefix}: ${message}`);
  }

  get prefix(): string {
    return this.command ? `sockkit ${this.command}` : 'sockkit';
  }
}
