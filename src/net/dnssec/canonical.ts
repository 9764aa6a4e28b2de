// Canonical form and ordering (RFC 4034 §6, as clarified by RFC 6840 §5.1), and the data an
// RRSIG signs (RFC 4034 §3.1.8.1). Pure.
import { encodeRdata, labelsToName, nameToLabels, RecordType, type DnsRecord } from '../dns/packet.js';
import { lowerWire, type Rrsig } from './records.js';

/** A name in canonical wire form: uncompressed, ASCII lowercased. */
export function canonicalName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of nameToLabels(name)) parts.push(Buffer.from([label.length]), label);
  parts.push(Buffer.from([0]));
  return lowerWire(Buffer.concat(parts));
}

/** Labels of a name (the root has none), lowercased: what canonical ordering compares. */
function lowerLabels(name: string): Buffer[] {
  return nameToLabels(name).map(lowerWire);
}

/** RFC 4034 §6.1: names sorted by their labels read right to left, each as unsigned bytes. */
export function compareNames(a: string, b: string): number {
  const la = lowerLabels(a).reverse();
  const lb = lowerLabels(b).reverse();
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    const c = Buffer.compare(la[i]!, lb[i]!);
    if (c !== 0) return c;
  }
  return la.length - lb.length;
}

/** Types whose RDATA names are lowercased in canonical form and that the decoder parses (RFC 4034 §6.2 with RFC 6840 §5.1). */
const LOWERED = new Set<number>([RecordType.NS, RecordType.CNAME, RecordType.PTR, RecordType.MX, RecordType.SOA, RecordType.SRV, 39 /* DNAME */]);

/** RDATA in canonical form: the decoder's parsed names re-encoded uncompressed and lowercased; raw types as received. */
export function canonicalRdata(record: DnsRecord): Buffer {
  const d = record.data;
  if (d.kind === 'RAW') return d.bytes;
  if (!LOWERED.has(record.type)) return encodeRdata(record);
  const lower = (n: string) => n.toLowerCase();
  switch (d.kind) {
    case 'NAME':
      return encodeRdata({ ...record, data: { ...d, target: lower(d.target) } });
    case 'MX':
      return encodeRdata({ ...record, data: { ...d, exchange: lower(d.exchange) } });
    case 'SRV':
      return encodeRdata({ ...record, data: { ...d, target: lower(d.target) } });
    case 'SOA':
      return encodeRdata({ ...record, data: { ...d, mname: lower(d.mname), rname: lower(d.rname) } });
    default:
      return encodeRdata(record);
  }
}

/**
 * The owner name an RRSIG covers: the record's, or, when the signature's label count is
 * smaller (a wildcard expansion, RFC 4035 §5.3.2), `*.` and the rightmost `labels` labels.
 * Undefined when the count exceeds the owner's labels (such a signature is bogus).
 */
export function signedOwner(owner: string, labels: number): string | undefined {
  const parts = nameToLabels(owner);
  const own = parts.length > 0 && parts[0]!.toString('latin1') === '*' ? parts.length - 1 : parts.length;
  if (labels > own) return undefined;
  if (labels === parts.length) return owner;
  return labels === 0 ? '*.' : `*.${labelsToName(parts.slice(parts.length - labels))}`;
}

/**
 * What the signer signed: the RRSIG RDATA without the signature, then every record of the
 * RRset in canonical form with the original TTL, sorted by canonical RDATA, duplicates once.
 */
export function signedData(rrsig: Rrsig, rrset: DnsRecord[]): Buffer | undefined {
  if (rrset.length === 0) return undefined;
  const owner = signedOwner(rrset[0]!.name, rrsig.labels);
  if (owner === undefined) return undefined;
  const ownerWire = canonicalName(owner);
  const rdatas = rrset.map(canonicalRdata).sort(Buffer.compare);
  const unique = rdatas.filter((r, i) => i === 0 || !r.equals(rdatas[i - 1]!));
  const parts: Buffer[] = [rrsig.signedPart];
  for (const rdata of unique) {
    const head = Buffer.alloc(10);
    head.writeUInt16BE(rrset[0]!.type, 0);
    head.writeUInt16BE(rrset[0]!.class, 2);
    head.writeUInt32BE(rrsig.originalTtl >>> 0, 4);
    head.writeUInt16BE(rdata.length, 8);
    parts.push(ownerWire, head, rdata);
  }
  return Buffer.concat(parts);
}
