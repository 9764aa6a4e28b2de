// `resolve -` and `resolve -f FILE`: the names are streamed (net/dns/bulk.ts), results
// printed as they leave in input order, with a progress line and a summary for a human
// at a terminal. resolve.ts hands over here once the servers and flags are settled.
import type { CommandContext } from './common.js';
import { usageError } from '../net/shared/errors.js';
import { ExitCode, exitCodeFor, worstExitCode } from '../exit-codes.js';
import { arrayLines, concatLines, fileLines, stdinLines, type LineSource } from '../net/shared/line-reader.js';
import { parseQueryName } from '../net/dns/names.js';
import { RecordType } from '../net/dns/packet.js';
import { statusErrorCode, type ServerSet } from '../net/dns/resolve.js';
import { resolveStream, type BulkCounters } from '../net/dns/bulk.js';
import { ResolveStreamPrinter } from '../output/resolve.js';
import { BulkProgress } from '../output/resolve-progress.js';
import type { TrustAnchors } from '../net/dnssec/anchors.js';

/** The longest line of a list (a name is at most 253 characters; a line may carry a comment). */
const MAX_LINE_BYTES = 64 * 1024;

/** A bulk run reads names from stdin (`-`) or a file (-f): they are streamed, not read first. */
export function isBulkRun(names: string[], file: string | undefined): boolean {
  return file !== undefined || names.some((n) => String(n) === '-');
}

/** Whether a bulk run needs DNS servers: given ones, or resolv.conf's for types getaddrinfo cannot ask. */
export function bulkNeedsServers(types: number[] | undefined, serversForAll: boolean): boolean {
  return serversForAll || (types ?? []).some((t) => t !== RecordType.A && t !== RecordType.AAAA);
}

/** -f FILE's lines, then the command line's names with `-` standing for stdin's lines, then -x's addresses. */
export function bulkSource(names: string[], reverse: string[], file: string | undefined): LineSource & { label: string } {
  for (const address of reverse) {
    if (!parseQueryName(address).address) throw usageError(`bad -x '${address}'`, 'not an IP address', '-x takes an address to look up in reverse');
  }
  const sources: LineSource[] = [];
  if (file !== undefined) sources.push(fileLines(file, MAX_LINE_BYTES));
  let literal: string[] = [];
  for (const name of names) {
    if (name !== '-') {
      literal.push(name);
      continue;
    }
    if (literal.length > 0) sources.push(arrayLines(literal));
    literal = [];
    sources.push(stdinLines(MAX_LINE_BYTES, 'names from stdin'));
  }
  sources.push(arrayLines([...literal, ...reverse]));
  const label = names.includes('-') ? 'stdin' : String(file);
  return Object.assign(concatLines(sources), { label });
}

export interface BulkRunOptions {
  servers?: ServerSet;
  serversForAll: boolean;
  types?: number[];
  family?: 4 | 6;
  qclass: number;
  mode: 'plain' | 'short' | 'verbose' | 'ndjson' | 'json';
  detail: boolean;
  maxRecords: number;
  dnssec: boolean;
  validate?: { anchors: TrustAnchors; chain: boolean };
  concurrency: number;
  ratePerSecond?: number;
  summary: boolean;
}

/** Runs the list; the exit code is the worst of its results. */
export async function runBulk(source: LineSource & { label: string }, options: BulkRunOptions, ctx: CommandContext): Promise<number> {
  const printer = new ResolveStreamPrinter(ctx.term, options.mode, options.validate !== undefined, options.validate?.chain === true, true);
  const counters: BulkCounters = { names: 0, queries: 0, namesDone: 0 };
  const live = ctx.term.showsProgress;
  const progress = new BulkProgress(ctx.term, counters, live, options.summary || live);
  if (live && ctx.term.isStdoutTTY) printer.beforeWrite = () => progress.erase();
  let worst = 0;
  let invalid = 0;
  let failed = true;
  try {
    await resolveStream(source, {
      ...options,
      output: printer,
      timeoutMs: ctx.timeoutMs,
      trace: ctx.trace,
      signal: ctx.signal,
      counters,
      onResult: (result) => {
        const code = statusErrorCode(result);
        if (code) worst = worstExitCode([worst, exitCodeFor(code)]);
        if (result.status === 'invalid') {
          invalid++;
          // --short says why on stderr itself
          if (options.mode !== 'short' && !ctx.term.quiet) ctx.term.err(`${ctx.term.prefix}: ${result.error}`);
        }
        progress.tally(result);
        printer.print(result);
      },
    });
    failed = false;
  } finally {
    // a run cut short (Ctrl-C, a line too long) still leaves --json's array whole
    if (failed) printer.finish(true);
    else printer.flush();
    progress.stop();
  }
  if (counters.names === 0) throw usageError('no names', `${source.label} had no names (one per line; blank lines and # comments are skipped)`);
  printer.finish();
  // a list with lines that are no names is bad input, whatever its names gave (but an interrupt)
  return invalid > 0 && worst !== ExitCode.INTERRUPTED && worst !== ExitCode.UNEXPECTED ? ExitCode.USAGE : worst;
}
