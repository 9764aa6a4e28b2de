// `npm run bench` runs every suite; `npm run bench -- startup http` runs some.
import os from 'node:os';
import { formatTable, type ResultRow } from './harness.js';
import { benchStartup } from './startup.js';
import { benchNtp } from './ntp.js';
import { benchNtpNts } from './ntp-nts.js';
import { benchResolve } from './resolve.js';
import { benchResolveDoh, benchResolveDot } from './resolve-dot.js';
import { benchResolveBulk } from './resolve-bulk.js';
import { benchResolveDnssec } from './resolve-dnssec.js';
import { benchResolveIterate } from './resolve-iterate.js';
import { benchHttp, benchHttpMany } from './http.js';
import { benchHttpSmall } from './http-small.js';
import { benchHttp2 } from './http2.js';
import { benchThreaded } from './threaded.js';
import { benchEcho } from './echo.js';
import { benchUdp } from './udp.js';
import { benchTls } from './tls.js';

type Suite = { name: string; run: () => Promise<ResultRow[]> };

const SUITES: Suite[] = [
  { name: 'startup', run: () => benchStartup() },
  { name: 'resolve', run: () => benchResolve() },
  { name: 'resolve-dot', run: () => benchResolveDot() },
  { name: 'resolve-doh', run: () => benchResolveDoh() },
  { name: 'resolve-bulk', run: () => benchResolveBulk() },
  { name: 'resolve-dnssec', run: () => benchResolveDnssec() },
  { name: 'resolve-iterate', run: () => benchResolveIterate() },
  { name: 'ntp', run: () => benchNtp() },
  { name: 'nts', run: () => benchNtpNts() },
  { name: 'http', run: () => benchHttp() },
  { name: 'http-small', run: () => benchHttpSmall() },
  { name: 'http-many', run: () => benchHttpMany() },
  { name: 'http2', run: () => benchHttp2() },
  { name: 'echo', run: () => benchEcho() },
  { name: 'udp', run: () => benchUdp() },
  { name: 'threaded', run: () => benchThreaded() },
  { name: 'tls', run: () => benchTls() },
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
  if (unknown.length) {
    console.error(`bench: unknown suite(s) ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  const suites = wanted.length ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES;
  console.log(`# sockkit benchmarks — ${new Date().toISOString().slice(0, 10)}`);
  console.log(`machine: ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
  const rows: ResultRow[] = [];
  for (const suite of suites) {
    const started = performance.now();
    console.error(`bench: ${suite.name} ...`);
    try {
      const got = await suite.run();
      rows.push(...got);
      if (got.length) console.log(formatTable(got) + '\n');
    } catch (err) {
      console.error(`bench: ${suite.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    console.error(`bench: ${suite.name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  console.log('## All results\n');
  console.log(formatTable(rows));
}

await main();
