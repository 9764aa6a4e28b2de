// Placeholder for a subcommand whose issue is not done yet: it is listed, and says so.
import { SockkitError } from '../net/errors.js';
import { defineCommand } from './common.js';

export function notImplemented(command: string, describe: string, examples: Array<[string, string]>) {
  return defineCommand({
    command,
    describe,
    builder: (yargs) => yargs,
    examples,
    defaultTimeoutSeconds: 5,
    run: async () => {
      throw new SockkitError('UNEXPECTED', 'not implemented yet', 'this command is planned but not built');
    },
  });
}
