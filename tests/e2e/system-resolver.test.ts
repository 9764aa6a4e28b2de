// Issue 22, classes 1 and 2: a system resolver that never answers, or refuses at once.
// Each command that looks a name up through getaddrinfo must end when it says it ends
// (its timeout, or at once on Ctrl-C), and name the real failure.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSockkit, sockkitSpawn, type RunResult } from '../helpers/run-sockkit.js';
import { describeInSandbox, startTestResolver, type TestResolver } from '../helpers/sandbox.js';

// glibc's own budget in these files is 30 s × 5 attempts: only sockkit's bound can end the wait.
let silent: TestResolver;
let refusing: TestResolver;
let hostsDir: string;
let hostsFile: string;

describeInSandbox('a system resolver that never answers or refuses at once', () => {
  beforeAll(async () => {
    silent = await startTestResolver('silent');
    refusing = await startTestResolver('refusing');
    hostsDir = mkdtempSync(join(tmpdir(), 'sockkit-hosts-'));
    hostsFile = join(hostsDir, 'hosts');
    // Loopback names only: the host's own name is absent, so `hostname --fqdn` asks DNS.
    writeFileSync(hostsFile, '127.0.0.1 localhost\n::1 localhost\n');
  });
  afterAll(async () => {
    await silent.close();
    await refusing.close();
    rmSync(hostsDir, { recursive: true, force: true });
  });

  async function timed(args: string[], resolver: TestResolver): Promise<RunResult & { elapsedMs: number }> {
    const started = Date.now();
    const result = await runSockkit(args, { resolvConf: resolver.resolvConf, hostsFile, killAfterMs: 15000 });
    return { ...result, elapsedMs: Date.now() - started };
  }

  const hanging: Array<[string, string[]]> = [
    ['resolve', ['resolve', 'nohost.example', '--timeout', '1']],
    ['resolve --json', ['resolve', 'nohost.example', '--timeout', '1', '--json']],
    ['http-get', ['http-get', 'http://nohost.example/', '--connect-timeout', '1']],
    ['ntp', ['ntp', 'nohost.example', '--timeout', '1']],
    ['hostname --fqdn', ['hostname', '--fqdn', '--timeout', '1']],
    ['echo-client --host', ['echo-client', '--host', 'nohost.example', '--port', '7', '--timeout', '1']],
    ['echo-server --host', ['echo-server', '--host', 'nohost.example', '--port', '0', '--timeout', '1']],
    ['bind --host', ['bind', '--host', 'nohost.example', '--port', '0', '--timeout', '1']],
  ];

  test.each(hanging)('%s: a silent resolver ends the command at its timeout, exit 5', async (_, args) => {
    const queriesBefore = silent.queries;
    const r = await timed(args, silent);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(5);
    // ~1 s of glibc's wait plus Node's start; the old code waited for glibc's own 150 s.
    expect(r.elapsedMs).toBeLessThan(4000);
    expect(r.stdout + r.stderr).toMatch(/no answer from the system resolver's DNS servers in 1\.\d s|TIMEOUT|timed out after 1 s/);
    expect(silent.queries).toBeGreaterThan(queriesBefore); // the lookup did reach the resolver
  });

  test('a timeout in the --json document is a timeout, and the process ends with it', async () => {
    const r = await timed(['resolve', 'nohost.example', '--timeout', '1', '--json'], silent);
    const [entry] = JSON.parse(r.stdout) as Array<{ status: string; error: string }>;
    expect(entry!.status).toBe('timeout');
    expect(entry!.error).toMatch(/in 1\.\d s/);
  });

  test('Ctrl-C during a lookup: "interrupted" and the process is gone at once, as by SIGINT (130)', async () => {
    const [file, argv, env] = sockkitSpawn(['resolve', 'nohost.example', '--timeout', '20'], { resolvConf: silent.resolvConf, hostsFile });
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const queriesBefore = silent.queries;
    await waitFor(() => silent.queries > queriesBefore, 5000); // the lookup is under way
    const sentAt = Date.now();
    child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    expect(Date.now() - sentAt).toBeLessThan(2000);
    expect(code === 130 || signal === 'SIGINT').toBe(true);
    expect(stderr).toContain('sockkit resolve: interrupted');
  });

  test('Ctrl-C with --json: the one document is the interruption', async () => {
    const [file, argv, env] = sockkitSpawn(['http-get', 'http://nohost.example/', '--json', '--connect-timeout', '20'], {
      resolvConf: silent.resolvConf,
      hostsFile,
    });
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const queriesBefore = silent.queries;
    await waitFor(() => silent.queries > queriesBefore, 5000);
    child.kill('SIGINT');
    await new Promise((resolve) => child.on('close', resolve));
    expect(JSON.parse(stdout)).toEqual({ error: { code: 'INTERRUPTED', exitCode: 130, message: 'interrupted: received SIGINT' } });
  });

  test.each([
    ['resolve', ['resolve', 'nohost.example'], 4],
    ['http-get', ['http-get', 'http://nohost.example/'], 4],
    ['ntp', ['ntp', 'nohost.example'], 4],
    ['echo-client --host', ['echo-client', '--host', 'nohost.example', '--port', '7'], 4],
  ])('%s: a resolver that refuses at once is named as such (exit 4), never a timeout', async (_, args, exitCode) => {
    const r = await timed(args as string[], refusing);
    expect(r.code).toBe(exitCode);
    expect(r.elapsedMs).toBeLessThan(3000);
    expect(r.stdout + r.stderr).toMatch(/failed at once/);
    expect(r.stdout + r.stderr).not.toMatch(/TIMEOUT|timed out|--timeout/);
  });

  test('hostname --fqdn with a refusing resolver: unresolved, exit 4, not a timeout', async () => {
    const r = await timed(['hostname', '--fqdn'], refusing);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/failed at once/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
