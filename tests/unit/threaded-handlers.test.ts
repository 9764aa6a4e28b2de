import { afterEach, describe, expect, test } from '@jest/globals';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { HANDLERS, upperCaseAsciiInPlace, type HandlerName } from '../../src/net/cluster/handlers.js';
import { ServedConnection, type ConnectionLimits } from '../../src/net/socket/served-connection.js';
import { noTrace } from '../../src/net/shared/trace.js';
import { decodeRfc868Time } from '../../src/net/cluster/rfc868-time.js';

const limits: ConnectionLimits = { idleTimeoutMs: 0, lingerMs: 2000, quietMs: 100 };

interface Harness {
  port: number;
  served: ServedConnection[];
  sockets: Socket[];
  server: Server;
}
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) {
    for (const s of h.sockets) s.destroy();
    await new Promise((r) => h.server.close(r));
  }
});

async function serve(handler: HandlerName, overrides: Partial<ConnectionLimits> = {}): Promise<Harness> {
  const h: Harness = { port: 0, served: [], sockets: [], server: createServer({ allowHalfOpen: true }) };
  h.server.on('connection', (socket) => {
    h.sockets.push(socket);
    const connection = new ServedConnection(socket, h.served.length + 1, { ...limits, ...overrides }, noTrace);
    HANDLERS[handler](connection, { replyText: 'thank you' });
    h.served.push(connection);
  });
  await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', r));
  h.port = (h.server.address() as { port: number }).port;
  harnesses.push(h);
  return h;
}

function exchange(port: number, payload: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.end(payload);
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('handlers byte for byte', () => {
  test('echo returns every byte and reports the counts', async () => {
    const h = await serve('echo');
    const payload = randomBytes(300_000);
    expect(sha(await exchange(h.port, payload))).toBe(sha(payload));
    expect(await h.served[0]!.done).toMatchObject({ id: 1, remoteAddress: '127.0.0.1', bytesIn: 300_000, bytesOut: 300_000, reason: 'closed', halfClosed: true });
  });

  test('upper upper-cases a-z only', async () => {
    const h = await serve('upper');
    expect((await exchange(h.port, 'Hello, wörld {az}`')).toString()).toBe('HELLO, WöRLD {AZ}`');
  });

  test('reply sends the text and a newline, then closes, whatever the client sends', async () => {
    const h = await serve('reply');
    expect((await exchange(h.port, 'some input')).toString()).toBe('thank you\n');
    const outcome = await h.served[0]!.done;
    expect(outcome).toMatchObject({ bytesIn: 10, bytesOut: 10, reason: 'closed' });
  });

  test('time sends 4 bytes of RFC 868 time, then closes', async () => {
    const h = await serve('time');
    const before = Date.now();
    const reply = await exchange(h.port, '');
    expect(reply.length).toBe(4);
    const t = decodeRfc868Time(reply);
    expect(t).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});

describe('backpressure', () => {
  test.each(['echo', 'upper'] as const)(
    '%s: a client that writes without reading stalls; the server buffers little and loses nothing',
    async (handler) => {
      const h = await serve(handler);
      const client = connect(h.port, '127.0.0.1');
      await new Promise((r) => client.once('connect', r));
      client.pause(); // never read, until the end
      const sent = createHash('sha256');
      let written = 0;
      let maxServerBuffered = 0;
      const sampler = setInterval(() => {
        const s = h.sockets[0];
        if (s) maxServerBuffered = Math.max(maxServerBuffered, s.writableLength + s.readableLength);
      }, 5);
      const limit = 64 * 1024 * 1024;
      let stalled = false;
      while (written < limit) {
        const chunk = Buffer.alloc(64 * 1024, written / 65536);
        sent.update(handler === 'upper' ? upperCaseAsciiInPlace(Buffer.from(chunk)) : chunk);
        written += chunk.length;
        if (!client.write(chunk)) {
          const drained = await Promise.race([
            new Promise<boolean>((r) => client.once('drain', () => r(true))),
            new Promise<boolean>((r) => setTimeout(() => r(false), 500)),
          ]);
          if (!drained) {
            stalled = true;
            break;
          }
        }
      }
      clearInterval(sampler);
      expect(stalled).toBe(true); // kernel buffers filled; the server stopped reading
      expect(written).toBeLessThan(limit);
      expect(maxServerBuffered).toBeLessThan(1024 * 1024);

      // Now read: everything written comes back, in order.
      const got = createHash('sha256');
      let received = 0;
      client.on('data', (d: Buffer) => {
        got.update(d);
        received += d.length;
      });
      client.resume();
      client.end();
      await new Promise((r) => client.once('close', r));
      expect(received).toBe(written);
      expect(got.digest('hex')).toBe(sent.digest('hex'));
    },
    30_000,
  );
});

/** Sends `text` on the next connection, drains it once the reply is out, and reports what came back. */
async function drainAfter(h: Harness, text: string): Promise<{ reply: string; reason: string }> {
  const index = h.served.length;
  const quiet = connect(h.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  quiet.on('data', (d: Buffer) => chunks.push(d));
  quiet.write(text);
  await new Promise((r) => setTimeout(r, 50));
  h.served[index]!.drain();
  await new Promise((r) => quiet.once('end', r));
  quiet.end();
  return { reply: Buffer.concat(chunks).toString(), reason: (await h.served[index]!.done).reason };
}

describe('limits and stopping', () => {
  test('idle timeout closes a silent connection', async () => {
    const h = await serve('echo', { idleTimeoutMs: 100 });
    const client = connect(h.port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise((r) => client.once('close', r));
    expect((await h.served[0]!.done).reason).toBe('idle-timeout');
  });

  test('drain ends a quiet connection after its echo; cut closes at once', async () => {
    const h = await serve('echo');
    expect(await drainAfter(h, 'in flight')).toEqual({ reply: 'in flight', reason: 'drained' });

    const busy = connect(h.port, '127.0.0.1');
    busy.on('error', () => {});
    await new Promise((r) => busy.once('connect', r));
    await new Promise((r) => setTimeout(r, 50));
    h.served[1]!.cut();
    expect((await h.served[1]!.done).reason).toBe('cut');
  });

  test('upper: drain ends a quiet connection after its reply; a half-close gets the rest, then FIN', async () => {
    const h = await serve('upper');
    expect(await drainAfter(h, 'in flight')).toEqual({ reply: 'IN FLIGHT', reason: 'drained' });

    const halfClosing = connect({ port: h.port, host: '127.0.0.1', allowHalfOpen: true });
    const got: Buffer[] = [];
    halfClosing.on('data', (d: Buffer) => got.push(d));
    halfClosing.end('last words');
    await new Promise((r) => halfClosing.once('end', r));
    expect(Buffer.concat(got).toString()).toBe('LAST WORDS');
    halfClosing.end();
    expect((await h.served[1]!.done).reason).toBe('closed');
  });

  test('a reset client is reported as reset, not as a crash', async () => {
    const h = await serve('echo');
    const client = connect(h.port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    client.write('x');
    await new Promise((r) => setTimeout(r, 50));
    client.resetAndDestroy();
    const outcome = await h.served[0]!.done;
    expect(['reset', 'closed']).toContain(outcome.reason);
  });
});

describe('upperCaseAsciiInPlace', () => {
  test('matches toUpperCase on ASCII, and leaves every other byte alone', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const out = upperCaseAsciiInPlace(Buffer.from(bytes));
        expect(out.length).toBe(bytes.length);
        bytes.forEach((b, i) => {
          const expected = b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
          expect(out[i]).toBe(expected);
        });
      }),
    );
    expect(upperCaseAsciiInPlace(Buffer.from('abc xyz ABC 123')).toString()).toBe('ABC XYZ ABC 123');
  });
});

describe('RestartBudget (threaded-server replaces dead workers, within reason)', () => {
  test('allows up to max deaths inside the window, then refuses; old deaths fall out of it', async () => {
    const { RestartBudget } = await import('../../src/net/cluster/primary.js');
    const budget = new RestartBudget(3, 1000);
    expect([budget.allow(0), budget.allow(10), budget.allow(20)]).toEqual([true, true, true]);
    expect(budget.allow(30)).toBe(false);
    expect(budget.recent).toBe(4);
    // 1,100 ms on, the first deaths are outside the window again.
    expect(budget.allow(1100)).toBe(true);
    expect(budget.recent).toBe(1);
  });
});
