// Bulk runs (`resolve -`, `-f FILE`) against a DNS server written here that answers
// every query NXDOMAIN or with an address, after a delay it is told: --rate holds its
// ceiling (counted by the server), 300,000 names stream through --ndjson with a peak
// RSS far below what holding them would take, a terminal gets a progress line and a
// summary (through a pty, `script`), a pipe gets neither.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSockkit, SOCKKIT_BIN } from '../helpers/run-sockkit.js';

interface TestServer {
  port: number;
  /** monotonic ms of every query received */
  times: number[];
  count: () => number;
  close: () => void;
}

/** Answers each query: `a-*` names with A 192.0.2.1 (the query echoed with one answer), others NXDOMAIN; after `delayMs`. */
async function answeringServer(delayMs = 0, keepTimes = false): Promise<TestServer> {
  const socket: Socket = createSocket('udp4');
  const times: number[] = [];
  let count = 0;
  socket.on('message', (msg, from) => {
    count++;
    if (keepTimes) times.push(performance.now());
    const reply = replyTo(msg);
    if (delayMs > 0) setTimeout(() => socket.send(reply, from.port, from.address), delayMs);
    else socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, times, count: () => count, close: () => socket.close() };
}

/** The query with QR set, no OPT, and either NXDOMAIN or one A record pointing at the question's name. */
function replyTo(query: Buffer): Buffer {
  let end = 12;
  while (query[end]! !== 0) end += query[end]! + 1;
  end += 5; // root label, type, class
  const question = query.subarray(12, end);
  const header = Buffer.from(query.subarray(0, 12));
  header[2] = header[2]! | 0x80;
  header.writeUInt16BE(0, 10); // no additional (the query's OPT is not echoed)
  const firstLabel = query.subarray(13, 13 + query[12]!).toString('latin1');
  const isA = query.readUInt16BE(end - 4) === 1;
  if (!firstLabel.startsWith('a-') || !isA) {
    header[3] = (header[3]! & 0xf0) | 3;
    return Buffer.concat([header, question]);
  }
  header.writeUInt16BE(1, 6);
  const answer = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
  return Buffer.concat([header, question, answer]);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockkit-bulk-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function shell(script: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile('bash', ['-c', script], { timeout: timeoutMs, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe('resolve - (bulk)', () => {
  test('--rate 200: the server sees at most 200 queries a second (plus the 0.1 s burst), and every name gets its line', async () => {
    const server = await answeringServer(0, true);
    try {
      const names = Array.from({ length: 500 }, (_, i) => `a-${i}.test`);
      const r = await runSockkit(['resolve', '-', `@127.0.0.1:${server.port}`, '--type', 'A', '--rate', '200', '-c', '500', '--short'], { input: names.join('\n'), killAfterMs: 30_000 });
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(500);
      expect(server.count()).toBe(500);
      // in any 1 s from the first query: at most 200 + the bucket's 20 (+ slack for timer granularity)
      const times = server.times;
      for (let i = 0; i < times.length; i++) {
        let j = i;
        while (j < times.length && times[j]! - times[i]! < 1000) j++;
        expect(j - i).toBeLessThanOrEqual(230);
      }
    } finally {
      server.close();
    }
  }, 40_000);

  test('a line of bytes that are no name (tabs, control characters, binary) keeps its row whole: escaped as \\DDD, as many fields as every row', async () => {
    const input = Buffer.concat([Buffer.from('a\tb.test\n\x01x.test\nok.test\n'), Buffer.from([0xff, 0x09, 0x00, 0x0a])]);
    const r = await runSockkit(['resolve', '-', '@127.0.0.1:9', '--type', 'A', '--timeout', '1'], { input });
    expect(r.code).toBe(2);
    const rows = r.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows.map((f) => f.length)).toEqual([6, 6, 6, 6]);
    expect(rows.map((f) => f[0])).toEqual(['a\\009b.test', '\\001x.test', 'ok.test', '\uFFFD\\009\\000']);
    expect(r.stderr).toContain("bad name 'a\\009b.test': contains spaces or control characters");
  });

  test('--rate is for lists; out of range is exit 2', async () => {
    const single = await runSockkit(['resolve', 'a.test', '@127.0.0.1:9', '--rate', '10']);
    expect(single.code).toBe(2);
    expect(single.stderr).toMatch(/--rate: for a list of names/);
    const zero = await runSockkit(['resolve', '-', '@127.0.0.1:9', '--rate', '0'], { input: 'a.test\n' });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/bad --rate '0'/);
  });

  test('300,000 names through --ndjson: one record per name, in order, with a peak RSS far below holding them (/usr/bin/time -v)', async () => {
    const server = await answeringServer();
    try {
      const names = join(dir, 'names300k.txt');
      writeFileSync(names, Array.from({ length: 300_000 }, (_, i) => (i % 3 === 0 ? `a-${i}.test` : `n-${i}.test`)).join('\n') + '\n');
      const out = join(dir, 'out.ndjson');
      const r = await shell(
        `/usr/bin/time -v "${process.execPath}" "${SOCKKIT_BIN}" resolve - @127.0.0.1:${server.port} --type A --ndjson -c 200 < "${names}" > "${out}"; echo "exit $?"; wc -l < "${out}"; head -1 "${out}"; tail -1 "${out}"`,
        60_000,
      );
      const [exit, lines, first, last] = r.stdout.trim().split('\n');
      expect(exit).toBe('exit 3'); // NXDOMAIN for the n-* names
      expect(Number(lines)).toBe(300_000);
      expect(JSON.parse(first!)).toMatchObject({ name: 'a-0.test', status: 'ok', answers: [{ value: '192.0.2.1' }] });
      expect(JSON.parse(last!)).toMatchObject({ name: 'n-299999.test', status: 'nxdomain' });
      const peakKiB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)![1]);
      // the records alone are 300,000 × ~500 bytes of JSON: holding them (and their objects) would take several hundred MiB
      expect(peakKiB).toBeLessThan(150 * 1024);
      expect(server.count()).toBeGreaterThanOrEqual(300_000); // and a few retransmissions when this loaded process answers late
    } finally {
      server.close();
    }
  }, 90_000);

  test('on a terminal: a progress line while it runs, erased, then a summary; piped: neither', async () => {
    const server = await answeringServer(40);
    try {
      const names = join(dir, 'names.txt');
      writeFileSync(names, Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? `a-${i}.test` : `n-${i}.test`)).join('\n') + '\n');
      const command = `"${process.execPath}" "${SOCKKIT_BIN}" resolve - @127.0.0.1:${server.port} --type A -c 4 < "${names}"`;
      const { CI: _ci, ...env } = process.env;
      // a pty 100 columns wide; stdout to a file, so what the terminal shows is stderr's
      const out = join(dir, 'tty.out');
      const tty = await shell(`script -qec 'stty cols 100; ${command.replaceAll("'", "'\\''")} > "${out}"' /dev/null`, 30_000, { ...env, NO_COLOR: '1', TERM: 'xterm' });
      expect(tty.code).toBe(3);
      expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(200);
      const screen = tty.stdout;
      // redrawn in place: carriage return, erase line, the counts
      expect(screen).toMatch(/\r\x1b\[2Kresolve: \d+\/\d+ names · [\d,]+ q\/s · \d+ answered, \d+ nxdomain, 0 nodata, 0 errors/);
      const summary = /sockkit resolve: 200 names in [\d.]+ s: 100 answered, 100 nxdomain, 0 nodata, 0 errors; [\d,]+ q\/s/.exec(screen);
      expect(summary).not.toBeNull();
      // the line is erased before the summary is written
      expect(screen.slice(0, summary!.index)).toMatch(/\r\x1b\[2K$/);
      const piped = await shell(`${command} 2>&1 >/dev/null`, 30_000, { ...env, NO_COLOR: '1' });
      expect(piped.code).toBe(3);
      expect(piped.stdout).toBe(''); // no progress, no summary on a pipe
      const asked = await shell(`${command} --summary 2>&1 >/dev/null`, 30_000, env);
      expect(asked.stdout).toMatch(/^sockkit resolve: 200 names in [\d.]+ s: 100 answered, 100 nxdomain, 0 nodata, 0 errors; [\d,]+ q\/s\n$/);
    } finally {
      server.close();
    }
  }, 60_000);
});
