// Trust anchors: the IANA root KSKs built in, or DS / DNSKEY lines in presentation form
// from a file (--trust-anchor). Pure.
import { nameToLabels } from '../dns/packet.js';
import { parseDnskey, parseDs, type Dnskey, type Ds } from './records.js';

export interface TrustAnchors {
  /** The zone the anchors are for (the root, normally). */
  zone: string;
  ds: Ds[];
  keys: Dnskey[];
}

/**
 * The root zone's KSK-2017 (20326) and KSK-2024 (38696) as DS records (SHA-256), from
 * IANA's published trust-anchor data: https://data.iana.org/root-anchors/root-anchors.xml
 */
export const IANA_ROOT_ANCHORS = `
. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
`;

export class AnchorError extends Error {}

/** Reads DS and DNSKEY lines (`;` comments, `( … )` spanning lines, optional TTL and class). */
export function parseTrustAnchors(text: string): TrustAnchors {
  const anchors: TrustAnchors = { zone: '', ds: [], keys: [] };
  for (const entry of entries(text)) {
    const fields = entry.split(/\s+/);
    const owner = fields.shift()!;
    while (fields.length > 0 && (/^\d+$/.test(fields[0]!) || /^(IN|CLASS1)$/i.test(fields[0]!))) fields.shift();
    const type = (fields.shift() ?? '').toUpperCase();
    try {
      nameToLabels(owner);
    } catch {
      throw new AnchorError(`'${owner}' is not a domain name`);
    }
    const zone = owner.endsWith('.') ? owner.toLowerCase() : `${owner.toLowerCase()}.`;
    if (anchors.zone !== '' && anchors.zone !== zone) throw new AnchorError(`anchors for two zones (${anchors.zone} and ${zone}): give one zone's`);
    anchors.zone = zone;
    if (type === 'DS') anchors.ds.push(parseDs(dsRdata(fields, entry)));
    else if (type === 'DNSKEY') anchors.keys.push(parseDnskey(dnskeyRdata(fields, entry)));
    else throw new AnchorError(`'${entry.slice(0, 60)}': expected a DS or DNSKEY record`);
  }
  if (anchors.zone === '') throw new AnchorError('no DS or DNSKEY record in it');
  return anchors;
}

/** Records as single lines: comments gone, parentheses joined. */
function entries(text: string): string[] {
  const out: string[] = [];
  let open = false;
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/;.*$/, '');
    for (const ch of line) {
      if (ch === '(') open = true;
      else if (ch === ')') open = false;
      else current += ch;
    }
    current += ' ';
    if (!open) {
      if (current.trim() !== '') out.push(current.trim());
      current = '';
    }
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

function u8(text: string | undefined, what: string, max = 255): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) > max) throw new AnchorError(`bad ${what} '${text ?? ''}'`);
  return Number(text);
}

function dsRdata(fields: string[], entry: string): Buffer {
  const [tag, algorithm, digestType, ...digest] = fields;
  const hex = digest.join('');
  if (!/^([0-9a-f]{2})+$/i.test(hex)) throw new AnchorError(`'${entry.slice(0, 60)}': the DS digest is not hex`);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(u8(tag, 'key tag', 65535), 0);
  head[2] = u8(algorithm, 'algorithm');
  head[3] = u8(digestType, 'digest type');
  return Buffer.concat([head, Buffer.from(hex, 'hex')]);
}

function dnskeyRdata(fields: string[], entry: string): Buffer {
  const [flags, protocol, algorithm, ...key] = fields;
  const b64 = key.join('');
  if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) throw new AnchorError(`'${entry.slice(0, 60)}': the DNSKEY key is not base64`);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(u8(flags, 'flags', 65535), 0);
  head[2] = u8(protocol, 'protocol');
  head[3] = u8(algorithm, 'algorithm');
  return Buffer.concat([head, Buffer.from(b64, 'base64')]);
}
