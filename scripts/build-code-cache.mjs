// Writes dist/sockkit.cjs.cache, the V8 code cache bin/sockkit compiles the bundle with.
// V8 caches the functions a run has compiled, so the cache comes from one real run
// that walks a common path: the direct parser, a command, the output layer. That run
// is `resolve -` with two names on a pipe against a two-record DNS responder in this
// process on 127.0.0.1 (the query path, the reply decoder and the answer output, whose
// first compilation cost a one-name resolve about 4 ms of CPU that the older `service`
// warm-up did not cover; and a list's path: the line reader, the bulk window, the
// streamed printer, which a one-name `resolve NAME` run left out of the cache);
// without loopback it falls back to `service http --json`, which reads only
// /etc/services (or the bundled IANA table). No other network either way.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { rmSync } from 'node:fs';

/** The warm-up's names, on a pipe as `resolve -` reads a list (the stream reader, the bulk window, the streamed output). */
const WARM_UP_NAMES = 'warm-up.example\nwarm-up-2.example\n';

export async function buildCodeCache(binPath, cachePath) {
  rmSync(cachePath, { force: true });
  const responder = await startResponder().catch(() => undefined);
  try {
    if (responder && (await warmUp(binPath, cachePath, ['resolve', '-', '--server', `127.0.0.1:${responder.port}`], WARM_UP_NAMES)) === 0) return;
  } finally {
    responder?.socket.close();
  }
  rmSync(cachePath, { force: true });
  const status = await warmUp(binPath, cachePath, ['service', 'http', '--json']);
  if (status !== 0) throw new Error(`code-cache warm-up run failed (status ${status})`);
}

/** Runs bin/sockkit with `args` (and `input` on a piped stdin), writing the cache at exit; its exit status. */
export function warmUp(binPath, cachePath, args, input) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      env: { ...process.env, SOCKKIT_WRITE_CODE_CACHE: cachePath },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'inherit'],
      timeout: 30_000,
    });
    child.stdin?.end(input);
    child.on('error', () => resolve(-1));
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

/** Answers every A query with 192.0.2.1 and every AAAA query with 2001:db8::1 (documentation addresses). */
function startResponder() {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.on('error', reject);
    socket.on('message', (query, from) => {
      const reply = answer(query);
      if (reply) socket.send(reply, from.port, from.address);
    });
    socket.bind(0, '127.0.0.1', () => resolve({ socket, port: socket.address().port }));
  });
}

function answer(query) {
  if (query.length < 17 || query.readUInt16BE(4) !== 1) return undefined;
  let end = 12;
  while (end < query.length && query[end] !== 0) end += query[end] + 1;
  end += 5; // the root label, QTYPE, QCLASS
  if (end > query.length) return undefined;
  const type = query.readUInt16BE(end - 4);
  const rdata = type === 1 ? Buffer.from([192, 0, 2, 1]) : type === 28 ? Buffer.from('20010db8000000000000000000000001', 'hex') : undefined;
  const header = Buffer.from(query.subarray(0, 12));
  header.writeUInt16BE(0x8180 | (query.readUInt16BE(2) & 0x0100), 2); // QR, RD as asked, RA, NOERROR
  header.writeUInt16BE(rdata ? 1 : 0, 6); // ANCOUNT
  header.writeUInt32BE(0, 8); // NSCOUNT, ARCOUNT
  const record = Buffer.alloc(rdata ? 12 + rdata.length : 0);
  if (rdata) {
    record.writeUInt16BE(0xc00c, 0); // the question's name
    record.writeUInt16BE(type, 2);
    record.writeUInt16BE(1, 4); // IN
    record.writeUInt32BE(60, 6);
    record.writeUInt16BE(rdata.length, 10);
    rdata.copy(record, 12);
  }
  return Buffer.concat([header, query.subarray(12, end), record]);
}
