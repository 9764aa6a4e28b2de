import { noTrace } from '../../src/net/shared/trace.js';
import { describe, expect, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import type { NetworkInterfaceInfo } from 'node:os';
import { addressScope, getHostname, hostAddresses, listInterfaces, lookupFqdn } from '../../src/net/host/hostname.js';
import { hostnameJson, printFqdn, printInterfaces } from '../../src/output/hostname.js';
import { Terminal } from '../../src/output/terminal.js';
import { FakeStream } from '../helpers/fake-stream.js';
import { hostname as osHostname } from 'node:os';

const HOSTS = fileURLToPath(new URL('../fixtures/lookup/hosts', import.meta.url));
const NO_HOSTS = fileURLToPath(new URL('../fixtures/lookup/does-not-exist', import.meta.url));

// A machine with loopback, one NIC with v4 + ULA + link-local v6, and an IPv4 link-local address.
const RAW: NodeJS.Dict<NetworkInterfaceInfo[]> = {
  lo: [
    { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' },
    { address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6', mac: '00:00:00:00:00:00', internal: true, cidr: '::1/128', scopeid: 0 },
  ],
  eth0: [
    { address: '198.51.100.4', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '198.51.100.4/24' },
    { address: 'fd00::4', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fd00::4/64', scopeid: 0 },
    { address: 'fe80::4', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::4/64', scopeid: 2 },
  ],
  eth1: [
    { address: '169.254.10.20', netmask: '255.255.0.0', family: 'IPv4', mac: '02:00:00:00:00:02', internal: false, cidr: '169.254.10.20/16' },
    { address: '2001:db8::9', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:02', internal: false, cidr: '2001:db8::9/64', scopeid: 0 },
  ],
};

test('getHostname is the OS host name', () => {
  expect(getHostname()).toBe(osHostname());
});

describe('addressScope', () => {
  test.each([
    ['127.0.0.1', 'IPv4', 'host'],
    ['127.255.0.9', 'IPv4', 'host'],
    ['169.254.1.1', 'IPv4', 'link'],
    ['10.0.0.1', 'IPv4', 'global'],
    ['198.51.100.4', 'IPv4', 'global'],
    ['::1', 'IPv6', 'host'],
    ['fe80::1', 'IPv6', 'link'],
    ['FEBF::1', 'IPv6', 'link'],
    ['fe80::1%eth0', 'IPv6', 'link'],
    ['fec0::1', 'IPv6', 'site'],
    ['fd00::2', 'IPv6', 'global'],
    ['2001:db8::1', 'IPv6', 'global'],
    ['::ffff:127.0.0.1', 'IPv6', 'host'],
  ] as const)('%s (%s) is %s', (address, family, scope) => {
    expect(addressScope(address, family)).toBe(scope);
  });
});

describe('listInterfaces / hostAddresses', () => {
  const interfaces = listInterfaces(RAW);

  test('one row per address with name, family, cidr, mac, internal and scope', () => {
    expect(interfaces).toHaveLength(7);
    expect(interfaces[0]).toEqual({ name: 'lo', family: 'IPv4', address: '127.0.0.1', cidr: '127.0.0.1/8', mac: '00:00:00:00:00:00', internal: true, scope: 'host' });
    expect(interfaces.map((i) => `${i.name} ${i.address} ${i.scope}`)).toEqual([
      'lo 127.0.0.1 host',
      'lo ::1 host',
      'eth0 198.51.100.4 global',
      'eth0 fd00::4 global',
      'eth0 fe80::4 link',
      'eth1 169.254.10.20 link',
      'eth1 2001:db8::9 global',
    ]);
  });

  test('--ips: no loopback, no link-local, IPv4 before IPv6 (like hostname -I)', () => {
    expect(hostAddresses(interfaces)).toEqual(['198.51.100.4', 'fd00::4', '2001:db8::9']);
  });

  test('the live machine always lists a loopback address', () => {
    expect(listInterfaces().some((i) => i.scope === 'host' && i.internal)).toBe(true);
  });
});

describe('lookupFqdn', () => {
  const neverCalled = async (): Promise<never> => {
    throw new Error('the resolver must not be asked when the hosts file answers');
  };

  test('a name in the hosts file gives that line\'s canonical name, without asking the resolver', async () => {
    const steps: string[] = [];
    const r = await lookupFqdn('box', {
      hostsFile: HOSTS,
      timeoutMs: 1000,
      trace: (step, detail) => steps.push(`${step} ${detail}`),
      lookupAddresses: neverCalled,
      reverseLookup: neverCalled,
    });
    expect(r).toEqual({ status: 'resolved', fqdn: 'box.example.org', source: HOSTS });
    expect(steps.join('\n')).toMatch(/box → box\.example\.org \(127\.0\.1\.1\)/);
  });

  test('a device in place of the hosts file is not read on and on: the resolver is asked instead', async () => {
    const steps: string[] = [];
    const r = await lookupFqdn('box', {
      hostsFile: '/dev/zero',
      timeoutMs: 1000,
      trace: (step, detail) => steps.push(`${step} ${detail}`),
      lookupAddresses: async () => ['192.0.2.7'],
      reverseLookup: async () => 'box.example.net',
    });
    expect(r).toEqual({ status: 'resolved', fqdn: 'box.example.net', source: 'dns' });
    expect(steps.join('\n')).toMatch(/\/dev\/zero: cannot read \(a character device, not a regular file\)/);
  });

  test('not in the hosts file: the resolver\'s address and its name give the fqdn, source dns', async () => {
    const asked: string[] = [];
    const r = await lookupFqdn('web1', {
      trace: noTrace,
      hostsFile: HOSTS,
      timeoutMs: 1000,
      lookupAddresses: async (name) => (asked.push(name), ['198.51.100.20']),
      reverseLookup: async (address) => (asked.push(address), 'web1.corp.example.'),
    });
    expect(r).toEqual({ status: 'resolved', fqdn: 'web1.corp.example', source: 'dns' });
    expect(asked).toEqual(['web1', '198.51.100.20']);
  });

  test('a missing hosts file is skipped, not an error', async () => {
    const r = await lookupFqdn('web1', {
      trace: noTrace,
      hostsFile: NO_HOSTS,
      timeoutMs: 1000,
      lookupAddresses: async () => ['198.51.100.20'],
      reverseLookup: async () => 'web1.corp.example',
    });
    expect(r).toMatchObject({ status: 'resolved', source: 'dns' });
  });

  test('a reverse name for another host is not taken as the fqdn', async () => {
    const r = await lookupFqdn('web1', {
      trace: noTrace,
      hostsFile: HOSTS,
      timeoutMs: 1000,
      lookupAddresses: async () => ['127.0.0.1', '198.51.100.20'],
      reverseLookup: async (a) => (a === '127.0.0.1' ? 'localhost' : 'proxy.corp.example'),
    });
    expect(r.status).toBe('unresolved');
    if (r.status === 'unresolved') {
      expect(r.code).toBe('NOT_FOUND');
      expect(r.reason).toMatch(/127\.0\.0\.1 is localhost/);
    }
  });

  test('an unknown name is unresolved with NOT_FOUND', async () => {
    const r = await lookupFqdn('nowhere', {
      trace: noTrace,
      hostsFile: HOSTS,
      timeoutMs: 1000,
      lookupAddresses: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere'), { code: 'ENOTFOUND' });
      },
    });
    expect(r).toMatchObject({ status: 'unresolved', code: 'NOT_FOUND' });
  });

  test('a resolver that never answers gives "unresolved" with TIMEOUT after the budget, not a hang', async () => {
    const started = Date.now();
    const r = await lookupFqdn('slow', {
      trace: noTrace,
      hostsFile: HOSTS,
      timeoutMs: 200,
      lookupAddresses: () => new Promise<string[]>(() => {}),
    });
    expect(r).toMatchObject({ status: 'unresolved', code: 'TIMEOUT' });
    if (r.status === 'unresolved') expect(r.reason).toMatch(/timed out after 0\.2 s/);
    expect(Date.now() - started).toBeLessThan(5000); // hang guard, generous on a loaded machine
  });
});

describe('hostname renderers', () => {
  const interfaces = listInterfaces(RAW);

  test('JSON has the fqdn fields only when asked, interfaces always', () => {
    const plain = hostnameJson('box', interfaces);
    expect(Object.keys(plain)).toEqual(['hostname', 'interfaces']);
    expect(plain.interfaces[2]).toEqual({ name: 'eth0', family: 'IPv4', address: '198.51.100.4', cidr: '198.51.100.4/24', mac: '02:00:00:00:00:01', internal: false, scope: 'global' });

    const withFqdn = hostnameJson('box', interfaces, { status: 'resolved', fqdn: 'box.example.org', source: '/etc/hosts' }, ['198.51.100.4']);
    expect(withFqdn).toMatchObject({ hostname: 'box', fqdn: 'box.example.org', fqdnSource: '/etc/hosts', ips: ['198.51.100.4'] });

    const unresolved = hostnameJson('box', interfaces, { status: 'unresolved', reason: 'timed out after 2 s', code: 'TIMEOUT' });
    expect(unresolved).toMatchObject({ fqdn: null, fqdnSource: 'unresolved', fqdnError: 'timed out after 2 s' });
  });

  test('fqdn piped is name<TAB>source; on a TTY it says where it came from', () => {
    const piped = new FakeStream(false);
    printFqdn(new Terminal({ stdout: piped, env: {} }), { status: 'resolved', fqdn: 'box.example.org', source: '/etc/hosts' });
    expect(piped.text).toBe('box.example.org\t/etc/hosts\n');
    const tty = new FakeStream(true);
    printFqdn(new Terminal({ stdout: tty, env: { NO_COLOR: '1' } }), { status: 'resolved', fqdn: 'box.example.org', source: 'dns' });
    expect(tty.text).toBe('box.example.org (from dns)\n');
  });

  test('interfaces piped: one tab-separated line per address', async () => {
    const piped = new FakeStream(false);
    await printInterfaces(new Terminal({ stdout: piped, env: {} }), interfaces);
    const lines = piped.text.trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[4]).toBe('eth0\tIPv6\tfe80::4/64\t02:00:00:00:00:01\tlink\tno');
  });
});
