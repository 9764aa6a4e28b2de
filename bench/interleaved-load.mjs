#!/usr/bin/env node
// Compares two or more echo-style servers under the same load, interleaved in short
// slices from one client process: server A for 250 ms, then B, then B, then A (ABBA,
// so neither always goes first), many times. A shared machine drifts over seconds (a
// neighbour's burst, the CPU's clock); two 3-second runs taken one after the other
// differ by up to ±25% here, which buries a 5% question. Adjacent slices see the same
// machine, so the ratio of each adjacent pair is precise even when the rates are not.
//
//   node bench/interleaved-load.mjs --ports 9001,9002 [--mode pingpong|bulk]
//        [--connections 100] [--size 64] [--window BYTES] [--slice-ms 250] [--rounds 20]
//        [--expect echo|upper]
//
// pingpong: C connections to each server, each with one S-byte message in flight;
// a slice counts the replies. bulk: one connection to each server writes 64 KiB
// blocks (16 KiB, and at most --window bytes unanswered, when the window is set) and
// a slice counts the bytes echoed. Between slices the client stops sending and waits
// until everything sent has come back, so a slice's count is its own.
//
// Prints one JSON document: each server's rate per slice, in order, and its total
// count (bytes or messages) over the measured slices. Loopback only;
// bounded: ≤ 20,000 connections in all, ≤ 100 rounds, slices ≤ 5 s, every wait timed.
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    ports: { type: 'string' },
    mode: { type: 'string', default: 'pingpong' },
    connections: { type: 'string', default: '100' },
    size: { type: 'string', default: '64' },
    window: { type: 'string', default: '0' },
    'slice-ms': { type: 'string', default: '250' },
    rounds: { type: 'string', default: '20' },
    expect: { type: 'string', default: 'echo' },
  },
});
const host = values.host;
if (!/^(127\.\d+\.\d+\.\d+|::1)$/.test(host)) throw new Error('--host must be a loopback address');
const ports = (values.ports ?? '').split(',').map(Number);
if (ports.length < 2 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw new Error('--ports: two or more ports');
const mode = values.mode;
if (mode !== 'pingpong' && mode !== 'bulk') throw new Error('--mode: pingpong or bulk');
const connections = mode === 'bulk' ? 1 : Number(values.connections);
if (!Number.isInteger(connections) || connections < 1 || connections * ports.length > 20_000) throw new Error('--connections: 1 to 20,000 in all');
const size = Number(values.size);
const windowBytes = Number(values.window);
const sliceMs = Math.min(5000, Math.max(20, Number(values['slice-ms'])));
const rounds = Math.min(100, Math.max(1, Number(values.rounds)));
const upper = values.expect === 'upper';
const DRAIN_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 10_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function open(port) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: mode === 'pingpong' });
    const timer = setTimeout(() => reject(new Error(`connect to ${port} timed out`)), CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** A server's connections, started and stopped as one: `run(ms)` gives its count. */
async function loadOn(port) {
  const sockets = [];
  for (let i = 0; mode === 'pingpong' && i < connections; i += 500) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(500, connections - i) }, () => open(port)))));
  }
  let active = false;
  let count = 0;
  let inFlight = 0;
  let drained = () => {};
  const settle = () => {
    if (!active && inFlight === 0) drained();
  };

  if (mode === 'pingpong') {
    const message = Buffer.alloc(size, 0x61);
    const reply = upper ? Buffer.alloc(size, 0x41) : message;
    for (const socket of sockets) {
      let got = 0;
      socket.on('data', (chunk) => {
        // One message in flight, so a reply is exactly `size` bytes of the payload's one byte.
        if (!chunk.equals(reply.subarray(0, chunk.length))) throw new Error(`wrong reply from the server on ${port}`);
        got += chunk.length;
        if (got < size) return;
        if (got > size) throw new Error(`more bytes than sent from the server on ${port}`);
        got = 0;
        count++;
        if (active) socket.write(message);
        else {
          inFlight--;
          settle();
        }
      });
    }
    const start = () => {
      for (const socket of sockets) socket.write(message);
      inFlight = sockets.length;
    };
    return { run: (ms) => slice(ms, start) };
  }

  // Bulk: a new connection every slice, so every slice starts alike. (A cost that shows
  // only after seconds of streaming, like TCP_NODELAY's under a window, is out of reach
  // of slices that stop and drain: bench/README.md.)
  // The same blocks as bench/echo-measure.mjs: 16 KiB under a window, else 64 KiB.
  const block = Buffer.alloc(windowBytes ? 16 * 1024 : 64 * 1024, 0x61);
  return {
    async run(ms) {
      const socket = await open(port);
      socket.setNoDelay(false);
      let waiting = false;
      const pump = () => {
        while (active && !waiting && (!windowBytes || inFlight < windowBytes)) {
          inFlight += block.length;
          if (!socket.write(block)) {
            waiting = true;
            socket.once('drain', () => {
              waiting = false;
              pump();
            });
          }
        }
      };
      socket.on('data', (chunk) => {
        inFlight -= chunk.length;
        count += chunk.length;
        if (active) pump();
        else settle();
      });
      try {
        return await slice(ms, pump);
      } finally {
        socket.destroy();
      }
    },
  };

  async function slice(ms, start) {
    count = 0;
    const began = performance.now();
    active = true;
    start();
    await sleep(ms);
    active = false;
    const done = new Promise((resolve) => (drained = resolve));
    settle();
    await Promise.race([done, sleep(DRAIN_TIMEOUT_MS).then(() => Promise.reject(new Error(`server on ${port} did not answer within ${DRAIN_TIMEOUT_MS} ms`)))]);
    return { rate: count / ((performance.now() - began) / 1000), count };
  }
}

const loads = [];
for (const port of ports) loads.push(await loadOn(port));
for (const load of loads) await load.run(sliceMs); // warm-up: JIT, buffers, caches
const rates = ports.map(() => []);
const totals = ports.map(() => 0);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? loads.map((_, i) => i) : loads.map((_, i) => loads.length - 1 - i);
  for (const i of order) {
    const { rate, count } = await loads[i].run(sliceMs);
    rates[i].push(rate);
    totals[i] += count;
  }
}
console.log(JSON.stringify({ mode, unit: mode === 'bulk' ? 'bytes/s' : 'messages/s', connections, size, windowBytes, sliceMs, ports, rates, totals }));
process.exit(0);
