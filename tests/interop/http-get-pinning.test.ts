// --resolve and --connect-to against a real nginx, with curl's same flags as the
// reference: the connection goes where the pin says, while Host, SNI and the
// certificate check stay with the URL's host.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { describeWithPeers } from '../helpers/peers.js';
import { runSockkit } from '../helpers/run-sockkit.js';
import { startNginx, type Nginx } from './peers/nginx.js';

const SMALL = 'hello from nginx\n';

describeWithPeers('http-get --resolve / --connect-to with nginx', ['nginx', 'openssl', 'curl'], () => {
  let nginx: Nginx;
  beforeAll(async () => {
    nginx = await startNginx({ files: { 'small.txt': SMALL }, locations: 'location = /host { return 200 "$host\\n"; }' });
  }, 60000);
  afterAll(async () => {
    await nginx?.stop();
  });

  const get = (...args: string[]) => runSockkit(['http-get', '--timeout', '10', ...args], { killAfterMs: 30000 });
  const curl = (...args: string[]) => {
    try {
      return { code: 0, stdout: execFileSync('curl', ['-s', '--max-time', '10', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString() };
    } catch (err) {
      return { code: (err as { status: number }).status, stdout: '' };
    }
  };

  test('--resolve a name nothing resolves: the body, and Host is still the URL’s, as with curl', async () => {
    const pin = `pinned.test:${nginx.ports.http}:127.0.0.1`;
    const url = `http://pinned.test:${nginx.ports.http}/host`;
    const r = await get('--resolve', pin, url);
    expect(r).toMatchObject({ code: 0, stdout: 'pinned.test\n' });
    expect(curl('--resolve', pin, url).stdout).toBe(r.stdout);
  });

  test('--resolve with * for any host and several addresses (IPv6 tried first, as from DNS)', async () => {
    const r = await get('--resolve', `*:${nginx.ports.http}:127.0.0.1`, `http://whatever.test:${nginx.ports.http}/small.txt`, '--json', '-o', '/dev/null');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 200, remoteAddress: '127.0.0.1' });
    const two = await get('--resolve', `two.test:${nginx.ports.http}:127.0.0.1,::1`, `http://two.test:${nginx.ports.http}/small.txt`, '--json', '-o', '/dev/null');
    expect(JSON.parse(two.stdout).connectAttempts.map((a: { address: string }) => a.address)[0]).toBe('::1'); // IPv6 first
  });

  test('https: the certificate is checked against the URL’s host, not the pinned address', async () => {
    // nginx's wrong-name port has a CA-signed certificate for wrong.example only.
    const ok = await get('--cacert', nginx.caFile, '--resolve', `wrong.example:${nginx.ports.wrongName}:127.0.0.1`, `https://wrong.example:${nginx.ports.wrongName}/small.txt`);
    expect(ok).toMatchObject({ code: 0, stdout: SMALL });
    expect(curl('--cacert', nginx.caFile, '--resolve', `wrong.example:${nginx.ports.wrongName}:127.0.0.1`, `https://wrong.example:${nginx.ports.wrongName}/small.txt`).stdout).toBe(SMALL);
    // The good port's certificate names localhost, not wrong.example: refused, as curl refuses it.
    const refused = await get('--cacert', nginx.caFile, '--resolve', `wrong.example:${nginx.ports.https}:127.0.0.1`, `https://wrong.example:${nginx.ports.https}/small.txt`);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/^sockkit http-get: TLS handshake with wrong\.example:\d+: .*(altnames|certificate)/);
    expect(curl('--cacert', nginx.caFile, '--resolve', `wrong.example:${nginx.ports.https}:127.0.0.1`, `https://wrong.example:${nginx.ports.https}/small.txt`).code).toBe(60);
  });

  test('--connect-to: a request to wrong.example:443 goes to 127.0.0.1:<port>, SNI and certificate still wrong.example', async () => {
    const pin = `wrong.example:443:127.0.0.1:${nginx.ports.wrongName}`;
    const r = await get('--cacert', nginx.caFile, '--connect-to', pin, '--json', '-o', '/dev/null', 'https://wrong.example/small.txt');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 200, remoteAddress: '127.0.0.1', remotePort: nginx.ports.wrongName, tls: { peerSubject: 'wrong.example', verified: true } });
    expect(curl('--cacert', nginx.caFile, '--connect-to', pin, 'https://wrong.example/small.txt').stdout).toBe(SMALL);
  });

  test('--connect-to with empty fields (any host, any port → this port) and --trace naming the route', async () => {
    const pin = `::127.0.0.1:${nginx.ports.http}`;
    const r = await get('--connect-to', pin, '--trace', 'http://elsewhere.test/host');
    expect(r).toMatchObject({ code: 0, stdout: 'elsewhere.test\n' });
    expect(r.stderr).toContain(`--connect-to elsewhere.test:80 → 127.0.0.1:${nginx.ports.http}`);
    expect(curl('--connect-to', pin, 'http://elsewhere.test/host').stdout).toBe(r.stdout);
  });

  test('a bad --resolve is a usage error naming the entry', async () => {
    const r = await get('--resolve', 'pinned.test:80', 'http://pinned.test/');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("sockkit http-get: bad --resolve 'pinned.test:80': too few fields (expected HOST:PORT:ADDR[,ADDR…], e.g. example.com:443:127.0.0.1)\n");
  });
});
