import { noTrace } from '../../src/net/shared/trace.js';
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { SockkitError } from '../../src/net/shared/errors.js';
import {
  answerLookups,
  findByName,
  findByPort,
  parseIanaTable,
  parseServiceQuery,
  parseServicesFile,
  rangeLookup,
  searchLookup,
  searchServices,
  servicesInRange,
  type ServiceTable,
} from '../../src/net/host/services.js';
import { loadServiceTable } from '../../src/net/host/services-table.js';
import { expectSockkitError } from '../helpers/expect-error.js';

const FIXTURE_PATH = fileURLToPath(new URL('../fixtures/lookup/services', import.meta.url));
const FIXTURE = readFileSync(FIXTURE_PATH, 'utf8');
const entries = parseServicesFile(FIXTURE);
const table: ServiceTable = { source: 'etc', path: FIXTURE_PATH, entries };

describe('parseServicesFile', () => {
  test('name, port, protocol, aliases and the comment as description', () => {
    expect(entries.find((e) => e.name === 'discard' && e.protocol === 'udp')).toEqual({
      name: 'discard', port: 9, protocol: 'udp', aliases: ['sink', 'null'], source: 'etc',
    });
    expect(entries.find((e) => e.name === 'http')).toEqual({
      name: 'http', port: 80, protocol: 'tcp', aliases: ['www'], description: 'WorldWideWeb HTTP', source: 'etc',
    });
  });

  test('skips comments, blank lines, garbage, bad ports and protocols other than tcp/udp', () => {
    const names = entries.map((e) => e.name);
    for (const skipped of ['garbage', 'broken', 'toobig', 'negative', 'noproto', 'at', 'sctp-only']) {
      expect(names).not.toContain(skipped);
    }
    expect(entries).toHaveLength(19);
  });

  test('keeps file order, the ports 0 and 65535, and tolerates CRLF', () => {
    expect(entries.slice(0, 3).map((e) => `${e.name}/${e.protocol}`)).toEqual(['tcpmux/tcp', 'echo/tcp', 'echo/udp']);
    expect(findByPort(entries, 0)[0]?.name).toBe('zero');
    expect(findByPort(entries, 65535)[0]?.name).toBe('max');
    expect(findByPort(entries, 8080)[0]).toMatchObject({ name: 'crlf', aliases: ['webcache'], description: 'CRLF line end' });
  });

  test('never throws on arbitrary text, and only returns valid tcp/udp entries', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (text) => {
        for (const e of parseServicesFile(text)) {
          expect(['tcp', 'udp']).toContain(e.protocol);
          expect(Number.isInteger(e.port) && e.port >= 0 && e.port <= 65535).toBe(true);
          expect(e.name).not.toMatch(/[\s#]/);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('generated lines round-trip', () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
    fc.assert(
      fc.property(word, fc.integer({ min: 0, max: 65535 }), fc.constantFrom('tcp', 'udp'), fc.array(word, { maxLength: 3 }), (name, port, protocol, aliases) => {
        const [e] = parseServicesFile(`${name}\t${port}/${protocol}\t${aliases.join(' ')}\t# d\n`);
        expect(e).toEqual({ name, port, protocol, aliases, description: 'd', source: 'etc' });
      }),
    );
  });
});

describe('lookups (getservbyport / getservbyname semantics)', () => {
  test('a port lists every entry in file order; the first per protocol is the primary', () => {
    expect(findByPort(entries, 80).map((e) => e.name)).toEqual(['http', 'second-http']);
    expect(findByPort(entries, 53).map((e) => e.protocol)).toEqual(['tcp', 'udp']);
    expect(findByPort(entries, 53, 'udp')).toHaveLength(1);
    expect(findByPort(entries, 22, 'udp')).toEqual([]);
  });

  test('a name matches names and aliases, exact spelling first', () => {
    expect(findByName(entries, 'www').map((e) => e.port)).toEqual([80, 5000]);
    expect(findByName(entries, 'krb5', 'udp')).toMatchObject([{ name: 'kerberos', port: 88, protocol: 'udp' }]);
    expect(findByName(entries, 'Mixed').map((e) => `${e.name}/${e.protocol}`)).toEqual(['Mixed/udp']);
    expect(findByName(entries, 'mixed').map((e) => `${e.name}/${e.protocol}`)).toEqual(['mixed/tcp']);
  });

  test('with no exact match, a name matches case-insensitively', () => {
    expect(findByName(entries, 'SSH')).toMatchObject([{ name: 'ssh', port: 22 }]);
    expect(findByName(entries, 'mixedalias')).toMatchObject([{ name: 'Mixed', port: 4000 }]);
  });

  test('--search looks in names, aliases and descriptions, case-insensitively', () => {
    expect(searchServices(entries, 'remote').map((e) => e.name)).toEqual(['ssh']);
    expect(searchServices(entries, 'SINK').map((e) => `${e.name}/${e.protocol}`)).toEqual(['discard/tcp', 'discard/udp']);
    expect(searchServices(entries, 'kerberos', 'tcp')).toHaveLength(1);
  });

  test('--range is ordered by port then protocol, bounds included', () => {
    expect(servicesInRange(entries, 53, 88).map((e) => `${e.port}/${e.protocol} ${e.name}`)).toEqual([
      '53/tcp domain', '53/udp domain', '80/tcp http', '80/tcp second-http', '88/tcp kerberos', '88/udp kerberos',
    ]);
    expect(servicesInRange(entries, 0, 65535, 'udp').at(-1)?.name).toBe('max');
  });
});

describe('parseServiceQuery', () => {
  test.each([
    ['22', { kind: 'port', text: '22', port: 22 }],
    ['0', { kind: 'port', text: '0', port: 0 }],
    ['65535', { kind: 'port', text: '65535', port: 65535 }],
    ['53/udp', { kind: 'port', text: '53/udp', port: 53, protocol: 'udp' }],
    ['ssh', { kind: 'name', text: 'ssh', name: 'ssh' }],
    ['ssh/TCP', { kind: 'name', text: 'ssh/TCP', name: 'ssh', protocol: 'tcp' }],
    ['3com-tsmux', { kind: 'name', text: '3com-tsmux', name: '3com-tsmux' }],
  ])('%s', (input, expected) => {
    expect(parseServiceQuery(input)).toEqual(expected);
  });

  test.each(['65536', '99999', '-1', '1.5', '+80', '', '/tcp', '22/sctp', '8080/', 'a b'])('rejects %p as a usage error', (input) => {
    expectSockkitError(() => parseServiceQuery(input));
  });

  test('only usage errors, for any input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        try {
          const q = parseServiceQuery(text);
          if (q.kind === 'port') expect(q.port).toBeLessThanOrEqual(65535);
        } catch (err) {
          expect((err as SockkitError).code).toBe('USAGE');
        }
      }),
    );
  });

  test('--search and --range arguments are checked', () => {
    expectSockkitError(() => searchLookup('  '));
    expectSockkitError(() => rangeLookup('8100-8000'));
    expectSockkitError(() => rangeLookup('80-abc'));
    expectSockkitError(() => rangeLookup('80-70000'));
    expect(rangeLookup('8000-8100')).toEqual({ kind: 'range', text: '8000-8100', first: 8000, last: 8100 });
  });
});

describe('answerLookups', () => {
  test('answers in order; an empty answer is NOT_FOUND naming the table and the protocols', () => {
    const results = answerLookups(table, [parseServiceQuery('22'), parseServiceQuery('nope'), parseServiceQuery('22/udp'), rangeLookup('100-199')]);
    expect(results.map((r) => r.entries.length)).toEqual([1, 0, 0, 0]);
    expect(results[0]!.error).toBeUndefined();
    expect(results[1]!.error).toMatchObject({ code: 'NOT_FOUND', what: "unknown service 'nope'" });
    expect(results[1]!.error?.why).toContain(FIXTURE_PATH);
    expect(results[2]!.error).toMatchObject({ code: 'NOT_FOUND', what: 'unknown port 22', why: `no udp service in ${FIXTURE_PATH}` });
    expect(results[3]!.error?.what).toBe('ports 100-199');
  });

  test('--proto applies unless the query names its own protocol', () => {
    const [byFlag, byQuery] = answerLookups(table, [parseServiceQuery('53'), parseServiceQuery('53/tcp')], 'udp');
    expect(byFlag!.entries.map((e) => e.protocol)).toEqual(['udp']);
    expect(byQuery!.entries.map((e) => e.protocol)).toEqual(['tcp']);
  });
});

describe('the IANA table', () => {
  test('parseIanaTable expands tcp+udp rows and skips comments and bad lines', () => {
    const parsed = parseIanaTable('# header\n80\ttu\thttp\tWorld Wide Web HTTP\n123\tu\tntp\tNetwork Time Protocol\nbad\n70000\tt\tx\ty\n9\tx\tnone\tno protocol\n');
    expect(parsed).toEqual([
      { name: 'http', port: 80, protocol: 'tcp', aliases: [], description: 'World Wide Web HTTP', source: 'iana' },
      { name: 'http', port: 80, protocol: 'udp', aliases: [], description: 'World Wide Web HTTP', source: 'iana' },
      { name: 'ntp', port: 123, protocol: 'udp', aliases: [], description: 'Network Time Protocol', source: 'iana' },
    ]);
  });

  test('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => {
      for (const e of parseIanaTable(text)) expect(e.port).toBeLessThanOrEqual(65535);
    }));
  });

  test('the built table (dist/iana-services.tsv) holds the registry for tcp and udp, named entries only', async () => {
    const iana = await loadServiceTable({ trace: noTrace, source: 'iana' });
    expect(iana.source).toBe('iana');
    expect(iana.entries.length).toBeGreaterThan(10000);
    expect(findByPort(iana.entries, 6379, 'tcp')[0]).toMatchObject({ name: 'redis', source: 'iana' });
    expect(findByPort(iana.entries, 123, 'udp')[0]).toMatchObject({ name: 'ntp', description: 'Network Time Protocol' });
    expect(findByName(iana.entries, 'https').map((e) => `${e.port}/${e.protocol}`)).toEqual(['443/tcp', '443/udp']);
    expect(findByPort(iana.entries, 4)).toEqual([]); // "Unassigned" rows have no name and are left out
    expect(iana.entries.every((e) => e.name !== '')).toBe(true);
  });
});

describe('loadServiceTable', () => {
  const missing = fileURLToPath(new URL('../fixtures/lookup/no-such-services', import.meta.url));
  const empty = fileURLToPath(new URL('../fixtures/lookup/hosts', import.meta.url)); // no services lines in it

  test('auto reads the services file when it is there', async () => {
    const t = await loadServiceTable({ trace: noTrace, source: 'auto', servicesFile: FIXTURE_PATH });
    expect(t).toMatchObject({ source: 'etc', path: FIXTURE_PATH });
    expect(t.entries).toHaveLength(19);
  });

  test('auto falls back to the IANA table when /etc/services is missing or has no entries, and says so in the trace', async () => {
    const steps: string[] = [];
    const t = await loadServiceTable({ source: 'auto', defaultServicesFile: missing, trace: (s, d) => steps.push(`${s} ${d}`) });
    expect(t.source).toBe('iana');
    expect(steps.join('\n')).toMatch(/no such file[\s\S]*falling back to the IANA table/);
    expect((await loadServiceTable({ trace: noTrace, source: 'auto', defaultServicesFile: empty })).source).toBe('iana');
  });

  test('a file the user named must be usable, whatever the source: a usage error (exit 2) otherwise', async () => {
    for (const source of ['auto', 'etc'] as const) {
      await expect(loadServiceTable({ trace: noTrace, source, servicesFile: missing })).rejects.toMatchObject({ code: 'USAGE', what: `--services-file ${missing}`, why: 'no such file' });
      await expect(loadServiceTable({ trace: noTrace, source, servicesFile: empty })).rejects.toMatchObject({ code: 'USAGE', why: 'no tcp or udp entries in it' });
    }
  });

  test('--source etc insists on /etc/services', async () => {
    await expect(loadServiceTable({ trace: noTrace, source: 'etc', defaultServicesFile: missing })).rejects.toMatchObject({ code: 'USAGE', what: `read ${missing}`, why: 'no such file' });
  });

  test('--source iana ignores the file; a missing table is a clear error', async () => {
    expect((await loadServiceTable({ trace: noTrace, source: 'iana', servicesFile: FIXTURE_PATH })).source).toBe('iana');
    await expect(loadServiceTable({ trace: noTrace, source: 'iana', ianaTableFile: missing })).rejects.toMatchObject({ what: 'read the IANA service table' });
  });
});
