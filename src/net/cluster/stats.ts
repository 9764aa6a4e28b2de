// Per-worker and total counters kept by the primary from the workers' reports:
// a connection counts when its worker took it (one message each, at once), and
// closes when its batched disconnect event arrives. One worker's messages arrive in
// order, so its peak is exact; the total peak interleaves workers, so it is exact to
// within one event-loop turn of each. For a worker that dies, `open` is an upper
// bound of what it lost: a disconnect still in its batch dies with it.

export type WorkerEnd = 'running' | 'drained' | 'crashed' | 'killed';

export interface WorkerTotals {
  worker: number;
  pid: number;
  connections: number;
  refused: number;
  bytesIn: number;
  bytesOut: number;
  peakConcurrent: number;
  open: number;
  /** Connections closed by the drain deadline instead of by the client. */
  cut: number;
  end: WorkerEnd;
}

export interface ClusterTotals {
  workers: number;
  connections: number;
  refused: number;
  bytesIn: number;
  bytesOut: number;
  peakConcurrent: number;
  cut: number;
  crashes: number;
  droppedConnections: number;
}

export class ClusterStats {
  private readonly byWorker = new Map<number, WorkerTotals>();
  private open = 0;
  private peak = 0;
  private dropped = 0;
  private primaryRefused = 0;

  addWorker(worker: number, pid: number): void {
    this.byWorker.set(worker, {
      worker,
      pid,
      connections: 0,
      refused: 0,
      bytesIn: 0,
      bytesOut: 0,
      peakConcurrent: 0,
      open: 0,
      cut: 0,
      end: 'running',
    });
  }

  connect(worker: number): void {
    const w = this.get(worker);
    w.connections++;
    w.open++;
    w.peakConcurrent = Math.max(w.peakConcurrent, w.open);
    this.open++;
    this.peak = Math.max(this.peak, this.open);
  }

  disconnect(worker: number, bytesIn: number, bytesOut: number, cut: boolean): void {
    const w = this.get(worker);
    w.bytesIn += bytesIn;
    w.bytesOut += bytesOut;
    if (cut) w.cut++;
    if (w.open > 0) {
      w.open--;
      this.open--;
    }
  }

  refused(worker: number, count = 1): void {
    this.get(worker).refused += count;
  }

  /** Connections the primary itself refused (out of descriptors before any worker saw them). */
  refusedByPrimary(count: number): void {
    this.primaryRefused += count;
  }

  /** A worker process ended; returns how many of its connections were still open (lost with it). */
  workerEnded(worker: number, end: WorkerEnd): number {
    const w = this.get(worker);
    w.end = end;
    const lost = w.open;
    this.open -= lost;
    w.open = 0;
    if (end === 'crashed' || end === 'killed') this.dropped += lost;
    return lost;
  }

  openOn(worker: number): number {
    return this.byWorker.get(worker)?.open ?? 0;
  }

  workers(): WorkerTotals[] {
    return [...this.byWorker.values()].sort((a, b) => a.worker - b.worker);
  }

  totals(): ClusterTotals {
    const all = this.workers();
    const sum = (pick: (w: WorkerTotals) => number) => all.reduce((n, w) => n + pick(w), 0);
    return {
      workers: all.length,
      connections: sum((w) => w.connections),
      refused: sum((w) => w.refused) + this.primaryRefused,
      bytesIn: sum((w) => w.bytesIn),
      bytesOut: sum((w) => w.bytesOut),
      peakConcurrent: this.peak,
      cut: sum((w) => w.cut),
      crashes: all.filter((w) => w.end === 'crashed' || w.end === 'killed').length,
      droppedConnections: this.dropped,
    };
  }

  private get(worker: number): WorkerTotals {
    let w = this.byWorker.get(worker);
    if (!w) {
      this.addWorker(worker, 0);
      w = this.byWorker.get(worker)!;
    }
    return w;
  }
}
