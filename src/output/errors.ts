// Error formatting: one line, `sockkit <command>: <what failed>: <why> (hint)`.
// A stack trace only with SOCKKIT_DEBUG=1.
import { SockkitError } from '../net/errors.js';
import type { Terminal } from './terminal.js';

export function formatError(prefix: string, err: SockkitError): string {
  const hint = err.hint ? ` (${err.hint})` : '';
  return `${prefix}: ${oneLine(err.what)}: ${oneLine(err.why)}${hint}`;
}

export function printError(term: Terminal, err: SockkitError): void {
  term.err(formatError(term.prefix, err));
  if (term.env.SOCKKIT_DEBUG === '1') {
    const cause = err.cause instanceof Error ? err.cause : err;
    term.err(cause.stack ?? String(cause));
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
