// `resolve --iterate`: the flags checked and turned into the walk's options, the walk
// run (src/net/dns/iterate-run.ts), the steps and answers printed.
import { usageError } from '../net/shared/errors.js';
import { exitCodeFor, worstExitCode } from '../exit-codes.js';
import { readBoundedFile } from '../net/shared/read-input.js';
import type { QueryName } from '../net/dns/names.js';
import { AXFR } from '../net/dns/axfr.js';
import { planQuestions, statusErrorCode } from '../net/dns/resolve.js';
import { querySpec } from '../net/dns/query.js';
import { IANA_ROOT_HINTS, parseRootHints, RootHintsError, type NameServer } from '../net/dns/root-hints.js';
import { iterateAll, type IterateResult } from '../net/dns/iterate-run.js';
import { familyOf, type CommandContext } from './common.js';
import { queryOptions, validationOptions, type ResolveArgs } from './resolve.js';
import { printIterateResults } from '../output/resolve-iterate.js';

/** The whole walk of one name (referrals, name-server look-ups, validation fetches) gets this many times --timeout. */
export const WALK_BUDGET_FACTOR = 6;

export async function runIterate(args: ResolveArgs, ctx: CommandContext, names: QueryName[], types: number[] | undefined, serversGiven: boolean): Promise<number> {
  if (!args.iterate) throw usageError('--root-hints', 'is where --iterate starts', 'add --iterate');
  checkIterateFlags(args, serversGiven);
  const roots = await rootServers(args.rootHints);
  const query = { ...queryOptions(args), recurse: false };
  const validate = await validationOptions(args, true, query);
  const questions = planQuestions(names, types, true, familyOf(args));
  if (questions.some((q) => q.type === AXFR)) throw usageError('--iterate with AXFR', 'a zone transfer is asked of one server', 'name the server with @SERVER instead');
  const results: IterateResult[] = [];
  await iterateAll(questions, {
    roots,
    port: args.port ?? 53,
    family: familyOf(args),
    queryTimeoutMs: ctx.timeoutMs,
    walkTimeoutMs: ctx.timeoutMs * WALK_BUDGET_FACTOR,
    query: querySpec(query),
    dnssec: args.dnssec === true,
    validate,
    trace: ctx.trace,
    signal: ctx.signal,
    onResult: (r) => results.push(r),
  });
  const mode = ctx.term.json ? 'json' : args.short ? 'short' : ctx.term.isStdoutTTY ? 'table' : 'plain';
  await printIterateResults(ctx.term, results, { mode, security: validate !== undefined, chain: args.chain === true });
  return worstExitCode(results.map((r) => {
    const code = statusErrorCode(r);
    return code ? exitCodeFor(code) : 0;
  }));
}

/** --iterate chooses its servers itself and asks in one way: the flags that say otherwise are a mistake. */
function checkIterateFlags(args: ResolveArgs, serversGiven: boolean): void {
  const conflicting = [
    serversGiven && '@SERVER / --server',
    args.resolvConf !== undefined && '--resolv-conf',
    args.tcp && '--tcp',
    args.verbose && '-v',
    args.ndjson && '--ndjson',
    args.tlsHostname !== undefined && '--tls-hostname',
    args.cacert !== undefined && '--cacert',
    args.insecure && '-k',
  ].filter(Boolean);
  if (conflicting.length > 0) throw usageError(`--iterate with ${conflicting.join(', ')}`, 'the walk asks the servers it finds from the root, over UDP (TCP when a reply is truncated)');
  if (args.class !== undefined && String(args.class).toUpperCase() !== 'IN') throw usageError('--iterate with --class', 'the root servers delegate class IN only');
}

async function rootServers(file: string | undefined): Promise<readonly NameServer[]> {
  if (file === undefined) return IANA_ROOT_HINTS;
  const text = (await readBoundedFile(String(file), 1024 * 1024)).toString('utf8');
  try {
    return parseRootHints(text);
  } catch (err) {
    if (err instanceof RootHintsError) throw usageError(`--root-hints ${file}`, err.message);
    throw err;
  }
}

