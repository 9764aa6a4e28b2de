// Renderers for `sockkit ntp`: one server's report as fields (+ samples), several
// servers as one table, and the JSON document. All are functions of the same data.
import { exitCodeFor } from '../exit-codes.js';
import { NtpKissOfDeathError, type NtpSample, type NtpServerReport } from '../net/ntp/client.js';
import { rootDistanceMs } from '../net/ntp/measure.js';
import { bestOutcome, statusOf, type NtpOutcome } from '../net/ntp/servers.js';
import { formatRefId, LEAP_NAMES, MODE_NAMES, refIdHex, timestampToUnixMs } from '../net/ntp/packet.js';
import { printFields, printJson, printTable, type Cell } from './render.js';
import type { Style } from './style.js';
import type { Terminal } from './terminal.js';
import { ntsFields, ntsJson } from './ntp-nts.js';
import { isoUtc } from '../net/shared/iso-time.js';

// ---- JSON ----

/** `interrupted`: Ctrl-C ended the run; each server's report holds the samples taken before it. */
export function ntpJsonDocument(outcomes: readonly NtpOutcome[], interrupted = false) {
  const best = bestOutcome(outcomes);
  return { servers: outcomes.map(serverJson), best: best ? best.server : null, ...(interrupted ? { interrupted: true } : {}) };
}

export function printNtpJson(term: Terminal, outcomes: readonly NtpOutcome[], interrupted = false): void {
  printJson(term, ntpJsonDocument(outcomes, interrupted));
}

function serverJson(outcome: NtpOutcome) {
  if ('error' in outcome) {
    const { error } = outcome;
    return {
      server: outcome.server,
      port: outcome.port,
      status: statusOf(outcome),
      ...(error instanceof NtpKissOfDeathError ? { kissCode: error.kissCode } : {}),
      error: { code: error.code, exitCode: exitCodeFor(error.code), message: `${error.what}: ${error.why}` },
    };
  }
  const r = outcome.report;
  const p = r.packet;
  const lost = r.samples.filter((s) => s.status !== 'ok').length;
  return {
    server: r.server,
    address: r.address,
    port: r.port,
    family: r.family,
    addresses: r.addresses,
    unansweredAddresses: r.unanswered,
    status: r.status,
    ...(r.unsynchronisedReason ? { unsynchronisedReason: r.unsynchronisedReason } : {}),
    ...(r.interrupted ? { interrupted: true } : {}),
    stratum: p.stratum,
    refid: formatRefId(p),
    refidHex: refIdHex(p.refId),
    leap: p.leap,
    leapText: LEAP_NAMES[p.leap],
    version: p.version,
    mode: p.mode,
    pollExponent: p.poll,
    pollSeconds: 2 ** p.poll,
    precisionExponent: p.precision,
    precisionSeconds: 2 ** p.precision,
    rootDelayMs: us(p.rootDelaySeconds * 1000),
    rootDispersionMs: us(p.rootDispersionSeconds * 1000),
    rootDistanceMs: us(rootDistanceMs(p, r.delayMs)),
    referenceTime: p.referenceTimestamp === 0n ? null : isoUtcMicros(timestampToUnixMs(p.referenceTimestamp, r.receivedAtUnixMs)),
    serverTime: isoUtcMicros(serverTransmitMs(r)),
    serverTimeLocal: isoLocal(serverTransmitMs(r)),
    offsetMs: us(r.offsetMs),
    delayMs: us(r.delayMs),
    ignoredReplies: r.ignoredReplies,
    bestSample: r.bestSample,
    samples: r.samples.map((s) => sampleJson(s, r.bestSample)),
    stats: {
      count: r.samples.length,
      answered: r.stats.count,
      lost,
      minOffsetMs: us(r.stats.minOffsetMs),
      medianOffsetMs: us(r.stats.medianOffsetMs),
      maxOffsetMs: us(r.stats.maxOffsetMs),
      minDelayMs: us(r.stats.minDelayMs),
      medianDelayMs: us(r.stats.medianDelayMs),
      maxDelayMs: us(r.stats.maxDelayMs),
      // Jitter compares answers with each other: with one answer there is none to give.
      jitterMs: r.stats.count < 2 ? null : us(r.stats.jitterMs),
    },
    ...(r.nts ? { nts: ntsJson(r.nts) } : {}),
  };
}

function sampleJson(s: NtpSample, bestSample: number) {
  return {
    index: s.index,
    status: s.status,
    sentAt: isoUtcMicros(s.sentAtUnixMs),
    ...(s.offsetMs !== undefined ? { offsetMs: us(s.offsetMs), delayMs: us(s.delayMs!) } : {}),
    ...(s.packet ? { stratum: s.packet.stratum, leap: s.packet.leap } : {}),
    best: s.index === bestSample,
    ignoredReplies: s.ignoredReplies,
    ...(s.error ? { error: `${s.error.what}: ${s.error.why}` } : {}),
  };
}

// ---- human: one server ----

export async function printNtpReport(term: Terminal, r: NtpServerReport): Promise<void> {
  const p = r.packet;
  const serverMs = serverTransmitMs(r);
  const fields: Array<[string, Cell]> = [
    ['server', r.server],
    ['address', addressText(r)],
    ['status', r.status === 'ok' ? 'ok' : `server unsynchronised (${r.unsynchronisedReason})`],
    ['stratum', p.stratum],
    ['refid', formatRefId(p)],
    ['leap', `${p.leap} (${LEAP_NAMES[p.leap]})`],
    ['version', p.version],
    ['mode', `${p.mode} (${MODE_NAMES[p.mode]})`],
    ['poll', `${trimNumber(2 ** p.poll)} s (2^${p.poll})`],
    ['precision', `${(2 ** p.precision * 1e6).toFixed(3)} µs (2^${p.precision} s)`],
    ['root delay', `${ms(p.rootDelaySeconds * 1000)} ms`],
    ['root dispersion', `${ms(p.rootDispersionSeconds * 1000)} ms`],
    ['reference time', p.referenceTimestamp === 0n ? 'never (not set)' : isoUtcMicros(timestampToUnixMs(p.referenceTimestamp, r.receivedAtUnixMs))],
    ['server time (UTC)', isoUtcMicros(serverMs)],
    ['server time (local)', isoLocal(serverMs)],
    ['offset', `${signedMs(r.offsetMs)} ms`],
    ['delay', `${ms(r.delayMs)} ms`],
  ];
  if (r.samples.length > 1 || r.interrupted) {
    const s = r.stats;
    const lost = r.samples.length - s.count;
    fields.push(
      ['samples', `${r.samples.length}${r.interrupted ? ' (interrupted)' : ''} (${s.count} answered, ${lost} lost); best #${r.bestSample} (lowest delay)`],
      ['offset min/median/max', `${signedMs(s.minOffsetMs)} / ${signedMs(s.medianOffsetMs)} / ${signedMs(s.maxOffsetMs)} ms`],
      ['delay min/median/max', `${ms(s.minDelayMs)} / ${ms(s.medianDelayMs)} / ${ms(s.maxDelayMs)} ms`],
      ['jitter', s.count < 2 ? '– (needs two answers)' : `${ms(s.jitterMs)} ms`],
    );
  }
  if (r.ignoredReplies > 0) {
    const what = r.nts ? 'not from the server, not an answer to our request, or not authentic' : 'not from the server, or not an answer to our request';
    fields.push(['ignored datagrams', `${r.ignoredReplies} (${what})`]);
  }
  if (r.nts) fields.push(...ntsFields(r.nts));
  await printFields(term, fields);
  if (r.samples.length > 1 || r.interrupted) await printSamples(term, r);
}

async function printSamples(term: Terminal, r: NtpServerReport): Promise<void> {
  const mark = (s: NtpSample) => (s.index === r.bestSample ? 'best' : '');
  if (!term.isStdoutTTY) {
    // `sample <n> <offsetMs> <delayMs> <status> [best]`: one record per line for awk.
    for (const s of r.samples) {
      term.out(['sample', s.index, s.offsetMs !== undefined ? signedMs(s.offsetMs) : '', s.delayMs !== undefined ? ms(s.delayMs) : '', s.status, mark(s)].join('\t'));
    }
    return;
  }
  await printTable<NtpSample>(
    term,
    [
      { header: '#', value: (s) => s.index, align: 'right' },
      { header: 'sent (UTC)', value: (s) => isoUtcMicros(s.sentAtUnixMs) },
      { header: 'offset ms', value: (s) => (s.offsetMs !== undefined ? signedMs(s.offsetMs) : ''), align: 'right' },
      { header: 'delay ms', value: (s) => (s.delayMs !== undefined ? ms(s.delayMs) : ''), align: 'right' },
      { header: 'status', value: (s) => s.status, style: (s): Style | undefined => (s.status === 'ok' ? undefined : 'yellow') },
      { header: 'best', value: mark, style: (s) => (mark(s) ? 'green' : undefined) },
    ],
    r.samples,
  );
}

// ---- human: several servers ----

export async function printNtpServers(term: Terminal, outcomes: readonly NtpOutcome[]): Promise<void> {
  const best = bestOutcome(outcomes);
  const report = (o: NtpOutcome) => ('report' in o ? o.report : undefined);
  await printTable<NtpOutcome>(
    term,
    [
      { header: 'server', value: (o) => o.server },
      { header: 'address', value: (o) => report(o)?.address ?? '' },
      { header: 'stratum', value: (o) => report(o)?.packet.stratum, align: 'right' },
      { header: 'refid', value: (o) => (report(o) ? formatRefId(report(o)!.packet) : '') },
      { header: 'offset ms', value: (o) => (report(o) ? signedMs(report(o)!.offsetMs) : ''), align: 'right' },
      { header: 'delay ms', value: (o) => (report(o) ? ms(report(o)!.delayMs) : ''), align: 'right' },
      { header: 'jitter ms', value: (o) => (report(o) && report(o)!.samples.length > 1 ? (report(o)!.stats.count < 2 ? '–' : ms(report(o)!.stats.jitterMs)) : ''), align: 'right' },
      { header: 'status', value: statusOf, style: (o) => (statusOf(o) === 'ok' ? 'green' : 'red') },
      { header: 'best', value: (o) => (o === best ? 'best' : ''), style: (o) => (o === best ? 'green' : undefined) },
    ],
    [...outcomes],
  );
  if (term.isStdoutTTY) term.out(best ? `best: ${best.server} (lowest root distance)` : 'best: none (no server gave a usable answer)');
}

// ---- formatting ----

function addressText(r: NtpServerReport): string {
  const where = r.family === 6 ? `[${r.address}]:${r.port}` : `${r.address}:${r.port}`;
  if (r.addresses.length <= 1) return where;
  const position = r.addresses.indexOf(r.address) + 1;
  const skipped = r.unanswered.map((u) => `${u.address}: ${u.why}`).join('; ');
  return `${where} (address ${position} of ${r.addresses.length}${skipped ? `; skipped ${skipped}` : ''})`;
}

function serverTransmitMs(r: NtpServerReport): number {
  return timestampToUnixMs(r.packet.transmitTimestamp, r.receivedAtUnixMs);
}

/** Milliseconds rounded to microseconds. */
function us(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function ms(value: number): string {
  return value.toFixed(3);
}

function signedMs(value: number): string {
  const text = value.toFixed(3);
  return value >= 0 && !text.startsWith('-') ? `+${text}` : text;
}

function trimNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(+n.toPrecision(6));
}

/** ISO 8601 in UTC with microseconds, e.g. 2026-11-24T10:30:00.123456Z. */
export function isoUtcMicros(unixMs: number): string {
  const whole = Math.floor(unixMs);
  const micros = Math.min(999, Math.floor((unixMs - whole) * 1000));
  return isoUtc(whole).replace('Z', `${String(micros).padStart(3, '0')}Z`);
}

/** ISO 8601 in the local time zone with microseconds and the UTC offset. */
export function isoLocal(unixMs: number): string {
  const whole = Math.floor(unixMs);
  const date = new Date(whole);
  const offsetMinutes = -date.getTimezoneOffset();
  const shifted = isoUtcMicros(unixMs + offsetMinutes * 60_000).slice(0, -1);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${shifted}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
