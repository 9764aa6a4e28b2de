// Builds the single ESM bundle that bin/sockkit runs.
// ESM because yargs 18 and ora 9 are ESM-only; the banner gives bundled CommonJS
// code (cli-table3's colour support) a working `require`.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/sockkit.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  define: { SOCKKIT_VERSION: JSON.stringify(pkg.version) },
  banner: {
    js: "import { createRequire as __sockkitCreateRequire } from 'node:module'; const require = __sockkitCreateRequire(import.meta.url);",
  },
});
