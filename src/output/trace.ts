// Prints the core's socket-level steps to stderr with relative timestamps:
//   [+   0.412 ms] connect     127.0.0.1:8080
import type { TraceFn } from '../net/shared/trace.js';
import type { Terminal } from './terminal.js';
import { paint } from './style.js';

export function createTracePrinter(term: Terminal, now: () => number = () => performance.now()): TraceFn {
  const start = now();
  return (step, detail) => {
    const elapsed = (now() - start).toFixed(3).padStart(9);
    term.stderr.write(`${paint(term, 'dim', `[+${elapsed} ms]`)} ${paint(term, 'cyan', step.padEnd(10))} ${detail}\n`);
  };
}
