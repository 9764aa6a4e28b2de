// The one way sockkit opens a TCP connection (TLS on top of it is tls.ts): each address
// in turn inside one deadline, an AbortSignal, --trace steps, and typed errors.
import { connect as netConnect, type OnReadOpts, type Socket } from 'node:net';
import { ipFamily } from '../shared/ip-literal.js';
import { SockkitError, toSockkitError, formatSeconds } from '../shared/errors.js';
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

/** RFC 8305's recommended Connection Attempt Delay. */
export const HAPPY_EYEBALLS_DELAY_MS = 250;

/** One connection attempt of connectFirst, as --trace and --json show it. */
export interface ConnectAttempt {
  address: string;
  /** ms after the first attempt began. */
  startMs: number;
  /** ms after the first attempt began; undefined while it was still pending (cancelled). */
  endMs?: number;
  result: 'connected' | 'cancelled' | 'failed';
  /** Why it failed ("connection refused"). */
  error?: string;
}

export interface ConnectFirstOptions extends ConnectOptions {
  /** Happy Eyeballs: start the next address after this long while one is pending (0: one at a time). */
  attemptDelayMs?: number;
}

/**
 * Happy Eyeballs (RFC 8305 §5): addresses in interleaved families, IPv6 first; the
 * next attempt starts when the last one fails or after `attemptDelayMs` while it is
 * still pending; the first to connect wins and the others are cancelled. One deadline
 * (`timeoutMs`) covers every attempt. A refused IPv6 path costs nothing, and a
 * black-holed one costs the delay, not the timeout.
 */
export function connectFirst(addresses: readonly string[], options: ConnectFirstOptions): Promise<{ socket: Socket; address: string; attempts: ConnectAttempt[] }> {
  const order = interleaveFamilies(addresses);
  const delayMs = options.attemptDelayMs ?? HAPPY_EYEBALLS_DELAY_MS;
  const started = performance.now();
  const since = () => Math.round((performance.now() - started) * 1000) / 1000;
  const attempts: ConnectAttempt[] = [];
  const pending = new Map<ConnectAttempt, AbortController>();
  return new Promise((resolve, reject) => {
    let next = 0;
    let settled = false;
    let lastError: SockkitError | undefined;
    let timer: NodeJS.Timeout | undefined;
    if (options.signal?.aborted) return reject(new SockkitError('INTERRUPTED', `connect ${formatHostPort(order[0] ?? '?', options.port)}`, 'interrupted'));
    const what = `connect ${formatHostPort(order[0] ?? '?', options.port)}`;
    const timedOut = () => new SockkitError('TIMEOUT', what, `no answer after ${formatSeconds(options.timeoutMs)}`, options.timeoutHint ?? 'raise it with --timeout SECONDS');
    const deadline = setTimeout(() => finish(undefined, timedOut()), options.timeoutMs);
    const onAbort = () => finish(undefined, new SockkitError('INTERRUPTED', what, 'interrupted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    function finish(won: { socket: Socket; address: string } | undefined, err?: SockkitError): void {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      for (const [attempt, controller] of pending) {
        attempt.result = 'cancelled';
        controller.abort();
        if (won) options.trace('connect', `${formatHostPort(attempt.address, options.port)}: cancelled (${formatHostPort(won.address, options.port)} connected first)`);
      }
      pending.clear();
      if (won) resolve({ ...won, attempts });
      else reject(err ?? lastError);
    }

    function startNext(): void {
      clearTimeout(timer);
      if (settled) return;
      if (next >= order.length) {
        if (pending.size === 0) finish(undefined, lastError ?? timedOut());
        return;
      }
      const address = order[next++]!;
      const attempt: ConnectAttempt = { address, startMs: since(), result: 'failed' };
      attempts.push(attempt);
      const controller = new AbortController();
      pending.set(attempt, controller);
      if (attempts.length > 1) options.trace('connect', `${formatHostPort(address, options.port)}: attempt ${attempts.length}, ${attempt.startMs.toFixed(0)} ms after the first`);
      const left = Math.max(1, options.timeoutMs - (performance.now() - started));
      connectTo(address, { ...options, timeoutMs: left, signal: controller.signal }).then(
        (socket) => {
          attempt.endMs = since();
          if (settled) return socket.destroy(); // lost the race
          pending.delete(attempt);
          attempt.result = 'connected';
          finish({ socket, address });
        },
        (err: unknown) => {
          if (settled || controller.signal.aborted) return;
          pending.delete(attempt);
          attempt.endMs = since();
          lastError = toSockkitError(err, `connect ${formatHostPort(address, options.port)}`);
          attempt.error = lastError.why;
          if (order.length > 1) options.trace('connect', `${formatHostPort(address, options.port)}: ${lastError.why}${next < order.length ? '; trying the next address' : ''}`);
          startNext(); // a failure starts the next attempt at once
        },
      );
      if (delayMs > 0 && next < order.length) timer = setTimeout(startNext, delayMs);
    }
    startNext();
  });
}

/** RFC 8305 §4: alternate the families, starting with the family of the first address (IPv6 when there is one). */
export function interleaveFamilies(addresses: readonly string[]): string[] {
  const v6 = addresses.filter((a) => ipFamily(a) === 6);
  const v4 = addresses.filter((a) => ipFamily(a) !== 6);
  const [first, second] = v6.length > 0 ? [v6, v4] : [v4, v6];
  const order: string[] = [];
  for (let i = 0; i < Math.max(first.length, second.length); i++) {
    if (i < first.length) order.push(first[i]!);
    if (i < second.length) order.push(second[i]!);
  }
  return order;
}

/** One TCP connection (or what `open` opens), resolved once TCP is up. TCP_NODELAY is set. */
export function connectTo(address: string, options: ConnectOptions): Promise<Socket> {
  options.trace('socket', `tcp${ipFamily(address) === 6 ? 6 : 4} stream`);
  const open = options.open
    ? () => options.open!(address)
    : () => netConnect({ host: address, port: options.port, onread: options.onread, allowHalfOpen: options.allowHalfOpen, noDelay: true });
  return openWithin(formatHostPort(address, options.port), open, options);
}

/** A Unix-domain stream connection to `path` (NUL first for an abstract name), or what `open` opens there. */
export function connectPath(path: string, display: string, options: Omit<ConnectOptions, 'port'>): Promise<Socket> {
  options.trace('socket', 'unix stream');
  const open = options.open ? () => options.open!(path) : () => netConnect({ path, onread: options.onread, allowHalfOpen: options.allowHalfOpen });
  return openWithin(display, open, options).catch((err: unknown) => {
    // connect(2) says ENOENT: nothing at the path (Node's own words name only the errno)
    const errno = (err as { cause?: NodeJS.ErrnoException }).cause?.code;
    if (errno === 'ENOENT') throw new SockkitError('UNREACHABLE', `connect ${display}`, 'no such socket file', 'is the server listening there?', { cause: err });
    throw err;
  });
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
