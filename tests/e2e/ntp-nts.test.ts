// sockkit ntp --nts (RFC 8915): against chronyd 4.3 as an NTS server on loopback, with
// chronyd -Q as the reference client, and against hostile NTS servers written for the
// test (KE over node:tls with the test certificates, NTP answered with sockkit's AEAD).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectCleanError, runSockkit } from '../helpers/run-sockkit.js';
import { describeWithPeers } from '../helpers/peers.js';
import { makeCertificates } from '../interop/peers/nginx.js';
import { chronydQueryOffsetMs, startChrony, type Chrony } from '../interop/peers/chrony.js';
import { startNtsServer, type NtsServer, type NtsServerOptions } from '../fixtures/ntp/nts-server.js';

const dir = mkdtempSync(join(tmpdir(), 'sockkit-nts-'));
chmodSync(dir, 0o755); // chronyd reads the certificates as _chrony
const certs = makeCertificates(dir);
const started: NtsServer[] = [];

afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function ntsServer(options: Partial<NtsServerOptions> = {}): Promise<NtsServer> {
  const server = await startNtsServer({ cert: certs.good[0], key: certs.good[1], ...options });
  started.push(server);
  return server;
}

function ntpNts(server: NtsServer, ...extra: string[]) {
  return runSockkit(['ntp', '127.0.0.1', '--nts', '--nts-port', String(server.kePort), '--cacert', certs.ca, '--timeout', '1', ...extra], { killAfterMs: 20_000 });
}

describe('against the test NTS server', () => {
  test('an authentic answer: the key exchange in --json, the negotiated port used, each cookie used once', async () => {
    const server = await ntsServer();
    const r = await ntpNts(server, '--samples', '10', '--interval', '0', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).servers[0];
    expect(s).toMatchObject({ status: 'ok', port: server.ntpPort, stratum: 2 });
    expect(s.samples.filter((x: { status: string }) => x.status === 'ok')).toHaveLength(10);
    expect(s.nts).toMatchObject({
      kePort: server.kePort,
      aead: 'AEAD_AES_SIV_CMAC_256',
      ntpPort: server.ntpPort,
      ntpPortSource: 'negotiated',
      ntpServerSource: 'ke-address',
      ntpServer: '127.0.0.1',
      tls: { protocol: 'TLSv1.3', alpn: 'ntske/1', subject: 'localhost', issuer: 'sockkit test CA', verified: true },
    });
    expect(s.nts.cookies).toMatchObject({ fromKeyExchange: 8, keCookieBytes: Array(8).fill(100), spent: 10 });
    expect(s.nts.records.map((x: { name: string }) => x.name)).toEqual([
      'NTS Next Protocol Negotiation',
      'AEAD Algorithm Negotiation',
      'NTPv4 Port Negotiation',
      ...Array(8).fill('New Cookie for NTPv4'),
      'End of Message',
    ]);
    // 10 samples from 8 cookies: placeholders asked for more, and no cookie went twice.
    expect(server.stats).toMatchObject({ keConnections: 1, ntpRequests: 10, knownCookies: 10, reusedCookies: 0 });
    expect(server.stats.placeholders).toBeGreaterThanOrEqual(2);
  });

  test('piped fields and --trace name each KE record and each extension field', async () => {
    const server = await ntsServer();
    const r = await ntpNts(server, '--trace');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nts-ke\t127\.0\.0\.1:\d+$/m);
    expect(r.stdout).toMatch(/^tls\tTLSv1\.3, TLS_\w+, ALPN ntske\/1$/m);
    expect(r.stdout).toMatch(/^certificate\tlocalhost, issued by sockkit test CA, valid \S+ to \S+, verified$/m);
    expect(r.stdout).toMatch(/^aead\tAEAD_AES_SIV_CMAC_256 \(15\)$/m);
    expect(r.stdout).toMatch(new RegExp(`^ntp port\\t${server.ntpPort} \\(negotiated\\)$`, 'm'));
    expect(r.stdout).toMatch(/^cookies\t8 from the key exchange \(100 bytes each\); 1 spent, 1 received in replies, 8 left$/m);
    for (const line of [
      /nts-ke\s+send NTS Next Protocol Negotiation \(critical\): NTPv4/,
      /nts-ke\s+send AEAD Algorithm Negotiation \(critical\): AEAD_AES_SIV_CMAC_256/,
      /nts-ke\s+recv NTPv4 Port Negotiation \(critical\): \d+/,
      /nts-ke\s+recv New Cookie for NTPv4: 100 bytes/,
      /nts-ke\s+recv End of Message \(critical\)/,
      /nts\s+Unique Identifier \(36 bytes\)/,
      /nts\s+NTS Cookie \(104 bytes\)/,
      /nts\s+NTS Authenticator and Encrypted Extension Fields/,
      /nts\s+recv Unique Identifier \(36 bytes\)/,
      /nts\s+authentic: Unique Identifier ours, Authenticator verified with the S2C key; 1 new cookie/,
    ]) {
      expect(r.stderr).toMatch(line);
    }
  });

  test('no port negotiated: --port names the NTP port, and the output says so', async () => {
    const server = await ntsServer({ ke: 'no-port' });
    const r = await ntpNts(server, '--port', String(server.ntpPort));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^address\\t127\\.0\\.0\\.1:${server.ntpPort}$`, 'm'));
    expect(r.stdout).toMatch(/^ntp port\tfrom --port \(none negotiated\)$/m);
  });

  test('a negotiated NTP server wins over the key exchange host, and the output says so', async () => {
    const server = await ntsServer({ ke: 'server-name' });
    const r = await ntpNts(server, '-4', '--trace');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/nts-ke\s+recv NTPv4 Server Negotiation \(critical\): "localhost"/);
    expect(r.stderr).toMatch(/resolve\s+localhost → 127\.0\.0\.1/);
    expect(r.stdout).toMatch(/^ntp server\tlocalhost \(negotiated\)$/m);
  });

  test('a server that sends no new cookies: 8 queries from the 8 KE cookies, then it stops and says why', async () => {
    const server = await ntsServer({ ntp: 'no-new-cookies' });
    const r = await ntpNts(server, '--samples', '10', '--interval', '0', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).servers[0];
    expect(s.samples).toHaveLength(8);
    expect(s.nts.cookies).toMatchObject({ spent: 8, fromReplies: 0, left: 0 });
    expect(server.stats).toMatchObject({ ntpRequests: 8, reusedCookies: 0 });
    expect(r.stderr).toMatch(/^sockkit ntp: warning: 127\.0\.0\.1: 8 of 10 queries sent: no NTS cookie left/m);
  });

  test('replies that fail authentication are ignored and counted while the real one is awaited', async () => {
    const server = await ntsServer({ ntp: 'forged-then-good' });
    const r = await ntpNts(server, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).servers[0];
    expect(s.ignoredReplies).toBe(3);
    expect(s.status).toBe('ok');
  });

  // [case, exit code, server, message]
  const hostile: Array<[string, number, Partial<NtsServerOptions>, RegExp]> = [
    ['an authenticator that does not verify', 7, { ntp: 'bad-authenticator' }, /no valid reply from 127\.0\.0\.1:\d+: 1 datagram ignored in 1 s; last: unauthenticated reply: the NTS Authenticator does not verify with the S2C key/],
    ['a reply with another Unique Identifier', 7, { ntp: 'other-uid' }, /last: unauthenticated reply: the Unique Identifier is not the one we sent/],
    ['a reply without NTS fields', 7, { ntp: 'unauthenticated' }, /last: unauthenticated reply: no NTS Authenticator field/],
    ['an NTS NAK', 7, { ntp: 'nak' }, /kiss-o'-death NTSN \(NTS negative acknowledgement\)/],
    ['a KE Error record', 7, { ke: 'error-record' }, /NTS key exchange: the server sent Error record 1 \(Bad Request\)/],
    ['an unknown critical KE record', 7, { ke: 'unknown-critical' }, /NTS key exchange: unrecognised critical record type 16383/],
    ['cookies for another algorithm', 7, { ke: 'other-aead' }, /NTS key exchange: the server chose AEAD AEAD_AES_128_GCM_SIV, which we did not offer/],
    ['a certificate for another name', 6, { cert: certs.wrongName[0], key: certs.wrongName[1] }, /TLS handshake with 127\.0\.0\.1:\d+: .*(wrong\.example|altnames|name)/i],
    ['an untrusted certificate', 6, { cert: certs.selfSigned[0], key: certs.selfSigned[1] }, /TLS handshake with 127\.0\.0\.1:\d+: .*self-signed/i],
    ['a KE server that speaks TLS 1.2 at most', 6, { tls12: true }, /TLS handshake with 127\.0\.0\.1:\d+: .*(protocol|version)/i],
    ['a KE server without ALPN ntske/1', 7, { noAlpn: true }, /NTS key exchange: the server did not agree to ALPN ntske\/1 \(it chose none\)/],
    ['a KE server that never answers', 5, { ke: 'silent' }, /NTS key exchange: no End of Message record within 1 s/],
  ];
  test.each(hostile)('%s: exit %i within --timeout', async (_, code, options, message) => {
    const server = await ntsServer(options);
    const started = performance.now();
    const r = await ntpNts(server);
    const elapsed = performance.now() - started;
    expect(r.code).toBe(code);
    expectCleanError(r, 'ntp');
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    // --timeout 1 bounds the key exchange and the wait for the reply: one second each at most, plus start-up.
    expect(elapsed).toBeLessThan(6_000);
  });

  test('-k completes the exchange with an untrusted certificate, warns, and shows the verdict', async () => {
    const server = await ntsServer({ cert: certs.selfSigned[0], key: certs.selfSigned[1] });
    const r = await runSockkit(['ntp', '127.0.0.1', '--nts', '--nts-port', String(server.kePort), '-k', '--timeout', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^sockkit ntp: warning: TLS certificates are not verified \(--insecure\)$/m);
    expect(r.stdout).toMatch(/^certificate\tlocalhost, issued by localhost, .* NOT verified \(DEPTH_ZERO_SELF_SIGNED_CERT; -k\)$/m);
  });

  test('plain ntp loads neither node:tls nor node:crypto; --nts loads both', async () => {
    const server = await ntsServer();
    const preload = join(dir, 'modules.cjs');
    writeFileSync(
      preload,
      "process.on('exit', () => process.stderr.write('builtins ' + process.moduleLoadList.filter((m) => /^NativeModule (tls|crypto)$/.test(m)).map((m) => m.slice(13)).join(',') + '\\n'));\n",
    );
    const env = { NODE_OPTIONS: `--require ${preload}` };
    const plain = await runSockkit(['ntp', '127.0.0.1', '--port', String(server.ntpPort), '--timeout', '0.3'], { env });
    expect(plain.stderr).toMatch(/^builtins $/m);
    const nts = await runSockkit(['ntp', '127.0.0.1', '--nts', '--nts-port', String(server.kePort), '--cacert', certs.ca, '--timeout', '1'], { env });
    expect(nts.code).toBe(0);
    expect(nts.stderr).toMatch(/^builtins (crypto,tls|tls,crypto)$/m);
  });

  test('--cacert or -k without --nts is a usage error', async () => {
    const r = await runSockkit(['ntp', '127.0.0.1', '--cacert', certs.ca]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sockkit ntp: bad flag --cacert: it applies to the NTS key exchange: add --nts/m);
  });
});

describeWithPeers('ntp --nts against chronyd 4.3 (NTS server, local stratum 10)', ['chronyd'], () => {
  let chrony: Chrony;
  beforeAll(async () => {
    chrony = await startChrony({ nts: { cert: certs.good[0], key: certs.good[1] } });
  }, 20_000);
  afterAll(async () => {
    await chrony?.stop();
  }, 20_000);

  test('authenticated time from chronyd; the offset agrees with chronyd -Q over NTS within 1 ms', async () => {
    const theirs = chronydQueryOffsetMs('127.0.0.1', chrony.port, { port: chrony.ntsPort!, ca: certs.ca });
    const r = await runSockkit(['ntp', 'localhost', '-4', '--nts', '--nts-port', String(chrony.ntsPort), '--cacert', certs.ca, '--samples', '5', '--interval', '0.05', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout).servers[0];
    expect(s).toMatchObject({ status: 'ok', stratum: 10, refid: '127.127.1.1', port: chrony.port });
    expect(s.nts).toMatchObject({ ntpPort: chrony.port, ntpPortSource: 'negotiated', aead: 'AEAD_AES_SIV_CMAC_256', tls: { protocol: 'TLSv1.3', verified: true } });
    expect(s.nts.cookies.fromKeyExchange).toBe(8);
    expect(s.nts.cookies.fromReplies).toBe(5);
    expect(Math.abs(s.offsetMs - theirs)).toBeLessThan(1);
  }, 30_000);
});
