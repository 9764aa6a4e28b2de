// Typed errors of the networking core. Every failure the core reports carries a
// stable `code`; the CLI maps codes to exit statuses in one place (src/exit-codes.ts).

export type ErrorCode =
  | 'USAGE' // bad input from the user: port, host, URL, flag value
  | 'NOT_FOUND' // NXDOMAIN, unknown host, unknown service
  | 'UNREACHABLE' // connection refused, host or network unreachable
  | 'TIMEOUT' // a bounded wait ran out
  | 'TLS' // handshake or certificate failure
  | 'PROTOCOL' // malformed, forged or refused reply from the peer
  | 'ADDRESS_UNAVAILABLE' // local bind failed: in use, permission denied
  | 'INTERRUPTED' // Ctrl-C / SIGTERM during a one-shot command
  | 'UNEXPECTED';

export class SockkitError extends Error {
  override readonly name = 'SockkitError';
  /**
   * @param code  stable category, mapped to the exit status
   * @param what  what failed, e.g. "connect 127.0.0.1:80"
   * @param why   why it failed, e.g. "connection refused"
   * @param hint  optional advice shown after the message
   */
  constructor(
    readonly code: ErrorCode,
    readonly what: string,
    readonly why: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(`${what}: ${why}`, options);
  }
}

export function usageError(what: string, why: string, hint?: string): SockkitError {
  return new SockkitError('USAGE', what, why, hint);
}

export function timeoutError(what: string, ms: number): SockkitError {
  return new SockkitError('TIMEOUT', what, `timed out after ${formatSeconds(ms)}`, 'raise it with --timeout SECONDS');
}

export function protocolError(what: string, why: string): SockkitError {
  return new SockkitError('PROTOCOL', what, why);
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(3).replace(/\.?0+$/, '')} s`;
}

/** errno → (code, readable reason). Node's system errors carry `code` like 'ECONNREFUSED'. */
const SYSTEM_ERRORS: Record<string, [ErrorCode, string]> = {
  ECONNREFUSED: ['UNREACHABLE', 'connection refused'],
  ECONNRESET: ['UNREACHABLE', 'connection reset by peer'],
  EHOSTUNREACH: ['UNREACHABLE', 'host unreachable'],
  ENETUNREACH: ['UNREACHABLE', 'network unreachable'],
  EHOSTDOWN: ['UNREACHABLE', 'host is down'],
  EPIPE: ['UNREACHABLE', 'connection closed by peer (broken pipe)'],
  ETIMEDOUT: ['TIMEOUT', 'timed out'],
  ENOTFOUND: ['NOT_FOUND', 'name not found'],
  EAI_NONAME: ['NOT_FOUND', 'name not found'],
  EAI_NODATA: ['NOT_FOUND', 'no address for this name'],
  EAI_AGAIN: ['TIMEOUT', 'temporary failure in name resolution'],
  EADDRINUSE: ['ADDRESS_UNAVAILABLE', 'address already in use'],
  EADDRNOTAVAIL: ['ADDRESS_UNAVAILABLE', 'address not available on this machine'],
  EACCES: ['ADDRESS_UNAVAILABLE', 'permission denied'],
  EPERM: ['ADDRESS_UNAVAILABLE', 'operation not permitted'],
  EAFNOSUPPORT: ['ADDRESS_UNAVAILABLE', 'address family not supported'],
};

/** Wraps any thrown value from node:net/dgram/dns/tls into a SockkitError. */
export function toSockkitError(err: unknown, what: string): SockkitError {
  if (err instanceof SockkitError) return err;
  const sys = err as NodeJS.ErrnoException | undefined;
  const errno = typeof sys?.code === 'string' ? sys.code : undefined;
  if (errno) {
    const known = SYSTEM_ERRORS[errno];
    if (known) return new SockkitError(known[0], what, known[1], undefined, { cause: err });
    if (isTlsErrorCode(errno)) return new SockkitError('TLS', what, sys?.message ?? errno, undefined, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SockkitError('UNEXPECTED', what, message, undefined, { cause: err });
}

function isTlsErrorCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code.includes('CERT') ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'
  );
}
