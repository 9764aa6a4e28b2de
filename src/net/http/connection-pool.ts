// Keep-alive for several URLs in one call: an HTTP/1.1 connection whose response was
// read to its end, and that neither side said it would close, waits here for the next
// request to the same origin. One request at a time on each (no pipelining): a
// connection is either busy with one exchange or idle here. A connection that ends,
// errs or sends a byte while idle is dropped; nothing here prints.
// An HTTP/2 connection is shared instead: every request to its origin is a stream on
// it, several at once with -Z, until it closes or the server sends GOAWAY. While a
// connection that may turn out to be h2 is being opened, other requests to its origin
// wait to learn which (as curl does), rather than each opening one of its own.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TraceFn } from '../shared/trace.js';
import type { TlsInfo } from '../socket/tls.js';
import { headerValue, type BodyFraming, type HeaderList, type ResponseHead } from './parser.js';
import type { ReusedReads } from './open.js';
import { takesAbsoluteForm, type ProxySpec } from '../proxy/config.js';
import type { Http2ClientConnection } from '../http2/connection.js';
import { SockkitError } from '../shared/errors.js';

/** A connection between requests, with what its first request measured about it. */
export interface KeptConnection {
  key: string;
  /** 1, 2, 3 … in the order they were opened (--trace, --json `connection`). */
  id: number;
  socket: Socket | TLSSocket;
  reads: ReusedReads;
  address: string;
  port: number;
  tls: TlsInfo | null;
  /** Requests this connection has carried so far. */
  requests: number;
  /** The proxy it goes through, and whether that proxy takes requests in absolute form. */
  proxy: ProxySpec | null;
  absoluteForm: boolean;
  /** While idle: what drops it when it fails or the server closes it. */
  onIdleError?: () => void;
  onIdleClose?: () => void;
}

/** An HTTP/2 connection every request to its origin shares, a stream each. */
export interface SharedH2 {
  key: string;
  id: number;
  connection: Http2ClientConnection;
  socket: Socket | TLSSocket;
  address: string;
  port: number;
  tls: TlsInfo | null;
  /** Requests sent on it so far. */
  requests: number;
}

/** A request on a kept or shared connection that the server never took up: it may go on a new connection. */
export class StaleConnection extends SockkitError {}

export class ConnectionPool {
  private readonly idle = new Map<string, KeptConnection[]>();
  private readonly shared = new Map<string, SharedH2>();
  /** Every HTTP/2 connection opened, the replaced ones too (streams may still run on them). */
  private readonly allShared: SharedH2[] = [];
  private readonly opening = new Map<string, Promise<void>>();
  private nextId = 1;
  /** Requests sent on a connection that had carried one before. */
  reused = 0;

  /** The run's --trace, unlabelled: lines of a connection, not of one request. */
  constructor(readonly trace: TraceFn) {}

  /** A number for a connection just opened. */
  newId(): number {
    return this.nextId++;
  }

  /** Connections opened so far (each took a number). */
  get opened(): number {
    return this.nextId - 1;
  }

  /** An idle connection to this origin that is still open, or undefined. */
  take(key: string): KeptConnection | undefined {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const kept = list.pop()!;
      if (kept.socket.destroyed || kept.socket.readableEnded || !kept.socket.writable) continue;
      kept.socket.off('error', kept.onIdleError!);
      kept.socket.off('close', kept.onIdleClose!);
      this.reused++;
      return kept;
    }
    return undefined;
  }

  /** Parks a connection whose exchange ended cleanly; it is dropped if it ends or talks while idle. */
  give(connection: KeptConnection): void {
    const list = this.idle.get(connection.key) ?? [];
    this.idle.set(connection.key, list);
    const drop = (why: string) => {
      const at = list.indexOf(kept);
      if (at !== -1) list.splice(at, 1);
      connection.reads.handler = null;
      connection.socket.destroy();
      this.trace('close', `connection #${connection.id} ${why} while idle: dropped`);
    };
    const kept = connection;
    kept.onIdleError = () => drop('failed');
    kept.onIdleClose = () => drop('closed by the server');
    // A byte before we ask is not a response to anything: the connection is unusable.
    connection.reads.handler = () => {
      drop('sent unasked bytes');
      return false;
    };
    connection.socket.on('error', kept.onIdleError);
    connection.socket.on('close', kept.onIdleClose);
    list.push(kept);
  }

  /** The open HTTP/2 connection to this origin that takes new streams, or undefined. */
  sharedH2(key: string): SharedH2 | undefined {
    const shared = this.shared.get(key);
    if (!shared) return undefined;
    if (shared.connection.acceptsRequests) return shared;
    this.shared.delete(key);
    return undefined;
  }

  /** Shares an HTTP/2 connection just opened (its first request is about to go). */
  share(entry: Omit<SharedH2, 'id' | 'requests'>): SharedH2 {
    const shared: SharedH2 = { ...entry, id: this.newId(), requests: 0 };
    this.shared.set(shared.key, shared);
    this.allShared.push(shared);
    return shared;
  }

  /** Counts a request that goes as a new stream on a shared connection. */
  streamOn(shared: SharedH2): void {
    if (shared.requests > 0) this.reused++;
    shared.requests++;
  }

  /**
   * While a connection to this origin that may be HTTP/2 is being opened: what ends that.
   * Callers loop until undefined, and act on the pool in the same turn.
   */
  openingTo(key: string): Promise<void> | undefined {
    return this.opening.get(key);
  }

  /** Marks a connection to this origin as being opened; the function returned ends that (more calls do nothing). */
  beginOpening(key: string): () => void {
    let done!: () => void;
    const pending = new Promise<void>((resolve) => (done = resolve));
    this.opening.set(key, pending);
    return () => {
      if (this.opening.get(key) === pending) this.opening.delete(key);
      done();
    };
  }

  /** Closes every idle connection and every shared one (the end of the run). */
  closeAll(): void {
    for (const shared of this.allShared.splice(0)) {
      if (shared.socket.destroyed) continue; // closed by the server, or failed: said so then
      shared.connection.close();
      this.trace('close', `connection #${shared.id} closed by us (${shared.requests} request${shared.requests === 1 ? '' : 's'})`);
    }
    this.shared.clear();
    for (const list of this.idle.values()) {
      for (const kept of list.splice(0)) {
        kept.socket.off('close', kept.onIdleClose!);
        kept.reads.handler = null;
        kept.socket.destroy();
        this.trace('close', `connection #${kept.id} closed by us (${kept.requests} request${kept.requests === 1 ? '' : 's'})`);
      }
    }
  }
}

/** The pool key of an origin and where it really connects (--connect-to, --resolve, --unix-socket). */
export function originKey(secure: boolean, host: string, port: number, route: string): string {
  return `${secure ? 'https' : 'http'}://${host}:${port} ${route}`;
}

/**
 * The pool key through a proxy. An HTTP proxy takes http requests in absolute form for
 * any origin, so one connection to it serves them all; a tunnel (CONNECT, SOCKS5) goes
 * to one origin. The credentials are part of the key: a connection opened with one
 * user's never carries another's request.
 */
export function proxiedKey(secure: boolean, host: string, port: number, proxy: ProxySpec): string {
  const via = `${proxy.display} ${proxy.user ?? ''}:${proxy.password ?? ''}`;
  const absoluteForm = takesAbsoluteForm(proxy, secure);
  return absoluteForm ? `proxy ${via}` : `${originKey(secure, host, port, '')} via ${via}`;
}

/**
 * Whether the connection may carry another request after this response (RFC 9112 9.3):
 * an HTTP/1.1 response, read to its end, framed by Content-Length or chunked (or with
 * no body), and no `Connection: close` from either side.
 */
export function keepsAlive(head: ResponseHead, framing: BodyFraming, bodyComplete: boolean): boolean {
  if (!bodyComplete || head.httpVersion !== '1.1') return false;
  if (framing.kind !== 'length' && framing.kind !== 'chunked' && framing.kind !== 'none') return false;
  return !saysClose(head.headers);
}

/**
 * Whether a header list's Connection field holds the `close` option: its values are
 * comma-separated tokens, matched whole and in any case (RFC 9110 7.6.1), for the
 * server's response and for a request the user wrote `-H 'Connection: …'` into alike.
 */
export function saysClose(headers: HeaderList): boolean {
  const connection = headerValue(headers, 'connection') ?? '';
  return connection.split(',').some((token) => token.trim().toLowerCase() === 'close');
}
