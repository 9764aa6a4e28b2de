// threaded-server's faces: one readable line per event on a TTY, tab-separated
// records when piped, NDJSON with --json; the stop summary as a table per worker.
import type { ServerEvent } from '../net/cluster/protocol.js';
import type { ClusterResult } from '../net/cluster/primary.js';
import { formatHostPort } from '../net/shared/address.js';
import { printNdjson, printTable, type Column } from './render.js';
import { paint } from './style.js';
import type { Terminal } from './terminal.js';
import type { WorkerTotals } from '../net/cluster/stats.js';

export function printServerEvent(term: Terminal, event: ServerEvent): void {
  if (term.json) printNdjson(term, event);
  else if (term.isStdoutTTY) term.out(humanEventLine(term, event));
  else term.out(plainEventLine(event).map(plainField).join('\t'));
}

/** One line for a person watching the server. */
export function humanEventLine(term: Terminal, e: ServerEvent): string {
  const tag = (worker: number) => paint(term, 'dim', `[worker ${worker}]`);
  switch (e.event) {
    case 'listening':
      return (
        `${paint(term, 'green', 'listening')} on ${formatHostPort(e.address, e.port)} (tcp), handler ${e.handler}, ` +
        `${e.workers} worker${e.workers === 1 ? '' : 's'} (node:cluster, connections handed out round-robin)`
      );
    case 'worker-ready':
      return `${tag(e.worker)} ready, pid ${e.pid}`;
    case 'connect':
      return `${tag(e.worker)} connect ${formatHostPort(e.remoteAddress, e.remotePort)} (${e.open} open on this worker)`;
    case 'disconnect': {
      const why = e.error ? `${e.reason}: ${e.error}` : e.reason;
      return `${tag(e.worker)} disconnect ${formatHostPort(e.remoteAddress, e.remotePort)}: ${e.bytesIn} B in, ${e.bytesOut} B out, ${formatMs(e.durationMs)} (${why})`;
    }
    case 'refused':
      if ('reason' in e) {
        const who = e.worker === 0 ? paint(term, 'dim', '[primary]') : tag(e.worker);
        return `${who} ${paint(term, 'yellow', 'refused')} ${e.count} connection${e.count === 1 ? '' : 's'}: out of file descriptors (ulimit -n ${e.descriptorLimit}, ${e.open} open); accepted and closed`;
      }
      return `${tag(e.worker)} ${paint(term, 'yellow', 'refused')} ${formatHostPort(e.remoteAddress, e.remotePort)}: this worker is at its limit of ${e.maxConns} open connection${e.maxConns === 1 ? '' : 's'} (--max-conns)`;
    case 'worker-exit': {
      const how = e.signal ? `killed by ${e.signal}` : `exit code ${e.exitCode}`;
      const why = e.error ? `: ${e.error}` : '';
      const dropped = `${e.droppedConnections} open connection${e.droppedConnections === 1 ? '' : 's'} dropped`;
      const next = e.replacedBy === null ? 'not replaced' : `replaced by worker ${e.replacedBy}`;
      return `${tag(e.worker)} ${paint(term, 'red', 'died')} (${how}${why}); ${dropped}; ${next}`;
    }
    case 'redispatched':
      return `${tag(e.worker)} ${e.connections} connection${e.connections === 1 ? '' : 's'} on the way to it handed to other workers`;
    case 'stopping':
      return `stopping (${e.reason}): no new connections; open ones get up to ${formatMs(e.drainTimeoutMs)} to finish`;
  }
}

/** The same event as fields for `cut`/`awk`: the event name first, then the worker. */
export function plainEventLine(e: ServerEvent): Array<string | number> {
  switch (e.event) {
    case 'listening':
      return [e.event, e.address, e.port, e.protocol, e.workers, e.handler];
    case 'worker-ready':
      return [e.event, e.worker, e.pid];
    case 'connect':
      return [e.event, e.worker, e.remoteAddress, e.remotePort, e.open];
    case 'disconnect':
      return [e.event, e.worker, e.remoteAddress, e.remotePort, e.bytesIn, e.bytesOut, e.durationMs, e.reason, e.error ?? ''];
    case 'refused':
      if ('reason' in e) return [e.event, e.worker, e.reason, e.count, e.open, e.descriptorLimit];
      return [e.event, e.worker, e.remoteAddress, e.remotePort, e.maxConns];
    case 'worker-exit':
      return [e.event, e.worker, e.pid, e.exitCode ?? '', e.signal ?? '', e.droppedConnections, e.replacedBy ?? '', e.error ?? ''];
    case 'redispatched':
      return [e.event, e.worker, e.connections];
    case 'stopping':
      return [e.event, e.reason, e.drainTimeoutMs];
  }
}

/** One summary per worker and one in total, after every worker has exited. */
export async function printServerSummary(term: Terminal, result: ClusterResult): Promise<void> {
  const { totals } = result;
  if (term.json) {
    for (const w of result.workers) {
      printNdjson(term, {
        event: 'worker-summary',
        worker: w.worker,
        pid: w.pid,
        connections: w.connections,
        refused: w.refused,
        bytesIn: w.bytesIn,
        bytesOut: w.bytesOut,
        peakConcurrent: w.peakConcurrent,
        cut: w.cut,
        end: w.end,
      });
    }
    printNdjson(term, { event: 'summary', ...totals });
    return;
  }
  if (!term.isStdoutTTY) {
    for (const w of result.workers) {
      term.out(['worker-summary', w.worker, w.pid, w.connections, w.refused, w.bytesIn, w.bytesOut, w.peakConcurrent, w.cut, w.end].join('\t'));
    }
    term.out(['summary', totals.workers, totals.connections, totals.refused, totals.bytesIn, totals.bytesOut, totals.peakConcurrent, totals.cut, totals.crashes, totals.droppedConnections].join('\t'));
    return;
  }
  type Row = Omit<WorkerTotals, 'worker' | 'pid' | 'open' | 'end'> & { worker: string; pid: string; end: string };
  const columns: Array<Column<Row>> = [
    { header: 'worker', value: (r) => r.worker },
    { header: 'pid', value: (r) => r.pid, align: 'right' },
    { header: 'connections', value: (r) => r.connections, align: 'right' },
    { header: 'refused', value: (r) => r.refused, align: 'right' },
    { header: 'bytes in', value: (r) => r.bytesIn, align: 'right' },
    { header: 'bytes out', value: (r) => r.bytesOut, align: 'right' },
    { header: 'peak concurrent', value: (r) => r.peakConcurrent, align: 'right' },
    { header: 'cut at deadline', value: (r) => r.cut, align: 'right' },
    { header: 'ended', value: (r) => r.end, style: (r) => (r.end === 'drained' || r.end === '' ? undefined : 'red') },
  ];
  const rows: Row[] = result.workers.map((w) => ({ ...w, worker: String(w.worker), pid: String(w.pid) }));
  rows.push({
    worker: 'total',
    pid: '',
    connections: totals.connections,
    refused: totals.refused,
    bytesIn: totals.bytesIn,
    bytesOut: totals.bytesOut,
    peakConcurrent: totals.peakConcurrent,
    cut: totals.cut,
    end: totals.crashes > 0 ? `${totals.crashes} died, ${totals.droppedConnections} connections dropped` : '',
  });
  await printTable(term, columns, rows);
}

function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s`;
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

function plainField(value: string | number): string {
  return String(value).replace(/[\t\r\n]+/g, ' ');
}
