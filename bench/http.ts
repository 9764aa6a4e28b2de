// http-get throughput: a 1 GiB file from a local nginx, over http and https, to
// /dev/null and to a file, sockkit against curl, with sockkit's peak RSS.
// Throughput is each tool's own account of its transfer (sockkit's --json
// timings.totalMs, curl's %{time_total}: connect, TLS, request and body, without the
// process start-up); the whole-command wall time of both is reported beside it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNginx } from '../tests/interop/peers/nginx.js';
import { alternate, runCommand, stats, type ResultRow } from './harness.js';
import { NO_EXTRA_CA, SOCKKIT, benchFile } from './paths.js';
import { smallFetchRows } from './http-small.js';

const SIZE_MIB = 1024;

export async function benchHttp(rounds = 5): Promise<ResultRow[]> {
  const nginx = await startNginx();
  const out = mkdtempSync(join(tmpdir(), 'sockkit-bench-http-'));
  // A sparse file: the page cache serves zeros, so disk speed does not enter.
  execFileSync('truncate', ['-s', `${SIZE_MIB}M`, join(nginx.docroot, 'big.bin')]);
  const rows: ResultRow[] = [];
  try {
    for (const scheme of ['http', 'https'] as const) {
      const port = scheme === 'http' ? nginx.ports.http : nginx.ports.https;
      const url = `${scheme}://127.0.0.1:${port}/big.bin`;
      for (const sink of ['/dev/null', 'file'] as const) {
        const target = sink === 'file' ? join(out, 'big.bin') : '/dev/null';
        const tls = scheme === 'https' ? ['--cacert', nginx.caFile] : [];
        let peakRssKb = 0;
        const wall = { sockkit: [] as number[], curl: [] as number[] };
        // Each run to a file starts from no file and no dirty pages: otherwise one tool
        // pays for truncating, and for the write-back of, the gigabyte the other just wrote.
        const freshTarget = () => {
          if (sink !== 'file') return;
          rmSync(target, { force: true });
          execFileSync('sync');
        };
        const sockkit = async () => {
          freshTarget();
          const r = await runCommand(SOCKKIT, ['http-get', url, '-o', target, '--json', ...tls], { sampleRss: true });
          if (r.code !== 0) throw new Error(`sockkit http-get exited ${r.code}: ${r.stderr}`);
          peakRssKb = Math.max(peakRssKb, r.peakRssKb);
          wall.sockkit.push(SIZE_MIB / (r.ms / 1000));
          return SIZE_MIB / ((JSON.parse(r.stdout) as { timings: { totalMs: number } }).timings.totalMs / 1000);
        };
        const curl = async () => {
          freshTarget();
          const r = await curlGet(url, target, scheme === 'https' ? nginx.caFile : undefined);
          wall.curl.push(SIZE_MIB / (r.wallMs / 1000));
          return r.mibPerSecond;
        };
        const { a, b } = await alternate(rounds, sockkit, curl, 1);
        const ratio = stats(a).median / stats(b).median;
        const wallRatio = stats(wall.sockkit).median / stats(wall.curl).median;
        const want = scheme === 'http' ? 1.0 : 0.95;
        rows.push({
          work: `http-get 1 GiB, ${scheme}, to ${sink} (transfer throughput)`,
          peer: `\`curl -s -o\`${scheme === 'https' ? ' --http1.1' : ''}`,
          unit: 'MiB/s',
          higherIsBetter: true,
          sockkit: stats(a),
          peerStats: stats(b),
          target: `≥ ${want.toFixed(2)}× curl, RSS ≤ 100 MB`,
          met: ratio >= want && peakRssKb <= 100 * 1000,
          note: `sockkit peak RSS ${(peakRssKb / 1024).toFixed(0)} MiB; whole command incl. start-up ${stats(wall.sockkit).median.toFixed(0)} vs ${stats(wall.curl).median.toFixed(0)} MiB/s = ${wallRatio.toFixed(2)}×`,
        });
      }
    }
    rows.push(await httpsFloor(nginx.ports.https, nginx.caFile, rounds));
    rows.push(...(await smallFetchRows(nginx)));
    rows.push(await manySmallUrls(nginx.ports.http, nginx.docroot, rounds * 2));
  } finally {
    rmSync(out, { recursive: true, force: true });
    await nginx.stop();
  }
  return rows;
}

/** The `http-many` suite alone: 100 small URLs in one call, on a fresh nginx, over HTTP/1.1 and over h2. */
export async function benchHttpMany(rounds = 10): Promise<ResultRow[]> {
  const nginx = await startNginx();
  try {
    return [await manySmallUrls(nginx.ports.http, nginx.docroot, rounds), await manySmallH2Urls(nginx.ports.h2, nginx.caFile, rounds)];
  } finally {
    await nginx.stop();
  }
}

/**
 * The floor for https to /dev/null: bench/minimal-https-client.mjs, Node's TLS socket and
 * nothing else, against curl in the same alternation. Node's TLS layer decrypts each
 * 16 KiB record into a buffer of its own, copies it out and calls into JavaScript once
 * per record; curl's OpenSSL reads the socket itself.
 */
async function httpsFloor(port: number, caFile: string, rounds: number): Promise<ResultRow> {
  const url = `https://127.0.0.1:${port}/big.bin`;
  const minimal = async () => {
    const r = await runCommand(process.execPath, [benchFile('minimal-https-client.mjs'), '127.0.0.1', String(port), '/big.bin', caFile], { env: NO_EXTRA_CA });
    if (r.code !== 0) throw new Error(`minimal-https-client exited ${r.code}: ${r.stderr}`);
    return SIZE_MIB / ((JSON.parse(r.stdout) as { totalMs: number }).totalMs / 1000);
  };
  const curl = async () => (await curlGet(url, '/dev/null', caFile)).mibPerSecond;
  const { a, b } = await alternate(rounds, minimal, curl, 1);
  return {
    work: 'a minimal Node https client, 1 GiB to nowhere (the floor for Node)',
    peer: '`curl -s -o /dev/null` --http1.1',
    unit: 'MiB/s',
    higherIsBetter: true,
    sockkit: stats(a),
    peerStats: stats(b),
    target: '(shows the floor)',
    met: undefined,
    note: 'bench/minimal-https-client.mjs: tls.connect reading into one reused buffer, no parser, no output',
  };
}

/**
 * 100 small files from one origin in one call: `sockkit http-get URL×100` against `curl
 * URL×100`, both to stdout (a pipe), both keeping one connection alive. Wall time of the
 * whole command, start-up included; the note says how many connections nginx saw per call.
 */
export async function manySmallUrls(port: number, docroot: string, rounds: number): Promise<ResultRow> {
  execFileSync('sh', ['-c', `for i in $(seq 1 100); do printf 'small file %s\\n' $i > "${docroot}/s$i.txt"; done`]);
  const urls = Array.from({ length: 100 }, (_, i) => `http://127.0.0.1:${port}/s${i + 1}.txt`);
  const expected = urls.map((_, i) => `small file ${i + 1}\n`).join('');
  const run = (command: string, args: string[], env?: NodeJS.ProcessEnv) => async () => {
    const r = await runCommand(command, args, { env });
    if (r.code !== 0 || r.stdout !== expected) throw new Error(`${command} exited ${r.code} with other bytes: ${r.stderr}`);
    return r.ms;
  };
  const connections = await runCommand(SOCKKIT, ['http-get', '--trace', ...urls]);
  const opened = /(\d+) connections? opened for 100 URLs/.exec(connections.stderr)?.[1] ?? '?';
  const { a, b } = await alternate(rounds, run(SOCKKIT, ['http-get', ...urls]), run('curl', ['-s', ...urls]), 1);
  const ratio = stats(a).median / stats(b).median;
  // The fixed part (process start, first connection) against the cost of each further URL.
  const one = async (command: string, args: string[]) => (await runCommand(command, [...args, urls[0]!])).ms;
  const single = await alternate(rounds, () => one(SOCKKIT, ['http-get']), () => one('curl', ['-s']), 1);
  const perUrl = (hundred: number[], first: number[]) => (stats(hundred).median - stats(first).median) / 99;
  const floor = await alternate(rounds, async () => (await runCommand(process.execPath, ['-e', '0'], { env: NO_EXTRA_CA })).ms, async () => 0, 0);
  return {
    work: 'http-get 100 small http URLs in one call to one origin (wall time)',
    peer: '`curl -s URL×100`',
    unit: 'ms',
    higherIsBetter: false,
    sockkit: stats(a),
    peerStats: stats(b),
    target: '≤ 1.0× curl',
    met: ratio <= 1.0,
    note:
      `both to a pipe, 13–15-byte bodies; sockkit opened ${opened} connection(s) for the 100 URLs; ` +
      `one URL alone: ${stats(single.a).median.toFixed(0)} vs ${stats(single.b).median.toFixed(0)} ms (node -e 0: ${stats(floor.a).median.toFixed(0)} ms); ` +
      `each further URL: ${perUrl(a, single.a).toFixed(2)} vs ${perUrl(b, single.b).toFixed(2)} ms`,
  };
}

/**
 * The same 100 files (written by manySmallUrls) over https with ALPN h2: both share one
 * connection, a stream per URL (sockkit's --trace says how many it opened). Wall time of
 * the whole command, start-up and the TLS handshake included.
 */
async function manySmallH2Urls(port: number, caFile: string, rounds: number): Promise<ResultRow> {
  const urls = Array.from({ length: 100 }, (_, i) => `https://localhost:${port}/s${i + 1}.txt`);
  const expected = urls.map((_, i) => `small file ${i + 1}\n`).join('');
  const run = (command: string, args: string[]) => async () => {
    const r = await runCommand(command, [...args, ...urls]);
    if (r.code !== 0 || r.stdout !== expected) throw new Error(`${command} exited ${r.code} with other bytes: ${r.stderr}`);
    return r.ms;
  };
  const traced = await runCommand(SOCKKIT, ['http-get', '--cacert', caFile, '--trace', ...urls]);
  const opened = /(\d+) connections? opened for 100 URLs/.exec(traced.stderr)?.[1] ?? '?';
  const { a, b } = await alternate(rounds, run(SOCKKIT, ['http-get', '--cacert', caFile]), run('curl', ['-s', '--http2', '--cacert', caFile]), 1);
  return {
    work: 'http-get 100 small https URLs over h2 in one call to one origin (wall time)',
    peer: '`curl -s --http2 URL×100`',
    unit: 'ms',
    higherIsBetter: false,
    sockkit: stats(a),
    peerStats: stats(b),
    target: '≤ 1.0× curl',
    met: stats(a).median <= stats(b).median,
    note: `both to a pipe; sockkit opened ${opened} connection(s) for the 100 URLs (one shared h2 connection, a stream each)`,
  };
}

/** curl fetching the 1 GiB file (HTTP/1.1 and this CA for https): its own throughput and the wall time. */
async function curlGet(url: string, target: string, caFile?: string): Promise<{ mibPerSecond: number; wallMs: number }> {
  const tls = caFile ? ['--http1.1', '--cacert', caFile] : [];
  const r = await runCommand('curl', ['-s', '-S', '-f', '-o', target, '-w', '%{time_total}', ...tls, url]);
  if (r.code !== 0) throw new Error(`curl exited ${r.code}: ${r.stderr}`);
  return { mibPerSecond: SIZE_MIB / Number(r.stdout.trim()), wallMs: r.ms };
}
