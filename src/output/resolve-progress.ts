// A bulk run's account on stderr: a progress line while it runs (a human watching a
// terminal only), redrawn at most 10 times a second and erased at the end, and a
// summary line at the end (on a terminal, or wherever with --summary).
import type { ResolveResult } from '../net/dns/resolve.js';
import type { BulkCounters } from '../net/dns/bulk.js';
import { monotonicMs } from '../net/shared/deadline.js';
import type { Terminal } from './terminal.js';

const REDRAW_MS = 100;
/** The live q/s is over this much of the recent past. */
const RATE_SPAN_MS = 1000;
const count = (n: number) => n.toLocaleString('en-US');

export class BulkProgress {
  private answered = 0;
  private nxdomain = 0;
  private nodata = 0;
  private errors = 0;
  private readonly started = monotonicMs();
  private timer?: NodeJS.Timeout;
  /** Whether a progress line is on the screen now. */
  private drawn = false;
  private readonly samples: Array<[number, number]> = [];

  constructor(
    private readonly term: Terminal,
    private readonly counters: BulkCounters,
    private readonly live: boolean,
    private readonly summary: boolean,
  ) {
    if (live) {
      this.timer = setInterval(() => this.draw(), REDRAW_MS);
      this.timer.unref();
    }
  }

  tally(result: ResolveResult): void {
    if (result.status === 'ok') this.answered++;
    else if (result.status === 'nxdomain') this.nxdomain++;
    else if (result.status === 'nodata') this.nodata++;
    else this.errors++;
  }

  /** Takes the line off the screen, so that other output starts on a clean line (it comes back at the next redraw). */
  erase(): void {
    if (!this.drawn) return;
    this.term.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }

  /** The end: the line erased, and the summary where one is due (not for a run that read no name). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.erase();
    if (this.summary && this.counters.names > 0) this.term.err(`${this.term.prefix}: ${this.summaryText()}`);
  }

  /** `100,000 names in 4.21 s: 98,950 answered, 1,000 nxdomain, 0 nodata, 50 errors; 23,753 q/s`. */
  summaryText(): string {
    const seconds = (monotonicMs() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(this.counters.queries / seconds) : 0;
    return `${count(this.counters.namesDone)} names in ${seconds.toFixed(2)} s: ${this.tallies()}; ${count(rate)} q/s`;
  }

  private tallies(): string {
    return `${count(this.answered)} answered, ${count(this.nxdomain)} nxdomain, ${count(this.nodata)} nodata, ${count(this.errors)} errors`;
  }

  private draw(): void {
    const now = monotonicMs();
    this.samples.push([now, this.counters.queries]);
    while (this.samples.length > 2 && now - this.samples[0]![0] > RATE_SPAN_MS) this.samples.shift();
    const [t0, q0] = this.samples[0]!;
    const rate = now > t0 ? Math.round(((this.counters.queries - q0) * 1000) / (now - t0)) : 0;
    const line = `resolve: ${count(this.counters.namesDone)}/${count(this.counters.names)} names · ${count(rate)} q/s · ${this.tallies()}`;
    const width = (this.term.stderr.columns ?? 80) - 1;
    this.term.stderr.write(`\r\x1b[2K${line.length > width ? line.slice(0, width) : line}`);
    this.drawn = true;
  }
}
