import { describe, expect, test } from '@jest/globals';
import { raceDeadline, systemLookup, systemReverse } from '../../src/net/system-resolver.js';
import { SockkitError } from '../../src/net/errors.js';

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
    const all = await systemLookup('localhost', undefined, 5000);
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((a) => /^127\.|^::1$/.test(a.address))).toBe(true);
    const v4 = await systemLookup('localhost', 4, 5000);
    expect(v4.every((a) => a.family === 4)).toBe(true);
  });

  test('127.0.0.1 reverses to a name through getnameinfo', async () => {
    expect(await systemReverse('127.0.0.1', 5000)).toMatch(/\S/);
  });
});
