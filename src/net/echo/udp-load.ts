// UDP echo load: C datagrams in flight from one connected socket, each echo checked byte
// for byte, for a duration. One socket with C sequence-numbered payloads rather than C
// sockets: one descriptor and one receive handler whatever C (50,000 sockets would need
// 50,000 descriptors and ports), and since every datagram of the run carries its own
// sequence number, duplicates, late echoes and reordering are seen across the whole run,
// not per socket. (A per-source rate limit on the server sees one address either way.)
//
// Each payload starts with a 12-byte header, then filler shared by the run:
//   run nonce (u32) | slot (u32) | sequence number (u32)
// The nonce tells our echoes from stray datagrams, the slot finds the datagram in flight
// without a map, and the sequence number says whether it is the slot's current one.
// A datagram not echoed within --timeout is declared lost and its slot sends the next.
import type { Socket as UdpSocket } from 'node:dgram';
import { createHistogram } from 'node:perf_hooks';
import { randomFillSync, randomInt } from 'node:crypto';
import { rttPercentiles, runFor, type RttPercentiles } from './load.js';
import { differenceOf, type EchoDifference } from './comparer.js';
import { SockkitError, type ErrorCode } from '../shared/errors.js';
import type { TraceFn } from '../shared/trace.js';

/** Bytes of the header every datagram starts with: the smallest --size of UDP load mode. */
export const UDP_LOAD_HEADER_BYTES = 12;
/** Sequence numbers whose fate (echoed, lost) is remembered to recognise duplicates and late echoes. */
const WINDOW = 1 << 20;
/** The receive buffer asked for: many echoes can arrive between two turns of the event loop. */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export interface UdpLoadOptions {
  concurrency: number;
  durationMs: number;
  size: number;
  /** A datagram not echoed within it is lost; also bounds the wait for the last echoes. */
  timeoutMs: number;
}

export interface UdpLoadResult {
  concurrency: number;
  size: number;
  durationMs: number;
  /** Datagrams sent during the run (interrupted: less those still in flight, which are not counted). */
  sent: number;
  /** Sent datagrams whose echo came back identical, in time. */
  echoed: number;
  echoedPerSecond: number;
  /** Not echoed within the timeout (their slot sent the next). */
  lost: number;
  lossPercent: number;
  /** Second and later echoes of one datagram. */
  duplicates: number;
  /** Echoes that came back after their datagram was declared lost (still counted lost). */
  late: number;
  /** First echoes with a lower sequence number than one already echoed (RFC 4737's reordered). */
  reordered: number;
  /** Echoes of our datagram that differ from it, or datagrams that are no echo of ours at all. */
  mismatches: number;
  /** The first echo of one of our datagrams that differed from it: how (the offset and bytes from there) and its length. */
  firstMismatch?: EchoDifference & { echoBytes: number; bytes: number };
  /** Socket errors by errno (ECONNREFUSED: an ICMP port unreachable came back). */
  errors: Record<string, number>;
  bytesSent: number;
  bytesReceived: number;
  rtt: RttPercentiles;
  interrupted?: true;
}

/** Echoed, lost or in flight: the fate of each recent sequence number. */
const IN_FLIGHT = 0;
const ECHOED = 1;
const LOST = 2;

class Slot {
  seq = -1;
  sentAt = 0;
  waiting = false;
  constructor(readonly payload: Buffer) {}
}

class UdpLoadRun {
  readonly histogram = createHistogram();
  readonly fate = new Uint8Array(WINDOW);
  readonly slots: Slot[] = [];
  readonly nonce = randomInt(0, 2 ** 32);
  nextSeq = 0;
  highestEchoed = -1;
  sending = false;
  sent = 0;
  echoed = 0;
  lost = 0;
  duplicates = 0;
  late = 0;
  reordered = 0;
  mismatches = 0;
  bytesSent = 0;
  bytesReceived = 0;
  errors: Record<string, number> = {};
  firstMismatch: UdpLoadResult['firstMismatch'];
  /** Slots with a datagram in flight. */
  private waiting = 0;
  /** The first datagram goes alone (see start()); the other slots wait for it. */
  private othersWaiting = true;
  private onIdle: (() => void) | undefined;

  constructor(
    readonly socket: UdpSocket,
    readonly options: UdpLoadOptions,
  ) {
    const filler = Buffer.allocUnsafe(options.size);
    randomFillSync(filler);
    for (let i = 0; i < options.concurrency; i++) {
      const payload = Buffer.from(filler);
      payload.writeUInt32BE(this.nonce, 0);
      payload.writeUInt32BE(i, 4);
      this.slots.push(new Slot(payload));
    }
  }

  send(slot: Slot, now = performance.now()): void {
    const seq = this.nextSeq++;
    slot.seq = seq;
    slot.sentAt = now;
    slot.waiting = true;
    this.waiting++;
    slot.payload.writeUInt32BE(seq >>> 0, 8);
    this.fate[seq % WINDOW] = IN_FLIGHT;
    this.sent++;
    this.bytesSent += slot.payload.length;
    // The slot's buffer is written again only after this datagram was echoed or lost.
    this.socket.send(slot.payload);
  }

  /**
   * Sends the first datagram alone, the others once it is settled. libuv sends the
   * datagrams queued in one turn with one sendmmsg() and drops the error of a batch, so
   * an ICMP port unreachable is seen (ECONNREFUSED) only on a datagram sent alone.
   */
  start(now: number): void {
    this.sending = true;
    this.send(this.slots[0]!, now);
  }

  /** The slot's datagram is settled (echoed, mismatched or lost): send the next, or count it idle. */
  settle(slot: Slot, now: number): void {
    slot.waiting = false;
    this.waiting--;
    if (this.othersWaiting && this.sending) {
      this.othersWaiting = false;
      for (const other of this.slots) if (other !== slot) this.send(other, now);
    }
    if (this.sending) this.send(slot, now);
    else if (this.waiting === 0) this.onIdle?.();
  }

  onMessage(msg: Buffer): void {
    const now = performance.now();
    this.bytesReceived += msg.length;
    const slot = msg.length >= UDP_LOAD_HEADER_BYTES && msg.readUInt32BE(0) === this.nonce ? this.slots[msg.readUInt32BE(4)] : undefined;
    if (!slot) {
      this.mismatches++; // not an echo of any datagram of this run
      return;
    }
    const seq = this.fullSeq(msg.readUInt32BE(8));
    if (slot.waiting && seq === slot.seq) {
      if (msg.equals(slot.payload)) {
        this.histogram.record(Math.max(1, Math.round((now - slot.sentAt) * 1e6)));
        this.echoed++;
        if (seq < this.highestEchoed) this.reordered++;
        else this.highestEchoed = seq;
        this.fate[seq % WINDOW] = ECHOED;
      } else {
        this.mismatches++;
        this.firstMismatch ??= { ...differenceOf(slot.payload, msg)!, echoBytes: msg.length, bytes: slot.payload.length };
        this.fate[seq % WINDOW] = ECHOED;
      }
      this.settle(slot, now);
      return;
    }
    if (seq < 0 || seq >= this.nextSeq || this.nextSeq - seq > WINDOW) this.mismatches++; // never sent, or too old to tell
    else if (this.fate[seq % WINDOW] === LOST) {
      this.late++;
      this.fate[seq % WINDOW] = ECHOED; // a second late copy is a duplicate
    } else this.duplicates++;
  }

  /** The 32-bit sequence number on the wire, as the run's full count (runs stay far below 2^32 datagrams in flight). */
  private fullSeq(wire: number): number {
    const high = this.nextSeq - (this.nextSeq % 2 ** 32);
    const seq = high + wire;
    return seq >= this.nextSeq ? seq - 2 ** 32 : seq;
  }

  /** Declares lost every datagram older than the timeout. */
  sweep(): void {
    const now = performance.now();
    for (const slot of this.slots) {
      if (!slot.waiting || now - slot.sentAt < this.options.timeoutMs) continue;
      this.lost++;
      this.fate[slot.seq % WINDOW] = LOST;
      this.settle(slot, now);
    }
  }

  get inFlight(): number {
    return this.waiting;
  }

  /** Resolves once no datagram is in flight. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      if (this.waiting === 0) return resolve();
      this.onIdle = resolve;
    });
  }
}

/** Runs UDP load on a connected datagram socket (echo/client.ts openUdp); the caller closes it. */
export async function runUdpEchoLoad(socket: UdpSocket, options: UdpLoadOptions, trace: TraceFn, signal?: AbortSignal): Promise<UdpLoadResult> {
  const run = new UdpLoadRun(socket, options);
  try {
    socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES); // capped by net.core.rmem_max
  } catch {
    // the default buffer: more drops under a deep window, counted as loss
  }
  const onMessage = (msg: Buffer) => run.onMessage(msg);
  const onError = (err: NodeJS.ErrnoException) => {
    const code = err.code ?? 'error';
    run.errors[code] = (run.errors[code] ?? 0) + 1;
  };
  socket.on('message', onMessage);
  socket.on('error', onError);
  // Often enough that a loss is declared within a tenth of the timeout of its due time.
  const sweeper = setInterval(() => run.sweep(), Math.max(5, Math.min(100, options.timeoutMs / 10)));
  trace('send', `${options.concurrency} datagrams of ${options.size} bytes in flight for ${options.durationMs} ms`);
  const started = performance.now();
  try {
    run.start(started);
    await runFor(options.durationMs, signal);
    run.sending = false;
    const elapsedMs = performance.now() - started;
    const echoedInRun = run.echoed;
    // Interrupted: the datagrams in flight are not counted (as --count's message in flight),
    // rather than holding Ctrl-C up to --timeout. Otherwise each is echoed or lost within it.
    const interrupted = signal?.aborted === true;
    const uncounted = interrupted ? run.inFlight : 0;
    trace('stop', `${run.sent} datagrams in ${elapsedMs.toFixed(0)} ms; ${interrupted ? `interrupted, ${uncounted} in flight not counted` : `waiting up to ${options.timeoutMs} ms for the last echoes`}`);
    if (!interrupted) await run.idle();
    const sent = run.sent - uncounted;
    return {
      concurrency: options.concurrency,
      size: options.size,
      durationMs: elapsedMs,
      sent,
      echoed: run.echoed,
      echoedPerSecond: elapsedMs > 0 ? echoedInRun / (elapsedMs / 1000) : 0,
      lost: run.lost,
      lossPercent: sent > 0 ? (run.lost / sent) * 100 : 0,
      duplicates: run.duplicates,
      late: run.late,
      reordered: run.reordered,
      mismatches: run.mismatches,
      ...(run.firstMismatch ? { firstMismatch: run.firstMismatch } : {}),
      errors: run.errors,
      bytesSent: run.bytesSent,
      bytesReceived: run.bytesReceived,
      rtt: rttPercentiles(run.histogram),
      ...(interrupted ? { interrupted: true as const } : {}),
    };
  } finally {
    clearInterval(sweeper);
    socket.off('message', onMessage);
    socket.off('error', onError);
  }
}

/**
 * What makes a UDP load run fail (undefined when nothing does): loss alone does not, as
 * with --count; a mismatch does (7); no echo at all is refused (4, ICMP port
 * unreachable came back) or a timeout (5).
 */
export function udpLoadFailure(r: UdpLoadResult, where: string): SockkitError | undefined {
  const what = `load on UDP ${where}`;
  let code: ErrorCode | undefined;
  let why = '';
  if (r.mismatches > 0) {
    code = 'PROTOCOL';
    why = `${r.mismatches} ${r.mismatches === 1 ? 'echo differs' : 'echoes differ'} from what was sent`;
  } else if (r.echoed === 0 && r.sent > 0) {
    const refused = r.errors.ECONNREFUSED ?? 0;
    code = refused > 0 ? 'UNREACHABLE' : 'TIMEOUT';
    why = refused > 0 ? `no echo of ${r.sent} datagrams: port unreachable (ICMP) ×${refused}` : `no echo of ${r.sent} datagrams`;
  }
  if (!code) return undefined;
  return new SockkitError(code, what, `${why}; ${r.echoed} of ${r.sent} echoed`, code === 'TIMEOUT' ? 'raise --timeout or check the server' : undefined);
}
