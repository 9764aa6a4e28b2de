// Checks an echo as it streams back: every byte sent is held until its echo arrives
// and is compared with it, so memory holds only what is in flight, and the first
// byte that differs is known by its offset, with a few bytes from there on each side
// (what was expected and what came back) to show how a reply that is not an echo
// differs. Echo chunks need not line up with the chunks sent (TCP keeps no boundaries).

/** Bytes kept from the first difference on, on each side: enough to recognise a banner or a case change. */
export const EXCERPT_BYTES = 16;

/** Where an echo first differs from what was sent, and the bytes from there on each side (at most EXCERPT_BYTES; empty where that side had ended). */
export interface EchoDifference {
  offset: number;
  expected: Buffer;
  seen: Buffer;
}

/** The difference of two whole messages (a datagram, a --count message), or undefined when they are equal. */
export function differenceOf(expected: Buffer, seen: Buffer): EchoDifference | undefined {
  const n = Math.min(expected.length, seen.length);
  let offset = 0;
  while (offset < n && expected[offset] === seen[offset]) offset++;
  if (offset === n && expected.length === seen.length) return undefined;
  return { offset, expected: Buffer.from(expected.subarray(offset, offset + EXCERPT_BYTES)), seen: Buffer.from(seen.subarray(offset, offset + EXCERPT_BYTES)) };
}

export class EchoComparer {
  private readonly pending: Buffer[] = [];
  private pendingOffset = 0;
  /** Bytes handed to sent(). */
  sentBytes = 0;
  /** Bytes handed to echoed(). */
  echoedBytes = 0;
  /** Offset of the first echoed byte that differs from the byte sent there (or that was never sent). */
  firstDifferenceAt: number | undefined;
  private difference: EchoDifference | undefined;
  /** Echoed bytes the `seen` excerpt still waits for (it may span chunks). */
  private seenMissing = 0;

  /** Holds `chunk` (not copied: the caller must not reuse it) until its echo is compared. */
  sent(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.sentBytes += chunk.length;
  }

  /** Compares an echoed chunk with the oldest bytes sent and not yet echoed. */
  echoed(chunk: Buffer): void {
    if (this.seenMissing > 0) this.extendSeen(chunk, 0);
    let offset = 0;
    while (offset < chunk.length) {
      const head = this.pending[0];
      if (!head) {
        if (this.firstDifferenceAt === undefined) this.found(chunk, offset); // more bytes back than were sent
        break;
      }
      const n = Math.min(head.length - this.pendingOffset, chunk.length - offset);
      if (this.firstDifferenceAt === undefined && head.compare(chunk, offset, offset + n, this.pendingOffset, this.pendingOffset + n) !== 0) {
        const at = firstMismatch(head, this.pendingOffset, chunk, offset, n);
        this.pendingOffset += at; // found() reads the expected bytes from here
        this.found(chunk, offset + at);
        this.pendingOffset -= at;
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
  verdict(): { identical: boolean; firstDifferenceAt: number | undefined; difference?: EchoDifference } {
    if (this.firstDifferenceAt === undefined && this.echoedBytes < this.sentBytes) {
      this.difference = { offset: this.echoedBytes, expected: this.expectedFromHere(), seen: Buffer.alloc(0) };
    }
    const firstDifferenceAt = this.firstDifferenceAt ?? (this.echoedBytes < this.sentBytes ? this.echoedBytes : undefined);
    const identical = firstDifferenceAt === undefined && this.echoedBytes === this.sentBytes;
    return identical ? { identical, firstDifferenceAt } : { identical, firstDifferenceAt, difference: this.difference };
  }

  /** The first difference is at `chunk[at]`; the expected side starts at the pending position. */
  private found(chunk: Buffer, at: number): void {
    this.firstDifferenceAt = this.echoedBytes + at;
    this.difference = { offset: this.firstDifferenceAt, expected: this.expectedFromHere(), seen: Buffer.alloc(0) };
    this.seenMissing = EXCERPT_BYTES;
    this.extendSeen(chunk, at);
  }

  private extendSeen(chunk: Buffer, from: number): void {
    const take = chunk.subarray(from, from + this.seenMissing);
    this.difference!.seen = Buffer.concat([this.difference!.seen, take]);
    this.seenMissing -= take.length;
  }

  /** Up to EXCERPT_BYTES sent and not yet echoed, from the current position. */
  private expectedFromHere(): Buffer {
    const parts: Buffer[] = [];
    let left = EXCERPT_BYTES;
    let from = this.pendingOffset;
    for (const buf of this.pending) {
      if (left === 0) break;
      const part = buf.subarray(from, from + left);
      parts.push(part);
      left -= part.length;
      from = 0;
    }
    return Buffer.from(Buffer.concat(parts));
  }
}

function firstMismatch(a: Buffer, aStart: number, b: Buffer, bStart: number, n: number): number {
  for (let i = 0; i < n; i++) if (a[aStart + i] !== b[bStart + i]) return i;
  return n;
}
