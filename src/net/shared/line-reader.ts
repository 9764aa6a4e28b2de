// Lines of input read lazily, a chunk at a time, only when the reader asks for the
// next one: a list of ten million names never sits in memory, and a consumer that
// stops asking stops the reading (back-pressure). Regular files are read with readSync
// (which cannot block on them); pipes and FIFOs with non-blocking readSync while data is
// there, then (and terminals and sockets) through the event loop, so that Ctrl-C and
// SIGTERM are handled while input is awaited (read-input.ts).
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { usageError } from './errors.js';
import { formatBytes, openInputFile, readChunk } from './read-input.js';

/** Where lines come from, one at a time. */
export interface LineSource {
  /** The next line (without its newline; a "\r" before it is dropped too); null at the end; undefined when none has arrived yet. Throws when the input is unreadable or a line too long. */
  next(): string | null | undefined;
  /** Calls `then` once next() has something new to say (a line, the end, an error). */
  whenReady(then: () => void): void;
  /** Lines handed out so far. */
  readonly lineNumber: number;
  /** Stops reading and releases the input. */
  close(): void;
}

/** Raw chunks, pulled one at a time: a Buffer, null at the end, undefined when none is ready. */
interface ChunkPuller {
  pull(): Buffer | null | undefined;
  whenReady(then: () => void): void;
  close(): void;
}

/** Splits pulled chunks into lines, each at most `maxLineBytes`. */
class ChunkLines implements LineSource {
  lineNumber = 0;
  private text = '';
  private at = 0;
  private carry = '';
  private ended = false;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly puller: ChunkPuller,
    private readonly maxLineBytes: number,
    private readonly what: string,
  ) {}

  next(): string | null | undefined {
    for (;;) {
      const newline = this.text.indexOf('\n', this.at);
      if (newline !== -1) {
        let line = this.text.slice(this.at, newline);
        this.at = newline + 1;
        if (this.carry !== '') {
          line = this.carry + line;
          this.carry = '';
        }
        return this.hand(line);
      }
      if (this.ended) {
        const rest = this.carry + this.text.slice(this.at);
        this.carry = this.text = '';
        this.at = 0;
        return rest === '' ? null : this.hand(rest);
      }
      this.carry += this.text.slice(this.at);
      this.checkLength(this.carry);
      this.text = '';
      this.at = 0;
      const chunk = this.puller.pull();
      if (chunk === undefined) return undefined;
      if (chunk === null) {
        this.ended = true;
        this.text = this.decoder.end();
      } else {
        this.text = this.decoder.write(chunk);
      }
    }
  }

  whenReady(then: () => void): void {
    this.puller.whenReady(then);
  }

  close(): void {
    this.puller.close();
  }

  private hand(line: string): string {
    this.checkLength(line);
    this.lineNumber++;
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  }

  /** Characters never outnumber bytes: the byte count is taken only when it could matter. */
  private checkLength(line: string): void {
    if (line.length * 3 > this.maxLineBytes && Buffer.byteLength(line) > this.maxLineBytes) {
      throw usageError(this.what, `line ${this.lineNumber + 1} is longer than ${formatBytes(this.maxLineBytes)}`);
    }
  }
}

/** A regular file: read on demand with readSync, which never blocks on one. */
class FilePuller implements ChunkPuller {
  private fd: number | undefined;

  constructor(fd: number, private readonly owned: boolean) {
    this.fd = fd;
  }

  pull(): Buffer | null {
    if (this.fd === undefined) return null;
    const chunk = readChunk(this.fd); // a regular file never blocks: never undefined
    if (!chunk) {
      this.close();
      return null;
    }
    return chunk;
  }

  whenReady(then: () => void): void {
    process.nextTick(then);
  }

  close(): void {
    if (this.fd !== undefined && this.owned) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * A pipe or FIFO opened non-blocking: read with readSync while data is there, which
 * never blocks on it; at the first EAGAIN (the writer is slower than the reader) the
 * rest goes through a net.Socket stream, so that Ctrl-C is handled while waiting.
 * A list a program wrote at once is read without any stream: creating the net.Socket
 * cost a list run about 2 ms of CPU, a one-name run included.
 */
class PipePuller implements ChunkPuller {
  private stream?: StreamPuller;
  private fd: number | undefined;

  constructor(fd: number, private readonly what: string) {
    this.fd = fd;
  }

  pull(): Buffer | null | undefined {
    if (this.stream) return this.stream.pull();
    if (this.fd === undefined) return null;
    let chunk: Buffer | null | undefined;
    try {
      chunk = readChunk(this.fd);
    } catch (err) {
      throw usageError(this.what, `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (chunk === undefined) {
      this.stream = new StreamPuller(new Socket({ fd: this.fd, readable: true, writable: false }), this.what);
      return this.stream.pull();
    }
    if (chunk === null) this.close();
    return chunk;
  }

  whenReady(then: () => void): void {
    if (this.stream) this.stream.whenReady(then);
    else process.nextTick(then);
  }

  close(): void {
    if (this.stream) this.stream.close();
    else if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** A stream in paused mode: read() takes what is buffered; the stream stops reading from its source while nobody takes. */
class StreamPuller implements ChunkPuller {
  private ended = false;
  private error?: Error;
  private waiter?: () => void;

  constructor(private readonly stream: Readable, private readonly what: string) {
    stream.on('readable', () => this.wake());
    stream.on('end', () => {
      this.ended = true;
      this.wake();
    });
    stream.on('error', (err) => {
      this.error = err;
      this.wake();
    });
  }

  pull(): Buffer | null | undefined {
    if (this.error) throw usageError(this.what, `cannot read it (${(this.error as NodeJS.ErrnoException).code ?? this.error.message})`);
    const chunk = this.stream.read() as Buffer | string | null;
    if (chunk !== null) return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    return this.ended ? null : undefined;
  }

  whenReady(then: () => void): void {
    this.waiter = then;
    // something may already be buffered, or the end already seen
    if (this.ended || this.error || this.stream.readableLength > 0) this.wake();
  }

  close(): void {
    this.waiter = undefined;
    this.stream.destroy();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

/** The lines of stdin (`resolve -`), read as they are needed. */
export function stdinLines(maxLineBytes: number, what: string): LineSource {
  const stat = fstatSync(0);
  if (stat.isDirectory()) throw usageError('stdin', 'a directory, not a file or a stream');
  if (stat.isFile()) return new ChunkLines(new FilePuller(0, false), maxLineBytes, what);
  if (stat.isFIFO()) {
    // a descriptor of its own, non-blocking, for a stream: fd 0 stays as it was
    try {
      const fd = openSync('/proc/self/fd/0', constants.O_RDONLY | constants.O_NONBLOCK);
      return new ChunkLines(new PipePuller(fd, what), maxLineBytes, what);
    } catch {
      // no /proc: process.stdin below
    }
  }
  return new ChunkLines(new StreamPuller(process.stdin, what), maxLineBytes, what);
}

/** The lines of a file (`-f FILE`): a regular file or a FIFO; a device, directory or socket is refused. */
export function fileLines(path: string, maxLineBytes: number): LineSource {
  const { fd, stat } = openInputFile(path);
  return new ChunkLines(stat.isFile() ? new FilePuller(fd, true) : new PipePuller(fd, path), maxLineBytes, path);
}

/** Fixed lines (names given on the command line), as a source. */
export function arrayLines(lines: readonly string[]): LineSource {
  let i = 0;
  return {
    get lineNumber() {
      return i;
    },
    next: () => (i < lines.length ? lines[i++]! : null),
    whenReady: (then) => process.nextTick(then),
    close: () => {},
  };
}

/** One source after another. */
export function concatLines(sources: LineSource[]): LineSource {
  let i = 0;
  let count = 0;
  return {
    get lineNumber() {
      return count;
    },
    next() {
      while (i < sources.length) {
        const line = sources[i]!.next();
        if (line === null) {
          sources[i++]!.close();
          continue;
        }
        if (line !== undefined) count++;
        return line;
      }
      return null;
    },
    whenReady: (then) => (i < sources.length ? sources[i]!.whenReady(then) : process.nextTick(then)),
    close: () => sources.slice(i).forEach((s) => s.close()),
  };
}
