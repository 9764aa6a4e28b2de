// Starting and stopping peer processes by PID, and waiting for them to be ready.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Started {
  child: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals, graceMs?: number) => Promise<void>;
}

/** Spawns a long-running peer; `stop` signals exactly this PID and waits for it to exit. */
export function startProcess(command: string, args: string[], options: SpawnOptions = {}): Started {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
  });
  return {
    child,
    output: () => output,
    stop: async (signal = 'SIGTERM', graceMs = 5000) => {
      // Peers that fork per client (socat fork, ncat --sh-exec) leave a stuck child
      // behind when only the parent is signalled: end this PID's descendants too.
      const forked = child.pid === undefined ? [] : descendantPids(child.pid);
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      for (const pid of forked) {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` every 20 ms until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Every descendant of a process, from /proc (Linux); empty where it cannot be read. */
export function descendantPids(pid: number): number[] {
  const found: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop()!;
    try {
      for (const task of readdirSync(`/proc/${current}/task`)) {
        const children = readFileSync(`/proc/${current}/task/${task}/children`, 'utf8').trim();
        for (const child of children ? children.split(/\s+/).map(Number) : []) {
          found.push(child);
          stack.push(child);
        }
      }
    } catch {
      // the process is gone
    }
  }
  return found;
}

/** Runs `command` with sh -c: its stdout, or a rejection when it fails or runs past `timeoutMs`. */
export function shell(command: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}
