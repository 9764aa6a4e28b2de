#!/usr/bin/env node
// The floor for `sockkit resolve`: the smallest Node program that asks a DNS server for
// the A record of each name on stdin and prints `name<TAB>address` lines. One connected
// UDP socket, 50 queries in flight, no CLI parser, no retransmission, no checks beyond
// the ID, no decoding beyond the first answer. Not a tool: a measuring stick.
//
//   node bench/minimal-resolve-client.mjs 127.0.0.1 5353 < names.txt
//
// Bounded: at most 100,000 names, and it gives up after 10 s.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const [host, port] = process.argv.slice(2);
const names = readFileSync(0, 'utf8').split('\n').filter(Boolean).slice(0, 100_000);
const socket = createSocket('udp4');
const WINDOW = 50;
let next = 0;
let done = 0;
let out = '';
/** ID → index of the name: IDs wrap at 65,536, and at most WINDOW are in flight. */
const inFlight = new Map();
setTimeout(() => {
  process.stderr.write(`gave up: ${done} of ${names.length} answered\n`);
  process.exit(1);
}, 10_000).unref();

function ask(index) {
  const labels = names[index].split('.');
  const query = Buffer.alloc(12 + names[index].length + 2 + 4);
  query.writeUInt16BE(index & 0xffff, 0);
  inFlight.set(index & 0xffff, index);
  query[2] = 1; // RD
  query[5] = 1; // one question
  let at = 12;
  for (const label of labels) {
    query[at++] = label.length;
    at += query.write(label, at, 'latin1');
  }
  query[at + 2] = 1; // type A
  query[at + 4] = 1; // class IN
  socket.send(query);
}

socket.on('message', (reply) => {
  const index = inFlight.get(reply.readUInt16BE(0));
  if (index === undefined) return;
  inFlight.delete(reply.readUInt16BE(0));
  // The first answer's data, after the question: its owner is a 2-byte compression
  // pointer (as NSD writes it), then type, class, TTL and length, 10 bytes.
  let at = 12;
  while (reply[at] !== 0) at += reply[at] + 1;
  at += 5; // root label, type, class
  const ancount = reply.readUInt16BE(6);
  const address = ancount > 0 ? `${reply[at + 12]}.${reply[at + 13]}.${reply[at + 14]}.${reply[at + 15]}` : '-';
  out += `${names[index]}\t${address}\n`;
  if (++done === names.length) {
    process.stdout.write(out);
    socket.close();
  } else if (next < names.length) ask(next++);
});
socket.connect(Number(port), host, () => {
  socket.setRecvBufferSize(4 * 1024 * 1024);
  while (next < Math.min(WINDOW, names.length)) ask(next++);
});
