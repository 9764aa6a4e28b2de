// A Node built-in module loaded where it is first used instead of at start-up: a module
// the common path of a command never calls (node:dns for an IP literal, node:zlib for an
// uncompressed body, node:tty when stdin is not read...) costs 0.3-2 ms of every run to
// load. esbuild turns a static `import` into a require() at the top of the module, so
// these take the module from process.getBuiltinModule (Node 20.16+) at the call, or
// from require() on older Node. (A dynamic import() of a built-in is no way out: the
// bundle runs as a vm.Script, which has no dynamic import callback.)
import { createRequire } from 'node:module';

interface Builtins {
  'node:dns': typeof import('node:dns');
  'node:fs/promises': typeof import('node:fs/promises');
  'node:net': typeof import('node:net');
  'node:perf_hooks': typeof import('node:perf_hooks');
  'node:tls': typeof import('node:tls');
  'node:tty': typeof import('node:tty');
  'node:v8': typeof import('node:v8');
  'node:zlib': typeof import('node:zlib');
}

/** The built-in module `id`, loaded on the first call (Node caches it afterwards). */
export function builtin<ID extends keyof Builtins>(id: ID): Builtins[ID] {
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  return (get ? get(id) : createRequire(import.meta.url)(id)) as Builtins[ID];
}
