// bin/sockkit's shell lines set the environment node starts with. What a running
// sockkit process got is read back from /proc/PID/environ.
import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { startEchoServerProcess, type EchoServerProcess } from './echo-server-process.js';

function environmentOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

// Whatever the test runner has: spawn leaves out a variable whose value is undefined.
const UNSET = { MALLOC_TRIM_THRESHOLD_: undefined, GLIBC_TUNABLES: undefined };

describe('bin/sockkit launcher: glibc malloc trim threshold', () => {
  let server: EchoServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  async function started(env: NodeJS.ProcessEnv, asExecutable = true): Promise<Map<string, string>> {
    server = await startEchoServerProcess([], { asExecutable, env: { ...UNSET, ...env } });
    return environmentOf(server.pid);
  }

  test('run as an executable, node starts with a 128 MiB trim threshold', async () => {
    const env = await started({});
    expect(env.get('MALLOC_TRIM_THRESHOLD_')).toBe(String(128 * 1024 * 1024));
  });

  test('a threshold the user set is kept', async () => {
    const env = await started({ MALLOC_TRIM_THRESHOLD_: '262144' });
    expect(env.get('MALLOC_TRIM_THRESHOLD_')).toBe('262144');
  });

  test('a trim threshold set through GLIBC_TUNABLES is left to glibc', async () => {
    const tunables = 'glibc.malloc.trim_threshold=524288';
    const env = await started({ GLIBC_TUNABLES: tunables });
    expect(env.has('MALLOC_TRIM_THRESHOLD_')).toBe(false);
    expect(env.get('GLIBC_TUNABLES')).toBe(tunables);
  });

  test('other GLIBC_TUNABLES do not stop it', async () => {
    const env = await started({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' });
    expect(env.get('MALLOC_TRIM_THRESHOLD_')).toBe(String(128 * 1024 * 1024));
  });

  test('node running the file directly leaves the environment alone', async () => {
    const env = await started({}, false);
    expect(env.has('MALLOC_TRIM_THRESHOLD_')).toBe(false);
  });
});

// Node 20 parses every bundled root at the first TLS context, even one given --cacert:
// bin/sockkit starts node with --use-openssl-ca and marks it, so that sockkit passes
// the bundled roots itself (src/net/socket/root-store.ts).
describe('bin/sockkit launcher: the lazy root store', () => {
  let server: EchoServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  async function started(env: NodeJS.ProcessEnv, asExecutable = true): Promise<{ argv: string[]; env: Map<string, string> }> {
    server = await startEchoServerProcess([], { asExecutable, env: { NODE_OPTIONS: undefined, ...env } });
    const argv = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { argv, env: environmentOf(server.pid) };
  }

  test('run as an executable: node --use-openssl-ca, SOCKKIT_BUNDLED_ROOTS=1', async () => {
    const { argv, env } = await started({});
    expect(argv.slice(1, 2)).toEqual(['--use-openssl-ca']);
    expect(env.get('SOCKKIT_BUNDLED_ROOTS')).toBe('1');
  });

  test.each(['--use-bundled-ca', '--use-openssl-ca'])('NODE_OPTIONS=%s picks the store: neither the flag nor the marker', async (choice) => {
    const { argv, env } = await started({ NODE_OPTIONS: choice });
    expect(argv).not.toContain('--use-openssl-ca');
    expect(env.has('SOCKKIT_BUNDLED_ROOTS')).toBe(false);
  });

  test('node running the file directly: neither', async () => {
    const { argv, env } = await started({}, false);
    expect(argv).not.toContain('--use-openssl-ca');
    expect(env.has('SOCKKIT_BUNDLED_ROOTS')).toBe(false);
  });
});
