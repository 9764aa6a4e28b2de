import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { parseResolvConf, serverTryBudgetMs } from '../../src/net/dns/resolv-conf.js';
import { planQuestions } from '../../src/net/dns/resolve.js';
import { parseQueryName } from '../../src/net/dns/names.js';
import { RecordType } from '../../src/net/dns/packet.js';

describe('resolv.conf as glibc reads it', () => {
  test('nameservers in order (at most three), options timeout and attempts, comments skipped', () => {
    const conf = parseResolvConf(
      '# a comment\nsearch example.test\nnameserver 192.0.2.53\nnameserver ::1 ; trailing\nnameserver not-an-ip\nnameserver fe80::1%eth0\nnameserver 192.0.2.54\noptions ndots:2 timeout:3 attempts:4\n',
    );
    expect(conf).toEqual({ nameservers: ['192.0.2.53', '::1', 'fe80::1%eth0'], timeoutSeconds: 3, attempts: 4, defaulted: false });
  });

  test("glibc's defaults and caps: no server means 127.0.0.1; timeout at most 30, attempts at most 5", () => {
    expect(parseResolvConf('')).toEqual({ nameservers: ['127.0.0.1'], timeoutSeconds: 5, attempts: 2, defaulted: true });
    expect(parseResolvConf('options timeout:99 attempts:99')).toMatchObject({ timeoutSeconds: 30, attempts: 5 });
    expect(parseResolvConf('options timeout:0 attempts:0')).toMatchObject({ timeoutSeconds: 1, attempts: 1 });
  });

  test('property: any text parses; at most three servers, all IP literals', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const conf = parseResolvConf(text);
        expect(conf.nameservers.length).toBeGreaterThanOrEqual(1);
        expect(conf.nameservers.length).toBeLessThanOrEqual(3);
      }),
    );
  });

  test("each server's try: glibc's timeout × attempts at most, and never past its share of --timeout", () => {
    const conf = { timeoutSeconds: 1, attempts: 2 };
    expect(serverTryBudgetMs(conf, 10_000, 2)).toBe(2000); // glibc's bound
    expect(serverTryBudgetMs(conf, 3000, 3)).toBe(1000); // the share of three servers
    expect(serverTryBudgetMs(conf, 1500, 1)).toBe(1500); // the last one gets what is left, up to glibc's
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 1, max: 3 }), (t, a, remaining, left) => {
        const budget = serverTryBudgetMs({ timeoutSeconds: t, attempts: a }, remaining, left);
        expect(budget).toBeLessThanOrEqual(Math.max(1, remaining));
        expect(budget).toBeLessThanOrEqual(t * a * 1000);
      }),
    );
  });
});

describe('which questions go to getaddrinfo and which to DNS servers', () => {
  const names = ['www.test', '192.0.2.7'].map(parseQueryName);
  const plan = (types: number[] | undefined, serversForAll: boolean, family?: 4 | 6) =>
    planQuestions(names, types, serversForAll, family).map((q) => `${q.name.input} ${q.type === 'addresses' ? `addresses/${q.family ?? 'any'}` : q.type} ${q.viaServers ? 'dns' : 'system'}`);

  test('without servers: addresses through the system, every other type to the DNS servers', () => {
    expect(plan(undefined, false)).toEqual(['www.test addresses/any system', '192.0.2.7 12 system']);
    expect(plan([RecordType.MX, RecordType.A, RecordType.TXT], false)).toEqual(['www.test 15 dns', 'www.test addresses/4 system', 'www.test 16 dns', '192.0.2.7 12 system']);
    expect(plan([RecordType.A, RecordType.AAAA], false, 6)).toEqual(['www.test addresses/6 system', '192.0.2.7 12 system']);
    expect(plan([RecordType.PTR], false)).toEqual(['www.test 12 dns', '192.0.2.7 12 system']);
  });

  test('with servers for all (--server, --resolv-conf): every type of every name to them', () => {
    expect(plan(undefined, true)).toEqual(['www.test 1 dns', 'www.test 28 dns', '192.0.2.7 12 dns']);
    expect(plan(undefined, true, 4)).toEqual(['www.test 1 dns', '192.0.2.7 12 dns']);
  });
});
