// Ctrl-C keeps what was measured: an interrupted echo-client --count (TCP and UDP),
// echo-client load mode and ntp --samples print the statistics gathered so far, as
// ping does, then exit 130; --json prints the partial document with interrupted: true.
// Each run is spawned against a real peer and sent SIGINT once its progress (stdout
// lines, or --trace lines on stderr) shows some samples taken.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { sockkitSpawn } from '../helpers/run-sockkit.js';
import { startProcess, waitFor } from '../helpers/process.js';
import { freePort } from '../helpers/ports.js';
import { describeWithPeers } from '../helpers/peers.js';
import { startEchoServerProcess, type EchoServerProcess } from './echo-server-process.js';
import { startChrony, type Chrony } from '../interop/peers/chrony.js';

interface Interrupted {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs sockkit `args`, sends SIGINT once `ready(stdout, stderr)` holds, and returns how it ended. */
async function interruptWhen(args: string[], ready: (stdout: string, stderr: string) => boolean, what: string): Promise<Interrupted> {
  const [file, argv, env] = sockkitSpawn(args);
  const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const safety = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    await waitFor(() => ready(stdout, stderr) || child.exitCode !== null, 20_000, what);
    child.kill('SIGINT');
    const { code, signal } = await closed;
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(safety);
    child.kill('SIGKILL');
  }
}

const count = (text: string, pattern: RegExp) => text.split('\n').filter((l) => pattern.test(l)).length;

describe('Ctrl-C during echo-client keeps the statistics', () => {
  let echo: EchoServerProcess;
  beforeAll(async () => {
    echo = await startEchoServerProcess(['--tcp', '--udp', '--rate-limit', '0', '--no-log-connections']);
  });
  afterAll(async () => {
    await echo.stop();
  });

  test('--count over TCP: the lines so far, then the summary of those messages, exit 130', async () => {
    const r = await interruptWhen(['echo-client', '-p', String(echo.port), '-c', '1000', '-i', '0.05'], (out) => count(out, /^\d+\t64\t/) >= 3, '3 samples');
    expect(r.code).toBe(130);
    const lines = r.stdout.trim().split('\n');
    const samples = lines.filter((l) => /^\d+\t64\t[\d.]+\tok$/.test(l));
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(samples.length).toBeLessThan(1000);
    expect(lines.at(-1)).toMatch(new RegExp(`^summary\\tsent=${samples.length}\\treceived=${samples.length}\\tmismatched=0\\tlost=0\\tminMs=[\\d.]+\\t.*\\tinterrupted=true$`));
    expect(r.stderr.trim()).toBe('sockkit echo-client: interrupted');
  });

  test('--count over UDP with --json: one partial document with interrupted: true, exit 130', async () => {
    const r = await interruptWhen(
      ['echo-client', '-p', String(echo.port), '--udp', '-c', '1000', '-i', '0.05', '--json', '--trace'],
      (_, err) => count(err, /\] recv\s+64 bytes \(seq/) >= 3,
      '3 echoes',
    );
    expect(r.code).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ mode: 'count', protocol: 'udp', interrupted: true });
    expect(doc.samples.length).toBeGreaterThanOrEqual(3);
    expect(doc.samples.length).toBeLessThan(1000);
    expect(doc.summary).toMatchObject({ sent: doc.samples.length, received: doc.samples.length, lost: 0 });
    expect(doc.summary.p50Ms).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/sockkit echo-client: interrupted\n$/);
  });

  test('load mode: the summary of the time it ran, marked interrupted, exit 130 (text and --json)', async () => {
    const connected = (_: string, err: string) => /\] connected\s+4 of 4 connections open/.test(err);
    const r = await interruptWhen(['echo-client', '-p', String(echo.port), '-C', '4', '-d', '60', '--trace'], (o, e) => connected(o, e), 'the connections');
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/^duration\t[\d.]+ s \(interrupted\)$/m);
    expect(r.stdout).toMatch(/^connections\t4 opened, 0 failed, 0 dropped$/m);
    expect(r.stdout).toMatch(/^mismatches\t0$/m);
    expect(r.stderr).toMatch(/sockkit echo-client: interrupted\n$/);

    let sawConnected = 0;
    const j = await interruptWhen(
      ['echo-client', '-p', String(echo.port), '-C', '4', '-d', '60', '--json', '--trace'],
      (o, e) => {
        if (connected(o, e) && sawConnected === 0) sawConnected = Date.now();
        return sawConnected > 0 && Date.now() - sawConnected > 500; // some round trips first
      },
      'the connections and some round trips',
    );
    expect(j.code).toBe(130);
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({ mode: 'load', interrupted: true, connectionsOpened: 4, connectionsDropped: 0, mismatches: 0 });
    expect(doc.durationMs).toBeLessThan(60_000);
    expect(doc.messages).toBeGreaterThan(0);
    expect(doc.rtt.count).toBeGreaterThanOrEqual(doc.messages);
  });
});

describe('a second Ctrl-C', () => {
  test('load mode waiting for the last echoes of a server that stopped answering: the second SIGINT exits 130 at once', async () => {
    // Echoes the first 64 bytes of each connection, then goes silent.
    const server = createServer((s) => {
      s.on('error', () => {});
      s.once('data', (d: Buffer) => s.write(d));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    try {
      const [file, argv, env] = sockkitSpawn(['echo-client', '-p', String(port), '-C', '2', '-d', '60', '--timeout', '60', '--trace']);
      const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      try {
        await waitFor(() => /\] connected\s+2 of 2/.test(err), 10_000, 'the connections');
        child.kill('SIGINT');
        await waitFor(() => /\] stop\s/.test(err), 10_000, 'the run to stop and wait for its last echoes');
        const second = Date.now();
        child.kill('SIGINT');
        expect(await closed).toBe(130);
        expect(Date.now() - second).toBeLessThan(5000); // not the 60 s --timeout
        expect(err).toMatch(/sockkit echo-client: interrupted\n$/);
      } finally {
        child.kill('SIGKILL');
      }
    } finally {
      server.close();
    }
  });
});

describeWithPeers('Ctrl-C during echo-client --count against socat', ['socat'], () => {
  test('TCP against socat PIPE: the summary so far, exit 130', async () => {
    const port = await freePort();
    const socat = startProcess('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, 'PIPE']);
    try {
      const r = await interruptWhen(['echo-client', '-p', String(port), '-c', '1000', '-i', '0.05', '--timeout', '10'], (out) => count(out, /^\d+\t64\t/) >= 2, '2 samples');
      expect(r.code).toBe(130);
      expect(r.stdout).toMatch(/^summary\tsent=(\d+)\treceived=\1\tmismatched=0\tlost=0\t.*\tinterrupted=true$/m);
    } finally {
      await socat.stop();
    }
  });
});

describeWithPeers('Ctrl-C during ntp --samples against chronyd', ['chronyd'], () => {
  let chrony: Chrony;
  beforeAll(async () => {
    chrony = await startChrony();
  }, 20_000);
  afterAll(async () => {
    await chrony?.stop();
  }, 20_000);

  const answered = (_: string, err: string) => count(err, /\] check\s+.*ok: origin matches our nonce/) >= 3;

  test('the report of the samples taken so far, exit 130', async () => {
    const r = await interruptWhen(['ntp', '127.0.0.1', '--port', String(chrony.port), '--samples', '1000', '--interval', '0.05', '--trace'], answered, '3 answers');
    expect(r.code).toBe(130);
    const samples = count(r.stdout, /^sample\t\d+\t/);
    expect(samples).toBeGreaterThanOrEqual(3);
    expect(samples).toBeLessThan(1000);
    expect(r.stdout).toMatch(new RegExp(`^samples\\t${samples} \\(interrupted\\) \\(${samples} answered, 0 lost\\)`, 'm'));
    expect(r.stdout).toMatch(/^stratum\t10$/m);
    expect(r.stderr).toMatch(/sockkit ntp: interrupted\n$/);
  });

  test('--json: the partial document with interrupted: true', async () => {
    const r = await interruptWhen(['ntp', '127.0.0.1', '--port', String(chrony.port), '--samples', '1000', '--interval', '0.05', '--trace', '--json'], answered, '3 answers');
    expect(r.code).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc.interrupted).toBe(true);
    expect(doc.best).toBe('127.0.0.1');
    const server = doc.servers[0];
    expect(server).toMatchObject({ status: 'ok', interrupted: true, stratum: 10 });
    expect(server.samples.length).toBeGreaterThanOrEqual(3);
    expect(server.stats).toMatchObject({ count: server.samples.length, answered: server.samples.length, lost: 0 });
  });
});
