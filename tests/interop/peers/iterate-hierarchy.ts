// A DNS tree of sockkit's own for resolve --iterate, one NSD per level, each on the same
// port of its own loopback address (as the root, TLD and leaf servers of the Internet
// are different machines; `-p PORT` then applies to every server, as dig's -p does with
// +trace):
//   127.0.0.2  `.`            (signed, RSA/SHA-256)    `. NS ns1.`, glue for `test.`
//   127.0.0.3  `test.`        (signed, ECDSA P-256, NSEC) delegations below
//   127.0.0.4  `sockkit.test.` (signed, Ed25519, NSEC3), `lame.test.` (unsigned)
//   127.0.0.5  `noglue.test.` (unsigned), whose NS name ns2.sockkit.test. has no glue in test.
//   127.0.0.9  nothing: a dead address
// test. also delegates loop1.test. and loop2.test. to each other's name servers (no glue:
// a loop), lame.test. to a dead address, to the root server (not authoritative) and to
// 127.0.0.4 (the good one), and hostile.test. to 127.0.0.6, where a test may run a
// server of its own. The root's DS is the trust anchor; `. NS ns1.` the root hints.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitFor, type Started } from '../../helpers/process.js';
import { RecordType } from '../../../src/net/dns/packet.js';
import { answersQuery } from './nsd.js';
import { ds, keygen, sign } from './signed-hierarchy.js';

export const ADDRESSES = { root: '127.0.0.2', tld: '127.0.0.3', leaf: '127.0.0.4', noglue: '127.0.0.5', hostile: '127.0.0.6', dead: '127.0.0.9' };

export interface IterateHierarchy {
  port: number;
  dir: string;
  /** named.root's format: `. NS ns1.` and `ns1. A 127.0.0.2`. */
  rootHintsFile: string;
  /** The root's DS (sockkit's --trust-anchor). */
  anchorFile: string;
  stop: () => Promise<void>;
}

const SOA = (zone: string) => `${zone} 3600 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300`;

function unsigned(dir: string, zone: string, file: string, lines: string[]): string {
  writeFileSync(join(dir, file), [`$ORIGIN ${zone}`, '$TTL 3600', SOA(zone), ...lines, ''].join('\n'));
  return file;
}

/** The zone files, per server address. */
function buildZones(dir: string): { servers: Record<string, Array<[string, string]>>; rootDs: string } {
  const leafKeys = keygen(dir, 'sockkit.test.', 'ED25519');
  const leaf = sign(dir, 'sockkit.test.', 'sockkit.test.zone', [
    SOA('sockkit.test.'), 'sockkit.test. NS ns.sockkit.test.', 'ns A 127.0.0.4', 'ns2 A 127.0.0.5',
    'www A 192.0.2.10', 'www AAAA 2001:db8::10', 'alias CNAME www', 'cross CNAME www.noglue.test.', 'mail MX 10 www',
  ], leafKeys, ['-n', '-t', '0', '-s', 'ab12']);
  const lame = unsigned(dir, 'lame.test.', 'lame.test.zone', ['lame.test. NS a.lame.test.', 'lame.test. NS b.lame.test.', 'lame.test. NS c.lame.test.', 'c A 127.0.0.4', 'www A 192.0.2.40']);
  const noglue = unsigned(dir, 'noglue.test.', 'noglue.test.zone', ['noglue.test. NS ns2.sockkit.test.', 'www A 192.0.2.30', 'back CNAME www.sockkit.test.']);

  const tldKeys = keygen(dir, 'test.', 'ECDSAP256SHA256');
  const tld = sign(dir, 'test.', 'test.zone', [
    SOA('test.'), 'test. NS ns.test.', 'ns A 127.0.0.3',
    'sockkit NS ns.sockkit', 'ns.sockkit A 127.0.0.4', ds(dir, leafKeys.ksk),
    'noglue NS ns2.sockkit.test.',
    'loop1 NS ns.loop2.test.', 'loop2 NS ns.loop1.test.',
    'lame NS a.lame', 'lame NS b.lame', 'lame NS c.lame', 'a.lame A 127.0.0.9', 'b.lame A 127.0.0.2', 'c.lame A 127.0.0.4',
    'hostile NS ns.hostile', 'ns.hostile A 127.0.0.6',
  ], tldKeys);

  const rootKeys = keygen(dir, '.', 'RSASHA256');
  const root = sign(dir, '.', 'root.zone', [SOA('.'), '. NS ns1.', 'ns1. A 127.0.0.2', 'test. NS ns.test.', 'ns.test. A 127.0.0.3', ds(dir, tldKeys.ksk)], rootKeys);
  return {
    servers: {
      [ADDRESSES.root]: [['.', root]],
      [ADDRESSES.tld]: [['test.', tld]],
      [ADDRESSES.leaf]: [['sockkit.test.', leaf], ['lame.test.', lame]],
      [ADDRESSES.noglue]: [['noglue.test.', noglue]],
    },
    rootDs: ds(dir, rootKeys.ksk),
  };
}

function nsdConfig(dir: string, address: string, port: number, zones: Array<[string, string]>): string {
  const run = join(dir, address);
  mkdirSync(run, { recursive: true });
  const config = [
    'server:', `    ip-address: ${address}@${port}`, '    server-count: 1', '    username: ""', '    chroot: ""', `    zonesdir: "${dir}"`, '    database: ""',
    `    zonelistfile: "${run}/zone.list"`, `    xfrdfile: "${run}/xfrd.state"`, `    xfrdir: "${run}"`, `    pidfile: "${run}/nsd.pid"`, `    logfile: "${run}/nsd.log"`, '    rrl-ratelimit: 0', '    refuse-any: no',
    'remote-control:', '    control-enable: no',
    ...zones.flatMap(([name, file]) => ['zone:', `    name: "${name}"`, `    zonefile: "${file}"`]),
    '',
  ].join('\n');
  writeFileSync(join(run, 'nsd.conf'), config);
  return join(run, 'nsd.conf');
}

export async function startIterateHierarchy(): Promise<IterateHierarchy> {
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-iterate-'));
  const { servers, rootDs } = buildZones(dir);
  const rootHintsFile = join(dir, 'root.hints');
  writeFileSync(rootHintsFile, `; the tests' own root\n.\t3600000\tNS\tns1.\nns1.\t3600000\tA\t${ADDRESSES.root}\n`);
  const anchorFile = join(dir, 'anchor.ds');
  writeFileSync(anchorFile, `${rootDs}\n`);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const started: Started[] = [];
    try {
      for (const [address, zones] of Object.entries(servers)) {
        const nsd = startProcess('nsd', ['-d', '-c', nsdConfig(dir, address, port, zones)]);
        started.push(nsd);
        const [zone] = zones[0]!;
        await waitFor(() => answersQuery(address, port, zone, RecordType.SOA, true), 10000, `NSD on ${address} to serve ${zone}`).catch((err: Error) => {
          throw new Error(`${err.message}\n${nsd.output()}`);
        });
      }
    } catch (err) {
      await Promise.all(started.map((s) => s.stop()));
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return {
      port, dir, rootHintsFile, anchorFile,
      stop: async () => {
        await Promise.all(started.map((s) => s.stop('SIGTERM', 5000)));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

