// -Z/--parallel: several transfers run at once, but what each prints (body, -i heads,
// -w, -v and errors) reaches stdout and stderr whole and in argument order. Each
// transfer writes to a slot: streams that hold its bytes until every earlier slot has
// been written out, then pass them straight through. A slot holds at most
// SLOT_HOLD_BYTES before its writer sees backpressure (the body's socket is paused),
// so memory stays bounded by the number of transfers running.
import { Writable } from 'node:stream';
import type { OutStream } from './terminal.js';

const SLOT_HOLD_BYTES = 1024 * 1024;

export interface OutputSlot {
  stdout: OutStream;
  stderr: OutStream;
  /** Everything written is out; resolves once it has all reached the real streams. */
  close(): Promise<void>;
}

/** Hands out slots in argument order; slot n writes once slots 0 … n-1 are closed and written. */
export class OrderedOutput {
  private previous: Promise<void> = Promise.resolve();

  constructor(
    private readonly stdout: OutStream,
    private readonly stderr: OutStream,
  ) {}

  /** The next slot: call once per transfer, in argument order. */
  slot(): OutputSlot {
    const turn = this.previous;
    const out = new SlotStream(this.stdout, turn);
    const err = new SlotStream(this.stderr, turn);
    let written!: () => void;
    this.previous = new Promise<void>((resolve) => (written = resolve));
    return {
      stdout: out,
      stderr: err,
      close: async () => {
        // The turn too: a slot with nothing written finishes at once, and must not let
        // the next one overtake those before it.
        await Promise.all([turn, out.finish(), err.finish()]);
        written();
      },
    };
  }
}

/** A stream that waits for its turn, then writes through to `real` with its backpressure. */
class SlotStream extends Writable {
  readonly isTTY: boolean | undefined;
  readonly columns: number | undefined;

  constructor(
    private readonly real: OutStream,
    private readonly turn: Promise<void>,
  ) {
    super({ highWaterMark: SLOT_HOLD_BYTES, decodeStrings: true });
    this.isTTY = real.isTTY;
    this.columns = real.columns;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    void this.turn.then(() => {
      const real = this.real as OutStream & { once?: (event: 'drain', listener: () => void) => void };
      if (real.write(chunk) || typeof real.once !== 'function') callback();
      else real.once('drain', () => callback());
    });
  }

  finish(): Promise<void> {
    return new Promise((resolve) => {
      if (this.writableFinished) return resolve();
      this.once('finish', () => resolve());
      this.end();
    });
  }
}
