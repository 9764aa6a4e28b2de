import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { NtsAssociation } from '../../src/net/ntp/nts-association.js';
import type { NtsKeResult } from '../../src/net/ntp/nts-ke.js';
import { decodeNtpPacket, encodeNtpRequest } from '../../src/net/ntp/packet.js';
import { noTrace } from '../../src/net/shared/trace.js';
import { SockkitError } from '../../src/net/shared/errors.js';
import { ntsNak, protectedReply, readRequestFields } from '../helpers/nts-reply.js';
import { validReply } from '../fixtures/ntp/hostile-server.js';

function keResult(cookies: number): NtsKeResult {
  return {
    aead: 15,
    cookies: Array.from({ length: cookies }, (_, i) => Buffer.alloc(100, i + 1)),
    host: '127.0.0.1',
    address: '127.0.0.1',
    port: 4460,
    tls: { protocol: 'TLSv1.3', cipher: null, alpn: 'ntske/1', peerSubject: null, peerIssuer: null, validFrom: null, validTo: null, verified: true, verifyError: null },
    c2sKey: Buffer.alloc(32, 0xc2),
    s2cKey: Buffer.alloc(32, 0x2c),
    keMs: 1,
    records: [],
  };
}

const header = encodeNtpRequest(42n);
const accept = (reply: Buffer) => ({ kind: 'accept' as const, packet: decodeNtpPacket(reply, 16384) });

describe('NtsAssociation: the cookie jar', () => {
  test('each request spends a cookie never sent before; placeholders ask for what the samples left need', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 8 }), (samples, keCookies) => {
        const nts = new NtsAssociation(keResult(keCookies), samples);
        const sent = new Set<string>();
        for (let i = 0; i < samples && nts.cookiesLeft > 0; i++) {
          const request = nts.request(header, noTrace);
          const fields = readRequestFields(request.packet);
          expect(sent.has(fields.cookie.toString('hex'))).toBe(false);
          sent.add(fields.cookie.toString('hex'));
          expect(fields.placeholders).toBeLessThanOrEqual(7);
          // The server answers with one cookie per cookie and placeholder.
          const cookies = Array.from({ length: 1 + fields.placeholders }, () => randomBytes(100));
          const reply = protectedReply({ header: validReply(header), uniqueId: fields.uniqueId, s2cKey: Buffer.alloc(32, 0x2c), cookies });
          expect(request.judge(reply, accept(reply))).toEqual({ kind: 'pass' });
        }
        // With every reply arriving, the jar never runs dry before the last sample.
        expect(nts.counters.spent).toBe(samples);
      }),
      { numRuns: 60 },
    );
  });

  test('a reply sealed with another key or for another Unique Identifier is ignored, and brings no cookie', () => {
    const nts = new NtsAssociation(keResult(2), 2);
    const request = nts.request(header, noTrace);
    const { uniqueId } = readRequestFields(request.packet);
    const forged = protectedReply({ header: validReply(header), uniqueId, s2cKey: Buffer.alloc(32, 0xc2), cookies: [Buffer.alloc(100)] });
    expect(request.judge(forged, accept(forged))).toEqual({ kind: 'ignore', reason: 'unauthenticated reply: the NTS Authenticator does not verify with the S2C key' });
    const other = protectedReply({ header: validReply(header), uniqueId: Buffer.alloc(32, 1), s2cKey: Buffer.alloc(32, 0x2c), cookies: [Buffer.alloc(100)] });
    expect(request.judge(other, accept(other)).kind).toBe('ignore');
    expect(nts.counters.fromReplies).toBe(0);
    expect(nts.cookiesLeft).toBe(1);
  });

  test('an NTS NAK passes only with our Unique Identifier', () => {
    const nts = new NtsAssociation(keResult(2), 2);
    const request = nts.request(header, noTrace);
    const { uniqueId } = readRequestFields(request.packet);
    const kiss = validReply(header, { stratum: 0, refId: Uint8Array.from(Buffer.from('NTSN')) });
    const verdict = (data: Buffer) => ({ kind: 'kiss' as const, code: 'NTSN', packet: decodeNtpPacket(data, 16384) });
    expect(request.judge(ntsNak(kiss, uniqueId), verdict(ntsNak(kiss, uniqueId)))).toEqual({ kind: 'pass' });
    const foreign = ntsNak(kiss, Buffer.alloc(32, 9));
    expect(request.judge(foreign, verdict(foreign))).toEqual({ kind: 'ignore', reason: 'NTS NAK without our Unique Identifier (forged)' });
  });

  test('an empty jar is a PROTOCOL error, never a reused cookie', () => {
    const nts = new NtsAssociation(keResult(1), 3);
    nts.request(header, noTrace);
    expect(() => nts.request(header, noTrace)).toThrow(SockkitError);
    expect(() => nts.request(header, noTrace)).toThrow(/no cookie left \(1 spent/);
  });
});
