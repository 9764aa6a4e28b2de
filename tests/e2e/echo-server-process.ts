// Starts the built `sockkit echo-server` as a child process for e2e/interop tests:
// NDJSON on stdout, the port read from the first (listening) line, stopped by PID.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { sockkitSpawn } from '../helpers/run-sockkit.js';
import { waitFor } from '../helpers/process.js';

export interface EchoServerProcess {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  port: number;
  stdout: () => string;
  stderr: () => string;
  /** Parsed NDJSON events so far (with --json). */
  events: () => Array<Record<string, unknown>>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit; SIGKILL after 10 s. */
  stop: (signal?: NodeJS.Signals) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resident set size of the server process in bytes, from /proc/<pid>/status. */
  rssBytes: () => number;
}

export interface EchoServerProcessOptions {
  json?: boolean;
  /** Execute bin/sockkit itself, as a shell does (its launcher lines run), not `node bin/sockkit`. */
  asExecutable?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Run under `ulimit -n N` (through bash), to exhaust its descriptors. */
  maxOpenFiles?: number;
}

/** A piped server event line (`event<TAB>key=value…`) as its fields, the event name under `event`. */
export function pipedFields(line: string): Record<string, string> {
  const [event, ...pairs] = line.split('\t');
  const fields: Record<string, string> = { event: event ?? '' };
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at > 0) fields[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return fields;
}

/** spawn() arguments that run `file argv` under `ulimit -n max` (a shell sets it, then execs). */
export function withOpenFileLimit(max: number | undefined, file: string, argv: string[]): [string, string[]] {
  if (max === undefined) return [file, argv];
  return ['bash', ['-c', `ulimit -n ${max} && exec "$0" "$@"`, file, ...argv]];
}

export async function startEchoServerProcess(args: string[], options: EchoServerProcessOptions = {}): Promise<EchoServerProcess> {
  const json = options.json ?? true;
  const [file, argv, env] = sockkitSpawn(['echo-server', '--port', '0', ...(json ? ['--json'] : []), ...args], options);
  const child = spawn(...withOpenFileLimit(options.maxOpenFiles, file, argv), { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await waitFor(() => out.includes('\n') || child.exitCode !== null, 10000, 'the listening line');
  const first = out.split('\n')[0]!;
  const port = json ? Number(JSON.parse(first).port) : Number(pipedFields(first).port ?? first.split('\t')[3]);
  return {
    child,
    pid: child.pid!,
    port,
    stdout: () => out,
    stderr: () => err,
    events: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      const result = await exited;
      clearTimeout(timer);
      // 'exit' can come before the last stdout chunk: wait for the stream to end.
      if (!child.stdout.readableEnded) await new Promise((r) => child.stdout.once('end', r));
      return result;
    },
    rssBytes: () => {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    },
  };
}

/**
 * For a describe block: a temporary directory (`scratch.dir`, made before its tests) and
 * echo servers started by `scratch.start`, all killed and the directory removed after them.
 */
export function echoServersInTempDir(prefix: string): { readonly dir: string; start(args: string[]): Promise<EchoServerProcess> } {
  let dir = '';
  const servers: EchoServerProcess[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    async start(args) {
      const s = await startEchoServerProcess(args);
      servers.push(s);
      return s;
    },
  };
}
