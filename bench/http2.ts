// http-get over HTTP/2: a 1 GiB file from a local nginx (`listen ... ssl http2`, ALPN h2)
// to /dev/null, sockkit against `curl --http2`, alternately. Each run goes through GNU
// time, which reports its wall time, its CPU time (user + system) and its peak RSS.
// On a shared machine the wall time follows the load (nginx and the client share the
// cores with whatever else runs); the CPU time is what the client itself spent.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startNginx } from '../tests/interop/peers/nginx.js';
import { alternate, runCommand, stats, type ResultRow } from './harness.js';
import { SOCKKIT } from './paths.js';

const SIZE_MIB = 1024;

interface Timed {
  wallMs: number;
  cpuMs: number;
  peakRssKb: number;
}

/** Runs a command under GNU time (-f "%e %U %S %M" on stderr's last line). */
async function timed(command: string, args: string[]): Promise<Timed> {
  const r = await runCommand('/usr/bin/time', ['-f', '%e %U %S %M', command, ...args]);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, user, system, rss] = last.split(' ').map(Number);
  if (r.code !== 0 || rss === undefined || Number.isNaN(rss)) throw new Error(`${command} exited ${r.code}: ${r.stderr}`);
  return { wallMs: wall! * 1000, cpuMs: (user! + system!) * 1000, peakRssKb: rss };
}

export async function benchHttp2(rounds = 7): Promise<ResultRow[]> {
  const nginx = await startNginx();
  execFileSync('truncate', ['-s', `${SIZE_MIB}M`, join(nginx.docroot, 'big.bin')]);
  const url = `https://127.0.0.1:${nginx.ports.h2}/big.bin`;
  const runs = { sockkit: [] as Timed[], curl: [] as Timed[] };
  try {
    const sockkit = async () => {
      const t = await timed(SOCKKIT, ['http-get', '--http2', '--cacert', nginx.caFile, '-o', '/dev/null', url]);
      runs.sockkit.push(t);
      return t.wallMs;
    };
    const curl = async () => {
      const t = await timed('curl', ['-s', '-S', '-f', '--http2', '--cacert', nginx.caFile, '-o', '/dev/null', url]);
      runs.curl.push(t);
      return t.wallMs;
    };
    const { a, b } = await alternate(rounds, sockkit, curl, 1);
    const measured = (side: Timed[]) => side.slice(-rounds);
    const cpu = { a: measured(runs.sockkit).map((t) => t.cpuMs), b: measured(runs.curl).map((t) => t.cpuMs) };
    const rss = { a: Math.max(...measured(runs.sockkit).map((t) => t.peakRssKb)), b: Math.max(...measured(runs.curl).map((t) => t.peakRssKb)) };
    const wallRatio = stats(a).median / stats(b).median;
    const note = `peak RSS sockkit ${(rss.a / 1024).toFixed(0)} MiB, curl ${(rss.b / 1024).toFixed(0)} MiB`;
    return [
      {
        work: 'http-get 1 GiB over HTTP/2 (h2, TLS) to /dev/null (wall time)',
        peer: '`curl --http2 -s -o /dev/null`',
        unit: 'ms',
        higherIsBetter: false,
        sockkit: stats(a),
        peerStats: stats(b),
        target: '≤ 1.1× curl, RSS < 100 MiB',
        met: wallRatio <= 1.1 && rss.a < 100 * 1024,
        note,
      },
      {
        work: 'the same runs: CPU time of the client (user + system)',
        peer: '`curl --http2 -s -o /dev/null`',
        unit: 'ms',
        higherIsBetter: false,
        sockkit: stats(cpu.a),
        peerStats: stats(cpu.b),
        target: '(what each client spent itself)',
        met: undefined,
      },
    ];
  } finally {
    await nginx.stop();
  }
}
