// -Z's ordered output: slots written in any order reach the real streams whole and in
// the order they were handed out, stdout and stderr alike.
import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { OrderedOutput } from '../../src/output/ordered-output.js';

function sink(): { stream: { write(chunk: string | Uint8Array): boolean }; text: () => string } {
  const parts: string[] = [];
  return { stream: { write: (chunk) => (parts.push(Buffer.from(chunk).toString()), true) }, text: () => parts.join('') };
}

test('slots finish in any order; their bytes come out in slot order, each whole', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 4 }), { minLength: 1, maxLength: 6 }), fc.infiniteStream(fc.nat(3)), async (writes, delays) => {
      const out = sink();
      const err = sink();
      const ordered = new OrderedOutput(out.stream, err.stream);
      const slots = writes.map(() => ordered.slot());
      await Promise.all(
        writes.map(async (chunks, i) => {
          for (const chunk of chunks) {
            await new Promise((r) => setTimeout(r, delays.next().value));
            slots[i]!.stdout.write(`${i}:${chunk};`);
            slots[i]!.stderr.write(`${i}!`);
          }
          await slots[i]!.close();
        }),
      );
      expect(out.text()).toBe(writes.map((chunks, i) => chunks.map((c) => `${i}:${c};`).join('')).join(''));
      expect(err.text()).toBe(writes.map((chunks, i) => `${i}!`.repeat(chunks.length)).join(''));
    }),
    { numRuns: 40 },
  );
});
