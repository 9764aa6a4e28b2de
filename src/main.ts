// Entry point of the bundle (bin/sockkit imports it).
import { runFastPath } from './fast-path.js';

// A reader that goes away early (`sockkit ... | head -1`) ends the output, quietly,
// instead of an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

const argv = process.argv.slice(2);
const fast = runFastPath(argv);
// The full CLI (yargs and every command) loads only when needed: esbuild keeps a
// dynamically imported module in the one bundle but defers evaluating it.
const code = fast ?? (await (await import('./cli.js')).runCli(argv));
// Piped output may still be queued (a pipe holds 64 KB): let it drain, then exit.
// Exiting explicitly means a stray timer can never keep a finished command alive.
await Promise.all([drained(process.stdout), drained(process.stderr)]);
process.exit(code);

function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}
