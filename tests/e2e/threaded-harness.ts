// Shared by the threaded-server e2e and interop suites: start the built server with
// --json, read its NDJSON events, and talk to it with small bounded clients.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { SOCKKIT_BIN } from '../helpers/run-sockkit.js';
import { waitFor } from '../helpers/process.js';
import { withOpenFileLimit } from './echo-server-process.js';

export type Event = Record<string, unknown> & { event: string };

export interface RunningServer {
  child: ChildProcess;
  port: number;
  host: string;
  workerPids: Map<number, number>;
  events: () => Event[];
  stderr: () => string;
  waitForEvent: (match: (e: Event) => boolean, timeoutMs?: number, what?: string) => Promise<Event>;
  /** Resolves when the primary has exited and its stdout is fully read. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop: (signal?: NodeJS.Signals) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `maxOpenFiles`: run under `ulimit -n N` (the primary and its workers). */
export async function startThreadedServer(args: string[], env: NodeJS.ProcessEnv = {}, maxOpenFiles?: number): Promise<RunningServer> {
  const child = spawn(...withOpenFileLimit(maxOpenFiles, process.execPath, [SOCKKIT_BIN, 'threaded-server', '--json', ...args]), {
    env: { ...process.env, NO_COLOR: '1', CI: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const safety = setTimeout(() => child.kill('SIGKILL'), 120_000);
  void closed.then(() => clearTimeout(safety));

  const events = (): Event[] =>
    out
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Event);

  const waitForEvent = async (match: (e: Event) => boolean, timeoutMs = 15_000, what = 'event') => {
    let found: Event | undefined;
    await waitFor(() => {
      found = events().find(match);
      return found !== undefined || child.exitCode !== null;
    }, timeoutMs, what);
    if (!found) throw new Error(`server exited before ${what}: ${err}`);
    return found;
  };

  const listening = await waitForEvent((e) => e.event === 'listening', 30_000, 'listening');
  const workers = listening.workers as number;
  await waitFor(() => events().filter((e) => e.event === 'worker-ready').length >= workers, 5000, 'worker-ready lines');
  const workerPids = new Map<number, number>();
  for (const e of events()) if (e.event === 'worker-ready') workerPids.set(e.worker as number, e.pid as number);

  return {
    child,
    port: listening.port as number,
    host: listening.address as string,
    workerPids,
    events,
    stderr: () => err,
    waitForEvent,
    closed,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return closed;
    },
  };
}

/** Sends `payload`, half-closes, and collects everything until the server closes. */
export function exchange(port: number, payload: Buffer | string, host = '127.0.0.1', timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close from the server within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.end(payload);
  });
}

/** Opens a connection and keeps it open (for held/idle clients); resolves once connected. */
export function openConnection(port: number, host = '127.0.0.1'): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks), closed }));
    socket.once('error', reject);
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
