#!/usr/bin/env node
// Measures sockkit threaded-server with 1 and with N workers under the same
// ping-pong load (bench/minimal-load-client.mjs, run as its own process):
// messages/s, RTT p99, peak RSS (primary + workers, from /proc), and how the
// connections and messages were split between workers. Runs are interleaved
// (1, 2, 1, 2, ...) so a change in machine load hits both, and medians reported.
//
//   node bench/threaded-measure.mjs [--workers 1,2] [--handlers echo,upper]
//        [--connections 100] [--duration 5] [--size 64] [--repeats 3] [--json]
//        [--churn] [--events batched,unbatched] [--settle 1]
//
// --settle S: wait S seconds after every worker is ready before the load starts (a
// burst of connections in the first milliseconds of a worker's life is split by how
// fast each worker acknowledges hand-offs, see the README).
// --churn: one message per connection (connections/s: accept, hand-off, events).
// --events batched,unbatched: also run with SOCKKIT_BENCH_UNBATCHED_EVENTS=1 (one IPC
// message per event instead of one per event-loop turn) to measure what batching saves.
//
// Loopback only; every run bounded (duration ≤ 60 s, repeats ≤ 10). Not a test:
// it reports numbers and asserts nothing.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLOCK_TICKS, cpuTicks, rssBytes } from './proc.mjs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOCKKIT = `${ROOT}bin/sockkit`;
const LOAD_CLIENT = `${ROOT}bench/minimal-load-client.mjs`;

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2' },
    handlers: { type: 'string', default: 'echo,upper' },
    connections: { type: 'string', default: '100' },
    duration: { type: 'string', default: '5' },
    size: { type: 'string', default: '64' },
    repeats: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    churn: { type: 'boolean', default: false },
    events: { type: 'string', default: 'batched' },
    settle: { type: 'string', default: '1' },
  },
});
const eventModes = values.events.split(',');
if (eventModes.some((m) => m !== 'batched' && m !== 'unbatched')) throw new Error('--events: batched and/or unbatched');
const workerCounts = values.workers.split(',').map(Number);
const handlers = values.handlers.split(',');
const repeats = Math.min(10, Math.max(1, Number(values.repeats)));
const duration = Math.min(60, Math.max(1, Number(values.duration)));
if (workerCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) throw new Error('--workers: whole numbers 1-64');
if (handlers.some((h) => h !== 'echo' && h !== 'upper')) throw new Error('--handlers: echo and/or upper');

function loadAverage() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

async function startServer(workers, handler, eventMode) {
  const env = { ...process.env, ...(eventMode === 'unbatched' ? { SOCKKIT_BENCH_UNBATCHED_EVENTS: '1' } : {}) };
  // Executed as users run it, so its launcher lines run (see bin/sockkit).
  const child = spawn(SOCKKIT, ['threaded-server', '--json', '--workers', String(workers), '--handler', handler], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  const safety = setTimeout(() => child.kill('SIGKILL'), (duration + 60) * 1000);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const closed = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  const events = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const deadline = Date.now() + 30_000;
  while (events().filter((e) => e.event === 'worker-ready').length < workers) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const port = events()[0].port;
  await new Promise((r) => setTimeout(r, Number(values.settle) * 1000));
  const pids = [child.pid, ...events().filter((e) => e.event === 'worker-ready').map((e) => e.pid)];
  return {
    port,
    pids,
    events,
    stop: async () => {
      child.kill('SIGTERM');
      await closed;
      clearTimeout(safety);
      return events();
    },
  };
}

function runLoadClient(port, handler) {
  return new Promise((resolve, reject) => {
    const args = [LOAD_CLIENT, '--port', String(port), '--connections', values.connections, '--duration', String(duration), '--size', values.size, '--expect', handler, '--json', ...(values.churn ? ['--churn'] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const safety = setTimeout(() => child.kill('SIGKILL'), (duration + 30) * 1000);
    child.on('close', () => {
      clearTimeout(safety);
      try {
        resolve({ result: JSON.parse(out), pid: child.pid });
      } catch {
        reject(new Error(`load client printed no result: ${out}`));
      }
    });
  });
}

async function measureOnce(workers, handler, eventMode) {
  const server = await startServer(workers, handler, eventMode);
  let peakServerRssKiB = 0;
  const perPidPeak = new Map();
  const sampler = setInterval(() => {
    let sum = 0;
    for (const pid of server.pids) {
      const kib = rssBytes(pid) / 1024;
      sum += kib;
      perPidPeak.set(pid, Math.max(perPidPeak.get(pid) ?? 0, kib));
    }
    peakServerRssKiB = Math.max(peakServerRssKiB, sum);
  }, 100);
  const load = loadAverage();
  const serverCpuSeconds = () => server.pids.reduce((s, pid) => s + cpuTicks(pid), 0) / CLOCK_TICKS;
  const serverCpuBefore = serverCpuSeconds();
  const { result } = await runLoadClient(server.port, handler);
  const serverCpuS = serverCpuSeconds() - serverCpuBefore;
  clearInterval(sampler);
  const events = await server.stop();
  const summaries = events.filter((e) => e.event === 'worker-summary');
  const size = Number(values.size);
  const split = summaries.map((w) => ({ worker: w.worker, connections: w.connections, messages: Math.round(w.bytesIn / size) }));
  const totalMessages = split.reduce((n, w) => n + w.messages, 0);
  const share = totalMessages / Math.max(1, split.length);
  return {
    workers,
    handler,
    eventMode,
    loadAverageBefore: load,
    messagesPerSecond: result.messagesPerSecond,
    p99Ms: result.rttMs.p99,
    p50Ms: result.rttMs.p50,
    mismatches: result.mismatches,
    failed: result.failed,
    peakServerRssMiB: Math.round(peakServerRssKiB / 1024),
    /** Cores kept busy during the load: server (primary + workers) and load client, CPU seconds / duration. */
    serverCores: Math.round((serverCpuS / result.durationS) * 100) / 100,
    clientCores: Math.round((result.cpuSeconds / result.durationS) * 100) / 100,
    peakRssMiBByProcess: server.pids.map((pid, i) => ({ process: i === 0 ? 'primary' : `worker ${i}`, rssMiB: Math.round((perPidPeak.get(pid) ?? 0) / 1024) })),
    split,
    /** Largest deviation of one worker's message count from an even share, in percent. */
    maxSplitDeviationPercent: split.length > 1 ? Math.round((Math.max(...split.map((w) => Math.abs(w.messages - share))) / share) * 100) : 0,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const runs = [];
for (const handler of handlers) {
  for (let r = 0; r < repeats; r++) {
    for (const workers of workerCounts) for (const eventMode of eventModes) {
      const run = await measureOnce(workers, handler, eventMode);
      runs.push(run);
      if (!values.json) {
        console.error(
          `${handler} workers=${workers} events=${eventMode} run ${r + 1}: ${run.messagesPerSecond} msgs/s, p99 ${run.p99Ms} ms, ` +
            `RSS ${run.peakServerRssMiB} MiB, split ${run.split.map((w) => `w${w.worker}:${w.connections}c/${w.messages}m`).join(' ')} ` +
            `(load ${run.loadAverageBefore})`,
        );
      }
    }
  }
}

const summary = [];
for (const handler of handlers) for (const eventMode of eventModes) {
  const baseline = median(runs.filter((r) => r.handler === handler && r.eventMode === eventMode && r.workers === workerCounts[0]).map((r) => r.messagesPerSecond));
  for (const workers of workerCounts) {
    const mine = runs.filter((r) => r.handler === handler && r.eventMode === eventMode && r.workers === workers);
    const mps = median(mine.map((r) => r.messagesPerSecond));
    summary.push({
      handler,
      eventMode,
      workers,
      runs: mine.length,
      messagesPerSecond: Math.round(mps),
      ratioToFirst: Math.round((mps / baseline) * 100) / 100,
      p99Ms: Math.round(median(mine.map((r) => r.p99Ms)) * 100) / 100,
      peakServerRssMiB: median(mine.map((r) => r.peakServerRssMiB)),
      maxSplitDeviationPercent: median(mine.map((r) => r.maxSplitDeviationPercent)),
      mismatches: mine.reduce((n, r) => n + r.mismatches, 0),
    });
  }
}

if (values.json) console.log(JSON.stringify({ connections: Number(values.connections), durationS: duration, size: Number(values.size), runs, summary }, null, 2));
else {
  const mode = values.churn ? 'one message per connection (churn)' : 'ping-pong';
  console.log(`medians of ${repeats} interleaved runs, ${values.connections} connections × ${values.size} B ${mode} for ${duration} s, client on the same machine`);
  console.log(['handler', 'events', 'workers', 'msgs/s', `× ${workerCounts[0]}w`, 'p99 ms', 'RSS MiB', 'split dev %', 'mismatches'].join('\t'));
  for (const s of summary) {
    console.log([s.handler, s.eventMode, s.workers, s.messagesPerSecond, s.ratioToFirst, s.p99Ms, s.peakServerRssMiB, s.maxSplitDeviationPercent, s.mismatches].join('\t'));
  }
}
