// Renderers for `sockkit resolve`: one result list, four faces. A table on a TTY,
// tab-separated lines when piped (streamed as results arrive), values only with
// --short, and one JSON array with --json.
import type { ResolveResult } from '../net/dns/resolve.js';
import type { TrustChain, ZoneLink } from '../net/dnssec/validate.js';
import type { Terminal } from './terminal.js';
import { jsonText, printJson, printTable, type Column } from './render.js';
import type { Style } from './style.js';

/** One printed line: an answer, or the status of a question that got none. */
interface ResolveRow {
  result: ResolveResult;
  /** The record's own owner (along a CNAME chain, the target's name), as shown. */
  owner: string;
  type: string;
  ttl: number | null;
  value: string;
}

function rowsOf(result: ResolveResult): ResolveRow[] {
  if (result.answers.length > 0 && result.status === 'ok') {
    return result.answers.map((a) => ({ result, owner: ownerName(result, a.name), type: a.type, ttl: a.ttl, value: a.value }));
  }
  return [{ result, owner: displayName(result), type: result.type, ttl: null, value: statusText(result) }];
}

/** The owner as shown: the name as typed when it is the name asked, else the owner without its trailing dot. */
function ownerName(result: ResolveResult, owner: string): string {
  if (owner === result.queryName) return displayName(result); // the common row, without the case-blind compare
  const bare = owner.endsWith('.') && owner !== '.' ? owner.slice(0, -1) : owner;
  const asked = result.queryName.endsWith('.') && result.queryName !== '.' ? result.queryName.slice(0, -1) : result.queryName;
  return bare.toLowerCase() === asked.toLowerCase() || owner === result.name ? displayName(result) : bare;
}

/** `NXDOMAIN`, `NODATA`, `TIMEOUT (timed out after 2 s)`... */
export function statusText(result: ResolveResult): string {
  const label = result.status.toUpperCase();
  return result.error ? `${label} (${result.error})` : label;
}

/** `bücher.example (xn--bcher-kva.example)`: internationalised names both ways. */
export function displayName(result: ResolveResult): string {
  return result.asciiName ? `${result.name} (${result.asciiName})` : result.name;
}

const STATUS_STYLE: Record<ResolveResult['status'], Style> = {
  ok: 'green',
  nxdomain: 'yellow',
  nodata: 'yellow',
  servfail: 'red',
  refused: 'red',
  timeout: 'red',
  unreachable: 'red',
  tls: 'red',
  error: 'red',
  invalid: 'red',
};

/** `secure`, or `bogus (signature expired 2026-…)`: the status and, when not secure, why. */
export function securityText(result: ResolveResult): string {
  if (!result.security) return '';
  return result.securityReason && result.security !== 'secure' ? `${result.security} (${result.securityReason})` : result.security;
}

const SECURITY_STYLE: Record<NonNullable<ResolveResult['security']>, Style> = { secure: 'green', insecure: 'yellow', indeterminate: 'yellow', bogus: 'red' };

const SECURITY_COLUMN: Column<ResolveRow> = { header: 'security', value: (r) => securityText(r.result), style: (r) => (r.result.security ? SECURITY_STYLE[r.result.security] : undefined) };

const COLUMNS: Column<ResolveRow>[] = [
  { header: 'name', value: (r) => r.owner },
  { header: 'type', value: (r) => r.type, style: () => 'cyan' },
  { header: 'TTL', value: (r) => r.ttl ?? '', align: 'right' },
  { header: 'value', value: (r) => r.value, style: (r) => (r.result.status === 'ok' ? undefined : STATUS_STYLE[r.result.status]) },
  { header: 'server', value: (r) => r.result.server, style: () => 'dim' },
  { header: 'time ms', value: (r) => r.result.timeMs.toFixed(1), align: 'right' },
];

/** Table on a TTY: needs every row for the column widths. */
export async function printResolveTable(term: Terminal, results: ResolveResult[], security = false, chain = false): Promise<void> {
  const columns = security ? [...COLUMNS.slice(0, 4), SECURITY_COLUMN, ...COLUMNS.slice(4)] : COLUMNS;
  await printTable(term, columns, results.flatMap(rowsOf));
  if (chain) for (const result of results) if (result.chain) term.out(formatChainTree(result, result.chain).trimEnd());
}

const algorithmName = (a: number) => ({ 8: 'RSASHA256', 10: 'RSASHA512', 13: 'ECDSAP256SHA256', 14: 'ECDSAP384SHA384', 15: 'ED25519' })[a] ?? `alg ${a}`;
const keyRole = (flags: number) => (flags & 1 ? 'KSK' : 'ZSK');

function zoneParts(z: ZoneLink): { keys: string; link: string; signed: string } {
  const keys = z.keys.map((k) => `${k.tag} ${algorithmName(k.algorithm)} ${keyRole(k.flags)}`).join(', ');
  const links = z.ds.map((d) => `${d.digestType === 0 ? 'anchor DNSKEY' : `${z.fromAnchor ? 'anchor DS' : 'DS'} ${d.tag}/${d.digestType}`} ${d.matchesKey !== undefined ? `matches ${d.matchesKey}` : 'matches no key'}`);
  return { keys, link: links.join(', '), signed: `DNSKEY set signed by ${z.dnskeySignedBy}` };
}

/** --chain on a terminal: the zones top down, then the key that signed each RRset, or where the chain ended. */
export function formatChainTree(result: ResolveResult, chain: TrustChain): string {
  const lines = [`chain of trust for ${displayName(result)} ${result.type}:`];
  chain.zones.forEach((z, depth) => {
    const { keys, link, signed } = zoneParts(z);
    const pad = '  '.repeat(depth + 1);
    lines.push(`${pad}${z.zone}  keys: ${keys}`, `${pad}  ${link}; ${signed}`);
  });
  const pad = '  '.repeat(chain.zones.length + 1);
  for (const s of chain.signatures) lines.push(`${pad}${s.owner} ${s.type} signed by ${s.keyTag} (${algorithmName(s.algorithm)}) of ${s.zone}, valid ${s.inception} to ${s.expiration}`);
  // an insecure or bogus answer: where the chain ended, below the links that held
  if (chain.end) lines.push(`${pad}${chain.end.zone}  ${chain.end.status === 'bogus' ? 'BOGUS' : chain.end.status}: ${chain.end.reason}`);
  return `${lines.join('\n')}\n`;
}

/** --chain when piped: one tab-separated line per zone and per signature, after the answer's lines. */
export function formatChainPlain(result: ResolveResult, chain: TrustChain): string {
  let text = '';
  for (const z of chain.zones) {
    const { keys, link, signed } = zoneParts(z);
    text += `chain\t${result.queryName}\tzone\t${z.zone}\t${keys}\t${link}\t${signed}\n`;
  }
  for (const s of chain.signatures) text += `chain\t${result.queryName}\trrsig\t${s.owner} ${s.type}\t${s.keyTag} ${algorithmName(s.algorithm)} of ${s.zone}\t${s.inception}\t${s.expiration}\n`;
  if (chain.end) text += `chain\t${result.queryName}\tend\t${chain.end.zone}\t${chain.end.status}\t${chain.end.reason}\n`;
  return text;
}

/**
 * Piped: the table's columns as tab-separated lines.
 * Values never hold tabs or newlines: TXT/CAA bytes below 0x20 are \DDD-escaped.
 */
export function formatResolvePlain(result: ResolveResult, security = false, oneLine = false): string {
  let text = '';
  // --validate: the security status is a last column, so the others keep their places
  const last = security ? `\t${securityText(result)}` : '';
  const rows = oneLine ? addressesOnOneRow(result) : rowsOf(result);
  for (const row of rows) {
    text += `${row.owner}\t${row.type}\t${row.ttl ?? ''}\t${row.value}\t${result.server}\t${result.timeMs.toFixed(1)}${last}\n`;
  }
  return text;
}

/**
 * A bulk run's A+AAAA result (and getaddrinfo's) as one row: the name asked, every
 * address space-separated, the lowest TTL; the CNAME hops stay in --json.
 */
function addressesOnOneRow(result: ResolveResult): ResolveRow[] {
  if (result.type !== 'A/AAAA' || result.status !== 'ok') return rowsOf(result);
  const addresses = result.answers.filter((a) => a.type === 'A' || a.type === 'AAAA');
  if (addresses.length === 0) return rowsOf(result);
  const ttls = addresses.map((a) => a.ttl).filter((t): t is number => t !== null);
  return [{ result, owner: displayName(result), type: result.type, ttl: ttls.length > 0 ? Math.min(...ttls) : null, value: addresses.map((a) => a.value).join(' ') }];
}

/** --short: only the values, one per line. */
export function formatResolveShort(result: ResolveResult): string {
  let text = '';
  // a bogus answer is no answer: its values are not printed (stderr says why)
  if (result.status === 'ok' && result.security !== 'bogus') for (const answer of result.answers) text += `${answer.value}\n`;
  return text;
}

/**
 * Streams results to a pipe as they arrive (plain lines or --short values), gathering
 * the lines of one event-loop turn into one write: a 10,000-name batch costs a few
 * hundred write(2) calls instead of 10,000. With --short, a question without answers
 * says why on stderr.
 */
export class ResolveStreamPrinter {
  private pending = '';
  private scheduled = false;
  private printed = 0;
  /** Called before anything is written to stdout (a progress line on the same terminal is erased first). */
  beforeWrite?: () => void;

  constructor(
    private readonly term: Terminal,
    private readonly mode: 'plain' | 'short' | 'verbose' | 'ndjson' | 'json',
    private readonly security = false,
    private readonly chain = false,
    /** A bulk run: each A+AAAA result on one line (formatResolvePlain). */
    private readonly oneLine = false,
  ) {}

  print(result: ResolveResult): void {
    if (this.mode === 'ndjson') {
      this.pending += `${jsonText(resolveJsonRecord(result))}\n`;
    } else if (this.mode === 'json') {
      // the array printJson would write, one element at a time: never the whole list in memory
      if (this.printed === 0) this.term.printedDocument = true;
      this.pending += `${this.printed === 0 ? '[\n' : ',\n'}  ${jsonText(resolveJsonRecord(result), 2).replaceAll('\n', '\n  ')}`;
    } else if (this.mode === 'verbose') {
      this.pending += formatResolveVerbose(result);
    } else if (this.mode === 'short') {
      this.pending += formatResolveShort(result);
      if ((result.status !== 'ok' || result.security === 'bogus') && !this.term.quiet) {
        this.flush();
        const why = result.status === 'ok' ? securityText(result) : statusText(result);
        this.term.err(`${this.term.prefix}: ${displayName(result)} ${result.type}: ${why}`);
      }
    } else {
      this.pending += formatResolvePlain(result, this.security, this.oneLine);
      if (this.chain && result.chain) this.pending += formatChainPlain(result, result.chain);
    }
    this.printed++;
    if (this.pending.length >= 64 * 1024) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is gathered; call once more after the last result. */
  flush(): void {
    this.scheduled = false;
    if (this.pending === '') return;
    this.beforeWrite?.();
    const taken = this.term.stdout.write(this.pending);
    this.pending = '';
    if (!taken) this.waitForDrain();
  }

  /**
   * The last write: with --json, the end of the array (an empty one when nothing came,
   * unless `begunOnly`: a run that failed before any result leaves the document to its error).
   */
  finish(begunOnly = false): void {
    if (this.mode === 'json' && !(begunOnly && this.printed === 0)) {
      this.pending += this.printed === 0 ? '[]\n' : '\n]\n';
      this.term.printedDocument = true;
    }
    this.flush();
  }

  /**
   * True while the reader of stdout lags (the pipe is full and Node queues in memory):
   * the resolver starts no new question until it catches up, so a slow reader bounds
   * memory instead of 100,000 results piling up in the write queue.
   */
  get busy(): boolean {
    return this.blocked;
  }

  /** Calls `then` once stdout has drained (at once when it is not blocked). */
  whenDrained(then: () => void): void {
    if (!this.blocked) return then();
    this.waiters.push(then);
  }

  private blocked = false;
  private waiters: Array<() => void> = [];

  private waitForDrain(): void {
    const stream = this.term.stdout as { once?: (event: 'drain', listener: () => void) => unknown };
    if (this.blocked || typeof stream.once !== 'function') return;
    this.blocked = true;
    stream.once('drain', () => {
      this.blocked = false;
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }
}

/** -v: dig's full view of one result (its header, sections, EDNS, size and time). */
export function formatResolveVerbose(result: ResolveResult): string {
  const reply = result.reply;
  const lines = [`; <<>> sockkit resolve <<>> ${displayName(result)} ${result.type} @${result.server}`];
  if (!reply) {
    lines.push(`;; ${statusText(result)}`);
    for (const a of result.answers) lines.push(`${a.name}\t${a.ttl ?? ''}\t${a.type}\t${a.value}`);
  } else {
    lines.push(`;; ->>HEADER<<- opcode: ${reply.opcode === 0 ? 'QUERY' : reply.opcode}, status: ${reply.rcode}, id: ${reply.id}`);
    lines.push(`;; flags: ${reply.flags.join(' ')}; QUERY: ${reply.question.length}, ANSWER: ${reply.answer.length}, AUTHORITY: ${reply.authority.length}, ADDITIONAL: ${reply.additional.length + (reply.edns ? 1 : 0)}`);
    if (result.status !== 'ok') lines.push(`;; sockkit: ${statusText(result)}`);
    if (reply.edns) {
      lines.push('', ';; OPT PSEUDOSECTION:', `; EDNS: version: ${reply.edns.version}, flags:${reply.edns.flags.map((f) => ` ${f}`).join('')}; udp: ${reply.edns.udpPayload}`);
      for (const o of reply.edns.options) lines.push(`; ${o.name}: ${o.value}`);
    }
    lines.push('', ';; QUESTION SECTION:', ...reply.question.map((q) => `;${q.name}\t\t${q.class}\t${q.type}`));
    const section = (title: string, records: typeof reply.answer) => {
      if (records.length > 0) lines.push('', `;; ${title} SECTION:`, ...records.map((r) => `${r.name}\t${r.ttl}\t${r.class}\t${r.type}\t${r.value}`));
    };
    section('ANSWER', reply.answer);
    section('AUTHORITY', reply.authority);
    section('ADDITIONAL', reply.additional);
    if (reply.problem) lines.push(`;; sockkit: the rest of the reply is unreadable: ${reply.problem}`);
  }
  lines.push('', `;; Query time: ${result.timeMs.toFixed(1)} msec`, `;; SERVER: ${result.server}${result.transport ? ` (${result.transport.toUpperCase()})` : ''}`);
  if (result.tls) lines.push(`;; TLS: ${result.tls.protocol ?? '?'} ${result.tls.cipher ?? '?'} cert=${result.tls.peerSubject ?? '?'}${result.tls.verified ? '' : ` NOT VERIFIED (${result.tls.verifyError ?? '?'})`}`);
  if (reply) lines.push(`;; MSG SIZE  rcvd: ${reply.sizeBytes}`);
  return `${lines.join('\n')}\n\n`;
}

/** --json: the results as one array (the documented, stable field names). */
export function printResolveJson(term: Terminal, results: ResolveResult[]): void {
  printJson(term, results.map(resolveJsonRecord));
}

/** One result as --json and --ndjson write it. */
export function resolveJsonRecord(r: ResolveResult): Record<string, unknown> {
  return {
    name: r.name,
    ...(r.asciiName ? { asciiName: r.asciiName } : {}),
    queryName: r.queryName,
    type: r.type,
    status: r.status,
    ...(r.rcode ? { rcode: r.rcode } : {}),
    ...(r.error ? { error: r.error } : {}),
    server: r.server,
    ...(r.transport ? { transport: r.transport } : {}),
    ...(r.tls ? { tls: r.tls } : {}),
    timeMs: r.timeMs,
    answers: r.answers.map((a) => ({ name: a.name, type: a.type, ttl: a.ttl, value: a.value })),
    flags: r.reply ? r.reply.flags : null,
    authority: r.reply ? r.reply.authority : [],
    additional: r.reply ? r.reply.additional : [],
    edns: r.reply ? r.reply.edns : null,
    ...(r.reply ? { id: r.reply.id, sizeBytes: r.reply.sizeBytes } : {}),
    ...(r.extendedErrors ? { extendedErrors: r.extendedErrors } : {}),
    ...(r.security ? { security: r.security, ...(r.securityReason ? { securityReason: r.securityReason } : {}) } : {}),
    ...(r.chain ? { chain: r.chain } : {}),
    ...(r.ignored ? { ignored: r.ignored.map((a) => ({ name: a.name, type: a.type, ...(a.class !== undefined ? { class: a.class } : {}), ttl: a.ttl, value: a.value, reason: a.reason })) } : {}),
  };
}
