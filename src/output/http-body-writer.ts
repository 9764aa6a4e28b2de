// Writes a response body to stdout or a file, fast. Body slices arrive as the
// socket reads them (16 KiB TLS records, 64 KiB TCP reads); one write call per
// slice through a WriteStream was measured 4x slower than curl. So slices are
// batched: held (not copied) until 256 KiB has gathered, or a short while has passed
// (files), or the current I/O turn ends (pipes), then written with one writev(2).
//
// Regular files and /dev/null get synchronous writev on the file descriptor,
// bypassing the stream layer on purpose: it is the fastest path, a disk write
// never needs backpressure, and the order with earlier stdout writes holds
// because Node writes to files synchronously. Pipes and TTYs go through the
// Terminal's stdout stream (they can block; the stream gives us backpressure).
import { closeSync, fstatSync, openSync, writevSync } from 'node:fs';
import { SockkitError, toSockkitError } from '../net/shared/errors.js';
import type { BodySink } from '../net/http/body.js';
import type { Terminal } from './terminal.js';

/**
 * 256 KiB, not more: the kernel copies each batch from our buffers into the page cache,
 * and a batch that still sits in the CPU's cache copies fast. 1 GiB over https to a
 * file, 8 interleaved runs each: 0.75–0.92 s with 256 KiB batches, 1.08–1.66 s with
 * 1 MiB (twice the system time), curl 1.06–1.17 s (L2 here: 1 MiB a core).
 */
const BATCH_BYTES = 256 * 1024;
/**
 * A file gets what has gathered at least this often, so a slow download still reaches
 * the disk as it arrives. A timer, not a flush at the end of every I/O turn: a fast TLS
 * download has 16,000 turns per GiB, and a setImmediate and a writev(2) for each cost
 * about 5 % of the CPU time of the whole transfer.
 */
const FILE_FLUSH_MS = 50;
// writev(2) takes at most IOV_MAX (1024 on Linux) buffers.
const MAX_IOVECS = 1024;

/** `append`: after the file's bytes (a resumed download), not in place of them. */
export type BodyDestination = { kind: 'stdout'; forced: boolean } | { kind: 'file'; path: string; append?: boolean };

export interface BodyWriterOptions {
  /** Shown before the body (-i): the response head, in the same stream, in order. */
  prefix?: Buffer;
  /** The response's Content-Type, to refuse binary before a byte reaches a terminal. */
  contentType?: string;
}

/** A sink for the body; throws a usage error for binary output to a terminal. */
export function openBodyWriter(term: Terminal, destination: BodyDestination, options: BodyWriterOptions = {}): BodySink {
  if (destination.kind === 'file') {
    let fd: number;
    try {
      fd = openSync(destination.path, destination.append ? 'a' : 'w');
    } catch (err) {
      const failure = toSockkitError(err, `open ${destination.path}`);
      throw new SockkitError('USAGE', `cannot write ${destination.path}`, (err as Error).message.replace(/^[A-Z]+: /, ''), undefined, {
        cause: failure,
      });
    }
    return withPrefix(new FdSink(fd, destination.path, true), options.prefix);
  }
  const guardTty = term.isStdoutTTY && !destination.forced;
  if (guardTty && options.contentType !== undefined && !isTextType(options.contentType)) refuseBinary(options.contentType);
  const fd = (term.stdout as { fd?: unknown }).fd;
  if (typeof fd === 'number' && !term.isStdoutTTY && isFileOrDevice(fd)) {
    return withPrefix(new FdSink(fd, 'stdout', false), options.prefix);
  }
  return withPrefix(new StreamSink(term, guardTty), options.prefix);
}

function withPrefix(sink: BodySink, prefix: Buffer | undefined): BodySink {
  if (prefix && prefix.length > 0) sink.write(prefix);
  return sink;
}

/** Per fd: several URLs write one stdout, whose kind does not change during the run (one fstat, not one per URL). */
const fileOrDevice = new Map<number, boolean>();

function isFileOrDevice(fd: number): boolean {
  let known = fileOrDevice.get(fd);
  if (known === undefined) {
    try {
      const stat = fstatSync(fd);
      known = stat.isFile() || stat.isCharacterDevice();
    } catch {
      known = false;
    }
    fileOrDevice.set(fd, known);
  }
  return known;
}

/** Content types that are safe to show on a terminal. */
export function isTextType(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === '' || type.startsWith('text/')) return true;
  return /^application\/(json|xml|javascript|ecmascript|x-www-form-urlencoded|x-sh|[\w.+-]*\+(json|xml))$/.test(type) || type === 'image/svg+xml';
}

function refuseBinary(what: string): never {
  throw new SockkitError(
    'USAGE',
    'refused to print the body',
    `it is binary (${what}) and stdout is a terminal`,
    'save it with -o FILE, or force it with -o -',
  );
}

/**
 * Staging buffers of sinks that have closed. Several URLs open one sink each: 800 small
 * bodies allocated 200 MB of 256 KiB stages, and the garbage collector took 12% of the run.
 */
const spareStage: Buffer[] = [];

/**
 * Synchronous, batched writev on a file descriptor. Chunks are held by reference; when
 * the caller is about to reuse their memory (flush), small ones are copied into a
 * staging buffer instead of written at once: TLS hands over one 16 KiB record per
 * read, and a writev(2) for each would be 65,536 system calls per GiB.
 */
class FdSink implements BodySink {
  /** In order: the staged bytes first (stage[0, staged)), then `pending`. */
  private stage: Buffer | undefined;
  private staged = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private failure: SockkitError | undefined;
  private closed = false;

  constructor(
    private readonly fd: number,
    private readonly name: string,
    private readonly owned: boolean,
  ) {}

  write(chunk: Buffer): boolean {
    if (this.failure) throw this.failure;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.staged + this.pendingBytes >= BATCH_BYTES || this.pending.length >= MAX_IOVECS - 1) this.writePending();
    else this.flushTimer ??= setTimeout(() => this.writePending(), FILE_FLUSH_MS);
    return true;
  }

  onceDrained(callback: () => void): void {
    callback();
  }

  flush(): void {
    if (this.pendingBytes === 0) return;
    if (this.staged + this.pendingBytes > BATCH_BYTES) return this.writePending();
    this.stage ??= spareStage.pop() ?? Buffer.allocUnsafe(BATCH_BYTES);
    for (const chunk of this.pending) this.staged += chunk.copy(this.stage, this.staged);
    this.pending = [];
    this.pendingBytes = 0;
  }

  async end(): Promise<void> {
    this.writePending();
    this.close();
    if (this.failure) throw this.failure;
  }

  abort(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.staged = 0;
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.flushTimer);
    // Written out synchronously by now: the next body's sink may stage in it.
    if (this.stage && spareStage.length < 4) spareStage.push(this.stage);
    this.stage = undefined;
    if (this.owned) {
      try {
        closeSync(this.fd);
      } catch {
        // nothing left to do with a descriptor that will not close
      }
    }
  }

  private writePending(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.failure || this.closed || (this.pending.length === 0 && this.staged === 0)) return;
    let buffers = this.staged > 0 ? [this.stage!.subarray(0, this.staged), ...this.pending] : this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.staged = 0;
    try {
      while (buffers.length > 0) {
        let written = writevSync(this.fd, buffers);
        // A short write: drop what was written and go on with the rest.
        let i = 0;
        while (i < buffers.length && written >= buffers[i]!.length) written -= buffers[i++]!.length;
        buffers = buffers.slice(i);
        if (written > 0 && buffers.length > 0) buffers[0] = buffers[0]!.subarray(written);
      }
    } catch (err) {
      const sys = err as NodeJS.ErrnoException;
      this.failure = new SockkitError('UNEXPECTED', `write ${this.name}`, sys.code === 'EPIPE' ? 'the reader went away (broken pipe)' : sys.message, undefined, {
        cause: err,
      });
    }
  }
}

/** Batched writes through a stream (pipes, terminals), with its backpressure. */
class StreamSink implements BodySink {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private needDrain = false;
  private waiters: Array<() => void> = [];
  private failure: SockkitError | undefined;
  private readonly stream: NodeJS.WritableStream & { writableNeedDrain?: boolean };

  constructor(
    term: Terminal,
    private readonly guardTty: boolean,
  ) {
    this.stream = term.stdout as unknown as NodeJS.WritableStream;
    this.stream.on?.('error', this.onError);
  }

  private readonly onError = (err: NodeJS.ErrnoException) => {
    this.failure = new SockkitError('UNEXPECTED', 'write stdout', err.code === 'EPIPE' ? 'the reader went away (broken pipe)' : err.message);
    this.wake();
  };

  write(chunk: Buffer): boolean {
    if (this.failure) throw this.failure;
    // A NUL byte means binary: it would garble the terminal (curl refuses the same way).
    if (this.guardTty && chunk.includes(0)) refuseBinary('it contains NUL bytes');
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= BATCH_BYTES) this.writePending();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.writePending();
      });
    }
    return !this.needDrain;
  }

  onceDrained(callback: () => void): void {
    if (!this.needDrain || this.failure) callback();
    else this.waiters.push(callback);
  }

  flush(): void {
    this.writePending();
  }

  async end(): Promise<void> {
    this.writePending();
    if (this.needDrain && !this.failure) await new Promise<void>((resolve) => this.waiters.push(resolve));
    // Several URLs open one sink each on the same stdout: leave no listener behind.
    this.stream.off?.('error', this.onError);
    if (this.failure) throw this.failure;
  }

  abort(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.stream.off?.('error', this.onError);
  }

  private writePending(): void {
    if (this.failure || this.pending.length === 0) return;
    // Always a copy: the stream keeps what it is given until written, and the
    // chunks may be views into a read buffer that is about to be reused.
    const data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.stream.write(data) && !this.needDrain) {
      this.needDrain = true;
      this.stream.once('drain', () => {
        this.needDrain = false;
        this.wake();
      });
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const cb of w) cb();
  }
}
