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
import { aQuery, firstAddress, giveUpAfter10s, namesOnStdin } from './minimal-dns-wire.mjs';

const [host, port] = process.argv.slice(2);
const names = namesOnStdin(100_000);
const socket = createSocket('udp4');
const WINDOW = 50;
let next = 0;
let done = 0;
let out = '';
/** ID → index of the name: IDs wrap at 65,536, and at most WINDOW are in flight. */
const inFlight = new Map();
giveUpAfter10s(() => `${done} of ${names.length} answered`);

function ask(index) {
  inFlight.set(index & 0xffff, index);
  socket.send(aQuery(names[index], index & 0xffff));
}

socket.on('message', (reply) => {
  const index = inFlight.get(reply.readUInt16BE(0));
  if (index === undefined) return;
  inFlight.delete(reply.readUInt16BE(0));
  out += `${names[index]}\t${firstAddress(reply)}\n`;
  if (++done === names.length) {
    process.stdout.write(out);
    socket.close();
  } else if (next < names.length) ask(next++);
});
socket.connect(Number(port), host, () => {
  socket.setRecvBufferSize(4 * 1024 * 1024);
  while (next < Math.min(WINDOW, names.length)) ask(next++);
});
