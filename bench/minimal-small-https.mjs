#!/usr/bin/env node
// The floor for a small https GET from Node: tls.connect with the CA file as `ca`, one
// HTTP/1.1 request, the body of a Connection: close response to stdout. No CLI, no
// checks beyond OpenSSL's, no timing. Not a tool: a measuring stick.
//
//   node bench/minimal-small-https.mjs 127.0.0.1 8443 /six-bytes ca.pem
//
// Bounded: it gives up after 10 s.
import { checkServerIdentity, connect } from 'node:tls';
import { readFileSync } from 'node:fs';

const [host, port, path, caFile] = process.argv.slice(2);
const socket = connect({ host, port: Number(port), ca: readFileSync(caFile), checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert) }, () => {
  socket.end(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
});
const chunks = [];
socket.on('data', (chunk) => chunks.push(chunk));
socket.on('end', () => {
  const response = Buffer.concat(chunks);
  process.stdout.write(response.subarray(response.indexOf('\r\n\r\n') + 4));
});
socket.on('error', (err) => {
  console.error(err.message);
  process.exitCode = 1;
});
setTimeout(() => process.exit(2), 10_000).unref();
