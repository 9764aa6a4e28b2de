// What sockkit's TLS client sends: SNI for names, none for IP literals (RFC 6066 3),
// and ALPN http/1.1 — checked by a node:tls server with certificates from openssl.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { makeCertificates } from './peers/nginx.js';

describeWithPeers('http-get TLS client hello', ['openssl'], () => {
  let dir: string;
  let server: Server;
  let port: number;
  let ca: string;
  const open = new Set<import('node:tls').TLSSocket>();
  const seen: Array<{ servername: string | false | null; alpn: string | false | null }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sockkit-http-tls-'));
    const certs = makeCertificates(join(dir, 'pki'));
    ca = certs.ca;
    server = createServer({ cert: readFileSync(certs.good[0]), key: readFileSync(certs.good[1]), ALPNProtocols: ['http/1.1'] }, (socket) => {
      seen.push({ servername: socket.servername, alpn: socket.alpnProtocol });
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {});
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  }, 30000);

  afterAll(async () => {
    for (const socket of open) socket.destroy();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a name is sent as SNI; ALPN is http/1.1', async () => {
    seen.length = 0;
    const r = await runSockkit(['http-get', '--cacert', ca, `https://localhost:${port}/`]);
    expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect(seen).toEqual([{ servername: 'localhost', alpn: 'http/1.1' }]);
  });

  test('an IP literal is not sent as SNI, and still verified against the certificate', async () => {
    seen.length = 0;
    const r = await runSockkit(['http-get', '--cacert', ca, `https://127.0.0.1:${port}/`]);
    expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect(seen).toEqual([{ servername: false, alpn: 'http/1.1' }]);
  });

  // bin/sockkit hands NODE_EXTRA_CA_CERTS over to http-get (src/net/http/extra-ca.ts) so that
  // Node does not parse every root certificate at each start; the trust must not change.
  describe('NODE_EXTRA_CA_CERTS', () => {
    const url = () => `https://localhost:${port}/`;

    test('run as an executable: the launcher hands it over and http-get trusts it', async () => {
      const r = await runSockkit(['http-get', '--trace', url()], { asExecutable: true, env: { NODE_EXTRA_CA_CERTS: ca } });
      expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
      expect(r.stderr).toContain(`trusting Node's bundled CAs and ${ca} (NODE_EXTRA_CA_CERTS)`);
    });

    test('run by node directly: Node itself loads it, as before', async () => {
      const r = await runSockkit(['http-get', '--trace', url()], { env: { NODE_EXTRA_CA_CERTS: ca } });
      expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
      expect(r.stderr).not.toContain('NODE_EXTRA_CA_CERTS');
    });

    test('without it the test CA is not trusted (the check is real)', async () => {
      const r = await runSockkit(['http-get', url()], { asExecutable: true, env: { NODE_EXTRA_CA_CERTS: '' } });
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/unable to verify the first certificate/);
    });

    test("--cacert replaces it, as it replaces Node's own list", async () => {
      const otherCa = makeCertificates(join(dir, 'other-pki')).ca;
      const r = await runSockkit(['http-get', '--cacert', otherCa, url()], {
        asExecutable: true,
        env: { NODE_EXTRA_CA_CERTS: ca },
      });
      expect(r.code).toBe(6);
    });

    test('an unreadable file is a warning, and the bundled CAs still apply', async () => {
      const r = await runSockkit(['http-get', url()], { asExecutable: true, env: { NODE_EXTRA_CA_CERTS: join(dir, 'missing.pem') } });
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/ignoring extra CA certificates from .*missing\.pem \(NODE_EXTRA_CA_CERTS\)/);
    });

    test('NODE_OPTIONS choosing a CA store keeps Node in charge', async () => {
      const r = await runSockkit(['http-get', '--trace', url()], {
        asExecutable: true,
        env: { NODE_EXTRA_CA_CERTS: ca, NODE_OPTIONS: '--use-bundled-ca' },
      });
      expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
      expect(r.stderr).not.toContain('NODE_EXTRA_CA_CERTS');
    });
  });

  // bin/sockkit starts node with --use-openssl-ca and builds OpenSSL's shared store empty
  // (src/net/socket/root-store.ts); every context gets --cacert's file or Node's bundled
  // roots. The trust must be what it was: OpenSSL's default paths never widen it.
  describe("the launcher's lazy root store", () => {
    const url = () => `https://localhost:${port}/`;
    const noExtra = { NODE_EXTRA_CA_CERTS: '', SSL_CERT_FILE: undefined, SSL_CERT_DIR: undefined };

    /** A directory OpenSSL looks certificates up in by subject hash, holding the test CA. */
    function hashedDirWithCa(): string {
      const hashed = join(dir, 'hashed');
      mkdirSync(hashed, { recursive: true });
      const hash = execFileSync('openssl', ['x509', '-hash', '-noout', '-in', ca], { encoding: 'utf8' }).trim();
      copyFileSync(ca, join(hashed, `${hash}.0`));
      return hashed;
    }

    test('--cacert: accepted', async () => {
      const r = await runSockkit(['http-get', '--cacert', ca, url()], { asExecutable: true, env: noExtra });
      expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
    });

    test.each([
      ['node running the file', false, {}],
      ['bin/sockkit', true, {}],
      ['bin/sockkit, NODE_OPTIONS=--use-bundled-ca', true, { NODE_OPTIONS: '--use-bundled-ca' }],
      ['bin/sockkit, NODE_OPTIONS=--use-openssl-ca (the system store)', true, { NODE_OPTIONS: '--use-openssl-ca' }],
    ])('a certificate from a CA nobody trusts is refused, exit 6: %s', async (_mode, asExecutable, env) => {
      const r = await runSockkit(['http-get', url()], { asExecutable, env: { ...noExtra, ...env } });
      expect(r.code).toBe(6);
      expect(r.stdout).toBe('');
    });

    test('SSL_CERT_FILE and SSL_CERT_DIR holding the CA do not make sockkit trust it', async () => {
      const r = await runSockkit(['http-get', url()], { asExecutable: true, env: { ...noExtra, SSL_CERT_FILE: ca, SSL_CERT_DIR: hashedDirWithCa() } });
      expect(r.code).toBe(6);
    });

    test('with NODE_OPTIONS=--use-openssl-ca the user chose the system store: SSL_CERT_DIR is honoured, as by Node', async () => {
      const r = await runSockkit(['http-get', url()], { asExecutable: true, env: { ...noExtra, NODE_OPTIONS: '--use-openssl-ca', SSL_CERT_DIR: hashedDirWithCa() } });
      expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
    });

    test('-k: the handshake completes, with the warning', async () => {
      const r = await runSockkit(['http-get', '-k', url()], { asExecutable: true, env: noExtra });
      expect(r).toMatchObject({ code: 0, stdout: 'ok\n' });
      expect(r.stderr).toMatch(/not verified/);
    });
  });
});
