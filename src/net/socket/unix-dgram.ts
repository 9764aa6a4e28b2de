// Unix datagram sockets (AF_UNIX, SOCK_DGRAM) for bind, echo-server and echo-client
// `--udp --unix`. Node's dgram opens only udp4 and udp6 sockets, and no JavaScript can
// open these. The native part of node-unix-socket does (MIT; napi-rs, prebuilt for
// Linux x64 on the npm registry, so no compiler is needed): its platform packages are
// optional dependencies, loaded here only, only when asked for. The few lines of its
// JavaScript wrapper are written here instead of depending on it: the wrapper names
// platform packages the registry does not have, which `npm ci` refuses as a lock out of
// sync. A datagram's sender is known by the path it bound, so a client binds one (in a
// private temporary directory) for the echo to come back to.
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SockkitError, usageError } from '../shared/errors.js';
import type { TraceFn } from '../shared/trace.js';
import { clearStaleSocket, unixBindFailure, unixSocketInfo, type UnixAddress, type UnixSocketInfo } from './unix.js';

/** The native socket: it reports through '_data' and '_error' on the object given to it. */
interface DgramSocketWrap {
  init(self: DgramSocketWrap): void;
  startRecv(): void;
  bind(path: string): void;
  sendTo(buf: Buffer, offset: number, length: number, destPath: string, onWrite?: (err?: Error) => void): void;
  close(): void;
}
type Addon = { DgramSocketWrap: new (emitter: EventEmitter) => DgramSocketWrap };

/** A Unix datagram socket: 'data' (buffer, sender's path), 'error'. */
class NativeDatagram extends EventEmitter {
  private readonly wrap: DgramSocketWrap;
  private closed = false;

  constructor(addon: Addon) {
    super();
    this.emit = this.emit.bind(this); // the native side calls emit without its object
    this.wrap = new addon.DgramSocketWrap(this);
    this.wrap.init(this.wrap);
    this.wrap.startRecv();
    this.on('_data', (buf: Buffer, from: string) => process.nextTick(() => this.emit('data', buf, from)));
    this.on('_error', (err: Error) => {
      this.close();
      this.emit('error', err);
    });
  }

  bind(path: string): void {
    this.wrap.bind(path);
  }

  sendTo(buf: Buffer, offset: number, length: number, destPath: string, onWrite?: (err?: Error) => void): void {
    if (this.closed) return onWrite?.(new Error('the socket is closed'));
    this.wrap.sendTo(buf, offset, length, destPath, onWrite);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wrap.close();
  }
}

let addon: Addon | undefined;

function nativeDatagram(): NativeDatagram {
  if (!addon) {
    const libc = process.platform === 'linux' && !readFileSync('/proc/self/maps', 'latin1').includes('musl') ? 'gnu' : 'musl';
    const name = `node-unix-socket-${process.platform}-${process.arch}-${libc}`;
    try {
      addon = createRequire(import.meta.url)(name) as Addon;
    } catch (err) {
      throw new SockkitError('USAGE', '--udp --unix', `Unix datagram sockets need the optional package ${name}, which is not installed here (Node's dgram opens only UDP)`, `npm install ${name}`, { cause: err });
    }
  }
  return new NativeDatagram(addon);
}

function abstractRefused(address: UnixAddress): void {
  if (address.abstract) throw usageError(`bad --unix '${address.display}'`, 'Unix datagram sockets take a path here, not an abstract @name');
}

/** Binds a datagram socket at the path; an existing file is probed and cleared as for a stream socket (`unlink`). */
export async function bindUnixDatagram(address: UnixAddress, unlink: boolean, trace: TraceFn): Promise<{ socket: NativeDatagram; info: UnixSocketInfo; close(): void }> {
  abstractRefused(address);
  const socket = nativeDatagram();
  trace('socket', 'unix datagram');
  await clearStaleSocket(address, trace, unlink);
  trace('bind', address.display);
  try {
    socket.bind(address.kernelPath);
  } catch (err) {
    socket.close();
    throw bindFailure(err, address);
  }
  // A closed datagram socket leaves its file: close() removes it.
  const close = () => {
    socket.close();
    removeSocketFile(address);
  };
  return { socket, info: unixSocketInfo(address), close };
}

/** The addon's errors carry the errno as text only: named here, then worded as a stream socket's. */
function bindFailure(err: unknown, address: UnixAddress): SockkitError {
  const text = err instanceof Error ? err.message : String(err);
  const code = /in use/i.test(text) ? 'EADDRINUSE' : /permission|denied/i.test(text) ? 'EACCES' : /no such file/i.test(text) ? 'ENOENT' : undefined;
  return unixBindFailure(err, address, `bind unix datagram ${address.display}`, code);
}

function removeSocketFile(address: UnixAddress): void {
  try {
    unlinkSync(address.kernelPath);
  } catch {
    // already gone
  }
}

export interface UnixDatagramEchoStats {
  datagrams: number;
  bytes: number;
  /** Datagrams from a socket that bound no path: there is no address to echo them to. */
  unaddressed: number;
}

/** echo-server --udp --unix: every datagram back to the path it came from. */
export async function startUnixDatagramEcho(
  address: UnixAddress,
  unlink: boolean,
  onError: (what: string, err: NodeJS.ErrnoException) => void,
  trace: TraceFn,
): Promise<{ info: UnixSocketInfo; stop(): Promise<UnixDatagramEchoStats> }> {
  const { socket, info, close } = await bindUnixDatagram(address, unlink, trace);
  const stats: UnixDatagramEchoStats = { datagrams: 0, bytes: 0, unaddressed: 0 };
  socket.on('error', (err: NodeJS.ErrnoException) => onError('recv', err));
  socket.on('data', (msg: Buffer, from: string) => {
    if (!from) {
      stats.unaddressed++;
      return;
    }
    stats.datagrams++;
    stats.bytes += msg.length;
    // A client gone before its echo is one peer's failure, never the server's.
    socket.sendTo(msg, 0, msg.length, from, (err) => err && onError('send', err as NodeJS.ErrnoException));
  });
  return {
    info,
    stop: async () => {
      trace('close', `unix datagram ${address.display}: ${stats.datagrams} datagrams, ${stats.bytes} bytes echoed; ${stats.unaddressed} from unbound sockets not answered`);
      close();
      return stats;
    },
  };
}

/**
 * echo-client --udp --unix: a datagram socket bound in a private temporary directory and
 * "connected" to the server's path, with the calls the UDP round trip and load code make
 * of a connected node:dgram socket (send, 'message', 'error', close). Datagrams from any
 * other path are dropped, as a connected socket's kernel would drop them.
 */
export class UnixDatagramClient extends EventEmitter {
  private constructor(
    private readonly socket: NativeDatagram,
    private readonly server: string,
    private readonly dir: string,
  ) {
    super();
    socket.on('data', (msg: Buffer, from: string) => {
      if (from === server) this.emit('message', msg); // the sender is the server: no rinfo to build per datagram
    });
    socket.on('error', (err: Error) => this.emit('error', err));
  }

  static open(server: UnixAddress, trace: TraceFn): UnixDatagramClient {
    abstractRefused(server);
    const socket = nativeDatagram();
    const dir = mkdtempSync(join(tmpdir(), 'sockkit-dgram-'));
    const own = join(dir, 'client.sock');
    trace('socket', 'unix datagram');
    socket.bind(own);
    trace('bind', `${own} (the echo comes back here)`);
    trace('connect', `unix datagram ${server.display}`);
    return new UnixDatagramClient(socket, server.kernelPath, dir);
  }

  send(payload: Buffer, done?: (err: Error | null) => void): void {
    this.socket.sendTo(payload, 0, payload.length, this.server, (err) => done?.(err ? toUnreachable(err, this.server) : null));
  }

  /** The kernel's receive buffer is what it is: the load mode asks, this socket declines. */
  setRecvBufferSize(): void {}

  close(done?: () => void): void {
    this.socket.close();
    rmSync(this.dir, { recursive: true, force: true });
    done?.();
  }
}

/** Nothing bound at the server's path: ECONNREFUSED (or ENOENT), as a UDP port with nothing on it. */
function toUnreachable(err: Error, path: string): Error {
  return /refused|no such file/i.test(err.message) ? Object.assign(new Error(`connect unix datagram ${path}: ${err.message}`), { code: 'ECONNREFUSED' }) : err;
}
