// Keeps a long decompressed download's memory flat. zlib hands every piece of its
// output to JavaScript as a new Buffer; V8 frees their memory only at a garbage
// collection, which it starts after ~64 MB of such external memory. A young-generation
// collection (a scavenge, ~1 ms) every few MiB frees those Buffers early. (Socket reads,
// plain and TLS, go into one reused buffer and need none of this: client.ts.)
import { runInNewContext } from 'node:vm';
import { builtin } from '../shared/builtin.js';

type GcFunction = (options?: { type: 'minor' | 'major' }) => void;

let gc: GcFunction | null | undefined;

function gcFunction(): GcFunction | null {
  if (gc !== undefined) return gc;
  try {
    // --expose-gc at run time makes `gc` available in contexts created afterwards.
    builtin('node:v8').setFlagsFromString('--expose-gc');
    const found: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    gc = typeof found === 'function' ? (found as GcFunction) : null;
  } catch {
    gc = null;
  }
  return gc;
}

export const SCAVENGE_EVERY_BYTES = 8 * 1024 * 1024;

/** Counts bytes received into fresh Buffers; runs a scavenge every SCAVENGE_EVERY_BYTES. */
export function createGarbageGovernor(): (bytes: number) => void {
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < SCAVENGE_EVERY_BYTES) return;
    since = 0;
    gcFunction()?.({ type: 'minor' });
  };
}
