import { afterEach, describe, expect, test } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { waitFor } from '../helpers/process.js';
import { pipedFields, startEchoServerProcess, type EchoServerProcess } from './echo-server-process.js';

let server: EchoServerProcess | undefined;
afterEach(async () => {
  await server?.stop('SIGKILL');
  server = undefined;
});

function open(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `data`, half-closes, and returns everything echoed until the server's FIN. */
function echoOnce(port: number, data: Buffer | string, host = '127.0.0.1'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host, port }, () => s.end(data));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('end', () => resolve(Buffer.concat(chunks)));
    s.once('error', reject);
  });
}

describe('sockkit echo-server', () => {
  test('--json: the first line is {"event":"listening","address","port","protocol"} on 127.0.0.1 by default', async () => {
    server = await startEchoServerProcess([]);
    const first = JSON.parse(server.stdout().split('\n')[0]!);
    expect(first).toMatchObject({ event: 'listening', address: '127.0.0.1', protocol: 'tcp', backlog: 4096 });
    expect(Object.keys(first).slice(0, 4)).toEqual(['event', 'address', 'port', 'protocol']);
    expect(first.port).toBe(server.port);
    expect((await echoOnce(server.port, 'hello\n')).toString()).toBe('hello\n');
  });

  test('SIGTERM: stop accepting, flush and close clients, summary with connections, bytes and peak, exit 0', async () => {
    server = await startEchoServerProcess([]);
    const a = await open(server.port);
    const b = await open(server.port);
    const gotA = new Promise<string>((resolve) => {
      let text = '';
      a.on('data', (d: Buffer) => (text += d.toString()));
      a.once('end', () => resolve(text));
    });
    b.on('data', () => {});
    b.on('error', () => {});
    a.write('abc');
    b.write('defgh');
    await waitFor(() => server!.events().filter((e) => e.event === 'connect').length === 2, 5000, 'two connects');
    await new Promise((r) => setTimeout(r, 100));
    const { code } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    expect(await gotA).toBe('abc');
    const events = server.events();
    expect(events.at(-1)).toMatchObject({ event: 'summary', connections: 2, peakConcurrent: 2, bytesIn: 8, bytesOut: 8, refused: 0 });
    expect(events.filter((e) => e.event === 'disconnect').map((e) => e.reason)).toEqual(['drained', 'drained']);
    a.destroy();
    b.destroy();
    server = undefined;
  });

  test('piped without --json: the event name, then key=value for every field of the JSON event', async () => {
    server = await startEchoServerProcess([], { json: false });
    await echoOnce(server.port, 'x');
    await server.stop();
    const lines = server.stdout().trim().split('\n');
    expect(lines[0]).toBe(`listening\taddress=127.0.0.1\tport=${server.port}\tprotocol=tcp\tfamily=4\tbacklog=4096`);
    expect(lines[1]).toMatch(/^connect\tprotocol=tcp\tid=\d+\tremoteAddress=127\.0\.0\.1\tremotePort=\d+\topen=1$/);
    expect(pipedFields(lines[2]!)).toMatchObject({ event: 'disconnect', protocol: 'tcp', remoteAddress: '127.0.0.1', bytesIn: '1', bytesOut: '1', reason: 'closed', halfClosed: 'true' });
    expect(pipedFields(lines.at(-1)!)).toMatchObject({ event: 'summary', connections: '1', refused: '0', bytesIn: '1', bytesOut: '1', datagramsRefusedOwnAddress: '0' });
  });

  test('SOCKKIT_LEGACY_EVENTS=1: 0.1.0\'s piped layout and its reason word shutdown, for one release', async () => {
    server = await startEchoServerProcess([], { json: false, env: { SOCKKIT_LEGACY_EVENTS: '1' } });
    await echoOnce(server.port, 'x');
    const quiet = connect(server.port, '127.0.0.1');
    quiet.on('error', () => {});
    await waitFor(() => server!.stdout().split('\n').filter((l) => l.startsWith('connect')).length === 2, 5000, 'two connects');
    await server.stop();
    quiet.destroy();
    const lines = server.stdout().trim().split('\n');
    expect(lines[0]).toBe(`listening\ttcp\t127.0.0.1\t${server.port}\tbacklog=4096`);
    expect(lines[1]).toMatch(/^connect\ttcp\t127\.0\.0\.1\t\d+\tid=\d+\topen=1$/);
    expect(lines[2]).toMatch(/^disconnect\ttcp\t127\.0\.0\.1\t\d+\tid=\d+\tbytesIn=1\tbytesOut=1\tdurationMs=[\d.]+\treason=closed$/);
    expect(lines.find((l) => l.startsWith('disconnect') && l.includes('bytesIn=0'))).toMatch(/\treason=shutdown$/);
    expect(lines.at(-1)).toMatch(/^summary\tconnections=2\trefused=0\tpeakConcurrent=\d\tbytesIn=1\tbytesOut=1\t/);
  });

  test('--tcp --udp serve both on one port; UDP datagrams come back unchanged', async () => {
    server = await startEchoServerProcess(['--tcp', '--udp']);
    // Both lines are written together, after both binds, but a pipe read may split them.
    const listeningEvents = () => server!.events().filter((e) => e.event === 'listening');
    await waitFor(() => listeningEvents().length >= 2, 5000, 'the second listening line');
    const listening = listeningEvents();
    expect(listening.map((e) => [e.protocol, e.port])).toEqual([
      ['tcp', server.port],
      ['udp', server.port],
    ]);
    const udp = createSocket('udp4');
    const payload = randomBytes(1200);
    const reply = new Promise<Buffer>((resolve) => udp.once('message', resolve));
    udp.send(payload, server.port, '127.0.0.1');
    expect((await reply).equals(payload)).toBe(true);
    udp.close();
    expect((await echoOnce(server.port, 'tcp too')).toString()).toBe('tcp too');
    await server.stop();
    expect(server.events().at(-1)).toMatchObject({ event: 'summary', datagrams: 1, datagramBytes: 1200, connections: 1 });
  });

  test('-6 listens on ::1; --host :: is dual stack (IPv4 clients arrive as ::ffff:127.0.0.1)', async () => {
    server = await startEchoServerProcess(['-6']);
    expect(server.events()[0]).toMatchObject({ address: '::1', family: 6 });
    expect((await echoOnce(server.port, 'six', '::1')).toString()).toBe('six');
    await server.stop();
    server = await startEchoServerProcess(['--host', '::']);
    expect((await echoOnce(server.port, 'four', '127.0.0.1')).toString()).toBe('four');
    await waitFor(() => server!.events().some((e) => e.event === 'disconnect'), 5000, 'disconnect');
    expect(server.events().find((e) => e.event === 'connect')).toMatchObject({ remoteAddress: '::ffff:127.0.0.1' });
  });

  test('--udp alone: UDP only, TCP is refused', async () => {
    server = await startEchoServerProcess(['--udp']);
    expect(server.events()).toEqual([expect.objectContaining({ event: 'listening', protocol: 'udp', port: server.port })]);
    await expect(open(server.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  test('--trace: bind, listen with backlog, accept, half-close, close with byte counts (stderr)', async () => {
    server = await startEchoServerProcess(['--trace']);
    expect((await echoOnce(server.port, 'trace')).toString()).toBe('trace');
    await waitFor(() => /close\s+127\.0\.0\.1:\d+ #\d+: recv 5 bytes, send 5 bytes, closed/.test(server!.stderr()), 5000, 'the close trace');
    const err = server.stderr();
    expect(err).toMatch(/\] bind\s+127\.0\.0\.1:0/);
    expect(err).toMatch(new RegExp(`\\] listen\\s+127\\.0\\.0\\.1:${server.port} backlog 4096`));
    expect(err).toMatch(/\] accept\s+127\.0\.0\.1:\d+ #\d+ \(1 open\)/);
    expect(err).toMatch(/\] half-close 127\.0\.0\.1:\d+ #\d+ sent FIN/);
    // The trace is on stderr: stdout keeps only the NDJSON events.
    expect(server.stdout().split('\n').filter(Boolean).every((l) => l.startsWith('{'))).toBe(true);
  });

  test('1,000 concurrent connections, each verifying its echoes', async () => {
    server = await startEchoServerProcess(['--no-log-connections']);
    const port = server.port;
    const clients = await Promise.all(Array.from({ length: 1000 }, () => open(port)));
    const results = await Promise.all(
      clients.map(async (s) => {
        let ok = 0;
        let buffered = Buffer.alloc(0);
        let want = 0;
        let done: (() => void) | undefined;
        s.on('data', (d: Buffer) => {
          buffered = Buffer.concat([buffered, d]);
          if (buffered.length >= want) done?.();
        });
        for (let i = 0; i < 5; i++) {
          const msg = randomBytes(64 + i * 100);
          want = msg.length;
          buffered = Buffer.alloc(0);
          const back = new Promise<void>((r) => (done = r));
          s.write(msg);
          await back;
          if (buffered.equals(msg)) ok++;
        }
        return ok;
      }),
    );
    expect(results.every((ok) => ok === 5)).toBe(true);
    // Every connection was echoed, so the server has accepted all 1,000 and none is
    // closed yet: only now close them, so the peak really is 1,000 at once.
    await Promise.all(clients.map((s) => new Promise<void>((r) => s.end(() => r()))));
    await server.stop();
    expect(server.events().at(-1)).toMatchObject({ event: 'summary', connections: 1000, peakConcurrent: 1000 });
  }, 60000);

  test('a client that writes 256 MiB without reading does not grow the server (RSS sampled, < 100 MB)', async () => {
    server = await startEchoServerProcess([]);
    const srv = server;
    const s = await open(srv.port);
    const chunk = randomBytes(1024 * 1024);
    const total = 256;
    let written = 0;
    let peakRss = srv.rssBytes();
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, srv.rssBytes())), 20);
    let received = 0;
    s.on('data', (d: Buffer) => (received += d.length));
    s.pause(); // not reading: the echo piles up in kernel buffers, then the server must stop reading
    const writeUntilBlocked = async (deadlineMs: number) => {
      const deadline = Date.now() + deadlineMs;
      while (written < total && Date.now() < deadline) {
        if (s.write(chunk)) written++;
        else {
          written++;
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              s.off('drain', done);
              resolve();
            };
            const timer = setTimeout(done, 200);
            s.once('drain', done);
          });
        }
      }
    };
    await writeUntilBlocked(2000);
    // Backpressure: far less than 256 MiB went through while we did not read.
    const stalledAt = s.bytesWritten;
    expect(stalledAt).toBeLessThan(64 * 1024 * 1024);
    expect(s.writableLength).toBeGreaterThan(0);
    // Now read: the rest of the 256 MiB flows through, still within the bound.
    s.resume();
    await writeUntilBlocked(60000);
    s.end();
    await new Promise((r) => s.once('end', r));
    clearInterval(sampler);
    expect(written).toBe(total);
    expect(received).toBe(total * 1024 * 1024);
    expect(peakRss).toBeLessThan(100 * 1024 * 1024);
  }, 90000);

  test('reset mid-stream, garbage and half-open clients never take the server down', async () => {
    server = await startEchoServerProcess([]);
    const port = server.port;
    const r = await open(port);
    r.write(randomBytes(512 * 1024));
    await new Promise((res) => setTimeout(res, 30));
    r.resetAndDestroy();
    const idle = await open(port); // half-open: connects, never sends, never closes
    idle.on('error', () => {});
    const garbage = randomBytes(70000);
    expect((await echoOnce(port, garbage)).equals(garbage)).toBe(true);
    await waitFor(() => server!.events().some((e) => e.event === 'disconnect' && e.reason === 'reset'), 5000, 'the reset');
    expect((await echoOnce(port, 'alive')).toString()).toBe('alive');
    idle.destroy();
    expect(server.child.exitCode).toBeNull();
  });

  test('--idle-timeout closes silent clients with reason idle-timeout', async () => {
    server = await startEchoServerProcess(['--idle-timeout', '0.3']);
    const s = await open(server.port);
    const ended = new Promise((r) => s.once('end', r));
    s.resume();
    await ended;
    await waitFor(() => server!.events().some((e) => e.event === 'disconnect'), 5000, 'disconnect');
    expect(server.events().find((e) => e.event === 'disconnect')).toMatchObject({ reason: 'idle-timeout', bytesIn: 0 });
    s.destroy();
  });

  test('--max-conns refuses beyond N and logs each refusal', async () => {
    server = await startEchoServerProcess(['--max-conns', '2']);
    const a = await open(server.port);
    const b = await open(server.port);
    await waitFor(() => server!.events().filter((e) => e.event === 'connect').length === 2, 5000, 'two connects');
    const c = await open(server.port);
    const refusedPort = c.localPort;
    c.on('error', () => {});
    c.resume();
    await new Promise((r) => c.once('close', r));
    await waitFor(() => server!.events().some((e) => e.event === 'refused'), 5000, 'the refusal');
    expect(server.events().find((e) => e.event === 'refused')).toMatchObject({ reason: 'max-conns', maxConns: 2, remotePort: refusedPort });
    a.destroy();
    b.destroy();
    await server.stop();
    expect(server.events().at(-1)).toMatchObject({ event: 'summary', connections: 2, refused: 1 });
  });

  test('--max-bytes echoes at most N bytes per connection', async () => {
    server = await startEchoServerProcess(['--max-bytes', '10']);
    expect((await echoOnce(server.port, '0123456789abcdef')).toString()).toBe('0123456789');
  });

  test('a port in use: exit 8; bad limits: exit 2', async () => {
    server = await startEchoServerProcess([]);
    const r = await runSockkit(['echo-server', '--port', String(server.port)]);
    expect(r.code).toBe(8);
    expectCleanError(r, 'echo-server');
    expect(r.stderr).toContain(`(pid ${server.pid})`);
    for (const bad of [['--max-conns', '0'], ['--idle-timeout', '-1'], ['--max-bytes', '1.5'], ['--port', '65536'], ['--rate-limit', '-1'], ['--rate-limit', '2.5'], ['--rate-limit', 'lots']]) {
      const u = await runSockkit(['echo-server', ...bad]);
      expect(u.code).toBe(2);
      expectCleanError(u, 'echo-server');
    }
  });
});
