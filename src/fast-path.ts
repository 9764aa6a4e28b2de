// Commands so small that loading yargs (≈40 ms) would dominate their run time.
// Only exact, flag-free forms take this path; everything else goes through the
// full parser, which prints the same output (tests/e2e/fast-path.test.ts checks both).
// os.hostname() itself: src/net/hostname.ts loads the resolver and file modules its other modes need.
import { hostname } from 'node:os';
import { printHostname } from './output/hostname.js';
import { Terminal } from './output/terminal.js';

const HARMLESS_FLAGS = new Set(['--no-color', '--color', '--quiet', '-q']);

/** Runs argv without yargs when it can, returning the exit status; undefined otherwise. */
export function runFastPath(argv: string[]): number | undefined {
  const [command, ...rest] = argv;
  if (command !== 'hostname' || !rest.every((a) => HARMLESS_FLAGS.has(a))) return undefined;
  printHostname(new Terminal({ command }), hostname());
  return 0;
}
