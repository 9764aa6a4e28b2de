// The ntp command in-process with a pretend terminal: the TTY faces (tables, the
// spinner) that the piped e2e runs never show.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { runCli } from '../../src/cli.js';
import { FakeStream } from '../helpers/fake-stream.js';
import { isoLocal, isoUtcMicros as isoUtc } from '../../src/output/ntp.js';
import { startHostileNtpServer, type HostileServer } from '../fixtures/ntp/hostile-server.js';

let good: HostileServer;
let silent: HostileServer;
beforeAll(async () => {
  good = await startHostileNtpServer('valid');
  silent = await startHostileNtpServer('silent');
});
afterAll(async () => {
  await Promise.all([good.close(), silent.close()]);
});

async function run(args: string[], tty: boolean, env: NodeJS.ProcessEnv = { TERM: 'xterm', NO_COLOR: '1' }) {
  const stdout = new FakeStream(tty);
  const stderr = new FakeStream(tty, tty ? 80 : 0);
  const code = await runCli(args, { terminal: { stdout, stderr, env }, handleSignals: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('on a TTY', () => {
  test('one server: a bordered table of fields, and a spinner on stderr while waiting', async () => {
    const r = await run(['ntp', '127.0.0.1', '--port', String(good.port)], true);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/│ stratum\s+│ 2\s+│/);
    expect(r.stdout).toMatch(/│ refid\s+│ 192\.0\.2\.1\s+│/);
    expect(r.stdout).toMatch(/┌/);
    expect(r.stderr).toMatch(/querying 127\.0\.0\.1/);
  });

  test('--samples: the fields, then a table of samples with the best marked', async () => {
    const r = await run(['ntp', '127.0.0.1', '--port', String(good.port), '--samples', '3', '--interval', '0'], true);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/offset min\/median\/max/);
    expect(r.stdout).toMatch(/│ #\s*│ sent \(UTC\)\s*│ offset ms\s*│ delay ms\s*│ status\s*│ best\s*│/);
    expect(r.stdout.match(/│ ok\s+│ best │/g)).toHaveLength(1);
  });

  test('several servers: one row each and a "best:" line', async () => {
    const r = await run(['ntp', `127.0.0.1:${good.port}`, `127.0.0.1:${silent.port}`, '--timeout', '0.5'], true);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(new RegExp(`│ 127\\.0\\.0\\.1:${good.port}\\s+│ 127\\.0\\.0\\.1\\s+│\\s+2 │`));
    expect(r.stdout).toMatch(/│ timeout\s+│/);
    expect(r.stdout).toMatch(new RegExp(`^best: 127\\.0\\.0\\.1:${good.port} \\(lowest root distance\\)$`, 'm'));
    expect(r.stderr).toMatch(/sockkit ntp: no reply from 127\.0\.0\.1:\d+: timed out after 0\.5 s/);
  });

  test('colour on a TTY unless NO_COLOR: the status and the best mark in green', async () => {
    const r = await run(['ntp', `127.0.0.1:${good.port}`, `127.0.0.1:${good.port}`], true, { TERM: 'xterm' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\u001b[32mok\u001b[39m');
    expect(r.stdout).toContain('\u001b[32mbest\u001b[39m');
  });

  test('--json is never a table, and no spinner is drawn', async () => {
    const r = await run(['ntp', '127.0.0.1', '--port', String(good.port), '--json'], true);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).servers[0].status).toBe('ok');
    expect(r.stderr).toBe('');
  });
});

describe('time formats', () => {
  test('ISO 8601 with microseconds, UTC and local', () => {
    const ms = Date.UTC(2036, 1, 7, 6, 28, 15) + 999.9876;
    expect(isoUtc(ms)).toBe('2036-02-07T06:28:15.999987Z');
    expect(isoLocal(ms)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/);
    const local = isoLocal(ms);
    const offset = local.slice(-6);
    const sign = offset[0] === '-' ? -1 : 1;
    const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4)));
    // The local reading minus its UTC offset is the same instant.
    expect(Date.parse(local.slice(0, 23) + 'Z') - minutes * 60_000).toBe(Math.floor(ms));
  });
});
