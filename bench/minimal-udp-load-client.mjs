#!/usr/bin/env node
// The smallest UDP load client that does what `echo-client --udp -C -d` does, for the
// bench to set sockkit beside: one connected socket, C datagrams in flight, each with a
// sequence number in its first 4 bytes; an echo that matches the datagram in flight on
// its slot sends the next; a datagram not echoed within --timeout is dropped from the
// window and its slot sends again. RTTs in node:perf_hooks' histogram.
//
//   node bench/minimal-udp-load-client.mjs --port 9000 [--concurrency 8] [--duration 3] [--size 64] [--timeout 1]
//
// Prints one JSON line: {"perSecond":…, "p50Ms":…, "p99Ms":…, "lost":…}. Bounded:
// concurrency ≤ 10,000, duration ≤ 300 s, every wait times out.
import { createSocket } from 'node:dgram';
import { createHistogram } from 'node:perf_hooks';
import { randomFillSync } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    duration: { type: 'string', default: '3' },
    size: { type: 'string', default: '64' },
    timeout: { type: 'string', default: '1' },
  },
});
const num = (name, min, max) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be from ${min} to ${max}`);
  return n;
};
const port = num('port', 1, 65535);
const concurrency = num('concurrency', 1, 10_000);
const durationMs = num('duration', 0.1, 300) * 1000;
const size = num('size', 8, 65_507);
const timeoutMs = num('timeout', 0.01, 60) * 1000;

const socket = createSocket('udp4');
const histogram = createHistogram();
const slots = Array.from({ length: concurrency }, (_, i) => {
  const payload = randomFillSync(Buffer.alloc(size));
  payload.writeUInt32BE(i, 4);
  return { payload, seq: 0, sentAt: 0, waiting: false };
});
let nextSeq = 0;
let sending = true;
let echoed = 0;
let lost = 0;

function send(slot, now) {
  slot.seq = nextSeq++ >>> 0;
  slot.payload.writeUInt32BE(slot.seq, 0);
  slot.sentAt = now;
  slot.waiting = true;
  socket.send(slot.payload);
}

socket.on('message', (msg) => {
  const now = performance.now();
  const slot = msg.length === size ? slots[msg.readUInt32BE(4)] : undefined;
  if (!slot || !slot.waiting || msg.readUInt32BE(0) !== slot.seq || !msg.equals(slot.payload)) return;
  histogram.record(Math.max(1, Math.round((now - slot.sentAt) * 1e6)));
  if (sending) echoed++;
  slot.waiting = false;
  if (sending) send(slot, now);
});
socket.on('error', () => {});

socket.connect(port, values.host, () => {
  const started = performance.now();
  for (const slot of slots) send(slot, started);
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (const slot of slots) {
      if (!slot.waiting || now - slot.sentAt < timeoutMs) continue;
      lost++;
      slot.waiting = false;
      if (sending) send(slot, now);
    }
  }, Math.max(5, Math.min(100, timeoutMs / 10)));
  setTimeout(() => {
    sending = false;
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sweeper);
    socket.close();
    const ms = (ns) => ns / 1e6;
    console.log(JSON.stringify({ perSecond: echoed / seconds, p50Ms: ms(histogram.percentile(50)), p99Ms: ms(histogram.percentile(99)), lost }));
  }, durationMs);
});
