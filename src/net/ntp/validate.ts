// Judging one datagram that arrived on the query socket (pure; no sockets).
//
// Two kinds of bad reply are treated differently on purpose:
// - "ignore": the datagram cannot be an answer to our request — wrong sender, or an
//   origin timestamp that is not our nonce. Anyone on the network can send those, so
//   they must not end the query (that would let an off-path attacker cancel it): we
//   note them and keep waiting until the deadline.
// - "reject" / "kiss" / "unsynchronised": the origin equals our random nonce, so the
//   sender saw our request. Its verdict is final for this query.
import { SockkitError, protocolError } from '../shared/errors.js';
import {
  decodeNtpPacket,
  kissCodeOf,
  LEAP_NAMES,
  MODE_NAMES,
  NTP_MODE_SERVER,
  peekOriginTimestamp,
  type NtpPacket,
} from './packet.js';

export interface Endpoint {
  address: string;
  port: number;
}

export interface Expectation {
  server: Endpoint;
  /** The transmit timestamp we sent; the reply's origin must equal it exactly. */
  nonce: bigint;
  /** Nonces of earlier queries on this socket, to name late replies "stale", not "forged". */
  earlierNonces?: ReadonlySet<bigint>;
  /** The longest reply that can answer our request (longer with NTS extension fields). */
  maxReplyBytes?: number;
}

export type ReplyVerdict =
  | { kind: 'accept'; packet: NtpPacket }
  | { kind: 'ignore'; reason: string }
  | { kind: 'reject'; error: SockkitError }
  | { kind: 'kiss'; code: string; packet: NtpPacket }
  | { kind: 'unsynchronised'; reason: string; packet: NtpPacket };

/** Kiss codes of RFC 5905 §7.4 (and NTSN from RFC 8915), for readable messages. */
export const KISS_CODE_MEANINGS: Readonly<Record<string, string>> = {
  ACST: 'the association belongs to a unicast server',
  AUTH: 'server authentication failed',
  AUTO: 'autokey sequence failed',
  BCST: 'the association belongs to a broadcast server',
  CRYP: 'cryptographic authentication or identification failed',
  DENY: 'access denied by the server',
  DROP: 'lost peer in symmetric mode',
  RSTR: 'access denied due to local policy (restricted)',
  INIT: 'the association has not yet synchronised for the first time',
  MCST: 'the association belongs to a dynamically discovered server',
  NKEY: 'no key found: the key is unknown or not trusted',
  NTSN: 'NTS negative acknowledgement',
  RATE: 'rate exceeded: the server asks to be queried less often',
  RMOT: 'alteration of association from a remote host running ntpdc',
  STEP: 'a step change in system time has occurred, not yet verified',
};

export function judgeReply(data: Uint8Array, from: Endpoint, expected: Expectation): ReplyVerdict {
  const { server, nonce } = expected;
  // An answer must come from the address and port we sent to (RFC 5905 §8): any host
  // can send a datagram to our ephemeral port.
  if (from.address !== server.address || from.port !== server.port) {
    return { kind: 'ignore', reason: `from ${endpointText(from)}, not the server ${endpointText(server)}` };
  }
  const origin = peekOriginTimestamp(data);
  if (origin === undefined) {
    return { kind: 'ignore', reason: `${data.length}-byte datagram is too short to hold an origin timestamp` };
  }
  // The origin check (RFC 5905 §8 "bogus packet"): only a sender that saw our request
  // knows the random nonce. This defeats off-path spoofing and stale replies alike.
  if (origin !== nonce) {
    if (origin === 0n) return { kind: 'ignore', reason: 'origin timestamp is zero, not the nonce we sent (not an answer to our request)' };
    if (expected.earlierNonces?.has(origin)) return { kind: 'ignore', reason: 'origin timestamp matches an earlier request (stale or duplicated reply)' };
    return {
      kind: 'ignore',
      reason: `origin timestamp ${hex64(origin)} is not the nonce we sent ${hex64(nonce)} (forged or stale reply)`,
    };
  }

  let packet: NtpPacket;
  try {
    packet = decodeNtpPacket(data, expected.maxReplyBytes);
  } catch (err) {
    return { kind: 'reject', error: err as SockkitError };
  }
  if (packet.mode !== NTP_MODE_SERVER) {
    return reject(`mode ${packet.mode} (${MODE_NAMES[packet.mode]}), expected ${NTP_MODE_SERVER} (server)`);
  }
  if (packet.version < 1 || packet.version > 4) {
    return reject(`version ${packet.version} is not an NTP version (1 to 4)`);
  }
  const kissCode = kissCodeOf(packet);
  if (kissCode !== undefined) return { kind: 'kiss', code: kissCode, packet };
  if (packet.transmitTimestamp === 0n) return reject('transmit timestamp is zero');
  if (packet.leap === 3) {
    return { kind: 'unsynchronised', reason: `leap indicator 3: ${LEAP_NAMES[3]}`, packet };
  }
  if (packet.stratum === 0) {
    return { kind: 'unsynchronised', reason: 'stratum 0 without a kiss code', packet };
  }
  if (packet.stratum >= 16) {
    return { kind: 'unsynchronised', reason: `stratum ${packet.stratum} (16 and above means unsynchronised)`, packet };
  }
  if (packet.receiveTimestamp === 0n) return reject('receive timestamp is zero');
  return { kind: 'accept', packet };
}

/** The message for a kiss-o'-death, with the code and what it means. */
export function kissMessage(code: string): string {
  const meaning = KISS_CODE_MEANINGS[code];
  return `kiss-o'-death ${code}${meaning ? ` (${meaning})` : ''}; no further queries sent to this server`;
}

function reject(why: string): ReplyVerdict {
  return { kind: 'reject', error: protocolError('invalid reply', why) };
}

export function endpointText({ address, port }: Endpoint): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function hex64(value: bigint): string {
  return '0x' + value.toString(16).padStart(16, '0');
}
