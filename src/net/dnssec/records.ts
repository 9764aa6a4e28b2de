// The DNSSEC records' wire forms (RFC 4034 §2, §3, §5), read from the raw RDATA the DNS
// decoder keeps for these types. Pure.
import { labelsToName, type DnsRecord } from '../dns/packet.js';

export interface Dnskey {
  flags: number;
  protocol: number;
  algorithm: number;
  publicKey: Buffer;
  /** The whole RDATA, as the key tag and DS digest read it. */
  rdata: Buffer;
}

export interface Ds {
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: Buffer;
}

export interface Rrsig {
  typeCovered: number;
  algorithm: number;
  labels: number;
  originalTtl: number;
  /** Seconds since 1970 modulo 2^32 (RFC 4034 §3.1.5): compare with serial arithmetic. */
  expiration: number;
  inception: number;
  keyTag: number;
  signerName: string;
  signature: Buffer;
  /** RDATA up to the signer's name inclusive, as signed (RFC 4034 §3.1.8.1), signer lowercased. */
  signedPart: Buffer;
}

export class DnssecFormatError extends Error {}

export function parseDnskey(rdata: Buffer): Dnskey {
  if (rdata.length < 5) throw new DnssecFormatError('DNSKEY shorter than 5 bytes');
  return { flags: rdata.readUInt16BE(0), protocol: rdata[2]!, algorithm: rdata[3]!, publicKey: rdata.subarray(4), rdata };
}

export function parseDs(rdata: Buffer): Ds {
  if (rdata.length < 5) throw new DnssecFormatError('DS shorter than 5 bytes');
  return { keyTag: rdata.readUInt16BE(0), algorithm: rdata[2]!, digestType: rdata[3]!, digest: rdata.subarray(4) };
}

export function parseRrsig(rdata: Buffer): Rrsig {
  if (rdata.length < 19) throw new DnssecFormatError('RRSIG shorter than 19 bytes');
  const labels: Buffer[] = [];
  let at = 18;
  for (;;) {
    const length = rdata[at];
    if (length === undefined || length > 63) throw new DnssecFormatError('RRSIG signer name unreadable');
    at += 1;
    if (length === 0) break;
    if (at + length > rdata.length) throw new DnssecFormatError('RRSIG signer name truncated');
    labels.push(rdata.subarray(at, at + length));
    at += length;
  }
  const signedPart = Buffer.concat([rdata.subarray(0, 18), lowerWire(rdata.subarray(18, at))]);
  return {
    typeCovered: rdata.readUInt16BE(0),
    algorithm: rdata[2]!,
    labels: rdata[3]!,
    originalTtl: rdata.readUInt32BE(4),
    expiration: rdata.readUInt32BE(8),
    inception: rdata.readUInt32BE(12),
    keyTag: rdata.readUInt16BE(16),
    signerName: labelsToName(labels),
    signature: rdata.subarray(at),
    signedPart,
  };
}

/** ASCII letters of a wire-form name to lower case (RFC 4034 §6.2); other bytes as they are. */
export function lowerWire(wire: Buffer): Buffer {
  const out = Buffer.from(wire);
  for (let i = 0; i < out.length; i++) if (out[i]! >= 0x41 && out[i]! <= 0x5a) out[i]! += 0x20;
  // length bytes are at most 63 (< 0x41): lowering every byte in A-Z never touches one
  return out;
}

/** The raw RDATA of a DNSSEC record as the decoder keeps it. */
export function rawRdata(record: DnsRecord): Buffer {
  if (record.data.kind !== 'RAW') throw new DnssecFormatError(`record of type ${record.type} was not kept raw`);
  return record.data.bytes;
}

export interface Nsec {
  next: string;
  types: Set<number>;
}

/** NSEC RDATA (RFC 4034 §4.1): the next owner name, then the type bitmap windows. */
export function parseNsec(rdata: Buffer): Nsec {
  const labels: Buffer[] = [];
  let at = 0;
  for (;;) {
    const length = rdata[at];
    if (length === undefined || length > 63) throw new DnssecFormatError('NSEC next name unreadable');
    at += 1;
    if (length === 0) break;
    labels.push(rdata.subarray(at, at + length));
    at += length;
  }
  const types = new Set<number>();
  while (at < rdata.length) {
    const window = rdata[at]!;
    const length = rdata[at + 1] ?? 0;
    if (length < 1 || length > 32 || at + 2 + length > rdata.length) throw new DnssecFormatError('NSEC type bitmap unreadable');
    for (let i = 0; i < length; i++) {
      const byte = rdata[at + 2 + i]!;
      for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) types.add(window * 256 + i * 8 + bit);
    }
    at += 2 + length;
  }
  return { next: labelsToName(labels), types };
}
