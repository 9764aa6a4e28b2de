// Renderers for `sockkit service`: a table on a TTY, tab-separated lines when piped
// (name, port, protocol, aliases, description, source), a JSON array with --json.
import type { ServiceEntry } from '../net/host/services.js';
import { printJson, printTable, type Column } from './render.js';
import { errorJson } from './errors.js';
import type { SockkitError } from '../net/shared/errors.js';
import type { Terminal } from './terminal.js';

/** One result row: an entry and the query (port, name, search or range) that found it. */
export interface ServiceRow {
  query: string;
  entry: ServiceEntry;
  /** How the source is shown to a human: the services file's path, or "iana". */
  sourceLabel: string;
}

const COLUMNS: Column<ServiceRow>[] = [
  { header: 'service', value: (r) => r.entry.name, style: () => 'bold' },
  { header: 'port', value: (r) => r.entry.port, align: 'right' },
  { header: 'proto', value: (r) => r.entry.protocol, style: (r) => (r.entry.protocol === 'tcp' ? 'cyan' : 'magenta') },
  { header: 'aliases', value: (r) => r.entry.aliases.join(' ') },
  { header: 'description', value: (r) => r.entry.description ?? '' },
  { header: 'source', value: (r) => r.sourceLabel },
];

export async function printServiceRows(term: Terminal, rows: ServiceRow[]): Promise<void> {
  if (rows.length === 0) return;
  await printTable(term, COLUMNS, rows);
}

export interface ServiceJson {
  name: string;
  port: number;
  protocol: string;
  aliases: string[];
  description?: string;
  source: string;
  query: string;
}

export function serviceJson(rows: ServiceRow[]): ServiceJson[] {
  return rows.map(({ query, entry }) => ({
    name: entry.name,
    port: entry.port,
    protocol: entry.protocol,
    aliases: entry.aliases,
    ...(entry.description !== undefined ? { description: entry.description } : {}),
    source: entry.source,
    query,
  }));
}

/**
 * The array of found entries, then one `{ query, error }` per lookup that found
 * nothing: --json is one document, failures included.
 */
export function printServiceJson(term: Terminal, rows: ServiceRow[], failures: Array<{ query: string; error: SockkitError }> = []): void {
  printJson(term, [...serviceJson(rows), ...failures.map((f) => ({ query: f.query, error: errorJson(f.error) }))]);
}
