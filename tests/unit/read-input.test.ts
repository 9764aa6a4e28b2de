// readUntilBlocked: reads to the end, and a clean stop (nothing lost) when the
// descriptor is non-blocking and the writer has not finished. LimitedInput: every
// limit (bytes, lines, line length) stops the input as soon as it is crossed.
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LimitedInput, readBoundedFile, readUntilBlocked } from '../../src/net/shared/read-input.js';

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
      expect(readUntilBlocked(fd, (c) => chunks.push(c))).toBe(true);
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
      const input = new LimitedInput({ maxBytes: 100 * 1024, tooLong: (why) => new RangeError(why) });
      expect(() => readUntilBlocked(fd, (c) => input.add(c))).toThrow('more than 100 KiB');
      closeSync(fd);
      expect(input.result().length).toBeLessThanOrEqual(100 * 1024);
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
      expect(readUntilBlocked(reader, (c) => chunks.push(c))).toBe(false); // the writer is still open
      expect(Buffer.concat(chunks).toString()).toBe('first.test\nsecond.test\n');
      writeSync(writer, 'third.test\n');
      closeSync(writer);
      expect(readUntilBlocked(reader, (c) => chunks.push(c))).toBe(true); // end of input
      expect(Buffer.concat(chunks).toString()).toBe('first.test\nsecond.test\nthird.test\n');
      closeSync(reader);
    });
  });
});

describe('LimitedInput', () => {
  const limited = (limit: { maxBytes?: number; maxLines?: number; maxLineBytes?: number }) =>
    new LimitedInput({ maxBytes: 1024 ** 3, ...limit, tooLong: (why) => new RangeError(why) });

  test('lines are counted across chunks, with or without a final newline', () => {
    const input = limited({ maxLines: 4 });
    for (const chunk of ['a.test\nb.', 'test\n\n', 'c']) input.add(Buffer.from(chunk)); // a, b, (empty), c: 4 lines
    expect(() => limited({ maxLines: 3 }).add(Buffer.from('a\nb\n\nc'))).toThrow('more than 3 lines');
    expect(() => input.add(Buffer.from('\n'))).not.toThrow(); // ends line 4
    expect(() => input.add(Buffer.from('d'))).toThrow('more than 4 lines');
  });

  test('a line longer than the limit is refused as soon as it is seen, even without a newline', () => {
    const input = limited({ maxLineBytes: 10 });
    input.add(Buffer.from('0123456789\n0123'));
    expect(() => input.add(Buffer.from('456789X'))).toThrow('line 2 is longer than 10 bytes');
  });

  test('bytes: more than maxBytes is refused', () => {
    const input = limited({ maxBytes: 4 });
    input.add(Buffer.from('abcd'));
    expect(() => input.add(Buffer.from('e'))).toThrow('more than 4 bytes');
  });
});

describe('readBoundedFile', () => {
  test('a regular file within the limit is read; a larger one is refused unread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockkit-input-'));
    try {
      const path = join(dir, 'f');
      writeFileSync(path, 'x'.repeat(2048));
      expect((await readBoundedFile(path, 4096)).length).toBe(2048);
      await expect(readBoundedFile(path, 1024)).rejects.toThrow(`${path}: more than 1 KiB (2 KiB)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['/dev/zero', 'a character device, not a regular file'],
    ['/dev/urandom', 'a character device, not a regular file'],
    ['/', 'a directory, not a regular file'],
    ['/no/such/file', 'no such file'],
  ])('%s is refused: %s', async (path, why) => {
    await expect(readBoundedFile(path, 1024)).rejects.toMatchObject({ code: 'USAGE', what: path, why });
  });
});
