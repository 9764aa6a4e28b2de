// An https:// proxy: TLS to the proxy itself on the TCP connection to it, checked
// against the proxy's name with its own trust (--proxy-cacert, --proxy-insecure),
// apart from the origin's (--cacert, -k). The CONNECT or the absolute-form request then
// goes inside it, and for an https origin a second TLS runs inside the first.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { secureContextFor, tlsHandshake, tlsOverSocket, type TlsInfo } from '../socket/tls.js';
import { SockkitError, toSockkitError } from '../shared/errors.js';
import type { TraceFn } from '../shared/trace.js';
import type { ProxySpec } from './config.js';

export interface ProxyTlsOptions {
  /** --proxy-cacert: PEM CAs for the proxy's certificate; Node's default trust otherwise. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** --proxy-insecure: complete the handshake whatever the proxy's certificate says. */
  insecure: boolean;
  timeoutMs: number;
  timeoutHint: string;
}

/** TLS with the proxy on `tcp` (connected to it); resolves with the TLS socket once the handshake is done. */
export async function tlsToProxy(tcp: Socket, proxy: ProxySpec, options: ProxyTlsOptions, trace: TraceFn): Promise<{ socket: TLSSocket; info: TlsInfo }> {
  // We speak HTTP/1.1 to the proxy (CONNECT or absolute form) whatever goes inside.
  const socket = tlsOverSocket(tcp, trace, { host: proxy.host, alpn: ['http/1.1'], secureContext: secureContextFor(options.ca), insecure: options.insecure }, ' to the proxy');
  try {
    const info = await tlsHandshake(socket, proxy.host, options.timeoutMs, trace, options.timeoutHint);
    return { socket, info };
  } catch (err) {
    socket.destroy();
    const failure = toSockkitError(err, 'TLS');
    throw new SockkitError(failure.code, `TLS handshake with the proxy ${proxy.display}`, failure.why, proxyHint(failure.hint), { cause: err });
  }
}

/** The origin's flags and URL in a hint become the proxy's. */
function proxyHint(hint: string | undefined): string | undefined {
  return hint?.replace('--cacert', '--proxy-cacert').replace(/(^|[ ,(])-k\b/, '$1--proxy-insecure').replace('an http:// URL', 'an http:// proxy URL');
}

/** One line for -v/--trace: what the TLS with the proxy negotiated and the certificate's verdict. */
export function describeProxyTls(info: TlsInfo): string {
  const verdict = info.verified ? 'verified' : `NOT verified (${info.verifyError ?? 'unknown'}; --proxy-insecure)`;
  return `TLS with the proxy: ${info.protocol ?? '?'} ${info.cipher ?? '?'}, certificate ${info.peerSubject ?? '?'} ${verdict}`;
}
