// An HTTP proxy (RFC 9110 9.3.6): a CONNECT tunnel for https URLs; for http URLs the
// request itself goes to the proxy in absolute form (url.ts's buildRequest). Basic
// credentials from the proxy URL go in Proxy-Authorization.
import type { Socket } from 'node:net';
import { SockkitError } from '../shared/errors.js';
import type { TraceFn } from '../shared/trace.js';
import { HandshakeReader } from './reader.js';
import type { ProxySpec } from './config.js';

const MAX_REPLY_HEAD = 16 * 1024;

/** Proxy-Authorization for a proxy URL with user:password, or undefined. */
export function proxyAuthorization(proxy: ProxySpec): string | undefined {
  if (proxy.user === undefined) return undefined;
  return `Basic ${Buffer.from(`${proxy.user}:${proxy.password ?? ''}`).toString('base64')}`;
}

/** The CONNECT request for host:port (IPv6 bracketed). */
export function connectRequest(authority: string, proxy: ProxySpec, userAgent: string): Buffer {
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`, `User-Agent: ${userAgent}`];
  const auth = proxyAuthorization(proxy);
  if (auth) lines.push(`Proxy-Authorization: ${auth}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

/** Length of a complete reply head (through the blank line), or undefined while it is incomplete. */
export function replyHeadLength(buffered: Buffer): number | undefined {
  const end = buffered.indexOf('\r\n\r\n');
  if (end !== -1) return end + 4;
  if (buffered.length > MAX_REPLY_HEAD) throw new SockkitError('PROTOCOL', 'proxy CONNECT', `no end of the reply head in ${MAX_REPLY_HEAD} bytes`);
  return undefined;
}

/** The status of a CONNECT reply, or the error its refusal is. */
export function checkConnectReply(head: Buffer, what: string, sentCredentials = false): void {
  const statusLine = head.toString('latin1').split('\r\n', 1)[0]!;
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) throw new SockkitError('PROTOCOL', what, `not an HTTP reply: ${JSON.stringify(statusLine.slice(0, 60))}`);
  const status = Number(m[1]);
  if (status >= 200 && status < 300) return;
  // A CONNECT reaches no origin: even a 401 (tinyproxy's answer to wrong credentials) is the proxy's.
  const refusal = proxyAuthRefusal(status, m[2] ?? '', what, sentCredentials);
  if (refusal) throw refusal;
  throw new SockkitError('PROTOCOL', what, `the proxy refused the tunnel: ${status}${m[2] ? ` ${m[2]}` : ''}`);
}

/**
 * The error for a proxy's authentication refusal: 407 always (RFC 9110 15.5.8); 401 when
 * only the proxy can have sent it (a CONNECT reply). Null for any other status.
 */
export function proxyAuthRefusal(status: number, reason: string, what: string, sentCredentials: boolean, allow401 = true): SockkitError | null {
  if (status !== 407 && !(status === 401 && allow401)) return null;
  const answer = `${status}${reason ? ` ${reason}` : ''}`;
  return sentCredentials
    ? new SockkitError('PROTOCOL', what, `proxy needs authentication: it refused the credentials (${answer})`, 'check the user and password in the proxy URL; percent-encode @ : % in them')
    : new SockkitError('PROTOCOL', what, `proxy needs authentication (${answer})`, 'put the credentials in the proxy URL: http://USER:PASSWORD@HOST:PORT');
}

/** Opens a tunnel to authority through the proxy on `socket` (connected, no onread); resolves once the proxy said 2xx. */
export async function httpConnectTunnel(
  socket: Socket,
  authority: string,
  proxy: ProxySpec,
  options: { userAgent: string; timeoutMs: number; trace: TraceFn; timeoutHint: string; onHandshake?: (lines: string) => void },
): Promise<void> {
  const what = `proxy CONNECT ${authority} via ${proxy.display}`;
  const reader = new HandshakeReader(socket, what, options.timeoutMs, options.timeoutHint);
  const request = connectRequest(authority, proxy, options.userAgent);
  socket.write(request);
  const shown = request.toString('latin1').replace(/(Proxy-Authorization: Basic )\S+/, '$1***');
  options.trace('proxy', `send ${shown.trimEnd().split('\r\n')[0]}${proxy.user !== undefined ? ' (with Proxy-Authorization)' : ''}`);
  options.onHandshake?.(shown);
  const head = await reader.read(replyHeadLength);
  options.trace('proxy', `recv ${head.toString('latin1').split('\r\n', 1)[0]}`);
  options.onHandshake?.(head.toString('latin1'));
  checkConnectReply(head, what, proxy.user !== undefined);
  reader.finish();
}
