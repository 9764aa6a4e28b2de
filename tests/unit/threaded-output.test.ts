import { describe, expect, test } from '@jest/globals';
import { ClusterStats } from '../../src/net/cluster/stats.js';
import type { ServerEvent } from '../../src/net/cluster/protocol.js';
import { createServerEventPrinter, printServerSummary } from '../../src/output/threaded-server.js';
import { Terminal } from '../../src/output/terminal.js';
import { FakeStream } from '../helpers/fake-stream.js';

function stats(): ClusterStats {
  const s = new ClusterStats();
  s.addWorker(1, 101);
  s.addWorker(2, 102);
  s.connect(1);
  s.connect(2);
  s.connect(1);
  s.disconnect(1, 10, 10, false);
  s.refused(2);
  return s;
}

describe('ClusterStats', () => {
  test('per-worker counts, total peak across workers, dropped connections of a dead worker', () => {
    const s = stats();
    expect(s.openOn(1)).toBe(1);
    expect(s.workerEnded(1, 'crashed')).toBe(1);
    s.disconnect(2, 5, 7, true);
    s.workerEnded(2, 'drained');
    const [w1, w2] = s.workers();
    expect(w1).toMatchObject({ worker: 1, pid: 101, connections: 2, peakConcurrent: 2, bytesIn: 10, end: 'crashed', open: 0 });
    expect(w2).toMatchObject({ worker: 2, connections: 1, refused: 1, cut: 1, peakConcurrent: 1, end: 'drained' });
    expect(s.totals()).toEqual({
      workers: 2,
      connections: 3,
      refused: 1,
      bytesIn: 15,
      bytesOut: 17,
      peakConcurrent: 3,
      cut: 1,
      crashes: 1,
      droppedConnections: 1,
    });
  });
});

const events: ServerEvent[] = [
  { event: 'listening', address: '127.0.0.1', port: 9000, protocol: 'tcp', workers: 2, handler: 'echo', scheduling: 'round-robin' },
  { event: 'connect', worker: 2, id: 7, remoteAddress: '::1', remotePort: 5000, open: 1 },
  { event: 'disconnect', worker: 2, id: 7, remoteAddress: '::1', remotePort: 5000, bytesIn: 3, bytesOut: 3, durationMs: 1.5, reason: 'closed', halfClosed: true },
  { event: 'worker-exit', worker: 1, pid: 101, exitCode: 70, signal: null, error: 'boom', droppedConnections: 2, replacedBy: 3 },
  { event: 'redispatched', worker: 1, connections: 1 },
];

function printAll(term: Terminal): void {
  const print = createServerEventPrinter(term);
  for (const e of events) print(e);
  print.flush();
}

describe('threaded-server renderers', () => {
  test('--json: one object per line, the first one the listening event', () => {
    const stdout = new FakeStream(false);
    const term = new Terminal({ stdout, env: {}, json: true });
    printAll(term);
    const lines = stdout.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ event: 'listening', address: '127.0.0.1', port: 9000, protocol: 'tcp', workers: 2, handler: 'echo', scheduling: 'round-robin' });
    expect(lines[2]).toMatchObject({ event: 'disconnect', worker: 2, bytesIn: 3, durationMs: 1.5 });
  });

  test('TTY: readable lines tagged with the worker', () => {
    const stdout = new FakeStream(true);
    const term = new Terminal({ stdout, env: { NO_COLOR: '1' } });
    printAll(term);
    const lines = stdout.text.trim().split('\n');
    expect(lines[0]).toBe('listening on 127.0.0.1:9000 (tcp), handler echo, 2 workers (node:cluster, connections handed out round-robin)');
    expect(lines[1]).toBe('[worker 2] connect [::1]:5000 #7 (1 open on this worker)');
    expect(lines[2]).toBe('[worker 2] disconnect [::1]:5000 #7 in 3 B, out 3 B, 1.5 ms, client closed');
    expect(lines[3]).toBe('[worker 1] died (exit code 70: boom); 2 open connections dropped; replaced by worker 3');
    expect(lines[4]).toBe('[worker 1] 1 connection on the way to it handed to other workers');
  });

  test('piped: the event name, then key=value for every JSON field (the format echo-server uses)', () => {
    const stdout = new FakeStream(false);
    const term = new Terminal({ stdout, env: {} });
    printAll(term);
    expect(stdout.text.split('\n')[1]).toBe('connect\tworker=2\tid=7\tremoteAddress=::1\tremotePort=5000\topen=1');
    expect(stdout.text.split('\n')[3]).toBe('worker-exit\tworker=1\tpid=101\texitCode=70\tsignal=\terror=boom\tdroppedConnections=2\treplacedBy=3');
    const legacy = new FakeStream(false);
    printAll(new Terminal({ stdout: legacy, env: { SOCKKIT_LEGACY_EVENTS: '1' } }));
    expect(legacy.text.split('\n')[1]).toBe('connect\t2\t::1\t5000\t1');
    expect(legacy.text.split('\n')[3]).toBe('worker-exit\t1\t101\t70\t\t2\t3\tboom');
  });

  test('summary: one per worker and a total, as a table, TSV or NDJSON', async () => {
    const s = stats();
    const result = { workers: s.workers(), totals: s.totals() };
    const tty = new FakeStream(true);
    await printServerSummary(new Terminal({ stdout: tty, env: { NO_COLOR: '1' } }), result);
    expect(tty.text).toMatch(/peak concurrent/);
    expect(tty.text).toMatch(/total/);
    const piped = new FakeStream(false);
    await printServerSummary(new Terminal({ stdout: piped, env: {} }), result);
    expect(piped.text.trim().split('\n')).toEqual([
      'worker-summary\tworker=1\tpid=101\tconnections=2\trefused=0\tbytesIn=10\tbytesOut=10\tpeakConcurrent=2\tcut=0\tend=running',
      'worker-summary\tworker=2\tpid=102\tconnections=1\trefused=1\tbytesIn=0\tbytesOut=0\tpeakConcurrent=1\tcut=0\tend=running',
      'summary\tworkers=2\tconnections=3\trefused=1\tbytesIn=10\tbytesOut=10\tpeakConcurrent=3\tcut=0\tcrashes=0\tdroppedConnections=0',
    ]);
    const legacy = new FakeStream(false);
    await printServerSummary(new Terminal({ stdout: legacy, env: { SOCKKIT_LEGACY_EVENTS: '1' } }), result);
    expect(legacy.text.trim().split('\n')).toEqual([
      'worker-summary\t1\t101\t2\t0\t10\t10\t2\t0\trunning',
      'worker-summary\t2\t102\t1\t1\t0\t0\t1\t0\trunning',
      'summary\t2\t3\t1\t10\t10\t3\t0\t0\t0',
    ]);
    const json = new FakeStream(false);
    await printServerSummary(new Terminal({ stdout: json, env: {}, json: true }), result);
    const docs = json.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs.map((d) => d.event)).toEqual(['worker-summary', 'worker-summary', 'summary']);
    expect(docs[2]).toMatchObject({ connections: 3, peakConcurrent: 3 });
  });
});
