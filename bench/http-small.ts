// A small https GET (6 bytes from a local nginx, --cacert the test CA), one process per
// fetch: how close sockkit's start comes to Node's own. Issue 19's target: at most 1.5×
// `node -e 0` started without NODE_EXTRA_CA_CERTS, both when sockkit's environment sets
// that variable (as this machine's does; bin/sockkit hands it over) and when it does
// not. Beside it: curl, and the smallest Node program that does the same fetch.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNginx, type Nginx } from '../tests/interop/peers/nginx.js';
import { alternate, floorRow, runCommand, stats, type ResultRow } from './harness.js';
import { NO_EXTRA_CA, SOCKKIT, benchFile } from './paths.js';

const BODY = 'hello\n';
/** The machine's NODE_EXTRA_CA_CERTS, or the system bundle where it sets none. */
const WITH_EXTRA_CA: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS || '/etc/ssl/certs/ca-certificates.crt' };

export async function benchHttpSmall(rounds = 20): Promise<ResultRow[]> {
  const nginx = await startNginx();
  try {
    return await smallFetchRows(nginx, rounds);
  } finally {
    await nginx.stop();
  }
}

/** The rows, against a running nginx (the http suite's too). */
export async function smallFetchRows(nginx: Nginx, rounds = 20): Promise<ResultRow[]> {
  writeFileSync(join(nginx.docroot, 'six-bytes'), BODY, { mode: 0o644 });
  const url = `https://127.0.0.1:${nginx.ports.https}/six-bytes`;
  const checked = (what: string) => (r: { code: number | null; stdout: string; stderr: string; ms: number }) => {
    if (r.code !== 0 || r.stdout !== BODY) throw new Error(`${what} exited ${r.code}: ${r.stderr.slice(0, 300)}`);
    return r.ms;
  };
  const sockkit = (env: NodeJS.ProcessEnv) => () => runCommand(SOCKKIT, ['http-get', '--cacert', nginx.caFile, url], { env }).then(checked('sockkit http-get'));
  const nodeFloor = () => runCommand(process.execPath, ['-e', '0'], { env: NO_EXTRA_CA }).then((r) => r.ms);
  const nodeWithExtra = () => runCommand(process.execPath, ['-e', '0'], { env: WITH_EXTRA_CA }).then((r) => r.ms);
  const curl = () => runCommand('curl', ['-s', '-S', '--cacert', nginx.caFile, url]).then(checked('curl'));
  const minimal = () =>
    runCommand(process.execPath, [benchFile('minimal-small-https.mjs'), '127.0.0.1', String(nginx.ports.https), '/six-bytes', nginx.caFile], { env: NO_EXTRA_CA }).then(
      checked('minimal-small-https'),
    );

  const withExtra = await alternate(rounds, sockkit(WITH_EXTRA_CA), nodeFloor, 2);
  const withoutExtra = await alternate(rounds, sockkit(NO_EXTRA_CA), nodeFloor, 1);
  const nodeExtra = await alternate(rounds, nodeWithExtra, nodeFloor, 1);
  const beside = await alternate(rounds, sockkit(WITH_EXTRA_CA), curl, 1);
  const floor = await alternate(rounds, minimal, nodeFloor, 1);
  const target = (times: { a: number[]; b: number[] }, work: string, note: string): ResultRow => {
    const row: ResultRow = {
      work,
      peer: '`node -e 0` without NODE_EXTRA_CA_CERTS',
      unit: 'ms',
      higherIsBetter: false,
      sockkit: stats(times.a),
      peerStats: stats(times.b),
      target: '≤ 1.5×',
      met: undefined,
      note,
    };
    row.met = row.sockkit.median / row.peerStats.median <= 1.5;
    return row;
  };
  return [
    target(withExtra, 'small https GET (6 B, nginx, --cacert), NODE_EXTRA_CA_CERTS set', `NODE_EXTRA_CA_CERTS=${WITH_EXTRA_CA.NODE_EXTRA_CA_CERTS}, handed over by bin/sockkit`),
    target(withoutExtra, 'small https GET (6 B, nginx, --cacert), NODE_EXTRA_CA_CERTS unset', 'the same fetch, the variable unset'),
    floorRow('`node -e 0` with NODE_EXTRA_CA_CERTS', '`node -e 0` without it', nodeExtra, 'what Node pays at start when the variable is set: every command started by bin/sockkit avoids it'),
    floorRow('small https GET (6 B, nginx, --cacert), NODE_EXTRA_CA_CERTS set', '`curl -s --cacert`', beside, 'curl: one C process, no runtime to start'),
    floorRow(
      'a minimal Node https GET (the floor for Node)',
      '`node -e 0` without NODE_EXTRA_CA_CERTS',
      floor,
      'bench/minimal-small-https.mjs: tls.connect with ca, one request, the body to stdout; Node 20 parses its ~140 bundled roots even so',
    ),
  ];
}
