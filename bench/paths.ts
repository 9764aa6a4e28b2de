import { fileURLToPath } from 'node:url';

/** The built CLI, as users run it. */
export const SOCKKIT = fileURLToPath(new URL('../bin/sockkit', import.meta.url));

/** A script beside this file in bench/. */
export function benchFile(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}
