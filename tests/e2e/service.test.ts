import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectCleanError, runSockkit, sockkitSpawn } from '../helpers/run-sockkit.js';
import { describeInSandbox } from '../helpers/sandbox.js';

// Most cases read the fixture, so they do not depend on this machine's /etc/services.
const FIXTURE = fileURLToPath(new URL('../fixtures/lookup/services', import.meta.url));
const MISSING = fileURLToPath(new URL('../fixtures/lookup/no-such-services', import.meta.url));
const service = (...args: string[]) => runSockkit(['service', '--services-file', FIXTURE, ...args]);
const lines = (text: string) => text.trimEnd().split('\n').map((l) => l.split('\t'));

describe('sockkit service', () => {
  test('port → name, piped as name, port, protocol, aliases, description, source', async () => {
    const r = await service('22');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`ssh\t22\ttcp\t\tSSH Remote Login Protocol\t${FIXTURE}\n`);
    expect(r.stderr).toBe('');
  });

  test('both protocols by default, each row labelled; --proto keeps one', async () => {
    const both = await service('53');
    expect(lines(both.stdout).map((f) => `${f[0]} ${f[1]}/${f[2]}`)).toEqual(['domain 53/tcp', 'domain 53/udp']);
    const udp = await service('53', '--proto', 'udp');
    expect(lines(udp.stdout).map((f) => f[2])).toEqual(['udp']);
  });

  test('name → ports, aliases included (like getent)', async () => {
    const r = await service('krb5');
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((f) => `${f[0]} ${f[1]}/${f[2]} [${f[3]}]`)).toEqual([
      'kerberos 88/tcp [kerberos5 krb5 kerberos-sec]',
      'kerberos 88/udp [kerberos5 krb5 kerberos-sec]',
    ]);
  });

  test('several queries in one call, in order, with /tcp and /udp suffixes', async () => {
    const r = await service('22', 'domain/udp', 'www/tcp');
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((f) => `${f[0]} ${f[1]}/${f[2]}`)).toEqual(['ssh 22/tcp', 'domain 53/udp', 'http 80/tcp', 'dup-alias 5000/tcp']);
  });

  test('--search finds names and descriptions, case-insensitively', async () => {
    const r = await service('--search', 'REMOTE');
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((f) => f[0])).toEqual(['ssh']);
  });

  test('--range lists the services in the range, by port', async () => {
    const r = await service('--range', '50-90');
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((f) => `${f[1]}/${f[2]}`)).toEqual(['53/tcp', '53/udp', '80/tcp', '80/tcp', '88/tcp', '88/udp']);
  });

  test('--json is one array of {name, port, protocol, aliases, description?, source, query}', async () => {
    const r = await service('--json', '9', 'ssh');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { name: 'discard', port: 9, protocol: 'tcp', aliases: ['sink', 'null'], source: 'etc', query: '9' },
      { name: 'discard', port: 9, protocol: 'udp', aliases: ['sink', 'null'], source: 'etc', query: '9' },
      { name: 'ssh', port: 22, protocol: 'tcp', aliases: [], description: 'SSH Remote Login Protocol', source: 'etc', query: 'ssh' },
    ]);
  });

  test('--source iana reads the built-in IANA table', async () => {
    const r = await service('6379', '--proto', 'tcp', '--source', 'iana', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { name: 'redis', port: 6379, protocol: 'tcp', aliases: [], description: 'An advanced key-value cache and store', source: 'iana', query: '6379' },
    ]);
  });

  test.each([['auto'], ['etc']])('--source %s: a --services-file that does not exist is a usage error (exit 2) that points at --source iana', async (source) => {
    const r = await runSockkit(['service', '--services-file', MISSING, '--source', source, '22']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sockkit service: --services-file ${MISSING}: no such file (use --source iana for the built-in IANA table)\n`);
    expectCleanError(r, 'service');
  });

  test('--source iana ignores --services-file', async () => {
    const r = await runSockkit(['service', '--services-file', MISSING, '--source', 'iana', 'ntp', '--proto', 'udp']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([['ntp', '123', 'udp', '', 'Network Time Protocol', 'iana']]);
  });

  test.each([
    ['an unknown name', ['no-such-service'], /unknown service 'no-such-service': no tcp or udp service in/],
    ['an unknown port', ['9999'], /unknown port 9999: no tcp or udp service in/],
    ['a port unknown for that protocol', ['22/udp'], /unknown port 22: no udp service in/],
    ['an empty range', ['--range', '100-199'], /ports 100-199: no tcp or udp service in/],
    ['a search without a match', ['--search', 'zzzz'], /search 'zzzz'/],
  ])('%s: exit 3, one clean line', async (_what, args, message) => {
    const r = await service(...args);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expectCleanError(r, 'service');
  });

  test('--json with nothing found is still one document: the lookup and its error, exit 3', async () => {
    const r = await service('--json', 'nope');
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual([{ query: 'nope', error: { code: 'NOT_FOUND', exitCode: 3, message: expect.stringMatching(/^unknown service 'nope'/) } }]);
    expect(r.stderr).toMatch(/unknown service 'nope'/);
  });

  test('--trace shows which table was read', async () => {
    const file = await service('--trace', '22/tcp');
    expect(file.stderr).toMatch(/services: \d+ tcp\/udp entries/);
    const iana = await runSockkit(['service', '--source', 'iana', '--trace', '22/tcp']);
    expect(iana.code).toBe(0);
    expect(iana.stderr).toMatch(/iana-services\.tsv: \d+ IANA tcp\/udp entries/);
  });

  test('a known and an unknown query: the known one prints, the exit status is 3', async () => {
    const r = await service('22', 'nope');
    expect(r.code).toBe(3);
    expect(lines(r.stdout).map((f) => f[0])).toEqual(['ssh']);
    expect(r.stderr).toMatch(/unknown service 'nope'/);
  });

  test.each([
    ['a port above 65535', ['65536'], /bad port '65536': must be from 0 to 65535/],
    ['a negative port', ['-1'], /bad port '-1'/],
    ['a decimal port', ['1.5'], /bad port '1.5': not a number/],
    ['a range that is not numbers', ['--range', '80-abc'], /bad port range '80-abc'/],
    ['a reversed range', ['--range', '90-80'], /first port is above the last/],
    ['an unknown protocol suffix', ['22/sctp'], /unknown protocol 'sctp'/],
    ['an unknown --proto', ['22', '--proto', 'sctp'], /proto/],
    ['an unknown --source', ['22', '--source', 'web'], /source/],
    ['an unknown flag', ['22', '--bogus'], /bogus/],
    ['nothing to look up', [], /nothing to look up/],
    ['an empty name', [''], /empty port or name/],
  ])('%s: usage error, exit 2, nothing on stdout', async (_what, args, message) => {
    const r = await service(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expectCleanError(r, 'service');
  });

  test('a bad query among good ones stops everything before any lookup (exit 2)', async () => {
    const r = await service('22', '70000', 'ssh');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

// /etc/services itself cannot be taken away from a test, except in a mount namespace of
// its own (the sandbox runs as root): an empty file bound over it, as in a minimal container.
describeInSandbox('sockkit service without /etc/services', () => {
  const withEmptyEtcServices = (args: string[]) => {
    const empty = join(mkdtempSync(join(tmpdir(), 'sockkit-services-')), 'empty');
    writeFileSync(empty, '');
    const script = 'mount --bind "$0" /etc/services && exec "$@"';
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const [file, argv, env] = sockkitSpawn(args);
      execFile('unshare', ['-m', '--propagation', 'private', '--', 'sh', '-c', script, empty, file, ...argv], { env }, (err, stdout, stderr) => {
        rmSync(dirname(empty), { recursive: true, force: true });
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  };

  test('auto falls back to the IANA table (a minimal container); --trace says why', async () => {
    const r = await withEmptyEtcServices(['service', 'ntp', '--proto', 'udp', '--trace']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([['ntp', '123', 'udp', '', 'Network Time Protocol', 'iana']]);
    expect(r.stderr).toMatch(/\/etc\/services: 0 tcp\/udp entries/);
  });

  test('--source etc: an error (exit 2) that points at --source iana', async () => {
    const r = await withEmptyEtcServices(['service', '22', '--source', 'etc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('sockkit service: read /etc/services: no tcp or udp entries in it (use --source iana for the built-in IANA table)\n');
  });
});
