// The client core in-process, against test servers on loopback: what the CLI tests
// cannot reach (a name with several addresses, resolver failures, aborts, stale replies).
import { noTrace } from '../../src/net/shared/trace.js';
import { afterAll, describe, expect, test } from '@jest/globals';
import { SockkitError } from '../../src/net/shared/errors.js';
import { NtpKissOfDeathError, queryNtpServer, type LookupFn } from '../../src/net/ntp/client.js';
import { bestOutcome, queryNtpServers, statusOf } from '../../src/net/ntp/servers.js';
import { startHostileNtpServer, type HostileServer } from '../fixtures/ntp/hostile-server.js';

const started: HostileServer[] = [];
async function server(...args: Parameters<typeof startHostileNtpServer>) {
  const s = await startHostileNtpServer(...args);
  started.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

const lookupOf =
  (...addresses: string[]): LookupFn =>
  async (_host, family) =>
    addresses.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) })).filter((a) => !family || a.family === family);

describe('a name with several addresses', () => {
  test('uses the first that answers and says which were skipped', async () => {
    const good = await server('valid', '127.0.0.1');
    const steps: string[] = [];
    // Nothing listens on 127.0.0.2 at that port: the first address stays silent.
    const report = await queryNtpServer({
      server: 'ntp.test',
      port: good.port,
      timeoutMs: 1000,
      lookup: lookupOf('127.0.0.2', '127.0.0.1'),
      trace: (step, detail) => steps.push(`${step} ${detail}`),
    });
    expect(report.address).toBe('127.0.0.1');
    expect(report.addresses).toEqual(['127.0.0.2', '127.0.0.1']);
    expect(report.unanswered).toEqual([{ address: '127.0.0.2', why: expect.stringMatching(/timed out after 500 ms|timed out after 0\.5 s/) }]);
    expect(steps).toContainEqual(expect.stringMatching(/^resolve ntp\.test → 127\.0\.0\.2, 127\.0\.0\.1$/));
    expect(steps).toContainEqual(expect.stringMatching(/^next 127\.0\.0\.2: .*trying the next address$/));
  });

  test('-6 / -4 are passed to the resolver', async () => {
    const v6 = await server('valid', '::1');
    const report = await queryNtpServer({ trace: noTrace, server: 'ntp.test', port: v6.port, family: 6, timeoutMs: 1000, lookup: lookupOf('127.0.0.1', '::1') });
    expect(report).toMatchObject({ address: '::1', family: 6, addresses: ['::1'] });
  });

  test('when none answers: the timeout of the whole search, within --timeout', async () => {
    const t0 = performance.now();
    const err = await queryNtpServer({ trace: noTrace, server: 'ntp.test', port: 9, timeoutMs: 600, lookup: lookupOf('127.0.0.2', '127.0.0.3') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SockkitError);
    expect((err as SockkitError).code).toBe('TIMEOUT');
    expect((err as SockkitError).what).toBe('no reply from 127.0.0.3:9 (last of 2 addresses of ntp.test)');
    expect((err as SockkitError).why).toMatch(/^timed out after 0\.\d+ s; before it, 127\.0\.0\.2: timed out after 0\.3 s$/);
    expect(performance.now() - t0).toBeLessThan(600 + 1500);
  });
});

describe('resolver failures', () => {
  test('an unknown name is NOT_FOUND (exit 3)', async () => {
    const lookup: LookupFn = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nope.test'), { code: 'ENOTFOUND' });
    };
    const err = (await queryNtpServer({ trace: noTrace, server: 'nope.test', port: 123, timeoutMs: 500, lookup }).catch((e: unknown) => e)) as SockkitError;
    expect(err.code).toBe('NOT_FOUND');
    expect(err.what).toBe('resolve nope.test');
  });

  test('no address of the asked family is NOT_FOUND', async () => {
    const err = (await queryNtpServer({ trace: noTrace, server: 'v4only.test', port: 123, family: 6, timeoutMs: 500, lookup: lookupOf('127.0.0.1') }).catch((e: unknown) => e)) as SockkitError;
    expect(err.code).toBe('NOT_FOUND');
    expect(err.why).toMatch(/no IPv6 address/);
  });

  test('a resolver that never answers is bounded by the timeout', async () => {
    const lookup: LookupFn = () => new Promise(() => {});
    const err = (await queryNtpServer({ trace: noTrace, server: 'slow.test', port: 123, timeoutMs: 300, lookup }).catch((e: unknown) => e)) as SockkitError;
    expect(err.code).toBe('TIMEOUT');
  });
});

describe('samples on one socket', () => {
  test('a late duplicate of an earlier answer is ignored as stale, and the next query still succeeds', async () => {
    const s = await server('late-duplicate');
    const steps: string[] = [];
    const report = await queryNtpServer({
      server: '127.0.0.1',
      port: s.port,
      samples: 2,
      intervalMs: 0,
      timeoutMs: 2000,
      trace: (step, detail) => steps.push(`${step} ${detail}`),
    });
    expect(report.samples.map((x) => x.status)).toEqual(['ok', 'ok']);
    expect(steps).toContainEqual('ignore origin timestamp matches an earlier request (stale or duplicated reply)');
    expect(report.ignoredReplies).toBe(1);
  });

  test('a flood of forged replies is counted, not kept, and the real answer still wins', async () => {
    const s = await server('flood-then-valid');
    let traced = 0;
    const report = await queryNtpServer({ server: '127.0.0.1', port: s.port, timeoutMs: 3000, trace: (step) => void (step === 'ignore' && traced++) });
    expect(report.status).toBe('ok');
    // Loopback may drop some of the burst; every one that arrived was ignored and traced.
    expect(report.ignoredReplies).toBeGreaterThan(0);
    expect(report.ignoredReplies).toBe(traced);
    // Server and client share this machine's clock: the true offset is 0, and NTP's
    // error bound is half the round trip (a loaded machine lengthens it; 5 ms for the
    // server's clock reading). The bound, not a fixed second, is what must hold.
    expect(Math.abs(report.offsetMs)).toBeLessThanOrEqual(report.delayMs / 2 + 5);
  });

  test('a kiss-o-death is a typed error carrying the code, and ends the run', async () => {
    const s = await server('kod-deny');
    const err = await queryNtpServer({ trace: noTrace, server: '127.0.0.1', port: s.port, samples: 5, intervalMs: 10, timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NtpKissOfDeathError);
    expect((err as NtpKissOfDeathError).kissCode).toBe('DENY');
    expect((err as SockkitError).code).toBe('PROTOCOL');
    expect(s.requests()).toBe(1);
  });

  test('an abort stops the wait at once', async () => {
    const s = await server('silent');
    const controller = new AbortController();
    const reason = new SockkitError('INTERRUPTED', 'stopped', 'test');
    setTimeout(() => controller.abort(reason), 50);
    const t0 = performance.now();
    const err = await queryNtpServer({ trace: noTrace, server: '127.0.0.1', port: s.port, timeoutMs: 5000, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('several servers', () => {
  test('queried concurrently; each outcome kept; the best is the lowest root distance among synchronised ones', async () => {
    const good = await server('valid');
    const unsync = await server('leap-3');
    const silent = await server('silent');
    const t0 = performance.now();
    const outcomes = await queryNtpServers(
      [good, unsync, silent].map((s) => ({ name: `127.0.0.1:${s.port}`, host: '127.0.0.1', port: s.port })),
      { timeoutMs: 800, trace: noTrace },
    );
    // Concurrent: the silent server's 0.8 s wait is the whole run, not added to the others.
    expect(performance.now() - t0).toBeLessThan(800 + 1000);
    expect(outcomes.map(statusOf)).toEqual(['ok', 'unsynchronised', 'timeout']);
    expect(bestOutcome(outcomes)?.server).toBe(`127.0.0.1:${good.port}`);
    expect(bestOutcome(outcomes.slice(1))).toBeUndefined(); // an unsynchronised server is never "best"
  });
});
