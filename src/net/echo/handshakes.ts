// echo-client --tls --handshakes: new TLS connections as fast as the server takes
// them, what `openssl s_time` measures. C workers each loop: connect, handshake, close,
// for --duration. With session reuse (the default) a worker offers the session ticket
// its last connection received, so the server may answer with an abbreviated
// handshake; --no-session-reuse makes every handshake a full one. In TLS 1.3 the ticket
// arrives after the handshake, so after a full handshake a worker waits for it
// (briefly) before closing; a resumed session is simply offered again.
import type { TLSSocket } from 'node:tls';
import { noTrace, type TraceFn } from '../shared/trace.js';
import { formatHostPort } from '../shared/address.js';
import { SockkitError, toSockkitError } from '../shared/errors.js';
import { connectStream, type EchoTarget } from './client.js';
import { HandshakeRecorder, runFor, type HandshakeStats } from './load.js';

export interface HandshakeRunOptions {
  concurrency: number;
  durationMs: number;
  /** Bound on each connect + handshake. */
  timeoutMs: number;
  sessionReuse: boolean;
}

export interface HandshakeRunResult extends HandshakeStats {
  concurrency: number;
  durationMs: number;
  sessionReuse: boolean;
  failed: number;
  /** What failed, by reason (the error's code or message), → count. */
  failures: Record<string, number>;
  interrupted?: true;
}

/** How long a worker waits for a session ticket after its handshake before closing anyway. */
const TICKET_WAIT_MS = 250;

/** The run's figures, and the first failure (the command's error when nothing succeeded). */
export async function runHandshakes(
  target: EchoTarget,
  options: HandshakeRunOptions,
  trace: TraceFn,
  signal?: AbortSignal,
): Promise<{ result: HandshakeRunResult; firstError?: SockkitError }> {
  if (!target.tls) throw new SockkitError('USAGE', '--handshakes', 'it measures TLS handshakes: give --tls');
  const recorder = new HandshakeRecorder();
  const failures: Record<string, number> = {};
  let failed = 0;
  let firstError: SockkitError | undefined;
  let running = true;
  const where = target.unix ? target.unix.display : formatHostPort(target.address, target.port);
  trace('connect', `${options.concurrency} workers opening TLS connections to ${where} for ${options.durationMs} ms${options.sessionReuse ? ', resuming sessions' : ', full handshakes'}`);

  const worker = async () => {
    let session: Buffer | undefined;
    while (running) {
      try {
        const { socket, tls } = await connectStream(target, { timeoutMs: options.timeoutMs, trace: noTrace, session: options.sessionReuse ? session : undefined });
        if (!running) {
          socket.destroy(); // finished after the stop: not counted
          break;
        }
        recorder.record(tls!.handshakeMs, tls!.resumed);
        // A resumed session is offered again; after a full handshake, wait for its ticket.
        if (options.sessionReuse && !tls!.resumed) session = (await nextSession(socket as TLSSocket)) ?? session;
        socket.end();
        socket.destroy();
      } catch (err) {
        if (!running) break;
        failed++;
        const failure = toSockkitError(err, `TLS connection to ${where}`);
        firstError ??= failure;
        const reason = failure.why;
        failures[reason] = (failures[reason] ?? 0) + 1;
        session = undefined;
        if (failed >= 10 * options.concurrency && recorder.stats().count === 0) break; // nothing works: stop spinning
      }
    }
  };

  const started = performance.now();
  const workers = Array.from({ length: options.concurrency }, () => worker());
  await Promise.race([runFor(options.durationMs, signal), Promise.all(workers)]);
  running = false;
  recorder.finish();
  const durationMs = performance.now() - started;
  await Promise.all(workers);
  const stats = recorder.stats();
  trace('stop', `${stats.count} handshakes (${stats.resumed} resumed), ${failed} failed in ${durationMs.toFixed(0)} ms`);
  const result: HandshakeRunResult = {
    concurrency: options.concurrency,
    durationMs,
    sessionReuse: options.sessionReuse,
    ...stats,
    perSecond: durationMs > 0 ? stats.count / (durationMs / 1000) : 0,
    failed,
    failures,
    ...(signal?.aborted ? { interrupted: true as const } : {}),
  };
  return { result, firstError };
}

/** The session ticket the server sends after the handshake (TLS 1.3), if it comes soon. */
function nextSession(socket: TLSSocket): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(undefined), TICKET_WAIT_MS);
    const done = (session: Buffer | undefined) => {
      clearTimeout(timer);
      socket.off('session', done);
      socket.off('close', onClose);
      resolve(session);
    };
    const onClose = () => done(undefined);
    socket.once('session', done);
    socket.once('close', onClose);
    socket.resume();
  });
}
