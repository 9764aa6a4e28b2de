import { describe, expect, test } from '@jest/globals';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';

const COMMANDS = ['hostname', 'resolve', 'service', 'ntp', 'http-get', 'bind', 'echo-server', 'echo-client', 'threaded-server'];

describe('sockkit CLI', () => {
  test('--help lists all nine commands and the exit-code table', async () => {
    const r = await runSockkit(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`sockkit ${c}\\b`));
    expect(r.stdout).toMatch(/130\s+interrupted/);
    expect(r.stdout).toMatch(/8\s+local address unavailable/);
  });

  test.each(COMMANDS)('%s --help has at least two examples and states its timeout', async (c) => {
    const r = await runSockkit([c, '--help']);
    expect(r.code).toBe(0);
    const examples = r.stdout.split('Examples:')[1] ?? '';
    expect(examples.match(/^\s+sockkit /gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(r.stdout).toMatch(/Default --timeout/);
  });

  test('--version prints the package version', async () => {
    const r = await runSockkit(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('a typo gets a suggestion and exit 2', async () => {
    const r = await runSockkit(['resolv', 'localhost']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'resolv'.*Did you mean resolve/);
    expectCleanError(r, 'resolve');
  });

  test('an unknown flag is a usage error', async () => {
    const r = await runSockkit(['service', '80', '--bogus-flag']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bogus-flag/);
    expectCleanError(r, 'service');
  });

  test('no command at all is a usage error', async () => {
    const r = await runSockkit([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/name a command/);
  });

  test.each(['0', '-1', 'abc'])('--timeout %s is a usage error', async (value) => {
    const r = await runSockkit(['service', '80', '--timeout', value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--timeout/);
  });

  test('completion prints a shell script', async () => {
    const r = await runSockkit(['completion']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/complete|compdef/);
    expect(r.stdout).toMatch(/sockkit/);
  });
});
