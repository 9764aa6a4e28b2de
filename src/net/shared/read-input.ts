// Reads what commands take as input, always within limits and never in a way that
// keeps Ctrl-C or SIGTERM from ending the process: all of standard input
// (`sockkit resolve -`, `sockkit echo-client --udp`) and whole files named by flags
// (--cacert, --services-file, NODE_EXTRA_CA_CERTS).
//
// A blocking read (readSync) holds the one JavaScript thread: a signal handler cannot
// run until it returns, and on a silent pipe it never does. So readSync is used only
// where it cannot block: on regular files (size checked with fstat first) and on a
// descriptor opened O_NONBLOCK. Anything that may have to wait is read through the
// event loop (a stream), and a blocking read is never handed to the thread pool
// either: Node joins those threads when it exits, so one stuck read would hold the exit.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { Socket } from 'node:net';
import { builtin } from './builtin.js';
import { SockkitError, usageError } from './errors.js';

/** How much input a reader takes before it gives up. */
export interface InputLimit {
  maxBytes: number;
  /** The most lines (newline-terminated or not). */
  maxLines?: number;
  /** The longest line, in bytes, without its newline. */
  maxLineBytes?: number;
  /** The error for input past a limit, told which one (`more than 64 MiB`). */
  tooLong: (why: string) => Error;
}

/** Counts input against an InputLimit as it arrives, and throws as soon as it is crossed. */
export class LimitedInput {
  readonly chunks: Buffer[] = [];
  private bytes = 0;
  private lines = 0;
  private lineBytes = 0;

  constructor(private readonly limit: InputLimit | undefined) {}

  add(chunk: Buffer): void {
    const limit = this.limit;
    if (limit) {
      this.bytes += chunk.length;
      if (this.bytes > limit.maxBytes) throw limit.tooLong(`more than ${formatBytes(limit.maxBytes)}`);
      if (limit.maxLines !== undefined || limit.maxLineBytes !== undefined) this.countLines(chunk, limit);
    }
    this.chunks.push(chunk);
  }

  private countLines(chunk: Buffer, limit: InputLimit): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      const end = newline === -1 ? chunk.length : newline;
      if (this.lineBytes === 0 && end > start) this.lines++; // a line starts here
      this.lineBytes += end - start;
      if (limit.maxLineBytes !== undefined && this.lineBytes > limit.maxLineBytes) {
        throw limit.tooLong(`line ${this.lines} is longer than ${formatBytes(limit.maxLineBytes)}`);
      }
      if (newline === -1) break;
      if (this.lineBytes === 0) this.lines++; // an empty line
      this.lineBytes = 0;
      start = newline + 1;
      if (limit.maxLines !== undefined && this.lines > limit.maxLines) {
        throw limit.tooLong(`more than ${limit.maxLines.toLocaleString('en-US')} lines`);
      }
    }
    if (limit.maxLines !== undefined && this.lines > limit.maxLines) {
      throw limit.tooLong(`more than ${limit.maxLines.toLocaleString('en-US')} lines`);
    }
  }

  /** Refuses input known to be `size` bytes before it is read (a regular file's fstat size). */
  refuseLargerThanLimit(size: number): void {
    if (this.limit && size > this.limit.maxBytes) {
      throw this.limit.tooLong(`more than ${formatBytes(this.limit.maxBytes)} (${formatBytes(size)})`);
    }
  }

  result(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * All of standard input, within `limit`. A regular file is read at once (refused
 * unread when fstat says it is too large); a pipe, FIFO or device is first read
 * through a non-blocking descriptor of its own, which takes what a finished writer
 * left in it without creating process.stdin (≈7 ms); the rest, and a terminal or a
 * socket, is read as a stream, where Ctrl-C and SIGTERM are handled as they arrive.
 */
export async function readStdin(limit?: InputLimit): Promise<Buffer> {
  const stat = fstatSync(0);
  const input = new LimitedInput(limit);
  if (stat.isDirectory()) throw usageError('stdin', 'a directory, not a file or a stream');
  if (stat.isFile()) {
    readRegularFile(0, stat, input);
    return input.result();
  }
  if (!builtin('node:tty').isatty(0) && readNonBlocking('/proc/self/fd/0', input)) return input.result();
  for await (const chunk of process.stdin) input.add(chunk as Buffer);
  return input.result();
}

/**
 * Reopens `path` with O_NONBLOCK (a file description of its own: fd 0 stays as it
 * was) and reads it until it ends (true) or would block (false). False too when it
 * cannot be reopened that way (a socket; a system without /proc).
 */
function readNonBlocking(path: string, input: LimitedInput): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    return readUntilBlocked(fd, (chunk) => input.add(chunk));
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads `fd` to its end, handing each chunk to `add`; false if a read would block
 * first (EAGAIN). Only for descriptors that cannot block: regular files, or opened O_NONBLOCK.
 */
export function readUntilBlocked(fd: number, add: (chunk: Buffer) => void): boolean {
  for (;;) {
    const chunk = readChunk(fd);
    if (chunk === undefined) return false;
    if (chunk === null) return true;
    add(chunk);
  }
}

/**
 * One read of up to 64 KiB from `fd` (a regular file, or opened O_NONBLOCK): the bytes,
 * null at the end, undefined when the read would block (EAGAIN). Other errors are thrown.
 */
export function readChunk(fd: number): Buffer | null | undefined {
  const buf = Buffer.allocUnsafe(64 * 1024);
  let n: number;
  try {
    n = readSync(fd, buf, 0, buf.length, null);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return undefined;
    throw err;
  }
  return n === 0 ? null : buf.subarray(0, n);
}

/** A regular file, refused unread when it is already larger than the limit (it may still grow while read). */
function readRegularFile(fd: number, stat: Stats, input: LimitedInput): void {
  input.refuseLargerThanLimit(stat.size);
  readUntilBlocked(fd, (chunk) => input.add(chunk));
}

/**
 * A whole file named by a flag (--cacert, --services-file), at most `maxBytes`.
 * Regular files and FIFOs (`--cacert <(...)`, /dev/stdin from a pipe) are read; a
 * device, directory or socket is refused. A FIFO is opened without waiting for its
 * writer and read as a stream, so a writer that never comes or never finishes leaves
 * the process free to end on Ctrl-C or SIGTERM. Throws a USAGE SockkitError naming
 * `path` and why (not found, not a regular file, too large, unreadable).
 */
export async function readBoundedFile(path: string, maxBytes: number): Promise<Buffer> {
  const tooLong = (why: string) => usageError(path, why);
  const { fd, stat } = openInputFile(path);
  let handedToStream = false;
  try {
    const input = new LimitedInput({ maxBytes, tooLong });
    if (stat.isFile()) {
      readRegularFile(fd, stat, input);
      return input.result();
    }
    handedToStream = true;
    await readFifo(fd, input);
    return input.result();
  } catch (err) {
    throw err instanceof SockkitError ? err : fileError(path, err);
  } finally {
    if (!handedToStream) closeSync(fd);
  }
}

/**
 * Opens a file named on the command line, and its stat: a regular file or a FIFO (opened
 * O_NONBLOCK, so a FIFO without a writer yet does not block the open); anything else
 * is a USAGE error naming `path` and what it is, the descriptor closed again.
 */
export function openInputFile(path: string): { fd: number; stat: Stats } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() && !stat.isFIFO()) throw usageError(path, `${nonRegularKind(stat)}, not a regular file`);
    return { fd, stat };
  } catch (err) {
    closeSync(fd);
    throw err instanceof SockkitError ? err : fileError(path, err);
  }
}

/** Reads a FIFO through the event loop; the stream owns `fd` and closes it. */
async function readFifo(fd: number, input: LimitedInput): Promise<void> {
  const stream = new Socket({ fd, readable: true, writable: false });
  try {
    for await (const chunk of stream) input.add(chunk as Buffer);
  } finally {
    stream.destroy();
  }
}

export function nonRegularKind(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'a directory, not a regular file',
  ENOTDIR: 'no such file (a part of the path is not a directory)',
  ENXIO: 'a socket or device without a reader, not a regular file',
  ELOOP: 'too many symbolic links',
};

export function fileError(path: string, err: unknown): SockkitError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why = (code && FILE_ERRORS[code]) ?? (code ? `cannot read it (${code})` : String(err));
  return usageError(path, why);
}

/** 65536 → '64 KiB', 16777216 → '16 MiB', 65507 → '65,507 bytes'. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes.toLocaleString('en-US')} bytes`;
}

/**
 * The lines of a stream as they arrive (without their "\n"; a "\r" before it is kept
 * off too), each at most `maxLineBytes`: a longer one throws a USAGE SockkitError
 * instead of growing without end (readline has no such bound).
 */
export async function* boundedLines(stream: AsyncIterable<Buffer | string>, maxLineBytes: number, what: string): AsyncGenerator<string> {
  let pending = Buffer.alloc(0);
  for await (const piece of stream) {
    pending = pending.length ? Buffer.concat([pending, Buffer.from(piece)]) : Buffer.from(piece);
    let newline: number;
    while ((newline = pending.indexOf(0x0a)) !== -1) {
      yield lineText(pending.subarray(0, newline));
      pending = pending.subarray(newline + 1);
    }
    if (pending.length > maxLineBytes) throw usageError(what, `a line longer than ${formatBytes(maxLineBytes)}`);
  }
  if (pending.length > 0) yield lineText(pending);
}

function lineText(line: Buffer): string {
  return (line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line).toString('utf8');
}
