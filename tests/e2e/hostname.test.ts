import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';

// The --fqdn path may only run where /etc/hosts answers for this host: otherwise the
// system resolver would send the host name to a DNS server off this machine.
function hostsFileCanonical(name: string): string | undefined {
  let text = '';
  try {
    text = readFileSync('/etc/hosts', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    if (fields.length >= 2 && fields.slice(1).some((f) => f.toLowerCase() === name.toLowerCase())) return fields[1];
  }
  return undefined;
}

const HOST = osHostname();
const CANONICAL = hostsFileCanonical(HOST);
const testIfInHosts = CANONICAL ? test : test.skip;
if (!CANONICAL) console.warn(`\n*** /etc/hosts does not list '${HOST}': SKIPPING the --fqdn e2e tests (they would query DNS) ***\n`);

describe('sockkit hostname', () => {
  test('prints the host name and nothing else', async () => {
    const r = await runSockkit(['hostname']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${HOST}\n`);
    expect(r.stderr).toBe('');
  });

  test('--ips prints one routable address per line: no loopback, no link-local', async () => {
    const r = await runSockkit(['hostname', '--ips']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    for (const a of lines) {
      expect(isIP(a)).not.toBe(0);
      expect(a).not.toMatch(/^(127\.|169\.254\.|::1$|fe[89ab])/i);
    }
  });

  test('--all piped: one tab-separated line per address, loopback included', async () => {
    const r = await runSockkit(['hostname', '--all']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
    for (const row of rows) {
      expect(row).toHaveLength(6);
      expect(['IPv4', 'IPv6']).toContain(row[1]);
      expect(row[2]).toMatch(/\/\d+$/);
      expect(['host', 'link', 'site', 'global']).toContain(row[4]);
      expect(['yes', 'no']).toContain(row[5]);
    }
    expect(rows.some((row) => row[2] === '127.0.0.1/8' && row[4] === 'host' && row[5] === 'yes')).toBe(true);
  });

  test('--json: hostname and interfaces, no fqdn fields unless asked', async () => {
    const r = await runSockkit(['hostname', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.hostname).toBe(HOST);
    expect(doc).not.toHaveProperty('fqdn');
    expect(doc).not.toHaveProperty('fqdnSource');
    expect(doc.interfaces.length).toBeGreaterThan(0);
    for (const i of doc.interfaces) {
      expect(Object.keys(i).sort()).toEqual(['address', 'cidr', 'family', 'internal', 'mac', 'name', 'scope']);
    }
    expect(doc.interfaces).toContainEqual(expect.objectContaining({ address: '127.0.0.1', internal: true, scope: 'host' }));
  });

  testIfInHosts('--fqdn answers from /etc/hosts: name<TAB>source when piped', async () => {
    const r = await runSockkit(['hostname', '--fqdn']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${CANONICAL}\t/etc/hosts\n`);
  });

  testIfInHosts('--fqdn --ips --json has fqdn, fqdnSource and ips', async () => {
    const r = await runSockkit(['hostname', '--fqdn', '--ips', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ hostname: HOST, fqdn: CANONICAL, fqdnSource: '/etc/hosts' });
    expect(Array.isArray(doc.ips)).toBe(true);
  });

  testIfInHosts('--fqdn --trace shows where the name came from on stderr', async () => {
    const r = await runSockkit(['hostname', '--fqdn', '--trace']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\/etc\/hosts: .* → /);
  });

  test('an unknown flag is a usage error (exit 2), one clean line', async () => {
    const r = await runSockkit(['hostname', '--fqdnn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/fqdnn/);
    expectCleanError(r, 'hostname');
  });

  test('a bad --timeout is a usage error', async () => {
    const r = await runSockkit(['hostname', '--fqdn', '--timeout', 'soon']);
    expect(r.code).toBe(2);
    expectCleanError(r, 'hostname');
  });
});
