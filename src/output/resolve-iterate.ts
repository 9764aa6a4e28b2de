// resolve --iterate's faces: each walk's steps (zone, server asked, what it said, time)
// then the answers as resolve shows them. A table per name on a terminal; tab-separated
// `step` lines then the answer lines when piped; the steps inside each result in --json.
import type { IterateResult } from '../net/dns/iterate-run.js';
import type { IterationStep } from '../net/dns/iterate.js';
import type { Terminal } from './terminal.js';
import { printJson, printTable, type Column } from './render.js';
import { displayName, formatChainPlain, formatResolvePlain, formatResolveShort, printResolveTable, resolveJsonRecord, securityText, statusText } from './resolve.js';
import type { Style } from './style.js';

const OUTCOME_STYLE: Record<IterationStep['outcome'], Style> = { referral: 'blue', answer: 'green', cname: 'cyan', nxdomain: 'yellow', nodata: 'yellow', skipped: 'red' };

const STEP_COLUMNS: Column<IterationStep>[] = [
  // a look-up the walk needed (a name server without glue) is indented under the step that needed it
  { header: 'question', value: (s) => `${'  '.repeat(s.depth)}${s.question}` },
  { header: 'zone', value: (s) => s.zone, style: () => 'bold' },
  { header: 'server', value: (s) => `${s.server} ${s.address}`, style: () => 'dim' },
  { header: 'result', value: (s) => s.outcome, style: (s) => OUTCOME_STYLE[s.outcome] },
  { header: 'detail', value: (s) => s.detail },
  { header: 'time ms', value: (s) => s.timeMs.toFixed(1), align: 'right' },
];

/** One tab-separated line per step: `step QNAME DEPTH QUESTION ZONE SERVER ADDRESS OUTCOME DETAIL MS`. */
export function formatStepsPlain(result: IterateResult): string {
  return result.steps.map((s) => `step\t${result.queryName}\t${s.depth}\t${s.question}\t${s.zone}\t${s.server}\t${s.address}\t${s.outcome}\t${s.detail}\t${s.timeMs.toFixed(1)}\n`).join('');
}

export interface IteratePrintOptions {
  mode: 'table' | 'plain' | 'short' | 'json';
  security: boolean;
  chain: boolean;
}

/** Prints the results of a run in the chosen form (they are few: one walk each). */
export async function printIterateResults(term: Terminal, results: IterateResult[], options: IteratePrintOptions): Promise<void> {
  switch (options.mode) {
    case 'json':
      printJson(term, results.map((r) => ({ ...resolveJsonRecord(r), steps: r.steps })));
      return;
    case 'short':
      for (const r of results) {
        const values = formatResolveShort(r);
        if (values) term.stdout.write(values);
        if ((r.status !== 'ok' || r.security === 'bogus') && !term.quiet) term.err(`${term.prefix}: ${displayName(r)} ${r.type}: ${r.status === 'ok' ? securityText(r) : statusText(r)}`);
      }
      return;
    case 'plain':
      for (const r of results) {
        let text = formatStepsPlain(r) + formatResolvePlain(r, options.security);
        if (options.chain && r.chain) text += formatChainPlain(r, r.chain);
        term.stdout.write(text);
      }
      return;
    case 'table':
      for (const r of results) {
        term.out(`${displayName(r)} ${r.type}, from the root:`);
        await printTable(term, STEP_COLUMNS, r.steps);
      }
      await printResolveTable(term, results, options.security, options.chain);
  }
}
