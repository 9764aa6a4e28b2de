// What the resolver needs of a way to reach a DNS server: send a question, get back a
// validated reply or a typed error. UDP with TCP fallback (client.ts), TCP or TLS
// connections carrying many queries (stream.ts), and any later one (DoH) plug in here;
// resolve.ts knows nothing of sockets.
import type { SockkitError } from '../shared/errors.js';
import type { DnsMessage } from './packet.js';
import type { TlsInfo } from '../socket/tls.js';
import type { TransferResult } from './axfr.js';
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { TraceFn } from '../shared/trace.js';
import { monotonicMs } from '../shared/deadline.js';
import { connectFirst, connectTo, type ConnectOptions } from '../socket/connect.js';

export type TransportName = 'udp' | 'tcp' | 'tls' | 'https';

export interface DnsReply {
  message: DnsMessage;
  transport: TransportName;
  /** The reply as received (without a TCP length prefix): decoded again in full for --json and -v. */
  raw: Buffer;
  /** DNS over TLS: what the handshake of the connection it came on negotiated. */
  tls?: TlsInfo;
}

/** How a query ends: with a validated reply (any RCODE), or with a SockkitError. */
export type ReplyCallback = (err: SockkitError | undefined, reply?: DnsReply) => void;

export interface DnsTransport {
  /** `127.0.0.1:53`, `tls://dns.example@[::1]:853`: what result rows show as the server. */
  readonly label: string;
  /** Gets ready (a socket, a connection); never rejects: questions asked afterwards fail with the reason. */
  open(): Promise<void>;
  /** Asks one question; `done` is called exactly once, never synchronously. */
  ask(name: string, type: number, timeoutMs: number, done: ReplyCallback): void;
  /** Fails every question in flight (Ctrl-C). */
  cancelAll(reason: SockkitError): void;
  /** A zone transfer (AXFR) on a connection of its own, where the transport can make one. */
  transfer?(zone: string, timeoutMs: number, maxRecords: number): Promise<TransferResult>;
  /** Releases everything; call once every question has settled. */
  close(): Promise<void>;
}

/** How every query of a run is written and what its replies must also satisfy. */
export interface QuerySpec {
  encode: (id: number, name: string, type: number) => Buffer;
  /** The class asked (the reply's question must echo it). */
  qclass: number;
  /** A further check of an otherwise valid reply (an echoed cookie): why it is not ours, or undefined. */
  check?: (message: DnsMessage) => string | undefined;
}

/**
 * How long a stream transport (TCP, TLS, HTTPS) may take to open a connection for the
 * questions waiting for one: until the latest of their deadlines (at least 1 ms); null
 * when none waits.
 */
export function budgetForWaiting(pending: Iterable<{ sentOn?: unknown; deadline: number }>, nowMs: number): number | null {
  let latest = -Infinity;
  for (const query of pending) if (!query.sentOn && query.deadline > latest) latest = query.deadline;
  return latest === -Infinity ? null : Math.max(1, latest - nowMs);
}

/** Where a stream transport (TCP, TLS, HTTPS) connects. */
export interface StreamServer {
  /** An IP literal: the one given, or the first its name resolved to (result rows name the one connected to). */
  host: string;
  port: number;
  /** Every address a server given by name resolved to, tried in turn by Happy Eyeballs. */
  addresses?: readonly string[];
}

/**
 * A connection to the server (TCP, or what `open` opens on it), and the address it
 * reached: over every address its name resolved to by Happy Eyeballs (socket/connect.ts:
 * IPv6 and IPv4 interleaved, the next attempt when one fails or after 250 ms), as
 * http-get does; or to its one address.
 */
export async function connectServer(server: StreamServer, options: Omit<ConnectOptions, 'port'>): Promise<{ socket: Socket; address: string }> {
  const addresses = server.addresses ?? [];
  const withPort = { ...options, port: server.port };
  if (addresses.length <= 1) return { socket: await connectTo(server.host, withPort), address: server.host };
  return connectFirst(addresses, withPort);
}

/**
 * DoT and DoH: connectServer, then the TLS handshake with `alpn`, the certificate checked
 * against `name`, all within `budgetMs`. `reached` hears the address before the handshake
 * (errors name it); a failed handshake destroys the socket. node:tls loads here, when used.
 */
export async function connectServerTls(
  server: StreamServer,
  tls: { name: string; insecure?: boolean; secureContext: SecureContext; alpn: string[] },
  budgetMs: number,
  trace: TraceFn,
  reached: (address: string) => void,
): Promise<{ socket: TLSSocket; info: TlsInfo; handshakeMs: number }> {
  const { tlsHandshake, tlsOpener } = await import('../socket/tls.js');
  const started = monotonicMs();
  const open = tlsOpener({ port: server.port, trace }, { host: tls.name, alpn: tls.alpn, secureContext: tls.secureContext, insecure: tls.insecure });
  const { socket, address } = await connectServer(server, { timeoutMs: budgetMs, trace, open });
  reached(address);
  try {
    const info = await tlsHandshake(socket as TLSSocket, tls.name, Math.max(1, budgetMs - (monotonicMs() - started)), trace);
    return { socket: socket as TLSSocket, info, handshakeMs: monotonicMs() - started };
  } catch (err) {
    socket.destroy();
    throw err;
  }
}
