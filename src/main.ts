// Entry point of the bundle (bin/sockkit imports it).
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2));
// Servers return only after they have drained; one-shot commands are done. Exiting
// explicitly means a stray timer can never keep a finished command alive.
process.exit(code);
