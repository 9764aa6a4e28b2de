// SOCKS5 (RFC 1928) CONNECT with no authentication or user/password (RFC 1929).
// socks5://: sockkit resolves the name and sends an address; socks5h://: the name
// goes to the proxy (ATYP 3), which resolves it. Encoders and decoders are pure.
import { type Socket } from 'node:net';
import { ipFamily } from '../shared/ip-literal.js';
import { SockkitError, type ErrorCode } from '../shared/errors.js';
import type { TraceFn } from '../shared/trace.js';
import { HandshakeReader } from './reader.js';
import type { ProxySpec } from './config.js';

const VERSION = 0x05;
const METHOD_NONE = 0x00;
const METHOD_USER_PASSWORD = 0x02;
const NO_ACCEPTABLE = 0xff;

/** RFC 1928 §6 reply codes: the name, and the exit code class. */
export const SOCKS5_REPLIES: Record<number, [string, ErrorCode]> = {
  0x01: ['general SOCKS server failure', 'PROTOCOL'],
  0x02: ['connection not allowed by ruleset', 'PROTOCOL'],
  0x03: ['network unreachable', 'UNREACHABLE'],
  0x04: ['host unreachable', 'UNREACHABLE'],
  0x05: ['connection refused', 'UNREACHABLE'],
  0x06: ['TTL expired', 'UNREACHABLE'],
  0x07: ['command not supported', 'PROTOCOL'],
  0x08: ['address type not supported', 'PROTOCOL'],
};

/** The greeting: the methods we offer (user/password only when we have credentials). */
export function greeting(withCredentials: boolean): Buffer {
  return withCredentials ? Buffer.from([VERSION, 2, METHOD_NONE, METHOD_USER_PASSWORD]) : Buffer.from([VERSION, 1, METHOD_NONE]);
}

/** RFC 1929: VER=1, ULEN, UNAME, PLEN, PASSWD (each 1-255 bytes). */
export function userPasswordRequest(user: string, password: string): Buffer {
  const u = Buffer.from(user, 'utf8');
  const p = Buffer.from(password, 'utf8');
  if (u.length < 1 || u.length > 255 || p.length > 255) throw new SockkitError('USAGE', 'SOCKS5 credentials', 'user and password must be 1-255 bytes each');
  return Buffer.concat([Buffer.from([0x01, u.length]), u, Buffer.from([p.length]), p]);
}

/** CONNECT to host:port: an IPv4/IPv6 address (ATYP 1/4) or a domain name (ATYP 3). */
export function connectRequest(host: string, port: number): Buffer {
  const family = ipFamily(host);
  let address: Buffer;
  if (family === 4) address = Buffer.from([0x01, ...host.split('.').map(Number)]);
  else if (family === 6) address = Buffer.concat([Buffer.from([0x04]), ipv6Bytes(host)]);
  else {
    const name = Buffer.from(host, 'ascii');
    if (name.length > 255) throw new SockkitError('USAGE', 'SOCKS5 CONNECT', 'the host name is longer than 255 bytes');
    address = Buffer.concat([Buffer.from([0x03, name.length]), name]);
  }
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(port);
  return Buffer.concat([Buffer.from([VERSION, 0x01, 0x00]), address, portBytes]);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const parse = (s: string | undefined) => (s ? s.split(':').filter((x) => x !== '') : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Length of the whole CONNECT reply once its first 5 bytes say how long the bound address is. */
export function replyLength(buffered: Buffer): number | undefined {
  if (buffered.length < 5) return undefined;
  const atyp = buffered[3];
  const addressLength = atyp === 0x01 ? 4 : atyp === 0x04 ? 16 : atyp === 0x03 ? 1 + buffered[4]! : -1;
  if (addressLength < 0) throw new SockkitError('PROTOCOL', 'SOCKS5 reply', `unknown address type ${atyp}`);
  const total = 4 + addressLength + 2;
  return buffered.length >= total ? total : undefined;
}

/** Checks a CONNECT reply: version 5 and success, or the error its reply code names. */
export function checkReply(reply: Buffer, what: string): void {
  if (reply[0] !== VERSION) throw new SockkitError('PROTOCOL', what, `not a SOCKS5 reply (version ${reply[0]})`);
  const code = reply[1]!;
  if (code === 0x00) return;
  const [name, errorCode] = SOCKS5_REPLIES[code] ?? [`unknown reply code ${code}`, 'PROTOCOL' as ErrorCode];
  throw new SockkitError(errorCode, what, `the SOCKS5 proxy answered: ${name} (0x${code.toString(16).padStart(2, '0')})`);
}

/** Runs the SOCKS5 handshake on `socket` (connected to the proxy, no onread); resolves once the proxy connected. */
export async function socks5Connect(
  socket: Socket,
  host: string,
  port: number,
  proxy: ProxySpec,
  options: { timeoutMs: number; trace: TraceFn; timeoutHint: string },
): Promise<void> {
  const what = `SOCKS5 CONNECT ${ipFamily(host) === 6 ? `[${host}]` : host}:${port} via ${proxy.display}`;
  const reader = new HandshakeReader(socket, what, options.timeoutMs, options.timeoutHint);
  const withCredentials = proxy.user !== undefined;
  socket.write(greeting(withCredentials));
  options.trace('proxy', `SOCKS5 greeting: methods ${withCredentials ? 'none, user/password' : 'none'}`);
  const choice = await reader.readExactly(2);
  if (choice[0] !== VERSION) throw new SockkitError('PROTOCOL', what, `not a SOCKS5 proxy (version ${choice[0]} in its answer)`);
  if (choice[1] === NO_ACCEPTABLE || (choice[1] === METHOD_USER_PASSWORD && !withCredentials) || (choice[1] !== METHOD_NONE && choice[1] !== METHOD_USER_PASSWORD)) {
    throw new SockkitError('PROTOCOL', what, 'proxy needs authentication (no acceptable method)', 'put the credentials in the proxy URL: socks5://USER:PASSWORD@HOST:PORT');
  }
  if (choice[1] === METHOD_USER_PASSWORD) {
    options.trace('proxy', `SOCKS5 method: user/password as ${proxy.user}`);
    socket.write(userPasswordRequest(proxy.user!, proxy.password ?? ''));
    const status = await reader.readExactly(2);
    if (status[1] !== 0x00) throw new SockkitError('PROTOCOL', what, 'proxy needs authentication: the user/password was refused');
    options.trace('proxy', 'SOCKS5 user/password accepted');
  } else {
    options.trace('proxy', 'SOCKS5 method: no authentication');
  }
  socket.write(connectRequest(host, port));
  options.trace('proxy', `SOCKS5 CONNECT ${ipFamily(host) ? 'address' : 'name'} ${host} port ${port}`);
  const reply = await reader.read(replyLength);
  checkReply(reply, what);
  options.trace('proxy', 'SOCKS5 succeeded: tunnel open');
  reader.finish();
}
