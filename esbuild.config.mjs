// Builds the single bundle that bin/sockkit runs.
//
// CommonJS output, although yargs 18 and ora 9 are ESM-only (esbuild bundles them
// either way): in an ESM bundle esbuild must hoist every `import 'node:tls'`,
// 'node:zlib', 'node:cluster'... to the top, so each command loaded every built-in
// module at start-up. In a CJS bundle those become require() calls inside the lazily
// evaluated modules, and bin/sockkit can require() the bundle without the ESM loader:
// `sockkit hostname` measured 66 -> 54 ms (node -e: 45 ms). yargs reads
// import.meta.url, which is defined below as the bundle's own file URL.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildCodeCache } from './scripts/build-code-cache.mjs';
import { buildHttpGetCodeCache } from './scripts/build-http-get-code-cache.mjs';
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

// yargs' factory registers a default --version by searching upwards from the working
// directory for a package.json (a directory listing per level, and a caught
// AssertionError when there is none): ≈1 ms of every command, and it reads the user's
// files. sockkit sets its own version at once, which replaces that default, so the
// search is dropped. If a yargs update changes the line, the build warns and keeps it.
const FACTORY_VERSION_GUESS = /(yargs\.help\(\);)\s*yargs\.version\(\);/;
const noVersionGuessInYargsFactory = {
  name: 'no-version-guess-in-yargs-factory',
  setup(b) {
    b.onLoad({ filter: /node_modules[\\/]yargs[\\/]build[\\/]lib[\\/]yargs-factory\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!FACTORY_VERSION_GUESS.test(source)) {
        return { contents: source, warnings: [{ text: "yargs-factory.js: the default version() call was not found; the package.json search stays" }] };
      }
      return { contents: source.replace(FACTORY_VERSION_GUESS, '$1') };
    });
  },
};

// yargs (with yargs-parser, cliui, y18n...: 150 KB of the bundle) parses only what the
// direct path does not take (src/main.ts): help, completion scripts, errors, uncommon
// forms. It is built into a bundle of its own, dist/sockkit-yargs.cjs, that src/cli.ts
// requires when it is evaluated, so the bundle every command reads and compiles at
// start is that much smaller (bin/sockkit): 569 -> 475 KB, its code cache 190 -> 172 KB;
// `sockkit hostname` 2740 -> 2626 page faults (a3b81fa: 2728).
const YARGS_BUNDLE = './sockkit-yargs.cjs';
const yargsInItsOwnBundle = {
  name: 'yargs-in-its-own-bundle',
  setup(b) {
    b.onResolve({ filter: /^yargs$/ }, () => ({ path: YARGS_BUNDLE, external: true }));
  },
};

// cli-table3 (with @colors and the full string-width's emoji tables: 33 KB) draws
// tables on a terminal only, so it is a bundle of its own too, dist/sockkit-table.cjs:
// the one-command bundles were 71 KB (hostname) and 185 KB (http-get) with it. Its
// lazy import() becomes a module of the bundle whose body requires that file, when a
// table is drawn (a real import() has no callback in bin/sockkit's vm.Script).
const TABLE_BUNDLE = './sockkit-table.cjs';
const tableInItsOwnBundle = {
  name: 'table-in-its-own-bundle',
  setup(b) {
    b.onResolve({ filter: /^cli-table3$/ }, () => ({ path: 'cli-table3', namespace: 'table-bundle' }));
    b.onLoad({ filter: /.*/, namespace: 'table-bundle' }, () => ({ contents: `module.exports = require(${JSON.stringify(TABLE_BUNDLE)});`, loader: 'js' }));
    b.onResolve({ filter: /^\.\/sockkit-table\.cjs$/ }, () => ({ path: TABLE_BUNDLE, external: true }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  // Non-ASCII characters escaped (esbuild's default, relied on): bin/sockkit reads the bundle as latin1.
  charset: 'ascii',
  minifyWhitespace: true,
  minifySyntax: true,
  // Local names shortened: the bundle 797 -> 569 KB, its code cache 236 -> 190 KB (yargs
  // still inside). Every
  // command reads and deserializes both at start (about 200 fewer page faults for
  // `sockkit hostname`); stack traces map back through the linked source map.
  minifyIdentifiers: true,
  logLevel: 'warning',
  // import.meta.url (yargs, the services table) computed when read: a file URL costs
  // ~0.7 ms, which every command paid at start when the banner built it eagerly.
  // performance.now() as process.uptime() in ms: the same monotonic clock (uv_hrtime)
  // from about the same origin (the process's start), but the first touch of the
  // `performance` global loads perf_hooks (eleven internal modules: 1.5-2 ms), which every
  // fetch, connect and server paid for its timings. A wall clock from timeOrigin takes
  // node:perf_hooks' own performance (src/net/ntp/client.ts preciseClock).
  define: { SOCKKIT_VERSION: JSON.stringify(pkg.version), 'import.meta.url': '__sockkitBundle.url', 'performance.now': '__sockkitNow' },
  banner: {
    js:
      "const __sockkitBundle = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" +
      ' const __sockkitNow = () => process.uptime() * 1000;',
  },
  // yargs' config `extends` uses import.meta.resolve; sockkit never loads config files.
  logOverride: { 'empty-import-meta': 'silent' },
};

await build({
  ...common,
  // The factory itself as module.exports: src/cli.ts's default import (Node's interop) gets it.
  stdin: { contents: "module.exports = require('yargs').default;", resolveDir: fileURLToPath(new URL('.', import.meta.url)), sourcefile: 'yargs-entry.js' },
  outfile: 'dist/sockkit-yargs.cjs',
  plugins: [lightStringWidthForYargs, noVersionGuessInYargsFactory],
});

await build({
  ...common,
  stdin: { contents: "module.exports = require('cli-table3');", resolveDir: fileURLToPath(new URL('.', import.meta.url)), sourcefile: 'table-entry.js' },
  outfile: 'dist/sockkit-table.cjs',
});

await build({
  ...common,
  entryPoints: ['src/main.ts'],
  outfile: 'dist/sockkit.cjs',
  plugins: [yargsInItsOwnBundle, tableInItsOwnBundle],
});

// `sockkit service` reads this compact IANA table lazily, beside the bundle.
buildIanaServices(fileURLToPath(new URL('./dist/iana-services.tsv', import.meta.url)));

// The V8 code cache bin/sockkit compiles the bundle with (saves 6–11 ms a run).
await buildCodeCache(
  fileURLToPath(new URL('./bin/sockkit', import.meta.url)),
  fileURLToPath(new URL('./dist/sockkit.cjs.cache', import.meta.url)),
);
// http-get's own (a small https GET): the common one leaves its whole path to compile.
await buildHttpGetCodeCache(
  fileURLToPath(new URL('./bin/sockkit', import.meta.url)),
  fileURLToPath(new URL('./dist/sockkit.cjs.http-get.cache', import.meta.url)),
);
