// The CA trust of the commands that speak TLS (http-get, ntp --nts, resolve over TLS and HTTPS,
// echo-client --tls): --cacert FILE, or Node's bundled roots plus NODE_EXTRA_CA_CERTS as bin/sockkit handed it over.
import { SockkitError, usageError } from '../net/shared/errors.js';
import { handedOverTrust, readCertificateFile } from '../net/http/extra-ca.js';
import type { TraceFn } from '../net/shared/trace.js';
import type { Terminal } from '../output/terminal.js';

/** NODE_EXTRA_CA_CERTS as bin/sockkit handed it over (src/net/http/extra-ca.ts), or Node's default trust. */
export async function extraTrust(term: Terminal, trace: TraceFn): Promise<Array<string | Buffer> | undefined> {
  const trust = await handedOverTrust();
  if (trust.problem) term.warn(trust.problem);
  if (trust.file) trace('tls', `trusting Node's bundled CAs and ${trust.file} (NODE_EXTRA_CA_CERTS)`);
  return trust.ca;
}

/**
 * What a TLS client trusts: --cacert's file, or else Node's roots plus NODE_EXTRA_CA_CERTS as
 * bin/sockkit handed it over. With `insecure` (-k) and no --cacert, nothing is read: Node's default.
 */
export async function clientTrust(cacert: string | undefined, term: Terminal, trace: TraceFn, insecure = false): Promise<Array<string | Buffer> | Buffer | undefined> {
  if (cacert !== undefined) return readCaFile(cacert);
  return insecure ? undefined : extraTrust(term, trace);
}

/** --cacert FILE (or --proxy-cacert): a bad file is the user's error (exit 2), named with the flag. */
export async function readCaFile(path: string, flag = '--cacert'): Promise<Buffer> {
  try {
    return await readCertificateFile(path);
  } catch (err) {
    throw err instanceof SockkitError ? usageError(`bad ${flag} ${path}`, err.why) : err;
  }
}

/**
 * An https:// proxy's trust, apart from the origin's: --proxy-cacert FILE, else Node's
 * roots plus NODE_EXTRA_CA_CERTS (never --cacert, as in curl). `originCa` is reused when
 * it is that same default; nothing is read when no proxy can be in play.
 */
export async function proxyTrust(
  file: string | undefined,
  originCa: { fromCacert: boolean; ca: Array<string | Buffer> | Buffer | undefined },
  proxyMayBeUsed: boolean,
  term: Terminal,
  trace: TraceFn,
): Promise<Array<string | Buffer> | Buffer | undefined> {
  if (file !== undefined) return readCaFile(file, '--proxy-cacert');
  if (!proxyMayBeUsed) return undefined;
  return !originCa.fromCacert && originCa.ca !== undefined ? originCa.ca : extraTrust(term, trace);
}
