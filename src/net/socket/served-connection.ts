// The life of one accepted TCP connection, the same for echo-server and for
// threaded-server's workers: a socket error ends only this connection, an idle
// timeout, our FIN followed by reading (and dropping) until the client closes, a
// graceful drain when the server stops, a cut at the stop's deadline, and one close
// record with one vocabulary of reasons. What flows over the connection (echo,
// upper-case, a reply) is the handler's business; it tells the core how to stop
// reading (`onStop`) so that a drain can end the connection between messages.
import type { Socket } from 'node:net';
import { formatHostPort } from '../shared/address.js';
import { tracing, type TraceFn } from '../shared/trace.js';
import type { ServerTlsInfo } from './tls-server.js';

export interface ConnectionLimits {
  /** Close a connection after this many ms without traffic either way (0: never). */
  idleTimeoutMs: number;
  /** Once we have ended our side, how long the client has to close its own. */
  lingerMs: number;
  /** While draining: a connection with no input for this long and nothing left to send is ended. */
  quietMs: number;
}

export const DEFAULT_LINGER_MS = 2000;
export const DEFAULT_QUIET_MS = 250;

/**
 * Why a connection ended, in the words both servers print:
 * - closed: the client closed, everything was sent
 * - reset: the client reset the connection or vanished (ECONNRESET, EPIPE)
 * - error: another socket error (its code is in `error`)
 * - idle-timeout: no traffic for --idle-timeout
 * - max-bytes: echo-server's --max-bytes was reached; the server sent FIN
 * - drained: the server was stopping; ended once the client was quiet and its data flushed
 * - cut: the stop's deadline passed with the connection still busy
 * - tls-handshake: the TLS handshake failed, timed out or was abandoned (OpenSSL's reason in `error`)
 */
export type CloseReason = 'closed' | 'reset' | 'error' | 'idle-timeout' | 'max-bytes' | 'drained' | 'cut' | 'tls-handshake';

export interface ConnectionRecord {
  id: number;
  remoteAddress: string;
  remotePort: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  reason: CloseReason;
  /** The socket error behind 'reset' / 'error', e.g. ECONNRESET. */
  error?: string;
  /** The client half-closed (sent FIN) before the connection ended. */
  halfClosed: boolean;
}

export class ServedConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Settles when the socket has closed; never rejects. */
  readonly done: Promise<ConnectionRecord>;
  private reason: CloseReason | undefined;
  private error: string | undefined;
  private halfClosed = false;
  private stopInput: () => void = () => {};
  private stopWatching: (() => void) | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** A TLS connection before its 'secure' event: failures are handshake failures. */
  private handshaking = false;

  constructor(
    readonly socket: Socket,
    readonly id: number,
    private readonly limits: ConnectionLimits,
    private readonly trace: TraceFn,
    /** When the connection was accepted (performance.now()), if before this object. */
    private readonly startedAt = performance.now(),
  ) {
    // A Unix-domain peer has no address: ''.
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    // A client must never take the server down: every socket error ends only this socket.
    socket.on('error', (err: NodeJS.ErrnoException & { reason?: string }) => {
      if (this.handshaking) {
        this.reason ??= 'tls-handshake';
        // OpenSSL's reason by name ("no shared cipher", "tlsv1 alert unknown ca"), else the code.
        this.error ??= typeof err.reason === 'string' && err.reason !== '' ? err.reason : (err.code ?? err.message);
        return;
      }
      this.error ??= err.code ?? err.message;
      this.reason ??= err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'error';
    });
    socket.on('end', () => {
      this.halfClosed = true;
      if (tracing(trace)) trace('half-close', `${this.peer} #${id} sent FIN; the rest goes back, then our FIN`);
    });
    if (limits.idleTimeoutMs > 0) {
      socket.setTimeout(limits.idleTimeoutMs, () => {
        this.reason ??= 'idle-timeout';
        trace('timeout', `${this.peer} #${id} idle for ${limits.idleTimeoutMs} ms, closing`);
        socket.destroy();
      });
    }
    // After our FIN, a client that never sends its own must not hold the socket forever.
    socket.once('finish', () => this.startLinger());
    this.done = new Promise((resolve) => socket.once('close', () => resolve(this.closed())));
  }

  get peer(): string {
    return peerText(this.remoteAddress, this.remotePort);
  }

  /**
   * The socket is a server TLSSocket whose handshake has begun: until its 'secure'
   * event, an error, a close or `timeoutMs` passing (undefined: the idle timeout
   * bounds it) ends the connection as 'tls-handshake'. A client that stalls in the
   * handshake holds only itself.
   */
  expectHandshake(timeoutMs: number | undefined): void {
    this.handshaking = true;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            this.reason ??= 'tls-handshake';
            this.error ??= `no handshake within ${timeoutMs} ms`;
            this.socket.destroy();
          }, timeoutMs).unref();
    this.socket.once('secure', () => {
      this.handshaking = false;
      clearTimeout(timer);
    });
    this.socket.once('close', () => clearTimeout(timer));
  }

  /** The handler's way to stop reading new input (what it already read still goes out). */
  onStop(stopInput: () => void): void {
    this.stopInput = stopInput;
  }

  /**
   * Ends the connection from our side: stop reading new input, send FIN after what
   * was written, then keep reading and dropping until the client closes too, since
   * closing a socket with unread input makes the kernel send RST and discard the
   * data still queued for the client.
   */
  finish(reason: CloseReason): void {
    this.reason ??= reason;
    if (tracing(this.trace)) this.trace('end', `${this.peer} #${this.id}: ${reason}, sending FIN`);
    this.stopInput();
    this.stopInput = () => {};
    this.socket.end();
    this.socket.resume();
    this.startLinger();
  }

  /**
   * Server stop: keep serving until the client goes quiet with everything flushed (or
   * half-closes and gets the rest), then end. Whatever the kernel had received from
   * the client before the stop is read and answered first (see whenSettled).
   */
  drain(): void {
    if (this.socket.destroyed || this.stopWatching || this.reason !== undefined) return;
    this.stopWatching = whenSettled(this.socket, this.limits.quietMs, () => {
      if (this.socket.writableEnded) return; // ending by itself (half-close, a reply sent)
      this.finish('drained');
    });
  }

  /**
   * The stop's deadline: close now. Returns whether it counts as cut: not when
   * everything was already handed to the kernel with our FIN (then the client only
   * has to read it).
   */
  cut(): boolean {
    if (this.socket.destroyed) return false;
    const flushed = this.socket.writableFinished;
    if (!flushed && (this.reason === undefined || this.reason === 'drained')) this.reason = 'cut';
    this.socket.destroy();
    return !flushed;
  }

  private startLinger(): void {
    if (this.lingerTimer) return;
    this.lingerTimer = setTimeout(() => this.socket.destroy(), this.limits.lingerMs);
    this.lingerTimer.unref();
  }

  private closed(): ConnectionRecord {
    this.stopWatching?.();
    clearTimeout(this.lingerTimer);
    const record: ConnectionRecord = {
      id: this.id,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      bytesIn: this.socket.bytesRead,
      bytesOut: this.socket.bytesWritten,
      durationMs: Math.round((performance.now() - this.startedAt) * 1000) / 1000,
      reason: this.reason ?? (this.handshaking ? 'tls-handshake' : 'closed'),
      halfClosed: this.halfClosed,
    };
    if (this.reason === undefined && this.handshaking) this.error ??= 'closed before the handshake completed';
    if (this.error !== undefined) record.error = this.error;
    if (tracing(this.trace)) this.trace('close', `${this.peer} #${this.id}: recv ${record.bytesIn} bytes, send ${record.bytesOut} bytes, ${record.reason}`);
    return record;
  }
}

/** `127.0.0.1:5000`, or `unix peer` for a Unix-domain connection (no address). */
export function peerText(address: string, port: number): string {
  return address === '' ? 'unix peer' : formatHostPort(address, port);
}

/**
 * Writes a chunk read from `socket` back to it with pipe()'s flow control: when the
 * write side is over its high-water mark, reading pauses until it drains.
 */
export function writeBack(socket: Socket, chunk: Buffer): void {
  if (!socket.write(chunk)) {
    socket.pause();
    socket.once('drain', () => socket.resume());
  }
}

/**
 * Calls `onSettled` once a connection has nothing of the client's left in flight: it
 * is reading (not paused by backpressure), nothing is buffered to write, and no byte
 * arrived between two samples `quietMs` apart. Samples run in the check phase
 * (setImmediate), right after a poll phase, so a socket that was reading at the first
 * sample has been polled before the second: bytes the kernel had already received
 * when the watch began are read, and echoed, before it can settle. A fixed-interval
 * timer alone is not enough: after a long backpressure pause, the timer can fire
 * between the 'drain' that restarts reading and the poll that would read.
 * Returns a function that stops watching.
 */
export function whenSettled(socket: Socket, quietMs: number, onSettled: () => void): () => void {
  let quietSince = -1; // bytesRead at the last idle sample; -1: the last sample was busy
  const sample = () => {
    if (socket.destroyed) return stop();
    const idle = socket.readableFlowing === true && socket.writableLength === 0;
    if (idle && socket.bytesRead === quietSince) {
      stop();
      onSettled();
      return;
    }
    quietSince = idle ? socket.bytesRead : -1;
  };
  let pending: NodeJS.Immediate | undefined = setImmediate(sample);
  const timer = setInterval(() => {
    pending = setImmediate(sample);
  }, quietMs);
  timer.unref();
  function stop(): void {
    clearInterval(timer);
    if (pending) clearImmediate(pending);
  }
  return stop;
}

/** Default bound on a server-side handshake when no --idle-timeout is shorter. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** TLS for accepted connections (tls-server.ts's tlsServerConfig builds one). */
export interface ServerTls {
  /** A server TLSSocket over the raw one; its handshake starts at once. */
  wrap(raw: Socket): Socket;
  describe(socket: Socket, handshakeMs: number): ServerTlsInfo;
}

export interface AcceptOptions {
  id: number;
  limits: ConnectionLimits;
  trace: TraceFn;
  /** Absent: plain TCP. */
  tls?: ServerTls;
  /** After a completed handshake, with what it negotiated. */
  onSecure: (connection: ServedConnection, info: ServerTlsInfo) => void;
}

/**
 * An accepted TCP socket as a served connection, in TLS when configured: the
 * connection core then counts a failed, stalled or abandoned handshake as
 * 'tls-handshake', and `onSecure` hears what a completed one negotiated.
 */
export function acceptConnection(raw: Socket, options: AcceptOptions): ServedConnection {
  if (!options.tls) return new ServedConnection(raw, options.id, options.limits, options.trace);
  const startedAt = performance.now();
  // The TLSSocket takes over the raw socket's handle; a late error on the raw object
  // must still have a listener, or it would take the server down.
  raw.on('error', () => {});
  const socket = options.tls.wrap(raw);
  const connection = new ServedConnection(socket, options.id, options.limits, options.trace, startedAt);
  // A stalled handshake is idle: a shorter --idle-timeout ends it as idle-timeout.
  const idle = options.limits.idleTimeoutMs;
  connection.expectHandshake(idle > 0 && idle <= HANDSHAKE_TIMEOUT_MS ? undefined : HANDSHAKE_TIMEOUT_MS);
  socket.once('secure', () => {
    const info = options.tls!.describe(socket, performance.now() - startedAt);
    if (tracing(options.trace)) {
      options.trace('tls', `${connection.peer} #${options.id} ${info.version} ${info.cipher} ALPN=${info.alpn ?? 'none'} SNI=${info.sni ?? 'none'} in ${info.handshakeMs} ms`);
    }
    options.onSecure(connection, info);
  });
  return connection;
}
