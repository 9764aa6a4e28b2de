// sockkit http-get with several URLs (or -O, or -Z): each URL is one transfer with the
// single fetch's flags (-L, --retry, -w, --fail…), its own output (the n-th -o, or
// -O's remote name, or stdout), and a connection to its origin kept alive for the next
// (src/net/http/connection-pool.ts). In order one after another, or with -Z up to
// --parallel-max at once, their outputs still whole and in argument order
// (src/output/ordered-output.ts). The exit code is the worst one; --json is one array.
import { setMaxListeners } from 'node:events';
import { SockkitError, toSockkitError, usageError } from '../net/shared/errors.js';
import { exitCodeFor, worstExitCode } from '../exit-codes.js';
import { fetchFollowing, type FetchResult } from '../net/http/client.js';
import { ConnectionPool } from '../net/http/connection-pool.js';
import { remoteFileName } from '../net/http/remote-name.js';
import { displayUrl, type Target } from '../net/http/url.js';
import type { HeaderList } from '../net/http/parser.js';
import { httpGetDocument, startProgress, type RetryNote } from '../output/http.js';
import { errorJson, printError } from '../output/errors.js';
import { printJson } from '../output/render.js';
import { failedWriteOutValues, renderWriteOut } from '../output/write-out.js';
import type { RangeAsk } from '../net/http/resume.js';
import { rangeAskFor } from './http-get-resume.js';
import { Terminal } from '../output/terminal.js';
import type { CommandContext, GlobalArgs } from './common.js';
import { tracing, type TraceFn } from '../net/shared/trace.js';
import {
  checkedTarget,
  clientOptions,
  destinationFor,
  fetchWithRetries,
  hooksFor,
  readWriteOut,
  report,
  requestFor,
  requestHeaders,
  retryPolicy,
  type HttpGetArgs,
  type Seen,
} from './http-get.js';

type Args = HttpGetArgs & GlobalArgs;

/** Where one URL's body goes: a file, stdout ('-' forces binary), or a refusal of that URL (-O). */
type Output = { path: string | null } | { refused: SockkitError };

/** Runs every URL; returns the worst exit code. Usage errors that concern all of them come first, before any fetch. */
export async function runTransfers(urls: string[], outputs: string[], args: Args, ctx: CommandContext): Promise<number> {
  const targets = urls.map((url) => checkedTarget(url, args));
  const destinations = outputsFor(targets, outputs, args);
  const writeOut = args['write-out'] === undefined ? undefined : await readWriteOut(args['write-out']);
  const options = await clientOptions(args, ctx, targets.some((t) => t.secure));
  const pool = new ConnectionPool(ctx.trace);
  const shared: Shared = { args, ctx, options: { ...options, connections: pool }, writeOut, headers: requestHeaders(args), records: [] };
  const codes: number[] = [];
  try {
    if (!args.parallel) {
      for (let i = 0; i < targets.length; i++) codes[i] = await transfer(shared, i, targets[i]!, destinations[i]!, ctx.term);
    } else {
      await runParallel(shared, targets, destinations, codes);
    }
  } finally {
    pool.closeAll();
  }
  if (args.json) printJson(ctx.term, shared.records);
  ctx.trace('connect', `${pool.opened} connection${pool.opened === 1 ? '' : 's'} opened for ${targets.length} URLs, ${pool.reused} request${pool.reused === 1 ? '' : 's'} on a kept-alive one`);
  return worstExitCode(codes);
}

/**
 * -Z: up to --parallel-max transfers at once. Workers take URLs in argument order, so
 * slots are handed out in that order too; each transfer prints into its slot.
 */
async function runParallel(shared: Shared, targets: Target[], destinations: Output[], codes: number[]): Promise<void> {
  const { term: real } = shared.ctx;
  const { OrderedOutput } = await import('../output/ordered-output.js');
  const ordered = new OrderedOutput(real.stdout, real.stderr);
  // Every running transfer listens for Ctrl-C on the one signal (its connect, its
  // exchange, a retry's wait): up to --parallel-max of them is expected, not a leak.
  setMaxListeners(Math.max(10, 4 * shared.args['parallel-max']), shared.ctx.signal);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const slot = ordered.slot();
      const term = new Terminal({ stdout: slot.stdout, stderr: slot.stderr, env: real.env, json: real.json, quiet: real.quiet, color: real.color, command: real.command });
      codes[i] = await transfer(shared, i, targets[i]!, destinations[i]!, term, labelledTrace(shared.ctx.trace, i));
      await slot.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(shared.args['parallel-max'], targets.length) }, worker));
}

/** -Z: --trace lines of transfers running at once interleave; each carries its URL's number. */
function labelledTrace(trace: TraceFn, index: number): TraceFn {
  return tracing(trace) ? (step, detail) => trace(step, `[${index + 1}] ${detail}`) : trace;
}

interface Shared {
  args: Args;
  ctx: CommandContext;
  options: Awaited<ReturnType<typeof clientOptions>>;
  writeOut: string | undefined;
  headers: HeaderList;
  /** --json: one record per URL, in argument order. */
  records: unknown[];
}

/** One URL, start to report: its exit code. Its failure is its own line (and record); the others go on. */
async function transfer(shared: Shared, index: number, target: Target, output: Output, term: Terminal, trace = shared.ctx.trace): Promise<number> {
  const { args, ctx } = shared;
  const url = displayUrl(target.url);
  if ('refused' in output) return failed(shared, index, term, output.refused, { url, bytes: 0, timings: { totalMs: 0 }, retries: [] }, url);
  const path = output.path;
  // -C/-r apply to each URL: `-C - -O` resumes every file from its own size.
  let rangeAsk: RangeAsk | null;
  try {
    rangeAsk = await rangeAskFor({ 'continue-at': args['continue-at'], range: args.range, output: path ?? undefined });
  } catch (err) {
    return failed(shared, index, term, err, { url, bytes: 0, timings: { totalMs: 0 }, retries: [] }, url);
  }
  const request = requestFor(args, target, shared.headers, rangeAsk);
  const destination = destinationFor(path, args);
  // A bar only one at a time, and only when the body is not itself on the terminal.
  const progress = startProgress(term, !args.parallel && (destination?.kind === 'file' || (destination?.kind === 'stdout' && !term.isStdoutTTY)));
  const started = performance.now();
  const retries: RetryNote[] = [];
  const context = { ...ctx, term };
  let outcome: { result: FetchResult; seen: Seen };
  try {
    outcome = await fetchWithRetries(
      retries,
      (seen) => fetchFollowing(request, { enabled: args.location, maxRedirects: args['max-redirs'] }, { ...shared.options, trace, deadline: performance.now() + ctx.timeoutMs }, hooksFor(args, term, destination, progress, seen, rangeAsk)),
      retryPolicy(args),
      context,
    );
  } catch (err) {
    const { bodyBytes } = (err as { seen?: Seen }).seen ?? { bodyBytes: 0 };
    const totalMs = performance.now() - started;
    // -w still writes this URL's line, as curl does (http_code 000).
    if (shared.writeOut !== undefined) term.stdout.write(renderWriteOut(shared.writeOut, failedWriteOutValues(url, totalMs, bodyBytes)));
    return failed(shared, index, term, err, { url, bytes: bodyBytes, timings: { totalMs }, retries }, url);
  } finally {
    progress.done();
  }
  const document = args.json ? transferDocument(outcome.result, path, retries) : {};
  try {
    await report({ ...args, json: false, output: path ?? undefined }, term, request, outcome.result, outcome.seen, retries, shared.writeOut);
  } catch (err) {
    return failed(shared, index, term, err, document, url);
  }
  if (args.json) shared.records[index] = document;
  return 0;
}

/**
 * A transfer's failure: its line on stderr, its --json record with `error`, its exit
 * code. Among several URLs the line names its URL first when it does not already.
 */
function failed(shared: Shared, index: number, term: Terminal, err: unknown, measured: object, url: string): number {
  let failure = err instanceof SockkitError ? err : toSockkitError(err, 'unexpected error');
  if (!failure.what.includes(url)) failure = new SockkitError(failure.code, `GET ${url}`, `${failure.what}: ${failure.why}`, failure.hint, { cause: failure });
  shared.records[index] = { ...measured, error: errorJson(failure) };
  printError(term, failure);
  return exitCodeFor(failure.code);
}

/** The single fetch's --json document, with the connection it went over. */
function transferDocument(result: FetchResult, output: string | null, retries: RetryNote[]): object {
  const hop = result.final;
  return { ...httpGetDocument(result, output, retries), connection: { id: hop.connectionId ?? null, reused: hop.reusedConnection ?? false } };
}

/**
 * Each URL's output, paired as curl pairs them: the n-th -o goes with the n-th URL; a
 * URL without one gets its remote name with -O (or that URL's refusal), else stdout.
 * More -o than URLs is a usage error. With -Z two transfers may not write one file.
 */
export function outputsFor(targets: Target[], outputs: string[], args: Pick<HttpGetArgs, 'remote-name' | 'parallel'>): Output[] {
  if (outputs.length > targets.length) {
    throw usageError('-o / --output', `given ${outputs.length} times for ${targets.length} URL${targets.length === 1 ? '' : 's'}`, 'one -o per URL, in the same order');
  }
  const result: Output[] = targets.map((target, i) => {
    if (i < outputs.length) return { path: outputs[i]! };
    if (!args['remote-name']) return { path: null };
    try {
      const name = remoteFileName(target.url);
      // a remote file named `-` is saved as a file (curl too); to -o, `-` means stdout
      return { path: name === '-' ? './-' : name };
    } catch (err) {
      return { refused: err as SockkitError };
    }
  });
  if (args.parallel) {
    const seen = new Set<string>();
    for (const output of result) {
      if (!('path' in output) || output.path === null || output.path === '-' || output.path === '/dev/null') continue;
      if (seen.has(output.path)) throw usageError(`output ${output.path}`, 'two URLs would write it at once (-Z)', 'give each URL its own -o');
      seen.add(output.path);
    }
  }
  return result;
}

