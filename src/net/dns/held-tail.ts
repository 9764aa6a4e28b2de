// Why DNS over TLS keeps the last bytes of its questions back for a moment.
//
// A server that Nagles (unbound) sends a small segment only when everything it sent
// before is acknowledged. Our kernel delays the ACK of what it receives ~40 ms when we
// have nothing to send (the connection looks interactive), and Node has no
// TCP_QUICKACK. So whenever the server has a segment in flight and more to say, it
// waits 40 ms: after its first TLS 1.3 session ticket (the second ticket and the first
// answers wait), and at the end of a batch (the last answers wait). Measured: 43 + 40 ms
// of a 1,000-name run against unbound, 43 ms of a one-name one.
//
// So the last question written is held back, and after each read from the server a
// part of it is written (all but a few bytes, then a byte a read): the ACK rides on it.
// Its very last byte goes only when the server has nothing else to send before
// answering it (its tickets came, no other question is outstanding), so its answer
// does not queue behind a segment of its own; or after `fallbackMs` without a read (a server that sends fewer tickets, or
// none). Every byte is written, in order: the server sees the same stream, later.
const MAX_HELD = 16;
/** OpenSSL's default number of TLS 1.3 tickets (SSL_CTX_set_num_tickets). */
const TICKETS_EXPECTED = 2;

export interface HeldTailOptions {
  /** Writes bytes on the connection. */
  write: (bytes: Buffer) => void;
  /** True when no question but the last one written is waiting for its answer. */
  onlyLastOutstanding: () => boolean;
  /** TLS 1.3: session tickets will come after the handshake. */
  ticketsToCome: boolean;
  /** How long held bytes wait without a read before they all go. */
  fallbackMs: number;
}

export class HeldTail {
  private held?: Buffer;
  private tickets = 0;
  private wroteSinceRead = false;
  private stepScheduled = false;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: HeldTailOptions) {}

  private get ticketsDone(): boolean {
    return !this.options.ticketsToCome || this.tickets >= TICKETS_EXPECTED;
  }

  /**
   * Writes what was held, and holds this frame back whole until the next frame or read:
   * one write per frame (a split of every frame cost a second write through the stream
   * each), the split only when a read needs a byte to acknowledge it.
   */
  writeFrame(frame: Buffer): void {
    this.wroteSinceRead = true;
    if (this.held) this.options.write(this.held);
    this.held = undefined;
    // Nothing else to come from the server before this answer: nothing to hold for.
    if (this.closed || frame.length < 2 || (this.ticketsDone && this.options.onlyLastOutstanding())) {
      this.options.write(frame);
      return this.disarm();
    }
    this.held = frame;
    this.arm();
  }

  /** Bytes came from the server (answers); the step runs once the read is handled. */
  onRead(): void {
    this.wroteSinceRead = false;
    if (!this.held || this.stepScheduled) return;
    this.stepScheduled = true;
    // After the read: a write made while node:tls handles a ticket stays queued until the next read.
    setImmediate(() => this.step());
  }

  /** A TLS 1.3 session ticket came. */
  onTicket(): void {
    this.tickets++;
    this.onRead();
  }

  /** Writes everything held (the fallback, or the connection's end). */
  flush(): void {
    this.disarm();
    const held = this.held;
    this.held = undefined;
    if (held && !this.closed) this.options.write(held);
  }

  close(): void {
    this.closed = true;
    this.held = undefined;
    this.disarm();
  }

  private step(): void {
    this.stepScheduled = false;
    if (!this.held || this.closed || this.wroteSinceRead) return; // a question written since carried the ACK
    if (this.ticketsDone && this.options.onlyLastOutstanding()) return this.flush();
    // All but MAX_HELD - 1 bytes the first time, then a byte a read.
    if (this.held.length > 1) {
      const keep = Math.min(MAX_HELD - 1, this.held.length - 1);
      const cut = this.held.length > MAX_HELD ? this.held.length - keep : 1;
      this.options.write(this.held.subarray(0, cut));
      this.held = this.held.subarray(cut);
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.flush(), this.options.fallbackMs);
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
