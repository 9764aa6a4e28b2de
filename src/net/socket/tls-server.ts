// The server side of TLS for echo-server and threaded-server's workers: the server's
// certificate and key (and, for mutual TLS, the CAs its clients' certificates must
// chain to) loaded once into a secure context, then each accepted TCP socket wrapped
// in a server TLSSocket whose handshake starts at once (served-connection.ts's
// acceptConnection does the wrapping through `wrap`, so that node:tls loads only
// with --tls). The trust decision is
// OpenSSL's: with --require-client-cert a client without a certificate that chains to
// --cacert fails the handshake; we only report what was negotiated.
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { usageError } from '../shared/errors.js';
import type { ServerTls } from './served-connection.js';
import { emptySharedStore } from './root-store.js';

export interface TlsServerFiles {
  /** PEM: the server's certificate chain. */
  cert: string;
  /** PEM: its private key. */
  key: string;
  /** PEM: CAs that client certificates must chain to (mutual TLS). */
  ca?: string;
  /** Refuse clients without a certificate that chains to `ca`. */
  requireClientCert: boolean;
  /** Protocols offered for ALPN, in order of preference; empty: no ALPN. */
  alpn: string[];
  /** 48 bytes: session tickets sealed with them resume in any process holding the same keys. */
  ticketKeys?: Buffer;
}

export interface TlsServerConfig extends ServerTls {
  secureContext: SecureContext;
  requestCert: boolean;
  alpn: string[];
}

/** Builds the secure context; a certificate, key or CA file that OpenSSL refuses is a usage error naming the flag. */
export function tlsServerConfig(files: TlsServerFiles): TlsServerConfig {
  let secureContext: SecureContext;
  try {
    emptySharedStore(); // a server verifies only client certificates, against --cacert
    secureContext = createSecureContext({ cert: files.cert, key: files.key, ca: files.ca, ticketKeys: files.ticketKeys });
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/, '') : String(err);
    throw usageError('bad --cert/--key/--cacert', `OpenSSL refused them: ${reason}`, 'give a PEM certificate and the private key that belongs to it');
  }
  const config: TlsServerConfig = {
    secureContext,
    requestCert: files.requireClientCert,
    alpn: files.alpn,
    wrap: (raw) => acceptTls(raw, config),
    describe: (socket, handshakeMs) => serverTlsInfo(socket as TLSSocket, handshakeMs),
  };
  return config;
}

/** Server-side TLS on an accepted TCP socket; the handshake starts at once. */
export function acceptTls(raw: Socket, config: Omit<TlsServerConfig, 'wrap' | 'describe'>): TLSSocket {
  return new TLSSocket(raw, {
    isServer: true,
    secureContext: config.secureContext,
    requestCert: config.requestCert,
    // With a client certificate required, OpenSSL ends the handshake of a client
    // whose certificate is missing or does not chain to --cacert.
    rejectUnauthorized: config.requestCert,
    ALPNProtocols: config.alpn.length > 0 ? config.alpn : undefined,
  });
}

/** What one server-side handshake negotiated. */
export interface ServerTlsInfo {
  version: string | null;
  cipher: string | null;
  alpn: string | null;
  /** The name the client asked for (SNI); null when it sent none (e.g. it connected to an IP). */
  sni: string | null;
  handshakeMs: number;
  /** An abbreviated handshake that resumed an earlier session (a ticket from this server, or from another worker of it). */
  resumed: boolean;
  /** The client certificate's subject, when one was presented (and, with --require-client-cert, verified). */
  clientCertificate: string | null;
}

export function serverTlsInfo(socket: TLSSocket, handshakeMs: number): ServerTlsInfo {
  const peer = socket.getPeerCertificate();
  const subject = peer?.subject ? Object.entries(peer.subject).map(([k, v]) => `${k}=${String(v)}`).join(', ') : '';
  const servername = (socket as TLSSocket & { servername?: string | false }).servername;
  return {
    version: socket.getProtocol() ?? null,
    cipher: socket.getCipher()?.name ?? null,
    alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    sni: typeof servername === 'string' && servername !== '' ? servername : null,
    handshakeMs: Math.round(handshakeMs * 1000) / 1000,
    resumed: socket.isSessionReused(),
    clientCertificate: subject !== '' ? subject : null,
  };
}

