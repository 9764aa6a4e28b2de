import { noTrace } from '../../src/net/shared/trace.js';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { planGlibcBound, raceDeadline, resolverFacts, systemLookup, systemReverse } from '../../src/net/socket/lookup.js';
import { SockkitError } from '../../src/net/shared/errors.js';

describe('system resolver (localhost and literal addresses only)', () => {
  test('a libc call that never returns is cut off by the deadline with a TIMEOUT error', async () => {
    const never = new Promise<string>(() => {});
    const started = performance.now();
    const failure = await raceDeadline(never, 50, 'getaddrinfo stuck.test').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SockkitError);
    expect((failure as SockkitError).code).toBe('TIMEOUT');
    expect((failure as SockkitError).what).toBe('getaddrinfo stuck.test');
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  test('a result before the deadline wins, and a late failure is not an unhandled rejection', async () => {
    await expect(raceDeadline(Promise.resolve(42), 1000, 'x')).resolves.toBe(42);
    const late = new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 30));
    await expect(raceDeadline(late, 5, 'x')).rejects.toThrow(/timed out/);
    await new Promise((r) => setTimeout(r, 50));
  });

  test('localhost (from /etc/hosts) gives a loopback address; -4 only IPv4', async () => {
    const all = await systemLookup('localhost', undefined, 5000, noTrace);
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((a) => /^127\.|^::1$/.test(a.address))).toBe(true);
    const v4 = await systemLookup('localhost', 4, 5000, noTrace);
    expect(v4.every((a) => a.family === 4)).toBe(true);
  });

  test('127.0.0.1 reverses to a name through getnameinfo', async () => {
    expect(await systemReverse('127.0.0.1', 5000, noTrace)).toMatch(/\S/);
  });
});

describe("glibc's budget from resolv.conf (RES_OPTIONS)", () => {
  const facts = (text: string, env: NodeJS.ProcessEnv = {}, host = 'vm') => resolverFacts(text, env, host);

  test('servers are counted up to glibc’s three; none listed means one (127.0.0.1)', () => {
    expect(facts('').servers).toBe(1);
    expect(facts('nameserver 10.0.0.1\nnameserver 10.0.0.2\n').servers).toBe(2);
    expect(facts('nameserver a\nnameserver b\nnameserver c\nnameserver d\n').servers).toBe(3);
    expect(facts('# nameserver 10.0.0.1\n').servers).toBe(1);
  });

  test('a search list, LOCALDOMAIN, or a dotted host name means a second name is tried', () => {
    expect(facts('nameserver x\n').searches).toBe(false);
    expect(facts('search a.test b.test\n').searches).toBe(true);
    expect(facts('domain a.test\n').searches).toBe(true);
    expect(facts('search a.test\n', { LOCALDOMAIN: '' }).searches).toBe(false);
    expect(facts('', { LOCALDOMAIN: 'x.test' }).searches).toBe(true);
    expect(facts('', {}, 'vm.example.test').searches).toBe(true);
  });

  test('glibc gives up inside the budget, with a retransmission when one fits', () => {
    expect(planGlibcBound(1000, { servers: 1, searches: false })).toMatchObject({ options: 'timeout:1 attempts:1', givesUpMs: 1000 });
    expect(planGlibcBound(5000, { servers: 1, searches: false })).toMatchObject({ options: 'timeout:2 attempts:2', givesUpMs: 4000 });
    expect(planGlibcBound(5000, { servers: 3, searches: true })).toMatchObject({ options: 'timeout:1 attempts:1', givesUpMs: 6000, minimumMs: 6000 });
    expect(planGlibcBound(30000, { servers: 2, searches: true })).toMatchObject({ options: 'timeout:3 attempts:2', givesUpMs: 24000 });
  });

  test('property: the bound fits the budget whenever glibc can fit it at all', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120000 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), (budgetMs, servers, searches) => {
        const bound = planGlibcBound(budgetMs, { servers, searches });
        expect(bound.givesUpMs).toBeGreaterThanOrEqual(bound.minimumMs);
        if (budgetMs >= bound.minimumMs) expect(bound.givesUpMs).toBeLessThanOrEqual(budgetMs);
        else expect(bound.givesUpMs).toBe(bound.minimumMs);
      }),
    );
  });
});
