// sockkit ntp against hostile NTP servers written for the test (loopback only):
// every bad answer ends in its documented message and exit code, and a forged reply
// never produces a result.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { startHostileNtpServer, type Behaviour, type HostileServer } from '../fixtures/ntp/hostile-server.js';

const servers = new Map<string, HostileServer>();

async function server(behaviour: Behaviour, host = '127.0.0.1'): Promise<HostileServer> {
  const key = `${behaviour}@${host}`;
  let s = servers.get(key);
  if (!s) {
    s = await startHostileNtpServer(behaviour, host);
    servers.set(key, s);
  }
  return s;
}

afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
});

function ntp(s: HostileServer, ...extra: string[]) {
  return runSockkit(['ntp', s.address, '--port', String(s.port), '--timeout', '1', ...extra]);
}

describe('hostile servers: each bad answer has its message and exit code', () => {
  // [behaviour, exit code, message on stderr]
  const cases: Array<[Behaviour, number, RegExp]> = [
    ['forged-origin', 7, /no valid reply from 127\.0\.0\.1:\d+: 1 datagram ignored in 1 s; last: origin timestamp 0x[0-9a-f]{16} is not the nonce we sent/],
    ['zero-origin', 7, /no valid reply .*origin timestamp is zero/],
    ['other-port', 7, /no valid reply .*from 127\.0\.0\.1:\d+, not the server 127\.0\.0\.1:\d+/],
    ['mode-3', 7, /reply from 127\.0\.0\.1:\d+: mode 3 \(client\), expected 4 \(server\)/],
    ['version-0', 7, /version 0 is not an NTP version \(1 to 4\)/],
    ['version-7', 7, /version 7 is not an NTP version \(1 to 4\)/],
    ['short-47', 7, /47-byte reply is shorter than the 48-byte NTP header/],
    ['long-1000', 7, /1000-byte reply is longer than any reply to an unauthenticated request/],
    ['kod-rate', 7, /kiss-o'-death RATE \(rate exceeded: the server asks to be queried less often\); no further queries sent/],
    ['kod-deny', 7, /kiss-o'-death DENY \(access denied by the server\)/],
    ['zero-transmit', 7, /transmit timestamp is zero/],
    ['silent', 5, /no reply from 127\.0\.0\.1:\d+: timed out after 1 s/],
  ];

  test.each(cases)('%s → exit %d', async (behaviour, code, message) => {
    const s = await server(behaviour);
    const started = Date.now();
    const r = await ntp(s);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe(''); // no result, ever
    expectCleanError(r, 'ntp');
    expect(Date.now() - started).toBeLessThan(1000 + 4000); // ended within the timeout (+ start-up slack)
  });

  test('a forged reply produces no result in --json either', async () => {
    const r = await ntp(await server('forged-origin'), '--json');
    expect(r.code).toBe(7);
    const doc = JSON.parse(r.stdout);
    expect(doc.best).toBeNull();
    expect(doc.servers[0]).toMatchObject({ server: '127.0.0.1', status: 'error', error: { code: 'PROTOCOL', exitCode: 7 } });
    expect(doc.servers[0].offsetMs).toBeUndefined();
  });

  test('LI=3: reported as unsynchronised (not a KoD), with the fields it has, exit 7', async () => {
    const r = await ntp(await server('leap-3'));
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/sockkit ntp: 127\.0\.0\.1: server unsynchronised: leap indicator 3: unknown \(clock unsynchronised\)/);
    expect(r.stderr).not.toMatch(/kiss/);
    expect(r.stdout).toMatch(/^status\tserver unsynchronised/m);
    expect(r.stdout).toMatch(/^stratum\t2$/m);
    expect(r.stdout).toMatch(/^leap\t3 \(unknown \(clock unsynchronised\)\)$/m);
  });

  test('a kiss-o-death stops further queries: --samples 3 sends one request', async () => {
    const s = await startHostileNtpServer('kod-rate');
    try {
      const r = await ntp(s, '--samples', '3', '--interval', '0.05', '--json');
      expect(r.code).toBe(7);
      expect(JSON.parse(r.stdout).servers[0]).toMatchObject({ status: 'kissOfDeath', kissCode: 'RATE' });
      expect(s.requests()).toBe(1);
    } finally {
      await s.close();
    }
  });

  test('a valid reply after five forged ones succeeds, and the forged ones are counted and traced', async () => {
    const r = await ntp(await server('forged-then-valid'), '--json', '--trace');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).servers[0];
    expect(s.status).toBe('ok');
    expect(s.ignoredReplies).toBe(5);
    // The forged replies claimed a clock 11 days ahead; none of that reached the result.
    expect(Math.abs(s.offsetMs)).toBeLessThan(1000);
    expect(r.stderr.match(/ignore\s+origin timestamp 0x[0-9a-f]+ is not the nonce we sent/g)?.length).toBe(5);
  });
});

describe('a well-behaved server', () => {
  let good: HostileServer;
  let ahead: HostileServer;
  beforeAll(async () => {
    good = await server('valid');
    ahead = await server('valid-ahead-1h');
  });

  test('the report, piped: one label<TAB>value per line', async () => {
    const r = await ntp(good);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const fields = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('\t') as [string, string]));
    expect(fields).toMatchObject({
      server: '127.0.0.1',
      address: `127.0.0.1:${good.port}`,
      status: 'ok',
      stratum: '2',
      refid: '192.0.2.1',
      leap: '0 (no warning)',
      version: '4',
      mode: '4 (server)',
      poll: '16 s (2^4)',
      'root delay': '7.813 ms',
      'root dispersion': '3.906 ms',
    });
    expect(fields['precision']).toMatch(/^0\.954 µs \(2\^-20 s\)$/);
    expect(fields['server time (UTC)']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(fields['server time (local)']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/);
    expect(fields['reference time']).toMatch(/Z$/);
    expect(fields['offset']).toMatch(/^[+-]\d+\.\d{3} ms$/);
    expect(fields['delay']).toMatch(/^\d+\.\d{3} ms$/);
  });

  test('--json: a server 1 h ahead shows +3,600,000 ms; every documented field is there', async () => {
    const r = await ntp(ahead, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.best).toBe('127.0.0.1');
    const s = doc.servers[0];
    expect(Math.abs(s.offsetMs - 3_600_000)).toBeLessThan(100);
    expect(s).toMatchObject({
      server: '127.0.0.1',
      address: '127.0.0.1',
      port: ahead.port,
      family: 4,
      status: 'ok',
      stratum: 2,
      refid: '192.0.2.1',
      refidHex: 'c0000201',
      leap: 0,
      leapText: 'no warning',
      version: 4,
      mode: 4,
      pollExponent: 4,
      pollSeconds: 16,
      precisionExponent: -20,
      rootDelayMs: 7.813,
      rootDispersionMs: 3.906,
      ignoredReplies: 0,
      bestSample: 1,
    });
    expect(new Date(s.serverTime).getTime() - Date.now()).toBeGreaterThan(3_500_000);
    expect(s.samples).toHaveLength(1);
    // Jitter compares answers with each other: one answer has none (null, not 0).
    expect(s.stats).toMatchObject({ count: 1, answered: 1, lost: 0, jitterMs: null });
  });

  test('--samples 4 --interval 0.05: four samples, the best has the lowest delay, and stats', async () => {
    const r = await ntp(good, '--samples', '4', '--interval', '0.05', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).servers[0];
    expect(s.samples).toHaveLength(4);
    const delays = s.samples.map((x: { delayMs: number }) => x.delayMs);
    expect(s.samples[s.bestSample - 1].delayMs).toBe(Math.min(...delays));
    expect(s.samples.filter((x: { best: boolean }) => x.best)).toHaveLength(1);
    expect(s.stats.minDelayMs).toBe(Math.min(...delays));
    expect(s.stats.maxDelayMs).toBe(Math.max(...delays));
    expect(s.stats.medianOffsetMs).toBeGreaterThanOrEqual(s.stats.minOffsetMs);
    expect(s.stats.jitterMs).toBeGreaterThanOrEqual(0);
  });

  test('--samples: a lost reply is a lost sample, not a failure', async () => {
    const s = await startHostileNtpServer('every-other');
    try {
      const r = await runSockkit(['ntp', s.address, '--port', String(s.port), '--samples', '3', '--interval', '0', '--timeout', '0.5', '--json']);
      expect(r.code).toBe(0);
      const server = JSON.parse(r.stdout).servers[0];
      expect(server.samples.map((x: { status: string }) => x.status)).toEqual(['ok', 'timeout', 'ok']);
      expect(server.samples[1].error).toMatch(/no reply .*timed out after 0\.5 s/);
      expect(server.stats).toMatchObject({ count: 3, answered: 2, lost: 1 });
      expect(s.requests()).toBe(3);
    } finally {
      await s.close();
    }
  });

  // Every sample is independent, the first included: losing it loses that sample only.
  test.each([
    ['drop-first', ['timeout', 'ok', 'ok', 'ok'], 1],
    ['even-only', ['timeout', 'ok', 'timeout', 'ok'], 2],
  ] as const)('--samples 4 against %s: lost samples are counted, the run goes on, exit 0', async (behaviour, statuses, lost) => {
    const s = await startHostileNtpServer(behaviour);
    try {
      const r = await runSockkit(['ntp', s.address, '--port', String(s.port), '--samples', '4', '--interval', '0', '--timeout', '0.5', '--json']);
      expect(r.code).toBe(0);
      const server = JSON.parse(r.stdout).servers[0];
      expect(server.status).toBe('ok');
      expect(server.samples.map((x: { status: string }) => x.status)).toEqual(statuses);
      expect(server.samples[0].error).toMatch(/no reply .*timed out after 0\.5 s/);
      expect(server.stats).toMatchObject({ count: 4, answered: 4 - lost, lost });
      expect(server.samples[server.bestSample - 1].status).toBe('ok');
      expect(s.requests()).toBe(4);
    } finally {
      await s.close();
    }
  });

  test('--samples 3 with the first reply lost, piped: the report says how many were lost', async () => {
    const s = await startHostileNtpServer('drop-first');
    try {
      const r = await runSockkit(['ntp', s.address, '--port', String(s.port), '--samples', '3', '--interval', '0', '--timeout', '0.5']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^status\tok$/m);
      expect(r.stdout).toMatch(/^samples\t3 \(2 answered, 1 lost\); best #[23] \(lowest delay\)$/m);
      expect(r.stdout).toMatch(/^sample\t1\t\t\ttimeout\t$/m);
      expect(r.stderr).toBe('');
    } finally {
      await s.close();
    }
  });

  test('--samples 3 with every reply lost: one timeout error naming the count, exit 5, within the three waits', async () => {
    const s = await startHostileNtpServer('silent');
    try {
      const started = Date.now();
      const r = await runSockkit(['ntp', s.address, '--port', String(s.port), '--samples', '3', '--interval', '0', '--timeout', '0.5']);
      expect(r.code).toBe(5);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^sockkit ntp: no reply from 127\.0\.0\.1:\d+: none of 3 queries answered, each timed out after 0\.5 s/m);
      expectCleanError(r, 'ntp');
      expect(s.requests()).toBe(3);
      expect(Date.now() - started).toBeLessThan(1500 + 4000);
    } finally {
      await s.close();
    }
  });

  test('--samples 3 where only forged datagrams arrive: exit 7 (not a timeout), every query sent', async () => {
    const s = await startHostileNtpServer('forged-origin');
    try {
      const r = await runSockkit(['ntp', s.address, '--port', String(s.port), '--samples', '3', '--interval', '0', '--timeout', '0.5', '--json']);
      expect(r.code).toBe(7);
      const server = JSON.parse(r.stdout).servers[0];
      expect(server.error.message).toMatch(/no valid reply from 127\.0\.0\.1:\d+: none of 3 queries answered; 3 datagrams ignored; last: origin timestamp/);
      expect(s.requests()).toBe(3);
    } finally {
      await s.close();
    }
  });

  test('--samples piped: fields, then one "sample" line per sample', async () => {
    const r = await ntp(good, '--samples', '3', '--interval', '0');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('sample\t'));
    expect(lines).toHaveLength(3);
    expect(lines.filter((l) => l.endsWith('\tbest'))).toHaveLength(1);
    expect(r.stdout).toMatch(/^samples\t3 \(3 answered, 0 lost\); best #\d \(lowest delay\)$/m);
    expect(r.stdout).toMatch(/^jitter\t\d+\.\d{3} ms$/m);
  });

  test('several servers at once: one row each, the worst exit code, and the best named', async () => {
    const silent = await server('silent');
    const r = await runSockkit(['ntp', `127.0.0.1:${good.port}`, `127.0.0.1:${silent.port}`, `127.0.0.1:${ahead.port}`, '--timeout', '1']);
    expect(r.code).toBe(5);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual([`127.0.0.1:${good.port}`, '127.0.0.1', '2', '192.0.2.1', expect.any(String), expect.any(String), '', 'ok', expect.any(String)]);
    expect(rows[1]).toEqual([`127.0.0.1:${silent.port}`, '', '', '', '', '', '', 'timeout', '']);
    expect(rows.filter((row) => row[8] === 'best')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`no reply from 127\\.0\\.0\\.1:${silent.port}: timed out`));
  });

  test('several servers, --json: one document with every server', async () => {
    const r = await runSockkit(['ntp', `127.0.0.1:${good.port}`, `127.0.0.1:${ahead.port}`, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.servers.map((s: { status: string }) => s.status)).toEqual(['ok', 'ok']);
    expect([`127.0.0.1:${good.port}`, `127.0.0.1:${ahead.port}`]).toContain(doc.best);
  });

  test('IPv6: ::1, and [::1]:port', async () => {
    const v6 = await server('valid', '::1');
    const r = await runSockkit(['ntp', '::1', '--port', String(v6.port), '-6', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).servers[0]).toMatchObject({ address: '::1', family: 6, status: 'ok' });
    const bracketed = await runSockkit(['ntp', `[::1]:${v6.port}`]);
    expect(bracketed.code).toBe(0);
    expect(bracketed.stdout).toMatch(new RegExp(`^address\\t\\[::1\\]:${v6.port}$`, 'm'));
  });

  test('localhost is resolved once and the address used is shown', async () => {
    const r = await runSockkit(['ntp', 'localhost', '--port', String(good.port), '-4', '--trace']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^server\tlocalhost$/m);
    expect(r.stdout).toMatch(new RegExp(`^address\\t127\\.0\\.0\\.1:${good.port}`, 'm'));
    expect(r.stderr).toMatch(/resolve\s+localhost → 127\.0\.0\.1/);
  });

  test('--trace: socket, bind (source port), send 48 bytes, recv from whom, verdict, close', async () => {
    const r = await ntp(good, '--trace');
    expect(r.code).toBe(0);
    const steps = r.stderr.split('\n').map((l) => /\] (\w+)/.exec(l)?.[1]).filter(Boolean);
    expect(steps).toEqual(['resolve', 'socket', 'bind', 'prime', 'send', 'recv', 'check', 'close']);
    expect(r.stderr).toMatch(/resolve\s+127\.0\.0\.1 is an IPv4 address: no lookup/);
    expect(r.stderr).toMatch(/bind\s+0\.0\.0\.0:(\d+) \(ephemeral source port \1\)/);
    expect(r.stderr).toMatch(new RegExp(`send\\s+48 bytes to 127\\.0\\.0\\.1:${good.port}`));
    expect(r.stderr).toMatch(new RegExp(`recv\\s+48 bytes from 127\\.0\\.0\\.1:${good.port}`));
    expect(r.stderr).toMatch(/check\s+ok: origin matches our nonce/);
  });

  test('each run uses a fresh ephemeral source port', async () => {
    const ports = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await ntp(good, '--trace');
      ports.add(/ephemeral source port (\d+)/.exec(r.stderr)?.[1] ?? 'none');
    }
    expect(ports.has('none')).toBe(false);
    expect(ports.size).toBeGreaterThan(1);
  });
});

describe('usage errors', () => {
  test('--help names the default server and the default timeout (tests never query it)', async () => {
    const r = await runSockkit(['ntp', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[default: \["pool\.ntp\.org"\]\]/);
    expect(r.stdout).toMatch(/Default --timeout for ntp: 5 s/);
  });

  test.each([
    [['--port', '70000'], /bad port '70000'/],
    [['--port', 'abc'], /bad port 'abc'/],
    [['--port', '0'], /bad port '0'/],
    [['--samples', '0'], /bad --samples '0'/],
    [['--samples', '1.5'], /bad --samples/],
    [['--interval', '-1'], /bad --interval/],
    [['-4', '::1'], /bad server '::1': an IPv6 address, but -4 asks for IPv4/],
    [['-4', '-6'], /mutually exclusive/],
  ])('%j → exit 2', async (args, message) => {
    const r = await runSockkit(['ntp', '127.0.0.1', ...(args as string[])].filter((a, i, all) => !(a === '127.0.0.1' && all.includes('::1'))));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expectCleanError(r, 'ntp');
  });
});
