// DoT's held-back tail (src/net/dns/held-tail.ts): every byte written exactly once and in
// order whatever the reads and tickets, one byte after each read while the server has
// more to send, the last one only when nothing else comes before its answer, and the
// fallback when no read comes.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { HeldTail } from '../../src/net/dns/held-tail.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function harness(options: { ticketsToCome: boolean; fallbackMs?: number; outstanding?: () => number }) {
  const writes: Buffer[] = [];
  let outstanding = 0;
  const tail = new HeldTail({
    write: (bytes) => writes.push(Buffer.from(bytes)),
    onlyLastOutstanding: () => (options.outstanding?.() ?? outstanding) <= 1,
    ticketsToCome: options.ticketsToCome,
    fallbackMs: options.fallbackMs ?? 10_000,
  });
  return { tail, writes, written: () => Buffer.concat(writes), setOutstanding: (n: number) => (outstanding = n) };
}

describe('HeldTail', () => {
  test('TLS 1.3, one question: held whole, all but a few bytes after the first ticket, the rest after the second (OpenSSL sends two)', async () => {
    const frame = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
    const h = harness({ ticketsToCome: true });
    h.setOutstanding(1);
    h.tail.writeFrame(frame);
    expect(h.written().length).toBe(0);
    h.tail.onTicket();
    expect(h.writes.length).toBe(0); // not from inside the ticket's read
    await turn();
    expect(h.written().length).toBeGreaterThan(0);
    expect(h.written().equals(frame)).toBe(false);
    expect(frame.subarray(0, h.written().length).equals(h.written())).toBe(true);
    h.tail.onTicket();
    await turn();
    expect(h.written().equals(frame)).toBe(true);
    h.tail.close();
  });

  test('no tickets to come and nothing else outstanding: the frame goes whole at once', () => {
    const h = harness({ ticketsToCome: false });
    h.setOutstanding(1);
    h.tail.writeFrame(Buffer.from('hello, server'));
    expect(h.written().toString()).toBe('hello, server');
    h.tail.close();
  });

  test('the last byte waits while other answers are outstanding, and goes with the read that leaves only its own', async () => {
    const h = harness({ ticketsToCome: false });
    h.setOutstanding(3);
    h.tail.writeFrame(Buffer.from('first question'));
    const before = h.written().length;
    h.tail.onRead();
    await turn();
    expect(h.written().length).toBeGreaterThan(before);
    expect(h.written().length).toBeLessThan('first question'.length);
    const after = h.written().length;
    h.tail.onRead();
    await turn();
    expect(h.written().length).toBe(after + 1); // then a byte a read
    h.setOutstanding(1);
    h.tail.onRead();
    await turn();
    expect(h.written().toString()).toBe('first question');
    h.tail.close();
  });

  test('a question written after a read carries the ACK: no byte of its tail is spent on that read', async () => {
    const h = harness({ ticketsToCome: false });
    h.setOutstanding(5);
    h.tail.writeFrame(Buffer.from('question one'));
    h.tail.onRead();
    h.tail.writeFrame(Buffer.from('question two'));
    const after = h.written().length;
    await turn();
    expect(h.written().length).toBe(after);
    expect(h.written().toString()).toBe('question onequestion two'.slice(0, after));
    h.tail.close();
  });

  test('no read for fallbackMs (a server that sends one ticket, or none): everything held goes', async () => {
    const h = harness({ ticketsToCome: true, fallbackMs: 5 });
    h.setOutstanding(1);
    h.tail.writeFrame(Buffer.from('a question'));
    await sleep(40);
    expect(h.written().toString()).toBe('a question');
    h.tail.close();
  });

  test('after close nothing is written', async () => {
    const h = harness({ ticketsToCome: true, fallbackMs: 5 });
    h.setOutstanding(2);
    h.tail.writeFrame(Buffer.from('a question'));
    const before = h.written().length;
    h.tail.close();
    h.tail.onRead();
    await sleep(20);
    expect(h.written().length).toBe(before);
  });

  test('property: whatever the frames, reads and tickets, the bytes written are the frames in order, each once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => ({ frame: Buffer.from(a) })), fc.constant({ read: true }), fc.constant({ ticket: true })), { maxLength: 30 }),
        fc.boolean(),
        async (steps, ticketsToCome) => {
          let outstanding = 0;
          const h = harness({ ticketsToCome, outstanding: () => outstanding });
          const sent: Buffer[] = [];
          for (const step of steps) {
            if ('frame' in step) {
              outstanding++;
              sent.push(step.frame);
              h.tail.writeFrame(step.frame);
            } else if ('read' in step) {
              outstanding = Math.max(0, outstanding - 1);
              h.tail.onRead();
            } else h.tail.onTicket();
            await turn();
            expect(Buffer.concat(sent).subarray(0, h.written().length).equals(h.written())).toBe(true);
          }
          h.tail.flush();
          expect(h.written().equals(Buffer.concat(sent))).toBe(true);
          h.tail.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
