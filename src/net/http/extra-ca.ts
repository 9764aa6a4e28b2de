// NODE_EXTRA_CA_CERTS, applied by sockkit itself. When that variable is set, Node 20
// parses every bundled root certificate and the extra file while it starts
// (nodejs/node#40524): 28 ms of every command here (`node -e ''` 48 ms against 20),
// and only http-get speaks TLS. So bin/sockkit hands the variable over under this
// name, and http-get adds the file to Node's bundled roots when it may use TLS: the
// same trust Node would have built (bundled roots plus the file; with --cacert, only
// that file), paid for only by the command that needs it.
import { builtin } from '../shared/builtin.js';
import { SockkitError, usageError } from '../shared/errors.js';
import { readBoundedFile } from '../shared/read-input.js';

export const HANDED_OVER_EXTRA_CA = 'SOCKKIT_EXTRA_CA_CERTS';

export interface HandedOverTrust {
  /** Node's bundled roots and the extra certificates: TLS's `ca`. Undefined: Node's own default. */
  ca?: Array<string | Buffer>;
  /** The extra file, when it is used. */
  file?: string;
  /** Why the file was not used (Node too warns and goes on with its bundled roots). */
  problem?: string;
}

export async function handedOverTrust(env: NodeJS.ProcessEnv = process.env): Promise<HandedOverTrust> {
  const file = env[HANDED_OVER_EXTRA_CA];
  if (!file) return {};
  try {
    return { ca: [...builtin('node:tls').rootCertificates, await readCertificateFile(file)], file };
  } catch (err) {
    const why = err instanceof SockkitError ? err.why : (err as Error).message;
    return { problem: `ignoring extra CA certificates from ${file} (NODE_EXTRA_CA_CERTS): ${why}` };
  }
}

/**
 * The most a CA file may hold. Node's whole bundled store is ≈220 KB as PEM; a file
 * larger than this is not a list of CA certificates (and /dev/zero would never end).
 */
export const MAX_CERTIFICATE_FILE_BYTES = 16 * 1024 * 1024;

/**
 * A PEM file with at least one certificate (--cacert, NODE_EXTRA_CA_CERTS), read
 * within MAX_CERTIFICATE_FILE_BYTES (src/net/shared/read-input.ts: a device is refused, a
 * FIFO read without blocking). Throws a USAGE SockkitError that says why not.
 */
export async function readCertificateFile(path: string): Promise<Buffer> {
  const pem = await readBoundedFile(path, MAX_CERTIFICATE_FILE_BYTES);
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw usageError(path, 'no PEM certificate in it');
  return pem;
}
