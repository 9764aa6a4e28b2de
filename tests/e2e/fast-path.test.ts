import { expect, test } from '@jest/globals';
import { runSockkit } from '../helpers/run-sockkit.js';

// Three ways in: `sockkit hostname` alone skips even the command module; plain flags
// take the direct parser; anything else goes through yargs. All must say the same.
// (--timeout 1e0 is a number yargs reads and the direct parser leaves to it.)
test('the fast path, the direct parser and yargs print the same host name', async () => {
  const fast = await runSockkit(['hostname']);
  const direct = await runSockkit(['hostname', '--timeout', '1']);
  const full = await runSockkit(['hostname', '--timeout', '1e0']);
  for (const r of [fast, direct, full]) {
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  }
  expect(fast.stdout.trim().length).toBeGreaterThan(0);
  expect(direct.stdout).toBe(fast.stdout);
  expect(full.stdout).toBe(fast.stdout);
});

test('resolve reads the same through the direct parser and through yargs', async () => {
  const direct = await runSockkit(['resolve', 'localhost', '127.0.0.1', '-4', '--short']);
  const full = await runSockkit(['resolve', 'localhost', '127.0.0.1', '-4', '--short', '--timeout', '5e0']);
  expect(direct.code).toBe(0);
  expect(direct.stdout).toMatch(/^127\.0\.0\.1$/m);
  expect(full.code).toBe(0);
  expect(full.stdout).toBe(direct.stdout);
});

test('anything else still reaches the full parser', async () => {
  const bogus = await runSockkit(['hostname', '--bogus']);
  expect(bogus.code).toBe(2);
  expect(bogus.stderr).toBe("sockkit hostname: usage: unknown option '--bogus' (see sockkit hostname --help)\n");
  const help = await runSockkit(['resolve', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/Examples:/);
});
