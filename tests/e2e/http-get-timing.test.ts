// --timing / --json for https: the TCP connect and the TLS set-up are separate phases,
// each booked where it happens. A front that holds the server's first TLS bytes back
// for 400 ms makes the handshake slow and leaves the TCP connect as fast as ever.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSockkit } from '../helpers/run-sockkit.js';
import { makeCertificates } from '../interop/peers/nginx.js';

const HOLD_MS = 400;
let dir: string;
let ca: string;
let backend: TlsServer;
let front: Server;
const sockets = new Set<Socket>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sockkit-timing-'));
  const certs = makeCertificates(dir);
  ca = certs.ca;
  backend = createTlsServer({ cert: readFileSync(certs.good[0]), key: readFileSync(certs.good[1]) }, (s) => {
    s.on('error', () => {});
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendPort = (backend.address() as { port: number }).port;
  front = createServer((client) => {
    const server = connect(backendPort, '127.0.0.1');
    for (const s of [client, server]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(server);
    // The server's first bytes (its ServerHello) wait HOLD_MS; the rest flows at once.
    server.pause();
    setTimeout(() => server.pipe(client), HOLD_MS);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([new Promise((r) => front.close(r)), new Promise((r) => backend.close(r))]);
  rmSync(dir, { recursive: true, force: true });
});

describe('https timing phases', () => {
  test('a slow handshake is booked as TLS, not as TCP connect (--json)', async () => {
    const port = (front.address() as { port: number }).port;
    const r = await runSockkit(['http-get', `https://localhost:${port}/`, '--cacert', ca, '--json', '-o', '/dev/null']);
    expect(r.code).toBe(0);
    const { timings } = JSON.parse(r.stdout) as { timings: { connectMs: number; tlsMs: number } };
    expect(timings.tlsMs).toBeGreaterThanOrEqual(HOLD_MS - 5);
    expect(timings.connectMs).toBeLessThan(HOLD_MS / 2);
  });

  test('--timing shows the two phases as their own rows', async () => {
    const port = (front.address() as { port: number }).port;
    const r = await runSockkit(['http-get', `https://localhost:${port}/`, '--cacert', ca, '--timing', '-o', '/dev/null']);
    expect(r.code).toBe(0);
    const rows = Object.fromEntries(
      (r.stdout + r.stderr)
        .split('\n')
        .map((line) => line.split('\t'))
        .filter((cells) => cells.length >= 2)
        .map((cells) => [cells[0], Number(cells[1])]),
    );
    expect(rows['TLS handshake']).toBeGreaterThanOrEqual(HOLD_MS - 5);
    expect(rows['TCP connect']).toBeLessThan(HOLD_MS / 2);
  });
});
