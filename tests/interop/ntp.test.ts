// sockkit ntp against a real chronyd started by the test (loopback, `-x`, its own
// config), and compared with chrony's and NTPsec's own clients on the same server.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { chronydQueryOffsetMs, startChrony, startChronyOnPort123, type Chrony } from './peers/chrony.js';

interface ServerJson {
  status: string;
  address: string;
  family: number;
  stratum: number;
  leap: number;
  refid: string;
  offsetMs: number;
  delayMs: number;
  samples: Array<{ status: string; offsetMs: number; delayMs: number }>;
  stats: { medianOffsetMs: number; medianDelayMs: number };
}

async function ntpJson(args: string[]): Promise<{ code: number | null; server: ServerJson; stderr: string }> {
  const r = await runSockkit(['ntp', ...args, '--json']);
  return { code: r.code, server: JSON.parse(r.stdout).servers[0], stderr: r.stderr };
}

describeWithPeers('ntp against chronyd (local stratum 10)', ['chronyd'], () => {
  let chrony: Chrony;
  beforeAll(async () => {
    chrony = await startChrony({ ipv6: true });
  }, 20_000);
  afterAll(async () => {
    await chrony?.stop();
  }, 20_000);

  test.each([
    ['IPv4', '127.0.0.1', 4],
    ['IPv6', '::1', 6],
  ])('%s: stratum 10, LI 0, refid 127.127.1.1, |offset| < 5 ms, delay < 20 ms', async (_, address, family) => {
    // Three samples: the best (lowest delay) is the one a loaded machine disturbs least.
    const { code, server } = await ntpJson([address, '--port', String(chrony.port), `-${family}`, '--samples', '3', '--interval', '0.05']);
    expect(code).toBe(0);
    expect(server).toMatchObject({ status: 'ok', address, family, stratum: 10, leap: 0, refid: '127.127.1.1' });
    expect(Math.abs(server.offsetMs)).toBeLessThan(5);
    expect(server.delayMs).toBeLessThan(20);
    expect(server.delayMs).toBeGreaterThan(0);
  });

  test('--samples 5 uses one socket for five queries, each validated against its own nonce', async () => {
    const r = await runSockkit(['ntp', '127.0.0.1', '--port', String(chrony.port), '--samples', '5', '--interval', '0.02', '--trace', '--json']);
    expect(r.code).toBe(0);
    const steps = (name: string) => r.stderr.split('\n').filter((l) => new RegExp(`\\] ${name}\\s`).test(l));
    expect(steps('socket')).toHaveLength(1);
    expect(steps('bind')).toHaveLength(1);
    expect(steps('send')).toHaveLength(5);
    expect(steps('check').filter((l) => /ok: origin matches our nonce/.test(l))).toHaveLength(5);
    const nonces = steps('send').map((l) => /nonce ([0-9a-f]{16})/.exec(l)?.[1]);
    expect(new Set(nonces).size).toBe(5);
    const server = JSON.parse(r.stdout).servers[0] as ServerJson;
    expect(server.samples.map((s) => s.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  test('chronyd -Q (chrony as a client) measures the same offset within 2 ms', async () => {
    const theirs = chronydQueryOffsetMs('127.0.0.1', chrony.port);
    const { code, server } = await ntpJson(['127.0.0.1', '--port', String(chrony.port), '--samples', '5', '--interval', '0.05']);
    expect(code).toBe(0);
    expect(Math.abs(server.offsetMs - theirs)).toBeLessThan(2);
  });
});

describeWithPeers('ntp against chronyd and ntpdig on port 123', ['chronyd', 'ntpdig'], () => {
  let chrony: Chrony | undefined;
  beforeAll(async () => {
    chrony = await startChronyOnPort123();
  }, 30_000);
  afterAll(async () => {
    await chrony?.stop();
  }, 20_000);

  test('ntpdig measures the same offset within 2 ms', async () => {
    const address = chrony!.address;
    const out = execFileSync('ntpdig', ['-j', '-t', '5', '-p', '3', address], { encoding: 'utf8', timeout: 20_000 });
    const theirs = JSON.parse(out.trim().split('\n').pop()!) as { offset: number; stratum: number };
    expect(theirs.stratum).toBe(10);
    const { code, server } = await ntpJson([address, '--samples', '3', '--interval', '0.05']);
    expect(code).toBe(0);
    expect(server.stratum).toBe(10);
    expect(Math.abs(server.offsetMs - theirs.offset * 1000)).toBeLessThan(2);
  });
});

describeWithPeers('ntp against chronyd without a reference (unsynchronised)', ['chronyd'], () => {
  let chrony: Chrony;
  beforeAll(async () => {
    chrony = await startChrony({ local: false });
  }, 20_000);
  afterAll(async () => {
    await chrony?.stop();
  }, 20_000);

  test('reported as "server unsynchronised" (LI 3, stratum 0, no kiss code), exit 7', async () => {
    const r = await runSockkit(['ntp', '127.0.0.1', '--port', String(chrony.port)]);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/sockkit ntp: 127\.0\.0\.1: server unsynchronised: leap indicator 3/);
    expect(r.stderr).not.toMatch(/kiss/);
    expect(r.stdout).toMatch(/^stratum\t0$/m);
    expect(r.stdout).toMatch(/^leap\t3 /m);
    const { code, server } = await ntpJson(['127.0.0.1', '--port', String(chrony.port)]);
    expect(code).toBe(7);
    expect(server).toMatchObject({ status: 'unsynchronised', stratum: 0, leap: 3, refid: '0.0.0.0' });
  });
});

describeWithPeers('ntp against a rate-limited chronyd', ['chronyd'], () => {
  let chrony: Chrony;
  beforeAll(async () => {
    chrony = await startChrony({ rateLimited: true });
  }, 20_000);
  afterAll(async () => {
    await chrony?.stop();
  }, 20_000);

  test('dropped requests end as a timeout within --timeout, exit 5', async () => {
    // Once this address's allowance is spent (the burst of plain requests), chrony
    // answers each further request at random: `leak 0` is raised to its minimum of 1,
    // one in 2^1. So query until one is dropped, at most 20 times (all 20 answered:
    // p = 2^-20). A dropped query costs its 1 s timeout, an answered one ~0.1 s.
    const codes: Array<number | null> = [];
    for (let i = 0; i < 20 && !codes.includes(5); i++) {
      await sendRequestBurst(chrony.port, 4);
      const started = Date.now();
      const r = await runSockkit(['ntp', '127.0.0.1', '--port', String(chrony.port), '--timeout', '1']);
      codes.push(r.code);
      if (r.code === 5) {
        expect(r.stderr).toMatch(/no reply from 127\.0\.0\.1:\d+: timed out after 1 s/);
        expect(r.stdout).toBe('');
        expect(Date.now() - started).toBeLessThan(1000 + 3000);
      }
    }
    expect(codes).toContain(5);
    expect(codes.every((c) => c === 0 || c === 5)).toBe(true);
  }, 60_000);
});

/** Sends `count` client-mode NTP requests from one socket, without waiting for answers. */
async function sendRequestBurst(port: number, count: number): Promise<void> {
  const socket = createSocket('udp4');
  const request = Buffer.alloc(48);
  request[0] = 0x23; // LI 0, version 4, mode 3 (client)
  for (let i = 0; i < count; i++) {
    request.writeUInt32BE(0x12345678 + i, 40); // a non-zero transmit timestamp
    await new Promise<void>((resolve, reject) => socket.send(request, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }
  await new Promise<void>((resolve) => socket.close(() => resolve()));
}
