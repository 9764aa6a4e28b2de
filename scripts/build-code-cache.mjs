// Writes dist/sockkit.cjs.cache, the V8 code cache bin/sockkit compiles the bundle with.
// V8 caches the functions a run has compiled, so the cache comes from one real run
// that walks the common path: the yargs parser, a command, the output layer. It reads
// only /etc/services (or the bundled IANA table): no network.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

export function buildCodeCache(binPath, cachePath) {
  rmSync(cachePath, { force: true });
  const run = spawnSync(process.execPath, [binPath, 'service', 'http', '--json'], {
    env: { ...process.env, SOCKKIT_WRITE_CODE_CACHE: cachePath },
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(`code-cache warm-up run failed (status ${run.status}, ${run.error ?? run.signal ?? ''})`);
}
