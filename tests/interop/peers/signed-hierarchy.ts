// A signed DNS hierarchy of sockkit's own, served by one NSD on 127.0.0.1 (a free port):
// the root `.` (RSA/SHA-256, 8), `test.` (ECDSA P-256, 13, NSEC) and `sockkit.test.`
// (Ed25519, 15, NSEC3), each signed by ldns-signzone with keys made here, each parent holding its child's
// NS, glue and DS. Beside them: an unsigned delegation and zones broken on purpose. NSD
// answers a DS question from the parent zone it also serves, so one server holds the
// whole chain. The root's DS is the trust anchor. Stopped by its PID.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/ports.js';
import { startProcess, waitFor, type Started } from '../../helpers/process.js';
import { RecordType } from '../../../src/net/dns/packet.js';
import { answersQuery } from './nsd.js';

export interface SignedHierarchy {
  port: number;
  dir: string;
  /** The root's DS, one line of presentation form (sockkit's --trust-anchor file). */
  anchorFile: string;
  /** The same anchor as delv reads it (`trust-anchors { . static-ds … };`). */
  delvAnchorFile: string;
  stop: () => Promise<void>;
}

const SOA = (zone: string) => `${zone} 3600 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300`;

/** Keys: a KSK and a ZSK of one algorithm for a zone; returns their base names. */
export function keygen(dir: string, zone: string, algorithm: string): { ksk: string; zsk: string } {
  const run = (ksk: boolean) => execFileSync('ldns-keygen', ['-a', algorithm, ...(ksk ? ['-k'] : []), ...(algorithm.startsWith('RSA') ? ['-b', '1024'] : []), zone], { cwd: dir }).toString().trim();
  return { ksk: run(true), zsk: run(false) };
}

export function sign(dir: string, zone: string, file: string, lines: string[], keys: { ksk: string; zsk: string }, window: string[] = []): string {
  const path = join(dir, file);
  const keyLines = [keys.ksk, keys.zsk].map((k) => readFileSync(join(dir, `${k}.key`), 'utf8').trim());
  writeFileSync(path, [`$ORIGIN ${zone}`, '$TTL 3600', ...lines, ...keyLines, ''].join('\n'));
  execFileSync('ldns-signzone', [...window, '-o', zone, path, keys.zsk, keys.ksk], { cwd: dir });
  return `${file}.signed`;
}

export function ds(dir: string, key: string): string {
  return execFileSync('ldns-key2ds', ['-n', '-2', `${key}.key`], { cwd: dir }).toString().trim();
}

function editSigned(dir: string, file: string, edit: (lines: string[]) => string[]): void {
  const path = join(dir, file);
  writeFileSync(path, edit(readFileSync(path, 'utf8').split('\n')).join('\n'));
}

/** Fields of a zone-file line: owner, TTL, class, type, rdata… (ldns writes tabs). */
const fieldsOf = (line: string) => line.split(/\s+/);
const isRrsigOf = (line: string, owner: string, covered: string) => {
  const f = fieldsOf(line);
  return f[0] === owner && f[3] === 'RRSIG' && f[4] === covered;
};

export function buildHierarchy(dir: string): { zones: Array<[string, string]>; rootDs: string } {
  const leafKeys = keygen(dir, 'sockkit.test.', 'ED25519');
  const otherLeafKeys = keygen(dir, 'sockkit.test.', 'ED25519');
  const leaf = [
    SOA('sockkit.test.'), 'sockkit.test. NS ns.test.',
    'www A 192.0.2.10', 'www AAAA 2001:db8::10', 'alias CNAME www', 'forged A 192.0.2.66', 'tampered A 192.0.2.77', 'mail MX 10 www', '*.wild A 192.0.2.90', 'plain NS ns.test.',
  ];
  // NSEC3 (RFC 9276's advice: no extra iterations, a salt all the same to show it is read)
  const nsec3 = ['-n', '-t', '0', '-s', 'ab12'];
  const leafFile = sign(dir, 'sockkit.test.', 'sockkit.test.zone', leaf, leafKeys, nsec3);
  // forged: the A record's RRSIG from the same zone signed by other keys
  const forgedFile = sign(dir, 'sockkit.test.', 'forged-copy.zone', leaf, otherLeafKeys, nsec3);
  const forgedSig = readFileSync(join(dir, forgedFile), 'utf8').split('\n').filter((l) => isRrsigOf(l, 'forged.sockkit.test.', 'A'));
  editSigned(dir, leafFile, (lines) => [...lines.filter((l) => !isRrsigOf(l, 'forged.sockkit.test.', 'A')), ...forgedSig]);
  // tampered: the address changed after signing
  editSigned(dir, leafFile, (lines) => lines.map((l) => l.replace(/^(tampered\.sockkit\.test\.\s.*\sA\s+)192\.0\.2\.77$/, '$1192.0.2.78')));

  const expiredKeys = keygen(dir, 'expired.test.', 'ECDSAP256SHA256');
  const expiredFile = sign(dir, 'expired.test.', 'expired.test.zone', [SOA('expired.test.'), 'expired.test. NS ns.test.', 'www A 192.0.2.20'], expiredKeys, ['-i', '20200101000000', '-e', '20200201000000']);
  const nomatchKeys = keygen(dir, 'nomatch.test.', 'ECDSAP256SHA256');
  const strayKeys = keygen(dir, 'nomatch.test.', 'ECDSAP256SHA256');
  const nomatchFile = sign(dir, 'nomatch.test.', 'nomatch.test.zone', [SOA('nomatch.test.'), 'nomatch.test. NS ns.test.', 'www A 192.0.2.30'], nomatchKeys);
  const nokeysigKeys = keygen(dir, 'nokeysig.test.', 'ECDSAP256SHA256');
  const nokeysigFile = sign(dir, 'nokeysig.test.', 'nokeysig.test.zone', [SOA('nokeysig.test.'), 'nokeysig.test. NS ns.test.', 'www A 192.0.2.40'], nokeysigKeys);
  editSigned(dir, nokeysigFile, (lines) => lines.filter((l) => !isRrsigOf(l, 'nokeysig.test.', 'DNSKEY')));
  // badnsec: the NSEC at m is taken out, so NSD's proof for n.badnsec.test. does not cover it
  const badnsecKeys = keygen(dir, 'badnsec.test.', 'ECDSAP256SHA256');
  const badnsecFile = sign(dir, 'badnsec.test.', 'badnsec.test.zone', [SOA('badnsec.test.'), 'badnsec.test. NS ns.test.', 'a A 192.0.2.60', 'm A 192.0.2.61', 'z A 192.0.2.62'], badnsecKeys);
  editSigned(dir, badnsecFile, (lines) => lines.filter((l) => !(fieldsOf(l)[0] === 'm.badnsec.test.' && (fieldsOf(l)[3] === 'NSEC' || isRrsigOf(l, 'm.badnsec.test.', 'NSEC')))));
  const unsignedFile = 'unsigned.test.zone';
  writeFileSync(join(dir, unsignedFile), ['$ORIGIN unsigned.test.', '$TTL 3600', SOA('unsigned.test.'), 'unsigned.test. NS ns.test.', 'www A 192.0.2.50', ''].join('\n'));
  // an unsigned delegation below the NSEC3 zone
  const plainFile = 'plain.sockkit.test.zone';
  writeFileSync(join(dir, plainFile), ['$ORIGIN plain.sockkit.test.', '$TTL 3600', SOA('plain.sockkit.test.'), 'plain.sockkit.test. NS ns.test.', 'www A 192.0.2.51', ''].join('\n'));

  const tldKeys = keygen(dir, 'test.', 'ECDSAP256SHA256');
  const delegations = ['sockkit', 'expired', 'nomatch', 'nokeysig', 'badnsec', 'unsigned'].map((l) => `${l} NS ns.test.`);
  const tldFile = sign(dir, 'test.', 'test.zone', [
    SOA('test.'), 'test. NS ns.test.', 'ns A 127.0.0.1', '*.wild A 192.0.2.91', ...delegations,
    ds(dir, leafKeys.ksk), ds(dir, expiredKeys.ksk), ds(dir, strayKeys.ksk), ds(dir, nokeysigKeys.ksk), ds(dir, badnsecKeys.ksk),
  ], tldKeys);

  const rootKeys = keygen(dir, '.', 'RSASHA256');
  const rootFile = sign(dir, '.', 'root.zone', [SOA('.'), '. NS ns.test.', 'test. NS ns.test.', 'ns.test. A 127.0.0.1', ds(dir, tldKeys.ksk)], rootKeys);
  void nomatchKeys;
  return {
    zones: [['.', rootFile], ['test.', tldFile], ['sockkit.test.', leafFile], ['expired.test.', expiredFile], ['nomatch.test.', nomatchFile], ['nokeysig.test.', nokeysigFile], ['badnsec.test.', badnsecFile], ['unsigned.test.', unsignedFile], ['plain.sockkit.test.', plainFile]],
    rootDs: ds(dir, rootKeys.ksk),
  };
}

export async function startSignedHierarchy(): Promise<SignedHierarchy> {
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-dnssec-'));
  const { zones, rootDs } = buildHierarchy(dir);
  const anchorFile = join(dir, 'anchor.ds');
  writeFileSync(anchorFile, `${rootDs}\n`);
  const [, , , , tag, alg, digestType, digest] = fieldsOf(rootDs);
  const delvAnchorFile = join(dir, 'anchor.delv');
  writeFileSync(delvAnchorFile, `trust-anchors {\n  . static-ds ${tag} ${alg} ${digestType} "${digest}";\n};\n`);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = [
      'server:', `    ip-address: 127.0.0.1@${port}`, '    server-count: 1', '    username: ""', '    chroot: ""', `    zonesdir: "${dir}"`, '    database: ""',
      `    zonelistfile: "${dir}/zone.list"`, `    xfrdfile: "${dir}/xfrd.state"`, `    xfrdir: "${dir}"`, `    pidfile: "${dir}/nsd.pid"`, `    logfile: "${dir}/nsd.log"`, '    rrl-ratelimit: 0',
      'remote-control:', '    control-enable: no',
      ...zones.flatMap(([name, file]) => ['zone:', `    name: "${name}"`, `    zonefile: "${file}"`]),
      '',
    ].join('\n');
    writeFileSync(join(dir, 'nsd.conf'), config);
    const nsd: Started = startProcess('nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
    try {
      await waitFor(() => answersQuery('127.0.0.1', port, 'www.sockkit.test.', RecordType.A, true), 10000, 'NSD to serve the signed hierarchy');
    } catch (err) {
      await nsd.stop();
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${(err as Error).message}\n${nsd.output()}`);
    }
    return {
      port, dir, anchorFile, delvAnchorFile,
      stop: async () => {
        await nsd.stop('SIGTERM', 5000);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

