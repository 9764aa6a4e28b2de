// Writes dist/sockkit.cjs.http-get.cache, the V8 code cache bin/sockkit compiles the
// bundle with for `sockkit http-get` (every other command takes dist/sockkit.cjs.cache).
// The common cache comes from a resolve run and leaves the whole http-get path (URL,
// request, TLS options, the response parser, the body writer) to be compiled lazily
// in every fetch: 27 M of the 213 M instructions of a small https GET. Putting both
// runs in one cache would make every command deserialize the other's functions, so
// http-get gets its own, from one real run of it: a small https GET with --cacert from
// a server in this process on 127.0.0.1, its certificate made by the openssl CLI for
// this build; without openssl a plain http GET. No other network. When neither works
// the file is left out, and bin/sockkit takes the common cache.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { warmUp } from './build-code-cache.mjs';

export async function buildHttpGetCodeCache(binPath, cachePath) {
  rmSync(cachePath, { force: true });
  const dir = mkdtempSync(join(tmpdir(), 'sockkit-http-get-warm-up-'));
  let server;
  try {
    const certificate = selfSignedCertificate(dir);
    server = await listen(certificate);
    const url = `${certificate ? 'https' : 'http'}://127.0.0.1:${server.address().port}/warm-up`;
    const status = await warmUp(binPath, cachePath, ['http-get', ...(certificate ? ['--cacert', certificate.cert] : []), url]);
    if (status !== 0) throw new Error(`the http-get run exited ${status}`);
  } catch (err) {
    rmSync(cachePath, { force: true });
    console.warn(`http-get code cache left out (the common one serves it): ${err.message}`);
  } finally {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A P-256 certificate for 127.0.0.1, its own issuer (so --cacert trusts it); undefined without openssl. */
function selfSignedCertificate(dir) {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: 'ignore', timeout: 30_000 },
    );
    return { cert, key };
  } catch {
    return undefined;
  }
}

/** Answers every request with 6 bytes, over TLS when given a certificate. */
function listen(certificate) {
  const answer = (_req, res) => res.end('hello\n');
  const server = certificate
    ? createHttpsServer({ cert: readFileSync(certificate.cert), key: readFileSync(certificate.key) }, answer)
    : createHttpServer(answer);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
