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
   * What the command had measured before it failed (timings, the target, who holds a
   * port): --json prints it beside the error (src/output/errors.ts). Set with withMeasured().
   */
  measured?: Record<string, unknown>;
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

/** Attaches what was measured before the failure to `err` (a SockkitError, or any error, wrapped); returns it. */
export function withMeasured(err: unknown, measured: Record<string, unknown>, what = 'unexpected error'): SockkitError {
  const failure = toSockkitError(err, what);
  failure.measured = { ...measured, ...failure.measured };
  return failure;
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

/** `2 s`, `0.5 s`: a budget in ms as the messages say it. */
export function formatSeconds(ms: number): string {
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
    if (isTlsErrorCode(errno)) return tlsError(err, what);
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

const TRUST_HINT = 'trust its CA with --cacert FILE, or skip the check with -k';

/** Certificate verdicts (OpenSSL X509_V_ERR names, as Node reports them): a reason and a hint that fits. */
const CERTIFICATE_ERRORS: Record<string, [string, string]> = {
  CERT_HAS_EXPIRED: ['the certificate has expired', "the server must renew it (or this machine's clock is wrong); -k skips the check"],
  CERT_NOT_YET_VALID: ['the certificate is not valid yet', "check this machine's clock; -k skips the check"],
  DEPTH_ZERO_SELF_SIGNED_CERT: ['self-signed certificate', TRUST_HINT],
  SELF_SIGNED_CERT_IN_CHAIN: ['self-signed certificate in the chain', TRUST_HINT],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ['unable to verify the first certificate', TRUST_HINT],
  UNABLE_TO_GET_ISSUER_CERT: ['the issuer certificate is unknown', TRUST_HINT],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: ['the issuer certificate is unknown', TRUST_HINT],
  CERT_UNTRUSTED: ['the certificate is not trusted', TRUST_HINT],
  CERT_REVOKED: ['the certificate has been revoked', 'the server must replace it; -k skips the check'],
  CERT_SIGNATURE_FAILURE: ['the certificate signature does not verify', 'the certificate is damaged or forged; -k skips the check'],
};

/** Hints for the TLS alerts a server ends a handshake with (RFC 8446 6.2 names). */
const ALERT_HINTS: Record<string, string> = {
  'handshake failure': 'no TLS version or cipher suite in common with the server',
  'protocol version': 'no TLS version in common with the server',
  'certificate required': 'the server asks for a client certificate, which sockkit does not send',
  'insufficient security': 'the server wants stronger ciphers than were offered',
};

/**
 * A TLS failure as one readable line. Certificate verdicts get a reason and a hint of
 * their own (an expired certificate or a wrong name is not fixed by --cacert); an
 * OpenSSL error, whose text carries a hex address and a source path
 * (`80BC…:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate
 * required:../deps/openssl/…/rec_layer_s3.c:1601:SSL alert number 116`), is reduced to
 * what it means, with OpenSSL's short reason name in parentheses.
 */
export function tlsError(err: unknown, what: string): SockkitError {
  const e = err as (NodeJS.ErrnoException & { reason?: unknown; host?: unknown; cert?: { subjectaltname?: unknown; subject?: { CN?: unknown } } }) | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const make = (why: string, hint?: string) => new SockkitError('TLS', what, why, hint, { cause: err });
  const certificate = CERTIFICATE_ERRORS[code];
  if (certificate) return make(...certificate);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = String(e?.cert?.subjectaltname ?? (e?.cert?.subject?.CN !== undefined ? `CN=${String(e.cert.subject.CN)}` : '')).trim();
    const host = typeof e?.host === 'string' ? e.host : 'this host';
    return make(
      `the certificate is not for ${host}${names ? ` (it names ${truncateMiddle(names, 120)})` : ''}`,
      'use a URL with a name the certificate lists, or skip the check with -k',
    );
  }
  const reason = openSslReason(e);
  if (reason !== undefined) {
    const alert = /\balert (.+)$/.exec(reason);
    if (alert) return make(`the server ended the handshake with the alert "${alert[1]}" (${reason})`, ALERT_HINTS[alert[1]!]);
    if (reason === 'unsupported protocol' || reason === 'no protocols available') return make(`no TLS version in common with the server (${reason})`);
    if (reason === 'certificate verify failed') return make(`the certificate could not be verified (${reason})`, TRUST_HINT);
    return make(`TLS failure (${reason})`);
  }
  const message = e instanceof Error ? e.message : String(err);
  return make(firstLine(message) || code || 'TLS failure', /CERT/.test(code) ? 'skip the check with -k' : undefined);
}

/** OpenSSL's short reason ("tlsv13 alert certificate required"): Node's `reason`, or read from the message. */
function openSslReason(e: { reason?: unknown; message?: unknown } | undefined): string | undefined {
  if (typeof e?.reason === 'string' && e.reason !== '') return e.reason;
  // <address>:error:<hex code>:<library>:<function>:<reason>:<file>:<line>:<data>
  const m = /(?:^|\s)[0-9A-Fa-f]*:error:[0-9A-Fa-f]{8}:[^:]*:[^:]*:([^:\n]+)/.exec(typeof e?.message === 'string' ? e.message : '');
  return m ? m[1]!.trim() : undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** `text` at most `max` characters, cut in the middle with … (the start and the end say most). */
export function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) * 0.6);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}
