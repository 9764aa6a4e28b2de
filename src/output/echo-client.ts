// Renderers for `sockkit echo-client`. Streams and lines: the echoed bytes are the
// result (stdout, like nc) and the verdict with its round-trip time goes to stderr.
// --count: one line per message like ping, then a summary. Load: a summary table.
// --json: one document at the end.
import type { EchoSample, RttSummary, StreamEchoResult } from '../net/echo/client.js';
import type { LoadResult } from '../net/echo/load.js';
import type { UdpLoadResult } from '../net/echo/udp-load.js';
import { EXCERPT_BYTES, type EchoDifference } from '../net/echo/comparer.js';
import { formatHostPort } from '../net/shared/address.js';
import type { ClientTlsInfo } from '../net/echo/client.js';
import type { HandshakeStats } from '../net/echo/load.js';
import type { HandshakeRunResult } from '../net/echo/handshakes.js';
import type { Terminal } from './terminal.js';
import { paint } from './style.js';
import { printFields, printJson } from './render.js';

export interface ClientTarget {
  protocol: 'tcp' | 'udp' | 'unix';
  /** The server's address, or the Unix socket's path (@name for an abstract one). */
  address: string;
  /** 0 for a Unix socket. */
  port: number;
  /** --tls was asked for. */
  secure?: true;
  /** What the TLS handshake negotiated, once it has happened. */
  tls?: ClientTlsInfo;
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
  return `${t.protocol.toUpperCase()}${t.secure ? '+TLS' : ''} ${whereText(t)}`;
}

function whereText(t: ClientTarget): string {
  return t.protocol === 'unix' ? t.address : formatHostPort(t.address, t.port);
}

/** `TLSv1.3 TLS_AES_256_GCM_SHA384, ALPN echo, cert localhost (verified), handshake 3.214 ms` */
export function tlsText(tls: ClientTlsInfo): string {
  const parts = [`${tls.protocol ?? '?'} ${tls.cipher ?? '?'}`];
  if (tls.alpn) parts.push(`ALPN ${tls.alpn}`);
  parts.push(`cert ${tls.peerSubject ?? '?'} (${tls.verified ? 'verified' : `NOT verified: ${tls.verifyError ?? '?'}`})`);
  parts.push(`handshake ${ms(tls.handshakeMs)} ms${tls.resumed ? ' (resumed)' : ''}`);
  return parts.join(', ');
}

/** The target with its TLS handshake, as the verdict names it. */
function verdictTarget(t: ClientTarget): string {
  return t.tls ? `${targetText(t)} (${tlsText(t.tls)})` : targetText(t);
}

// ---------- how an echo differs ----------

/** Printable ASCII with tab, CR and LF: shown as quoted text; anything else as hex. */
function isText(b: Buffer): boolean {
  return b.every((c) => (c >= 0x20 && c < 0x7f) || c === 0x09 || c === 0x0a || c === 0x0d);
}

/** A few bytes as they read best: quoted and escaped when text ("HELLO\r\n"), else hex (de ad be ef); nothing is "(end)". */
export function excerpt(b: Buffer, asText = isText(b)): string {
  if (b.length === 0) return '(end)';
  const more = b.length >= EXCERPT_BYTES ? '…' : '';
  return (asText ? JSON.stringify(b.toString('latin1')) : b.toString('hex').replace(/(..)(?=.)/g, '$1 ')) + more;
}

/** "first difference at byte 0: expected "hello", seen "HELLO"": both sides as text, or both in hex. */
export function differenceText(d: EchoDifference): string {
  const asText = isText(d.expected) && isText(d.seen);
  return `first difference at byte ${d.offset}: expected ${excerpt(d.expected, asText)}, seen ${excerpt(d.seen, asText)}`;
}

/** The difference in --json: the offset and both sides in hex (empty where that side had ended). */
export function differenceJson(d: EchoDifference): { offset: number; expectedHex: string; seenHex: string } {
  return { offset: d.offset, expectedHex: d.expected.toString('hex'), seenHex: d.seen.toString('hex') };
}

// ---------- stream (--message, stdin) ----------

export function streamVerdict(target: ClientTarget, r: StreamEchoResult): string {
  if (r.identical) {
    return `echo from ${verdictTarget(target)}: ${r.bytesReceived} bytes, identical, rtt ${ms(r.rttMs)} ms (first byte ${ms(r.firstByteMs)} ms)`;
  }
  const where = r.difference ? `, ${differenceText(r.difference)}` : r.firstDifferenceAt !== undefined ? `, first difference at byte ${r.firstDifferenceAt}` : '';
  return `echo from ${verdictTarget(target)}: MISMATCH: sent ${r.bytesSent} bytes, received ${r.bytesReceived}${where}`;
}

export function printStreamResult(term: Terminal, target: ClientTarget, r: StreamEchoResult, echoText?: string): void {
  if (term.json) {
    const { difference, ...rest } = r;
    printJson(term, { mode: 'message', ...target, ...rest, protocol: target.protocol, ...(difference ? { difference: differenceJson(difference) } : {}), ...(echoText !== undefined ? { echo: echoText } : {}) });
    return;
  }
  if (!term.quiet || !r.identical) term.err(streamVerdict(target, r));
}

// ---------- one message at a time (--count, lines) ----------

export function sampleLine(term: Terminal, target: ClientTarget, s: EchoSample): string {
  if (!term.isStdoutTTY) {
    return [s.seq, s.bytes, s.rttMs !== undefined ? s.rttMs.toFixed(3) : '', s.status, ...mismatchFields(s)].join('\t');
  }
  const from = `${s.bytes} bytes from ${whereText(target)}: seq=${s.seq}`;
  if (s.status === 'lost') return `${from} ${paint(term, 'yellow', 'lost')} (no echo within --timeout)`;
  if (s.status === 'mismatch') {
    return `${from} time=${ms(s.rttMs!)} ms ${paint(term, 'red', 'MISMATCH')} (${mismatchText(s)})`;
  }
  return `${from} time=${ms(s.rttMs!)} ms`;
}

/** "5 bytes differ, echo 5 bytes, first difference at byte 0: expected "hello", seen "HELLO"" */
function mismatchText(s: EchoSample): string {
  const echo = s.echoBytes !== undefined ? `, echo ${s.echoBytes} bytes` : '';
  const where = s.difference ? differenceText(s.difference) : `first at byte ${s.firstDifferenceAt}`;
  return `${s.differingBytes} bytes differ${echo}, ${where}`;
}

/** Piped key=value fields of a mismatched sample. */
function mismatchFields(s: EchoSample): string[] {
  if (s.firstDifferenceAt === undefined) return [];
  const fields = [`firstDifferenceAt=${s.firstDifferenceAt}`];
  if (s.echoBytes !== undefined) fields.push(`echoBytes=${s.echoBytes}`);
  if (s.difference) fields.push(`expectedHex=${s.difference.expected.toString('hex')}`, `seenHex=${s.difference.seen.toString('hex')}`);
  return fields;
}

export function printSample(term: Terminal, target: ClientTarget, s: EchoSample): void {
  if (term.json) return;
  term.out(sampleLine(term, target, s));
}

/** The --json document of --count and line mode. */
export function countDocument(target: ClientTarget, summary: RttSummary, samples: EchoSample[], interrupted = false): Record<string, unknown> {
  return {
    mode: 'count',
    ...target,
    ...(interrupted ? { interrupted: true } : {}),
    summary: summary.received === 0 ? withoutData(summary) : summary,
    samples: samples.map((s) => ({ seq: s.seq, bytes: s.bytes, rttMs: s.rttMs ?? null, status: s.status, ...sampleMismatchJson(s) })),
  };
}

function sampleMismatchJson(s: EchoSample): Record<string, unknown> {
  if (s.firstDifferenceAt === undefined) return {};
  return {
    firstDifferenceAt: s.firstDifferenceAt,
    differingBytes: s.differingBytes,
    ...(s.echoBytes !== undefined ? { echoBytes: s.echoBytes } : {}),
    ...(s.difference ? { difference: differenceJson(s.difference) } : {}),
  };
}

/** The summary of --count and line mode; `interrupted`: Ctrl-C ended the run, these are the messages answered before it. */
export function printCountSummary(term: Terminal, target: ClientTarget, summary: RttSummary, samples: EchoSample[], interrupted = false): void {
  if (term.json) {
    printJson(term, countDocument(target, summary, samples, interrupted));
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
        ...(interrupted ? ['interrupted=true'] : []),
      ].join('\t'),
    );
    return;
  }
  term.out('');
  term.out(paint(term, 'bold', `--- ${targetText(target)} echo statistics${interrupted ? ' (interrupted)' : ''} ---`));
  if (target.tls) term.out(`tls ${tlsText(target.tls)}`);
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
  else if (s.status === 'mismatch') term.err(`(MISMATCH: ${mismatchText(s)}; rtt ${ms(s.rttMs!)} ms)`);
  else if (!term.quiet) term.err(paint(term, 'dim', `(${s.bytes} bytes, rtt ${ms(s.rttMs!)} ms)`));
  void target;
}

// ---------- load ----------

/** Load mode's JSON document (also the `measured` part of its error document). */
export function loadDocument(target: ClientTarget, r: LoadResult): Record<string, unknown> {
  const { firstMismatch, ...rest } = r;
  return { mode: 'load', ...target, ...rest, ...(firstMismatch ? { firstMismatch: differenceJson(firstMismatch) } : {}), rtt: r.rtt.count > 0 ? r.rtt : withoutData(r.rtt) };
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
    ['duration', `${(r.durationMs / 1000).toFixed(2)} s${r.interrupted ? ' (interrupted)' : ''}`],
    ['messages', `${r.messages} of ${r.size} bytes, ${Math.round(r.messagesPerSecond)}/s`],
    ['throughput', `${r.sentMBps.toFixed(2)} MB/s sent, ${r.receivedMBps.toFixed(2)} MB/s received`],
    ['rtt', rtt.count > 0 ? `min ${ms(rtt.minMs)}, mean ${ms(rtt.meanMs)}, p50 ${ms(rtt.p50Ms)}, p90 ${ms(rtt.p90Ms)}, p99 ${ms(rtt.p99Ms)}, p99.9 ${ms(rtt.p999Ms)}, max ${ms(rtt.maxMs)} ms` : `${NO_DATA} (no echo received)`],
    ['mismatches', r.firstMismatch ? `${r.mismatches} (the first: ${differenceText(r.firstMismatch)} of its ${r.size}-byte message)` : r.mismatches],
    ...(r.handshakes ? [['handshakes', handshakeText(r.handshakes)] as [string, string]] : []),
  ]);
}

function handshakeText(h: HandshakeStats): string {
  const t = h.time;
  const times = t.count > 0 ? `; p50 ${ms(t.p50Ms)}, p99 ${ms(t.p99Ms)}, max ${ms(t.maxMs)} ms` : '';
  return `${h.count} TLS handshakes, ${Math.round(h.perSecond)}/s, ${h.resumed} resumed${times}`;
}

// ---------- TLS handshakes (--handshakes) ----------

export function handshakeDocument(target: ClientTarget, r: HandshakeRunResult): Record<string, unknown> {
  return { mode: 'handshakes', ...target, ...r, time: r.time.count > 0 ? r.time : withoutData(r.time) };
}

export async function printHandshakeResult(term: Terminal, target: ClientTarget, r: HandshakeRunResult): Promise<void> {
  if (term.json) {
    printJson(term, handshakeDocument(target, r));
    return;
  }
  const t = r.time;
  const failures = Object.entries(r.failures).map(([k, v]) => `${k} ×${v}`).join(', ');
  await printFields(term, [
    ['target', targetText(target)],
    ['workers', `${r.concurrency}, each: connect, handshake, close; ${r.sessionReuse ? 'resuming its last session' : 'full handshakes (--no-session-reuse)'}`],
    ['duration', `${(r.durationMs / 1000).toFixed(2)} s${r.interrupted ? ' (interrupted)' : ''}`],
    ['handshakes', `${r.count}, ${Math.round(r.perSecond)}/s, ${r.resumed} resumed`],
    ['time', t.count > 0 ? `min ${ms(t.minMs)}, mean ${ms(t.meanMs)}, p50 ${ms(t.p50Ms)}, p90 ${ms(t.p90Ms)}, p99 ${ms(t.p99Ms)}, max ${ms(t.maxMs)} ms` : `${NO_DATA} (none completed)`],
    ['failed', failures ? `${r.failed} (${failures})` : r.failed],
  ]);
}

/** UDP load mode's JSON document (also the `measured` part of its error document). */
export function udpLoadDocument(target: ClientTarget, r: UdpLoadResult): Record<string, unknown> {
  const { firstMismatch, ...rest } = r;
  const mismatch = firstMismatch ? { firstMismatch: { bytes: firstMismatch.bytes, echoBytes: firstMismatch.echoBytes, ...differenceJson(firstMismatch) } } : {};
  return { mode: 'load', ...target, ...rest, ...mismatch, rtt: r.rtt.count > 0 ? r.rtt : withoutData(r.rtt) };
}

export async function printUdpLoadResult(term: Terminal, target: ClientTarget, r: UdpLoadResult): Promise<void> {
  if (term.json) {
    printJson(term, udpLoadDocument(target, r));
    return;
  }
  const rtt = r.rtt;
  const errors = Object.entries(r.errors).map(([k, v]) => `${k} ×${v}`).join(', ');
  await printFields(term, [
    ['target', targetText(target)],
    ['in flight', `${r.concurrency} datagrams of ${r.size} bytes (one socket)`],
    ['duration', `${(r.durationMs / 1000).toFixed(2)} s${r.interrupted ? ' (interrupted)' : ''}`],
    ['datagrams', `${r.sent} sent, ${r.echoed} echoed, ${Math.round(r.echoedPerSecond)}/s`],
    ['loss', `${r.lost} lost (${r.lossPercent.toFixed(2)}%), ${r.late} of them echoed late`],
    ['duplicates', r.duplicates],
    ['reordered', r.reordered],
    ['rtt', rtt.count > 0 ? `min ${ms(rtt.minMs)}, mean ${ms(rtt.meanMs)}, p50 ${ms(rtt.p50Ms)}, p90 ${ms(rtt.p90Ms)}, p99 ${ms(rtt.p99Ms)}, p99.9 ${ms(rtt.p999Ms)}, max ${ms(rtt.maxMs)} ms` : `${NO_DATA} (no echo received)`],
    ['mismatches', r.firstMismatch ? `${r.mismatches} (the first: ${r.firstMismatch.echoBytes}-byte echo of a ${r.firstMismatch.bytes}-byte datagram, ${differenceText(r.firstMismatch)})` : r.mismatches],
    ...(errors ? [['errors', errors] as [string, string]] : []),
  ]);
}
