// TLS (issue 20's performance rows): sockkit echo-server --tls beside the tools people
// use instead, all with one ECDSA P-256 certificate from a test CA made here with
// openssl, all loaded by the same clients, rounds alternated (A B, B A, …):
//   - one bulk connection: bench/tls-bulk-client.mjs (a Node TLS client writing 128 MiB
//     and reading the echo back) against socat `OPENSSL-LISTEN:…,fork PIPE` (and, in the
//     note, the issue's `EXEC:cat`, a cat process between socat and the pipe);
//   - 100 ping-pong connections × 64 B: `sockkit echo-client --tls -k -C 100 -d 3`;
//   - new TLS connections per second, full handshakes: against `openssl s_server`,
//     measured by `echo-client --handshakes --no-session-reuse` and by `openssl s_time -new`.
// Every run is bounded in bytes or seconds and by a kill timer; loopback only; every
// server started here is stopped by its PID.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, waitFor, type Started } from '../tests/helpers/process.js';
import { alternate, runCommand, stats, type ResultRow } from './harness.js';
import { SOCKKIT, benchFile } from './paths.js';
import { CLOCK_TICKS, accepts, cpuTicks, freePort, sumOverTree } from './proc.mjs';

const ROUNDS = 5;
const SECONDS = 3;
const BULK_MIB = 128;
const HANDSHAKE_WORKERS = 8;

interface Certs {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

/** An EC P-256 test CA and a server certificate for localhost and 127.0.0.1 it signed. */
function makeCertificates(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-bench-tls-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', at('ca.key'));
  openssl('req', '-x509', '-new', '-key', at('ca.key'), '-sha256', '-days', '2', '-subj', '/CN=sockkit bench CA', '-out', at('ca.pem'));
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', at('server.key'));
  openssl('req', '-new', '-key', at('server.key'), '-subj', '/CN=localhost', '-out', at('server.csr'));
  writeFileSync(at('ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '2', '-sha256', '-extfile', at('ext'), '-out', at('server.crt'));
  return { dir, ca: at('ca.pem'), cert: at('server.crt'), key: at('server.key') };
}

interface Server {
  name: string;
  port: number;
  process: Started;
  /** Server CPU (its process tree's, reaped children included) and the units of work it served, over the measured calls. */
  cost: { ticks: number; units: number };
}

interface Measured {
  rate: number;
  /** Messages or handshakes the run completed. */
  units: number;
}

/** Runs one measurement against `server`, adding the server's CPU time and the run's units to its cost. */
async function costed(server: Server, measure: (port: number) => Promise<Measured>): Promise<number> {
  const ticks = () => sumOverTree(server.process.child.pid!, (pid) => cpuTicks(pid, true));
  const before = ticks();
  const m = await measure(server.port);
  server.cost.ticks += ticks() - before;
  server.cost.units += m.units;
  return m.rate;
}

/** `20.1 vs 122 µs of server CPU per message` */
const cpuNote = (a: Server, b: Server, per: string) =>
  `server CPU per ${per} ${[a, b].map((s) => fmtUs((s.cost.ticks / CLOCK_TICKS / s.cost.units) * 1e6)).join(' vs ')} µs`;
const fmtUs = (us: number) => (us >= 100 ? us.toFixed(0) : us.toFixed(1));

/** Starts a server on a free port and waits until it accepts TCP connections. */
async function startServer(name: string, command: string, args: (port: number) => string[]): Promise<Server> {
  const port = await freePort();
  const started = startProcess(command, args(port));
  await waitFor(() => accepts(port), 15_000, `${name} to listen`);
  return { name, port, process: started, cost: { ticks: 0, units: 0 } };
}

/** Starts the servers, runs `use`, and stops every one started, whatever happens. */
async function withServers<T>(starts: Array<() => Promise<Server>>, use: (servers: Server[]) => Promise<T>): Promise<T> {
  const servers: Server[] = [];
  try {
    for (const start of starts) servers.push(await start());
    return await use(servers);
  } finally {
    for (const s of servers) await s.process.stop();
  }
}

const sockkitServer = (c: Certs) => () =>
  startServer('sockkit echo-server --tls', SOCKKIT, (port) => ['echo-server', '--port', String(port), '--tls', '--cert', c.cert, '--key', c.key, '--no-log-connections', '--json']);
const socatServer = (c: Certs, echo: 'PIPE' | 'EXEC:cat') => () =>
  startServer(`socat OPENSSL-LISTEN fork ${echo}`, 'socat', (port) => [`OPENSSL-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork,cert=${c.cert},key=${c.key},verify=0`, echo]);
const opensslServer = (c: Certs) => () =>
  startServer('openssl s_server', 'openssl', (port) => ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', c.cert, '-key', c.key, '-quiet', '-naccept', '1000000']);

function json<T>(r: { code: number | null; stdout: string; stderr: string }, what: string): T {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
  return JSON.parse(r.stdout) as T;
}

async function bulkMBps(port: number, certs: Certs): Promise<number> {
  const r = await runCommand(process.execPath, [benchFile('tls-bulk-client.mjs'), String(port), String(BULK_MIB), certs.ca], { timeoutMs: 90_000 });
  return json<{ mbps: number }>(r, 'tls-bulk-client').mbps;
}

/** Connections that failed to open, per port (warm-up run first): a note, not a failed run (exit 5 still prints its JSON). */
const notOpened = new Map<number, number[]>();

async function pingPongPerSecond(port: number): Promise<Measured> {
  const r = await runCommand(SOCKKIT, ['echo-client', '-p', String(port), '--tls', '-k', '-C', '100', '-d', String(SECONDS), '--timeout', '10', '--json'], { timeoutMs: 60_000 });
  const doc = json<{ messagesPerSecond: number; connectionsOpened: number; mismatches: number }>({ ...r, code: r.code === 5 ? 0 : r.code }, 'echo-client --tls load');
  if (doc.mismatches !== 0) throw new Error(`echo-client --tls load: ${doc.mismatches} mismatches`);
  notOpened.set(port, [...(notOpened.get(port) ?? []), 100 - doc.connectionsOpened]);
  return { rate: doc.messagesPerSecond, units: doc.messagesPerSecond * SECONDS };
}

const failedToOpen = (port: number) => (notOpened.get(port) ?? []).join(' ');

async function echoClientHandshakes(port: number): Promise<Measured> {
  const args = ['echo-client', '-p', String(port), '--tls', '-k', '--handshakes', '-C', String(HANDSHAKE_WORKERS), '-d', String(SECONDS), '--no-session-reuse', '--timeout', '5', '--json'];
  const doc = json<{ perSecond: number; count: number; resumed: number }>(await runCommand(SOCKKIT, args, { timeoutMs: 60_000 }), 'echo-client --handshakes');
  if (doc.resumed !== 0) throw new Error(`echo-client --handshakes --no-session-reuse resumed ${doc.resumed}`);
  return { rate: doc.perSecond, units: doc.count };
}

/**
 * `openssl s_time -new`: its "N connections in T real seconds" counts whole seconds
 * (time(2)), up to a third off over 3 s, so the rate is N over the process's own wall time.
 */
async function sTimeHandshakes(port: number): Promise<Measured> {
  const r = await runCommand('openssl', ['s_time', '-connect', `127.0.0.1:${port}`, '-new', '-time', String(SECONDS)], { timeoutMs: 60_000 });
  const m = /(\d+) connections in \d+ real seconds/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`openssl s_time exited ${r.code}: ${r.stdout.slice(-200)} ${r.stderr.slice(-200)}`);
  return { rate: Number(m[1]) / (r.ms / 1000), units: Number(m[1]) };
}

function row(work: string, peer: string, unit: string, runs: { a: number[]; b: number[] }, target: number, note?: string): ResultRow {
  const sockkit = stats(runs.a);
  const peerStats = stats(runs.b);
  return { work, peer, unit, higherIsBetter: true, sockkit, peerStats, target: `≥ ${target}×`, met: sockkit.median / peerStats.median >= target, note };
}

async function echoRows(certs: Certs): Promise<ResultRow[]> {
  return withServers([sockkitServer(certs), socatServer(certs, 'PIPE'), socatServer(certs, 'EXEC:cat')], async ([sockkit, pipe, cat]) => {
    const execCat: number[] = [];
    const bulk = await alternate(
      ROUNDS,
      () => bulkMBps(sockkit!.port, certs),
      async () => {
        execCat.push(await bulkMBps(cat!.port, certs));
        return bulkMBps(pipe!.port, certs);
      },
    );
    const pingPong = await alternate(ROUNDS, () => costed(sockkit!, pingPongPerSecond), () => costed(pipe!, pingPongPerSecond));
    const catBulk = stats(execCat.slice(1)).median;
    return [
      row(`echo-server --tls, 1 bulk connection (${BULK_MIB} MiB through bench/tls-bulk-client.mjs)`, 'socat OPENSSL-LISTEN fork PIPE', 'MB/s', bulk, 1.5, `socat … EXEC:cat, as in the issue: ${catBulk.toFixed(0)} MB/s, sockkit ${(stats(bulk.a).median / catBulk).toFixed(2)}× of it`),
      row('echo-server --tls, 100 ping-pong connections × 64 B (echo-client --tls -k -C 100)', 'socat OPENSSL-LISTEN fork PIPE', 'msg/s', pingPong, 2, `${cpuNote(sockkit!, pipe!, 'message')}; connections not opened within 10 s, per run: ${failedToOpen(sockkit!.port)} vs ${failedToOpen(pipe!.port)}`),
    ];
  });
}

async function handshakeRows(certs: Certs): Promise<ResultRow[]> {
  return withServers([sockkitServer(certs), opensslServer(certs)], async ([sockkit, openssl]) => {
    const byEchoClient = await alternate(ROUNDS, () => costed(sockkit!, echoClientHandshakes), () => costed(openssl!, echoClientHandshakes));
    const echoClientCost = cpuNote(sockkit!, openssl!, 'handshake');
    for (const s of [sockkit!, openssl!]) s.cost = { ticks: 0, units: 0 };
    const bySTime = await alternate(ROUNDS, () => costed(sockkit!, sTimeHandshakes), () => costed(openssl!, sTimeHandshakes));
    const work = 'echo-server --tls, new connections/s, full handshakes, ECDSA P-256';
    return [
      row(`${work}, by echo-client --handshakes -C ${HANDSHAKE_WORKERS} --no-session-reuse`, 'openssl s_server', 'conn/s', byEchoClient, 0.8, echoClientCost),
      row(`${work}, by openssl s_time -new`, 'openssl s_server', 'conn/s', bySTime, 0.8, `${cpuNote(sockkit!, openssl!, 'handshake')}; connections over the wall time of each s_time run`),
    ];
  });
}

export async function benchTls(): Promise<ResultRow[]> {
  const certs = makeCertificates();
  try {
    return [...(await echoRows(certs)), ...(await handshakeRows(certs))];
  } finally {
    rmSync(certs.dir, { recursive: true, force: true });
  }
}
