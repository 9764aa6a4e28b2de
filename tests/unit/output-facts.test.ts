// The pure parts of "one document on failure" and "true facts in output": JSON number
// rounding, the error document, bounded error lines, TLS reasons and hints, and
// statistics with no data.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Terminal } from '../../src/output/terminal.js';
import { jsonText, printJson, roundJsonNumber } from '../../src/output/render.js';
import { formatError, MAX_ERROR_LINE, reportFailure } from '../../src/output/errors.js';
import { SockkitError, tlsError, toSockkitError, truncateMiddle, withMeasured } from '../../src/net/shared/errors.js';
import { countDocument, printCountSummary, printLoadResult } from '../../src/output/echo-client.js';
import { summarizeSamples } from '../../src/net/echo/client.js';
import type { LoadResult } from '../../src/net/echo/load.js';
import { runCli } from '../../src/cli.js';
import { FakeStream } from '../helpers/fake-stream.js';
import { startHostileNtpServer, type HostileServer } from '../fixtures/ntp/hostile-server.js';

describe('JSON numbers at their unit precision', () => {
  test('milliseconds to the microsecond, rates and percentages to 3 decimals', () => {
    expect(JSON.parse(jsonText({ rttMs: 0.4130689999999504, sentMBps: 12.3456789, lossPercent: 33.33333333, messagesPerSecond: 1234.56789 }))).toEqual({
      rttMs: 0.413,
      sentMBps: 12.346,
      lossPercent: 33.333,
      messagesPerSecond: 1234.568,
    });
  });

  test('integers, strings and null are left alone; other fractions keep 12 significant digits and lose the noise', () => {
    expect(roundJsonNumber('port', 8080)).toBe(8080);
    expect(roundJsonNumber('name', 'x')).toBe('x');
    expect(roundJsonNumber('minMs', null)).toBe(null);
    expect(roundJsonNumber('precisionSeconds', 2 ** -23)).toBe(1.19209289551e-7);
    expect(roundJsonNumber('ratio', 0.1 + 0.2)).toBe(0.3);
  });

  test('nested objects and arrays, in both printers', () => {
    const out = new FakeStream();
    printJson(new Terminal({ stdout: out }), { samples: [{ rttMs: 1.0000000001 }], rtt: { p50Ms: 2.00049999 } });
    expect(JSON.parse(out.text)).toEqual({ samples: [{ rttMs: 1 }], rtt: { p50Ms: 2 } });
  });
});

describe('--json on failure: one document', () => {
  const term = (command = 'http-get') => {
    const stdout = new FakeStream();
    const stderr = new FakeStream();
    return { term: new Terminal({ stdout, stderr, json: true, command }), stdout, stderr };
  };
  const failure = () => withMeasured(new SockkitError('UNREACHABLE', 'connect 127.0.0.1:1', 'connection refused'), { url: 'http://127.0.0.1:1/' });

  test('the error beside what was measured, and the line on stderr', () => {
    const { term: t, stdout, stderr } = term();
    reportFailure(t, failure());
    expect(JSON.parse(stdout.text)).toEqual({
      url: 'http://127.0.0.1:1/',
      error: { code: 'UNREACHABLE', exitCode: 4, message: 'connect 127.0.0.1:1: connection refused' },
    });
    expect(stderr.text).toBe('sockkit http-get: connect 127.0.0.1:1: connection refused\n');
  });

  test('no second document once the command has printed its own', () => {
    const { term: t, stdout } = term();
    printJson(t, { servers: [] });
    reportFailure(t, failure());
    expect(JSON.parse(stdout.text)).toEqual({ servers: [] });
  });

  test('servers print NDJSON: the error is one line', () => {
    const { term: t, stdout } = term('echo-server');
    reportFailure(t, failure());
    expect(stdout.text.trim().split('\n')).toHaveLength(1);
  });

  test('without --json nothing goes to stdout', () => {
    const stdout = new FakeStream();
    reportFailure(new Terminal({ stdout, stderr: new FakeStream(), command: 'bind' }), failure());
    expect(stdout.text).toBe('');
  });

  test('withMeasured wraps any error and keeps what an inner layer measured', () => {
    const inner = withMeasured(new SockkitError('ADDRESS_UNAVAILABLE', 'bind', 'in use'), { holders: [1] });
    expect(withMeasured(inner, { holders: [], address: 'x' }).measured).toEqual({ holders: [1], address: 'x' });
    const wrapped = withMeasured(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), { port: 1 }, 'connect');
    expect(wrapped).toMatchObject({ code: 'UNREACHABLE', what: 'connect', measured: { port: 1 } });
  });
});

describe('error lines stay readable', () => {
  test('long URLs are cut in the middle, the line is bounded', () => {
    const url = (c: string) => `http://127.0.0.1:8080/${c.repeat(3000)}`;
    const err = new SockkitError('PROTOCOL', 'redirect loop', `${url('a')} → ${url('b')} → ${url('a')}`, 'the server redirects back');
    const line = formatError('sockkit http-get', err);
    expect(line.length).toBeLessThanOrEqual(MAX_ERROR_LINE);
    expect(line).toMatch(/^sockkit http-get: redirect loop: http:\/\/127\.0\.0\.1:8080\/a+…a+ → http:\/\/127\.0\.0\.1:8080\/b+…b+ → /);
    expect(line).toMatch(/\(the server redirects back\)$/);
  });

  test('a short line is unchanged', () => {
    const err = new SockkitError('UNREACHABLE', 'GET http://127.0.0.1:1/', 'connection refused');
    expect(formatError('sockkit http-get', err)).toBe('sockkit http-get: GET http://127.0.0.1:1/: connection refused');
  });

  test('truncateMiddle keeps the start and the end', () => {
    expect(truncateMiddle('abcdefghij', 5)).toBe('abc…j');
    expect(truncateMiddle('abc', 5)).toBe('abc');
  });
});

describe('TLS failures: one reason, the right hint', () => {
  const sslError = (code: string, reason: string) =>
    Object.assign(new Error(`80BCCBA43E7F0000:error:0A00045C:SSL routines:ssl3_read_bytes:${reason}:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116\n`), {
      code,
      library: 'SSL routines',
      reason,
    });

  test.each([
    ['CERT_HAS_EXPIRED', /has expired/, /renew/],
    ['CERT_NOT_YET_VALID', /not valid yet/, /clock/],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', /self-signed/, /--cacert/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', /unable to verify/, /--cacert/],
  ])('%s', (code, why, hint) => {
    const err = toSockkitError(Object.assign(new Error('x'), { code }), 'TLS handshake with h:443');
    expect(err.code).toBe('TLS');
    expect(err.why).toMatch(why);
    expect(err.hint).toMatch(hint);
  });

  test('a wrong name says which names the certificate is for, and no --cacert', () => {
    const err = tlsError(
      Object.assign(new Error("Hostname/IP does not match certificate's altnames: Host: a.test. is not in the cert's altnames: DNS:b.test"), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
        host: 'a.test',
        cert: { subjectaltname: 'DNS:b.test, DNS:c.test' },
      }),
      'TLS handshake with a.test:443',
    );
    expect(err.why).toBe('the certificate is not for a.test (it names DNS:b.test, DNS:c.test)');
    expect(err.hint).not.toMatch(/--cacert/);
  });

  test('OpenSSL text is reduced to its short reason: no address, no source path', () => {
    const err = toSockkitError(sslError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tlsv13 alert certificate required'), 'GET https://h/');
    expect(err.code).toBe('TLS');
    expect(err.why).toBe('the server ended the handshake with the alert "certificate required" (tlsv13 alert certificate required)');
    expect(err.hint).toMatch(/client certificate/);
  });

  test('the reason is read from the message when Node gives none', () => {
    const raw = sslError('ERR_SSL_SOMETHING_NEW', 'bad record mac');
    delete (raw as { reason?: string }).reason;
    expect(tlsError(raw, 'x').why).toBe('TLS failure (bad record mac)');
  });
});

describe('statistics with nothing received', () => {
  const target = { protocol: 'udp' as const, address: '127.0.0.1', port: 9 };
  const lost = [1, 2].map((seq) => ({ seq, bytes: 64, status: 'lost' as const }));

  test('--count: JSON has null, not 0, for every round-trip figure', () => {
    const doc = countDocument(target, summarizeSamples(lost), lost) as { summary: Record<string, unknown> };
    expect(doc.summary).toMatchObject({ sent: 2, received: 0, lost: 2, minMs: null, avgMs: null, p50Ms: null, maxMs: null });
  });

  test('--count piped and on a TTY: – instead of 0.000', () => {
    const piped = new FakeStream();
    printCountSummary(new Terminal({ stdout: piped }), target, summarizeSamples(lost), lost);
    expect(piped.text).toContain('minMs=–\tavgMs=–\tp50Ms=–\tp90Ms=–\tp99Ms=–\tmaxMs=–');
    const tty = new FakeStream(true);
    printCountSummary(new Terminal({ stdout: tty, env: { NO_COLOR: '1' } }), target, summarizeSamples(lost), lost);
    expect(tty.text).toContain('rtt min/avg/p50/p90/p99/max = – (no echo received)');
    expect(tty.text).not.toContain('0.000');
  });

  test('load mode without one echo: – and null', async () => {
    const result: LoadResult = {
      concurrency: 1, size: 64, durationMs: 100, connectionsOpened: 1, connectionsFailed: 0, connectFailures: {}, connectionsDropped: 1, dropCauses: {}, connectionsTimedOut: 0,
      messages: 0, mismatches: 0, bytesSent: 64, bytesReceived: 0, messagesPerSecond: 0, sentMBps: 0, receivedMBps: 0,
      rtt: { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 },
    };
    const piped = new FakeStream();
    await printLoadResult(new Terminal({ stdout: piped }), { ...target, protocol: 'tcp' }, result);
    expect(piped.text).toContain('rtt\t– (no echo received)');
    const json = new FakeStream();
    await printLoadResult(new Terminal({ stdout: json, json: true }), { ...target, protocol: 'tcp' }, result);
    expect(JSON.parse(json.text).rtt).toEqual({ count: 0, minMs: null, meanMs: null, p50Ms: null, p90Ms: null, p99Ms: null, p999Ms: null, maxMs: null });
  });

  describe('ntp jitter needs two answers', () => {
    let server: HostileServer;
    beforeAll(async () => {
      server = await startHostileNtpServer('every-other');
    });
    afterAll(async () => {
      await server.close();
    });

    test('--samples 2 with one answer: jitter null, not 0', async () => {
      const stdout = new FakeStream();
      const code = await runCli(['ntp', '127.0.0.1', '--port', String(server.port), '--samples', '2', '--interval', '0', '--timeout', '0.5', '--json'], {
        terminal: { stdout, stderr: new FakeStream(), env: {} },
        handleSignals: false,
      });
      expect(code).toBe(0);
      const stats = JSON.parse(stdout.text).servers[0].stats;
      expect(stats).toMatchObject({ count: 2, answered: 1, jitterMs: null });
    });
  });
});
