// --json promises one document on stdout, failures included: every one-shot command
// that fails prints `{ ...what was measured, "error": { code, exitCode, message } }`
// (or, where its document is a list, the error as an entry of it), with the exit code
// unchanged, and the usual one line on stderr.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { runSockkit, type RunResult } from '../helpers/run-sockkit.js';
import { makeCertificates } from '../interop/peers/nginx.js';

/** A port with nothing listening: bound, noted, closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface ErrorDocument {
  error: { code: string; exitCode: number; message: string };
  [key: string]: unknown;
}

/** stdout is exactly one JSON document whose error matches the exit code. */
function oneErrorDocument(r: RunResult, command: string, code: string, exitCode: number): ErrorDocument {
  expect(r.code).toBe(exitCode);
  const doc = JSON.parse(r.stdout) as ErrorDocument; // throws on two documents or none
  expect(doc.error).toEqual({ code, exitCode, message: expect.any(String) });
  expect(doc.error.message.length).toBeGreaterThan(0);
  // The same failure is still told on stderr, in one line.
  expect(r.stderr).toContain(`sockkit ${command}: ${doc.error.message}`);
  return doc;
}

describe('one JSON document on failure', () => {
  let port: number;
  beforeAll(async () => {
    port = await closedPort();
  });

  test('http-get, connection refused: the error beside the URL and the time taken', async () => {
    const r = await runSockkit(['http-get', `http://127.0.0.1:${port}/`, '--json']);
    const doc = oneErrorDocument(r, 'http-get', 'UNREACHABLE', 4);
    expect(doc.url).toBe(`http://127.0.0.1:${port}/`);
    expect(doc.timings).toEqual({ totalMs: expect.any(Number) });
    expect(doc.error.message).toMatch(/connection refused/);
  });

  test('echo-client, connection refused: the error beside the target', async () => {
    const r = await runSockkit(['echo-client', '--port', String(port), '--message', 'hi', '--json']);
    const doc = oneErrorDocument(r, 'echo-client', 'UNREACHABLE', 4);
    expect(doc).toMatchObject({ protocol: 'tcp', address: '127.0.0.1', port });
  });

  test('echo-client --count with no echo at all: the samples and the error in one document', async () => {
    const silent = createSocket('udp4'); // reads every datagram, answers none
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const r = await runSockkit(['echo-client', '--udp', '--port', String(silent.address().port), '--count', '2', '--interval', '0', '--timeout', '0.2', '--json']);
      const doc = oneErrorDocument(r, 'echo-client', 'TIMEOUT', 5);
      expect(doc).toMatchObject({ mode: 'count', summary: { sent: 2, received: 0 } });
      expect(doc.samples).toHaveLength(2);
    } finally {
      silent.close();
    }
  });

  test('a usage error after the command line was read (bad --timeout) is a document too', async () => {
    for (const args of [
      ['resolve', 'localhost', '--timeout', '-1'],
      ['ntp', '127.0.0.1', '--samples', '0'],
      ['hostname', '--fqdn', '--timeout', '0'],
      ['service', '--range', '9-1'],
      ['http-get', 'ftp://example.test/'],
    ]) {
      const r = await runSockkit([...args, '--json']);
      oneErrorDocument(r, args[0]!, 'USAGE', 2);
    }
  });

  test('service: a lookup that finds nothing is an entry of the one array', async () => {
    const r = await runSockkit(['service', '22', 'no-such-service-here', '--proto', 'tcp', '--source', 'iana', '--json']);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(doc[0]).toMatchObject({ name: 'ssh', port: 22 });
    expect(doc[doc.length - 1]).toEqual({
      query: 'no-such-service-here',
      error: { code: 'NOT_FOUND', exitCode: 3, message: expect.stringContaining("unknown service 'no-such-service-here'") },
    });
  });

  describe('bind, address in use', () => {
    let holder: Server;
    let held: number;
    beforeAll(async () => {
      holder = createServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      held = (holder.address() as { port: number }).port;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    });

    test('the error beside the address and who holds it', async () => {
      const r = await runSockkit(['bind', '--host', '127.0.0.1', '--port', String(held), '--json']);
      const doc = oneErrorDocument(r, 'bind', 'ADDRESS_UNAVAILABLE', 8);
      expect(doc).toMatchObject({ protocol: 'tcp', address: '127.0.0.1', port: held });
      expect(doc.holders).toContainEqual({ address: '127.0.0.1', port: held, pid: process.pid, command: expect.any(String) });
    });
  });

  describe('http-get, TLS failures', () => {
    let dir: string;
    let server: TlsServer;
    let tlsPort: number;
    const open = new Set<Socket>();
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sockkit-json-tls-'));
      const certs = makeCertificates(dir);
      server = createTlsServer({ cert: readFileSync(certs.selfSigned[0]), key: readFileSync(certs.selfSigned[1]) }, (s) => s.end());
      server.on('connection', (s: Socket) => {
        open.add(s);
        s.on('close', () => open.delete(s));
      });
      server.on('tlsClientError', () => {});
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      tlsPort = (server.address() as { port: number }).port;
    }, 30000);
    afterAll(async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    });

    test('a self-signed certificate: one document, exit 6', async () => {
      const r = await runSockkit(['http-get', `https://127.0.0.1:${tlsPort}/`, '--json']);
      const doc = oneErrorDocument(r, 'http-get', 'TLS', 6);
      expect(doc.url).toBe(`https://127.0.0.1:${tlsPort}/`);
      expect(doc.error.message).toMatch(/self-signed certificate/);
    });
  });

  describe('http-get --fail with --json', () => {
    let server: Server;
    let httpPort: number;
    beforeAll(async () => {
      server = createServer((s) => {
        s.on('error', () => {});
        s.once('data', () => s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      httpPort = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    test('the response and the error in one document, not two', async () => {
      const r = await runSockkit(['http-get', `http://127.0.0.1:${httpPort}/missing`, '--fail', '--json']);
      const doc = oneErrorDocument(r, 'http-get', 'PROTOCOL', 7);
      expect(doc).toMatchObject({ status: 404, reason: 'Not Found', url: `http://127.0.0.1:${httpPort}/missing` });
    });
  });

  test('servers (NDJSON): the error is one line of its own', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const held = (holder.address() as { port: number }).port;
    try {
      const r = await runSockkit(['echo-server', '--host', '127.0.0.1', '--port', String(held), '--json']);
      expect(r.code).toBe(8);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ error: { code: 'ADDRESS_UNAVAILABLE', exitCode: 8 } });
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  test('a command line the parser rejects prints no document: whether --json was meant is in doubt', async () => {
    const r = await runSockkit(['http-get', '--no-such-flag', 'http://127.0.0.1/', '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});
