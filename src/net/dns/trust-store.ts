// The trust store of a DNS-over-TLS or DNS-over-HTTPS transport, built once when the
// transport opens. node:tls is loaded only here, so a plain UDP resolve never loads it.
// A failure (a CA file OpenSSL refuses) is kept, not thrown: every question asked
// afterwards fails with it, as the transport interface promises.
import type { SecureContext } from 'node:tls';
import { type SockkitError, toSockkitError } from '../shared/errors.js';
import type { DotOptions } from './tcp.js';

export interface TrustStore {
  context?: SecureContext;
  error?: SockkitError;
}

export async function buildTrustStore(tls: DotOptions, scheme: 'tls' | 'https'): Promise<TrustStore> {
  try {
    const { secureContextFor } = await import('../socket/tls.js');
    return { context: secureContextFor(tls.ca) };
  } catch (err) {
    return { error: toSockkitError(err, `${scheme}://${tls.name}`) };
  }
}
