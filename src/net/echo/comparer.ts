// Checks an echo as it streams back: every byte sent is held until its echo arrives
// and is compared with it, so memory holds only what is in flight, and the first
// byte that differs is known by its offset. Echo chunks need not line up with the
// chunks sent (TCP keeps no boundaries).

export class EchoComparer {
  private readonly pending: Buffer[] = [];
  private pendingOffset = 0;
  /** Bytes handed to sent(). */
  sentBytes = 0;
  /** Bytes handed to echoed(). */
  echoedBytes = 0;
  /** Offset of the first echoed byte that differs from the byte sent there (or that was never sent). */
  firstDifferenceAt: number | undefined;

  /** Holds `chunk` (not copied: the caller must not reuse it) until its echo is compared. */
  sent(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.sentBytes += chunk.length;
  }

  /** Compares an echoed chunk with the oldest bytes sent and not yet echoed. */
  echoed(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const head = this.pending[0];
      if (!head) {
        this.firstDifferenceAt ??= this.echoedBytes + offset; // more bytes back than were sent
        break;
      }
      const n = Math.min(head.length - this.pendingOffset, chunk.length - offset);
      if (this.firstDifferenceAt === undefined && head.compare(chunk, offset, offset + n, this.pendingOffset, this.pendingOffset + n) !== 0) {
        this.firstDifferenceAt = this.echoedBytes + offset + firstMismatch(head, this.pendingOffset, chunk, offset, n);
      }
      offset += n;
      this.pendingOffset += n;
      if (this.pendingOffset === head.length) {
        this.pending.shift();
        this.pendingOffset = 0;
      }
    }
    this.echoedBytes += chunk.length;
  }

  /** The whole echo is back. */
  get complete(): boolean {
    return this.echoedBytes >= this.sentBytes;
  }

  /** The verdict once the echo has ended: identical, or where it first differed (a short echo differs where it stopped). */
  verdict(): { identical: boolean; firstDifferenceAt: number | undefined } {
    const firstDifferenceAt = this.firstDifferenceAt ?? (this.echoedBytes < this.sentBytes ? this.echoedBytes : undefined);
    return { identical: firstDifferenceAt === undefined && this.echoedBytes === this.sentBytes, firstDifferenceAt };
  }
}

function firstMismatch(a: Buffer, aStart: number, b: Buffer, bStart: number, n: number): number {
  for (let i = 0; i < n; i++) if (a[aStart + i] !== b[bStart + i]) return i;
  return n;
}
