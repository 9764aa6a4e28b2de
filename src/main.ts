// Entry point of the bundle (bin/sockkit requires it).
import { runFastPath } from './fast-path.js';
import { drained } from './output/terminal.js';
import { useFastIsIP } from './net/shared/ip-literal.js';

// A reader that goes away early (`sockkit ... | head -1`) ends the output, quietly,
// instead of an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

// node:tls asks net.isIP about every host name it connects to (see ip-literal.ts).
useFastIsIP();

void main(process.argv.slice(2));

async function main(argv: string[]): Promise<void> {
  // yargs loads only for what the direct path does not take (help, completion, errors
  // and uncommon forms): esbuild keeps a dynamically imported module in the one bundle
  // but defers evaluating it, and the built-in modules it needs with it.
  const code = (await runFastPath(argv)) ?? (await (await import('./cli.js')).runCli(argv));
  // Piped output may still be queued (a pipe holds 64 KB): let it drain, then exit.
  // Exiting explicitly means a stray timer can never keep a finished command alive.
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}
