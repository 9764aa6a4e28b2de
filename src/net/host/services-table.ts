// Loads the service table: /etc/services when present, else the IANA table that
// scripts/build-services.mjs writes next to the bundle. Read only by `service`, only
// when it runs, so no other command pays for it at start-up.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SockkitError, usageError } from '../shared/errors.js';
import { readBoundedFile } from '../shared/read-input.js';
import { noTrace, type TraceFn } from '../shared/trace.js';
import { parseIanaTable, parseServicesFile, type ServiceTable } from './services.js';

export type SourceChoice = 'auto' | 'etc' | 'iana';
export const SOURCE_CHOICES: readonly SourceChoice[] = ['auto', 'etc', 'iana'];

export const DEFAULT_SERVICES_FILE = '/etc/services';
export const IANA_TABLE_NAME = 'iana-services.tsv';

/**
 * The most a services file may hold: /etc/services is ≈13 KB, and the whole IANA
 * registry in services(5) form ≈1 MB. More than this is not a services file.
 */
export const MAX_SERVICES_FILE_BYTES = 16 * 1024 * 1024;

export interface LoadServiceTableOptions {
  source: SourceChoice;
  /** A file the user named (--services-file): it must be usable, whatever the source. */
  servicesFile?: string;
  /** Read when servicesFile is not given; auto falls back to IANA when it is unusable. Default /etc/services. */
  defaultServicesFile?: string;
  /** Where the built IANA table is; default: next to the bundle (dist/), or dist/ from src/. */
  ianaTableFile?: string;
  trace: TraceFn;
}

export async function loadServiceTable(options: LoadServiceTableOptions): Promise<ServiceTable> {
  const trace = options.trace;
  const servicesFile = options.servicesFile ?? options.defaultServicesFile ?? DEFAULT_SERVICES_FILE;
  if (options.source !== 'iana') {
    const required = options.source === 'etc' || options.servicesFile !== undefined;
    const what = options.servicesFile !== undefined ? `--services-file ${servicesFile}` : `read ${servicesFile}`;
    const fromFile = await readServicesFile(servicesFile, required ? what : undefined, trace);
    if (fromFile) return fromFile;
    trace('read', `${servicesFile}: unusable, falling back to the IANA table`);
  }
  return readIanaTable(options.ianaTableFile, trace);
}

/**
 * The entries of a services(5) file; undefined when it is missing, unreadable or has
 * none, unless it is required (`requiredAs`: what to call it then): then a USAGE
 * error (exit 2) says why. It is read
 * within MAX_SERVICES_FILE_BYTES, and a device (/dev/zero) is refused unread.
 */
async function readServicesFile(path: string, requiredAs: string | undefined, trace: TraceFn): Promise<ServiceTable | undefined> {
  const hint = 'use --source iana for the built-in IANA table';
  let text: string;
  try {
    text = (await readBoundedFile(path, MAX_SERVICES_FILE_BYTES)).toString('utf8');
  } catch (err) {
    if (!(err instanceof SockkitError)) throw err;
    trace('read', `${path}: ${err.why}`);
    if (requiredAs) throw usageError(requiredAs, err.why, hint);
    return undefined;
  }
  const entries = parseServicesFile(text);
  trace('read', `${path}: ${entries.length} tcp/udp entries`);
  if (entries.length === 0) {
    if (requiredAs) throw usageError(requiredAs, 'no tcp or udp entries in it', hint);
    return undefined;
  }
  return { source: 'etc', path, entries };
}

/** Candidate locations of the IANA table: beside the running bundle, or dist/ seen from src/net/. */
function ianaTableCandidates(): string[] {
  return [new URL(`./${IANA_TABLE_NAME}`, import.meta.url), new URL(`../../../dist/${IANA_TABLE_NAME}`, import.meta.url)].map((u) =>
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
