#!/usr/bin/env node
// A small, bounded ping-pong load client for echo-style servers on loopback.
//
//   node bench/minimal-load-client.mjs --port 9000 [--host 127.0.0.1] [--connections 100]
//        [--duration 5] [--size 64] [--expect echo|upper] [--churn] [--json]
//
// C connections each send one message of S random bytes, wait for S bytes back,
// check them (byte-identical for echo, ASCII-upper-cased for upper), and send the
// next, for D seconds. With --churn every message gets a new connection (connect,
// send, read the reply, close): that measures connections/s and the server's
// per-connection cost (accept, hand-off to a worker, events) rather than messages. Reports messages/s, MB/s each way, RTT percentiles and
// mismatches. Bounded: connections ≤ 20,000, duration ≤ 300 s, size ≤ 1 MiB, every
// connect and the final wait for replies time out.
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const LIMITS = { connections: 20_000, durationS: 300, size: 1 << 20 };
const CONNECT_TIMEOUT_MS = 10_000;
const FINAL_WAIT_MS = 5_000;
/** RTT samples kept (reservoir beyond that): 2M × 4 bytes = 8 MB at most. */
const MAX_SAMPLES = 2_000_000;

export function upperAscii(buf) {
  const out = Buffer.allocUnsafe(buf.length);
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    out[i] = b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
  }
  return out;
}

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      connections: { type: 'string', short: 'c', default: '100' },
      duration: { type: 'string', short: 'd', default: '5' },
      size: { type: 'string', short: 's', default: '64' },
      expect: { type: 'string', default: 'echo' },
      json: { type: 'boolean', default: false },
      churn: { type: 'boolean', default: false },
    },
  });
  const num = (name, min, max) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be from ${min} to ${max}`);
    return n;
  };
  if (!['echo', 'upper'].includes(values.expect)) throw new Error('--expect must be echo or upper');
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(values.host)) throw new Error('--host must be a loopback address');
  return {
    host: values.host,
    port: num('port', 1, 65535),
    connections: Math.floor(num('connections', 1, LIMITS.connections)),
    durationMs: num('duration', 0.1, LIMITS.durationS) * 1000,
    size: Math.floor(num('size', 1, LIMITS.size)),
    expect: values.expect,
    json: values.json,
    churn: values.churn,
  };
}

/** Runs the load; resolves with the summary. Usable from other scripts. */
export async function runLoad({ host, port, connections, durationMs, size, expect, churn = false }) {
  if (churn) return runChurn({ host, port, connections, durationMs, size, expect });
  const samples = new Uint32Array(Math.min(MAX_SAMPLES, 1 << 16));
  let sampleStore = samples;
  let sampleCount = 0;
  let seen = 0;
  const record = (us) => {
    seen++;
    if (sampleCount < sampleStore.length) {
      sampleStore[sampleCount++] = us;
      return;
    }
    if (sampleStore.length < MAX_SAMPLES) {
      const bigger = new Uint32Array(Math.min(MAX_SAMPLES, sampleStore.length * 2));
      bigger.set(sampleStore);
      sampleStore = bigger;
      sampleStore[sampleCount++] = us;
      return;
    }
    const j = Math.floor(Math.random() * seen); // reservoir sampling keeps percentiles unbiased
    if (j < MAX_SAMPLES) sampleStore[j] = us;
  };

  let messages = 0;
  let mismatches = 0;
  let failed = 0;
  let bytesSent = 0;
  let bytesReceived = 0;
  let measuring = false;
  let stopped = false;

  const opened = await Promise.all(
    Array.from({ length: connections }, () =>
      new Promise((resolve) => {
        const socket = connect({ host, port, noDelay: true });
        const timer = setTimeout(() => {
          socket.destroy();
          resolve(null);
        }, CONNECT_TIMEOUT_MS);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve(socket);
        });
        socket.once('error', () => {
          clearTimeout(timer);
          resolve(null);
        });
      }),
    ),
  );
  const sockets = opened.filter((s) => s !== null);
  failed = connections - sockets.length;

  let outstanding = 0;
  let allReplied;
  const replied = new Promise((resolve) => (allReplied = resolve));

  function pingPong(socket) {
    const payload = randomBytes(size);
    const expected = expect === 'upper' ? upperAscii(payload) : payload;
    let received = [];
    let receivedLength = 0;
    let sentAt = 0;
    let busy = false;
    const send = () => {
      if (stopped) return;
      busy = true;
      outstanding++;
      sentAt = performance.now();
      socket.write(payload);
      bytesSent += size;
    };
    socket.on('data', (chunk) => {
      received.push(chunk);
      receivedLength += chunk.length;
      bytesReceived += chunk.length;
      if (receivedLength < size) return;
      const reply = Buffer.concat(received, receivedLength);
      received = [];
      receivedLength = 0;
      if (reply.length !== size || !reply.equals(expected)) mismatches++;
      if (measuring) {
        messages++;
        record(Math.min(0xffffffff, Math.round((performance.now() - sentAt) * 1000)));
      }
      busy = false;
      outstanding--;
      if (stopped) {
        if (outstanding === 0) allReplied();
        return;
      }
      send();
    });
    socket.on('error', () => {
      if (busy) outstanding--;
      busy = false;
      failed++;
      if (stopped && outstanding === 0) allReplied();
    });
    send();
  }

  for (const s of sockets) pingPong(s);
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  stopped = true;
  const elapsedS = (performance.now() - started) / 1000;
  if (outstanding > 0) await Promise.race([replied, new Promise((r) => setTimeout(r, FINAL_WAIT_MS))]);
  for (const s of sockets) s.destroy();

  const sorted = sampleStore.slice(0, Math.min(sampleCount, sampleStore.length)).sort();
  return {
    mode: 'ping-pong',
    connections,
    connected: sockets.length,
    failed,
    durationS: Math.round(elapsedS * 1000) / 1000,
    size,
    messages,
    messagesPerSecond: Math.round(messages / elapsedS),
    mbPerSecondEachWay: Math.round(((messages * size) / elapsedS / 1e6) * 100) / 100,
    rttMs: percentiles(sorted),
    mismatches,
    unanswered: outstanding,
    bytesSent,
    bytesReceived,
  };
}

/** Sorted RTT samples (µs) → percentiles in ms. */
function percentiles(sorted) {
  const pct = (p) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] / 1000);
  return { min: pct(0), p50: pct(50), p90: pct(90), p99: pct(99), max: sorted.length ? sorted[sorted.length - 1] / 1000 : null };
}

/** C loops of: connect, send S bytes, read S bytes, close. */
async function runChurn({ host, port, connections, durationMs, size, expect }) {
  const samples = [];
  let messages = 0;
  let mismatches = 0;
  let failed = 0;
  let stopped = false;
  const payload = randomBytes(size);
  const expected = expect === 'upper' ? upperAscii(payload) : payload;
  const once = () =>
    new Promise((resolve) => {
      const started = performance.now();
      const socket = connect({ host, port, noDelay: true });
      const chunks = [];
      let length = 0;
      const timer = setTimeout(() => finish(false), CONNECT_TIMEOUT_MS);
      const finish = (ok) => {
        clearTimeout(timer);
        socket.destroy();
        if (!ok) failed++;
        resolve();
      };
      socket.on('data', (d) => {
        chunks.push(d);
        length += d.length;
        if (length < size) return;
        if (!Buffer.concat(chunks, length).equals(expected)) mismatches++;
        messages++;
        if (samples.length < MAX_SAMPLES) samples.push(Math.round((performance.now() - started) * 1000));
        finish(true);
      });
      socket.on('error', () => finish(false));
      socket.write(payload);
    });
  const started = performance.now();
  const timer = setTimeout(() => (stopped = true), durationMs);
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (!stopped) await once();
    }),
  );
  clearTimeout(timer);
  const elapsedS = (performance.now() - started) / 1000;
  const sorted = Uint32Array.from(samples).sort();
  return {
    mode: 'churn',
    connections,
    durationS: Math.round(elapsedS * 1000) / 1000,
    size,
    messages,
    connectionsPerSecond: Math.round(messages / elapsedS),
    messagesPerSecond: Math.round(messages / elapsedS),
    rttMs: percentiles(sorted),
    mismatches,
    failed,
  };
}

async function main() {
  let options;
  try {
    options = parse(process.argv.slice(2));
  } catch (err) {
    console.error(`minimal-load-client: ${err.message}`);
    process.exit(2);
  }
  const result = await runLoad(options);
  // This process's own CPU, start-up included: on a shared machine it shows how much of
  // the CPU the load itself took from the server under test.
  const cpu = process.cpuUsage();
  result.cpuSeconds = Math.round((cpu.user + cpu.system) / 1e4) / 100;
  if (options.json) console.log(JSON.stringify(result));
  else {
    const r = result.rttMs;
    console.log(
      `${result.mode}: ${result.connected ?? result.connections}/${result.connections} connections, ${result.messages} messages of ${result.size} B in ${result.durationS} s: ` +
        `${result.messagesPerSecond} msgs/s, ${result.mbPerSecondEachWay} MB/s each way; ` +
        `RTT ms p50 ${r.p50} p90 ${r.p90} p99 ${r.p99} max ${r.max}; mismatches ${result.mismatches}, failed ${result.failed}`,
    );
  }
  process.exit(result.mismatches > 0 || result.failed > 0 ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
