// NODE_EXTRA_CA_CERTS, applied by sockkit itself. When that variable is set, Node 20
// parses every bundled root certificate and the extra file while it starts
// (nodejs/node#40524): 28 ms of every command here (`node -e ''` 48 ms against 20),
// and only http-get speaks TLS. So bin/sockkit hands the variable over under this
// name, and http-get adds the file to Node's bundled roots when it may use TLS: the
// same trust Node would have built (bundled roots plus the file; with --cacert, only
// that file), paid for only by the command that needs it.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

export const HANDED_OVER_EXTRA_CA = 'SOCKKIT_EXTRA_CA_CERTS';

export interface HandedOverTrust {
  /** Node's bundled roots and the extra certificates: TLS's `ca`. Undefined: Node's own default. */
  ca?: Array<string | Buffer>;
  /** The extra file, when it is used. */
  file?: string;
  /** Why the file was not used (Node too warns and goes on with its bundled roots). */
  problem?: string;
}

export function handedOverTrust(env: NodeJS.ProcessEnv = process.env): HandedOverTrust {
  const file = env[HANDED_OVER_EXTRA_CA];
  if (!file) return {};
  try {
    return { ca: [...rootCertificates, readCertificateFile(file)], file };
  } catch (err) {
    return { problem: `ignoring extra CA certificates from ${file} (NODE_EXTRA_CA_CERTS): ${(err as Error).message}` };
  }
}

/** A PEM file with at least one certificate (--cacert, NODE_EXTRA_CA_CERTS); throws why not. */
export function readCertificateFile(path: string): Buffer {
  const pem = readFileSync(path);
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
  return pem;
}
