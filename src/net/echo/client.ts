// The client side of RFC 862 echo: connect, send, read the echo back, check that it
// is byte-identical, and time the round trip. Three shapes of use:
//   - a stream (a --message, or stdin): sent as fast as the socket takes it, the echo
//     compared chunk by chunk as it returns (memory bounded by what is in flight);
//   - repeated messages (--count, or line by line): one round trip at a time;
//   - load (load.ts): many connections at once.
import type { OnReadOpts, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { connectFirst, connectPath, connectTo } from '../socket/connect.js';
import type { TlsClientOptions, TlsInfo } from '../socket/tls.js';
import type { UnixAddress } from '../socket/unix.js';
import { EchoComparer, differenceOf, type EchoDifference } from './comparer.js';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createHash } from 'node:crypto';
import { SockkitError, protocolError, timeoutError, toSockkitError } from '../shared/errors.js';
import { formatHostPort, type Family } from '../shared/address.js';
import { noTrace, type TraceFn } from '../shared/trace.js';

export interface EchoTarget {
  address: string;
  family: Family;
  port: number;
  /** Every address the name resolved to: connected to with Happy Eyeballs (socket/connect.ts). */
  addresses?: string[];
  /** --unix: a Unix-domain stream socket instead of TCP (address and port unused). */
  unix?: UnixAddress;
  /** --tls: TLS on the stream. */
  tls?: TlsClientOptions;
}

/** What a TLS handshake with the echo server negotiated, and how long it took. */
export interface ClientTlsInfo extends TlsInfo {
  /** TCP connected → handshake done. */
  handshakeMs: number;
  /** An abbreviated handshake that resumed an earlier session. */
  resumed: boolean;
}

export interface StreamConnectOptions {
  timeoutMs: number;
  trace: TraceFn;
  signal?: AbortSignal;
  /** node:net's onread (load mode: one shared read buffer). */
  onread?: OnReadOpts;
  /** A TLS session to resume (handshake mode). */
  session?: Buffer;
}

/**
 * A stream connection to the echo server (socket/connect.ts): TCP or a Unix-domain
 * socket, with TLS on top when the target asks for it; the handshake is done (within
 * the same --timeout as the connect) and timed on its own. Half-open allowed: the
 * client half-closes only after its echo is back.
 */
export async function connectStream(target: EchoTarget, options: StreamConnectOptions): Promise<{ socket: Socket; tls?: ClientTlsInfo }> {
  const started = performance.now();
  const { trace, onread } = options;
  const base = { timeoutMs: options.timeoutMs, trace, signal: options.signal, onread, allowHalfOpen: true };
  const tls = target.tls && options.session ? { ...target.tls, session: options.session } : target.tls;
  // node:tls loads only with --tls.
  const tlsModule = tls ? await import('../socket/tls.js') : undefined;
  const tcp = { ...base, port: target.port, open: tls && tlsModule!.tlsOpener({ port: target.port, trace, onread }, tls) };
  const socket = target.unix
    ? await connectPath(target.unix.kernelPath, target.unix.display, { ...base, open: tls && tlsModule!.tlsPathOpener({ trace, onread }, tls) })
    : target.addresses && target.addresses.length > 1
      ? (await connectFirst(target.addresses, tcp)).socket
      : await connectTo(target.address, tcp);
  if (!tls) return { socket };
  const handshakeStarted = performance.now();
  const left = Math.max(1, options.timeoutMs - (handshakeStarted - started));
  const info = await tlsModule!.tlsHandshake(socket as TLSSocket, tls.host, left, trace);
  return { socket, tls: { ...info, handshakeMs: performance.now() - handshakeStarted, resumed: (socket as TLSSocket).isSessionReused() } };
}

/** connectStream without the TLS report. */
export async function connectTcp(target: EchoTarget, timeoutMs: number, trace: TraceFn, signal?: AbortSignal): Promise<Socket> {
  return (await connectStream(target, { timeoutMs, trace, signal })).socket;
}

export async function openUdp(target: EchoTarget, trace: TraceFn): Promise<UdpSocket> {
  if (target.unix) {
    // --udp --unix: a Unix datagram socket with the calls made here of a connected UDP one
    const { UnixDatagramClient } = await import('../socket/unix-dgram.js');
    return UnixDatagramClient.open(target.unix, trace) as unknown as UdpSocket;
  }
  return new Promise((resolve, reject) => {
    trace('socket', `udp${target.family} datagram`);
    const socket = createSocket({ type: target.family === 6 ? 'udp6' : 'udp4' });
    const onError = (err: Error) => {
      socket.close();
      reject(toSockkitError(err, `connect udp ${formatHostPort(target.address, target.port)}`));
    };
    socket.once('error', onError);
    // A connected UDP socket receives only from the server, and ICMP port
    // unreachable comes back as ECONNREFUSED instead of a silent loss.
    socket.connect(target.port, target.address, () => {
      socket.off('error', onError);
      trace('connect', `udp ${formatHostPort(target.address, target.port)} (connected datagram socket)`);
      resolve(socket);
    });
  });
}

// ---------- stream mode ----------

export interface StreamEchoResult {
  protocol: 'tcp' | 'udp';
  bytesSent: number;
  bytesReceived: number;
  identical: boolean;
  /** Offset of the first byte that differs (or where the echo stopped short). */
  firstDifferenceAt?: number;
  /** When not identical: that offset and the bytes expected and seen from there. */
  difference?: EchoDifference;
  /** First byte sent → first byte of echo back. */
  firstByteMs: number;
  /** First byte sent → last byte of echo back. */
  rttMs: number;
  sha256Sent: string;
  sha256Received: string;
}

/** Where echoed bytes go (stdout): write() returning false means wait for 'drain'. */
export interface EchoSink {
  write(chunk: Buffer): boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

/**
 * Sends `source` over TCP and checks the echo as it comes back, writing each echoed
 * chunk to `sink` (reading pauses while the sink is full, so a slow reader of stdout
 * slows the transfer instead of growing memory). Every wait is a deadline of
 * `timeoutMs`, not a bound on silence, so a server that trickles a byte now and then
 * cannot stretch it: a write the server does not take within it, or the echo of
 * everything sent not back within it once the source has ended, is a timeout. Time
 * during which our own sink (stdout) holds us back is not counted.
 * The client half-closes only after the whole echo is back (some echo servers drop
 * what they still hold when the client half-closes).
 */
export async function streamEchoTcp(
  socket: Socket,
  source: AsyncIterable<Buffer | string> | Buffer,
  sink: EchoSink,
  timeoutMs: number,
  trace: TraceFn,
): Promise<StreamEchoResult> {
  const comparer = new EchoComparer();
  let started = 0;
  let firstByteAt = 0;
  let lastByteAt = 0;
  let closed = false;
  const blocked = new BlockedTime();
  let socketError: unknown;
  const hashSent = createHash('sha256');
  const hashReceived = createHash('sha256');
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const onData = (chunk: Buffer) => {
    if (comparer.echoedBytes === 0) firstByteAt = performance.now();
    lastByteAt = performance.now();
    hashReceived.update(chunk);
    comparer.echoed(chunk);
    if (!sink.write(chunk) && sink.once) {
      blocked.start();
      socket.pause();
      sink.once('drain', () => {
        blocked.stop();
        socket.resume();
        poke();
      });
    }
    poke();
  };
  socket.on('data', onData);
  socket.on('end', () => {
    trace('recv', 'FIN from server');
    closed = true;
    poke();
  });
  socket.on('close', () => {
    closed = true;
    poke();
  });
  socket.on('error', (err) => {
    socketError = err;
    closed = true;
    poke();
  });

  // Waits for `ready()` at most `timeoutMs`, not counting the time our sink blocked us.
  const waitUntil = async (ready: () => boolean, what: string) => {
    const startedAt = performance.now();
    const blockedBefore = blocked.soFar();
    const usedMs = () => performance.now() - startedAt - (blocked.soFar() - blockedBefore);
    while (!ready()) {
      if (socketError) throw toSockkitError(socketError, what);
      const leftMs = timeoutMs - usedMs();
      if (leftMs <= 0 && !blocked.now) throw timeoutError(what, timeoutMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, blocked.now ? timeoutMs : leftMs));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };

  const send = async (chunk: Buffer) => {
    if (chunk.length === 0) return;
    if (started === 0) started = performance.now();
    comparer.sent(chunk);
    hashSent.update(chunk);
    if (!socket.write(chunk)) {
      let drained = false;
      socket.once('drain', () => {
        drained = true;
        poke();
      });
      await waitUntil(() => drained || closed, 'send');
    }
  };

  try {
    if (Buffer.isBuffer(source)) await send(source);
    else for await (const chunk of source) await send(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    trace('send', `${comparer.sentBytes} bytes`);
    await waitUntil(() => comparer.complete || closed, `wait for the echo of ${comparer.sentBytes} bytes`);
  } finally {
    socket.off('data', onData);
  }
  const { sentBytes: sent, echoedBytes: received } = comparer;
  if (socketError && received < sent) throw toSockkitError(socketError, 'echo');
  trace('recv', `${received} bytes`);
  trace('close', 'half-close (FIN), then close');
  socket.end();
  socket.destroySoon();
  const { identical, firstDifferenceAt, difference } = comparer.verdict();
  return {
    protocol: 'tcp',
    bytesSent: sent,
    bytesReceived: received,
    identical,
    firstDifferenceAt,
    ...(difference ? { difference } : {}),
    firstByteMs: received ? firstByteAt - started : 0,
    rttMs: received ? lastByteAt - started : 0,
    sha256Sent: hashSent.digest('hex'),
    sha256Received: hashReceived.digest('hex'),
  };
}

/** Time our own sink (stdout) held the transfer back: not counted against --timeout. */
class BlockedTime {
  now = false;
  private since = 0;
  private total = 0;
  start(): void {
    this.now = true;
    this.since = performance.now();
  }
  stop(): void {
    this.now = false;
    this.total += performance.now() - this.since;
  }
  soFar(): number {
    return this.total + (this.now ? performance.now() - this.since : 0);
  }
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

// ---------- one message at a time ----------

export type SampleStatus = 'ok' | 'mismatch' | 'lost';

export interface EchoSample {
  seq: number;
  bytes: number;
  /** Round-trip time in ms; absent when lost. */
  rttMs?: number;
  status: SampleStatus;
  /** For mismatches: how many bytes differ, the first one, the bytes expected and seen from there, and the echo's length. */
  differingBytes?: number;
  firstDifferenceAt?: number;
  difference?: EchoDifference;
  echoBytes?: number;
  /** The echo, for line-by-line use. */
  echo?: Buffer;
}

export interface RoundTripper {
  readonly protocol: 'tcp' | 'udp';
  /** One message and its echo; with `signal`, an abort ends the wait (rejects with its reason). */
  roundTrip(seq: number, payload: Buffer, signal?: AbortSignal): Promise<EchoSample>;
  close(): Promise<void>;
}

function difference(expected: Buffer, got: Buffer): Pick<EchoSample, 'differingBytes' | 'firstDifferenceAt' | 'difference' | 'echoBytes'> {
  let differing = Math.abs(expected.length - got.length);
  let first: number | undefined;
  const n = Math.min(expected.length, got.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== got[i]) {
      differing++;
      first ??= i;
    }
  }
  if (first === undefined && expected.length !== got.length) first = n;
  return { differingBytes: differing, firstDifferenceAt: first, difference: differenceOf(expected, got), echoBytes: got.length };
}

/** TCP: one message in flight; its echo is the next `payload.length` bytes of the stream. */
export function tcpRoundTripper(socket: Socket, timeoutMs: number, trace: TraceFn): RoundTripper {
  let buffer: Buffer = Buffer.alloc(0);
  let want = 0;
  let done: ((err?: unknown, aborted?: boolean) => void) | undefined;
  let closedError: unknown;
  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    if (done && buffer.length >= want) done();
  });
  const onGone = (err?: unknown) => {
    closedError ??= err ?? protocolError('echo', 'the server closed the connection');
    done?.(closedError);
  };
  socket.on('error', (err) => onGone(toSockkitError(err, 'echo')));
  socket.on('end', () => onGone());
  return {
    protocol: 'tcp',
    async roundTrip(seq, payload, signal) {
      if (closedError) throw closedError;
      if (signal?.aborted) throw signal.reason;
      want = payload.length;
      const started = performance.now();
      socket.write(payload);
      trace('send', `${payload.length} bytes (seq ${seq})`);
      if (buffer.length < want) {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => done?.(signal!.reason, true);
          const timer = setTimeout(() => {
            done = undefined;
            signal?.removeEventListener('abort', onAbort);
            reject(timeoutError(`echo of message ${seq}`, timeoutMs));
          }, timeoutMs);
          signal?.addEventListener('abort', onAbort, { once: true });
          done = (err, aborted) => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            done = undefined;
            if (aborted) return reject(err);
            // A short echo before the close is this message's answer (a mismatch that shows
            // what came back); the next message finds the connection closed.
            if (err && buffer.length === 0) reject(err);
            else resolve();
          };
        });
      }
      const rttMs = performance.now() - started;
      const echo = buffer.subarray(0, want);
      buffer = buffer.subarray(want);
      trace('recv', `${echo.length} bytes (seq ${seq}) in ${rttMs.toFixed(3)} ms`);
      if (echo.equals(payload)) return { seq, bytes: payload.length, rttMs, status: 'ok', echo };
      return { seq, bytes: payload.length, rttMs, status: 'mismatch', echo, ...difference(payload, echo) };
    },
    async close() {
      trace('close', 'FIN');
      socket.end();
      socket.destroySoon();
    },
  };
}

/**
 * UDP: one datagram per message; no echo within `timeoutMs` counts as lost. A late
 * echo of an earlier message (recognised by its content) is ignored, not a mismatch.
 */
export function udpRoundTripper(socket: UdpSocket, timeoutMs: number, trace: TraceFn): RoundTripper {
  let current: { payload: Buffer; settle: (echo: Buffer | undefined, err?: unknown) => void } | undefined;
  const recent: Buffer[] = [];
  let socketError: unknown;
  socket.on('message', (msg) => {
    if (!current) return;
    if (!msg.equals(current.payload) && recent.some((old) => old.equals(msg))) {
      trace('recv', `${msg.length} bytes: late echo of an earlier datagram, ignored`);
      return;
    }
    current.settle(msg);
  });
  // ICMP port unreachable arrives as ECONNREFUSED on the connected socket.
  socket.on('error', (err) => {
    socketError = toSockkitError(err, 'echo (udp)');
    current?.settle(undefined, socketError);
  });
  return {
    protocol: 'udp',
    async roundTrip(seq, payload, signal) {
      if (socketError) throw socketError;
      if (signal?.aborted) throw signal.reason;
      const started = performance.now();
      const echo = await new Promise<Buffer | undefined>((resolve, reject) => {
        const timer = setTimeout(() => current?.settle(undefined), timeoutMs);
        const onAbort = () => current?.settle(undefined, signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        current = {
          payload,
          settle: (msg, err) => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            current = undefined;
            if (err) reject(err);
            else resolve(msg);
          },
        };
        trace('send', `${payload.length} bytes (seq ${seq})`);
        socket.send(payload, (err) => {
          if (err) current?.settle(undefined, toSockkitError(err, 'send (udp)'));
        });
      });
      recent.push(payload);
      if (recent.length > 16) recent.shift();
      if (!echo) {
        trace('timeout', `no echo of datagram ${seq} within ${timeoutMs} ms`);
        return { seq, bytes: payload.length, status: 'lost' };
      }
      const rttMs = performance.now() - started;
      trace('recv', `${echo.length} bytes (seq ${seq}) in ${rttMs.toFixed(3)} ms`);
      if (echo.equals(payload)) return { seq, bytes: payload.length, rttMs, status: 'ok', echo };
      return { seq, bytes: payload.length, rttMs, status: 'mismatch', echo, ...difference(payload, echo) };
    },
    async close() {
      trace('close', 'udp socket');
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

export interface RttSummary {
  sent: number;
  received: number;
  mismatched: number;
  lost: number;
  lossPercent: number;
  minMs: number;
  avgMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Exact percentiles (nearest rank) over the samples of a --count run. */
export function summarizeSamples(samples: readonly EchoSample[]): RttSummary {
  const rtts = samples.filter((s) => s.rttMs !== undefined).map((s) => s.rttMs!).sort((a, b) => a - b);
  const rank = (p: number) => (rtts.length ? rtts[Math.max(0, Math.ceil((p / 100) * rtts.length) - 1)]! : 0);
  const lost = samples.filter((s) => s.status === 'lost').length;
  return {
    sent: samples.length,
    received: rtts.length,
    mismatched: samples.filter((s) => s.status === 'mismatch').length,
    lost,
    lossPercent: samples.length ? (lost / samples.length) * 100 : 0,
    minMs: rtts[0] ?? 0,
    avgMs: rtts.length ? rtts.reduce((a, b) => a + b, 0) / rtts.length : 0,
    p50Ms: rank(50),
    p90Ms: rank(90),
    p99Ms: rank(99),
    maxMs: rtts[rtts.length - 1] ?? 0,
  };
}
