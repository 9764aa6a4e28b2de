// Renderers for http-get: the -v request/response story on stderr, the --timing
// table and waterfall, the --json document, and the download progress bar.
import type { FetchResult, HopResult, HopTimings, Redirect, TlsInfo } from '../net/http/client.js';
import type { HeaderList, ResponseHead } from '../net/http/parser.js';
import { printTable, printJson } from './render.js';
import { paint } from './style.js';
import type { Terminal } from './terminal.js';

/** -v: the request head as sent, `> ` before each line (like curl). */
export function printVerboseRequest(term: Terminal, request: Buffer): void {
  for (const line of headLines(request)) term.err(paint(term, 'dim', `> ${line}`));
  term.err('>');
}

/** -v: a response head (interim or final) as received, `< ` before each line (over HTTP/2, its header list). */
export function printVerboseResponse(term: Terminal, head: ResponseHead): void {
  for (const line of headLines(head.wire ?? head.raw)) term.err(`< ${line}`);
  term.err('<');
}

/** -i with -L: the head of a redirect on the way, on stdout before the final response. */
export function printHead(term: Terminal, raw: Buffer): void {
  term.stdout.write(raw);
}

/** -v: connection notes, `* ` before each. */
export function printVerboseNote(term: Terminal, note: string): void {
  term.err(paint(term, 'dim', `* ${note}`));
}

export function describeTls(tls: TlsInfo): string {
  const verified = tls.verified ? 'certificate verified' : `certificate NOT verified (${tls.verifyError ?? 'unknown reason'})`;
  return `${tls.protocol ?? '?'} ${tls.cipher ?? '?'}, ALPN ${tls.alpn ?? 'none'}, subject ${tls.peerSubject ?? '?'}, valid to ${tls.validTo ?? '?'}, ${verified}`;
}

function headLines(raw: Buffer): string[] {
  // latin1 keeps every byte visible one-to-one; control characters are escaped so
  // a hostile header cannot drive the terminal.
  return raw
    .toString('latin1')
    .split(/\r?\n/)
    .filter((l) => l !== '')
    .map((l) => l.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** One --retry: the try that failed, why, and the wait before the next. */
export interface RetryNote {
  retry: number;
  why: string;
  delayMs: number;
}

export interface HttpGetDocument {
  url: string;
  status: number;
  reason: string;
  httpVersion: string;
  headers: Record<string, string>;
  redirects: Redirect[];
  bytes: number;
  contentEncoding: string | null;
  remoteAddress: string;
  remotePort: number;
  output: string | null;
  timings: HopTimings;
  /** Every connection attempt of the final request (Happy Eyeballs): ms from the first attempt. */
  /** --retry: the tries before this response (empty without retries). */
  retries: RetryNote[];
  connectAttempts: Array<{ address: string; startMs: number; endMs: number | null; result: string; error?: string }>;
  tls: { protocol: string | null; cipher: string | null; alpn: string | null; peerSubject: string | null; validTo: string | null; verified: boolean } | null;
}

/** The --json document of a fetch: the final response, with the redirects that led to it. */
export function httpGetDocument(result: FetchResult, output: string | null, retries: RetryNote[] = []): HttpGetDocument {
  const hop = result.final;
  const tls = hop.tls;
  const totalMs = Math.round(result.hops.reduce((sum, h) => sum + h.timings.totalMs, 0) * 1000) / 1000;
  return {
    url: hop.url,
    status: hop.status,
    reason: hop.reason,
    httpVersion: hop.httpVersion,
    headers: headerObject(hop.head.headers),
    redirects: result.redirects,
    bytes: hop.deliveredBytes,
    contentEncoding: hop.decodedEncoding,
    remoteAddress: hop.remoteAddress,
    remotePort: hop.remotePort,
    output,
    timings: { ...hop.timings, totalMs },
    retries,
    connectAttempts: hop.attempts.map((a) => ({ address: a.address, startMs: a.startMs, endMs: a.endMs ?? null, result: a.result, ...(a.error ? { error: a.error } : {}) })),
    tls: tls
      ? { protocol: tls.protocol, cipher: tls.cipher, alpn: tls.alpn, peerSubject: tls.peerSubject, validTo: tls.validTo, verified: tls.verified }
      : null,
  };
}

/** Header names lower-cased (they are case-insensitive); repeated headers joined as RFC 9110 5.3 allows. */
function headerObject(headers: HeaderList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    out[key] = out[key] === undefined ? value : key === 'set-cookie' ? `${out[key]}\n${value}` : `${out[key]}, ${value}`;
  }
  return out;
}

export function printHttpGetJson(term: Terminal, result: FetchResult, output: string | null, retries: RetryNote[] = []): void {
  printJson(term, httpGetDocument(result, output, retries));
}

interface Phase {
  name: string;
  ms: number | null;
  /** Runs beside the next phase rather than before it: the same start, the offset not moved. */
  alongside?: boolean;
}

function phasesOf(hop: HopResult): Phase[] {
  const t = hop.timings;
  return [
    { name: 'DNS lookup', ms: t.dnsMs },
    { name: 'TCP connect', ms: t.connectMs },
    { name: 'TLS handshake', ms: t.tlsMs },
    // The request leaves with the preface (client.ts startHttp2): the server's SETTINGS come meanwhile
    { name: 'HTTP/2 settings', ms: t.settingsMs, alongside: true },
    { name: 'Server processing', ms: t.ttfbMs },
    { name: 'Content transfer', ms: t.transferMs },
  ];
}

/**
 * --timing: one row per phase with its start offset (piped: `phase<TAB>ms<TAB>startMs`),
 * then, on a TTY, a waterfall of bars scaled to the total (what httpstat shows).
 */
export async function printTiming(term: Terminal, result: FetchResult): Promise<void> {
  const hop = result.final;
  const rows: Array<{ phase: string; ms: string; start: string; bar: string }> = [];
  const phases = phasesOf(hop);
  const total = hop.timings.totalMs;
  const width = Math.max(10, Math.min(40, (term.stdout.columns ?? 80) - 50));
  let offset = 0;
  for (const p of phases) {
    if (p.ms === null) continue;
    rows.push({ phase: p.name, ms: p.ms.toFixed(3), start: offset.toFixed(3), bar: bar(offset, p.ms, total, width) });
    if (!p.alongside) offset += p.ms;
  }
  rows.push({ phase: 'Total', ms: total.toFixed(3), start: '0.000', bar: bar(0, total, total, width) });
  // One attempt is the TCP connect row already; a race gets a row per attempt.
  const attempts = hop.attempts.length > 1 ? attemptRows(hop) : [];
  if (!term.isStdoutTTY) {
    for (const r of rows) term.out(`${r.phase}\t${r.ms}\t${r.start}`);
    for (const a of attempts) term.out(`attempt ${a.address}\t${a.ms}\t${a.start}\t${a.result}`);
    return;
  }
  term.out(`${paint(term, 'bold', `HTTP/${hop.httpVersion} ${hop.status}${hop.reason ? ` ${hop.reason}` : ''}`)}  ${hop.url}  (${hop.remoteAddress}, ${hop.deliveredBytes} bytes)`);
  await printTable(
    term,
    [
      { header: 'phase', value: (r) => r.phase },
      { header: 'ms', value: (r) => r.ms, align: 'right' },
      { header: 'starts at ms', value: (r) => r.start, align: 'right' },
      { header: 'waterfall', value: (r) => r.bar, style: () => 'cyan' },
    ],
    rows,
  );
  if (attempts.length > 0) {
    term.out('connect attempts (Happy Eyeballs; ms from the first attempt):');
    for (const a of attempts) term.out(`  ${a.address.padEnd(40)} starts at ${a.start.padStart(9)}  ${a.ms.padStart(9)} ms  ${a.result}`);
  }
}

/** The connection attempts of a hop as --timing shows them: address, duration, start, result. */
function attemptRows(hop: HopResult): Array<{ address: string; ms: string; start: string; result: string }> {
  const dnsAndTrust = hop.timings.dnsMs;
  return hop.attempts.map((a) => ({
    address: a.address,
    ms: a.endMs === undefined ? '-' : (a.endMs - a.startMs).toFixed(3),
    start: (dnsAndTrust + a.startMs).toFixed(3),
    result: a.error ? `${a.result} (${a.error})` : a.result,
  }));
}

function bar(start: number, ms: number, total: number, width: number): string {
  if (total <= 0) return '';
  const from = Math.min(width, Math.round((start / total) * width));
  const len = Math.max(ms > 0 ? 1 : 0, Math.round((ms / total) * width));
  return ' '.repeat(from) + '█'.repeat(Math.min(len, width - from + 1));
}

/** A one-line download progress bar on stderr (only when a human watches stderr). */
export interface Progress {
  update(received: number, expected: number | null): void;
  done(): void;
}

const NO_PROGRESS: Progress = { update() {}, done() {} };

export function startProgress(term: Terminal, wanted: boolean, now: () => number = () => performance.now()): Progress {
  if (!wanted || !term.showsProgress) return NO_PROGRESS;
  const started = now();
  let lastDraw = 0;
  let drawn = false;
  const draw = (received: number, expected: number | null) => {
    const elapsed = (now() - started) / 1000;
    const rate = elapsed > 0 ? received / elapsed : 0;
    const parts = [formatBytes(received).padStart(10)];
    if (expected !== null && expected > 0) {
      const fraction = Math.min(1, received / expected);
      const width = Math.max(10, Math.min(30, (term.stderr.columns ?? 80) - 60));
      const filled = Math.round(fraction * width);
      parts.push(`/ ${formatBytes(expected)}`, `${(fraction * 100).toFixed(0).padStart(3)}%`, `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`);
      if (rate > 0) parts.push(`ETA ${formatDuration((expected - received) / rate)}`);
    }
    parts.push(`${formatBytes(rate)}/s`);
    term.stderr.write(`\r${parts.join('  ')}\u001b[K`);
    drawn = true;
  };
  return {
    update(received, expected) {
      const t = now();
      if (t - lastDraw < 100) return;
      lastDraw = t;
      draw(received, expected);
    },
    done() {
      if (drawn) term.stderr.write('\r\u001b[K');
    },
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
