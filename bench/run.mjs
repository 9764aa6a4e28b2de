// Builds the benchmark TypeScript (which reuses the tests' peer helpers) and the
// CLI bundle, then runs the suites named on the command line (all by default).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

// The peer helpers find their fixtures relative to their own file: keep each
// file's import.meta.url pointing at its source, not at the bundle.
const keepSourceUrls = {
  name: 'keep-source-urls',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
      loader: 'ts',
    }));
  },
};

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
  plugins: [keepSourceUrls],
});
await import(new URL('../dist/bench.mjs', import.meta.url).href);
