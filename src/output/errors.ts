// Error formatting: one line, `sockkit <command>: <what failed>: <why> (hint)`.
// A stack trace only with SOCKKIT_DEBUG=1. With --json, also one document on stdout.
import { SockkitError, truncateMiddle } from '../net/shared/errors.js';
import { exitCodeFor } from '../exit-codes.js';
import { printJson, printNdjson } from './render.js';
import type { Terminal } from './terminal.js';

/** The longest error line: a redirect loop of 3,000-character URLs still reads as one line. */
export const MAX_ERROR_LINE = 500;
/** A URL longer than this is shown with … in its middle (scheme, host and the end of the path stay). */
export const MAX_URL_SHOWN = 100;

export function formatError(prefix: string, err: SockkitError): string {
  const hint = err.hint ? ` (${err.hint})` : '';
  return truncateMiddle(`${prefix}: ${readable(err.what)}: ${readable(err.why)}${hint}`, MAX_ERROR_LINE);
}

export function printError(term: Terminal, err: SockkitError): void {
  term.err(formatError(term.prefix, err));
  if (term.env.SOCKKIT_DEBUG === '1') {
    const cause = err.cause instanceof Error ? err.cause : err;
    term.err(cause.stack ?? String(cause));
  }
}

/** The `error` member of a --json document: stable code, exit status, one-line message. */
export function errorJson(err: SockkitError): { code: string; exitCode: number; message: string } {
  return { code: err.code, exitCode: exitCodeFor(err.code), message: truncateMiddle(`${readable(err.what)}: ${readable(err.why)}`, MAX_ERROR_LINE) };
}

/**
 * How a one-shot command's failure is reported: the line on stderr and, with --json,
 * the one document it promises on stdout, `{ ...measured, error }`, unless the
 * command has already printed its document (that one then stands).
 */
export function reportFailure(term: Terminal, err: SockkitError): void {
  if (term.json && !term.printedDocument) {
    const doc = { ...err.measured, error: errorJson(err) };
    // Servers print NDJSON (one object per line): their error is one more line.
    if (NDJSON_COMMANDS.has(term.command)) printNdjson(term, doc);
    else printJson(term, doc);
  }
  printError(term, err);
}

/** A one-shot command stopped by Ctrl-C / SIGTERM: with --json its one document is this error. */
export function reportInterrupted(term: Terminal, signal: NodeJS.Signals): void {
  if (term.json && !term.printedDocument && !NDJSON_COMMANDS.has(term.command)) {
    printJson(term, { error: errorJson(new SockkitError('INTERRUPTED', 'interrupted', `received ${signal}`)) });
  }
  if (!term.quiet) term.err(`${term.prefix}: interrupted`);
}

const NDJSON_COMMANDS = new Set(['echo-server', 'threaded-server']);

/** One line, each long URL in it shortened in the middle. */
function readable(text: string): string {
  return oneLine(text).replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => truncateMiddle(url, MAX_URL_SHOWN));
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
