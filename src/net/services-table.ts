// Loads the service table: /etc/services when present, else the IANA table that
// scripts/build-services.mjs writes next to the bundle. Read only by `service`, only
// when it runs, so no other command pays for it at start-up.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SockkitError } from './errors.js';
import { noTrace, type TraceFn } from './trace.js';
import { parseIanaTable, parseServicesFile, type ServiceTable } from './services.js';

export type SourceChoice = 'auto' | 'etc' | 'iana';
export const SOURCE_CHOICES: readonly SourceChoice[] = ['auto', 'etc', 'iana'];

export const DEFAULT_SERVICES_FILE = '/etc/services';
export const IANA_TABLE_NAME = 'iana-services.tsv';

export interface LoadServiceTableOptions {
  source: SourceChoice;
  servicesFile?: string;
  /** Where the built IANA table is; default: next to the bundle (dist/), or dist/ from src/. */
  ianaTableFile?: string;
  trace?: TraceFn;
}

export async function loadServiceTable(options: LoadServiceTableOptions): Promise<ServiceTable> {
  const trace = options.trace ?? noTrace;
  const servicesFile = options.servicesFile ?? DEFAULT_SERVICES_FILE;
  if (options.source !== 'iana') {
    const fromFile = await readServicesFile(servicesFile, options.source === 'etc', trace);
    if (fromFile) return fromFile;
    trace('read', `${servicesFile}: unusable, falling back to the IANA table`);
  }
  return readIanaTable(options.ianaTableFile, trace);
}

async function readServicesFile(path: string, required: boolean, trace: TraceFn): Promise<ServiceTable | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : ((err as NodeJS.ErrnoException).code ?? String(err));
    trace('read', `${path}: ${why}`);
    if (required) throw new SockkitError('UNEXPECTED', `read ${path}`, why, 'use --source iana for the built-in IANA table');
    return undefined;
  }
  const entries = parseServicesFile(text);
  trace('read', `${path}: ${entries.length} tcp/udp entries`);
  if (entries.length === 0) {
    if (required) throw new SockkitError('UNEXPECTED', `read ${path}`, 'no tcp or udp entries in it', 'use --source iana for the built-in IANA table');
    return undefined;
  }
  return { source: 'etc', path, entries };
}

/** Candidate locations of the IANA table: beside the running bundle, or dist/ seen from src/net/. */
function ianaTableCandidates(): string[] {
  return [new URL(`./${IANA_TABLE_NAME}`, import.meta.url), new URL(`../../dist/${IANA_TABLE_NAME}`, import.meta.url)].map((u) =>
    fileURLToPath(u),
  );
}

async function readIanaTable(explicit: string | undefined, trace: TraceFn): Promise<ServiceTable> {
  for (const path of explicit ? [explicit] : ianaTableCandidates()) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      continue;
    }
    const entries = parseIanaTable(text);
    trace('read', `${path}: ${entries.length} IANA tcp/udp entries`);
    return { source: 'iana', path, entries };
  }
  throw new SockkitError('UNEXPECTED', 'read the IANA service table', `${IANA_TABLE_NAME} is missing`, 'build it with npm run build');
}
