// `sockkit resolve --iterate` of a name three zones deep (`.` → `test.` → `sockkit.test.`),
// cold (one process each), against `dig +trace @ROOT -p PORT`, on the --iterate tests' own
// tree of NSD servers (127.0.0.2-5, one port). dig looks up the servers' names through the
// system resolver, so both run inside the same wrapper (a mount namespace with an
// /etc/hosts naming the tree's servers): the wrapper's cost is in both columns.
// Needs root (unshare -m), as the tests' sandbox does.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADDRESSES, startIterateHierarchy } from '../tests/interop/peers/iterate-hierarchy.js';
import { alternate, runCommand, stats, type ResultRow } from './harness.js';
import { SOCKKIT } from './paths.js';

export async function benchResolveIterate(rounds = 10): Promise<ResultRow[]> {
  const h = await startIterateHierarchy();
  try {
    const hosts = join(h.dir, 'hosts');
    writeFileSync(hosts, `${ADDRESSES.root} ns1\n${ADDRESSES.tld} ns.test\n${ADDRESSES.leaf} ns.sockkit.test\n`);
    const resolv = join(h.dir, 'resolv.conf');
    writeFileSync(resolv, 'nameserver 127.0.0.53\n');
    // as tests/helpers/sandbox.ts's withResolvConf (not imported: it loads jest)
    const script = 'mount --bind "$0" /etc/resolv.conf && mount --bind "$1" /etc/hosts && shift && exec "$@"';
    const wrapped = (file: string, args: string[]): [string, string[]] => ['unshare', ['-m', '--propagation', 'private', '--', 'sh', '-c', script, resolv, hosts, file, ...args]];
    const sockkit = async () => {
      const r = await runCommand(...wrapped(SOCKKIT, ['resolve', 'www.sockkit.test', '-t', 'A', '--iterate', '--root-hints', h.rootHintsFile, '-p', String(h.port)]));
      if (r.code !== 0 || !r.stdout.includes('\t192.0.2.10\t')) throw new Error(`sockkit resolve --iterate: exit ${r.code}, ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}`);
      return r.ms;
    };
    const dig = async () => {
      const r = await runCommand(...wrapped('dig', ['+trace', '+nodnssec', `@${ADDRESSES.root}`, '-p', String(h.port), 'www.sockkit.test', 'A']));
      if (r.code !== 0 || !/www\.sockkit\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.10/.test(r.stdout)) throw new Error(`dig +trace exited ${r.code}: ${r.stderr.slice(0, 200)}`);
      return r.ms;
    };
    const { a, b } = await alternate(rounds, sockkit, dig, 1);
    return [
      {
        work: '`sockkit resolve --iterate` of www.sockkit.test (root → test. → sockkit.test., cold, one process)',
        peer: '`dig +trace @127.0.0.2 -p PORT`',
        unit: 'ms',
        higherIsBetter: false,
        sockkit: stats(a),
        peerStats: stats(b),
        target: '—',
        met: undefined,
      },
    ];
  } finally {
    await h.stop();
  }
}
