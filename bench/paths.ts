import { fileURLToPath } from 'node:url';

/**
 * The built CLI, as users run it: the file itself is executed (its launcher lines run,
 * see bin/sockkit), not `node bin/sockkit`.
 */
export const SOCKKIT = fileURLToPath(new URL('../bin/sockkit', import.meta.url));

/** A script beside this file in bench/. */
export function benchFile(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** Environment overrides for a Node process that should not load NODE_EXTRA_CA_CERTS (empty = unset for Node). */
export const NO_EXTRA_CA: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '' };

export function extraCaNote(): string {
  return `this machine sets NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS}: Node 20 parses every root certificate at start when it is set; bin/sockkit hands it to http-get instead`;
}
