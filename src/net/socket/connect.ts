// The one way sockkit opens a TCP connection (TLS on top of it is tls.ts): each address
// in turn inside one deadline, an AbortSignal, --trace steps, and typed errors.
import { connect as netConnect, isIP, type OnReadOpts, type Socket } from 'node:net';
import { SockkitError, timeoutError, toSockkitError, formatSeconds } from '../shared/errors.js';
import { formatHostPort } from '../shared/address.js';
import type { TraceFn } from '../shared/trace.js';


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
  /**
   * Opens the socket instead of a plain TCP one: tls.ts's tlsOpener() for TLS, whose
   * handshake starts once TCP is up. TLS lives in its own module so that a command
   * that never speaks it does not load node:tls (about 4 ms of start-up).
   */
  open?: (address: string) => Socket;
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

/** One TCP connection (or what `open` opens), resolved once TCP is up. TCP_NODELAY is set. */
export function connectTo(address: string, options: ConnectOptions): Promise<Socket> {
  options.trace('socket', `tcp${isIP(address) === 6 ? 6 : 4} stream`);
  const open = options.open
    ? () => options.open!(address)
    : () => netConnect({ host: address, port: options.port, onread: options.onread, allowHalfOpen: options.allowHalfOpen, noDelay: true });
  return openWithin(formatHostPort(address, options.port), open, options);
}

/** A Unix-domain stream connection to `path` (NUL first for an abstract name), or what `open` opens there. */
export function connectPath(path: string, display: string, options: Omit<ConnectOptions, 'port'>): Promise<Socket> {
  options.trace('socket', 'unix stream');
  const open = options.open ? () => options.open!(path) : () => netConnect({ path, onread: options.onread, allowHalfOpen: options.allowHalfOpen });
  return openWithin(display, open, options);
}

/** Opens a socket and waits for its 'connect' within the deadline, abortable, with typed errors. */
function openWithin(where: string, open: () => Socket, options: Omit<ConnectOptions, 'port'>): Promise<Socket> {
  const what = `connect ${where}`;
  const { trace, signal } = options;
  if (signal?.aborted) return Promise.reject(toSockkitError(signal.reason, what));
  trace('connect', where);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = open();
    const fail = (err: SockkitError) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error) => fail(toSockkitError(err, what));
    const onAbort = () => fail(new SockkitError('INTERRUPTED', what, 'interrupted'));
    const timer = setTimeout(
      () => fail(new SockkitError('TIMEOUT', what, `no answer after ${formatSeconds(options.timeoutMs)}`, options.timeoutHint ?? 'raise it with --timeout SECONDS')),
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
      if (socket.remotePort !== undefined) socket.setNoDelay(true);
      const from = socket.localAddress ? ` from ${formatHostPort(socket.localAddress, socket.localPort ?? 0)}` : '';
      trace('connected', `${where}${from} in ${(performance.now() - started).toFixed(3)} ms`);
      resolve(socket);
    });
  });
}
