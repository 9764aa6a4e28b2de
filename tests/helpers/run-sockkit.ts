// Runs the built bin/sockkit as a child process, as a user would.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withResolvConf } from './sandbox.js';

export const SOCKKIT_BIN = fileURLToPath(new URL('../../bin/sockkit', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Kill the child after this many ms (a safety net; tests assert on exit codes). */
  killAfterMs?: number;
  /** Execute bin/sockkit itself, as a shell does (its launcher lines run), not `node bin/sockkit`. */
  asExecutable?: boolean;
  /** Run with this file as /etc/resolv.conf (inside the test sandbox only: tests/helpers/sandbox.ts). */
  resolvConf?: string;
  /** With resolvConf: this file as /etc/hosts. */
  hostsFile?: string;
  /** The working directory (-O writes there). */
  cwd?: string;
}

/** spawn()'s file, arguments and environment for sockkit `args`: `node bin/sockkit`, or bin/sockkit executed. */
export function sockkitSpawn(
  args: string[],
  options: Pick<RunOptions, 'env' | 'asExecutable' | 'resolvConf' | 'hostsFile'> = {},
): [string, string[], NodeJS.ProcessEnv] {
  const env = { ...process.env, NO_COLOR: '1', CI: '1', ...options.env };
  const [file, argv]: [string, string[]] = options.asExecutable ? [SOCKKIT_BIN, args] : [process.execPath, [SOCKKIT_BIN, ...args]];
  return options.resolvConf ? [...withResolvConf(options.resolvConf, file, argv, options.hostsFile), env] : [file, argv, env];
}

export function runSockkit(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [file, argv, env] = sockkitSpawn(args, options);
    const child = spawn(file, argv, { env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 20000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, signal, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
    child.stdin.on('error', () => {}); // the command may exit before reading stdin
    child.stdin.end(options.input ?? '');
  });
}

/** Asserts the documented error shape: one line, `sockkit <command>: ...`, no stack trace. */
export function expectCleanError(result: RunResult, command: string): void {
  const lines = result.stderr.trim().split('\n');
  if (!lines[0]?.startsWith(`sockkit ${command}: `) && !lines[0]?.startsWith('sockkit: ')) {
    throw new Error(`stderr does not start with 'sockkit ${command}: ': ${JSON.stringify(result.stderr)}`);
  }
  if (/\n\s+at .+:\d+:\d+/.test(result.stderr) || /Error:/.test(result.stderr.split(': ')[0] ?? '')) {
    throw new Error(`stderr has a stack trace: ${result.stderr}`);
  }
}
