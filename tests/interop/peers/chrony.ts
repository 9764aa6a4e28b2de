// A real chronyd for interop tests: its own config in a temp dir, loopback only, a
// port chosen by the test, `-x` (never touches the system clock), `-d` (foreground),
// stopped by its PID. Never the distribution's config, which points at public servers.
import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, waitFor, type Started } from '../../helpers/process.js';
import { freePort, freeTcpPort } from '../../helpers/ports.js';
import { connect } from 'node:net';

export interface ChronyOptions {
  /** `local stratum 10`: serve the local clock as synchronised. Without it chronyd answers LI=3, stratum 0. */
  local?: boolean;
  /** Answer the first request, then each later one only at random, one in two (`leak` has a minimum of 1; chrony 4.3 sends no KoD RATE, it just drops). */
  rateLimited?: boolean;
  /** Also listen on ::1. */
  ipv6?: boolean;
  /** IPv4 loopback address to bind (default 127.0.0.1). */
  address?: string;
  /** Port (default: a free one). */
  port?: number;
  /** NTS server (RFC 8915): NTS-KE on a free TCP port with this certificate and key (readable by _chrony). */
  nts?: { cert: string; key: string };
}

export interface Chrony {
  address: string;
  port: number;
  /** The NTS-KE port, with options.nts. */
  ntsPort?: number;
  dir: string;
  output: () => string;
  stop: () => Promise<void>;
}

export async function startChrony(options: ChronyOptions = {}): Promise<Chrony> {
  const address = options.address ?? '127.0.0.1';
  const port = options.port ?? (await freePort(options.ipv6 ?? false));
  const ntsPort = options.nts ? await freeTcpPort() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-chrony-'));
  const run = join(dir, 'run');
  // chronyd drops root for its own user; its run dir must belong to that user.
  execFileSync('install', ['-d', '-o', '_chrony', '-g', '_chrony', '-m', '0770', run]);
  chmodSync(dir, 0o755); // so the unprivileged chronyd can reach its run dir
  const lines = [
    `port ${port}`,
    `bindaddress ${address}`,
    'allow 127.0.0.0/8', // the kernel may pick 127.0.0.1 as the source for any 127/8 destination
    ...(options.ipv6 ? ['bindaddress ::1', 'allow ::1'] : []),
    ...(options.local === false ? [] : ['local stratum 10']),
    ...(options.rateLimited ? ['ratelimit interval 10 burst 1 leak 0'] : []),
    ...(options.nts ? [`ntsport ${ntsPort}`, `ntsservercert ${options.nts.cert}`, `ntsserverkey ${options.nts.key}`, `ntsdumpdir ${run}`] : []),
    'cmdport 0',
    `bindcmdaddress ${join(run, 'chronyd.sock')}`,
    `pidfile ${join(run, 'chronyd.pid')}`,
    `driftfile ${join(dir, 'drift')}`,
  ];
  const conf = join(dir, 'chrony.conf');
  writeFileSync(conf, lines.join('\n') + '\n');

  const proc: Started = startProcess('chronyd', ['-x', '-d', '-f', conf]);
  const stop = async () => {
    await proc.stop('SIGTERM', 8000); // it frees the port at once, exits 1.5–2 s later
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Ready when its UDP port is taken: probing by binding costs chronyd no request
    // (which matters for the rate-limited instance).
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`chronyd exited: ${proc.output()}`);
        return (
          (await udpTaken(address, port)) &&
          (!options.ipv6 || (await udpTaken('::1', port))) &&
          (ntsPort === undefined || (await tcpListening(address, ntsPort)))
        );
      },
      10_000,
      `chronyd on ${address}:${port}`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, port, ntsPort, dir, output: proc.output, stop };
}

/** True when a TCP connect to this address and port succeeds. */
function tcpListening(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True when something is bound to this UDP address and port. */
export function udpTaken(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      resolve(err.code === 'EADDRINUSE');
    });
    socket.bind(port, address, () => socket.close(() => resolve(false)));
  });
}

/** `chronyd -Q`: chrony's own one-shot client. Returns the offset in ms (server ahead = positive). */
export function chronydQueryOffsetMs(address: string, port: number, nts?: { port: number; ca: string }): number {
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-chronyq-'));
  const run = join(dir, 'run');
  try {
    execFileSync('install', ['-d', '-o', '_chrony', '-g', '_chrony', '-m', '0770', run]);
    chmodSync(dir, 0o755);
    const result = spawnSync(
      'chronyd',
      [
        '-Q',
        ...(nts ? ['-f', '/dev/null'] : []),
        '-t',
        nts ? '10' : '5',
        `server ${address} port ${port}${nts ? ` nts ntsport ${nts.port}` : ''} iburst maxsamples 1`,
        ...(nts ? [`ntstrustedcerts ${nts.ca}`] : []),
        `pidfile ${join(run, 'q.pid')}`,
        'cmdport 0',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 },
    );
    const out = `${result.stdout}${result.stderr}`;
    // "System clock wrong by 3599.999877 seconds" against a server one hour ahead.
    const m = /System clock wrong by (-?\d+\.\d+) seconds/.exec(out);
    if (!m) throw new Error(`chronyd -Q gave no offset: ${out}`);
    return Number(m[1]) * 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * chronyd on port 123 (all ntpdig talks to) of a loopback address of its own: all of
 * 127/8 is loopback, so nothing else on the machine is in the way.
 */
export async function startChronyOnPort123(): Promise<Chrony> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const address = `127.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
    if (!(await udpTaken(address, 123))) return startChrony({ address, port: 123 });
  }
  throw new Error('no free loopback address with port 123');
}
