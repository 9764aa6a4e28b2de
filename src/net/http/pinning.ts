// curl's --resolve and --connect-to: where a request to the URL's host and port really
// connects. Pure parsing and matching, no sockets. The URL's host stays what the request
// names (Host, SNI) and what the certificate must carry; only the address changes.
import { ipFamily } from '../shared/ip-literal.js';
import { usageError } from '../shared/errors.js';

/** --resolve HOST:PORT:ADDR[,ADDR…]: HOST and PORT may be `*` (any). */
export interface ResolvePin {
  host: string | '*';
  port: number | '*';
  addresses: string[];
}

/** --connect-to HOST:PORT:CONNECT_HOST:CONNECT_PORT: an empty field matches any / keeps the URL's. */
export interface ConnectToPin {
  host: string;
  port: number | null;
  toHost: string;
  toPort: number | null;
}

export interface Pins {
  resolve: ResolvePin[];
  connectTo: ConnectToPin[];
}

export const NO_PINS: Pins = { resolve: [], connectTo: [] };

/** Where a request to host:port connects: another host and port, and addresses when pinned. */
export interface ConnectRoute {
  host: string;
  port: number;
  /** From --resolve: no lookup. */
  addresses?: string[];
  /** What the trace says about the route ("--connect-to a:80 → b:8080"). */
  notes: string[];
}

/**
 * The route for a request to host:port: the first --connect-to that matches moves it
 * (as curl, once), then the first --resolve that matches the host and port connected
 * to gives its addresses.
 */
export function connectRoute(host: string, port: number, pins: Pins): ConnectRoute {
  const notes: string[] = [];
  let route = { host, port };
  const moved = pins.connectTo.find((p) => (p.host === '' || sameHost(p.host, host)) && (p.port === null || p.port === port));
  if (moved) {
    route = { host: moved.toHost === '' ? host : moved.toHost, port: moved.toPort ?? port };
    notes.push(`--connect-to ${hostPort(host, port)} → ${hostPort(route.host, route.port)}`);
  }
  const pinned = pins.resolve.find((p) => (p.host === '*' || sameHost(p.host, route.host)) && (p.port === '*' || p.port === route.port));
  if (!pinned) return { ...route, notes };
  notes.push(`--resolve ${hostPort(route.host, route.port)} → ${pinned.addresses.join(', ')}`);
  return { ...route, addresses: pinned.addresses, notes };
}

function sameHost(a: string, b: string): boolean {
  return a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');
}

function hostPort(host: string, port: number): string {
  return ipFamily(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One --resolve entry, as curl reads it (a leading `+`, curl's "resolve later", means the same here). */
export function parseResolve(input: string): ResolvePin {
  const bad = (why: string) => usageError(`bad --resolve '${input}'`, why, 'expected HOST:PORT:ADDR[,ADDR…], e.g. example.com:443:127.0.0.1');
  const text = input.startsWith('+') ? input.slice(1) : input;
  if (text.startsWith('-')) throw bad('removing an entry (-HOST:PORT) has nothing to remove here');
  const [hostField, rest] = splitField(text, bad);
  const [portField, list] = splitField(rest, bad);
  const host = hostField === '*' ? '*' : unbracket(hostField, bad);
  const port = portField === '*' ? '*' : parsePort(portField, bad);
  const addresses = list.split(',').map((a) => a.trim()).filter((a) => a !== '').map((a) => {
    const address = a.startsWith('[') && a.endsWith(']') ? a.slice(1, -1) : a;
    if (ipFamily(address) === 0) throw bad(`'${a}' is not an IP address`);
    return address;
  });
  if (addresses.length === 0) throw bad('no address');
  return { host, port, addresses };
}

/** One --connect-to entry, as curl reads it. */
export function parseConnectTo(input: string): ConnectToPin {
  const bad = (why: string) => usageError(`bad --connect-to '${input}'`, why, 'expected HOST:PORT:CONNECT_HOST:CONNECT_PORT (an empty field: any / unchanged)');
  const [hostField, r1] = splitField(input, bad);
  const [portField, r2] = splitField(r1, bad);
  const [toHostField, toPortField] = splitField(r2, bad);
  if (toPortField.includes(':')) throw bad('more than four fields');
  return {
    host: hostField === '' ? '' : unbracket(hostField, bad),
    port: portField === '' ? null : parsePort(portField, bad),
    toHost: toHostField === '' ? '' : unbracket(toHostField, bad),
    toPort: toPortField === '' ? null : parsePort(toPortField, bad),
  };
}

type Fail = (why: string) => Error;

/** The first colon-separated field (an IPv6 address in brackets may hold colons) and the rest. */
function splitField(text: string, bad: Fail): [string, string] {
  const end = text.startsWith('[') ? text.indexOf(']') + 1 : 0;
  if (text.startsWith('[') && end === 0) throw bad('unclosed [');
  const colon = text.indexOf(':', end);
  if (colon === -1) throw bad('too few fields');
  return [text.slice(0, colon), text.slice(colon + 1)];
}

function unbracket(field: string, bad: Fail): string {
  if (!field.startsWith('[')) {
    if (/[\s/]/.test(field)) throw bad(`'${field}' is not a host name`);
    return field;
  }
  const inner = field.slice(1, -1);
  if (!field.endsWith(']') || ipFamily(inner) !== 6) throw bad(`'${field}' is not a bracketed IPv6 address`);
  return inner;
}

function parsePort(field: string, bad: Fail): number {
  const port = /^\d{1,5}$/.test(field) ? Number(field) : NaN;
  if (!(port >= 1 && port <= 65535)) throw bad(`port '${field}' is not from 1 to 65535`);
  return port;
}
