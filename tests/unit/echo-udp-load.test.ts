// UDP load accounting (src/net/echo/udp-load.ts) against a pretend connected socket whose
// "server" answers as each test says: the counts must add up whatever it does.
import { describe, expect, test } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { Socket as UdpSocket } from 'node:dgram';
import { runUdpEchoLoad, udpLoadFailure, UDP_LOAD_HEADER_BYTES } from '../../src/net/echo/udp-load.js';
import { noTrace } from '../../src/net/shared/trace.js';

/** A socket whose send() hands a copy of each datagram to `server`, which may call reply() any number of times, at any time. */
function fakeSocket(server: (datagram: Buffer, n: number, reply: (b: Buffer, delayMs?: number) => void) => void): UdpSocket {
  const socket = new EventEmitter() as EventEmitter & { send: (b: Buffer) => void; setRecvBufferSize: () => void };
  let n = 0;
  const timers = new Set<NodeJS.Timeout>();
  socket.send = (b: Buffer) => {
    const copy = Buffer.from(b);
    server(copy, ++n, (reply, delayMs = 0) => {
      const t = setTimeout(() => {
        timers.delete(t);
        socket.emit('message', reply);
      }, delayMs);
      timers.add(t);
    });
  };
  socket.setRecvBufferSize = () => {};
  return socket as unknown as UdpSocket;
}

const options = { concurrency: 4, durationMs: 150, size: 32, timeoutMs: 40 };

describe('UDP load accounting', () => {
  test('a perfect echo: everything sent is echoed, nothing else counted', async () => {
    const r = await runUdpEchoLoad(fakeSocket((d, _, reply) => reply(d)), options, noTrace);
    expect(r.sent).toBeGreaterThan(4);
    expect(r).toMatchObject({ echoed: r.sent, lost: 0, duplicates: 0, late: 0, reordered: 0, mismatches: 0, bytesReceived: r.sent * 32 });
    expect(r.rtt.count).toBe(r.sent);
    expect(udpLoadFailure(r, 'x')).toBeUndefined();
  });

  test('an echo after the timeout: lost, then late; a second copy of it: a duplicate', async () => {
    const r = await runUdpEchoLoad(
      fakeSocket((d, n, reply) => {
        if (n === 3) {
          reply(d, 80); // twice the timeout
          reply(d, 90);
        } else reply(d);
      }),
      options,
      noTrace,
    );
    expect(r).toMatchObject({ lost: 1, late: 1, duplicates: 1, mismatches: 0 });
    expect(r.echoed + r.lost).toBe(r.sent);
  });

  test('a datagram that is no echo of ours, and a changed echo: mismatches, the first one described', async () => {
    const r = await runUdpEchoLoad(
      fakeSocket((d, n, reply) => {
        if (n === 2) reply(Buffer.from('not ours at all'));
        if (n === 5) {
          const changed = Buffer.from(d);
          changed[UDP_LOAD_HEADER_BYTES + 3] = changed[UDP_LOAD_HEADER_BYTES + 3]! ^ 0xff;
          reply(changed);
        } else reply(d);
      }),
      options,
      noTrace,
    );
    expect(r.mismatches).toBe(2);
    expect(r.firstMismatch).toMatchObject({ offset: UDP_LOAD_HEADER_BYTES + 3, bytes: 32, echoBytes: 32 });
    expect(udpLoadFailure(r, '127.0.0.1:7')).toMatchObject({ code: 'PROTOCOL' });
  });

  test('nothing ever echoed: every datagram lost, a TIMEOUT failure', async () => {
    const r = await runUdpEchoLoad(fakeSocket(() => {}), options, noTrace);
    expect(r.echoed).toBe(0);
    expect(r.lost).toBe(r.sent);
    expect(r.lossPercent).toBe(100);
    expect(udpLoadFailure(r, '127.0.0.1:7')).toMatchObject({ code: 'TIMEOUT' });
  });

  test('an aborted run stops at once and says so', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await runUdpEchoLoad(fakeSocket((d, _, reply) => reply(d)), { ...options, durationMs: 60_000 }, noTrace, controller.signal);
    expect(r.interrupted).toBe(true);
    expect(r.durationMs).toBeLessThan(60_000);
  });
});
