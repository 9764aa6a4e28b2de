// What echo-server and threaded-server share in printing their events. A server's
// events are its result, so they go to stdout: readable lines on a TTY, NDJSON with
// --json, and when piped one format for both commands: the event name, then a
// tab-separated `key=value` for every field of the JSON event (nested objects
// flattened into camelCase keys), so the piped and JSON forms can never disagree and
// a script finds a field by name, not by position. Lines are batched per event-loop
// turn: one write() for many connections, which keeps 10,000 connects cheap.
import { peerText, type CloseReason, type ConnectionRecord } from '../net/socket/served-connection.js';
import type { ServerTlsInfo } from '../net/socket/tls-server.js';
import { jsonText } from './render.js';
import type { Terminal } from './terminal.js';

export interface ServerEventLike {
  event: string;
}

export type EventPrinter<E extends ServerEventLike> = ((e: E) => void) & { flush(): void };

export interface EventFormats<E extends ServerEventLike> {
  human: (term: Terminal, e: E) => string;
  /** 0.1.0's piped layout, for SOCKKIT_LEGACY_EVENTS=1 (see legacyEvents). */
  legacyPiped: (e: E) => string;
  /** Events written at once (scripts wait for them): the rest are batched per turn. */
  urgent: (e: E) => boolean;
}

export function createEventPrinter<E extends ServerEventLike>(term: Terminal, formats: EventFormats<E>): EventPrinter<E> {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('\n') + '\n';
    pending = [];
    term.stdout.write(text);
  };
  const format = eventFormatter(term, formats);
  const printer = ((e: E) => {
    pending.push(format(e));
    if (formats.urgent(e)) return flush();
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  }) as EventPrinter<E>;
  printer.flush = flush;
  return printer;
}

export function eventFormatter<E extends ServerEventLike>(term: Terminal, formats: EventFormats<E>): (e: E) => string {
  const legacy = legacyEvents(term.env);
  if (term.json) return legacy ? (e) => jsonText(legacyReason(e)) : (e) => jsonText(e);
  if (term.isStdoutTTY) return (e) => formats.human(term, e);
  return legacy ? (e) => formats.legacyPiped(legacyReason(e)) : keyValueLine;
}

/**
 * SOCKKIT_LEGACY_EVENTS=1 keeps what 0.1.0 printed, for one release, for scripts
 * written against it: echo-server's close reason `shutdown` (now `drained`, the word
 * threaded-server used) and each command's own piped layout (echo-server: protocol,
 * address and port by position, the rest key=value; threaded-server: every field by
 * position). Remove in 0.3.
 */
export function legacyEvents(env: NodeJS.ProcessEnv): boolean {
  return env.SOCKKIT_LEGACY_EVENTS === '1';
}

function legacyReason<E extends ServerEventLike>(e: E): E {
  const withReason = e as E & { reason?: string; protocol?: string };
  // Only echo-server's events carry a protocol; threaded-server always said drained.
  if (withReason.reason === 'drained' && withReason.protocol !== undefined) return { ...e, reason: 'shutdown' };
  return e;
}

/** The piped form: `event<TAB>key=value<TAB>…`, tabs and newlines in values turned to spaces. */
export function keyValueLine<E extends ServerEventLike>(e: E): string {
  const fields = [e.event];
  addFields(fields, '', e as unknown as Record<string, unknown>);
  return fields.join('\t');
}

function addFields(fields: string[], prefix: string, object: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(object)) {
    if (prefix === '' && key === 'event') continue;
    if (value === undefined) continue;
    const name = prefix === '' ? key : prefix + key[0]!.toUpperCase() + key.slice(1);
    if (value !== null && typeof value === 'object') addFields(fields, name, value as Record<string, unknown>);
    else fields.push(`${name}=${plainValue(value)}`);
  }
}

export function plainValue(value: unknown): string {
  return String(value ?? '').replace(/[\t\r\n]+/g, ' ');
}

/** Close reasons as a person reads them; the JSON and piped forms carry the word itself. */
export const REASON_TEXT: Record<CloseReason, string> = {
  closed: 'client closed',
  reset: 'reset by client',
  error: 'socket error',
  'idle-timeout': 'idle timeout',
  'max-bytes': '--max-bytes reached',
  drained: 'drained at the server stop',
  cut: 'cut at the stop deadline',
  'tls-handshake': 'TLS handshake failed:',
};

/** `127.0.0.1:5000 #3 (2 open)` */
export function connectText(e: { id: number; remoteAddress: string; remotePort: number; open: number }, where = ''): string {
  return `${peerText(e.remoteAddress, e.remotePort)} #${e.id} (${e.open} open${where})`;
}

/** `127.0.0.1:5000 #3 in 5 B, out 5 B, 7.3 ms, client closed` */
export function disconnectText(e: ConnectionRecord): string {
  const error = e.error && e.reason !== 'closed' ? ` ${e.error}` : '';
  return `${peerText(e.remoteAddress, e.remotePort)} #${e.id} in ${bytes(e.bytesIn)}, out ${bytes(e.bytesOut)}, ${duration(e.durationMs)}, ${REASON_TEXT[e.reason] ?? e.reason}${error}`;
}

/** `127.0.0.1:5000 #3 TLSv1.3 TLS_AES_256_GCM_SHA384, ALPN echo, SNI localhost, client CN=alice, handshake 2.1 ms` */
export function tlsText(e: { id: number; remoteAddress: string; remotePort: number } & ServerTlsInfo): string {
  const parts = [`${peerText(e.remoteAddress, e.remotePort)} #${e.id} ${e.version ?? '?'} ${e.cipher ?? '?'}`];
  if (e.alpn) parts.push(`ALPN ${e.alpn}`);
  if (e.sni) parts.push(`SNI ${e.sni}`);
  if (e.clientCertificate) parts.push(`client ${e.clientCertificate}`);
  parts.push(`handshake ${duration(e.handshakeMs)}${e.resumed ? ' (resumed)' : ''}`);
  return parts.join(', ');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function duration(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
