// What the minimal DNS clients (bench/minimal-*-client.mjs) share: the names on stdin, an
// A query in wire form, the first address of an answer, and the give-up timer. Kept as
// small as they are: no checks beyond what the measuring needs.
import { readFileSync } from 'node:fs';

/** The names on stdin, at most `max` of them. */
export function namesOnStdin(max) {
  return readFileSync(0, 'utf8').split('\n').filter(Boolean).slice(0, max);
}

/** Ends the process with a message after 10 s, whatever is still in flight. */
export function giveUpAfter10s(what) {
  setTimeout(() => {
    process.stderr.write(`gave up: ${what()}\n`);
    process.exit(1);
  }, 10_000).unref();
}

/** An A query for `name` with this ID and RD set, behind a 2-byte length when `framed` (TCP, TLS). */
export function aQuery(name, id, framed = false) {
  const prefix = framed ? 2 : 0;
  const query = Buffer.alloc(prefix + 12 + name.length + 2 + 4);
  if (framed) query.writeUInt16BE(query.length - 2, 0);
  query.writeUInt16BE(id, prefix);
  query[prefix + 2] = 1; // RD
  query[prefix + 5] = 1; // one question
  let at = prefix + 12;
  for (const label of name.split('.')) {
    query[at++] = label.length;
    at += query.write(label, at, 'latin1');
  }
  query[at + 2] = 1; // type A
  query[at + 4] = 1; // class IN
  return query;
}

/**
 * The first answer's address, or '-' without one. After the question, the answer's owner
 * is a 2-byte compression pointer (as NSD and unbound write it), then type, class, TTL
 * and length, 10 bytes.
 */
export function firstAddress(reply) {
  let at = 12;
  while (reply[at] !== 0) at += reply[at] + 1;
  at += 5; // root label, type, class
  return reply.readUInt16BE(6) > 0 ? `${reply[at + 12]}.${reply[at + 13]}.${reply[at + 14]}.${reply[at + 15]}` : '-';
}
