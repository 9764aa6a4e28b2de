// `sockkit service` against glibc's getservbyport/getservbyname, as `getent services`
// answers them, for every tcp and udp entry of this machine's /etc/services.
// Batched: one getent dump, one getent call per key set, one sockkit call per key set.
import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';

const execFileP = promisify(execFile);

interface GetentService {
  name: string;
  port: number;
  protocol: string;
  aliases: string[];
}

/** `getent services KEY...` lines: `name port/proto alias...`. */
function parseGetent(stdout: string): GetentService[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [name, portProto, ...aliases] = line.trim().split(/\s+/) as [string, string, ...string[]];
      const [port, protocol] = portProto.split('/') as [string, string];
      return { name, port: Number(port), protocol, aliases };
    });
}

async function getent(keys: string[]): Promise<GetentService[]> {
  // getent exits 2 when a key is not found; every key here comes from its own dump.
  const { stdout } = await execFileP('getent', ['services', ...keys], { maxBuffer: 16 << 20 });
  return parseGetent(stdout);
}

interface SockkitRow {
  name: string;
  port: number;
  protocol: string;
  aliases: string[];
  source: string;
  query: string;
}

async function sockkitService(queries: string[]): Promise<Map<string, SockkitRow>> {
  const r = await runSockkit(['service', '--source', 'etc', '--json', ...queries], { killAfterMs: 60000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const firstRowPerQuery = new Map<string, SockkitRow>();
  for (const row of JSON.parse(r.stdout) as SockkitRow[]) if (!firstRowPerQuery.has(row.query)) firstRowPerQuery.set(row.query, row);
  return firstRowPerQuery;
}

const unique = <T>(items: T[]) => [...new Set(items)];

function suite() {
  let dump: GetentService[] = [];
  test('getent lists the tcp and udp entries of /etc/services', async () => {
    const { stdout } = await execFileP('getent', ['services'], { maxBuffer: 16 << 20 });
    dump = parseGetent(stdout).filter((s) => s.protocol === 'tcp' || s.protocol === 'udp');
    expect(dump.length).toBeGreaterThan(50);
    expect(dump.some((s) => s.protocol === 'udp')).toBe(true);
  });

  test('every port/proto: the same primary name and aliases as getservbyport', async () => {
    const keys = unique(dump.map((s) => `${s.port}/${s.protocol}`));
    const [expected, actual] = await Promise.all([getent(keys), sockkitService(keys)]);
    expect(expected).toHaveLength(keys.length);
    const mismatches: string[] = [];
    keys.forEach((key, i) => {
      const want = expected[i]!;
      const got = actual.get(key);
      if (!got || got.name !== want.name || got.port !== want.port || got.protocol !== want.protocol || got.aliases.join(' ') !== want.aliases.join(' ')) {
        mismatches.push(`${key}: getent ${want.name} [${want.aliases.join(' ')}], sockkit ${got ? `${got.name} [${got.aliases.join(' ')}]` : 'nothing'}`);
      }
    });
    expect(mismatches).toEqual([]);
    expect(keys.length).toBeGreaterThan(50);
  }, 60000);

  test('every name and alias, per proto: the same port and primary name as getservbyname', async () => {
    const keys = unique(dump.flatMap((s) => [s.name, ...s.aliases].map((n) => `${n}/${s.protocol}`)));
    const [expected, actual] = await Promise.all([getent(keys), sockkitService(keys)]);
    expect(expected).toHaveLength(keys.length);
    const mismatches: string[] = [];
    keys.forEach((key, i) => {
      const want = expected[i]!;
      const got = actual.get(key);
      if (!got || got.port !== want.port || got.name !== want.name || got.protocol !== want.protocol) {
        mismatches.push(`${key}: getent ${want.name} ${want.port}/${want.protocol}, sockkit ${got ? `${got.name} ${got.port}/${got.protocol}` : 'nothing'}`);
      }
    });
    expect(mismatches).toEqual([]);
    expect(keys.length).toBeGreaterThan(dump.length / 2);
  }, 60000);

  test('a port getent does not know is unknown to sockkit too (exit 3)', async () => {
    const known = new Set(dump.map((s) => s.port));
    const port = [65000, 64999, 61234, 59999, 54321].find((p) => !known.has(p))!;
    const g = await execFileP('getent', ['services', `${port}/tcp`]).then(() => 0, (e: { code: number }) => e.code);
    const r = await runSockkit(['service', '--source', 'etc', `${port}/tcp`]);
    expect(g).toBe(2);
    expect(r.code).toBe(3);
  });
}

if (existsSync('/etc/services')) {
  describeWithPeers('sockkit service vs getent services', ['getent'], suite);
} else if (process.env.SOCKKIT_REQUIRE_PEERS === '1') {
  describe('sockkit service vs getent services', () => {
    test('/etc/services exists', () => {
      throw new Error('/etc/services is missing (Debian package netbase)');
    });
  });
} else {
  console.warn('\n*** /etc/services is missing (Debian package netbase): SKIPPING the getent interop suite ***\n');
  describe.skip('sockkit service vs getent services', suite);
}
