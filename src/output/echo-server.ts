// Renderers for `sockkit echo-server` events (the formats and batching shared with
// threaded-server are in server-events.ts). With --json the first line is the
// listening event, so a script can start the server on port 0 and read its port.
import type { EchoServerEvent, EchoServerSummary } from '../net/echo/server.js';
import { formatHostPort } from '../net/shared/address.js';
import type { Terminal } from './terminal.js';
import { paint } from './style.js';
import { bytes, connectText, createEventPrinter, disconnectText, duration, keyValueLine, tlsText, type EventPrinter } from './server-events.js';
import { isoUtc } from '../net/shared/iso-time.js';

export type EchoEventPrinter = EventPrinter<EchoServerEvent>;

export function createEchoEventPrinter(term: Terminal): EchoEventPrinter {
  // The listening line and the summary are written at once: scripts wait for them.
  return createEventPrinter(term, { human: humanLine, legacyPiped: legacyPlainLine, urgent: (e) => e.event === 'listening' || e.event === 'summary' });
}

function clock(): string {
  return isoUtc(Date.now()).slice(11, 23);
}

export function humanLine(term: Terminal, e: EchoServerEvent): string {
  const t = paint(term, 'dim', clock());
  switch (e.event) {
    case 'listening': {
      if (e.protocol === 'unix') return `${t} ${paint(term, 'green', 'listening')}  ${unixListeningText(e)}`;
      const expose = e.address === '127.0.0.1' || e.address === '::1' ? ' (loopback only; expose with --host 0.0.0.0 or --host ::)' : '';
      const backlog = e.backlog !== undefined ? `, backlog ${e.backlog}` : '';
      return `${t} ${paint(term, 'green', 'listening')}  ${e.protocol.toUpperCase()}${e.tls ? '+TLS' : ''} ${formatHostPort(e.address, e.port)}${backlog}${expose}`;
    }
    case 'connect':
      return `${t} ${paint(term, 'cyan', 'connect')}    ${connectText(e)}`;
    case 'disconnect':
      return `${t} ${paint(term, 'blue', 'disconnect')} ${disconnectText(e)}`;
    case 'refused':
      if (e.reason === 'descriptors') {
        return `${t} ${paint(term, 'yellow', 'refused')}    ${plural(e.count, 'connection')}: out of file descriptors (ulimit -n ${e.descriptorLimit}, ${e.open} open); accepted and closed`;
      }
      return `${t} ${paint(term, 'yellow', 'refused')}    ${formatHostPort(e.remoteAddress, e.remotePort)}: --max-conns ${e.maxConns} reached`;
    case 'error':
      return `${t} ${paint(term, 'red', 'error')}      ${e.protocol} ${e.what}: ${e.error}${e.suppressed ? ` (${e.suppressed} more suppressed)` : ''}`;
    case 'tls':
      return `${t} ${paint(term, 'green', 'tls')}        ${tlsText(e)}`;
    case 'summary':
      return `${t} ${paint(term, 'bold', 'summary')}    ${summaryText(e)}`;
  }
}

/** `UNIX /run/echo.sock (srwxr-xr-x root root), backlog 4096` or `UNIX @name (abstract: no file, no permissions)` */
function unixListeningText(e: Extract<EchoServerEvent, { event: 'listening'; protocol: 'unix' }>): string {
  const access = e.abstract ? 'abstract: no file, any local process may connect' : `${e.mode} ${e.owner} ${e.group}`;
  if (e.datagram) return `UNIX datagram ${e.path} (${e.mode} ${e.owner} ${e.group})`;
  return `UNIX${e.tls ? '+TLS' : ''} ${e.path} (${access}), backlog ${e.backlog}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function summaryText(s: EchoServerSummary): string {
  const parts = [
    plural(s.connections, 'connection'),
    `${s.refused} refused`,
    `peak ${s.peakConcurrent} concurrent`,
    `in ${bytes(s.bytesIn)}, out ${bytes(s.bytesOut)}`,
  ];
  if (s.refusedDescriptors) parts.push(`${s.refusedDescriptors} of them for lack of descriptors`);
  if (s.cut) parts.push(`${s.cut} cut at the stop deadline`);
  if (s.tlsHandshakes !== undefined) parts.push(`${plural(s.tlsHandshakes, 'TLS handshake')}, ${s.tlsFailures ?? 0} failed`);
  if (s.datagrams) parts.push(`${plural(s.datagrams, 'datagram')} (${bytes(s.datagramBytes)})`);
  const { ownAddress, lowPort, rateLimited } = s.datagramsRefused;
  if (ownAddress + lowPort + rateLimited > 0) {
    parts.push(`datagrams not answered: ${ownAddress} from this server's own address, ${lowPort} from a low port, ${rateLimited} over the rate limit`);
  }
  if (s.errors) parts.push(plural(s.errors, 'error'));
  parts.push(`up ${duration(s.uptimeMs)}`);
  return parts.join(', ');
}

/** 0.1.0's piped layout (SOCKKIT_LEGACY_EVENTS=1): event, protocol, address, port, then key=value. Remove in 0.3. */
export function legacyPlainLine(e: EchoServerEvent): string {
  switch (e.event) {
    case 'tls': // new in 0.2: no old layout
      return keyValueLine(e);
    case 'listening':
      if (e.protocol === 'unix') return keyValueLine(e); // new in 0.2 too
      return ['listening', e.protocol, e.address, e.port, ...(e.backlog !== undefined ? [`backlog=${e.backlog}`] : [])].join('\t');
    case 'connect':
      return ['connect', e.protocol, e.remoteAddress, e.remotePort, `id=${e.id}`, `open=${e.open}`].join('\t');
    case 'disconnect':
      return [
        'disconnect',
        e.protocol,
        e.remoteAddress,
        e.remotePort,
        `id=${e.id}`,
        `bytesIn=${e.bytesIn}`,
        `bytesOut=${e.bytesOut}`,
        `durationMs=${e.durationMs.toFixed(1)}`,
        `reason=${e.reason}`,
        ...(e.error ? [`error=${e.error}`] : []),
      ].join('\t');
    case 'refused':
      if (e.reason === 'descriptors') return ['refused', e.protocol, `reason=${e.reason}`, `count=${e.count}`, `open=${e.open}`, `descriptorLimit=${e.descriptorLimit}`].join('\t');
      return ['refused', e.protocol, e.remoteAddress, e.remotePort, `reason=${e.reason}`, `maxConns=${e.maxConns}`].join('\t');
    case 'error':
      return ['error', e.protocol, e.what, e.error, `suppressed=${e.suppressed}`].join('\t');
    case 'summary':
      return [
        'summary',
        `connections=${e.connections}`,
        `refused=${e.refused}`,
        `peakConcurrent=${e.peakConcurrent}`,
        `bytesIn=${e.bytesIn}`,
        `bytesOut=${e.bytesOut}`,
        `datagrams=${e.datagrams}`,
        `datagramBytes=${e.datagramBytes}`,
        `errors=${e.errors}`,
        `uptimeMs=${e.uptimeMs.toFixed(0)}`,
        // Later additions go last, so a script that counts fields keeps working.
        `cut=${e.cut}`,
        `refusedDescriptors=${e.refusedDescriptors}`,
        `datagramsRefusedOwnAddress=${e.datagramsRefused.ownAddress}`,
        `datagramsRefusedLowPort=${e.datagramsRefused.lowPort}`,
        `datagramsRefusedRateLimited=${e.datagramsRefused.rateLimited}`,
      ].join('\t');
  }
}
