// EDNS(0) options (RFC 6891) a query may carry and a reply may bring back: NSID (RFC
// 5001), Client Subnet (RFC 7871), cookies (RFC 7873), padding (RFC 7830, block sizes
// of RFC 8467) and Extended DNS Errors (RFC 8914). Pure: bytes in, bytes or text out.
import { ipFamily } from '../shared/ip-literal.js';
import { usageError } from '../shared/errors.js';
import { encodeIPv6, formatIPv6, type EdnsOption } from './packet.js';

export const EdnsCode = { NSID: 3, ECS: 8, COOKIE: 10, PADDING: 12, EDE: 15 } as const;

/** RFC 8467 §4.1: queries are padded to a multiple of 128 octets. */
export const QUERY_PADDING_BLOCK = 128;

/** `--ecs 192.0.2.0/24` → the option's data (family, source prefix, scope 0, the address cut to the prefix). */
export function clientSubnetOption(input: string): EdnsOption {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(input.trim());
  const family = m ? ipFamily(m[1]!) : 0;
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || family === 0 || prefix > (family === 4 ? 32 : 128)) {
    throw usageError(`bad --ecs '${input}'`, 'expected ADDRESS/PREFIX, e.g. 192.0.2.0/24 or 2001:db8::/56');
  }
  const full = family === 4 ? Buffer.from(m[1]!.split('.').map(Number)) : encodeIPv6(m[1]!);
  const address = Buffer.from(full.subarray(0, Math.ceil(prefix / 8)));
  if (prefix % 8 !== 0 && address.length > 0) address[address.length - 1]! &= 0xff << (8 - (prefix % 8)); // RFC 7871 §6: bits past the prefix are zero
  const data = Buffer.concat([Buffer.from([0, family === 4 ? 1 : 2, prefix, 0]), address]);
  return { code: EdnsCode.ECS, data };
}

/** RFC 8914 §5.2's registry: the info-code's name. */
const EDE_NAMES = [
  'Other', 'Unsupported DNSKEY Algorithm', 'Unsupported DS Digest Type', 'Stale Answer', 'Forged Answer', 'DNSSEC Indeterminate',
  'DNSSEC Bogus', 'Signature Expired', 'Signature Not Yet Valid', 'DNSKEY Missing', 'RRSIGs Missing', 'No Zone Key Bit Set',
  'NSEC Missing', 'Cached Error', 'Not Ready', 'Blocked', 'Censored', 'Filtered', 'Prohibited', 'Stale NXDOMAIN Answer',
  'Not Authoritative', 'Not Supported', 'No Reachable Authority', 'Network Error', 'Invalid Data', 'Signature Expired before Valid',
  'Too Early', 'Unsupported NSEC3 Iterations Value', 'Unable to conform to policy', 'Synthesized',
];

export interface DescribedOption {
  /** `NSID`, `CLIENT-SUBNET`, `COOKIE`, `PADDING`, `EDE`, or `OPT65001`. */
  name: string;
  /** As dig shows it on its `; NAME: value` line. */
  value: string;
}

/** An option of a reply in words, as dig's OPT pseudo-section shows it. */
export function describeEdnsOption(option: EdnsOption): DescribedOption {
  const { code, data } = option;
  switch (code) {
    case EdnsCode.NSID:
      return { name: 'NSID', value: `${data.toString('hex')}${data.length ? ` ("${printable(data)}")` : ''}` };
    case EdnsCode.ECS:
      return { name: 'CLIENT-SUBNET', value: describeSubnet(data) };
    case EdnsCode.COOKIE:
      return { name: 'COOKIE', value: data.length > 8 ? `${data.subarray(0, 8).toString('hex')} (server ${data.subarray(8).toString('hex')})` : data.toString('hex') };
    case EdnsCode.PADDING:
      return { name: 'PADDING', value: `(${data.length} bytes)` };
    case EdnsCode.EDE:
      return { name: 'EDE', value: describeExtendedError(data) };
    default:
      return { name: `OPT${code}`, value: data.toString('hex') };
  }
}

/** `18 (Prohibited): text` (RFC 8914 §2). */
export function describeExtendedError(data: Buffer): string {
  if (data.length < 2) return `(malformed, ${data.length} bytes)`;
  const info = data.readUInt16BE(0);
  const text = data.length > 2 ? `: ${printable(data.subarray(2))}` : '';
  return `${info} (${EDE_NAMES[info] ?? 'unassigned'})${text}`;
}

function describeSubnet(data: Buffer): string {
  if (data.length < 4) return `(malformed, ${data.length} bytes)`;
  const family = data.readUInt16BE(0);
  const [source, scope] = [data[2]!, data[3]!];
  const bytes = data.subarray(4);
  let address: string;
  if (family === 1 && bytes.length <= 4) address = [...bytes, 0, 0, 0, 0].slice(0, 4).join('.');
  else if (family === 2 && bytes.length <= 16) address = formatIPv6(Buffer.concat([bytes, Buffer.alloc(16 - bytes.length)]));
  else return data.toString('hex');
  return `${address}/${source}/${scope}`;
}

/** UTF-8 text with control characters and quotes escaped: a server's words never reach the terminal raw. */
function printable(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/[\x00-\x1f\x7f"\\]/g, (c) => `\\${String(c.charCodeAt(0)).padStart(3, '0')}`);
}

/** The client cookie a reply echoes, when the reply has a COOKIE option (RFC 7873 §5.3). */
export function echoedClientCookie(options: EdnsOption[] | undefined): Buffer | undefined {
  const cookie = options?.find((o) => o.code === EdnsCode.COOKIE);
  return cookie ? cookie.data.subarray(0, 8) : undefined;
}
