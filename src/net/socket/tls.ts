// TLS on top of the socket layer's TCP connect: the trust store (built and timed before
// the TCP connect starts), the client socket (SNI, ALPN, the certificate checked against
// the name asked for, -k), the handshake, its failures and what it negotiated. The TLS
// phases are timed where they happen, so neither is booked as "TCP connect".
import { type Socket } from 'node:net';
import { ipFamily } from '../shared/ip-literal.js';
import type {
  ConnectionOptions,
  PeerCertificate,
  SecureContext,
  SecureVersion,
  TLSSocket,
} from 'node:tls';
import { SockkitError, toSockkitError, formatSeconds } from '../shared/errors.js';
import { formatHostPort } from '../shared/address.js';
import type { TraceFn } from '../shared/trace.js';
import type { ConnectOptions } from './connect.js';
import { clientCa } from './root-store.js';
import { builtin } from '../shared/builtin.js';
import { isoUtc } from '../shared/iso-time.js';

export interface TlsClientOptions {
  /** The name the certificate must carry; sent as SNI unless it is an IP address. */
  host: string;
  alpn: string[];
  /** From secureContextFor(): the trust store, built before the clock of the connect starts. */
  secureContext: SecureContext;
  /** -k: the handshake completes whatever the certificate says (the verdict is still reported). */
  insecure?: boolean;
  /** A session from an earlier connection to resume (TLS 1.3 ticket or 1.2 session). */
  session?: Buffer;
}

/**
 * Node's trust store with `ca` in place of the bundled roots when given (root-store.ts:
 * under bin/sockkit the bundled roots are parsed only when no `ca` is given): 2-40 ms,
 * so built and timed on its own. `minVersion` refuses older protocols in the handshake
 * (NTS-KE: TLS 1.3); `identity` is a client certificate and its key, for servers that
 * ask for one (mutual TLS).
 */
export function secureContextFor(
  ca?: string | Buffer | Array<string | Buffer>,
  options: { minVersion?: SecureVersion; identity?: { cert: string | Buffer; key: string | Buffer } } = {},
): SecureContext {
  return builtin('node:tls').createSecureContext({ ...clientCa(ca), ...(options.minVersion ? { minVersion: options.minVersion } : {}), ...options.identity });
}

/** For connectTo's `open`: a TLS client socket to `address` whose handshake starts once TCP is up. */
export function tlsOpener(options: Pick<ConnectOptions, 'port' | 'trace' | 'onread'>, tls: TlsClientOptions): (address: string) => TLSSocket {
  return (address) => tlsSocket(address, options, tls);
}

/** For connectPath's `open`: TLS over a Unix-domain stream socket at `path`. */
export function tlsPathOpener(options: Pick<ConnectOptions, 'trace' | 'onread'>, tls: TlsClientOptions): (path: string) => TLSSocket {
  return (path) => tlsSocket({ path }, options, tls);
}

/**
 * TLS on a socket that is already connected: a proxy's tunnel (HTTP CONNECT, SOCKS5),
 * the TCP connection to an https:// proxy, or TLS inside that TLS (an https origin).
 * The same client checks as tlsOpener's (SNI, ALPN, the certificate against tls.host);
 * the handshake starts at once, and tlsHandshake() waits for it. node:tls does not
 * take `onread` beside `socket`: reads arrive as 'data' events.
 */
export function tlsOverSocket(socket: Socket, trace: TraceFn, tls: TlsClientOptions, note = ' inside the tunnel'): TLSSocket {
  traceClientHello(trace, tls, note);
  return builtin('node:tls').connect({ socket, ...clientOptions(tls) });
}

function tlsSocket(endpoint: string | { path: string }, options: Pick<ConnectOptions, 'trace' | 'onread'> & { port?: number }, tls: TlsClientOptions): TLSSocket {
  traceClientHello(options.trace, tls, tls.session ? ' resuming a session' : '');
  // `onread` is documented for tls.connect (without `socket`), not in @types/node's ConnectionOptions.
  const withReusedReads = (options.onread ? { onread: options.onread } : {}) as ConnectionOptions;
  const where = typeof endpoint === 'string' ? { host: endpoint, port: options.port } : endpoint;
  return builtin('node:tls').connect({ ...withReusedReads, ...where, ...clientOptions(tls) });
}

/** What every client TLS socket of ours is opened with. */
function clientOptions(tls: TlsClientOptions): ConnectionOptions {
  return {
    session: tls.session,
    servername: ipFamily(tls.host) === 0 ? tls.host : undefined,
    // The certificate is checked against the name asked for: the host name, or the address itself.
    checkServerIdentity: (_servername, cert) => builtin('node:tls').checkServerIdentity(tls.host, cert),
    secureContext: tls.secureContext,
    rejectUnauthorized: !tls.insecure,
    ALPNProtocols: tls.alpn.length > 0 ? tls.alpn : undefined,
  };
}

function traceClientHello(trace: TraceFn, tls: TlsClientOptions, note: string): void {
  const name = ipFamily(tls.host) === 0 ? tls.host : undefined;
  trace('tls', `ClientHello${name ? ` SNI=${name}` : ' (no SNI for an IP address)'} ALPN=${tls.alpn.join(',') || 'none'}${note}`);
}

/** What a TLS handshake negotiated, and the certificate's verdict. */
export interface TlsInfo {
  protocol: string | null;
  cipher: string | null;
  alpn: string | null;
  peerSubject: string | null;
  peerIssuer: string | null;
  validFrom: string | null;
  validTo: string | null;
  /** False with --insecure when verification would have failed. */
  verified: boolean;
  verifyError: string | null;
}

/** Waits for the handshake a TLS connectTo() started; resolves with what was negotiated. */
export function tlsHandshake(socket: TLSSocket, host: string, timeoutMs: number, trace: TraceFn, timeoutHint?: string): Promise<TlsInfo> {
  // Over a Unix socket (--unix-socket) there is no port to name.
  const what = `TLS handshake with ${socket.remotePort === undefined ? host : formatHostPort(host, socket.remotePort)}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SockkitError('TIMEOUT', what, `no handshake after ${formatSeconds(timeoutMs)}`, timeoutHint ?? 'raise it with --timeout SECONDS'));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      const info = tlsInfo(socket);
      trace('tls', `${info.protocol ?? '?'} ${info.cipher ?? '?'} ALPN=${info.alpn ?? 'none'} cert=${info.peerSubject ?? '?'} valid to ${info.validTo ?? '?'}`);
      resolve(info);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(tlsFailure(err, what));
    });
  });
}

/** Whatever breaks a handshake (a reset, a plain-text answer, a bad certificate) is a TLS failure. */
export function tlsFailure(err: NodeJS.ErrnoException, what: string): SockkitError {
  const code = err.code ?? '';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ERR_SSL_HTTP_REQUEST') {
    return new SockkitError('TLS', what, 'the server did not answer in TLS', 'is it plain http? try an http:// URL', { cause: err });
  }
  // One readable reason and a hint that fits it (errors.ts); a reset during the
  // handshake keeps its reason ("connection reset by peer") but is a TLS failure.
  const failure = toSockkitError(err, what);
  return failure.code === 'TLS' ? failure : new SockkitError('TLS', what, failure.why, failure.hint, { cause: err });
}

export function tlsInfo(socket: TLSSocket): TlsInfo {
  const cert: PeerCertificate | undefined = socket.getPeerCertificate();
  const subject = nameOf(cert?.subject);
  return {
    protocol: socket.getProtocol() ?? null,
    cipher: socket.getCipher()?.name ?? null,
    alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    peerSubject: subject ?? null,
    peerIssuer: nameOf(cert?.issuer) ?? null,
    validFrom: isoDate(cert?.valid_from),
    validTo: isoDate(cert?.valid_to),
    verified: socket.authorized,
    verifyError: socket.authorizationError ? String(socket.authorizationError) : null,
  };
}

/** A certificate name: its CN, or every attribute when it has none. */
function nameOf(name: PeerCertificate['subject'] | undefined): string | undefined {
  if (!name) return undefined;
  const cn = name.CN;
  return cn !== undefined ? String(cn) : Object.entries(name).map(([k, v]) => `${k}=${String(v)}`).join(', ') || undefined;
}

function isoDate(text: string | undefined): string | null {
  const ms = text ? Date.parse(text) : NaN;
  return Number.isNaN(ms) ? null : isoUtc(ms);
}
