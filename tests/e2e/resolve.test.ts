// `sockkit resolve` as a user runs it: the system resolver with localhost only, bad
// input, and hostile DNS servers written here that answer wrongly on purpose.
import { afterEach, describe, expect, test } from '@jest/globals';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SOCKKIT_BIN } from '../helpers/run-sockkit.js';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { decodeMessage, encodeMessage, RecordType, type DnsMessage, type DnsRecord } from '../../src/net/dns/packet.js';

describe('resolve through the system resolver (localhost only)', () => {
  test('localhost resolves to its loopback address, exit 0', async () => {
    const r = await runSockkit(['resolve', 'localhost']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^localhost\tA\t\t127\.0\.0\.1\tsystem\t\d+\.\d$/m);
  });

  test('a plain lookup loads neither node:crypto nor node:tls (start-up stays small); --cookie takes its bytes from /dev/urandom', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockkit-modules-'));
    const preload = join(dir, 'modules.cjs');
    writeFileSync(preload, "process.on('exit', () => process.stderr.write('builtins ' + process.moduleLoadList.filter((m) => /^NativeModule (tls|crypto)$/.test(m)).map((m) => m.slice(13)).join(',') + '\\n'));\n");
    try {
      for (const args of [['localhost'], ['localhost', '--server', '127.0.0.1:1', '--type', 'TXT', '--cookie', '--timeout', '0.3']]) {
        const r = await runSockkit(['resolve', ...args], { env: { NODE_OPTIONS: `--require ${preload}` } });
        expect({ args, builtins: r.stderr.match(/^builtins (.*)$/m)?.[1] }).toEqual({ args, builtins: '' });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--short prints only addresses: the first line is an address', async () => {
    const r = await runSockkit(['resolve', 'localhost', '--short']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^(127\.\d+\.\d+\.\d+|::1)$/);
  });

  test('--json has the documented fields', async () => {
    const r = await runSockkit(['resolve', 'localhost', '-4', '--json']);
    expect(r.code).toBe(0);
    const [result] = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(result).toMatchObject({ name: 'localhost', type: 'A', status: 'ok', server: 'system' });
    expect(typeof result!.timeMs).toBe('number');
    expect(result!.answers).toContainEqual({ name: 'localhost', type: 'A', ttl: null, value: '127.0.0.1' });
  });

  test('an IP address is a reverse lookup (getnameinfo, /etc/hosts)', async () => {
    const r = await runSockkit(['resolve', '127.0.0.1', '--json']);
    expect(r.code).toBe(0);
    const [result] = JSON.parse(r.stdout) as Array<{ type: string; answers: Array<{ value: string }> }>;
    expect(result!.type).toBe('PTR');
    expect(result!.answers[0]!.value).toBe('localhost');
  });

  test('--trace shows the getaddrinfo step on stderr, the result stays on stdout', async () => {
    const r = await runSockkit(['resolve', 'localhost', '--trace', '--short']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/resolve\s+getaddrinfo\("localhost"\)/);
    expect(r.stdout).not.toMatch(/getaddrinfo/);
  });
});

describe('resolve: bad input is a clear usage error (exit 2), never a stack trace', () => {
  test.each([
    [['resolve', 'x.test', '--server', '127.0.0.1', '--type', 'BOGUS'], /bad --type 'BOGUS'/],
    [['resolve', ''], /empty name/],
    [['resolve', Array(30).fill('abcdefghi').join('.')], /at most 253 characters/],
    [['resolve', `${'a'.repeat(64)}.test`], /label is at most 63 characters/],
    [['resolve', 'x.test', '--server', '127.0.0.1:99999'], /bad port '99999'/],
    [['resolve', 'x.test', '--server', '127.0.0.1:abc'], /bad port 'abc'/],
    [['resolve', 'x.test', '--concurrency', '0'], /--concurrency/],
    [['resolve', 'x.test', '--bogus-flag'], /unknown option '--bogus-flag'/],
    [['resolve', '-4', '-6', 'localhost'], /mutually exclusive/],
  ])('%j', async (args, message) => {
    const r = await runSockkit(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expectCleanError(r, 'resolve');
  });

  test('stdin with only blank lines and comments is a usage error', async () => {
    const r = await runSockkit(['resolve', '-'], { input: '\n\n   \n# nothing\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stdin had no names/);
    expectCleanError(r, 'resolve');
  });
});

// ---------------------------------------------------------------- hostile servers

type Reply = (query: DnsMessage, raw: Buffer, from: RemoteInfo, socket: Socket) => void;

interface Hostile {
  port: number;
  queries: DnsMessage[];
  tcpServer?: Server;
  close: () => Promise<void>;
}

const open: Hostile[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

async function hostileServer(reply: Reply, tcpReply?: (query: DnsMessage) => Buffer): Promise<Hostile> {
  // The TCP listener must share the UDP port; on a busy machine that port may be taken
  // for TCP (someone's outgoing connection), so try a few ports.
  for (let attempt = 0; ; attempt++) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    // Room for a whole batch arriving at once (the default ~208 KB drops a few hundred).
    socket.setRecvBufferSize(4 * 1024 * 1024);
    const port = socket.address().port;
    const tcpServer = tcpReply ? await listenTcp(port, tcpReply).catch(() => undefined) : undefined;
    if (tcpReply && !tcpServer) {
      socket.close();
      if (attempt >= 10) throw new Error('no port free for both UDP and TCP');
      continue;
    }
    const queries: DnsMessage[] = [];
    socket.on('message', (raw, from) => {
      const query = decodeMessage(raw);
      queries.push(query);
      reply(query, raw, from, socket);
    });
    const hostile: Hostile = {
      port,
      queries,
      tcpServer,
      close: async () => {
        await new Promise<void>((resolve) => socket.close(() => resolve()));
        if (tcpServer) await new Promise<void>((resolve) => tcpServer.close(() => resolve()));
      },
    };
    open.push(hostile);
    return hostile;
  }
}

/** DNS over TCP: one length-prefixed query in, one length-prefixed reply out. */
function listenTcp(port: number, tcpReply: (query: DnsMessage) => Buffer): Promise<Server> {
  const server = createServer((conn) => {
    let buffered = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      const body = tcpReply(decodeMessage(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
      const frame = Buffer.alloc(2 + body.length);
      frame.writeUInt16BE(body.length, 0);
      body.copy(frame, 2);
      conn.end(frame);
    });
    conn.on('error', () => {});
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const A = (name: string, address: string): DnsRecord => ({ name, type: RecordType.A, class: 1, ttl: 60, data: { kind: 'A', address } });

function answer(query: DnsMessage, answers: DnsRecord[], extra: Partial<DnsMessage> = {}): Buffer {
  return encodeMessage({ id: query.id, qr: true, aa: true, rd: query.rd, questions: query.questions, answers, ...extra });
}

const send = (socket: Socket, bytes: Buffer, to: RemoteInfo) => socket.send(bytes, to.port, to.address);

async function resolveVia(server: Hostile, args: string[], killAfterMs = 20000) {
  const started = Date.now();
  const r = await runSockkit(['resolve', ...args, '--server', `127.0.0.1:${server.port}`, '--type', 'A'], { killAfterMs });
  return { ...r, elapsedMs: Date.now() - started };
}

describe('resolve --server against hostile DNS servers', () => {
  test('a reply with a forged ID is ignored; the real one that follows is used', async () => {
    const server = await hostileServer((q, _raw, from, socket) => {
      send(socket, answer({ ...q, id: q.id ^ 0x5a5a }, [A(q.questions[0]!.name, '198.51.100.66')]), from);
      setTimeout(() => send(socket, answer(q, [A(q.questions[0]!.name, '198.51.100.7')]), from), 50);
    });
    const r = await resolveVia(server, ['forged.test', '--trace', '--short']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('198.51.100.7\n');
    expect(r.stderr).toMatch(/ignore\s+id 0x[0-9a-f]{4} matches no query in flight/);
  });

  test('a reply from another port (right ID) never becomes a result', async () => {
    const other = createSocket('udp4');
    await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', resolve));
    try {
      const server = await hostileServer((q, _raw, from, socket) => {
        send(other, answer(q, [A(q.questions[0]!.name, '198.51.100.66')]), from);
        setTimeout(() => send(socket, answer(q, [A(q.questions[0]!.name, '198.51.100.7')]), from), 50);
      });
      const r = await resolveVia(server, ['spoofed.test', '--short']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('198.51.100.7\n');
    } finally {
      other.close();
    }
  });

  test('a reply for another question (right ID) is ignored', async () => {
    const server = await hostileServer((q, _raw, from, socket) => {
      const wrong = { ...q, questions: [{ ...q.questions[0]!, name: 'evil.test.' }] };
      send(socket, answer(wrong, [A('evil.test.', '198.51.100.66')]), from);
      setTimeout(() => send(socket, answer(q, [A(q.questions[0]!.name, '198.51.100.7')]), from), 50);
    });
    const r = await resolveVia(server, ['asked.test', '--short', '--trace']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('198.51.100.7\n');
    expect(r.stderr).toMatch(/not our question/);
  });

  test('a truncated reply with our ID is a protocol error, exit 7', async () => {
    const server = await hostileServer((q, _raw, from, socket) => {
      send(socket, answer(q, [A(q.questions[0]!.name, '198.51.100.7')]).subarray(0, 40), from);
    });
    const r = await resolveVia(server, ['cut.test', '--json']);
    expect(r.code).toBe(7);
    const [result] = JSON.parse(r.stdout) as Array<{ status: string; error: string }>;
    expect(result!.status).toBe('error');
    expect(result!.error).toMatch(/malformed reply: message truncated/);
  });

  test('garbage too short for a header ends as a protocol error at the timeout, not a hang', async () => {
    const server = await hostileServer((_q, _raw, from, socket) => send(socket, Buffer.from([1, 2, 3, 4, 5]), from));
    const r = await resolveVia(server, ['garbage.test', '--timeout', '1']);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(/ERROR \(no valid reply; the server sent a malformed one/);
    expect(r.elapsedMs).toBeLessThan(1000 + 5000);
  });

  test('a compression pointer loop is rejected at once, exit 7', async () => {
    const server = await hostileServer((q, _raw, from, socket) => {
      const reply = answer(q, []);
      reply.writeUInt16BE(1, 6); // ANCOUNT = 1
      const at = reply.length;
      // owner name = a pointer to itself, then the rest of an A record
      send(socket, Buffer.concat([reply, Buffer.from([0xc0 | (at >> 8), at & 0xff, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4])]), from);
    });
    const r = await resolveVia(server, ['loop.test', '--timeout', '10']);
    expect(r.code).toBe(7);
    expect(r.stdout).toMatch(/compression pointer loop/);
    expect(r.elapsedMs).toBeLessThan(8000); // well before the 10 s budget
  });

  test('a truncated (TC) reply is retried over TCP and the TCP answer is used', async () => {
    const server = await hostileServer(
      (q, _raw, from, socket) => send(socket, answer(q, [], { tc: true }), from),
      (q) => answer(q, [A(q.questions[0]!.name, '198.51.100.77'), A(q.questions[0]!.name, '198.51.100.78')]),
    );
    const r = await resolveVia(server, ['big.test', '--json', '--trace']);
    expect(r.code).toBe(0);
    const [result] = JSON.parse(r.stdout) as Array<{ transport: string; answers: Array<{ value: string }> }>;
    expect(result!.transport).toBe('tcp');
    expect(result!.answers.map((a) => a.value)).toEqual(['198.51.100.77', '198.51.100.78']);
    expect(r.stderr).toMatch(/retrying over TCP/);
    expect(r.stderr).toMatch(/socket\s+tcp4 stream[\s\S]*connected\s+127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+/);
  });

  test('a server that never answers: retransmits inside the budget, then exit 5', async () => {
    const server = await hostileServer(() => {});
    const r = await resolveVia(server, ['silent.test', '--timeout', '1.5']);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/^silent\.test\tA\t\tTIMEOUT \(timed out after 1\.5 s\)/);
    expect(r.elapsedMs).toBeLessThan(1500 + 5000);
    expect(server.queries.length).toBe(4); // at 0, 0.1, 0.3 and 0.7 s (backoff)
    expect(new Set(server.queries.map((q) => q.id)).size).toBe(1);
  });

  test('a server that drops the first copy of every query: a batch of 300 is retransmitted and all answered', async () => {
    const seen = new Set<number>();
    const server = await hostileServer((query, _raw, from, socket) => {
      if (!seen.has(query.id)) return void seen.add(query.id); // lose the first copy
      send(socket, answer(query, [A(query.questions[0]!.name, '198.51.100.7')]), from);
    });
    const names = Array.from({ length: 300 }, (_, i) => `lossy-${i}.test`);
    const r = await runSockkit(['resolve', '-', '--server', `127.0.0.1:${server.port}`, '--type', 'A', '--timeout', '1.5', '--short', '-c', '300'], {
      input: names.join('\n'),
    });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(names.map(() => '198.51.100.7'));
    expect(server.queries.length).toBe(600); // each name exactly twice: one lost, one answered
    expect(seen.size).toBe(300);
  });

  test('300 questions in flight to a silent server: each sent 4 times (backoff), each reported as a timeout, exit 5', async () => {
    const server = await hostileServer(() => {});
    const names = Array.from({ length: 300 }, (_, i) => `silent-${i}.test`);
    const r = await runSockkit(['resolve', '-', '--server', `127.0.0.1:${server.port}`, '--type', 'A', '--timeout', '0.6', '-c', '300'], {
      input: names.join('\n'),
      killAfterMs: 20000,
    });
    expect(r.code).toBe(5);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split('\t')[0])).toEqual(names);
    for (const line of lines) expect(line).toMatch(/\tTIMEOUT \(timed out after 0\.6 s\)\t/);
    expect(server.queries.length).toBe(1200);
    expect(new Set(server.queries.map((q) => q.id)).size).toBe(300);
  });

  test('SERVFAIL is its own status, exit 7', async () => {
    const server = await hostileServer((q, _raw, from, socket) => send(socket, answer(q, [], { rcode: 2 }), from));
    const r = await resolveVia(server, ['broken.test', '--json']);
    expect(r.code).toBe(7);
    const [result] = JSON.parse(r.stdout) as Array<{ status: string; rcode: string }>;
    expect(result).toMatchObject({ status: 'servfail', rcode: 'SERVFAIL' });
  });

  test('several names: the worst exit code wins and every result still prints, in input order', async () => {
    const server = await hostileServer((q, _raw, from, socket) => {
      const name = q.questions[0]!.name;
      const delay = name.startsWith('slow') ? 150 : 0;
      const reply = name.startsWith('missing') ? answer(q, [], { rcode: 3 }) : answer(q, [A(name, '198.51.100.9')]);
      setTimeout(() => send(socket, reply, from), delay);
    });
    const r = await resolveVia(server, ['slow.test', 'missing.test', 'fast.test']);
    expect(r.code).toBe(3);
    expect(r.stdout.trim().split('\n').map((l) => l.split('\t').slice(0, 4).join(' '))).toEqual([
      'slow.test A 60 198.51.100.9',
      'missing.test A  NXDOMAIN',
      'fast.test A 60 198.51.100.9',
    ]);
  });

  test('--server given as a host name is resolved once (system resolver) and shown as an address', async () => {
    const server = await hostileServer((q, _raw, from, socket) => send(socket, answer(q, [A(q.questions[0]!.name, '198.51.100.9')]), from));
    const r = await runSockkit(['resolve', 'named.test', '--server', `localhost:${server.port}`, '-4', '--trace']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`named.test\tA\t60\t198.51.100.9\t127.0.0.1:${server.port}\t${r.stdout.split('\t')[5]}`);
    expect(r.stderr).toMatch(/resolve\s+getaddrinfo\("localhost", AF_INET\)/);
  });

  test('nothing listening on the server port: unreachable, exit 4, without waiting for the timeout', async () => {
    const server = await hostileServer(() => {});
    const port = server.port;
    await server.close();
    open.splice(open.indexOf(server), 1);
    const started = Date.now();
    const r = await runSockkit(['resolve', 'nobody.test', '--server', `127.0.0.1:${port}`, '--type', 'A', '--timeout', '20', '--json']);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ status: 'unreachable', error: 'connection refused' });
    expect(Date.now() - started).toBeLessThan(15000);
  });

  test('a reader that goes away (| head -1) stops the batch quietly: exit 0, no stack trace', async () => {
    const server = await hostileServer((q, _raw, from, socket) => send(socket, answer(q, [A(q.questions[0]!.name, '198.51.100.9')]), from));
    const dir = mkdtempSync(join(tmpdir(), 'sockkit-resolve-'));
    try {
      const names = join(dir, 'names.txt');
      // ~5,000 result lines: far more than a pipe buffer holds, so the writes hit EPIPE
      writeFileSync(names, Array.from({ length: 2500 }, (_, i) => `n${i}.test`).join('\n'));
      const script = `"${process.execPath}" "${SOCKKIT_BIN}" resolve - --server 127.0.0.1:${server.port} < "${names}" | head -1; echo "exit \${PIPESTATUS[0]}" >&2`;
      const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
        execFile('bash', ['-c', script], { timeout: 50000 }, (err, out, errOut) => (err ? reject(err) : resolve({ stdout: out, stderr: errOut }))),
      );
      expect(stdout).toMatch(/^n0\.test\tA\/AAAA\t60\t198\.51\.100\.9\t/); // a list: A and AAAA on one line
      expect(stderr).toBe('exit 0\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);

  test('names that reach stdin in pieces, from a spawning program and from a shell pipe, are all read', async () => {
    const server = await hostileServer((q, _raw, from, socket) => send(socket, answer(q, [A(q.questions[0]!.name, '198.51.100.31')]), from));
    const names = Array.from({ length: 300 }, (_, i) => `piece-${i}.test`);
    const args = [SOCKKIT_BIN, 'resolve', '-', '--server', `127.0.0.1:${server.port}`, '-4', '--short'];
    // Node's 'pipe' (a socket pair): half the names, a pause, then the rest.
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.write(names.slice(0, 150).join('\n') + '\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.stdin.end(names.slice(150).join('\n') + '\n');
    expect(await exited).toBe(0);
    expect(out.split('\n').filter(Boolean)).toHaveLength(300);
    // A shell pipe (a FIFO) fed by two writes 0.2 s apart.
    const script = `{ printf 'early.test\\n'; sleep 0.2; printf 'late.test\\n'; } | "${process.execPath}" ${args.map((a) => `"${a}"`).join(' ')}`;
    const piped = await new Promise<string>((resolve, reject) =>
      execFile('bash', ['-c', script], { timeout: 20000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    expect(piped).toBe('198.51.100.31\n198.51.100.31\n');
    expect(server.queries.map((q) => q.questions[0]!.name)).toEqual(expect.arrayContaining(['early.test.', 'late.test.', 'piece-299.test.']));
  });

  test('names from stdin: blank lines, whitespace and comments skipped, IDN shown both ways', async () => {
    const server = await hostileServer((q, _raw, from, socket) => send(socket, answer(q, [A(q.questions[0]!.name, '198.51.100.30')]), from));
    const r = await runSockkit(['resolve', '-', '--server', `127.0.0.1:${server.port}`, '-4', '--json'], {
      input: '\n  bücher.test  \n\n# a comment\nplain.test\n\n',
    });
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as Array<{ name: string; asciiName?: string }>;
    expect(results.map((x) => [x.name, x.asciiName])).toEqual([
      ['bücher.test', 'xn--bcher-kva.test'],
      ['plain.test', undefined],
    ]);
    expect(server.queries.map((q) => q.questions[0]!.name).sort()).toEqual(['plain.test.', 'xn--bcher-kva.test.']);
  });
});
