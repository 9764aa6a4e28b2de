// Flags and arguments, across every command: a flag that takes one value given twice
// is a usage error (it crashed: "input.trim is not a function"), `--` ends the
// options (ntp asked the default public server, service dropped '-1'), an unknown
// flag is named as unknown, and a missing --services-file is a usage error.
// (tests/unit/direct-parse.test.ts holds both parsers to the same rules.)
import { describe, expect, test } from '@jest/globals';
import { createSocket } from 'node:dgram';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { GLOBAL_OPTIONS, flagSpellings, takesOneValue } from '../../src/commands/options.js';
import { COMMAND_NAMES, loadCommand } from '../../src/commands/registry.js';

/** What each command needs to get past its own argument checks: never the network beyond loopback. */
const REQUIRED: Record<string, string[]> = {
  resolve: ['localhost'],
  ntp: ['127.0.0.1'], // never the default (public) server
  'http-get': ['http://127.0.0.1:9/'],
  'echo-client': ['--port', '9'],
};

/** [command, flag, value] for every flag of every command that takes one value, from the declarations. */
async function singleValueFlags(): Promise<Array<[string, string, string]>> {
  const rows: Array<[string, string, string]> = [];
  for (const name of COMMAND_NAMES) {
    const command = await loadCommand(name);
    for (const [flag, option] of Object.entries({ ...GLOBAL_OPTIONS, ...command.commandLine.options })) {
      if (!takesOneValue(option)) continue;
      const value = option.choices?.[0] ?? (option.type === 'number' ? '1' : 'x');
      for (const spelling of flagSpellings(flag, option)) rows.push([name, spelling, value]);
    }
  }
  return rows;
}

describe('a flag that takes one value, given twice, is a usage error (exit 2, one line)', () => {
  test.each([
    ['resolve', ['example.test', '--resolv-conf', 'a', '--resolv-conf', 'b'], '--resolv-conf'],
    ['resolve', ['example.test', '-p', '53', '--port', '54'], '--port / -p'],
    ['echo-client', ['--port', '9', '--host', '127.0.0.1', '--host', '::1'], '--host'],
    ['service', ['--search', 'time', '-s', 'ssh'], '--search / -s'],
    ['ntp', ['127.0.0.1', '--port', '1', '-p', '2'], '--port / -p'],
  ])('%s %j', async (command, args, flag) => {
    const r = await runSockkit([command, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sockkit ${command}: ${flag}: given twice; it takes one value (see sockkit ${command} --help)\n`);
  });

  test('every single-value flag of every command (from src/commands/options.ts and the commands)', async () => {
    const rows = await singleValueFlags();
    expect(rows.length).toBeGreaterThan(50);
    for (const [command, flag, value] of rows) {
      const r = await runSockkit([command, ...(REQUIRED[command] ?? []), flag, value, flag, value], { killAfterMs: 10_000 });
      const line = `sockkit ${command} ${flag} ${value} ${flag} ${value}`;
      expect({ line, code: r.code, stderr: r.stderr }).toEqual({ line, code: 2, stderr: expect.stringMatching(/^sockkit \S+: .*given twice; it takes one value .*\n$/) });
    }
  }, 120_000);

  test('booleans and repeatable flags may be repeated', async () => {
    const r = await runSockkit(['service', '22', '--json', '--json', '-q', '--quiet', '--source', 'iana']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(2);
  });
});

describe('`--` ends the options', () => {
  test('ntp --port P -- 127.0.0.1 asks 127.0.0.1 on port P (it asked the default public server)', async () => {
    const server = createSocket('udp4');
    let datagrams = 0;
    server.on('message', () => datagrams++);
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    try {
      const r = await runSockkit(['ntp', '--port', String(server.address().port), '--timeout', '0.5', '--', '127.0.0.1']);
      expect(datagrams).toBeGreaterThan(0);
      expect(r.code).toBe(5); // the test server never answers
      expect(r.stderr).toMatch(/127\.0\.0\.1/);
      expect(r.stderr).not.toMatch(/pool\.ntp\.org/);
    } finally {
      server.close();
    }
  });

  test("service 22 -- -1: '-1' is a positional, and a bad port (exit 2); it was dropped", async () => {
    const r = await runSockkit(['service', '22', '--source', 'iana', '--', '-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("sockkit service: bad port '-1': not a number from 0 to 65535\n");
    expect(r.stdout).toBe('');
  });

  test('what follows `--` is never read as a flag, not even --help', async () => {
    const r = await runSockkit(['service', '--source', 'iana', '--', 'ssh', '--help']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^ssh\t22\ttcp/);
    expect(r.stderr).toMatch(/unknown service '--help'/);
  });
});

describe('an unknown flag is named as unknown', () => {
  test.each([
    ['http-get', ['-Y', 'http://127.0.0.1:9/'], '-Y'], // -O is --remote-name now
    ['http-get', ['http://127.0.0.1:9/', '--bogus'], '--bogus'],
    ['resolve', ['example.test', '--bogus'], '--bogus'],
    ['ntp', ['127.0.0.1', '-x', '1'], '-x'],
    ['echo-server', ['--prot', '9000'], '--prot'],
    ['service', ['22', '-Z'], '-Z'],
  ])('%s %j names %s (it said "Not enough non-option arguments" for http-get -O URL, before -O existed)', async (command, args, flag) => {
    const r = await runSockkit([command, ...args], { killAfterMs: 10_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sockkit ${command}: usage: unknown option '${flag}' (see sockkit ${command} --help)\n`);
    expectCleanError(r, command);
  });
});

test('a missing --services-file is a usage error that says the file is not there (exit 2, was 1)', async () => {
  const r = await runSockkit(['service', '22', '--source', 'etc', '--services-file', '/nonexistent/services']);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe('sockkit service: --services-file /nonexistent/services: no such file (use --source iana for the built-in IANA table)\n');
});
