// The bulk scheduler (net/dns/bulk.ts) against a fake transport that answers in a
// scrambled order: one result per line in input order, the window and the reorder
// limit never exceeded, lines read only as the window makes room, bad lines never
// asked, A and AAAA as one result; and the line reader across chunk boundaries.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeFamilies, nameOfLine, resolveStream, type BulkCounters } from '../../src/net/dns/bulk.js';
import { arrayLines, concatLines, fileLines, type LineSource } from '../../src/net/shared/line-reader.js';
import { RecordType, type DnsMessage, type DnsRecord } from '../../src/net/dns/packet.js';
import type { DnsTransport, ReplyCallback } from '../../src/net/dns/transport.js';
import type { ResolveResult } from '../../src/net/dns/resolve.js';
import { noTrace } from '../../src/net/shared/trace.js';
import { SockkitError } from '../../src/net/shared/errors.js';

/** Answers every question after a delay of its own (a name starting `slow` waits longest); A gets an address, AAAA none (NODATA), `nx*` NXDOMAIN. */
class FakeTransport implements DnsTransport {
  readonly label = 'fake:53';
  inFlight = 0;
  maxInFlight = 0;
  asked: Array<[string, number]> = [];
  constructor(private readonly delay: (name: string) => number) {}
  open = async () => {};
  close = async () => {};
  cancelAll(reason: SockkitError): void {
    void reason;
  }
  ask(name: string, type: number, _timeoutMs: number, done: ReplyCallback): void {
    this.asked.push([name, type]);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    setTimeout(() => {
      this.inFlight--;
      const answers: DnsRecord[] = type === RecordType.A && !name.startsWith('nx') ? [{ name, type, class: 1, ttl: 60, data: { kind: 'A', address: '192.0.2.1' } }] : [];
      const message = { id: 1, qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: name.startsWith('nx') ? 3 : 0, questions: [{ name, type, class: 1 }], answers, authorities: [], additionals: [] } as unknown as DnsMessage;
      done(undefined, { message, transport: 'udp', raw: Buffer.alloc(12) });
    }, this.delay(name));
  }
}

/** A source that hands out `lines` one at a time and records how far ahead of the output it was read. */
function countingSource(lines: string[]): LineSource & { handed: () => number } {
  const inner = arrayLines(lines);
  let handed = 0;
  return {
    get lineNumber() {
      return inner.lineNumber;
    },
    next() {
      const line = inner.next();
      if (typeof line === 'string') handed++;
      return line;
    },
    whenReady: (then) => inner.whenReady(then),
    close: () => inner.close(),
    handed: () => handed,
  };
}

async function run(lines: string[], transport: FakeTransport, extra: { types?: number[]; concurrency?: number; reorderLimit?: number; ratePerSecond?: number } = {}) {
  const results: ResolveResult[] = [];
  const counters: BulkCounters = { names: 0, queries: 0, namesDone: 0 };
  const source = countingSource(lines);
  let mostAhead = 0;
  await resolveStream(source, {
    servers: { transports: [transport], mode: 'each' },
    serversForAll: true,
    types: extra.types,
    timeoutMs: 1000,
    concurrency: extra.concurrency ?? 10,
    reorderLimit: extra.reorderLimit,
    ratePerSecond: extra.ratePerSecond,
    trace: noTrace,
    counters,
    onResult: (r) => {
      results.push(r);
      mostAhead = Math.max(mostAhead, source.handed() - results.length);
    },
  });
  return { results, counters, mostAhead };
}

describe('resolveStream', () => {
  test('one result per line, in input order, whatever order the answers come in; the window holds', async () => {
    const names = Array.from({ length: 500 }, (_, i) => `n${i}.test`);
    const transport = new FakeTransport((name) => (Number(name.slice(1, -6)) * 7919) % 13);
    const { results, counters } = await run(names, transport, { types: [RecordType.A], concurrency: 25 });
    expect(results.map((r) => r.name)).toEqual(names);
    expect(results.every((r) => r.status === 'ok' && r.answers[0]!.value === '192.0.2.1')).toBe(true);
    expect(transport.maxInFlight).toBeLessThanOrEqual(25);
    expect(transport.maxInFlight).toBeGreaterThan(1);
    expect(counters).toEqual({ names: 500, queries: 500, namesDone: 500 });
  });

  test('answers handed over in one turn refill the window in one burst after them, back to full', async () => {
    // A server that answers everything waiting in one go, as a socket read of many datagrams does.
    const log: string[] = [];
    const waiting: Array<() => void> = [];
    let inFlight = 0;
    const bursts: number[] = [];
    const transport = new FakeTransport(() => 0);
    transport.ask = (name, type, _timeoutMs, done) => {
      log.push('ask');
      inFlight++;
      waiting.push(() => {
        inFlight--;
        log.push('answer');
        const message = { id: 1, qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0, questions: [{ name, type, class: 1 }], answers: [], authorities: [], additionals: [] } as unknown as DnsMessage;
        done(undefined, { message, transport: 'udp', raw: Buffer.alloc(12) });
      });
      if (waiting.length === 1) {
        setTimeout(() => {
          bursts.push(inFlight);
          for (const answer of waiting.splice(0)) answer();
        }, 1);
      }
    };
    const names = Array.from({ length: 100 }, (_, i) => `b${i}.test`);
    const { results } = await run(names, transport, { types: [RecordType.A], concurrency: 10 });
    expect(results.map((r) => r.name)).toEqual(names);
    // every burst of answers came before any refill: the log is runs of 10 asks, then 10 answers
    expect(log.join(' ')).toBe(Array.from({ length: 10 }, () => [...Array(10).fill('ask'), ...Array(10).fill('answer')].join(' ')).join(' '));
    expect(bursts).toEqual(Array(10).fill(10));
  });

  test('a slow name at the head: lines are read no further ahead than the reorder limit', async () => {
    const names = ['slow.test', ...Array.from({ length: 400 }, (_, i) => `n${i}.test`)];
    const transport = new FakeTransport((name) => (name.startsWith('slow') ? 150 : 1));
    const { results, mostAhead } = await run(names, transport, { types: [RecordType.A], concurrency: 20, reorderLimit: 50 });
    expect(results.map((r) => r.name)).toEqual(names);
    // while slow.test was out, at most 50 results (and the line being expanded) waited behind it
    expect(mostAhead).toBeLessThanOrEqual(51);
  });

  test('the default question: A and AAAA asked, one result per name with both families', async () => {
    const transport = new FakeTransport(() => 1);
    const { results } = await run(['a.test', 'nx.test'], transport);
    expect(transport.asked.map(([n, t]) => `${n} ${t}`).sort()).toEqual(['a.test. 1', 'a.test. 28', 'nx.test. 1', 'nx.test. 28']);
    expect(results.map((r) => [r.name, r.type, r.status, r.answers.length])).toEqual([
      ['a.test', 'A/AAAA', 'ok', 1],
      ['nx.test', 'A/AAAA', 'nxdomain', 0],
    ]);
  });

  test('blank lines and comments are skipped; a line that is no name is an invalid result in its place, never asked', async () => {
    const transport = new FakeTransport(() => 1);
    const { results, counters } = await run(['# list', 'a.test', '', '  b.test # trailing', 'a..b', '+tcp', 'c.test'], transport, { types: [RecordType.A] });
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['a.test', 'ok'],
      ['b.test', 'ok'],
      ['a..b', 'invalid'],
      ['+tcp', 'invalid'],
      ['c.test', 'ok'],
    ]);
    expect(results[2]!.error).toMatch(/bad name 'a\.\.b': empty label/);
    expect(transport.asked.map(([n]) => n)).toEqual(['a.test.', 'b.test.', 'c.test.']);
    expect(counters.names).toBe(5);
  });

  test('input that fails midway (a line too long): the names before it get their results, then the run fails with it', async () => {
    const transport = new FakeTransport(() => 5);
    const lines = ['a.test', 'b.test'];
    let i = 0;
    const failing: LineSource = {
      lineNumber: 0,
      next: () => {
        if (i < lines.length) return lines[i++]!;
        throw new SockkitError('USAGE', 'names from stdin', 'line 3 is longer than 64 KiB');
      },
      whenReady: (then) => process.nextTick(then),
      close: () => {},
    };
    const results: string[] = [];
    const run = resolveStream(failing, { servers: { transports: [transport], mode: 'each' }, serversForAll: true, types: [RecordType.A], timeoutMs: 1000, concurrency: 10, trace: noTrace, onResult: (r) => results.push(r.name) });
    await expect(run).rejects.toThrow(/line 3 is longer than 64 KiB/);
    expect(results).toEqual(['a.test', 'b.test']);
  });

  test('--rate: queries are started no faster than the ceiling', async () => {
    const transport = new FakeTransport(() => 0);
    const started = Date.now();
    const { results } = await run(Array.from({ length: 30 }, (_, i) => `r${i}.test`), transport, { types: [RecordType.A], concurrency: 100, ratePerSecond: 100 });
    expect(results).toHaveLength(30);
    // 30 queries at 100/s, a burst of at most 10: at least 0.19 s
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  test('property: any list of lines gives one result per name-bearing line, in order', async () => {
    const line = fc.oneof(fc.constantFrom('', '# c', 'a..b', 'x y'), fc.stringMatching(/^[a-z]{1,8}\.test$/));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), async (lines, concurrency) => {
        const transport = new FakeTransport((name) => name.length % 3);
        const { results } = await run(lines, transport, { types: [RecordType.A], concurrency, reorderLimit: 5 });
        expect(results.map((r) => r.name)).toEqual(lines.map(nameOfLine).filter((l) => l !== ''));
      }),
      { numRuns: 40 },
    );
  });
});

describe('mergeFamilies', () => {
  const base = (type: string, status: ResolveResult['status'], answers: ResolveResult['answers'] = [], error?: string): ResolveResult => ({
    name: 'x.test', queryName: 'x.test.', type, status, server: 's', timeMs: type === 'A' ? 1 : 2, answers, ...(error ? { error } : {}),
  });
  const cname = { name: 'x.test.', type: 'CNAME', ttl: 60, value: 'y.test.' };

  test('both answered: the chain once, then A, then AAAA; the longer time', () => {
    const merged = mergeFamilies([base('A', 'ok', [cname, { name: 'y.test.', type: 'A', ttl: 60, value: '192.0.2.1' }]), base('AAAA', 'ok', [cname, { name: 'y.test.', type: 'AAAA', ttl: 60, value: '2001:db8::1' }])]);
    expect(merged).toMatchObject({ type: 'A/AAAA', status: 'ok', timeMs: 2 });
    expect(merged.answers.map((a) => a.type)).toEqual(['CNAME', 'A', 'AAAA']);
  });

  test('one family without records: ok with the other; both NXDOMAIN: nxdomain; both NODATA: nodata', () => {
    expect(mergeFamilies([base('A', 'ok', [{ name: 'x.test.', type: 'A', ttl: 1, value: '192.0.2.1' }]), base('AAAA', 'nodata')]).status).toBe('ok');
    expect(mergeFamilies([base('A', 'nxdomain'), base('AAAA', 'nxdomain')]).status).toBe('nxdomain');
    expect(mergeFamilies([base('A', 'nodata'), base('AAAA', 'nodata')]).status).toBe('nodata');
  });

  test('a failure of either family is the status, naming the family; the answers of the other are kept', () => {
    const merged = mergeFamilies([base('A', 'ok', [{ name: 'x.test.', type: 'A', ttl: 1, value: '192.0.2.1' }]), base('AAAA', 'timeout', [], 'timed out after 5 s')]);
    expect(merged).toMatchObject({ status: 'timeout', error: 'AAAA: timed out after 5 s' });
    expect(merged.answers).toHaveLength(1);
  });
});

describe('line reader', () => {
  test('a file read in 64 KiB chunks: lines split across chunks, multi-byte characters across chunks, CRLF, no final newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockkit-lines-'));
    try {
      const lines = Array.from({ length: 20_000 }, (_, i) => (i % 7 === 0 ? `bücher-${i}.test` : `n${i}.example.test`));
      const file = join(dir, 'names.txt');
      writeFileSync(file, lines.map((l, i) => (i % 5 === 0 ? `${l}\r` : l)).join('\n'));
      const source = fileLines(file, 64 * 1024);
      const got: string[] = [];
      for (let line = source.next(); line !== null; line = source.next()) got.push(line!);
      expect(got).toEqual(lines);
      expect(source.lineNumber).toBe(lines.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a FIFO: what is there read at once, then (the writer slower) through the event loop, in order, to the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockkit-lines-'));
    try {
      const fifo = join(dir, 'names.fifo');
      execFileSync('mkfifo', [fifo]);
      const source = fileLines(fifo, 64 * 1024); // opened non-blocking: no writer needed yet
      const writer = openSync(fifo, constants.O_WRONLY);
      writeSync(writer, 'a.test\nb.test\nc.te');
      expect([source.next(), source.next(), source.next()]).toEqual(['a.test', 'b.test', undefined]);
      const ready = new Promise<void>((resolve) => source.whenReady(resolve));
      writeSync(writer, 'st\nd.test\n');
      closeSync(writer);
      const got: Array<string | null | undefined> = [];
      await ready;
      for (let line = source.next(); line !== null; line = source.next()) {
        if (line === undefined) await new Promise<void>((resolve) => source.whenReady(resolve));
        else got.push(line);
      }
      expect(got).toEqual(['c.test', 'd.test']);
      source.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a line longer than the limit is refused with its number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockkit-lines-'));
    try {
      const file = join(dir, 'long.txt');
      writeFileSync(file, `a.test\n${'x'.repeat(70_000)}\n`);
      const source = fileLines(file, 64 * 1024);
      expect(source.next()).toBe('a.test');
      expect(() => source.next()).toThrow(/line 2 is longer than 64 KiB/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sources one after another', () => {
    const source = concatLines([arrayLines(['a', 'b']), arrayLines([]), arrayLines(['c'])]);
    expect([source.next(), source.next(), source.next(), source.next()]).toEqual(['a', 'b', 'c', null]);
  });
});
