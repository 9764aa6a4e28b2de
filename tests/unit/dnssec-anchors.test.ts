// Trust anchors in presentation form (--trust-anchor) and the built-in IANA root keys.
import { describe, expect, test } from '@jest/globals';
import { AnchorError, IANA_ROOT_ANCHORS, parseTrustAnchors } from '../../src/net/dnssec/anchors.js';
import { keyTag } from '../../src/net/dnssec/keys.js';

describe('trust anchors', () => {
  test('the built-in root anchors: KSK-2017 (20326) and KSK-2024 (38696), SHA-256 DS', () => {
    const a = parseTrustAnchors(IANA_ROOT_ANCHORS);
    expect(a.zone).toBe('.');
    expect(a.ds.map((d) => [d.keyTag, d.algorithm, d.digestType, d.digest.length])).toEqual([[20326, 8, 2, 32], [38696, 8, 2, 32]]);
  });
  test('DNSKEY lines across parentheses, comments, TTL and class optional', () => {
    const a = parseTrustAnchors(`; the RFC 8080 key as an anchor
example.com. 3600 IN DNSKEY 257 3 15 (
      l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4= ) ; key id = 3613
EXAMPLE.COM. DS 3613 15 2 3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b`);
    expect(a.zone).toBe('example.com.');
    expect(a.keys.map((k) => keyTag(k.rdata))).toEqual([3613]);
    expect(a.ds.map((d) => d.keyTag)).toEqual([3613]);
  });
  test.each([
    ['', 'no DS or DNSKEY record in it'],
    ['. IN A 192.0.2.1', "'. IN A 192.0.2.1': expected a DS or DNSKEY record"],
    ['. DS 1 8 2 zz', "'. DS 1 8 2 zz': the DS digest is not hex"],
    ['. DS 70000 8 2 00', "bad key tag '70000'"],
    ['. DS 1 8 2 00\nexample. DS 1 8 2 00', 'anchors for two zones (. and example.): give one zone\'s'],
  ])('refused: %j', (text, why) => {
    expect(() => parseTrustAnchors(text)).toThrow(new AnchorError(why));
  });
});
