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
import { aQuery, firstAddress, giveUpAfter10s, namesOnStdin } from './minimal-dns-wire.mjs';

const [host, port, caFile, servername] = process.argv.slice(2);
const names = namesOnStdin(100_000);
const answers = new Array(names.length);
let done = 0;
giveUpAfter10s(() => `${done} of ${names.length} answered`);

const session = connect(`https://${host}:${port}`, { servername, ca: readFileSync(caFile) });
session.on('error', (error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
names.forEach((name, index) => {
  const body = aQuery(name, 0); // ID 0 (RFC 8484 4.1)
  const stream = session.request({ ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message', accept: 'application/dns-message', 'content-length': body.length });
  const chunks = [];
  stream.on('data', (chunk) => chunks.push(chunk));
  stream.on('end', () => {
    answers[index] = firstAddress(Buffer.concat(chunks));
    if (++done === names.length) {
      process.stdout.write(answers.join('\n') + '\n');
      session.close();
    }
  });
  stream.end(body);
});
