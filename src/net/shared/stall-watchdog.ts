// "No data for N seconds": a timer checked against the time of the last progress
// rather than re-armed on every read (socket.setTimeout is re-armed 65,536 times for a
// GiB over TLS, about 1 % of the transfer's CPU time). It rests while the caller is
// held back by its own output, which is not the peer's stall.

export class StallWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private lastProgressAt = -Infinity;
  private resting = false;

  /** `onStall` runs once no progress came for `stallMs` (and the watchdog is not resting). */
  constructor(
    private readonly stallMs: number,
    private readonly onStall: () => void,
  ) {}

  start(): void {
    this.arm(this.stallMs);
  }

  /** Data came (or was handled): the quiet time starts again. Cheap: no timer touched. */
  progress(): void {
    this.lastProgressAt = performance.now();
  }

  /** Our side is holding the peer back (backpressure): no stall can be the peer's. */
  rest(): void {
    this.resting = true;
    clearTimeout(this.timer);
  }

  /** Reading again after a rest: a full stall period from now. */
  wake(): void {
    this.resting = false;
    this.arm(this.stallMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), ms);
  }

  private check(): void {
    if (this.resting) return;
    // Progress since the timer was armed, or a synchronous write to a slow stdout
    // (a pipe into `less`) that blocked us: not the peer's stall. Wait again.
    const quietMs = performance.now() - this.lastProgressAt;
    if (quietMs < this.stallMs) return this.arm(Math.max(1, Math.ceil(this.stallMs - quietMs)));
    this.onStall();
  }
}
