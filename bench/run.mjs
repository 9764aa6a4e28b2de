// Builds the benchmark TypeScript (which reuses the tests' peer helpers) and the
// CLI bundle, then runs the suites named on the command line (all by default).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';

execFileSync(process.execPath, ['esbuild.config.mjs'], { stdio: 'inherit' });
await build({
  entryPoints: ['bench/main.ts'],
  outfile: 'dist/bench.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
await import(new URL('../dist/bench.mjs', import.meta.url).href);
