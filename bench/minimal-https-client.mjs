#!/usr/bin/env node
// The floor for `sockkit http-get` over https: the smallest Node program that fetches
// a URL over TLS and throws the body away. Node's TLS socket reading into one reused
// buffer (onread), no parser beyond Content-Length, no output, no checks. Not a tool:
// a measuring stick. Prints {"totalMs": ..., "bytes": ...} (connect to last byte).
//
//   node bench/minimal-https-client.mjs 127.0.0.1 8443 /big.bin ca.pem
//
// Bounded: it gives up after 60 s.
import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';

const [host, port, path, caFile] = process.argv.slice(2);
setTimeout(() => {
  console.error('minimal-https-client: gave up after 60 s');
  process.exit(1);
}, 60_000).unref();
const started = performance.now();
let head = '';
let body = 0;
let length = Infinity;
const socket = connect(
  {
    host,
    port: Number(port),
    ca: readFileSync(caFile),
    servername: 'localhost',
    ALPNProtocols: ['http/1.1'],
    onread: {
      buffer: Buffer.allocUnsafe(1 << 20),
      callback(n, buffer) {
        if (length === Infinity) {
          head += buffer.toString('latin1', 0, n);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return;
          length = Number(/^content-length:\s*(\d+)/im.exec(head.slice(0, end))?.[1]);
          body = head.length - end - 4;
        } else body += n;
        if (body >= length) {
          console.log(JSON.stringify({ totalMs: performance.now() - started, bytes: body }));
          socket.destroy();
        }
      },
    },
  },
  () => socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`),
);
socket.on('error', (err) => {
  console.error(`minimal-https-client: ${err.message}`);
  process.exit(1);
});
