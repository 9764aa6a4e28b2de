// Builds the single ESM bundle that bin/sockkit runs.
// ESM because yargs 18 and ora 9 are ESM-only; the banner gives bundled CommonJS
// code (cli-table3's colour support) a working `require`.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildIanaServices } from './scripts/build-services.mjs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

// yargs and cliui measure their help text with string-width, whose load-time setup
// (Intl.Segmenter, Unicode tables) costs every command ≈10 ms; they get a light one.
// cli-table3 keeps the real string-width: table cells may hold any Unicode.
const lightStringWidthForYargs = {
  name: 'light-string-width-for-yargs',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (args) =>
      /node_modules[\\/](yargs|cliui|wrap-ansi)[\\/]/.test(args.importer)
        ? { path: fileURLToPath(new URL('./src/vendor/string-width-lite.ts', import.meta.url)) }
        : undefined,
    );
  },
};

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
  plugins: [lightStringWidthForYargs],
  banner: {
    js: "import { createRequire as __sockkitCreateRequire } from 'node:module'; const require = __sockkitCreateRequire(import.meta.url);",
  },
});

// `sockkit service` reads this compact IANA table lazily, beside the bundle.
buildIanaServices(fileURLToPath(new URL('./dist/iana-services.tsv', import.meta.url)));
