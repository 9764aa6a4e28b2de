// `sockkit hostname` against the `hostname` tool (Debian package hostname).
import { expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';

// `hostname -f` and `sockkit hostname --fqdn` ask DNS when /etc/hosts does not list the
// host: those cases run only where /etc/hosts answers, so no query leaves the machine.
function listedInHostsFile(name: string): boolean {
  try {
    return readFileSync('/etc/hosts', 'utf8')
      .split('\n')
      .some((line) => line.replace(/#.*/, '').trim().split(/\s+/).slice(1).some((f) => f.toLowerCase() === name.toLowerCase()));
  } catch {
    return false;
  }
}

const hostnameTool = (...args: string[]) => execFileSync('hostname', args, { encoding: 'utf8' }).trim();

describeWithPeers('sockkit hostname vs hostname', ['hostname'], () => {
  test('the host name is the one `hostname` prints', async () => {
    const r = await runSockkit(['hostname']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(hostnameTool());
  });

  test('--ips lists the addresses `hostname -I` lists (IPv4 link-local aside, which sockkit leaves out)', async () => {
    const r = await runSockkit(['hostname', '--ips']);
    expect(r.code).toBe(0);
    const ours = r.stdout.split('\n').filter((l) => l !== '');
    const theirs = hostnameTool('-I').split(/\s+/).filter((a) => a !== '' && !a.startsWith('169.254.'));
    expect([...ours].sort()).toEqual([...theirs].sort());
  });

  const fqdnTest = listedInHostsFile(hostnameTool()) ? test : test.skip;
  if (fqdnTest === test.skip) console.warn('\n*** /etc/hosts does not list this host: SKIPPING the --fqdn comparison (it would query DNS) ***\n');
  fqdnTest('--fqdn is what `hostname -f` prints, from /etc/hosts', async () => {
    const r = await runSockkit(['hostname', '--fqdn', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.fqdn).toBe(hostnameTool('-f'));
    expect(doc.fqdnSource).toBe('/etc/hosts');
  });
});
