#!/usr/bin/env node
// The floor for `sockkit resolve - @https://…`: the smallest Node program that asks a DNS
// over HTTPS server (RFC 8484) for the A record of each name on stdin, over one HTTP/2
// connection (Node's own node:http2), a POST stream per name, all at once, and prints the
// first address of each answer, one line per name, in input order (as `--short` does).
// No CLI parser, no retries, no checks beyond the status. Not a tool: a measuring stick.
//
//   node bench/minimal-doh-client.mjs 127.0.0.1 443 CA.pem localhost < names.txt
//
// Bounded: at most 100,000 names, and it gives up after 10 s.
import { readFileSync } from 'node:fs';
import { connect } from 'node:http2';

const [host, port, caFile, servername] = process.argv.slice(2);
const names = readFileSync(0, 'utf8').split('\n').filter(Boolean).slice(0, 100_000);
setTimeout(() => {
  process.stderr.write('gave up\n');
  process.exit(1);
}, 10_000).unref();

/** The wire query for one name, ID 0 (RFC 8484 4.1). */
function query(name) {
  const q = Buffer.alloc(12 + name.length + 2 + 4);
  q[2] = 1; // RD
  q[5] = 1; // one question
  let at = 12;
  for (const label of name.split('.')) {
    q[at++] = label.length;
    at += q.write(label, at, 'latin1');
  }
  q[at + 2] = 1; // type A
  q[at + 4] = 1; // class IN
  return q;
}

const answers = new Array(names.length);
let done = 0;
const session = connect(`https://${host}:${port}`, { servername, ca: readFileSync(caFile) });
session.on('error', (error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
names.forEach((name, index) => {
  const body = query(name);
  const stream = session.request({ ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message', accept: 'application/dns-message', 'content-length': body.length });
  const chunks = [];
  stream.on('data', (chunk) => chunks.push(chunk));
  stream.on('end', () => {
    const reply = Buffer.concat(chunks);
    let at = 12;
    while (reply[at] !== 0) at += reply[at] + 1;
    at += 5;
    answers[index] = reply.readUInt16BE(6) > 0 ? `${reply[at + 12]}.${reply[at + 13]}.${reply[at + 14]}.${reply[at + 15]}` : '-';
    if (++done === names.length) {
      process.stdout.write(answers.join('\n') + '\n');
      session.close();
    }
  });
  stream.end(body);
});
