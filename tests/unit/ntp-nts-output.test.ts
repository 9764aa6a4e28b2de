// ntp --nts in-process with a pretend terminal: the key exchange in the TTY table.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli.js';
import { FakeStream } from '../helpers/fake-stream.js';
import { makeCertificates } from '../interop/peers/nginx.js';
import { startNtsServer, type NtsServer } from '../fixtures/ntp/nts-server.js';

const dir = mkdtempSync(join(tmpdir(), 'sockkit-nts-out-'));
const certs = makeCertificates(dir);
let server: NtsServer;
beforeAll(async () => {
  server = await startNtsServer({ cert: certs.good[0], key: certs.good[1] });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('on a TTY the key exchange is part of the table of fields', async () => {
  const stdout = new FakeStream(true);
  const stderr = new FakeStream(true, 80);
  const args = ['ntp', '127.0.0.1', '--nts', '--nts-port', String(server.kePort), '--cacert', certs.ca, '--timeout', '2'];
  const code = await runCli(args, { terminal: { stdout, stderr, env: { TERM: 'xterm', NO_COLOR: '1' } }, handleSignals: false });
  expect(code).toBe(0);
  const out = stdout.text;
  expect(out).toMatch(/│ nts\s+│ authenticated \(RFC 8915\)/);
  expect(out).toMatch(/│ tls\s+│ TLSv1\.3, TLS_\w+, ALPN ntske\/1\s+│/);
  expect(out).toMatch(/│ aead\s+│ AEAD_AES_SIV_CMAC_256 \(15\)\s+│/);
  expect(out).toMatch(new RegExp(`│ ntp port\\s+│ ${server.ntpPort} \\(negotiated\\)\\s+│`));
  expect(out).toMatch(/│ certificate\s+│ localhost, issued by sockkit test CA,/);
  expect(out).toMatch(/│ cookies\s+│ 8 from the key exchange/);
});
