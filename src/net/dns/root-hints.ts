// Where iterative resolution starts (resolve --iterate): the root servers, by name and
// address. Built in from IANA's root hints, or read from a file in the same format
// (--root-hints FILE: NS lines for `.`, A/AAAA lines for their names).
import { ipFamily } from '../shared/ip-literal.js';
import { sameName } from './answers.js';

export interface NameServer {
  /** Fully qualified, lower case: `a.root-servers.net.`. */
  name: string;
  /** IPv4 and IPv6 literals; none when the name came without glue. */
  addresses: string[];
}

/**
 * The 13 root servers from IANA's root hints file, named.root
 * (https://www.internic.net/domain/named.root, "last update: November 05, 2024;
 * related version of root zone: 2024110501"): b.root-servers.net's addresses are the
 * ones of its 2023 renumbering (170.247.170.2, 2801:1b8:10::b).
 */
export const IANA_ROOT_HINTS: readonly NameServer[] = [
  ['a', '198.41.0.4', '2001:503:ba3e::2:30'],
  ['b', '170.247.170.2', '2801:1b8:10::b'],
  ['c', '192.33.4.12', '2001:500:2::c'],
  ['d', '199.7.91.13', '2001:500:2d::d'],
  ['e', '192.203.230.10', '2001:500:a8::e'],
  ['f', '192.5.5.241', '2001:500:2f::f'],
  ['g', '192.112.36.4', '2001:500:12::d0d'],
  ['h', '198.97.190.53', '2001:500:1::53'],
  ['i', '192.36.148.17', '2001:7fe::53'],
  ['j', '192.58.128.30', '2001:503:c27::2:30'],
  ['k', '193.0.14.129', '2001:7fd::1'],
  ['l', '199.7.83.42', '2001:500:9f::42'],
  ['m', '202.12.27.33', '2001:dc3::35'],
].map(([letter, v4, v6]) => ({ name: `${letter}.root-servers.net.`, addresses: [v4!, v6!] }));

export class RootHintsError extends Error {}

const lowerFqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase();

/**
 * Reads named.root's format: `OWNER [TTL] [CLASS] TYPE DATA` with `;` comments. NS lines
 * of `.` name the servers; A and AAAA lines give their addresses; other lines are
 * skipped. A server without an address, or a file without servers, is refused.
 */
export function parseRootHints(text: string): NameServer[] {
  const names: string[] = [];
  const addresses = new Map<string, string[]>();
  text.split('\n').forEach((raw, index) => {
    const fields = raw.replace(/;.*$/, '').trim().split(/\s+/).filter((f) => f !== '');
    if (fields.length === 0) return;
    const at = fields.findIndex((f, i) => i > 0 && /^(NS|A|AAAA)$/i.test(f));
    if (at < 0) return;
    const [owner, type, data] = [fields[0]!, fields[at]!.toUpperCase(), fields[at + 1]];
    if (data === undefined) throw new RootHintsError(`line ${index + 1}: ${type} without data`);
    if (type === 'NS') {
      if (!sameName(owner, '.')) return;
      if (!names.includes(lowerFqdn(data))) names.push(lowerFqdn(data));
      return;
    }
    const family = ipFamily(data);
    if ((type === 'A' && family !== 4) || (type === 'AAAA' && family !== 6)) throw new RootHintsError(`line ${index + 1}: '${data}' is not an ${type === 'A' ? 'IPv4' : 'IPv6'} address`);
    const list = addresses.get(lowerFqdn(owner)) ?? [];
    list.push(data);
    addresses.set(lowerFqdn(owner), list);
  });
  if (names.length === 0) throw new RootHintsError('no NS line for the root (.)');
  const servers = names.map((name) => ({ name, addresses: addresses.get(name) ?? [] }));
  const bare = servers.find((s) => s.addresses.length === 0);
  if (bare) throw new RootHintsError(`root server ${bare.name} has no A or AAAA line`);
  return servers;
}
