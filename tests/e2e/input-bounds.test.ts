// Every input sockkit reads has a limit and a clear exit 2 past it, and no input can
// keep the process from ending on SIGTERM: stdin (`resolve -`, `echo-client --udp`)
// and the files named by --services-file and --cacert, fed from devices that never
// end (/dev/zero, /dev/urandom), an endless pipe, a huge file and FIFOs that never
// get data.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectCleanError, runSockkit, sockkitSpawn, type RunResult } from '../helpers/run-sockkit.js';
import { waitFor } from '../helpers/process.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockkit-bounds-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A sparse file of `bytes` (no disk used): a regular file far larger than any limit. */
function hugeFile(name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  truncateSync(path, bytes);
  return path;
}

/** A FIFO with a writer that stays open and never writes, or with no writer at all. */
function fifo(name: string, withWriter: boolean): { path: string; close: () => void } {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  if (!withWriter) return { path, close: () => {} };
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK); // lets the writer open without waiting
  const writer = openSync(path, constants.O_WRONLY);
  closeSync(reader);
  return { path, close: () => closeSync(writer) };
}

interface Spawned {
  pid: number;
  kill: (signal: NodeJS.Signals) => void;
  result: Promise<RunResult>;
}

/** sockkit with stdin from `stdin` (a descriptor, 'pipe' left open, or 'ignore'); killed after `killAfterMs` at the latest. */
function spawnSockkit(args: string[], stdin: number | 'pipe', killAfterMs = 20_000): Spawned & { writeStdin?: NodeJS.WritableStream } {
  const [file, argv, env] = sockkitSpawn(args);
  const child = spawn(file, argv, { env, stdio: [stdin, 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  child.stdin?.on('error', () => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const result = new Promise<RunResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, signal, stdout: stdoutBytes.toString(), stderr: Buffer.concat(err).toString(), stdoutBytes });
    }),
  );
  return { pid: child.pid!, kill: (s) => child.kill(s), result, writeStdin: child.stdin ?? undefined };
}

/** True once the process has a SIGTERM handler installed (its command is running). */
function catchesSigterm(pid: number): boolean {
  try {
    const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return caught !== undefined && (BigInt(`0x${caught}`) & (1n << 14n)) !== 0n; // SIGTERM is 15
  } catch {
    return false;
  }
}

/** CPU ticks and state of a process (/proc/PID/stat), or undefined once it is gone. */
function cpuAndState(pid: number): { ticks: number; state: string } | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return { state: fields[0]!, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/**
 * Until the process sleeps without using CPU for 300 ms: blocked in the read it waits in.
 * (Node catches SIGTERM from its first instruction, to restore the terminal, so the
 * SigCgt bit alone does not say sockkit's handler is there; a loaded machine can take
 * longer than any fixed pause to start it.)
 */
async function waitUntilBlocked(pid: number): Promise<void> {
  let last = cpuAndState(pid);
  let quietSince = Date.now();
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    const now = cpuAndState(pid);
    if (!now) return;
    if (now.state !== 'S' || now.ticks !== last?.ticks) quietSince = Date.now();
    else if (Date.now() - quietSince >= 300) return;
    last = now;
  }
  throw new Error('sockkit never blocked on its input');
}

/** Starts sockkit, waits until its command runs (and blocks on its input), sends SIGTERM. */
async function terminateWhileReading(args: string[], stdin: number | 'pipe' = 'pipe'): Promise<RunResult> {
  const child = spawnSockkit(args, stdin);
  await waitFor(() => catchesSigterm(child.pid), 10_000, 'sockkit to install its SIGTERM handler');
  await waitUntilBlocked(child.pid);
  child.kill('SIGTERM');
  return child.result;
}

/** A DNS server that answers every query NXDOMAIN (the query sent back with QR and RCODE 3), and counts them. */
async function nxdomainUdpServer(): Promise<{ port: number; received: () => number; close: () => void }> {
  const socket: Socket = createSocket('udp4');
  let count = 0;
  socket.on('message', (msg, from) => {
    count++;
    msg[2] = msg[2]! | 0x80;
    msg[3] = (msg[3]! & 0xf0) | 3;
    socket.send(msg, from.port, from.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, received: () => count, close: () => socket.close() };
}

describe('resolve - streams its list of names, each line bounded', () => {
  test('/dev/zero as stdin: one endless line, refused once it is longer than 64 KiB (exit 2)', async () => {
    const zero = openSync('/dev/zero', 'r');
    try {
      const r = await spawnSockkit(['resolve', '-', '--server', '127.0.0.1:9'], zero).result;
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^sockkit resolve: names from stdin: line 1 is longer than 64 KiB/);
      expectCleanError(r, 'resolve');
    } finally {
      closeSync(zero);
    }
  });

  test('an endless pipe of names is streamed: results come out while it is written, memory stays bounded, SIGTERM ends it (exit 130)', async () => {
    const dns = await nxdomainUdpServer();
    const [file, argv, env] = sockkitSpawn(['resolve', '-', '--server', `127.0.0.1:${dns.port}`, '--type', 'A', '--short', '-c', '200']);
    const child = spawn(file, argv, { env, stdio: ['pipe', 'ignore', 'pipe'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    let errors = '';
    child.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let open = true;
    void exited.then(() => (open = false));
    child.stdin!.on('error', () => {});
    try {
      // like `yes www.example.test | sockkit resolve -`, until 150,000 names were answered (each an NXDOMAIN on stderr with --short)
      const chunk = Buffer.from('www.example.test\n'.repeat(4096));
      let answered = 0;
      while (open && (answered = errors.split('\n').length - 1) < 150_000) {
        if (!child.stdin!.write(chunk)) await new Promise((r) => { child.stdin!.once('drain', r); void exited.then(r); });
      }
      expect(answered).toBeGreaterThanOrEqual(150_000); // results while the input goes on: it was not read to its end first
      const peakKiB = Number(/^VmHWM:\s*(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
      // 150,000 names held with their questions and results took well over 150 MiB; streamed, it stays near Node's own size
      expect(peakKiB).toBeLessThan(150 * 1024);
      child.kill('SIGTERM');
      expect(await exited).toBe(130);
      expect(dns.received()).toBeGreaterThanOrEqual(150_000);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
      dns.close();
    }
  }, 100_000);

  test('a 1 GiB regular file as stdin without a newline: refused at its first line, past 64 KiB (exit 2)', async () => {
    const fd = openSync(hugeFile('names.txt', 1024 ** 3), 'r');
    try {
      const r = await spawnSockkit(['resolve', '-', '--server', '127.0.0.1:9'], fd).result;
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^sockkit resolve: names from stdin: line 1 is longer than 64 KiB/);
    } finally {
      closeSync(fd);
    }
  });

  test('a directory as stdin is refused (exit 2; it was an unexpected EISDIR)', async () => {
    const fd = openSync(dir, 'r');
    try {
      const r = await spawnSockkit(['resolve', '-', '--server', '127.0.0.1:9'], fd).result;
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('sockkit resolve: stdin: a directory, not a file or a stream\n');
    } finally {
      closeSync(fd);
    }
  });

  test('a silent stdin pipe: SIGTERM ends the command (exit 130)', async () => {
    const r = await terminateWhileReading(['resolve', '-', '--server', '127.0.0.1:9']);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted/);
  });

  test('a FIFO as stdin whose writer never writes: SIGTERM ends the command (exit 130)', async () => {
    const silent = fifo('stdin.fifo', true);
    const fd = openSync(silent.path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const r = await terminateWhileReading(['resolve', '-', '--server', '127.0.0.1:9'], fd);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(130);
    } finally {
      closeSync(fd);
      silent.close();
    }
  });
});

describe('echo-client --udp reads at most one datagram from stdin', () => {
  test('/dev/zero as stdin: refused past 65,507 bytes (exit 2)', async () => {
    const zero = openSync('/dev/zero', 'r');
    try {
      const r = await spawnSockkit(['echo-client', '--udp', '-p', '9'], zero).result;
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/at most 65507 bytes/);
    } finally {
      closeSync(zero);
    }
  });
});

describe.each([
  ['service --services-file', (path: string) => ['service', '22', '--services-file', path], 'service', /--services-file /],
  ['http-get --cacert', (path: string) => ['http-get', '--cacert', path, 'https://127.0.0.1:9/'], 'http-get', /bad --cacert /],
])('%s: a file that is read within bounds', (_, argsFor, command, what) => {
  test.each(['/dev/zero', '/dev/urandom'])('%s is refused: a character device, not a regular file (exit 2)', async (device) => {
    const r = await runSockkit(argsFor(device), { killAfterMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(what);
    expect(r.stderr).toMatch(`${device}: a character device, not a regular file`);
    expectCleanError(r, command);
  });

  test('a 1 GiB file is refused unread: more than 16 MiB (exit 2)', async () => {
    const r = await runSockkit(argsFor(hugeFile(`${command}.huge`, 1024 ** 3)));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/more than 16 MiB \(1 GiB\)/);
    expectCleanError(r, command);
  });

  test('a missing file is a usage error that says so (exit 2)', async () => {
    const r = await runSockkit(argsFor(join(dir, 'no-such-file')));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-such-file: no such file/);
    expectCleanError(r, command);
  });

  test('a FIFO whose writer never writes: SIGTERM ends the command (exit 130)', async () => {
    const silent = fifo(`${command}.fifo`, true);
    try {
      const r = await terminateWhileReading(argsFor(silent.path));
      expect(r.signal).toBeNull();
      expect(r.code).toBe(130);
      expect(r.stderr).toMatch(/interrupted/);
    } finally {
      silent.close();
    }
  });

  test('a FIFO with no writer at all: SIGTERM ends the command (exit 130)', async () => {
    const r = await terminateWhileReading(argsFor(fifo(`${command}.lonely.fifo`, false).path));
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
  });
});

test('a FIFO fed by a writer is read like a file (`--services-file <(...)`)', async () => {
  const path = join(dir, 'fed.fifo');
  execFileSync('mkfifo', [path]);
  const child = spawnSockkit(['service', '22/tcp', '--services-file', path], 'pipe');
  const writer = spawn('sh', ['-c', 'printf "ssh 22/tcp # Secure Shell\\n" > "$0"', path]);
  const r = await child.result;
  writer.kill();
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`ssh\t22\ttcp\t\tSecure Shell\t${path}\n`);
});

test('NODE_EXTRA_CA_CERTS=/dev/zero (handed over by bin/sockkit): ignored with a warning, as Node does; it grew without bound', async () => {
  const r = await runSockkit(['http-get', 'https://127.0.0.1:9/'], { env: { NODE_EXTRA_CA_CERTS: '/dev/zero' }, asExecutable: true, killAfterMs: 20_000 });
  expect(r.stderr).toMatch(/ignoring extra CA certificates from \/dev\/zero \(NODE_EXTRA_CA_CERTS\): a character device, not a regular file/);
  expect(r.code).toBe(4); // then on to the connection, refused
});
