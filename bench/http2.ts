// http-get over HTTP/2: a 1 GiB file from a local nginx (`listen ... ssl http2`, ALPN h2)
// to /dev/null, sockkit against `curl --http2`, alternately: whole-command wall time and
// the peak RSS of both (VmHWM, sampled every 50 ms).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startNginx } from '../tests/interop/peers/nginx.js';
import { alternate, runCommand, stats, type ResultRow } from './harness.js';
import { SOCKKIT } from './paths.js';

const SIZE_MIB = 1024;

export async function benchHttp2(rounds = 5): Promise<ResultRow[]> {
  const nginx = await startNginx();
  // A sparse file: the page cache serves zeros, so disk speed does not enter.
  execFileSync('truncate', ['-s', `${SIZE_MIB}M`, join(nginx.docroot, 'big.bin')]);
  const url = `https://127.0.0.1:${nginx.ports.h2}/big.bin`;
  const rss = { sockkit: 0, curl: 0 };
  try {
    const sockkit = async () => {
      const r = await runCommand(SOCKKIT, ['http-get', '--http2', '--cacert', nginx.caFile, '-o', '/dev/null', url], { sampleRss: true });
      if (r.code !== 0) throw new Error(`sockkit http-get --http2 exited ${r.code}: ${r.stderr}`);
      rss.sockkit = Math.max(rss.sockkit, r.peakRssKb);
      return r.ms;
    };
    const curl = async () => {
      const r = await runCommand('curl', ['-s', '-S', '-f', '--http2', '--cacert', nginx.caFile, '-o', '/dev/null', url], { sampleRss: true });
      if (r.code !== 0) throw new Error(`curl --http2 exited ${r.code}: ${r.stderr}`);
      rss.curl = Math.max(rss.curl, r.peakRssKb);
      return r.ms;
    };
    const { a, b } = await alternate(rounds, sockkit, curl, 1);
    const ratio = stats(a).median / stats(b).median;
    return [
      {
        work: 'http-get 1 GiB over HTTP/2 (h2, TLS) to /dev/null (wall time)',
        peer: '`curl --http2 -s -o /dev/null`',
        unit: 'ms',
        higherIsBetter: false,
        sockkit: stats(a),
        peerStats: stats(b),
        target: '≤ 1.1× curl, RSS < 100 MiB',
        met: ratio <= 1.1 && rss.sockkit < 100 * 1024,
        note: `peak RSS sockkit ${(rss.sockkit / 1024).toFixed(0)} MiB, curl ${(rss.curl / 1024).toFixed(0)} MiB`,
      },
    ];
  } finally {
    await nginx.stop();
  }
}
