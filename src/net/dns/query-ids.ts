// DNS message IDs for queries in flight: random 16-bit values not used by another query
// of the same transport (RFC 5452 §4.3), drawn from the kernel's CSPRNG a batch at a
// time (a batch of names asks for thousands).
import { fillRandom } from '../shared/random.js';

export class QueryIds {
  private readonly batch: Uint16Array;
  private index: number;

  constructor(batchSize: number) {
    this.batch = new Uint16Array(batchSize);
    this.index = batchSize;
  }

  /** A fresh ID for which `inUse` is false. */
  next(inUse: (id: number) => boolean): number {
    for (;;) {
      if (this.index >= this.batch.length) {
        fillRandom(this.batch);
        this.index = 0;
      }
      const id = this.batch[this.index++]!;
      if (!inUse(id)) return id;
    }
  }
}
