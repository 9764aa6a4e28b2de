// The one way sockkit opens a TCP connection, and TLS on top of it: each address in
// turn inside one deadline, an AbortSignal, --trace steps, and typed errors. The TLS
// phases are timed where they happen: the trust store is built (secureContextFor)
// before the TCP connect starts, and the handshake (tlsHandshake) after it ends, so
// neither is booked as "TCP connect".
import { connect as netConnect, isIP, type OnReadOpts, type Socket } from 'node:net';
import {
  checkServerIdentity,
  connect as tlsConnect,
  createSecureContext,
  type ConnectionOptions,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { SockkitError, timeoutError, toSockkitError } from '../shared/errors.js';
import { formatHostPort } from '../shared/address.js';
import type { TraceFn } from '../shared/trace.js';

export interface TlsClientOptions {
  /** The name the certificate must carry; sent as SNI unless it is an IP address. */
  host: string;
  alpn: string[];
  /** From secureContextFor(): the trust store, built before the clock of the connect starts. */
  secureContext: SecureContext;
  /** -k: the handshake completes whatever the certificate says (the verdict is still reported). */
  insecure?: boolean;
}

export interface ConnectOptions {
  port: number;
  /** The whole attempt, every address included. */
  timeoutMs: number;
  trace: TraceFn;
  signal?: AbortSignal;
  /** The advice a timeout carries: the flag that raises it. */
  timeoutHint?: string;
  /** node:net's onread: reads go into one reused buffer instead of a fresh one each. */
  onread?: OnReadOpts;
  allowHalfOpen?: boolean;
  /** A TLS socket whose handshake starts once TCP is up (wait for it with tlsHandshake). */
  tls?: TlsClientOptions;
}

/** Connects to the first address that answers; a timeout ends the whole attempt. */
export async function connectFirst(addresses: readonly string[], options: ConnectOptions): Promise<{ socket: Socket; address: string }> {
  const deadline = performance.now() + options.timeoutMs;
  let last: SockkitError | undefined;
  for (const address of addresses) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    try {
      return { socket: await connectTo(address, { ...options, timeoutMs: left }), address };
    } catch (err) {
      last = toSockkitError(err, `connect ${formatHostPort(address, options.port)}`);
      if (last.code === 'TIMEOUT' || last.code === 'INTERRUPTED') break;
      if (addresses.length > 1) options.trace('connect', `${formatHostPort(address, options.port)}: ${last.why}; trying the next address`);
    }
  }
  throw last ?? timeoutError(`connect ${formatHostPort(addresses[0] ?? '?', options.port)}`, options.timeoutMs);
}

/** One TCP connection (TLS on top when asked), resolved once TCP is up. TCP_NODELAY is set. */
export function connectTo(address: string, options: ConnectOptions): Promise<Socket> {
  const where = formatHostPort(address, options.port);
  const what = `connect ${where}`;
  const { trace, signal } = options;
  if (signal?.aborted) return Promise.reject(toSockkitError(signal.reason, what));
  trace('socket', `tcp${isIP(address) === 6 ? 6 : 4} stream`);
  trace('connect', where);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = options.tls
      ? tlsSocket(address, options, options.tls)
      : netConnect({ host: address, port: options.port, onread: options.onread, allowHalfOpen: options.allowHalfOpen, noDelay: true });
    const fail = (err: SockkitError) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error) => fail(toSockkitError(err, what));
    const onAbort = () => fail(new SockkitError('INTERRUPTED', what, 'interrupted'));
    const timer = setTimeout(
      () => fail(new SockkitError('TIMEOUT', what, `no answer after ${seconds(options.timeoutMs)}`, options.timeoutHint ?? 'raise it with --timeout SECONDS')),
      options.timeoutMs,
    );
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', () => {
      cleanup();
      socket.setNoDelay(true);
      trace('connected', `${where} from ${formatHostPort(socket.localAddress ?? '?', socket.localPort ?? 0)} in ${(performance.now() - started).toFixed(3)} ms`);
      resolve(socket);
    });
  });
}

/** Node's trust store with `ca` in place of the bundled roots when given: 14-40 ms, so built and timed on its own. */
export function secureContextFor(ca?: string | Buffer | Array<string | Buffer>): SecureContext {
  return createSecureContext(ca === undefined ? {} : { ca });
}

function tlsSocket(address: string, options: ConnectOptions, tls: TlsClientOptions): TLSSocket {
  const name = isIP(tls.host) === 0 ? tls.host : undefined;
  options.trace('tls', `ClientHello${name ? ` SNI=${name}` : ' (no SNI for an IP address)'} ALPN=${tls.alpn.join(',')}`);
  // `onread` is documented for tls.connect (without `socket`), not in @types/node's ConnectionOptions.
  const withReusedReads = (options.onread ? { onread: options.onread } : {}) as ConnectionOptions;
  return tlsConnect({
    ...withReusedReads,
    host: address,
    port: options.port,
    servername: name,
    // The certificate is checked against the name asked for: the host name, or the address itself.
    checkServerIdentity: (_servername, cert) => checkServerIdentity(tls.host, cert),
    secureContext: tls.secureContext,
    rejectUnauthorized: !tls.insecure,
    ALPNProtocols: tls.alpn,
  });
}

/** What a TLS handshake negotiated, and the certificate's verdict. */
export interface TlsInfo {
  protocol: string | null;
  cipher: string | null;
  alpn: string | null;
  peerSubject: string | null;
  validTo: string | null;
  /** False with --insecure when verification would have failed. */
  verified: boolean;
  verifyError: string | null;
}

/** Waits for the handshake a TLS connectTo() started; resolves with what was negotiated. */
export function tlsHandshake(socket: TLSSocket, host: string, timeoutMs: number, trace: TraceFn, timeoutHint?: string): Promise<TlsInfo> {
  const what = `TLS handshake with ${formatHostPort(host, socket.remotePort ?? 0)}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SockkitError('TIMEOUT', what, `no handshake after ${seconds(timeoutMs)}`, timeoutHint ?? 'raise it with --timeout SECONDS'));
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
  const cn = cert?.subject?.CN;
  const subject = cn !== undefined ? String(cn) : cert?.subject ? Object.entries(cert.subject).map(([k, v]) => `${k}=${String(v)}`).join(', ') : undefined;
  const validTo = cert?.valid_to ? new Date(cert.valid_to) : undefined;
  return {
    protocol: socket.getProtocol() ?? null,
    cipher: socket.getCipher()?.name ?? null,
    alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    peerSubject: subject ?? null,
    validTo: validTo && !Number.isNaN(validTo.getTime()) ? validTo.toISOString() : null,
    verified: socket.authorized,
    verifyError: socket.authorizationError ? String(socket.authorizationError) : null,
  };
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(3).replace(/\.?0+$/, '')} s`;
}
