// The suite's own world: only loopback, and a resolver that refuses everything, so no
// test can send a packet off this machine (scripts/sandbox.sh).
import { expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describeInSandbox, startTestResolver, withResolvConf } from '../helpers/sandbox.js';

describeInSandbox('the test sandbox', () => {
  test('has only loopback and a resolv.conf that points at 127.0.0.53', () => {
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).trim().split('\n');
    expect(links.map((l) => l.split(':')[1]?.trim())).toEqual(['lo']);
    expect(readFileSync('/etc/resolv.conf', 'utf8')).toMatch(/^nameserver 127\.0\.0\.53$/m);
  });

  test('a resolv.conf of a test applies to that process only', async () => {
    const resolver = await startTestResolver('refusing');
    try {
      const [file, args] = withResolvConf(resolver.resolvConf, 'cat', ['/etc/resolv.conf']);
      expect(execFileSync(file, args, { encoding: 'utf8' })).toContain(`nameserver ${resolver.address}`);
      expect(readFileSync('/etc/resolv.conf', 'utf8')).not.toContain(resolver.address);
    } finally {
      await resolver.close();
    }
  });
});
