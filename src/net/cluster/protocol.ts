// The messages between the threaded-server primary and its workers (node:cluster
// IPC), and the events the primary hands to the renderer. Plain data only.
import type { HandlerName } from './handlers.js';
import type { ConnectionRecord } from '../socket/served-connection.js';
import type { ServerTlsInfo, TlsServerFiles } from '../socket/tls-server.js';

/** What one worker needs to serve; the primary and every worker derive it from the same argv. */
export interface WorkerConfig {
  handler: HandlerName;
  replyText: string;
  /** This worker's share of --max-conns (0: no limit). */
  maxConnsPerWorker: number;
  /** 0: no idle timeout. */
  idleTimeoutMs: number;
  tracing: boolean;
  /** --tls: each worker terminates TLS for its connections. */
  tls?: TlsServerFiles;
  /** Test-only: worker 1 crashes after serving this many connections (0: never). */
  crashAfter: number;
}

/** Per-connection happenings a worker reports, batched into one IPC message per event-loop turn. */
export type WorkerEvent =
  | { type: 'connect'; id: number; remoteAddress: string; remotePort: number; open: number }
  | ({ type: 'disconnect' } & ConnectionRecord)
  | ({ type: 'tls'; id: number; remoteAddress: string; remotePort: number } & ServerTlsInfo)
  | { type: 'refused'; remoteAddress: string; remotePort: number; maxConns: number }
  /** Connections refused for lack of descriptors, aggregated: at most one a second, with the count. */
  | { type: 'refused-descriptors'; count: number; open: number; descriptorLimit: number }
  | { type: 'trace'; step: string; detail: string };

export type WorkerMessage =
  | { kind: 'ready' }
  /** The worker holds connection `id` now; sent before it reads a byte, so the primary may close its copy. */
  | { kind: 'took'; id: number; refused?: boolean }
  | { kind: 'events'; events: WorkerEvent[] }
  | { kind: 'fatal'; message: string }
  | { kind: 'drained'; cut: number };

export type PrimaryMessage =
  /** Sent with the connection's socket as the IPC handle. */
  | { kind: 'conn'; id: number }
  | { kind: 'drain'; deadlineMs: number }
  | { kind: 'fatal-ack' };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return kind === 'ready' || kind === 'took' || kind === 'events' || kind === 'fatal' || kind === 'drained';
}

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return kind === 'conn' || kind === 'drain' || kind === 'fatal-ack';
}

/** Everything the primary reports, each tagged with the worker it concerns. */
export type ServerEvent =
  | {
      event: 'listening';
      address: string;
      port: number;
      protocol: 'tcp';
      workers: number;
      handler: HandlerName;
      /** How connections reach workers: the primary accepts and passes each to the next worker in turn. */
      scheduling: 'round-robin';
    }
  | { event: 'worker-ready'; worker: number; pid: number }
  | ({ event: 'connect'; worker: number } & Omit<Extract<WorkerEvent, { type: 'connect' }>, 'type'>)
  | ({ event: 'disconnect'; worker: number } & Omit<Extract<WorkerEvent, { type: 'disconnect' }>, 'type'>)
  | ({ event: 'tls'; worker: number } & Omit<Extract<WorkerEvent, { type: 'tls' }>, 'type'>)
  | ({ event: 'refused'; worker: number } & Omit<Extract<WorkerEvent, { type: 'refused' }>, 'type'>)
  /** Refused for lack of descriptors (aggregated, one event a second at most); worker 0 is the primary. */
  | { event: 'refused'; worker: number; reason: 'descriptors'; count: number; open: number; descriptorLimit: number }
  | {
      event: 'worker-exit';
      worker: number;
      pid: number;
      exitCode: number | null;
      signal: string | null;
      error?: string;
      /** Connections that were open on it when it died: reset by the kernel, never silently. */
      droppedConnections: number;
      /** The worker started in its place; null when no replacement was started. */
      replacedBy: number | null;
    }
  | { event: 'stopping'; reason: string; drainTimeoutMs: number }
  /** Connections a dead worker had been sent but never took, handed to other workers instead. */
  | { event: 'redispatched'; worker: number; connections: number };
