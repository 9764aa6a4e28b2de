// The nine commands, each loaded only when it is needed, and the built-in modules it
// uses with it: `sockkit ntp` never loads tls, zlib, crypto or cluster. Loading every
// one of them cost each command ≈8 ms of start-up. All load for help, completion and typos.
import type { SockkitCommand } from './common.js';

export const COMMAND_LOADERS = {
  hostname: () => import('./hostname.js'),
  resolve: () => import('./resolve.js'),
  service: () => import('./service.js'),
  ntp: () => import('./ntp.js'),
  'http-get': () => import('./http-get.js'),
  bind: () => import('./bind.js'),
  'echo-server': () => import('./echo-server.js'),
  'echo-client': () => import('./echo-client.js'),
  'threaded-server': () => import('./threaded-server.js'),
} satisfies Record<string, () => Promise<{ default: SockkitCommand }>>;

export type CommandName = keyof typeof COMMAND_LOADERS;
export const COMMAND_NAMES = Object.keys(COMMAND_LOADERS) as CommandName[];

/** The command argv starts with, if it names one exactly. */
export function commandNamed(word: string | undefined): CommandName | undefined {
  return COMMAND_NAMES.find((name) => name === word);
}

export async function loadCommand(name: CommandName): Promise<SockkitCommand> {
  return (await COMMAND_LOADERS[name]()).default;
}
