// http-get -C/--continue-at and -r/--range: the flags into a RangeAsk (src/net/http/resume.ts),
// the output file's size for `-C -`, and what each response does to the body's destination.
import { builtin } from '../net/shared/builtin.js';
import { toSockkitError, usageError } from '../net/shared/errors.js';
import { headerValue, type ResponseHead } from '../net/http/parser.js';
import { judgeRangeResponse, parseContinueAt, parseRangeOption, type RangeAsk } from '../net/http/resume.js';
import type { BodyDestination } from '../output/http-body-writer.js';
import type { Terminal } from '../output/terminal.js';

export interface RangeArgs {
  'continue-at'?: string;
  range?: string;
  output?: string;
}

/** The resume or range asked for, or null. `-C -` needs -o FILE: its size is the offset. */
export async function rangeAskFor(args: RangeArgs): Promise<RangeAsk | null> {
  if (args.range !== undefined) return { kind: 'range', set: parseRangeOption(args.range) };
  if (args['continue-at'] === undefined) return null;
  const at = parseContinueAt(args['continue-at']);
  if (at !== '-') return { kind: 'resume', offset: at, fromFile: false };
  const file = args.output;
  if (file === undefined || file === '-') throw usageError("bad --continue-at '-'", 'it resumes the -o FILE from its size, and there is no -o FILE', 'add -o FILE, or give the offset: -C BYTES');
  return { kind: 'resume', offset: await sizeOf(file), fromFile: true };
}

/** The size of the file to resume; 0 when it does not exist yet (the whole body then). */
async function sizeOf(path: string): Promise<number> {
  try {
    const info = await builtin('node:fs/promises').stat(path); // loaded only for -C -
    if (!info.isFile()) throw usageError(`cannot resume ${path}`, 'it is not a regular file');
    return info.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw toSockkitError(err, `cannot resume ${path}`);
  }
}

/**
 * Where the body of this response goes under the ask: appended to the file (a matching
 * 206), written as usual (a 200, or a range's 206), or nowhere (416: already complete).
 * A 206 that is not the range asked for throws before a byte is written.
 */
export function destinationUnderRange(ask: RangeAsk, head: ResponseHead, destination: BodyDestination | null, term: Terminal): BodyDestination | null {
  const target = destination?.kind === 'file' ? destination.path : 'stdout';
  const verdict = judgeRangeResponse(ask, head.status, head.reason, headerValue(head.headers, 'content-range'), target);
  if (verdict.body === 'discard') {
    term.note(verdict.note);
    return null;
  }
  if (verdict.note) term.warn(verdict.note);
  if (verdict.body === 'append' && destination?.kind === 'file') return { ...destination, append: true };
  return destination;
}
