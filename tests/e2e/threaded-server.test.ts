import { afterEach, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { waitFor } from '../helpers/process.js';
import { decodeRfc868Time } from '../../src/net/cluster/rfc868-time.js';
import { exchange, isAlive, openConnection, startThreadedServer, type Event, type RunningServer } from './threaded-harness.js';
import { pipedFields } from './echo-server-process.js';

const started: RunningServer[] = [];
async function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const server = await startThreadedServer(args, env);
  started.push(server);
  return server;
}
afterEach(async () => {
  for (const server of started.splice(0)) await server.stop('SIGKILL');
});

const byEvent = (events: Event[], name: string) => events.filter((e) => e.event === name);

describe('threaded-server: bad flags', () => {
  test.each([
    [['--workers', '0'], /--workers/],
    [['--workers', '65'], /--workers/],
    [['--workers', '1.5'], /--workers/],
    [['--handler', 'nope'], /handler/],
    [['--reply', 'hi'], /--reply/],
    [['--max-conns', '0'], /--max-conns/],
    [['--idle-timeout', '-1'], /--idle-timeout/],
    [['--host', 'example.com'], /--host/],
    [['-4', '--host', '::1'], /IPv4/],
    [['--port', '70000'], /port/],
  ])('%j exits 2 with one clean line', async (args, message) => {
    const r = await runSockkit(['threaded-server', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expectCleanError(r, 'threaded-server');
  });

  test('a port already in use exits 8', async () => {
    const holder = await start(['--workers', '1']);
    const r = await runSockkit(['threaded-server', '--workers', '1', '--port', String(holder.port)]);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(new RegExp(`bind tcp 127\\.0\\.0\\.1:${holder.port}: address already in use by node \\(pid \\d+\\)`));
    expectCleanError(r, 'threaded-server');
  });
});

describe('threaded-server: serving', () => {
  test('many clients land on more than one worker, every echo verified, one shared port', async () => {
    const server = await start(['--workers', '2', '--trace']);
    const events = server.events();
    // One socket, accepted by the primary: one listen step, on the port every client uses.
    await waitFor(() => /listen +127\.0\.0\.1:\d+/.test(server.stderr()), 5000, 'listen trace');
    expect(server.stderr().match(/\blisten +/g)).toHaveLength(1);
    expect(server.stderr()).toMatch(new RegExp(`listen +127\\.0\\.0\\.1:${server.port}, backlog`));
    expect(server.workerPids.size).toBe(2);

    const payloads = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 97));
    const replies = await Promise.all(payloads.map((p) => exchange(server.port, p)));
    replies.forEach((reply, i) => expect(reply.equals(payloads[i]!)).toBe(true));

    await server.waitForEvent(() => byEvent(server.events(), 'disconnect').length === 40, 10_000, '40 disconnects');
    // Strict rotation: 40 connections, 20 each.
    const perWorkerConnects = [1, 2].map((w) => byEvent(server.events(), 'connect').filter((e) => e.worker === w).length);
    expect(perWorkerConnects).toEqual([20, 20]);
    for (const e of byEvent(server.events(), 'disconnect')) expect(e.bytesIn).toBe(e.bytesOut);

    const { code } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    const all = server.events();
    const perWorker = byEvent(all, 'worker-summary');
    expect(perWorker.map((e) => e.worker).sort()).toEqual([1, 2]);
    const total = byEvent(all, 'summary')[0]!;
    const sent = payloads.reduce((n, p) => n + p.length, 0);
    expect(total).toMatchObject({ workers: 2, connections: 40, bytesIn: sent, bytesOut: sent, crashes: 0 });
    expect(perWorker.reduce((n, e) => n + (e.connections as number), 0)).toBe(40);
    expect(total.peakConcurrent as number).toBeGreaterThanOrEqual(1);
  }, 60_000);

  test('every handler, byte for byte', async () => {
    const echo = await start(['--workers', '2', '--handler', 'echo']);
    const upper = await start(['--workers', '1', '--handler', 'upper']);
    const reply = await start(['--workers', '1', '--handler', 'reply', '--reply', 'thanks, é']);
    const time = await start(['--workers', '1', '--handler', 'time']);

    const binary = Buffer.from([0x00, 0x61, 0x7a, 0x7b, 0x60, 0xff, 0xc3, 0xa9, 0x0a]);
    expect(await exchange(echo.port, binary)).toEqual(binary);
    // a–z upper-cased; 0x7b, 0x60, UTF-8 é (c3 a9) and every other byte unchanged.
    expect(await exchange(upper.port, Buffer.concat([Buffer.from('hello, World é\n'), binary]))).toEqual(
      Buffer.concat([Buffer.from('HELLO, WORLD é\n'), Buffer.from([0x00, 0x41, 0x5a, 0x7b, 0x60, 0xff, 0xc3, 0xa9, 0x0a])]),
    );
    expect(await exchange(reply.port, '')).toEqual(Buffer.from('thanks, é\n', 'utf8'));
    expect(await exchange(reply.port, 'ignored input')).toEqual(Buffer.from('thanks, é\n', 'utf8'));

    const before = Date.now();
    const stamp = await exchange(time.port, '');
    expect(stamp.length).toBe(4);
    const decoded = decodeRfc868Time(stamp);
    expect(decoded).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
    expect(decoded).toBeLessThanOrEqual(Date.now() + 1000);
  }, 60_000);

  test('IPv6 with -6 listens on ::1', async () => {
    const server = await start(['--workers', '1', '-6']);
    expect(server.host).toBe('::1');
    expect(await exchange(server.port, 'six', '::1')).toEqual(Buffer.from('six'));
  });

  test('--max-conns is split across workers and refuses beyond it', async () => {
    const server = await start(['--workers', '2', '--max-conns', '2']);
    const held = [];
    for (let i = 0; i < 5; i++) held.push(await openConnection(server.port));
    await server.waitForEvent(() => byEvent(server.events(), 'connect').length + byEvent(server.events(), 'refused').length === 5, 10_000, 'five outcomes');
    const accepted = byEvent(server.events(), 'connect');
    const refused = byEvent(server.events(), 'refused');
    expect(accepted.length).toBe(2); // ceil(2 / 2) per worker, connections in strict rotation
    expect(refused.length).toBe(5 - accepted.length);
    for (const e of refused) expect(e.maxConns).toBe(1);
    for (const h of held) h.socket.destroy();
  });

  test('--idle-timeout closes a silent client', async () => {
    const server = await start(['--workers', '1', '--idle-timeout', '0.3']);
    const client = await openConnection(server.port);
    await client.closed;
    const e = await server.waitForEvent((x) => x.event === 'disconnect', 10_000, 'disconnect');
    expect(e.reason).toBe('idle-timeout');
  });
});

describe('threaded-server: workers dying and stopping', () => {
  test('a crashed worker is logged and replaced; the port answers throughout', async () => {
    const server = await start(['--workers', '2'], { SOCKKIT_TEST_CRASH_AFTER: '3' });
    const answers: boolean[] = [];
    // Sequential clients through the crash and until the replacement has served some.
    for (let i = 0; i < 200; i++) {
      const message = `message ${i}\n`;
      answers.push((await exchange(server.port, message)).toString() === message);
      const replacementServed = byEvent(server.events(), 'connect').some((e) => (e.worker as number) > 2);
      if (answers.length >= 20 && replacementServed) break;
    }
    expect(answers.every(Boolean)).toBe(true);
    const exit = byEvent(server.events(), 'worker-exit')[0]!;
    expect(exit).toMatchObject({ worker: 1, exitCode: 70, droppedConnections: 0, replacedBy: 3 });
    expect(exit.error).toMatch(/test crash/);
    expect(byEvent(server.events(), 'worker-ready').map((e) => e.worker)).toContain(3);
    expect(byEvent(server.events(), 'connect').some((e) => e.worker === 3)).toBe(true);
    expect((await server.stop()).code).toBe(0);
    expect(byEvent(server.events(), 'summary')[0]).toMatchObject({ crashes: 1, droppedConnections: 0 });
    expect(server.stderr()).not.toMatch(/\n\s+at /); // no stack trace reaches the terminal
  }, 60_000);

  test('a worker killed with open connections: they are reported dropped, others keep serving', async () => {
    const server = await start(['--workers', '2']);
    const clients = [];
    for (let i = 0; i < 4; i++) clients.push(await openConnection(server.port));
    await server.waitForEvent(() => byEvent(server.events(), 'connect').length === 4, 10_000, 'four connects');
    const onWorker1 = byEvent(server.events(), 'connect').filter((e) => e.worker === 1).length;
    process.kill(server.workerPids.get(1)!, 'SIGKILL');
    const exit = await server.waitForEvent((e) => e.event === 'worker-exit', 10_000, 'worker-exit');
    expect(exit).toMatchObject({ worker: 1, signal: 'SIGKILL', droppedConnections: onWorker1, replacedBy: 3 });
    for (let i = 0; i < 6; i++) expect((await exchange(server.port, `after ${i}`)).toString()).toBe(`after ${i}`);
    for (const c of clients) c.socket.destroy();
  }, 60_000);

  test('a worker killed under connection churn: every failed client is counted as dropped, none hangs', async () => {
    const server = await start(['--workers', '2']);
    let ok = 0;
    let failed = 0;
    let stop = false;
    const loops = Array.from({ length: 20 }, async (_, loop) => {
      for (let i = 0; !stop; i++) {
        const message = `loop ${loop} message ${i}`;
        try {
          const reply = await exchange(server.port, message, '127.0.0.1', 8000);
          if (reply.toString() === message) ok++;
          else failed++; // a reset mid-echo: a short reply
        } catch {
          failed++;
        }
      }
    });
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(server.workerPids.get(1)!, 'SIGKILL');
    const exit = await server.waitForEvent((e) => e.event === 'worker-exit', 10_000, 'worker-exit');
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await Promise.all(loops);
    expect(ok).toBeGreaterThan(100);
    // The primary's count is an upper bound (a finished connection whose report was
    // still batched dies with the worker too); a client that failed and was not counted
    // would be a silent loss.
    expect(failed).toBeLessThanOrEqual(exit.droppedConnections as number);
  }, 60_000);

  test('SIGTERM drains: in-flight clients get their full echo, idle ones are closed, then summaries', async () => {
    const server = await start(['--workers', '2', '--timeout', '20']);
    const idle = await openConnection(server.port);
    const size = 4 * 1024 * 1024;
    const transfers = Array.from({ length: 3 }, async () => {
      const payload = randomBytes(size);
      const client = await openConnection(server.port);
      // Write in slices, so the stop arrives while every client is mid-transfer.
      for (let offset = 0; offset < size; offset += 64 * 1024) {
        client.socket.write(payload.subarray(offset, offset + 64 * 1024));
        if (offset === 256 * 1024) await waitFor(() => server.child.killed, 20_000, 'the stop signal');
        await new Promise((r) => setTimeout(r, 2));
      }
      client.socket.end();
      await client.closed;
      return { sent: sha(payload), got: sha(client.received()), length: client.received().length };
    });
    await server.waitForEvent(() => byEvent(server.events(), 'connect').length === 4, 10_000, 'four connects');
    server.child.kill('SIGTERM');
    const results = await Promise.all(transfers);
    for (const r of results) expect(r).toEqual({ sent: r.sent, got: r.sent, length: size });
    await idle.closed;
    const { code } = await server.closed;
    expect(code).toBe(0);
    const events = server.events();
    expect(byEvent(events, 'stopping')).toHaveLength(1);
    const reasons = byEvent(events, 'disconnect').map((e) => e.reason).sort();
    expect(reasons).toEqual(['closed', 'closed', 'closed', 'drained']);
    expect(byEvent(events, 'worker-summary')).toHaveLength(2);
    expect(byEvent(events, 'summary')[0]).toMatchObject({ connections: 4, bytesIn: 3 * size, bytesOut: 3 * size, cut: 0 });
  }, 90_000);

  test('workers ignore SIGINT sent to them; no worker outlives a killed primary', async () => {
    const server = await start(['--workers', '2']);
    const pids = [...server.workerPids.values()];
    for (const pid of pids) process.kill(pid, 'SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    expect(byEvent(server.events(), 'worker-exit')).toHaveLength(0);
    expect((await exchange(server.port, 'still here')).toString()).toBe('still here');

    await server.stop('SIGKILL');
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 10_000, 'workers to exit after the primary died');
  }, 60_000);
});

describe('threaded-server: plain output when piped', () => {
  async function pipedRun(env: NodeJS.ProcessEnv): Promise<string[]> {
    const { spawn } = await import('node:child_process');
    const { SOCKKIT_BIN } = await import('../helpers/run-sockkit.js');
    const child = spawn(process.execPath, [SOCKKIT_BIN, 'threaded-server', '--workers', '1'], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const safety = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await waitFor(() => out.includes('worker-ready'), 20_000, 'worker-ready');
    const first = out.split('\n')[0]!;
    const port = Number(pipedFields(first).port ?? first.split('\t')[2]);
    expect((await exchange(port, 'abc')).toString()).toBe('abc');
    await waitFor(() => out.includes('disconnect'), 10_000, 'disconnect');
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
    clearTimeout(safety);
    return out.trim().split('\n');
  }

  test('the same format as echo-server: the event name, then key=value for every field of the JSON event', async () => {
    const lines = await pipedRun({});
    expect(lines[0]).toMatch(/^listening\taddress=127\.0\.0\.1\tport=\d+\tprotocol=tcp\tworkers=1\thandler=echo\tscheduling=round-robin$/);
    const disconnect = pipedFields(lines.find((l) => l.startsWith('disconnect\t'))!);
    expect(disconnect).toMatchObject({ worker: '1', remoteAddress: '127.0.0.1', bytesIn: '3', bytesOut: '3', reason: 'closed', halfClosed: 'true' });
    expect(Number(disconnect.id)).toBeGreaterThan(0);
    expect(pipedFields(lines.find((l) => l.startsWith('connect\t'))!).id).toBe(disconnect.id);
    expect(pipedFields(lines.find((l) => l.startsWith('worker-summary\t'))!)).toMatchObject({ worker: '1', connections: '1', end: 'drained' });
    expect(pipedFields(lines.at(-1)!)).toEqual({ event: 'summary', workers: '1', connections: '1', refused: '0', bytesIn: '3', bytesOut: '3', peakConcurrent: '1', cut: '0', crashes: '0', droppedConnections: '0' });
  }, 40_000);

  test('SOCKKIT_LEGACY_EVENTS=1: 0.1.0\'s positional layout, for one release', async () => {
    const lines = await pipedRun({ SOCKKIT_LEGACY_EVENTS: '1' });
    expect(lines[0]).toMatch(/^listening\t127\.0\.0\.1\t\d+\ttcp\t1\techo$/);
    expect(lines.find((l) => l.startsWith('disconnect\t'))).toMatch(/^disconnect\t1\t127\.0\.0\.1\t\d+\t3\t3\t[\d.]+\tclosed\t$/);
    expect(lines.at(-1)).toMatch(/^summary\t1\t1\t0\t3\t3\t1\t0\t0\t0$/);
  }, 40_000);
});

describe('threaded-server: a slow reader of its output', () => {
  test('every event line and the summary arrive even when stdout was not read during the run', async () => {
    const { spawn } = await import('node:child_process');
    const { SOCKKIT_BIN } = await import('../helpers/run-sockkit.js');
    const child = spawn(process.execPath, [SOCKKIT_BIN, 'threaded-server', '--json', '--workers', '2']);
    const safety = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let out = '';
    const onData = (d: Buffer) => (out += d.toString());
    child.stdout.on('data', onData);
    await waitFor(() => out.split('\n').filter((l) => l.includes('worker-ready')).length === 2, 20_000, 'workers');
    const port = (JSON.parse(out.split('\n')[0]!) as { port: number }).port;
    child.stdout.off('data', onData);
    child.stdout.pause(); // the pipe fills (64 KiB) and the server's writes queue up
    const clients = 2000;
    for (let batch = 0; batch < clients; batch += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => exchange(port, `c${batch + i}`)));
    }
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 2000)); // the server has drained and is about to exit
    child.stdout.on('data', onData);
    child.stdout.resume();
    expect(await closed).toBe(0);
    clearTimeout(safety);
    const events = out.trim().split('\n').map((l) => JSON.parse(l) as Event);
    expect(byEvent(events, 'disconnect')).toHaveLength(clients);
    expect(byEvent(events, 'summary')[0]).toMatchObject({ connections: clients });
  }, 60_000);
});

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
