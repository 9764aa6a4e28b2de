// `sockkit service`: port → service names, name → ports, --search and --range, from
// /etc/services or the built-in IANA table.
import { worstExitCode, exitCodeFor } from '../exit-codes.js';
import { usageError } from '../net/shared/errors.js';
import {
  answerLookups,
  parseServiceQuery,
  rangeLookup,
  searchLookup,
  type Protocol,
  type ServiceLookup,
} from '../net/host/services.js';
import { DEFAULT_SERVICES_FILE, loadServiceTable, SOURCE_CHOICES, type SourceChoice } from '../net/host/services-table.js';
import { printError } from '../output/errors.js';
import { printServiceJson, printServiceRows, type ServiceRow } from '../output/service.js';
import { defineCommand } from './common.js';

export interface ServiceArgs {
  queries?: string[];
  proto?: Protocol;
  source: SourceChoice;
  search?: string;
  range?: string;
  'services-file'?: string;
}

export default defineCommand<ServiceArgs>({
  command: 'service [queries..]',
  describe: 'look up service names and port numbers (tcp and udp)',
  positionals: {
    queries: { type: 'string', array: true, describe: 'ports or service names, optionally with /tcp or /udp (22, ssh, 53/udp)' },
  },
  options: {
    proto: { alias: 'p', choices: ['tcp', 'udp'], describe: 'only this protocol (default: both, each row labelled)' },
    source: { choices: SOURCE_CHOICES, default: 'auto', describe: 'auto: /etc/services, else the built-in IANA table; etc: the file only; iana: the built-in table' },
    search: { alias: 's', type: 'string', requiresArg: true, describe: 'services whose name or description contains WORD (case-insensitive)' },
    range: { alias: 'r', type: 'string', requiresArg: true, describe: 'every service in a port range, e.g. 8000-8100' },
    // No default here: a file the user names must exist (exit 2 if not); /etc/services may be missing (auto: IANA).
    'services-file': { type: 'string', requiresArg: true, describe: `the services(5) file to read (default ${DEFAULT_SERVICES_FILE}; at most 16 MiB)` },
  },
  examples: [
    ['sockkit service 443', 'which service uses port 443 (tcp and udp)'],
    ['sockkit service ssh --proto tcp', 'which port ssh uses over tcp'],
    ['sockkit service 22 53/udp http', 'several lookups in one call'],
    ['sockkit service --search time', 'services whose name or description mentions "time"'],
    ['sockkit service --range 8000-8100 --source iana', 'the IANA registry for ports 8000 to 8100'],
  ],
  defaultTimeoutSeconds: 5,
  run: async (args, ctx) => {
    // Every query is checked before anything is printed: a typo is a usage error (exit 2).
    const lookups: ServiceLookup[] = (args.queries ?? []).map((q) => parseServiceQuery(String(q)));
    if (args.search !== undefined) lookups.push(searchLookup(args.search));
    if (args.range !== undefined) lookups.push(rangeLookup(args.range));
    if (lookups.length === 0) {
      throw usageError('nothing to look up', 'give a port or service name, --search WORD or --range FIRST-LAST', 'see sockkit service --help');
    }

    const table = await loadServiceTable({ source: args.source, servicesFile: args['services-file'], trace: ctx.trace });
    const results = answerLookups(table, lookups, args.proto);
    const sourceLabel = table.source === 'etc' ? table.path : 'iana';
    const rows: ServiceRow[] = results.flatMap((r) => r.entries.map((entry) => ({ query: r.lookup.text, entry, sourceLabel })));

    const failed = results.flatMap((r) => (r.error ? [{ query: r.lookup.text, error: r.error }] : []));
    if (args.json) printServiceJson(ctx.term, rows, failed);
    else await printServiceRows(ctx.term, rows);

    for (const { error } of failed) printError(ctx.term, error);
    return worstExitCode(failed.map((f) => exitCodeFor(f.error.code)));
  },
});
