// Keep-alive for several URLs in one call: an HTTP/1.1 connection whose response was
// read to its end, and that neither side said it would close, waits here for the next
// request to the same origin. One request at a time on each (no pipelining): a
// connection is either busy with one exchange or idle here. A connection that ends,
// errs or sends a byte while idle is dropped; nothing here prints.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TraceFn } from '../shared/trace.js';
import type { TlsInfo } from '../socket/tls.js';
import type { ConnectAttempt } from '../socket/connect.js';
import { headerValue, type BodyFraming, type ResponseHead } from './parser.js';
import type { ReusedReads } from './open.js';

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
  attempts: ConnectAttempt[];
  /** Requests this connection has carried so far. */
  requests: number;
  /** While idle: what drops it when it fails or the server closes it. */
  onIdleError?: () => void;
  onIdleClose?: () => void;
}

export class ConnectionPool {
  private readonly idle = new Map<string, KeptConnection[]>();
  private nextId = 1;
  /** Connections opened and requests sent on a connection that had carried one before. */
  opened = 0;
  reused = 0;

  constructor(private readonly trace: TraceFn) {}

  /** A number for a connection just opened. */
  newId(): number {
    this.opened++;
    return this.nextId++;
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

  /** Closes every idle connection (the end of the run). */
  closeAll(): void {
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
 * Whether the connection may carry another request after this response (RFC 9112 9.3):
 * an HTTP/1.1 response, read to its end, framed by Content-Length or chunked (or with
 * no body), and no `Connection: close` from either side.
 */
export function keepsAlive(head: ResponseHead, framing: BodyFraming, bodyComplete: boolean): boolean {
  if (!bodyComplete || head.httpVersion !== '1.1') return false;
  if (framing.kind !== 'length' && framing.kind !== 'chunked' && framing.kind !== 'none') return false;
  const connection = headerValue(head.headers, 'connection') ?? '';
  return !connection.split(',').some((token) => token.trim().toLowerCase() === 'close');
}
