// Which datagram is the reply to a query, and which records of that reply answer the
// question asked. Pure functions over bytes and decoded messages (no sockets, no
// clocks): the client and the resolver call them, unit tests feed them handcrafted
// packets. A hostile server can put anything in a reply; only what answers the
// question (RFC 1034 §3.6.2 and §4.3.2, RFC 6672 for DNAME, RFC 5452 §9.1) counts.
import {
  CLASS_IN,
  DnsFormatError,
  RecordType,
  decodeMessage,
  formatRecordData,
  labelsToName,
  nameToLabels,
  typeName,
  type DnsMessage,
  type DnsRecord,
} from './packet.js';

/** IN, CH, HS by name (RFC 1035 §3.2.4), or CLASSnnn (RFC 3597). */
export function className(qclass: number): string {
  return qclass === 1 ? 'IN' : qclass === 3 ? 'CH' : qclass === 4 ? 'HS' : `CLASS${qclass}`;
}

/** A question in flight: what a reply must echo. */
export interface AskedQuestion {
  id: number;
  /** Fully qualified, in the decoder's presentation form (any case). */
  name: string;
  type: number;
  /** The class asked (IN when absent). */
  qclass?: number;
}

export type ReplyVerdict =
  /** The reply to this query: ID, QR, opcode and question all match. */
  | { verdict: 'accept'; message: DnsMessage }
  /** Not the reply to this query (or not a reply at all): keep waiting. */
  | { verdict: 'ignore'; why: string }
  /** Our ID with QR set, but unreadable: nothing better will come for this ID. */
  | { verdict: 'malformed'; why: string };

/** Why a datagram from `address`:`port` cannot come from the server, or undefined when it does. */
export function wrongSource(address: string, port: number, server: { host: string; port: number }): string | undefined {
  return address === server.host && port === server.port ? undefined : 'not from the server asked';
}

/** Judges one received message (UDP datagram or TCP frame) against the query it may answer. */
export function judgeReply(packet: Buffer, asked: AskedQuestion): ReplyVerdict {
  if (packet.length < 12) return { verdict: 'malformed', why: `message of ${packet.length} bytes is shorter than a DNS header` };
  const id = (packet[0]! << 8) | packet[1]!;
  if (id !== asked.id) return { verdict: 'ignore', why: `id ${hexId(id)} is not ours (${hexId(asked.id)})` };
  if ((packet[2]! & 0x80) === 0) return { verdict: 'ignore', why: 'not a response (QR bit clear)' };
  const opcode = (packet[2]! >> 3) & 0xf;
  if (opcode !== 0) return { verdict: 'ignore', why: `opcode ${opcode}, not QUERY` };
  let message: DnsMessage;
  try {
    message = decodeMessage(packet, { answersOnly: true });
  } catch (err) {
    if (!(err instanceof DnsFormatError)) throw err;
    return { verdict: 'malformed', why: `malformed reply: ${err.message}` };
  }
  const mismatch = questionMismatch(message, asked);
  if (mismatch) return { verdict: 'ignore', why: mismatch };
  return { verdict: 'accept', message };
}

/**
 * RFC 5452 §9.1: the reply must carry our question (name compared case-insensitively:
 * a server may echo it in another case, DNS 0x20). A server may leave the question out
 * of an error reply (FORMERR, REFUSED...): accepted only with an error RCODE.
 */
export function questionMismatch(message: DnsMessage, asked: AskedQuestion): string | undefined {
  if (message.questions.length === 0 && message.rcode !== 0) return undefined;
  const q = message.questions[0];
  if (message.questions.length !== 1 || !q) return `reply has ${message.questions.length} questions`;
  const qclass = asked.qclass ?? CLASS_IN;
  if (!sameName(q.name, asked.name) || q.type !== asked.type || q.class !== qclass) {
    return `reply is for ${typeName(q.type)} ${q.name}${q.class !== qclass ? ` class ${q.class}` : ''}, not our question`;
  }
  return undefined;
}

// ---------------------------------------------------------------- answer selection

/** Most alias hops (CNAME or DNAME) followed: real chains have a few; RFC 1034 sets no number. */
export const MAX_CHAIN_HOPS = 16;

/** How the chain from the name asked ended. */
export type ChainEnd =
  /** Records of the type asked, at the name asked or at the end of its chain. */
  | 'answer'
  /** The chain ends at a name with no record of the type asked: NODATA (or NXDOMAIN, by RCODE). */
  | 'nodata'
  /** An alias leads back to a name already on the chain. */
  | 'loop'
  /** More than MAX_CHAIN_HOPS aliases, or a DNAME substitution over 255 bytes. */
  | 'too-long';

export interface IgnoredRecord {
  record: DnsRecord;
  why: string;
}

export interface AnswerSelection {
  /** In chain order: each CNAME/DNAME hop, then the records of the type asked. */
  records: DnsRecord[];
  /** Every other record of the answer section, with the reason. */
  ignored: IgnoredRecord[];
  end: ChainEnd;
  /** The names of the chain, the name asked first (for the loop / too-long message). */
  chain: string[];
  /** For 'loop' and 'too-long': what went wrong, readable. */
  problem?: string;
}

/**
 * The records of an answer section that answer (`name`, `type`), class IN: those owned by
 * the name asked, or by a name its CNAME/DNAME chain reaches. The chain is followed by
 * reachability, not by position in the section; everything else is ignored with a reason.
 */
export function selectAnswers(answers: DnsRecord[], name: string, type: number, qclass: number = CLASS_IN): AnswerSelection {
  // The common reply, every record of the class and type asked at the name asked: all of
  // them answer, in section order, with no chain to follow (what the walk below returns).
  if (allAnswer(answers, name, type, qclass)) {
    // the arrays made apart from the object literal: a literal holding array literals is copied by the runtime
    const ignored: IgnoredRecord[] = [];
    const chain = [name];
    return { records: answers.slice(), ignored, end: answers.length > 0 ? 'answer' : 'nodata', chain };
  }
  return selectAnswersByChain(answers, name, type, qclass);
}

/** Whether every record is of the class and type asked, at the name asked (a loop, not every() with a closure: once per reply). */
function allAnswer(answers: DnsRecord[], name: string, type: number, qclass: number): boolean {
  let asked: string | undefined;
  for (const r of answers) {
    if (r.class !== qclass || r.type === RecordType.OPT || !answersType(r.type, type)) return false;
    if (r.name !== name && canonical(r.name) !== (asked ??= canonical(name))) return false;
  }
  return true;
}

/** selectAnswers' general case: the alias chain walked by reachability (exported for the property that the fast path agrees). */
export function selectAnswersByChain(answers: DnsRecord[], name: string, type: number, qclass: number = CLASS_IN): AnswerSelection {
  const ignored: IgnoredRecord[] = [];
  const usable: Candidate[] = [];
  for (const record of answers) {
    if (record.type === RecordType.OPT) ignored.push({ record, why: 'an OPT pseudo-record has no place in the answer section' });
    else if (record.class !== qclass) ignored.push({ record, why: `class ${record.class}, not ${className(qclass)} (the class asked)` });
    else usable.push({ record, owner: canonical(record.name), used: false });
  }
  const records: DnsRecord[] = [];
  const take = (c: Candidate) => {
    if (c.used) return;
    c.used = true;
    records.push(c.record);
  };
  const chain = [name];
  const onChain = new Set([canonical(name)]);
  let current = canonical(name);
  let end: ChainEnd = 'nodata';
  let problem: string | undefined;
  for (;;) {
    const here = usable.filter((c) => c.owner === current);
    const matching = here.filter((c) => answersType(c.record.type, type));
    if (matching.length > 0) {
      matching.forEach(take);
      end = 'answer';
      break;
    }
    const step = nextHop(usable, here, current);
    if (!step) break;
    if ('overflow' in step) {
      end = 'too-long';
      problem = `DNAME ${step.overflow.record.name} → ${targetOf(step.overflow.record)} makes ${current} longer than 255 bytes`;
      break;
    }
    step.via.forEach(take);
    chain.push(step.next);
    const next = canonical(step.next);
    if (onChain.has(next)) {
      end = 'loop';
      problem = `${step.via.some((c) => c.record.type === RecordType.DNAME) ? 'DNAME' : 'CNAME'} loop: ${chain.join(' → ')}`;
      break;
    }
    if (chain.length - 1 > MAX_CHAIN_HOPS) {
      end = 'too-long';
      problem = `alias chain longer than ${MAX_CHAIN_HOPS} hops: ${chain[0]} → ${chain[1]} → … → ${step.next}`;
      break;
    }
    onChain.add(next);
    current = next;
  }
  for (const c of usable) if (!c.used) ignored.push({ record: c.record, why: whyIgnored(c, onChain, name, type) });
  return { records, ignored, end, chain, ...(problem ? { problem } : {}) };
}

interface Candidate {
  record: DnsRecord;
  /** Lower-cased owner name. */
  owner: string;
  used: boolean;
}

type Hop = { next: string; via: Candidate[] } | { overflow: Candidate };

/**
 * Where the chain goes from `current`: a DNAME above it (RFC 6672 §2.2: the closest one;
 * it wins over a synthesised CNAME that disagrees with it, §3.4), else its CNAME.
 */
function nextHop(usable: Candidate[], here: Candidate[], current: string): Hop | undefined {
  const cname = here.find((c) => c.record.type === RecordType.CNAME);
  const dname = closestDname(usable, current);
  if (dname) {
    const next = substitute(current, dname.owner, targetOf(dname.record));
    if (next === undefined) return { overflow: dname };
    const agrees = cname && canonical(targetOf(cname.record)) === canonical(next);
    return { next, via: agrees ? [dname, cname] : [dname] };
  }
  return cname ? { next: targetOf(cname.record), via: [cname] } : undefined;
}

/** The DNAME whose owner is the longest proper ancestor of `name` (a DNAME never redirects its own owner). */
function closestDname(usable: Candidate[], name: string): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of usable) {
    if (c.record.type !== RecordType.DNAME || !isBelow(name, c.owner)) continue;
    if (!best || c.owner.length > best.owner.length) best = c;
  }
  return best;
}

function whyIgnored(c: Candidate, onChain: Set<string>, name: string, type: number): string {
  const { record } = c;
  if (!onChain.has(c.owner)) return `owner ${record.name} is neither ${name} nor on its alias chain`;
  if (record.type === RecordType.CNAME || record.type === RecordType.DNAME) return `${typeName(record.type)} at ${record.name} is not the one followed`;
  return `${typeName(record.type)} does not answer a ${typeName(type)} question`;
}

/** The type asked, or anything for ANY (the OPT pseudo-type is never an answer). */
function answersType(recordType: number, asked: number): boolean {
  return recordType === asked || (asked === RecordType.ANY && recordType !== RecordType.OPT);
}

function targetOf(record: DnsRecord): string {
  return record.data.kind === 'NAME' ? record.data.target : '.';
}

// ---------------------------------------------------------------- names

/** Names compare case-insensitively (RFC 4343); bytes over 0x7e are \DDD-escaped, so ASCII lower-casing is exact. */
export function sameName(a: string, b: string): boolean {
  return a === b || canonical(a) === canonical(b); // as written is the common case: no copies then
}

function canonical(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** Presentation-form labels, escapes kept: `a\.b.example.` → ['a\.b', 'example'] (the root has none). */
function splitLabels(name: string): string[] {
  const labels: string[] = [];
  let label = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch === '\\') {
      const escape = /^\d{3}/.test(name.slice(i + 1, i + 4)) ? 3 : 1;
      label += name.slice(i, i + 1 + escape);
      i += escape;
    } else if (ch === '.') {
      if (label !== '') labels.push(label);
      label = '';
    } else {
      label += ch;
    }
  }
  if (label !== '') labels.push(label);
  return labels;
}

/** True when `name` is strictly below `ancestor` (both lower-cased, fully qualified). */
function isBelow(name: string, ancestor: string): boolean {
  const inner = splitLabels(name);
  const outer = splitLabels(ancestor);
  if (inner.length <= outer.length) return false;
  return outer.every((label, i) => label === inner[inner.length - outer.length + i]);
}

/**
 * RFC 6672 §2.2: `name` with its `owner` suffix replaced by `target`; undefined when the
 * result would be over 255 bytes on the wire (the server's YXDOMAIN case).
 */
export function substitute(name: string, owner: string, target: string): string | undefined {
  const inner = splitLabels(name);
  const keep = inner.slice(0, inner.length - splitLabels(owner).length);
  const joined = [...keep, ...splitLabels(target)].join('.') + '.';
  try {
    return labelsToName(nameToLabels(joined));
  } catch (err) {
    if (err instanceof DnsFormatError) return undefined;
    throw err;
  }
}

/** `www.bank.example. A 60 198.51.100.66`, for the trace and the JSON `ignored` list. */
export function describeRecord(record: DnsRecord): string {
  const cls = record.class === CLASS_IN ? '' : ` CLASS${record.class}`;
  return `${record.name}${cls} ${typeName(record.type)} ${record.ttl} ${formatRecordData(record)}`;
}

export function hexId(id: number): string {
  return `0x${id.toString(16).padStart(4, '0')}`;
}
