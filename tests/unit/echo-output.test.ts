// The echo renderers on a pretend TTY and in a pipe (FakeStream), as pure functions of events.
import { describe, expect, test } from '@jest/globals';
import { Terminal } from '../../src/output/terminal.js';
import { humanLine, legacyPlainLine, createEchoEventPrinter } from '../../src/output/echo-server.js';
import { keyValueLine, legacyEvents } from '../../src/output/server-events.js';
import { sampleLine, printCountSummary, excerpt, differenceText } from '../../src/output/echo-client.js';
import { FakeStream } from '../helpers/fake-stream.js';

const tty = () => new Terminal({ stdout: new FakeStream(true), stderr: new FakeStream(true), env: { NO_COLOR: '1' } });
const summary = { connections: 1, refused: 0, bytesIn: 2048, bytesOut: 2048, peakConcurrent: 1, cut: 0, refusedDescriptors: 0, datagrams: 1, datagramsRefused: { ownAddress: 0, lowPort: 0, rateLimited: 0 }, datagramBytes: 2, errors: 0, uptimeMs: 1490 };

describe('echo-server events', () => {
  test('on a terminal: readable lines, with how to expose a loopback listener', () => {
    const term = tty();
    expect(humanLine(term, { event: 'listening', address: '127.0.0.1', port: 7007, protocol: 'tcp', family: 4, backlog: 4096 })).toMatch(
      /listening {2}TCP 127\.0\.0\.1:7007, backlog 4096 \(loopback only; expose with --host 0\.0\.0\.0 or --host ::\)$/,
    );
    expect(
      humanLine(term, { event: 'disconnect', protocol: 'tcp', open: 0, id: 3, remoteAddress: '::1', remotePort: 5000, bytesIn: 2048, bytesOut: 2048, durationMs: 12.34, reason: 'reset', error: 'ECONNRESET', halfClosed: false }),
    ).toMatch(/disconnect \[::1\]:5000 #3 in 2\.0 KiB, out 2\.0 KiB, 12\.3 ms, reset by client ECONNRESET$/);
    expect(humanLine(term, { event: 'summary', ...summary })).toMatch(/summary {4}1 connection, 0 refused, peak 1 concurrent, in 2\.0 KiB, out 2\.0 KiB, 1 datagram \(2 B\), up 1\.49 s$/);
  });

  test('piped: the event name, then key=value for every JSON field, nested objects flattened', () => {
    expect(keyValueLine({ event: 'refused', protocol: 'tcp', remoteAddress: '127.0.0.1', remotePort: 4000, reason: 'max-conns', maxConns: 2 })).toBe(
      'refused\tprotocol=tcp\tremoteAddress=127.0.0.1\tremotePort=4000\treason=max-conns\tmaxConns=2',
    );
    const line = keyValueLine({ event: 'summary', ...summary });
    expect(line).toMatch(/\tdatagramsRefusedOwnAddress=0\tdatagramsRefusedLowPort=0\tdatagramsRefusedRateLimited=0\t/);
    expect(keyValueLine({ event: 'error', what: 'a\tb\nc', error: undefined, x: null } as never)).toBe('error\twhat=a b c\tx=');
  });

  test('SOCKKIT_LEGACY_EVENTS=1 brings back 0.1.0\'s layout and the word shutdown, and nothing else does', () => {
    expect(legacyEvents({ SOCKKIT_LEGACY_EVENTS: '1' })).toBe(true);
    expect(legacyEvents({ SOCKKIT_LEGACY_EVENTS: '0' })).toBe(false);
    expect(legacyEvents({})).toBe(false);
    expect(legacyPlainLine({ event: 'refused', protocol: 'tcp', remoteAddress: '127.0.0.1', remotePort: 4000, reason: 'max-conns', maxConns: 2 })).toBe(
      'refused\ttcp\t127.0.0.1\t4000\treason=max-conns\tmaxConns=2',
    );
    const disconnect = { event: 'disconnect', protocol: 'tcp', open: 0, id: 3, remoteAddress: '::1', remotePort: 5000, bytesIn: 1, bytesOut: 1, durationMs: 1, reason: 'drained', halfClosed: false } as const;
    for (const json of [true, false]) {
      const out = new FakeStream(false);
      const print = createEchoEventPrinter(new Terminal({ stdout: out, json, env: { SOCKKIT_LEGACY_EVENTS: '1' } }));
      print(disconnect);
      print.flush();
      expect(out.text).toMatch(json ? /"reason":"shutdown"/ : /\treason=shutdown$/m);
      const current = new FakeStream(false);
      const printNow = createEchoEventPrinter(new Terminal({ stdout: current, json, env: {} }));
      printNow(disconnect);
      printNow.flush();
      expect(current.text).toMatch(json ? /"reason":"drained"/ : /\treason=drained\t/);
    }
  });

  test('the printer batches connection lines into one write per event-loop turn; listening is written at once', async () => {
    const out = new FakeStream(false);
    const print = createEchoEventPrinter(new Terminal({ stdout: out, json: true }));
    print({ event: 'listening', address: '::1', port: 1, protocol: 'tcp', family: 6 });
    expect(out.chunks).toHaveLength(1);
    for (let i = 0; i < 100; i++) print({ event: 'connect', protocol: 'tcp', id: i, remoteAddress: '::1', remotePort: 2, open: i + 1 });
    expect(out.chunks).toHaveLength(1);
    await new Promise((r) => setImmediate(r));
    expect(out.chunks).toHaveLength(2);
    expect(out.text.trim().split('\n')).toHaveLength(101);
    expect(JSON.parse(out.text.split('\n')[0]!)).toEqual({ event: 'listening', address: '::1', port: 1, protocol: 'tcp', family: 6 });
  });
});

describe('echo-client lines', () => {
  const target = { protocol: 'udp' as const, address: '127.0.0.1', port: 7 };
  test('ping-like per-message lines on a terminal', () => {
    const term = tty();
    expect(sampleLine(term, target, { seq: 2, bytes: 64, rttMs: 0.4567, status: 'ok' })).toBe('64 bytes from 127.0.0.1:7: seq=2 time=0.457 ms');
    expect(sampleLine(term, target, { seq: 3, bytes: 64, status: 'lost' })).toBe('64 bytes from 127.0.0.1:7: seq=3 lost (no echo within --timeout)');
    expect(sampleLine(term, target, { seq: 4, bytes: 64, rttMs: 1, status: 'mismatch', differingBytes: 2, firstDifferenceAt: 9 })).toMatch(/MISMATCH \(2 bytes differ, first at byte 9\)/);
    const difference = { offset: 0, expected: Buffer.from('hi\n'), seen: Buffer.from('HI\n') };
    expect(sampleLine(term, target, { seq: 5, bytes: 3, rttMs: 1, status: 'mismatch', differingBytes: 2, firstDifferenceAt: 0, echoBytes: 3, difference })).toBe(
      '3 bytes from 127.0.0.1:7: seq=5 time=1.000 ms MISMATCH (2 bytes differ, echo 3 bytes, first difference at byte 0: expected "hi\\n", seen "HI\\n")',
    );
  });

  test('piped: a mismatch carries its offset, the echo length and both sides in hex', () => {
    const term = new Terminal({ stdout: new FakeStream(false), stderr: new FakeStream(false), env: {} });
    const difference = { offset: 1, expected: Buffer.from([0xde, 0xad]), seen: Buffer.alloc(0) };
    expect(sampleLine(term, target, { seq: 1, bytes: 3, rttMs: 1, status: 'mismatch', differingBytes: 2, firstDifferenceAt: 1, echoBytes: 1, difference })).toBe(
      '1\t3\t1.000\tmismatch\tfirstDifferenceAt=1\techoBytes=1\texpectedHex=dead\tseenHex=',
    );
  });

  test('an excerpt reads as text when it is text, as hex otherwise, and says where a side ended', () => {
    expect(excerpt(Buffer.from('SSH-2.0-x\r\n'))).toBe('"SSH-2.0-x\\r\\n"');
    expect(excerpt(Buffer.from([0x00, 0xff, 0x41]))).toBe('00 ff 41');
    expect(excerpt(Buffer.alloc(0))).toBe('(end)');
    expect(excerpt(Buffer.alloc(16, 0x61))).toBe(`"${'a'.repeat(16)}"…`);
    expect(differenceText({ offset: 7, expected: Buffer.from('o'), seen: Buffer.alloc(0) })).toBe('first difference at byte 7: expected "o", seen (end)');
  });

  test('the summary states loss for UDP', () => {
    const term = tty();
    printCountSummary(term, target, { sent: 4, received: 3, mismatched: 0, lost: 1, lossPercent: 25, minMs: 1, avgMs: 2, p50Ms: 2, p90Ms: 3, p99Ms: 3, maxMs: 3 }, []);
    const text = (term.stdout as FakeStream).text;
    expect(text).toContain('4 sent, 3 received, 0 mismatched, 1 lost (25.0% loss)');
    expect(text).toContain('rtt min/avg/p50/p90/p99/max = 1.000/2.000/2.000/3.000/3.000/3.000 ms');
  });
});
