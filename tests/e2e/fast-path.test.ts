import { expect, test } from '@jest/globals';
import { runSockkit } from '../helpers/run-sockkit.js';

// `sockkit hostname` skips yargs for speed; the full parser must say the same thing.
test('the fast path and the full parser print the same host name', async () => {
  const fast = await runSockkit(['hostname']);
  const full = await runSockkit(['hostname', '--timeout', '1']); // a flag the fast path does not take
  expect(fast.code).toBe(0);
  expect(full.code).toBe(0);
  expect(fast.stdout).toBe(full.stdout);
  expect(fast.stdout.trim().length).toBeGreaterThan(0);
  expect(fast.stderr).toBe('');
});

test('anything else still reaches the full parser', async () => {
  const r = await runSockkit(['hostname', '--bogus']);
  expect(r.code).toBe(2);
});
