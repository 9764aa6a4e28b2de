#!/usr/bin/env node
// The floor for `sockkit resolve - @tls://…`: the smallest Node program that asks a DNS
// over TLS server (RFC 7858) for the A record of each name on stdin, over one TLS
// connection with every query written at once (RFC 7766 pipelining), and prints the
// first address of each answer, one line per name, in input order (as `--short` does).
// Node's tls with the CA file and the server name, no CLI parser, no retries, no checks
// beyond the ID. Not a tool: a measuring stick.
//
//   node bench/minimal-dot-client.mjs 127.0.0.1 853 CA.pem localhost < names.txt
//
// Bounded: at most 65,536 names (one ID each), and it gives up after 10 s.
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { aQuery, firstAddress, giveUpAfter10s, namesOnStdin } from './minimal-dns-wire.mjs';

const [host, port, caFile, servername] = process.argv.slice(2);
const names = namesOnStdin(65_536);
const answers = new Array(names.length);
let done = 0;
giveUpAfter10s(() => `${done} of ${names.length} answered`);

let pending = Buffer.alloc(0);
const socket = connect({ host, port: Number(port), servername, ca: readFileSync(caFile) }, () =>
  socket.write(Buffer.concat(names.map((name, index) => aQuery(name, index, true)))),
);
socket.on('data', (chunk) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
    const reply = pending.subarray(2, 2 + pending.readUInt16BE(0));
    pending = pending.subarray(2 + reply.length);
    answers[reply.readUInt16BE(0)] = firstAddress(reply);
    if (++done === names.length) {
      process.stdout.write(answers.join('\n') + '\n');
      socket.end();
    }
  }
});
socket.on('error', (error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
