// Reading a proxy's handshake replies (HTTP CONNECT, SOCKS5) off a plain socket: whole
// messages, within one deadline, with the proxy's silence, close or reset as typed errors.
import type { Socket } from 'node:net';
import { SockkitError, formatSeconds, toSockkitError } from '../shared/errors.js';

export class HandshakeReader {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private failure: SockkitError | null = null;
  private readonly deadline: number;

  constructor(
    private readonly socket: Socket,
    private readonly what: string,
    private readonly timeoutMs: number,
    private readonly timeoutHint: string,
  ) {
    this.deadline = performance.now() + timeoutMs;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
  }

  private readonly onData = (chunk: Buffer) => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.wake();
  };
  private readonly onEnd = () => this.stop(new SockkitError('PROTOCOL', this.what, 'the proxy closed the connection during the handshake'));
  private readonly onError = (err: Error) => this.stop(toSockkitError(err, this.what));

  private stop(err: SockkitError): void {
    this.failure ??= err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Waits until `complete(buffered)` gives a length (bytes of one message), then takes them. */
  async read(complete: (buffered: Buffer) => number | undefined): Promise<Buffer> {
    for (;;) {
      const n = complete(this.buffered);
      if (n !== undefined) {
        const message = this.buffered.subarray(0, n);
        this.buffered = this.buffered.subarray(n);
        return message;
      }
      if (this.failure) throw this.failure;
      await this.waitForData();
    }
  }

  readExactly(n: number): Promise<Buffer> {
    return this.read((b) => (b.length >= n ? n : undefined));
  }

  private waitForData(): Promise<void> {
    const left = this.deadline - performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.stop(new SockkitError('TIMEOUT', this.what, `no answer from the proxy after ${formatSeconds(this.timeoutMs)}`, this.timeoutHint)), Math.max(1, left));
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Stops listening; bytes the proxy sent past its reply are an error (nothing may come before our request). */
  finish(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    if (this.buffered.length > 0) throw new SockkitError('PROTOCOL', this.what, `the proxy sent ${this.buffered.length} bytes past its reply`);
  }
}
