// A reply in full, for --json and -v: the header flags, the RCODE, every section
// (answer as sent, authority, additional) and the EDNS pseudo-section with its options
// in words. Pure: built from the bytes the transport received.
import { decodeMessage, DnsFormatError, formatRecordData, RecordType, rcodeName, typeName, type DnsMessage, type DnsRecord } from './packet.js';
import { className } from './answers.js';
import { describeEdnsOption, EdnsCode, describeExtendedError, type DescribedOption } from './edns.js';

export interface DetailRecord {
  name: string;
  type: string;
  /** IN, CH, HS or CLASSnnn. */
  class: string;
  ttl: number;
  value: string;
}

export interface EdnsDetail {
  version: number;
  udpPayload: number;
  /** `do` when set. */
  flags: string[];
  options: DescribedOption[];
}

export interface ReplyDetail {
  id: number;
  opcode: number;
  /** dig's order: qr aa tc rd ra ad cd, those set. */
  flags: string[];
  rcode: string;
  question: Array<{ name: string; type: string; class: string }>;
  answer: DetailRecord[];
  authority: DetailRecord[];
  additional: DetailRecord[];
  edns: EdnsDetail | null;
  /** The reply's size on the wire. */
  sizeBytes: number;
  /** Why the authority or additional section could not be read (they are then empty). */
  problem?: string;
}

const FLAG_ORDER = ['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'] as const;

/** The whole of `raw`, already accepted as the reply (so its header and answers decode); `fallback` when the rest does not. */
export function replyDetail(raw: Buffer, fallback: DnsMessage): ReplyDetail {
  let message = fallback;
  let problem: string | undefined;
  try {
    message = decodeMessage(raw);
  } catch (err) {
    if (!(err instanceof DnsFormatError)) throw err;
    problem = err.message;
  }
  const detail: ReplyDetail = {
    id: message.id,
    opcode: message.opcode,
    flags: FLAG_ORDER.filter((f) => message[f] === true),
    rcode: rcodeName(message.rcode),
    question: message.questions.map((q) => ({ name: q.name, type: typeName(q.type), class: className(q.class) })),
    answer: message.answers.map(detailRecord),
    authority: problem ? [] : message.authorities.map(detailRecord),
    additional: problem ? [] : message.additionals.filter((r) => r.type !== RecordType.OPT).map(detailRecord),
    edns: message.edns
      ? { version: message.edns.version, udpPayload: message.edns.udpPayload, flags: message.edns.do ? ['do'] : [], options: (message.edns.options ?? []).map(describeEdnsOption) }
      : null,
    sizeBytes: raw.length,
  };
  if (problem) detail.problem = problem;
  return detail;
}

function detailRecord(record: DnsRecord): DetailRecord {
  return { name: record.name, type: typeName(record.type), class: className(record.class), ttl: record.ttl, value: formatRecordData(record) };
}

/** The Extended DNS Errors of a reply, in words (RFC 8914): shown with every failing answer. */
export function extendedErrors(message: DnsMessage): string[] {
  return (message.edns?.options ?? []).filter((o) => o.code === EdnsCode.EDE).map((o) => `EDE ${describeExtendedError(o.data)}`);
}
