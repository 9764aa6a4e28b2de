import { fileURLToPath } from 'node:url';

/** The built CLI, as users run it. */
export const SOCKKIT = fileURLToPath(new URL('../bin/sockkit', import.meta.url));
