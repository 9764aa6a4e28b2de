// readUntilBlocked: blocking reads to the end, and a clean stop (nothing lost) when the
// descriptor is non-blocking and the writer has not finished.
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUntilBlocked } from '../../src/net/read-input.js';

/** Runs `body` with a fresh temporary directory, removed afterwards whatever happens. */
function withTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-input-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('readUntilBlocked', () => {
  test('a file: everything, in 64 KiB reads, then true at the end', () => {
    withTempDir((dir) => {
      const path = join(dir, 'names.txt');
      const text = Array.from({ length: 20_000 }, (_, i) => `host-${i}.test`).join('\n');
      writeFileSync(path, text);
      const fd = openSync(path, 'r');
      const chunks: Buffer[] = [];
      expect(readUntilBlocked(fd, chunks)).toBe(true);
      closeSync(fd);
      expect(chunks.length).toBeGreaterThan(1);
      expect(Buffer.concat(chunks).toString()).toBe(text);
    });
  });

  test('a limit: reading stops with its error once more than maxBytes have arrived', () => {
    withTempDir((dir) => {
      const path = join(dir, 'big.bin');
      writeFileSync(path, Buffer.alloc(200 * 1024));
      const fd = openSync(path, 'r');
      const chunks: Buffer[] = [];
      expect(() => readUntilBlocked(fd, chunks, { maxBytes: 100 * 1024, tooLong: () => new RangeError('too long') })).toThrow('too long');
      closeSync(fd);
      expect(chunks.reduce((sum, c) => sum + c.length, 0)).toBeLessThanOrEqual(100 * 1024);
    });
  });

  test('a non-blocking FIFO: false once it would block, with what was written so far kept', () => {
    withTempDir((dir) => {
      const fifo = join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      const writer = openSync(fifo, constants.O_WRONLY);
      writeSync(writer, 'first.test\nsecond.test\n');
      const chunks: Buffer[] = [];
      expect(readUntilBlocked(reader, chunks)).toBe(false); // the writer is still open
      expect(Buffer.concat(chunks).toString()).toBe('first.test\nsecond.test\n');
      writeSync(writer, 'third.test\n');
      closeSync(writer);
      expect(readUntilBlocked(reader, chunks)).toBe(true); // end of input
      expect(Buffer.concat(chunks).toString()).toBe('first.test\nsecond.test\nthird.test\n');
      closeSync(reader);
    });
  });
});
