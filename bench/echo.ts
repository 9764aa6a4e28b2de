// Echo servers side by side (sockkit, a minimal Node pipe server, socat, ncat), the
// most connections sockkit holds, and sockkit's load client against a minimal one.
// bench/echo-measure.mjs does the runs and prints its own table: ratios there are
// against the minimal Node server; the rows here add the ratios to socat.
import { runCommand } from './harness.js';
import { benchFile } from './paths.js';

export async function benchEcho(): Promise<[]> {
  const r = await runCommand(process.execPath, [benchFile('echo-measure.mjs'), '--seconds', '3', '--rounds', '5'], { timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(`echo-measure exited ${r.code}: ${r.stderr.slice(-500)}`);
  console.log(r.stdout.trim() + '\n');
  return [];
}
