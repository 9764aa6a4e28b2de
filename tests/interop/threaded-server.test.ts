// threaded-server with independent clients: socat and netcat-openbsd.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { decodeRfc868Time } from '../../src/net/cluster/rfc868-time.js';
import { startThreadedServer, type RunningServer } from '../e2e/threaded-harness.js';

/** Runs a client with a shell redirect, bounded in time; resolves with its stdout bytes. */
function client(command: string, timeoutMs = 20_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { encoding: 'buffer', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describeWithPeers('threaded-server with socat and nc as clients', ['socat', 'nc'], () => {
  let dir: string;
  const servers: RunningServer[] = [];
  const start = async (args: string[]) => {
    const s = await startThreadedServer(args);
    servers.push(s);
    return s;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sockkit-threaded-'));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('socat: text and 4 MiB of random bytes echoed intact across 2 workers (half-close)', async () => {
    const server = await start(['--workers', '2']);
    expect((await client(`printf 'hello socat\\n' | socat -t 5 - TCP:127.0.0.1:${server.port}`)).toString()).toBe('hello socat\n');
    const payload = randomBytes(4 * 1024 * 1024);
    const file = join(dir, 'random.bin');
    writeFileSync(file, payload);
    const replies = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        client(`socat -t 10 - TCP:127.0.0.1:${server.port} < ${file} > ${file}.${i}`).then(() => readFileSync(`${file}.${i}`)),
      ),
    );
    for (const reply of replies) expect(sha(reply)).toBe(sha(payload));
    const workers = new Set(server.events().filter((e) => e.event === 'connect').map((e) => e.worker));
    expect(workers.size).toBe(2);
  }, 60_000);

  test('nc: upper, reply and time handlers', async () => {
    const upper = await start(['--workers', '2', '--handler', 'upper']);
    const reply = await start(['--workers', '1', '--handler', 'reply', '--reply', 'Thank you for connecting']);
    const time = await start(['--workers', '1', '--handler', 'time']);
    expect((await client(`printf 'Mixed Case 42\\n' | nc -N 127.0.0.1 ${upper.port}`)).toString()).toBe('MIXED CASE 42\n');
    expect((await client(`nc -N 127.0.0.1 ${reply.port} < /dev/null`)).toString()).toBe('Thank you for connecting\n');
    const before = Date.now();
    const stamp = await client(`nc -N 127.0.0.1 ${time.port} < /dev/null`);
    expect(stamp.length).toBe(4);
    expect(Math.abs(decodeRfc868Time(stamp) - before)).toBeLessThan(5000);
  }, 60_000);

  test('socat over IPv6', async () => {
    const server = await start(['--workers', '2', '-6']);
    expect((await client(`printf 'six' | socat -t 5 - TCP6:[::1]:${server.port}`)).toString()).toBe('six');
  }, 30_000);
});
