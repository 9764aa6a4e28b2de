// sockkit echo-server with real clients (socat, OpenBSD nc), and sockkit echo-client
// with real echo servers (socat PIPE over TCP and UDP, ncat --sh-exec cat).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { describeWithPeers } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { startProcess, waitFor, type Started } from '../helpers/process.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { socketsOnPort } from '../../src/net/socket/proc-net.js';
import { startEchoServerProcess, type EchoServerProcess } from '../e2e/echo-server-process.js';

/** Runs a peer client to completion with `input` on its stdin; bounded by `killAfterMs`. */
function runPeer(command: string, args: string[], input: Buffer | string, killAfterMs = 20000): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function tcpReady(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describeWithPeers('sockkit echo-server with socat and nc as clients', ['socat', 'nc'], () => {
  let server: EchoServerProcess;
  let server6: EchoServerProcess;
  beforeAll(async () => {
    server = await startEchoServerProcess(['--tcp', '--udp']);
    server6 = await startEchoServerProcess(['-6']);
  });
  afterAll(async () => {
    await server.stop();
    await server6.stop();
  });

  test('socat: a line of text', async () => {
    const r = await runPeer('socat', ['-t', '5', '-', `TCP:127.0.0.1:${server.port}`], 'hello, echo\n');
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('hello, echo\n');
  });

  test('socat: 16 MiB of random bytes, sha256 compared', async () => {
    const data = randomBytes(16 * 1024 * 1024);
    const r = await runPeer('socat', ['-t', '5', '-', `TCP:127.0.0.1:${server.port}`], data);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(data.length);
    expect(sha256(r.stdout)).toBe(sha256(data));
  }, 30000);

  test('nc -N: 16 MiB of random bytes, sha256 compared; the half-close is seen and answered', async () => {
    const data = randomBytes(16 * 1024 * 1024);
    const before = server.events().filter((e) => e.event === 'disconnect').length;
    const r = await runPeer('nc', ['-N', '127.0.0.1', String(server.port)], data);
    expect(r.code).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(data));
    await waitFor(() => server.events().filter((e) => e.event === 'disconnect').length > before, 5000, 'disconnect');
    const last = server.events().filter((e) => e.event === 'disconnect').at(-1);
    expect(last).toMatchObject({ reason: 'closed', halfClosed: true, bytesIn: data.length, bytesOut: data.length });
  }, 30000);

  test('nc -N: text', async () => {
    const r = await runPeer('nc', ['-N', '127.0.0.1', String(server.port)], 'via netcat\n');
    expect(r.stdout.toString()).toBe('via netcat\n');
  });

  test('IPv6: socat and nc over ::1', async () => {
    const s = await runPeer('socat', ['-t', '5', '-', `TCP6:[::1]:${server6.port}`], 'six by socat\n');
    expect(s.stdout.toString()).toBe('six by socat\n');
    const n = await runPeer('nc', ['-6', '-N', '::1', String(server6.port)], 'six by nc\n');
    expect(n.stdout.toString()).toBe('six by nc\n');
    expect(server6.events().find((e) => e.event === 'connect')).toMatchObject({ remoteAddress: '::1' });
  });

  test('UDP: socat sends a datagram and gets it back', async () => {
    const r = await runPeer('socat', ['-t', '1', '-', `UDP:127.0.0.1:${server.port}`], 'datagram\n');
    expect(r.stdout.toString()).toBe('datagram\n');
  });
});

describeWithPeers('sockkit echo-client against socat and ncat echo servers', ['socat', 'ncat'], () => {
  const peers: Started[] = [];
  let socatTcp = 0;
  let socatUdp = 0;
  let ncat = 0;
  beforeAll(async () => {
    socatTcp = await freePort();
    socatUdp = await freePort();
    ncat = await freePort();
    peers.push(startProcess('socat', [`TCP-LISTEN:${socatTcp},bind=127.0.0.1,fork,reuseaddr,backlog=4096`, 'PIPE']));
    peers.push(startProcess('socat', [`UDP-RECVFROM:${socatUdp},bind=127.0.0.1,fork`, 'PIPE']));
    peers.push(startProcess('ncat', ['-l', '127.0.0.1', String(ncat), '-k', '-m', '20000', '--sh-exec', 'cat']));
    await waitFor(() => tcpReady(socatTcp), 10000, 'socat TCP');
    await waitFor(() => tcpReady(ncat), 10000, 'ncat');
    await waitFor(() => socketsOnPort('udp', socatUdp).length > 0, 10000, 'socat UDP');
  });
  afterAll(async () => {
    for (const p of peers) await p.stop();
  });

  test('socat PIPE (TCP): --message', async () => {
    const r = await runSockkit(['echo-client', '-p', String(socatTcp), '-m', 'to socat']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('to socat');
    expect(r.stderr).toMatch(/identical/);
  });

  // socat's PIPE can deadlock under a writer that never pauses (both directions'
  // buffers full; seen in bench/ and once in CI with 4 MiB): stay under what the pipe
  // and the two sockets buffer. The 16 MiB case runs against sockkit's own server.
  test('socat PIPE (TCP): 256 KiB from stdin, verified', async () => {
    const data = randomBytes(256 * 1024);
    const r = await runSockkit(['echo-client', '-p', String(socatTcp), '--json'], { input: data });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ identical: true, bytesReceived: data.length, sha256Received: sha256(data) });
  });

  test('socat PIPE (TCP): --count with random payloads, and a short load run', async () => {
    const c = await runSockkit(['echo-client', '-p', String(socatTcp), '-c', '5', '-i', '0.01', '-s', '1000', '--json']);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout).summary).toMatchObject({ sent: 5, received: 5, mismatched: 0 });
    const l = await runSockkit(['echo-client', '-p', String(socatTcp), '-C', '10', '-d', '0.5', '--json']);
    expect(l.code).toBe(0);
    expect(JSON.parse(l.stdout)).toMatchObject({ connectionsOpened: 10, mismatches: 0 });
    expect(JSON.parse(l.stdout).messages).toBeGreaterThan(0);
  });

  test('socat PIPE (UDP): --udp --count, no loss on loopback', async () => {
    const r = await runSockkit(['echo-client', '-p', String(socatUdp), '--udp', '-c', '5', '-i', '0.01', '-s', '512', '--timeout', '2', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).summary).toMatchObject({ sent: 5, received: 5, mismatched: 0, lost: 0 });
  });

  test('ncat --sh-exec cat: small messages', async () => {
    const m = await runSockkit(['echo-client', '-p', String(ncat), '-m', 'to ncat']);
    expect(m.code).toBe(0);
    expect(m.stdout).toBe('to ncat');
    const c = await runSockkit(['echo-client', '-p', String(ncat), '-c', '3', '-i', '0.01', '-s', '100', '--json']);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout).summary).toMatchObject({ sent: 3, received: 3, mismatched: 0 });
  });
});
