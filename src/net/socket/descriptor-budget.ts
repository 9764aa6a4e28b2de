// How many connections a server process can hold before accept() fails with EMFILE.
//
// When a process runs out of descriptors, libuv answers with its reserve-descriptor
// trick: it accepts each waiting connection and closes it at once, and tells nobody
// (measured on Node 20 with `ulimit -n 64`: clients reset, no 'error' event, nothing
// to log). So a server counts for itself: at start it reads its descriptor limit and
// what is already open, keeps a reserve for everything else it opens (a descriptor
// passed over IPC, a DNS socket, stdio), and admits connections up to the rest.
// Beyond that it refuses (accept, close) and says so, aggregated: one event a second.
import { readdirSync, readFileSync } from 'node:fs';

/** Descriptors kept free for the process itself beyond those open at start. */
export const DESCRIPTOR_RESERVE = 16;

export interface DescriptorBudget {
  /** The soft RLIMIT_NOFILE (`ulimit -n`). */
  limit: number;
  /** Descriptors open when the budget was taken (listening sockets, stdio, Node's own). */
  inUse: number;
  /** Connections this process may hold at once. */
  connections: number;
}

/** Linux (/proc); undefined elsewhere or with no limit, where libuv's own handling stands. */
export function connectionBudget(reserve = DESCRIPTOR_RESERVE): DescriptorBudget | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m || m[1] === 'unlimited') return undefined;
    const limit = Number(m[1]);
    const inUse = readdirSync('/proc/self/fd').length - 1; // minus readdir's own descriptor
    return { limit, inUse, connections: Math.max(1, limit - inUse - reserve) };
  } catch {
    return undefined;
  }
}

/**
 * Refusals reported without a flood: the first at once, then at most one report a
 * second with how many more there were. `flush` reports what is pending (at stop).
 */
export class RefusalAggregator {
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly report: (count: number) => void,
    private readonly windowMs = 1000,
  ) {}

  add(): void {
    if (this.timer === undefined) {
      this.report(1);
      this.arm();
    } else {
      this.pending++;
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const count = this.pending;
    this.pending = 0;
    if (count > 0) this.report(count);
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      if (this.pending === 0) {
        this.timer = undefined;
        return;
      }
      const count = this.pending;
      this.pending = 0;
      this.report(count);
      this.arm();
    }, this.windowMs);
    this.timer.unref();
  }
}
