// What one NTS-protected run of queries keeps between requests (RFC 8915 §5): the keys
// and the cookie jar from the key exchange. Each request spends one cookie (never
// reused), asks with placeholders for as many more as the samples left need, and its
// reply counts only when it is authentic; the cookies it carries refill the jar.
import { protocolError } from '../shared/errors.js';
import { fillRandom } from '../shared/random.js';
import { tracing, type TraceFn } from '../shared/trace.js';
import type { NtsKeResult } from './nts-ke.js';
import {
  carriesUniqueId,
  checkNtsReply,
  describeField,
  encodeNtsRequest,
  MAX_NTS_REPLY_BYTES,
  MAX_PLACEHOLDERS,
  NTS_NONCE_BYTES,
  UNIQUE_ID_BYTES,
} from './nts-fields.js';
import type { ReplyVerdict } from './validate.js';

/** What NTS made of a reply whose origin is our nonce: pass it on, or ignore it as forged. */
export type NtsJudgement = { kind: 'pass' } | { kind: 'ignore'; reason: string };

export interface ProtectedRequest {
  packet: Buffer;
  judge(data: Uint8Array, verdict: Exclude<ReplyVerdict, { kind: 'ignore' }>): NtsJudgement;
}

export interface NtsCounters {
  /** Cookies the key exchange gave. */
  fromKeyExchange: number;
  /** Cookies that came back in authenticated replies. */
  fromReplies: number;
  /** Cookies spent, one per request. */
  spent: number;
  /** Placeholders sent, asking for more. */
  placeholders: number;
}

export class NtsAssociation {
  private readonly jar: Buffer[];
  readonly counters: NtsCounters;
  /** The longest reply that can answer a protected request. */
  readonly maxReplyBytes = MAX_NTS_REPLY_BYTES;

  /** `requests`: how many requests the run will send at most (one cookie each). */
  constructor(
    readonly ke: NtsKeResult,
    private requestsLeft: number,
  ) {
    this.jar = [...ke.cookies];
    this.counters = { fromKeyExchange: ke.cookies.length, fromReplies: 0, spent: 0, placeholders: 0 };
  }

  /** A protected request carrying `header`; throws (exit 7) when no cookie is left. */
  request(header: Buffer, trace: TraceFn): ProtectedRequest {
    const cookie = this.jar.shift();
    if (!cookie) {
      throw protocolError('NTS request', `no cookie left (${this.counters.spent} spent; the replies that would have brought new ones were lost)`);
    }
    this.requestsLeft = Math.max(0, this.requestsLeft - 1);
    const placeholders = Math.min(MAX_PLACEHOLDERS, Math.max(0, this.requestsLeft - this.jar.length));
    this.counters.spent++;
    this.counters.placeholders += placeholders;
    const uniqueId = randomBytes(UNIQUE_ID_BYTES);
    const nonce = randomBytes(NTS_NONCE_BYTES);
    const packet = encodeNtsRequest(header, { uniqueId, cookie, placeholders, c2sKey: this.ke.c2sKey, nonce });
    if (tracing(trace)) {
      trace('nts', `Unique Identifier (${UNIQUE_ID_BYTES + 4} bytes) ${uniqueId.toString('hex').slice(0, 16)}…`);
      trace('nts', `NTS Cookie (${cookie.length + 4} bytes), ${this.jar.length} left`);
      if (placeholders > 0) trace('nts', `NTS Cookie Placeholder ×${placeholders} (${cookie.length + 4} bytes each): asking for ${placeholders} more`);
      trace('nts', `NTS Authenticator and Encrypted Extension Fields (${packet.length - header.length - (UNIQUE_ID_BYTES + 4) - (cookie.length + 4) * (1 + placeholders)} bytes, C2S key, nonce ${NTS_NONCE_BYTES} bytes)`);
    }
    return { packet, judge: (data, verdict) => this.judge(data, verdict, uniqueId, trace) };
  }

  private judge(data: Uint8Array, verdict: Exclude<ReplyVerdict, { kind: 'ignore' }>, uniqueId: Buffer, trace: TraceFn): NtsJudgement {
    // An NTS NAK is unauthenticated by design (the server could not read our cookie);
    // our Unique Identifier in it shows it answers this request (RFC 8915 §5.7).
    if (verdict.kind === 'kiss' && verdict.code === 'NTSN') {
      return carriesUniqueId(data, uniqueId) ? { kind: 'pass' } : { kind: 'ignore', reason: 'NTS NAK without our Unique Identifier (forged)' };
    }
    const check = checkNtsReply(data, uniqueId, this.ke.s2cKey);
    if (tracing(trace)) for (const field of check.fields) trace('nts', `recv ${describeField(field)}`);
    if (check.kind === 'forged') return { kind: 'ignore', reason: `unauthenticated reply: ${check.reason}` };
    this.jar.push(...check.cookies);
    this.counters.fromReplies += check.cookies.length;
    trace('nts', `authentic: Unique Identifier ours, Authenticator verified with the S2C key; ${check.cookies.length} new ${check.cookies.length === 1 ? 'cookie' : 'cookies'} in ${check.encrypted.length} encrypted ${check.encrypted.length === 1 ? 'field' : 'fields'}`);
    return { kind: 'pass' };
  }

  get cookiesLeft(): number {
    return this.jar.length;
  }
}

function randomBytes(n: number): Buffer {
  const bytes = Buffer.alloc(n);
  fillRandom(bytes);
  return bytes;
}
