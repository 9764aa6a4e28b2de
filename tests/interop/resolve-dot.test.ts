// DNS over TLS (RFC 7858) against unbound, with dig +tls as the reference client:
// certificates for the name and for an IP with --tls-hostname, a wrong name and an
// untrusted CA (exit 6), -k, the TLS facts in JSON and --trace, many questions on one
// pipelined connection, and a DoT server written here that closes after each answer.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { makeCertificates } from './peers/nginx.js';
import { nameWithDeadFirstAddress, startUnbound, type UnboundPeer } from './peers/unbound.js';
import { inSandbox } from '../helpers/sandbox.js';
import { decodeMessage, encodeMessage, RecordType } from '../../src/net/dns/packet.js';

const execFileAsync = promisify(execFile);

describeWithPeers('resolve over TLS against unbound (compared with dig +tls)', ['unbound', 'dig', 'openssl'], () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let unbound: UnboundPeer;
  let closer: TlsServer;
  let closerPort: number;
  let closerConnections = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sockkit-dot-'));
    certs = makeCertificates(dir);
    unbound = await startUnbound(certs.good[0], certs.good[1]);
    // A DoT server that answers one question per connection, then closes it.
    closer = createTlsServer({ cert: readFileSync(certs.good[0]), key: readFileSync(certs.good[1]) }, (socket: TLSSocket) => {
      closerConnections++;
      let buffered = Buffer.alloc(0);
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
        const query = decodeMessage(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        const q = query.questions[0]!;
        const reply = encodeMessage({ ...query, qr: true, rcode: 0, answers: [{ name: q.name, type: RecordType.A, class: 1, ttl: 5, data: { kind: 'A', address: '192.0.2.99' } }], additionals: [] });
        socket.end(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 0xff]), reply]));
      });
    });
    await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', () => resolve()));
    closerPort = (closer.address() as { port: number }).port;
  }, 30000);

  afterAll(async () => {
    await unbound?.stop();
    await new Promise<void>((resolve) => (closer ? closer.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const dot = () => ['@tls://127.0.0.1', '-p', String(unbound.tlsPort), '--cacert', certs.ca];

  async function digTls(name: string, type: string): Promise<string> {
    const { stdout } = await execFileAsync('dig', ['+tls', `+tls-ca=${certs.ca}`, '+tls-hostname=localhost', '@127.0.0.1', '-p', String(unbound.tlsPort), name, type, '+short', '+time=5']);
    return stdout;
  }

  test('without --cacert the server is checked against Node\'s roots plus NODE_EXTRA_CA_CERTS, as bin/sockkit hands it over', async () => {
    const server = ['www.tls.example.test', '@tls://127.0.0.1', '-p', String(unbound.tlsPort), '--tls-hostname', 'localhost', '--type', 'A', '--short'];
    const trusted = await runSockkit(['resolve', ...server, '--trace'], { asExecutable: true, env: { NODE_EXTRA_CA_CERTS: certs.ca } });
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toBe(await digTls('www.tls.example.test', 'A'));
    expect(trusted.stderr).toContain(`trusting Node's bundled CAs and ${certs.ca} (NODE_EXTRA_CA_CERTS)`);
    const untrusted = await runSockkit(['resolve', ...server], { asExecutable: true, env: { NODE_EXTRA_CA_CERTS: '' } });
    expect(untrusted.code).toBe(6);
  });

  test.each([['A'], ['AAAA'], ['TXT'], ['MX']])('--short %s over TLS equals dig +tls +short', async (type) => {
    const name = type === 'MX' ? 'mail.tls.example.test' : 'www.tls.example.test';
    const r = await runSockkit(['resolve', name, ...dot(), '--tls-hostname', 'localhost', '--type', type, '--short']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(await digTls(name, type));
  });

  test('a certificate for the name: tls://localhost is checked against localhost', async () => {
    const r = await runSockkit(['resolve', 'www.tls.example.test', `@tls://localhost:${unbound.tlsPort}`, '-4', '--cacert', certs.ca, '--short']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('192.0.2.80\n');
  });

  test('an IP address: checked against the IP (the certificate has it), or --tls-hostname', async () => {
    const r = await runSockkit(['resolve', 'www.tls.example.test', ...dot(), '--type', 'A', '--json']);
    expect(r.code).toBe(0);
    const [row] = JSON.parse(r.stdout) as Array<{ server: string; transport: string; tls: { protocol: string; cipher: string; peerSubject: string; verified: boolean } }>;
    expect(row!.server).toBe(`tls://127.0.0.1:${unbound.tlsPort}`);
    expect(row!.transport).toBe('tls');
    expect(row!.tls).toMatchObject({ protocol: expect.stringMatching(/^TLSv1\.[23]$/), cipher: expect.any(String), peerSubject: 'localhost', verified: true });
  });

  test('a wrong name (--tls-hostname wrong.example): TLS failure, exit 6, no answer', async () => {
    const r = await runSockkit(['resolve', 'www.tls.example.test', ...dot(), '--tls-hostname', 'wrong.example', '--type', 'A']);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/\tTLS \(the certificate is not for wrong\.example/);
    expect(r.stdout).not.toMatch(/192\.0\.2\.80/);
  });

  test('an untrusted certificate (the test CA without --cacert): exit 6; -k answers and reports it unverified', async () => {
    const plain = ['resolve', 'www.tls.example.test', '@tls://127.0.0.1', '-p', String(unbound.tlsPort), '--type', 'A'];
    const refused = await runSockkit(plain);
    expect(refused.code).toBe(6);
    expect(refused.stdout).toMatch(/\tTLS \(/);
    const insecure = await runSockkit([...plain, '-k', '--json']);
    expect(insecure.code).toBe(0);
    const [row] = JSON.parse(insecure.stdout) as Array<{ answers: Array<{ value: string }>; tls: { verified: boolean; verifyError: string } }>;
    expect(row!.answers[0]!.value).toBe('192.0.2.80');
    expect(row!.tls.verified).toBe(false);
    expect(row!.tls.verifyError).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/i);
  });

  test('200 questions ride one pipelined connection; --trace shows the handshake facts once', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `n${i}.tls.example.test`);
    const r = await runSockkit(['resolve', '-', ...dot(), '--trace', '--json'], { input: names.join('\n') });
    expect(r.code).toBe(3); // static zone: NXDOMAIN for each
    const rows = JSON.parse(r.stdout) as Array<{ status: string; name: string }>;
    expect(rows).toHaveLength(100); // a list: A and AAAA of a name in one result
    expect(rows.every((x) => x.status === 'nxdomain')).toBe(true);
    expect(r.stderr.match(/send\s+\d+ bytes to tls:/g)).toHaveLength(200);
    expect(r.stderr.match(/connected\s/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/tls\s+TLSv1\.[23] \S+ ALPN=\S+ cert=localhost/);
  });

  test('padding is on over TLS (RFC 8467): unbound pads its answer to a padded query to 468 octets; --no-padding turns it off', async () => {
    const size = async (extra: string[]) => {
      const r = await runSockkit(['resolve', 'www.tls.example.test', ...dot(), '--type', 'A', '--json', ...extra]);
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as Array<{ sizeBytes: number }>)[0]!.sizeBytes;
    };
    expect((await size([])) % 468).toBe(0);
    expect((await size(['--no-padding'])) % 468).not.toBe(0);
  });

  test('a DoT server that closes after each answer: every question is answered, over as many connections', async () => {
    closerConnections = 0;
    const names = Array.from({ length: 5 }, (_, i) => `c${i}.test`);
    const r = await runSockkit(['resolve', ...names, `@tls://127.0.0.1:${closerPort}`, '--cacert', certs.ca, '--type', 'A', '--short', '--trace', '--timeout', '5']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('192.0.2.99\n'.repeat(5));
    expect(closerConnections).toBeGreaterThanOrEqual(2);
    expect(r.stderr).toMatch(/reconnect\s+tls connection/);
  });

  test('nothing listening on the DoT port: unreachable, exit 4, at once', async () => {
    const started = Date.now();
    const r = await runSockkit(['resolve', 'www.tls.example.test', `@tls://127.0.0.1:${closerPort + 1 === unbound.tlsPort ? closerPort + 2 : closerPort + 1}`, '--cacert', certs.ca, '--timeout', '10']);
    expect(r.code).toBe(4);
    expect(Date.now() - started).toBeLessThan(10000);
    expect(r.stdout).toMatch(/UNREACHABLE \(connection refused\)/);
  });

  (inSandbox() ? test : test.skip)('a server given by name is reached over every address it resolves to (Happy Eyeballs): ::1 refused, then 127.0.0.1', async () => {
    const world = nameWithDeadFirstAddress(dir, 'dns.example.test');
    const server = `@tls://dns.example.test:${unbound.tlsPort}`;
    const r = await runSockkit(['resolve', 'www.tls.example.test', server, '--tls-hostname', 'localhost', '--cacert', certs.ca, '--type', 'A', '--json', '--trace'], world);
    expect(r.code).toBe(0);
    const [row] = JSON.parse(r.stdout) as Array<{ server: string; answers: Array<{ value: string }> }>;
    expect(row!.answers.map((a) => a.value)).toEqual(['192.0.2.80']);
    expect(row!.server).toBe(`tls://127.0.0.1:${unbound.tlsPort}`); // the address that answered, not the first
    expect(r.stderr).toMatch(/\[::1\]:\d+: connection refused; trying the next address/);
  });
});
