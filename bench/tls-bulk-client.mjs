#!/usr/bin/env node
// One TLS connection to an echo server: writes N MiB as fast as the connection takes it
// (16 KiB chunks, write() backpressure), reads the echo back at the same time, and
// prints {"mbps": ..., "bytes": ..., "ms": ...}: bytes echoed back per second (10^6),
// timed from the end of the handshake to the last echoed byte. It counts bytes and
// checks none (the same client loads every server, so they are compared alike).
//
//   node bench/tls-bulk-client.mjs PORT MIB CA.pem
//
// Loopback only. Bounded: it gives up after 60 s.
import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';

const [port, mib, caFile] = process.argv.slice(2);
const total = Number(mib) * 2 ** 20;
setTimeout(() => {
  console.error('tls-bulk-client: gave up after 60 s');
  process.exit(1);
}, 60_000).unref();

const chunk = Buffer.alloc(16 * 1024, 'x');
let received = 0;
let started = 0;
const socket = connect({ host: '127.0.0.1', port: Number(port), ca: readFileSync(caFile), servername: 'localhost' }, () => {
  started = performance.now();
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      sent += chunk.length;
      if (!socket.write(chunk)) return void socket.once('drain', pump);
    }
  };
  pump();
});
socket.setNoDelay(true);
socket.on('data', (d) => {
  received += d.length;
  if (received >= total) {
    const ms = performance.now() - started;
    console.log(JSON.stringify({ mbps: received / 1e6 / (ms / 1000), bytes: received, ms }));
    socket.destroy();
  }
});
socket.on('error', (err) => {
  console.error(`tls-bulk-client: ${err.message}`);
  process.exit(1);
});
socket.on('close', () => {
  if (received < total) {
    console.error(`tls-bulk-client: closed after ${received} of ${total} bytes`);
    process.exit(1);
  }
});
