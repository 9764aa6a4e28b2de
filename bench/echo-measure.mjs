#!/usr/bin/env node
// Side-by-side measurement of echo servers on loopback (not a test: it reports, never
// asserts). Servers: sockkit echo-server (all features on, events to /dev/null), a
// minimal Node `socket.pipe(socket)` server (the reference), socat (backlog=4096,
// fork) and ncat (-m 20000 --sh-exec cat). For each: single-connection bulk
// throughput, messages/s and p99 RTT at 100 and 1,000 ping-pong connections of 64 B,
// and the peak RSS of the server's whole process tree. Then the most connections
// sockkit holds (up to 10,000), and sockkit's load client against a minimal one.
//
//   node bench/echo-measure.mjs [--seconds 3] [--rounds 3] [--only sockkit,node-pipe] [--max-conns 10000]
//
// Run it from a shell with a raised fd limit (ulimit -n 20000); Node raises its soft
// limit to the hard one by itself. Every number is from one run on a shared machine.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { accepts, CLOCK_TICKS, cpuTicks, freePort, processTree, rssBytes, sumOverTree } from './proc.mjs';

const SOCKKIT = fileURLToPath(new URL('../bin/sockkit', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const SECONDS = Number(opt('seconds', '3'));
const ONLY = opt('only', 'sockkit,node-pipe,socat,ncat').split(',');
const MAX_CONNS = Number(opt('max-conns', '10000'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const SERVERS = {
  // Executed as users run it, so its launcher lines run (see bin/sockkit).
  sockkit: (port) => [SOCKKIT, ['echo-server', '--port', String(port), '--json']],
  'node-pipe': (port) => [process.execPath, [fileURLToPath(new URL('./minimal-echo-server.cjs', import.meta.url)), String(port)]],
  socat: (port) => ['socat', [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr,backlog=4096`, 'PIPE']],
  ncat: (port) => ['ncat', ['-l', '127.0.0.1', String(port), '-k', '-m', '20000', '--sh-exec', 'cat']],
};

/** RSS of a process and all its descendants, in bytes (socat and ncat fork per client). */
const treeRss = (pid) => sumOverTree(pid, rssBytes);
/** CPU ticks used by a process tree: live processes plus reaped children. */
const treeCpuTicks = (pid) => sumOverTree(pid, (p) => cpuTicks(p, true));

async function startServer(name) {
  const port = await freePort();
  const [cmd, argv] = SERVERS[name](port);
  const child = spawn(cmd, argv, { stdio: 'ignore' });
  const deadline = Date.now() + 10000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline) throw new Error(`${name} did not start`);
    await sleep(50);
  }
  let peak = treeRss(child.pid);
  let cpu = treeCpuTicks(child.pid);
  const cpuAtStart = cpu;
  const sampler = setInterval(() => {
    peak = Math.max(peak, treeRss(child.pid));
    cpu = Math.max(cpu, treeCpuTicks(child.pid));
  }, 100);
  return {
    port,
    /** Server CPU seconds since start (a load-independent cost measure on a shared machine). */
    cpuSeconds: () => (Math.max(cpu, treeCpuTicks(child.pid)) - cpuAtStart) / CLOCK_TICKS,
    peakRss: () => peak,
    resetPeak: () => (peak = treeRss(child.pid)),
    stop: async () => {
      clearInterval(sampler);
      // A forked per-connection child that is stuck (socat's PIPE under a bulk writer)
      // outlives its parent: end the server's own descendants too, by PID.
      const forked = processTree(child.pid).slice(1);
      child.kill('SIGTERM');
      for (const pid of forked) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      clearTimeout(timer);
    },
  };
}

/**
 * Runs a client that prints one JSON document; adds `cpuSeconds`, the client's own
 * user + system time (bash's `times` after it exits), a cost measure that machine
 * load does not distort the way it distorts rates.
 */
function runJson(cmd, argv, killAfterMs) {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', '"$@"; s=$?; times >&2; exit $s', 'client', cmd, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const t = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(err.trim());
      const cpuSeconds = t ? Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4]) : undefined;
      try {
        resolve({ code, cpuSeconds, ...JSON.parse(out) });
      } catch {
        resolve({ code, error: (err || out || 'no output').trim().split('\n')[0] });
      }
    });
  });
}

// One connection: write blocks as fast as the socket takes them and read the echo;
// after a 1 s warm-up, count bytes echoed back during the measured window. With a
// window W > 0, at most W bytes are in flight (sent, not yet echoed): socat's PIPE
// deadlocks on itself under an unbounded writer (it blocks writing 8 KiB into its own
// full pipe), so socat is measured with a 1 MiB window, and so are the others.
const BULK_CLIENT = `
const net = require('net');
const [port, seconds, windowBytes] = process.argv.slice(1).map(Number);
const block = Buffer.alloc(windowBytes ? 16 * 1024 : 64 * 1024, 0x61);
let rx = 0, rxAtStart = 0, t0 = 0, tx = 0, waiting = false;
const s = net.connect({ port, host: '127.0.0.1' }, () => {
  const pump = () => {
    if (waiting) return;
    while (!windowBytes || tx - rx < windowBytes) {
      tx += block.length;
      if (!s.write(block)) { waiting = true; s.once('drain', () => { waiting = false; pump(); }); return; }
    }
  };
  if (windowBytes) s.on('data', pump);
  pump();
  setTimeout(() => { rxAtStart = rx; t0 = performance.now(); }, 1000);
  setTimeout(() => {
    const secs = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ receivedMBps: (rx - rxAtStart) / 1e6 / secs }));
    process.exit(0);
  }, 1000 + seconds * 1000);
});
s.on('data', (d) => (rx += d.length));
s.on('error', (e) => { console.log(JSON.stringify({ error: e.code })); process.exit(1); });
`;

// A minimal Node load client (the reference for sockkit's load mode): C connections,
// 64-byte ping-pong, on('data') with a per-read Buffer, no verification, no histogram.
const MIN_LOAD_CLIENT = `
const net = require('net');
const [port, conns, seconds] = process.argv.slice(1).map(Number);
const msg = Buffer.alloc(64, 0x62);
let messages = 0, running = true, opened = 0;
const sockets = [];
for (let i = 0; i < conns; i++) {
  const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => { opened++; if (opened === conns) start(); });
  let got = 0;
  s.on('data', (d) => { got += d.length; while (got >= 64) { got -= 64; messages++; if (running) s.write(msg); } });
  s.on('error', () => {});
  sockets.push(s);
}
function start() {
  const t0 = performance.now();
  for (const s of sockets) s.write(msg);
  setTimeout(() => { running = false; console.log(JSON.stringify({ messagesPerSecond: messages / ((performance.now() - t0) / 1000) })); process.exit(0); }, seconds * 1000);
}
`;

function mb(n) {
  return n === undefined ? 'n/a' : `${n.toFixed(0)}`;
}
function mib(n) {
  return `${(n / 1024 / 1024).toFixed(0)} MiB`;
}

const ROUNDS = Number(opt('rounds', '3'));
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  return v.length ? v[Math.floor((v.length - 1) / 2)] : undefined;
};
console.error(`echo-measure: ${SECONDS} s per run, ${ROUNDS} rounds (servers alternate within a round; medians reported), servers: ${ONLY.join(', ')}; nproc=${(await import('node:os')).availableParallelism()}`);
const samples = Object.fromEntries(ONLY.map((n) => [n, { bulk: [], bulkWindow: [], bulkRss: [], bulkCpu: [], c100: [], c100p99: [], c100Rss: [], c100Cpu: [], c1000: [], c1000p99: [], c1000Rss: [], c1000Cpu: [], opened1000: [] }]));
for (let round = 1; round <= ROUNDS; round++) {
  // Bulk: ncat's exec'd cat locks up on transfers of 1 MB or more, so it is skipped.
  for (const [key, windowBytes] of [['bulk', 0], ['bulkWindow', 1024 * 1024]]) {
    for (const name of ONLY.filter((n) => n !== 'ncat')) {
      const srv = await startServer(name);
      const r = await runJson(process.execPath, ['-e', BULK_CLIENT, String(srv.port), String(SECONDS), String(windowBytes)], (SECONDS + 10) * 1000);
      samples[name][key].push(r.receivedMBps);
      samples[name].bulkRss.push(srv.peakRss());
      if (key === 'bulk' && r.receivedMBps > 1) samples[name].bulkCpu.push(srv.cpuSeconds() / ((r.receivedMBps * (SECONDS + 1)) / 1000));
      await srv.stop();
      console.error(`  round ${round} ${name} ${key}: ${mb(r.receivedMBps)} MB/s each way, rss ${mib(srv.peakRss())}${r.error ? ' ' + r.error : ''}`);
    }
  }
  for (const conns of [100, 1000]) {
    for (const name of ONLY) {
      const srv = await startServer(name);
      const r = await runJson(
        SOCKKIT,
        ['echo-client', '-p', String(srv.port), '-C', String(conns), '-d', String(SECONDS), '--size', '64', '--timeout', '10', '--json'],
        (SECONDS + 30) * 1000,
      );
      const s = samples[name];
      s[`c${conns}`].push(r.messagesPerSecond);
      s[`c${conns}p99`].push(r.rtt?.p99Ms);
      s[`c${conns}Rss`].push(srv.peakRss());
      s[`c${conns}Cpu`].push((srv.cpuSeconds() * 1e6) / (r.messages || NaN));
      if (conns === 1000) s.opened1000.push(r.connectionsOpened);
      await srv.stop();
      console.error(`  round ${round} ${name} ${conns} conns: ${r.messagesPerSecond?.toFixed(0)} msg/s, p99 ${r.rtt?.p99Ms?.toFixed(2)} ms, opened ${r.connectionsOpened}/${conns}, rss ${mib(srv.peakRss())}${r.error ? ' ' + r.error : ''}`);
    }
  }
}

const ratio = (a, b) => (a !== undefined && b ? ` (${(a / b).toFixed(2)}×)` : '');
const ref = samples['node-pipe'];
console.log(`\nMedians of ${ROUNDS} runs of ${SECONDS} s; ratios are against the minimal Node pipe server.\n`);
console.log('| server | bulk MB/s each way (unbounded writer) | bulk, 1 MiB window | 100 conns msg/s | p99 ms | 1,000 conns msg/s | p99 ms | opened of 1,000 | peak RSS bulk / 100 / 1,000 | server CPU s/GB bulk · µs/msg 100 · 1,000 |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const name of ONLY) {
  const s = samples[name];
  const stalls = s.bulk.filter((x) => !(x > 1)).length;
  const bulk = median(s.bulk.filter((x) => x > 1));
  const c100 = median(s.c100);
  const c1000 = median(s.c1000);
  console.log(
    `| ${name} | ${name === 'ncat' ? 'skipped' : bulk === undefined ? 'stalled' : mb(bulk) + (ref ? ratio(bulk, median(ref.bulk)) : '') + (stalls ? ` (stalled in ${stalls} of ${s.bulk.length} runs)` : '')} | ${name === 'ncat' ? 'skipped' : (mb(median(s.bulkWindow)) ?? 'n/a') + (ref ? ratio(median(s.bulkWindow), median(ref.bulkWindow)) : '')} | ${c100?.toFixed(0) ?? 'n/a'}${ref ? ratio(c100, median(ref.c100)) : ''} | ${median(s.c100p99)?.toFixed(2) ?? 'n/a'} | ${c1000?.toFixed(0) ?? 'n/a'}${ref ? ratio(c1000, median(ref.c1000)) : ''} | ${median(s.c1000p99)?.toFixed(2) ?? 'n/a'} | ${median(s.opened1000) ?? 'n/a'} | ${s.bulkRss.length ? mib(Math.max(...s.bulkRss)) : '-'} / ${mib(Math.max(...s.c100Rss))} / ${mib(Math.max(...s.c1000Rss))} | ${median(s.bulkCpu)?.toFixed(2) ?? '-'} · ${median(s.c100Cpu)?.toFixed(1) ?? '-'} · ${median(s.c1000Cpu)?.toFixed(1) ?? '-'} |`,
  );
}

// The most connections sockkit holds, ping-ponging.
if (MAX_CONNS > 0 && ONLY.includes('sockkit')) {
  for (const name of ['sockkit', 'node-pipe']) {
    const srv = await startServer(name);
    const r = await runJson(
      SOCKKIT,
      ['echo-client', '-p', String(srv.port), '-C', String(MAX_CONNS), '-d', String(SECONDS), '--size', '64', '--timeout', '20', '--json'],
      (SECONDS + 60) * 1000,
    );
    console.log(
      `\n${name} at ${MAX_CONNS} connections: opened ${r.connectionsOpened}, failed ${r.connectionsFailed} ${JSON.stringify(r.connectFailures ?? {})}, dropped ${r.connectionsDropped}, ${r.messagesPerSecond?.toFixed(0)} msg/s, p99 ${r.rtt?.p99Ms?.toFixed(2)} ms, peak RSS ${mib(srv.peakRss())}${r.error ? ' ' + r.error : ''}`,
    );
    await srv.stop();
  }
}

// sockkit's load client against a minimal one, both on the minimal Node server,
// alternating, ROUNDS times; medians of rate and of client CPU per message.
{
  const srv = await startServer('node-pipe');
  for (const conns of [100, 1000]) {
    const mine = [];
    const ref = [];
    for (let round = 1; round <= ROUNDS; round++) {
      mine.push(await runJson(SOCKKIT, ['echo-client', '-p', String(srv.port), '-C', String(conns), '-d', String(SECONDS), '--json'], (SECONDS + 30) * 1000));
      ref.push(await runJson(process.execPath, ['-e', MIN_LOAD_CLIENT, String(srv.port), String(conns), String(SECONDS)], (SECONDS + 30) * 1000));
    }
    const rate = (rs) => median(rs.map((r) => r.messagesPerSecond));
    const perMsg = (rs) => median(rs.map((r) => (r.cpuSeconds * 1e6) / (r.messagesPerSecond * SECONDS)));
    console.log(
      `load client at ${conns} conns (medians of ${ROUNDS}): sockkit ${rate(mine)?.toFixed(0)} msg/s (${perMsg(mine)?.toFixed(1)} µs CPU/msg incl. start-up), ` +
        `minimal ${rate(ref)?.toFixed(0)} msg/s (${perMsg(ref)?.toFixed(1)} µs CPU/msg), rate ratio ${(rate(mine) / rate(ref)).toFixed(2)}`,
    );
  }
  await srv.stop();
}
