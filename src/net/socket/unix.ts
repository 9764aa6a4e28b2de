// Unix-domain stream sockets: a path in the file system, or a name in Linux's abstract
// namespace (`@name`, which has no file and vanishes with its last socket). A socket
// file outlives a server that dies without removing it; binding over it then fails
// with "address in use" although nothing listens. We tell the two apart by connecting:
// refused means stale. A stale file is replaced only when asked (--unlink), and a path
// that is not a socket is never removed.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { lstatSync, statSync, unlinkSync, readFileSync, type Stats } from 'node:fs';
import { SockkitError, toSockkitError, usageError } from '../shared/errors.js';
import type { TraceFn } from '../shared/trace.js';

/** sun_path is 108 bytes on Linux, with the terminating NUL (or the abstract marker). */
const MAX_UNIX_PATH_BYTES = 107;
/** How long probing an existing socket file may take: a live server answers at once. */
const STALE_PROBE_MS = 1000;

export interface UnixAddress {
  /** As the user wrote it: a path, or @name. */
  display: string;
  /** What the kernel gets: the path, or NUL + name for the abstract namespace. */
  kernelPath: string;
  abstract: boolean;
}

export function parseUnixAddress(text: string, flag = '--unix'): UnixAddress {
  const abstract = text.startsWith('@');
  const body = abstract ? text.slice(1) : text;
  if (body === '') throw usageError(`bad ${flag} '${text}'`, abstract ? 'an abstract name needs at least one character after @' : 'empty path');
  checkUnixPath(body, flag, text);
  return { display: text, kernelPath: abstract ? `\0${body}` : body, abstract };
}

/**
 * A socket path taken as written (http-get --unix-socket, as curl's: `@` is a character
 * like any other): refused when empty, with a NUL byte, or longer than sun_path holds.
 */
export function checkUnixPath(path: string, flag: string, as = path): string {
  if (path === '') throw usageError(`bad ${flag} ''`, 'empty path');
  if (path.includes('\0')) throw usageError(`bad ${flag}`, 'a NUL byte in the path');
  if (Buffer.byteLength(path) > MAX_UNIX_PATH_BYTES) {
    throw usageError(`bad ${flag} '${as}'`, `longer than ${MAX_UNIX_PATH_BYTES} bytes, the most a Unix socket address holds (sun_path)`);
  }
  return path;
}

/** Who may connect: the socket file's permissions and owner (abstract names have none). */
export interface UnixSocketInfo {
  /** `srwxr-xr-x`, as ls -l shows it; null for an abstract name. */
  mode: string | null;
  owner: string | null;
  group: string | null;
}

export function unixSocketInfo(address: UnixAddress): UnixSocketInfo {
  if (address.abstract) return { mode: null, owner: null, group: null };
  const stats = statSync(address.kernelPath);
  return { mode: modeString(stats), owner: idName('/etc/passwd', stats.uid), group: idName('/etc/group', stats.gid) };
}

/**
 * Listens on a Unix stream socket. An existing file at the path is probed first: a
 * live server there is "in use"; a stale socket is removed only with `unlink`; any
 * other kind of file is left alone and refused.
 */
export async function listenUnix(address: UnixAddress, backlog: number, trace: TraceFn, server: Server = createServer(), unlink = false): Promise<Server> {
  trace('socket', 'unix stream');
  if (!address.abstract) await clearStaleSocket(address, trace, unlink);
  trace('bind', address.display);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: address.kernelPath, backlog }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: unknown) => {
    throw unixBindFailure(err, address);
  });
  trace('listen', `${address.display} backlog ${backlog}`);
  return server;
}

export async function clearStaleSocket(address: UnixAddress, trace: TraceFn, unlink: boolean): Promise<void> {
  let stats: Stats;
  try {
    stats = lstatSync(address.kernelPath);
  } catch {
    return; // nothing there
  }
  const what = `bind unix ${address.display}`;
  if (!stats.isSocket()) throw new SockkitError('ADDRESS_UNAVAILABLE', what, 'the path exists and is not a socket (left as it is)', 'choose another path');
  const live = await answers(address.kernelPath);
  if (live) throw new SockkitError('ADDRESS_UNAVAILABLE', what, 'address already in use: a server is listening on it', 'stop that server, or choose another path');
  if (!unlink) {
    throw new SockkitError('ADDRESS_UNAVAILABLE', what, 'a stale socket file: nothing listens on it (a server ended without removing it)', 'remove it, or pass --unlink to replace it');
  }
  trace('unlink', `${address.display} (stale: connecting was refused)`);
  unlinkSync(address.kernelPath);
}

/** True when something accepts a connection on the path within STALE_PROBE_MS. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe: Socket = connect({ path });
    const done = (live: boolean) => {
      clearTimeout(timer);
      probe.destroy();
      resolve(live);
    };
    // A server too busy to accept within the probe is alive: never remove it.
    const timer = setTimeout(() => done(true), STALE_PROBE_MS);
    probe.once('connect', () => done(true));
    probe.once('error', (err: NodeJS.ErrnoException) => done(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
}

/** A failed bind of a Unix socket in words; `code` is the errno's (datagram sockets give it as text only). */
export function unixBindFailure(err: unknown, address: UnixAddress, what = `bind unix ${address.display}`, code = (err as NodeJS.ErrnoException | undefined)?.code): SockkitError {
  if (code === 'EADDRINUSE') return new SockkitError('ADDRESS_UNAVAILABLE', what, 'address already in use', address.abstract ? 'another process holds that abstract name' : undefined, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new SockkitError('ADDRESS_UNAVAILABLE', what, 'permission denied: cannot create a file in that directory', undefined, { cause: err });
  if (code === 'ENOENT') return new SockkitError('ADDRESS_UNAVAILABLE', what, 'no such directory', undefined, { cause: err });
  return toSockkitError(err, what);
}

/** `srwxr-x---` from a file's mode bits. */
export function modeString(stats: Pick<Stats, 'mode' | 'isSocket'>): string {
  const bits = 'rwxrwxrwx';
  let text = stats.isSocket() ? 's' : '-';
  for (let i = 0; i < 9; i++) text += stats.mode & (0o400 >> i) ? bits[i] : '-';
  return text;
}

/** A uid or gid by name from /etc/passwd or /etc/group, else the number. */
function idName(file: string, id: number): string {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields[2] === String(id) && fields[0]) return fields[0];
    }
  } catch {
    // unreadable: the number will do
  }
  return String(id);
}

export interface UnixBindResult extends UnixSocketInfo {
  protocol: 'unix';
  path: string;
  abstract: boolean;
  /** Node binds and listens in one call, as for TCP. */
  listening: true;
  backlog: number;
}

/** `sockkit bind --unix`: bind and listen on a Unix stream socket; the caller closes it (which removes the file). */
export async function bindUnixSocket(address: UnixAddress, backlog: number, unlink: boolean, trace: TraceFn): Promise<UnixBindResult & { close(): Promise<void> }> {
  const server = await listenUnix(address, backlog, trace, createServer(), unlink);
  server.on('connection', (socket) => socket.destroy()); // bound to be reported, not to serve
  return {
    protocol: 'unix',
    path: address.display,
    abstract: address.abstract,
    listening: true,
    backlog,
    ...unixSocketInfo(address),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
