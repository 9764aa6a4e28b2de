// Entry point of the bundle (bin/sockkit imports it).
import { runFastPath } from './fast-path.js';

const argv = process.argv.slice(2);
const fast = runFastPath(argv);
// The full CLI (yargs and every command) loads only when needed: esbuild keeps a
// dynamically imported module in the one bundle but defers evaluating it.
const code = fast ?? (await (await import('./cli.js')).runCli(argv));
// Servers return only after they have drained; one-shot commands are done. Exiting
// explicitly means a stray timer can never keep a finished command alive.
process.exit(code);
