// Where a response body goes, and the Content-Encoding decoder in between.
// A sink takes Buffers with backpressure, like a Writable but simpler: write()
// returns false when the sender should wait for onceDrained().
import type { BrotliDecompress, Unzip } from 'node:zlib';
import { builtin } from '../shared/builtin.js';
import { SockkitError } from '../shared/errors.js';
import { createGarbageGovernor } from './memory.js';

export interface BodySink {
  /**
   * Takes the chunk; false means "wait for onceDrained". May throw. The sink may
   * keep a reference to the chunk only until the next flush().
   */
  write(chunk: Buffer): boolean;
  /** The caller is about to reuse the memory of the chunks written so far. */
  flush(): void;
  /** Calls `callback` once the sink can take more (or has failed: the next write throws). */
  onceDrained(callback: () => void): void;
  /** All bytes written; resolves when they are out of our hands. */
  end(): Promise<void>;
  /** Stops early (an error elsewhere); must not throw. */
  abort(): void;
}

/** Counts and drops the body (--json or --timing without -o). */
export function discardSink(): BodySink {
  return {
    write: () => true,
    flush: () => {},
    onceDrained: (cb) => cb(),
    end: async () => {},
    abort: () => {},
  };
}

export type ContentCoding = 'gzip' | 'deflate' | 'br';

/** The coding we can decode, or undefined (identity, or one we do not know). */
export function decodableCoding(contentEncoding: string | undefined): ContentCoding | undefined {
  const value = contentEncoding?.trim().toLowerCase();
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  if (value === 'br') return 'br';
  return undefined;
}

/**
 * Decodes gzip/deflate/br on the way to `downstream`, failing once the decoded
 * size passes `maxDecodedBytes`: a few kilobytes of gzip can expand to gigabytes
 * (a "gzip bomb"), and zlib itself has no such limit.
 */
export function decodingSink(coding: ContentCoding, downstream: BodySink, maxDecodedBytes: number): BodySink & { decodedBytes(): number } {
  // createUnzip reads both gzip and zlib-wrapped deflate, and concatenated gzip members.
  const zlib: Unzip | BrotliDecompress = coding === 'br' ? builtin('node:zlib').createBrotliDecompress() : builtin('node:zlib').createUnzip();
  let decoded = 0;
  let wroteAny = false;
  // zlib's output is fresh Buffers too: keep their memory from piling up (memory.ts).
  const governor = createGarbageGovernor();
  let failure: SockkitError | undefined;
  let waiters: Array<() => void> = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const cb of w) cb();
  };
  const fail = (err: SockkitError) => {
    if (!failure) failure = err;
    zlib.destroy();
    downstream.abort();
    wake();
  };
  zlib.on('data', (out: Buffer) => {
    if (failure) return;
    decoded += out.length;
    governor(out.length);
    if (decoded > maxDecodedBytes) {
      fail(
        new SockkitError(
          'PROTOCOL',
          'refused body',
          `it decodes to more than ${maxDecodedBytes} bytes (a compression bomb?)`,
          'raise the cap with --max-decoded-size',
        ),
      );
      return;
    }
    try {
      if (!downstream.write(out)) {
        zlib.pause();
        downstream.onceDrained(() => zlib.resume());
      }
    } catch (err) {
      fail(err instanceof SockkitError ? err : new SockkitError('UNEXPECTED', 'write body', String(err)));
    }
  });
  zlib.on('drain', wake);
  zlib.on('error', (err: Error) => fail(new SockkitError('PROTOCOL', `bad ${coding} body`, err.message)));
  const ended = new Promise<void>((resolve) => zlib.once('end', resolve));
  ended.catch(() => {});
  return {
    write(chunk) {
      if (failure) throw failure;
      if (chunk.length === 0) return true;
      wroteAny = true;
      // zlib holds on to its input until it has read it: give it a copy.
      return zlib.write(Buffer.from(chunk));
    },
    flush() {},
    onceDrained(cb) {
      if (failure || !zlib.writableNeedDrain) cb();
      else waiters.push(cb);
    },
    async end() {
      if (failure) throw failure;
      // An empty body is empty, whatever its Content-Encoding says (curl agrees):
      // zlib would call zero bytes a truncated stream.
      if (!wroteAny) {
        zlib.destroy();
        return downstream.end();
      }
      const settled = new Promise<void>((resolve, reject) => {
        const onFail = () => (failure ? reject(failure) : undefined);
        zlib.once('close', onFail);
        ended.then(resolve, reject);
      });
      zlib.end();
      await settled;
      if (failure) throw failure;
      await downstream.end();
    },
    abort() {
      if (!failure) failure = new SockkitError('UNEXPECTED', 'body', 'aborted');
      zlib.destroy();
      downstream.abort();
      wake();
    },
    decodedBytes: () => decoded,
  };
}
