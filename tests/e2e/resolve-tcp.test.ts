// DNS over TCP (--tcp) against hostile servers written here: answers out of order and
// to questions never asked, truncated length prefixes, a server that stalls, one that
// closes after each answer, and nothing listening at all. Each ends in the documented
// status and exit code, within --timeout.
import { afterEach, expect, test } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { runSockkit } from '../helpers/run-sockkit.js';
import { freeTcpPort } from '../helpers/ports.js';
import { decodeMessage, encodeMessage, RecordType, type DnsMessage } from '../../src/net/dns/packet.js';

let server: Server | undefined;
const sockets = new Set<Socket>();
let connections = 0;

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

function frame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from([message.length >> 8, message.length & 0xff]), message]);
}

function answerTo(query: DnsMessage, address = '192.0.2.1'): Buffer {
  const q = query.questions[0]!;
  return encodeMessage({ ...query, qr: true, rcode: 0, answers: [{ name: q.name, type: RecordType.A, class: 1, ttl: 7, data: { kind: 'A', address } }], additionals: [] });
}

/** A TCP DNS server; `onQueries` gets every whole query of a connection as it arrives. */
async function tcpServer(onQuery: (socket: Socket, query: DnsMessage, all: DnsMessage[]) => void): Promise<number> {
  connections = 0;
  server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    const all: DnsMessage[] = [];
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const query = decodeMessage(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        all.push(query);
        onQuery(socket, query, all);
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return (server!.address() as { port: number }).port;
}

const names = ['a.test', 'b.test', 'c.test', 'd.test'];

test('answers in reverse order, after answers to questions never asked: each matched by ID, strays ignored', async () => {
  const port = await tcpServer((socket, query, all) => {
    if (all.length < names.length) return;
    // a stray ID, and a known ID carrying another question: neither is an answer
    const stray = answerTo({ ...query, id: (all[0]!.id + 1) & 0xffff, questions: [{ name: 'never.asked.', type: 1, class: 1 }] });
    if (!all.some((q) => q.id === ((all[0]!.id + 1) & 0xffff))) socket.write(frame(stray));
    socket.write(frame(answerTo({ ...all[0]!, questions: [{ name: 'other.test.', type: 1, class: 1 }] }, '203.0.113.66')));
    for (const q of [...all].reverse()) socket.write(frame(answerTo(q, `192.0.2.${all.indexOf(q) + 1}`)));
  });
  const r = await runSockkit(['resolve', ...names, `@127.0.0.1:${port}`, '--tcp', '--type', 'A', '--trace', '--timeout', '5']);
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t').slice(0, 4).join(' '))).toEqual(names.map((n, i) => `${n} A 7 192.0.2.${i + 1}`));
  expect(r.stdout).not.toMatch(/203\.0\.113\.66/);
  expect(r.stderr).toMatch(/ignore\s+reply is for A other\.test\., not our question/);
  expect(connections).toBe(1); // all four on one connection
  expect(r.stderr.match(/connected\s/g)).toHaveLength(1);
});

test('a truncated length prefix, then close, on every connection: a protocol error (exit 7) long before --timeout', async () => {
  const port = await tcpServer((socket) => {
    socket.end(Buffer.from([0x00])); // one byte of the two-byte length
  });
  const started = Date.now();
  const r = await runSockkit(['resolve', 'x.test', `@127.0.0.1:${port}`, '--tcp', '--type', 'A', '--timeout', '10']);
  expect(r.code).toBe(7);
  expect(Date.now() - started).toBeLessThan(10000);
  expect(r.stdout).toMatch(/ERROR \(the server closed the connection 3 times without answering anything\)/);
  expect(connections).toBe(3);
});

test('a length prefix that promises more than comes: the partial message is never read as a reply', async () => {
  const port = await tcpServer((socket, query) => {
    const reply = answerTo(query);
    socket.end(Buffer.concat([Buffer.from([0x01, 0x00]), reply])); // says 256 bytes, sends fewer
  });
  const r = await runSockkit(['resolve', 'x.test', `@127.0.0.1:${port}`, '--tcp', '--type', 'A', '--timeout', '5']);
  expect(r.code).toBe(7);
  expect(r.stdout).not.toMatch(/192\.0\.2\.1/);
});

test('a server that accepts and stalls: TIMEOUT at --timeout, exit 5', async () => {
  const port = await tcpServer(() => {});
  const started = Date.now();
  const r = await runSockkit(['resolve', 'x.test', 'y.test', `@127.0.0.1:${port}`, '--tcp', '--type', 'A', '--timeout', '1']);
  expect(r.code).toBe(5);
  expect(Date.now() - started).toBeLessThan(1000 + 4000);
  expect(r.stdout.match(/TIMEOUT \(timed out after 1 s\)/g)).toHaveLength(2);
});

test('a server that closes after each answer: every question is answered, none lost', async () => {
  // one answer, then a clean close (queries after it on that connection are left unread, as a real server does)
  const port = await tcpServer((socket, query) => {
    if (!socket.writableEnded) socket.end(frame(answerTo(query)));
  });
  const many = Array.from({ length: 20 }, (_, i) => `n${i}.test`);
  const r = await runSockkit(['resolve', ...many, `@127.0.0.1:${port}`, '--tcp', '--type', 'A', '--short', '--timeout', '5']);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('192.0.2.1\n'.repeat(20));
  expect(connections).toBeGreaterThan(1);
});

test('nothing listening: unreachable at once (ICMP / RST), exit 4, not a timeout', async () => {
  const port = await freeTcpPort();
  const started = Date.now();
  const r = await runSockkit(['resolve', 'x.test', `@127.0.0.1:${port}`, '--tcp', '--timeout', '10']);
  expect(r.code).toBe(4);
  expect(Date.now() - started).toBeLessThan(10000);
  expect(r.stdout).toMatch(/UNREACHABLE \(connection refused\)/);
  expect(r.stdout).not.toMatch(/TIMEOUT/);
});

test('a default A+AAAA question over UDP to a dead port: unreachable, exit 4, not a 5 s wait', async () => {
  const port = await freeTcpPort();
  const r = await runSockkit(['resolve', 'x.test', `@127.0.0.1:${port}`, '--json'], { killAfterMs: 15000 });
  expect(r.code).toBe(4);
  expect((JSON.parse(r.stdout) as Array<{ status: string }>).map((x) => x.status)).toEqual(['unreachable', 'unreachable']);
});

test('AXFR from a server that stalls after the first message: TIMEOUT at --timeout, exit 5', async () => {
  const port = await tcpServer((socket, query) => {
    const q = query.questions[0]!;
    const soa = { name: q.name, type: RecordType.SOA, class: 1, ttl: 5, data: { kind: 'SOA' as const, mname: 'ns.', rname: 'h.', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } };
    socket.write(frame(encodeMessage({ ...query, qr: true, rcode: 0, answers: [soa], additionals: [] })));
  });
  const started = Date.now();
  const r = await runSockkit(['resolve', 'zone.test', `@127.0.0.1:${port}`, '--type', 'AXFR', '--timeout', '1']);
  expect(r.code).toBe(5);
  expect(Date.now() - started).toBeLessThan(1000 + 4000);
  expect(r.stdout).toMatch(/TIMEOUT \(timed out after 1 s\)/);
});

test('AXFR from a server that closes before the closing SOA: a protocol error naming it, exit 7', async () => {
  const port = await tcpServer((socket, query) => {
    const q = query.questions[0]!;
    const soa = { name: q.name, type: RecordType.SOA, class: 1, ttl: 5, data: { kind: 'SOA' as const, mname: 'ns.', rname: 'h.', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } };
    socket.end(frame(encodeMessage({ ...query, qr: true, rcode: 0, answers: [soa, { name: `a.${q.name}`, type: 1, class: 1, ttl: 5, data: { kind: 'A', address: '192.0.2.1' } }], additionals: [] })));
  });
  const r = await runSockkit(['resolve', 'zone.test', `@127.0.0.1:${port}`, '--type', 'AXFR', '--timeout', '5']);
  expect(r.code).toBe(7);
  expect(r.stdout).toMatch(/the server closed the connection after 2 records, before the closing SOA/);
});
