// threaded-server's faces: one readable line per event on a TTY, the piped and NDJSON
// forms shared with echo-server (server-events.ts); the stop summary as a table per worker.
import type { ServerEvent } from '../net/cluster/protocol.js';
import type { ClusterResult } from '../net/cluster/primary.js';
import { formatHostPort } from '../net/shared/address.js';
import { printNdjson, printTable, type Column } from './render.js';
import { connectText, createEventPrinter, disconnectText, tlsText, keyValueLine, legacyEvents, plainValue, type EventPrinter, type ServerEventLike } from './server-events.js';
import { paint } from './style.js';
import type { Terminal } from './terminal.js';
import type { WorkerTotals } from '../net/cluster/stats.js';

export function createServerEventPrinter(term: Terminal): EventPrinter<ServerEvent> {
  return createEventPrinter(term, {
    human: humanEventLine,
    legacyPiped: (e) => legacyPlainEventLine(e).map(plainValue).join('\t'),
    urgent: (e) => e.event === 'listening' || e.event === 'stopping' || e.event === 'worker-exit',
  });
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
      return `${tag(e.worker)} ${paint(term, 'cyan', 'connect')} ${connectText(e, ' on this worker')}`;
    case 'disconnect':
      return `${tag(e.worker)} ${paint(term, 'blue', 'disconnect')} ${disconnectText(e)}`;
    case 'tls':
      return `${tag(e.worker)} ${paint(term, 'green', 'tls')} ${tlsText(e)}`;
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

/** 0.1.0's piped layout (SOCKKIT_LEGACY_EVENTS=1): every field by position. Remove in 0.3. */
export function legacyPlainEventLine(e: ServerEvent): Array<string | number> {
  switch (e.event) {
    case 'tls': // new in 0.2, so no old layout: its key=value fields
      return keyValueLine(e).split('\t');
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
  if (term.json || !term.isStdoutTTY) {
    const workerLines = result.workers.map((w) => ({
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
    }));
    const lines: Array<ServerEventLike & Record<string, unknown>> = [...workerLines, { event: 'summary', ...totals }];
    const legacy = legacyEvents(term.env);
    for (const line of lines) {
      if (term.json) printNdjson(term, line);
      else term.out(legacy ? Object.values(line).map(plainValue).join('\t') : keyValueLine(line));
    }
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

