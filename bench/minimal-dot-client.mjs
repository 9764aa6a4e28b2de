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

const [host, port, caFile, servername] = process.argv.slice(2);
const names = readFileSync(0, 'utf8').split('\n').filter(Boolean).slice(0, 65_536);
setTimeout(() => {
  process.stderr.write('gave up\n');
  process.exit(1);
}, 10_000).unref();

/** Every query, each behind its 2-byte length (RFC 1035 4.2.2), ID = the name's index. */
function queries() {
  const parts = names.map((name, index) => {
    const query = Buffer.alloc(2 + 12 + name.length + 2 + 4);
    query.writeUInt16BE(query.length - 2, 0);
    query.writeUInt16BE(index, 2);
    query[4] = 1; // RD
    query[7] = 1; // one question
    let at = 14;
    for (const label of name.split('.')) {
      query[at++] = label.length;
      at += query.write(label, at, 'latin1');
    }
    query[at + 2] = 1; // type A
    query[at + 4] = 1; // class IN
    return query;
  });
  return Buffer.concat(parts);
}

const answers = new Array(names.length);
let done = 0;
let pending = Buffer.alloc(0);
const socket = connect({ host, port: Number(port), servername, ca: readFileSync(caFile) }, () => socket.write(queries()));
socket.on('data', (chunk) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
    const reply = pending.subarray(2, 2 + pending.readUInt16BE(0));
    pending = pending.subarray(2 + reply.length);
    // The first answer's data, after the question: its owner is a 2-byte compression
    // pointer, then type, class, TTL and length, 10 bytes.
    let at = 12;
    while (reply[at] !== 0) at += reply[at] + 1;
    at += 5;
    answers[reply.readUInt16BE(0)] = reply.readUInt16BE(6) > 0 ? `${reply[at + 12]}.${reply[at + 13]}.${reply[at + 14]}.${reply[at + 15]}` : '-';
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
