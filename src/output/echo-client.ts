// Renderers for `sockkit echo-client`. Streams and lines: the echoed bytes are the
// result (stdout, like nc) and the verdict with its round-trip time goes to stderr.
// --count: one line per message like ping, then a summary. Load: a summary table.
// --json: one document at the end.
import type { EchoSample, RttSummary, StreamEchoResult } from '../net/echo/client.js';
import type { LoadResult } from '../net/echo/load.js';
import { formatHostPort } from '../net/shared/address.js';
import type { Terminal } from './terminal.js';
import { paint } from './style.js';
import { printFields, printJson } from './render.js';

export interface ClientTarget {
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
}

function ms(n: number): string {
  return n.toFixed(3);
}

/** Shown where a statistic has no data (nothing was received): not a made-up 0.000. */
export const NO_DATA = '–';

/** Round-trip statistics with nothing measured: every `…Ms` figure null, not 0. */
export function withoutData<T extends object>(stats: T): { [K in keyof T]: T[K] | null } {
  return Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, k.endsWith('Ms') ? null : v])) as { [K in keyof T]: T[K] | null };
}

function targetText(t: ClientTarget): string {
  return `${t.protocol.toUpperCase()} ${formatHostPort(t.address, t.port)}`;
}

// ---------- stream (--message, stdin) ----------

export function streamVerdict(target: ClientTarget, r: StreamEchoResult): string {
  if (r.identical) {
    return `echo from ${targetText(target)}: ${r.bytesReceived} bytes, identical, rtt ${ms(r.rttMs)} ms (first byte ${ms(r.firstByteMs)} ms)`;
  }
  const where = r.firstDifferenceAt !== undefined ? `, first difference at byte ${r.firstDifferenceAt}` : '';
  return `echo from ${targetText(target)}: MISMATCH: sent ${r.bytesSent} bytes, received ${r.bytesReceived}${where}`;
}

export function printStreamResult(term: Terminal, target: ClientTarget, r: StreamEchoResult, echoText?: string): void {
  if (term.json) {
    printJson(term, { mode: 'message', ...target, ...r, ...(echoText !== undefined ? { echo: echoText } : {}) });
    return;
  }
  if (!term.quiet || !r.identical) term.err(streamVerdict(target, r));
}

// ---------- one message at a time (--count, lines) ----------

export function sampleLine(term: Terminal, target: ClientTarget, s: EchoSample): string {
  if (!term.isStdoutTTY) {
    return [s.seq, s.bytes, s.rttMs !== undefined ? s.rttMs.toFixed(3) : '', s.status, ...(s.firstDifferenceAt !== undefined ? [`firstDifferenceAt=${s.firstDifferenceAt}`] : [])].join('\t');
  }
  const from = `${s.bytes} bytes from ${formatHostPort(target.address, target.port)}: seq=${s.seq}`;
  if (s.status === 'lost') return `${from} ${paint(term, 'yellow', 'lost')} (no echo within --timeout)`;
  if (s.status === 'mismatch') {
    return `${from} time=${ms(s.rttMs!)} ms ${paint(term, 'red', 'MISMATCH')} (${s.differingBytes} bytes differ, first at byte ${s.firstDifferenceAt})`;
  }
  return `${from} time=${ms(s.rttMs!)} ms`;
}

export function printSample(term: Terminal, target: ClientTarget, s: EchoSample): void {
  if (term.json) return;
  term.out(sampleLine(term, target, s));
}

/** The --json document of --count and line mode. */
export function countDocument(target: ClientTarget, summary: RttSummary, samples: EchoSample[]): Record<string, unknown> {
  return {
    mode: 'count',
    ...target,
    summary: summary.received === 0 ? withoutData(summary) : summary,
    samples: samples.map((s) => ({ seq: s.seq, bytes: s.bytes, rttMs: s.rttMs ?? null, status: s.status, ...(s.firstDifferenceAt !== undefined ? { firstDifferenceAt: s.firstDifferenceAt, differingBytes: s.differingBytes } : {}) })),
  };
}

export function printCountSummary(term: Terminal, target: ClientTarget, summary: RttSummary, samples: EchoSample[]): void {
  if (term.json) {
    printJson(term, countDocument(target, summary, samples));
    return;
  }
  if (!term.isStdoutTTY) {
    const stat = (n: number) => (summary.received === 0 ? NO_DATA : ms(n));
    term.out(
      [
        'summary',
        `sent=${summary.sent}`,
        `received=${summary.received}`,
        `mismatched=${summary.mismatched}`,
        `lost=${summary.lost}`,
        `minMs=${stat(summary.minMs)}`,
        `avgMs=${stat(summary.avgMs)}`,
        `p50Ms=${stat(summary.p50Ms)}`,
        `p90Ms=${stat(summary.p90Ms)}`,
        `p99Ms=${stat(summary.p99Ms)}`,
        `maxMs=${stat(summary.maxMs)}`,
      ].join('\t'),
    );
    return;
  }
  term.out('');
  term.out(paint(term, 'bold', `--- ${targetText(target)} echo statistics ---`));
  const loss = target.protocol === 'udp' ? `, ${summary.lost} lost (${summary.lossPercent.toFixed(1)}% loss)` : '';
  const bad = summary.mismatched ? paint(term, 'red', `${summary.mismatched} mismatched`) : '0 mismatched';
  term.out(`${summary.sent} sent, ${summary.received} received, ${bad}${loss}`);
  if (summary.received) {
    term.out(`rtt min/avg/p50/p90/p99/max = ${[summary.minMs, summary.avgMs, summary.p50Ms, summary.p90Ms, summary.p99Ms, summary.maxMs].map(ms).join('/')} ms`);
  } else {
    term.out(`rtt min/avg/p50/p90/p99/max = ${NO_DATA} (no echo received)`);
  }
}

/** Line-by-line session: the echoed line on stdout, its round trip on stderr. */
export function printLineEcho(term: Terminal, target: ClientTarget, s: EchoSample): void {
  if (term.json) return;
  if (s.echo) term.stdout.write(s.echo);
  if (s.status === 'lost') term.err(`(no echo within --timeout: lost)`);
  else if (s.status === 'mismatch') term.err(`(MISMATCH: ${s.differingBytes} bytes differ, rtt ${ms(s.rttMs!)} ms)`);
  else if (!term.quiet) term.err(paint(term, 'dim', `(${s.bytes} bytes, rtt ${ms(s.rttMs!)} ms)`));
  void target;
}

// ---------- load ----------

/** Load mode's JSON document (also the `measured` part of its error document). */
export function loadDocument(target: ClientTarget, r: LoadResult): Record<string, unknown> {
  return { mode: 'load', ...target, ...r, rtt: r.rtt.count > 0 ? r.rtt : withoutData(r.rtt) };
}

export async function printLoadResult(term: Terminal, target: ClientTarget, r: LoadResult): Promise<void> {
  if (term.json) {
    printJson(term, loadDocument(target, r));
    return;
  }
  const failures = Object.entries(r.connectFailures).map(([k, v]) => `${k} ×${v}`).join(', ');
  const rtt = r.rtt;
  await printFields(term, [
    ['target', targetText(target)],
    ['connections', `${r.connectionsOpened} opened, ${r.connectionsFailed} failed${failures ? ` (${failures})` : ''}, ${r.connectionsDropped} dropped`],
    ['duration', `${(r.durationMs / 1000).toFixed(2)} s`],
    ['messages', `${r.messages} of ${r.size} bytes, ${Math.round(r.messagesPerSecond)}/s`],
    ['throughput', `${r.sentMBps.toFixed(2)} MB/s sent, ${r.receivedMBps.toFixed(2)} MB/s received`],
    ['rtt', rtt.count > 0 ? `min ${ms(rtt.minMs)}, mean ${ms(rtt.meanMs)}, p50 ${ms(rtt.p50Ms)}, p90 ${ms(rtt.p90Ms)}, p99 ${ms(rtt.p99Ms)}, p99.9 ${ms(rtt.p999Ms)}, max ${ms(rtt.maxMs)} ms` : `${NO_DATA} (no echo received)`],
    ['mismatches', r.mismatches],
  ]);
}
