// Resume (-C/--continue-at) and ranges (-r/--range): the Range header we send, and what a
// response means for it (RFC 9110 14). A 206 is used only when its Content-Range is the
// range asked for; a 200 is the whole body (the server ignores ranges); a 416 to a resume
// is success when the file already holds every byte. Pure: no sockets, no files.
import { SockkitError, usageError } from '../shared/errors.js';

export type RangeAsk =
  /** -C: bytes from `offset` on; `fromFile` when -C - took it from the output file's size. */
  | { kind: 'resume'; offset: number; fromFile: boolean }
  /** -r: the byte-range-set as given (`A-B`, `A-`, `-N`, or a list of them). */
  | { kind: 'range'; set: string };

/** -C's value: '-' (from the output file's size) or a byte offset. */
export function parseContinueAt(text: string): '-' | number {
  if (text === '-') return '-';
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  throw usageError(`bad --continue-at '${text}'`, "not '-' or a byte offset", "'-C -' resumes from the size of the -o FILE");
}

const RANGE_SPEC = /^(\d+)-(\d*)$|^-(\d+)$/;

/** -r's byte-range-set, checked (RFC 9110 14.1.1) and passed on as written. */
export function parseRangeOption(text: string): string {
  const specs = text.split(',');
  for (const spec of specs) {
    const m = RANGE_SPEC.exec(spec);
    if (!m) throw usageError(`bad --range '${text}'`, `'${spec}' is not A-B, A- or -N (byte positions, comma-separated)`);
    if (m[2] !== undefined && m[2] !== '' && Number(m[2]) < Number(m[1])) throw usageError(`bad --range '${text}'`, `'${spec}' ends before it starts`);
    if (m[3] !== undefined && Number(m[3]) === 0) throw usageError(`bad --range '${text}'`, "'-0' asks for no bytes");
  }
  return text;
}

/** The Range field for the ask, or undefined (a resume from byte 0 is a plain GET). */
export function rangeHeader(ask: RangeAsk): string | undefined {
  if (ask.kind === 'range') return `bytes=${ask.set}`;
  return ask.offset > 0 ? `bytes=${ask.offset}-` : undefined;
}

export type ContentRange = { start: number; end: number; total: number | null } | { unsatisfied: true; total: number };

// Content-Range (RFC 9110 14.4): bytes A-B/T, bytes A-B/* (total unknown), or bytes */T
// (a 416: nothing satisfiable of T bytes); null when it is none of them.
export function parseContentRange(value: string | undefined): ContentRange | null {
  if (value === undefined) return null;
  const m = /^bytes[ \t]+(?:(\d+)-(\d+)\/(\d+|\*)|\*\/(\d+))$/i.exec(value.trim());
  if (!m) return null;
  if (m[4] !== undefined) return { unsatisfied: true, total: Number(m[4]) };
  const [start, end] = [Number(m[1]), Number(m[2])];
  const total = m[3] === '*' ? null : Number(m[3]);
  if (end < start || (total !== null && end >= total)) return null;
  return { start, end, total };
}

/** What to do with a response's body. `note` goes to stderr; a mismatch is thrown. */
export type RangeVerdict =
  | { body: 'append'; note?: string }
  | { body: 'write'; note?: string }
  | { body: 'discard'; note: string };

/**
 * The response to a resume or a range, judged before any byte of its body is written.
 * `target` names where the body goes (the file, or stdout) in the notes and errors.
 */
export function judgeRangeResponse(ask: RangeAsk, status: number, reason: string, contentRangeField: string | undefined, target: string): RangeVerdict {
  const asked = rangeHeader(ask);
  if (asked === undefined) return { body: 'write' };
  const answer = `${status}${reason ? ` ${reason}` : ''}`;
  const what = `${asked.replace('=', ' ')} of ${target}`;
  const mismatch = (why: string) => new SockkitError('PROTOCOL', what, why, ask.kind === 'resume' ? `${target} is left as it was` : undefined);
  const range = parseContentRange(contentRangeField);
  const shown = contentRangeField === undefined ? 'no Content-Range' : `Content-Range '${contentRangeField}'`;
  if (status === 206) {
    if (ask.kind === 'range' && ask.set.includes(',')) return { body: 'write' }; // a list: the parts as sent
    if (range === null || 'unsatisfied' in range) throw mismatch(`the server answered 206 with ${shown}`);
    const expected = expectedStart(ask, range);
    if (range.start !== expected.start || (expected.end !== undefined && range.end !== expected.end) || (ask.kind === 'range' && !withinAsked(ask.set, range))) {
      throw mismatch(`the server sent ${shown}, not the range asked for (${asked})`);
    }
    return { body: ask.kind === 'resume' ? 'append' : 'write' };
  }
  if (status === 200) {
    const restarted = ask.kind === 'resume' && target !== 'stdout' ? `: ${target} restarted from byte 0` : '';
    return { body: 'write', note: `the server ignored the range and sent the whole body (200)${restarted}` };
  }
  if (status === 416 && ask.kind === 'resume') {
    if (range !== null && 'unsatisfied' in range && range.total !== ask.offset) {
      throw mismatch(`the server answered ${answer}: it has ${range.total} bytes, and the resume was from byte ${ask.offset}`);
    }
    const complete = target === 'stdout' ? `nothing past byte ${ask.offset}` : `${target} is already complete (${ask.offset} bytes`;
    return { body: 'discard', note: `${complete}${target === 'stdout' ? ' (' : '; '}the server answered ${answer} to ${asked})` };
  }
  // Anything else (an error status) is not the body of the file being resumed.
  if (ask.kind === 'resume' && target !== 'stdout') throw mismatch(`the server answered ${answer}, not 206 Partial Content`);
  return { body: 'write' };
}

/** The first byte (and for -N, the last) that a 206 to this ask must carry. */
function expectedStart(ask: RangeAsk, range: { start: number; end: number; total: number | null }): { start: number; end?: number } {
  if (ask.kind === 'resume') return { start: ask.offset };
  const m = RANGE_SPEC.exec(ask.set)!;
  if (m[3] === undefined) return { start: Number(m[1]) };
  // -N: the last N bytes, or all of them when there are fewer.
  const suffix = Number(m[3]);
  if (range.total === null) return { start: range.start, end: range.end };
  return { start: Math.max(0, range.total - suffix), end: range.total - 1 };
}

/** A 206 to `A-B` may end early (at the end of the resource) but never past B; one to `-N` has at most N bytes. */
function withinAsked(set: string, range: { start: number; end: number }): boolean {
  const m = RANGE_SPEC.exec(set)!;
  if (m[3] !== undefined) return range.end - range.start + 1 <= Number(m[3]);
  return m[2] === undefined || m[2] === '' ? true : range.end <= Number(m[2]);
}
