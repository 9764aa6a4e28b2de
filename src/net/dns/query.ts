// What a query says besides its question: the class, the header bits (RD, AD, CD)
// and the EDNS record (payload size, DO, NSID, client subnet, cookie, padding). One
// QueryOptions for every question of a run; the default is encodeQuery's fast form.
import { CLASS_IN, EDNS_UDP_PAYLOAD, encodeMessage, encodeQuery, RecordType, type EdnsOption } from './packet.js';
import { EdnsCode, QUERY_PADDING_BLOCK, echoedClientCookie } from './edns.js';
import type { QuerySpec } from './transport.js';
import type { DnsMessage } from './packet.js';

export interface EdnsQueryOptions {
  udpPayload: number;
  /** RFC 3225 DNSSEC OK. */
  do: boolean;
  /** Options sent as they are (NSID request, client subnet, cookie). */
  options: EdnsOption[];
  /** Pad the query to a multiple of this many octets (RFC 7830; 0: no padding). */
  padBlock: number;
}

export interface QueryOptions {
  qclass: number;
  /** RD: ask the server to recurse (--no-recurse clears it). */
  recurse: boolean;
  ad: boolean;
  cd: boolean;
  /** false: no OPT record at all (--no-edns). */
  edns: EdnsQueryOptions | false;
}

export const DEFAULT_QUERY: QueryOptions = {
  qclass: CLASS_IN,
  recurse: true,
  ad: false,
  cd: false,
  edns: { udpPayload: EDNS_UDP_PAYLOAD, do: false, options: [], padBlock: 0 },
};

export type QueryEncoder = (id: number, name: string, type: number) => Buffer;

/** The encoder for these options: encodeQuery itself for the default (the batch path), the general encoder otherwise. */
export function queryEncoder(options: QueryOptions): QueryEncoder {
  const { edns } = options;
  const plain = options.qclass === CLASS_IN && options.recurse && !options.ad && !options.cd;
  if (plain && edns === false) return (id, name, type) => encodeQuery(id, name, type, false);
  if (plain && edns && edns.udpPayload === EDNS_UDP_PAYLOAD && !edns.do && edns.options.length === 0) {
    // DoT's default (padding on): encodeQuery's OPT record, padded in place
    const block = edns.padBlock;
    return block === 0 ? encodeQuery : (id, name, type) => padQuery(encodeQuery(id, name, type), 0, block);
  }
  return (id, name, type) => encodeWith(options, id, name, type);
}

/**
 * A query whose last record is its OPT, with `optionsLength` bytes of options, padded to
 * a multiple of `block` by a Padding option at the end (RFC 7830: its own 4-byte header
 * counts towards the block). Written once, not encoded twice: a DoT batch pads every query.
 */
function padQuery(unpadded: Buffer, optionsLength: number, block: number): Buffer {
  const padding = (block - ((unpadded.length + 4) % block)) % block;
  const padded = Buffer.alloc(unpadded.length + 4 + padding);
  unpadded.copy(padded);
  const rdlengthAt = unpadded.length - optionsLength - 2;
  padded.writeUInt16BE(optionsLength + 4 + padding, rdlengthAt);
  padded.writeUInt16BE(EdnsCode.PADDING, unpadded.length);
  padded.writeUInt16BE(padding, unpadded.length + 2);
  return padded;
}

function encodeWith(options: QueryOptions, id: number, name: string, type: number): Buffer {
  const message = { id, rd: options.recurse, ad: options.ad, cd: options.cd, questions: [{ name, type, class: options.qclass }] };
  const { edns } = options;
  if (edns === false) return encodeMessage(message);
  const opt = (data: Buffer) => ({ name: '.', type: RecordType.OPT, class: edns.udpPayload, ttl: edns.do ? 0x8000 : 0, data: { kind: 'RAW' as const, bytes: data } });
  const optionBytes = Buffer.concat(edns.options.map(optionWire));
  const unpadded = encodeMessage({ ...message, additionals: [opt(optionBytes)] });
  return edns.padBlock === 0 ? unpadded : padQuery(unpadded, optionBytes.length, edns.padBlock);
}

function optionWire(option: EdnsOption): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(option.code, 0);
  head.writeUInt16BE(option.data.length, 2);
  return Buffer.concat([head, option.data]);
}


/**
 * The QuerySpec transports use. `padded`: over TLS, padding is on unless --no-padding
 * (RFC 8467 recommends it for encrypted transports). With a cookie sent, a reply that
 * echoes another client cookie is not ours (RFC 7873 §5.3) and is ignored.
 */
export function querySpec(options: QueryOptions, padded = false): QuerySpec {
  const withPadding = padded && options.edns && options.edns.padBlock === 0 ? { ...options, edns: { ...options.edns, padBlock: QUERY_PADDING_BLOCK } } : options;
  const sent = options.edns ? options.edns.options.find((o) => o.code === EdnsCode.COOKIE)?.data : undefined;
  const check = sent
    ? (message: DnsMessage) => {
        const echoed = echoedClientCookie(message.edns?.options);
        return echoed && !echoed.equals(sent.subarray(0, 8)) ? `the reply echoes client cookie ${echoed.toString('hex')}, not ours (${sent.subarray(0, 8).toString('hex')})` : undefined;
      }
    : undefined;
  return { encode: queryEncoder(withPadding), qclass: options.qclass, ...(check ? { check } : {}) };
}
