// A token bucket: at most `ratePerSecond` takes per second on average, with bursts of
// at most a tenth of a second's worth (at least one), so a ceiling holds over any
// window longer than that.
import { monotonicMs } from './deadline.js';

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly capacity: number;

  constructor(private readonly ratePerSecond: number) {
    this.capacity = Math.max(1, ratePerSecond / 10);
    this.tokens = 1; // the first take at once, the rest paced
    this.last = monotonicMs();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0 if one is). */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }

  private refill(): void {
    const now = monotonicMs();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
  }
}
