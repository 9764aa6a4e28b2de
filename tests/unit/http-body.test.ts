import { describe, expect, test } from '@jest/globals';
import { gzipSync, deflateSync, brotliCompressSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodableCoding, decodingSink, type BodySink } from '../../src/net/http/body.js';
import { SockkitError } from '../../src/net/shared/errors.js';
import { isTextType, openBodyWriter } from '../../src/output/http-body-writer.js';
import { Terminal } from '../../src/output/terminal.js';
import { FakeStream } from '../helpers/fake-stream.js';

function collectingSink(): BodySink & { data: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    write: (c) => (chunks.push(Buffer.from(c)), true),
    flush: () => {},
    onceDrained: (cb) => cb(),
    end: async () => {},
    abort: () => {},
    data: () => Buffer.concat(chunks),
  };
}

async function decode(coding: 'gzip' | 'deflate' | 'br', encoded: Buffer, max = 1 << 30, pieceSize = 7): Promise<Buffer> {
  const out = collectingSink();
  const sink = decodingSink(coding, out, max);
  for (let i = 0; i < encoded.length; i += pieceSize) sink.write(encoded.subarray(i, i + pieceSize));
  await sink.end();
  return out.data();
}

describe('Content-Encoding decoding', () => {
  const text = Buffer.from('hello, compressed world\n'.repeat(100));

  test('gzip, deflate and br round-trip in small pieces', async () => {
    expect(await decode('gzip', gzipSync(text))).toEqual(text);
    expect(await decode('deflate', deflateSync(text))).toEqual(text);
    expect(await decode('br', brotliCompressSync(text))).toEqual(text);
  });

  test('concatenated gzip members are one body', async () => {
    expect(await decode('gzip', Buffer.concat([gzipSync('ab'), gzipSync('cd')]))).toEqual(Buffer.from('abcd'));
  });

  test('a gzip bomb stops at the decoded-size cap with a protocol error', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const err = await decode('gzip', bomb, 1024 * 1024, 4096).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SockkitError);
    expect((err as SockkitError).code).toBe('PROTOCOL');
    expect((err as SockkitError).why).toMatch(/more than 1048576 bytes/);
  });

  test('an empty body is empty, whatever its coding says (not a truncated stream)', async () => {
    for (const coding of ['gzip', 'deflate', 'br'] as const) expect(await decode(coding, Buffer.alloc(0))).toEqual(Buffer.alloc(0));
    const out = collectingSink();
    const sink = decodingSink('gzip', out, 1024);
    sink.write(Buffer.alloc(0));
    await sink.end();
    expect(out.data().length).toBe(0);
    expect(sink.decodedBytes()).toBe(0);
  });

  test('corrupt or truncated data is a protocol error', async () => {
    const truncated = gzipSync(text).subarray(0, 20);
    await expect(decode('gzip', truncated)).rejects.toMatchObject({ code: 'PROTOCOL' });
    await expect(decode('br', Buffer.from('not brotli at all'))).rejects.toMatchObject({ code: 'PROTOCOL' });
  });

  test('decodableCoding', () => {
    expect(decodableCoding('gzip')).toBe('gzip');
    expect(decodableCoding(' X-GZIP ')).toBe('gzip');
    expect(decodableCoding('br')).toBe('br');
    expect(decodableCoding('identity')).toBeUndefined();
    expect(decodableCoding('gzip, br')).toBeUndefined();
    expect(decodableCoding(undefined)).toBeUndefined();
  });
});

describe('body writer', () => {
  test('text types', () => {
    expect(isTextType('text/html; charset=utf-8')).toBe(true);
    expect(isTextType('application/json')).toBe(true);
    expect(isTextType('application/problem+json')).toBe(true);
    expect(isTextType('application/octet-stream')).toBe(false);
    expect(isTextType('image/png')).toBe(false);
  });

  test('a slow download reaches the file as it arrives, before the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockkit-http-body-'));
    try {
      const path = join(dir, 'slow.bin');
      const term = new Terminal({ stdout: new FakeStream(), stderr: new FakeStream() });
      const sink = openBodyWriter(term, { kind: 'file', path });
      sink.write(Buffer.from('first part\n'));
      expect(readFileSync(path, 'utf8')).toBe(''); // gathered, not yet written
      // Well past the flush interval (50 ms): poll rather than assume a schedule.
      for (let i = 0; i < 40 && readFileSync(path, 'utf8') === ''; i++) await new Promise((r) => setTimeout(r, 25));
      expect(readFileSync(path, 'utf8')).toBe('first part\n');
      sink.write(Buffer.from('second part\n'));
      await sink.end();
      expect(readFileSync(path, 'utf8')).toBe('first part\nsecond part\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file gets every chunk, in order, also when the caller reuses its buffer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockkit-http-body-'));
    try {
      const path = join(dir, 'out.bin');
      const term = new Terminal({ stdout: new FakeStream(), stderr: new FakeStream() });
      const sink = openBodyWriter(term, { kind: 'file', path }, { prefix: Buffer.from('HEAD\r\n\r\n') });
      const reused = Buffer.alloc(1000);
      const expected: Buffer[] = [Buffer.from('HEAD\r\n\r\n')];
      for (let i = 0; i < 50; i++) {
        reused.fill(i);
        sink.write(reused.subarray(0, 100 + i));
        sink.flush();
        expected.push(Buffer.alloc(100 + i, i));
      }
      await sink.end();
      expect(readFileSync(path)).toEqual(Buffer.concat(expected));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('binary to a terminal is refused (by Content-Type, and by NUL bytes)', () => {
    const tty = new FakeStream(true);
    const term = new Terminal({ stdout: tty, stderr: new FakeStream(), env: {} });
    expect(() => openBodyWriter(term, { kind: 'stdout', forced: false }, { contentType: 'image/png' })).toThrow(/binary/);
    const sink = openBodyWriter(term, { kind: 'stdout', forced: false }, { contentType: 'text/plain' });
    expect(sink.write(Buffer.from('fine\n'))).toBe(true);
    expect(() => sink.write(Buffer.from([0x41, 0x00, 0x42]))).toThrow(/NUL/);
  });

  test('-o - forces binary to a terminal', async () => {
    const tty = new FakeStream(true);
    const term = new Terminal({ stdout: tty, stderr: new FakeStream(), env: {} });
    const sink = openBodyWriter(term, { kind: 'stdout', forced: true }, { contentType: 'image/png' });
    sink.write(Buffer.from([1, 0, 2]));
    await sink.end();
    expect(tty.text).toBe('\u0001\u0000\u0002');
  });
});
