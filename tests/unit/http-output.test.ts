import { describe, expect, test } from '@jest/globals';
import type { FetchResult, HopResult } from '../../src/net/http/client.js';
import type { ResponseHead } from '../../src/net/http/parser.js';
import { httpGetDocument, printTiming, printVerboseResponse, startProgress } from '../../src/output/http.js';
import { Terminal } from '../../src/output/terminal.js';
import { FakeStream } from '../helpers/fake-stream.js';

function head(raw: string): ResponseHead {
  return { httpVersion: '1.1', status: 200, reason: 'OK', headers: [['Set-Cookie', 'a=1'], ['set-cookie', 'b=2'], ['X-A', 'x']], raw: Buffer.from(raw, 'latin1') };
}

function hop(overrides: Partial<HopResult> = {}): HopResult {
  return {
    url: 'https://localhost:8443/f',
    method: 'GET',
    status: 200,
    reason: 'OK',
    httpVersion: '1.1',
    head: head('HTTP/1.1 200 OK\r\n\r\n'),
    framing: { kind: 'length', length: 3 },
    remoteAddress: '127.0.0.1',
    remotePort: 8443,
    bodyBytes: 3,
    deliveredBytes: 3,
    decodedEncoding: null,
    timings: { dnsMs: 1, connectMs: 2, tlsMs: 3, settingsMs: null, ttfbMs: 4, transferMs: 10, totalMs: 20 },
    tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', alpn: 'http/1.1', peerSubject: 'localhost', peerIssuer: 'Test CA', validFrom: '2020-01-01T00:00:00.000Z', validTo: '2030-01-01T00:00:00.000Z', verified: true, verifyError: null },
    bodyRead: true,
    attempts: [{ address: '127.0.0.1', startMs: 0, endMs: 0.4, result: 'connected' }],
    ...overrides,
  };
}

function terminal(tty: boolean) {
  const stdout = new FakeStream(tty);
  const stderr = new FakeStream(tty);
  return { term: new Terminal({ stdout, stderr, env: {} }), stdout, stderr };
}

describe('http-get renderers', () => {
  test('JSON document: stable names, headers lower-cased and joined, total over redirects', () => {
    const first = hop({ status: 301, url: 'http://localhost:8080/f', timings: { dnsMs: 1, connectMs: 1, tlsMs: null, settingsMs: null, ttfbMs: 1, transferMs: 1, totalMs: 5 } });
    const result: FetchResult = { final: hop(), hops: [first, hop()], redirects: [{ url: 'http://localhost:8080/f', status: 301, location: 'https://localhost:8443/f' }] };
    const doc = httpGetDocument(result, null);
    expect(doc).toMatchObject({ url: 'https://localhost:8443/f', status: 200, httpVersion: '1.1', bytes: 3, output: null });
    expect(doc.headers).toEqual({ 'set-cookie': 'a=1\nb=2', 'x-a': 'x' });
    expect(doc.timings.totalMs).toBe(25);
    expect(doc.tls).toEqual({ protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', alpn: 'http/1.1', peerSubject: 'localhost', validTo: '2030-01-01T00:00:00.000Z', verified: true });
  });

  test('--timing piped: one tab-separated line per phase, with start offsets (one connect attempt: no attempt rows)', async () => {
    const { term, stdout } = terminal(false);
    await printTiming(term, { final: hop(), hops: [hop()], redirects: [] });
    expect(stdout.text).toBe(
      'DNS lookup\t1.000\t0.000\nTCP connect\t2.000\t1.000\nTLS handshake\t3.000\t3.000\nServer processing\t4.000\t6.000\nContent transfer\t10.000\t10.000\nTotal\t20.000\t0.000\n',
    );
  });

  test('--timing over HTTP/2: the settings exchange starts with the request, beside the server\'s processing, not before it', async () => {
    const { term, stdout } = terminal(false);
    const h2 = hop({ httpVersion: '2', timings: { dnsMs: 1, connectMs: 2, tlsMs: 3, settingsMs: 1.5, ttfbMs: 4, transferMs: 10, totalMs: 20 } });
    await printTiming(term, { final: h2, hops: [h2], redirects: [] });
    expect(stdout.text).toBe(
      'DNS lookup\t1.000\t0.000\nTCP connect\t2.000\t1.000\nTLS handshake\t3.000\t3.000\nHTTP/2 settings\t1.500\t6.000\nServer processing\t4.000\t6.000\nContent transfer\t10.000\t10.000\nTotal\t20.000\t0.000\n',
    );
  });

  const raced = [
    { address: '::1', startMs: 0, result: 'cancelled' as const },
    { address: '127.0.0.1', startMs: 250.5, endMs: 251, result: 'connected' as const },
  ];

  test('Happy Eyeballs attempts: in --json with address, start, end and result; in --timing piped and on a TTY', async () => {
    const doc = httpGetDocument({ final: hop({ attempts: raced }), hops: [hop({ attempts: raced })], redirects: [] }, null);
    expect(doc.connectAttempts).toEqual([
      { address: '::1', startMs: 0, endMs: null, result: 'cancelled' },
      { address: '127.0.0.1', startMs: 250.5, endMs: 251, result: 'connected' },
    ]);
    const piped = terminal(false);
    await printTiming(piped.term, { final: hop({ attempts: raced }), hops: [], redirects: [] });
    expect(piped.stdout.text).toContain('attempt ::1\t-\t1.000\tcancelled\nattempt 127.0.0.1\t0.500\t251.500\tconnected\n');
    const tty = terminal(true);
    await printTiming(tty.term, { final: hop({ attempts: raced }), hops: [], redirects: [] });
    expect(tty.stdout.text).toMatch(/connect attempts[^\n]*\n\s+::1\s+starts at\s+1\.000\s+- ms\s+cancelled\n\s+127\.0\.0\.1\s+starts at\s+251\.500\s+0\.500 ms\s+connected/);
  });

  test('--timing on a TTY: a table with a waterfall whose bars start where the phase starts', async () => {
    const { term, stdout } = terminal(true);
    await printTiming(term, { final: hop(), hops: [hop()], redirects: [] });
    const lines = stdout.text.split('\n');
    const bars = (name: string) => {
      const line = lines.find((l) => l.includes(name))!;
      const cell = line.replace(/\u001b\[[0-9;]*m/g, '').split('│')[4]!;
      return { start: cell.indexOf('█'), length: (cell.match(/█/g) ?? []).length };
    };
    expect(bars('Total').start).toBe(1);
    expect(bars('Content transfer').start).toBeGreaterThan(bars('Server processing').start);
    expect(bars('Content transfer').length).toBeGreaterThan(bars('DNS lookup').length);
  });

  test('-v escapes control characters so a hostile header cannot drive the terminal', () => {
    const { term, stderr } = terminal(false);
    printVerboseResponse(term, head('HTTP/1.1 200 OK\r\nX-Evil: \u001b[2J\r\n\r\n'));
    expect(stderr.text).toBe('< HTTP/1.1 200 OK\n< X-Evil: \\x1b[2J\n<\n');
  });

  test('progress bar: bytes, percentage, rate and ETA on a TTY; cleared at the end', () => {
    const { term, stderr } = terminal(true);
    let now = 0;
    const progress = startProgress(term, true, () => now);
    now = 1000;
    progress.update(50 * 1024 * 1024, 100 * 1024 * 1024);
    expect(stderr.text).toMatch(/50\.0 MiB {2}\/ 100\.0 MiB {3}50% {2}\[#+\.+\] {2}ETA 0:01 {2}50\.0 MiB\/s/);
    progress.done();
    expect(stderr.text.endsWith('\r\u001b[K')).toBe(true);
  });

  test('no progress bar when stderr is not a TTY', () => {
    const { term, stderr } = terminal(false);
    const progress = startProgress(term, true, () => 1000);
    progress.update(1, 2);
    progress.done();
    expect(stderr.text).toBe('');
  });
});
