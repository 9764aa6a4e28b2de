// DNS over HTTPS without a connection (src/net/dns/doh.ts): the `{dns}` encoding of
// RFC 8484 §4.1 with the RFC's own examples, the request header lists, the response
// heads that can carry an answer, and the --server URL forms (resolve.ts: splitServerSpec).
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { base64url, dohAuthority, dohHeadProblem, dohPath, dohRequest, fromBase64url, DOH_DEFAULT_PATH } from '../../src/net/dns/doh.js';
import { splitServerSpec } from '../../src/net/dns/resolve.js';
import { encodeQuery } from '../../src/net/dns/packet.js';
import { SockkitError } from '../../src/net/shared/errors.js';

describe('base64url for ?dns= (RFC 8484 §4.1, RFC 4648 §5, no padding)', () => {
  test('RFC 8484 §4.1.1: www.example.com A, ID 0, RD, no EDNS', () => {
    const query = encodeQuery(0, 'www.example.com.', 1, false);
    expect(base64url(query)).toBe('AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB');
  });

  test('RFC 8484 §4.1.1: the 62-character label that makes base64url differ from base64 (a "-" where base64 has "+")', () => {
    const query = encodeQuery(0, 'a.62characterlabel-makes-base64url-distinct-from-standard-base64.example.com.', 1, false);
    expect(base64url(query)).toBe('AAABAAABAAAAAAAAAWE-NjJjaGFyYWN0ZXJsYWJlbC1tYWtlcy1iYXNlNjR1cmwtZGlzdGluY3QtZnJvbS1zdGFuZGFyZC1iYXNlNjQHZXhhbXBsZQNjb20AAAEAAQ');
    expect(query.toString('base64')).toContain('+');
  });

  test('property: only the URL-safe alphabet, never padding, and it decodes back to the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (array) => {
        const bytes = Buffer.from(array);
        const text = base64url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(text.length).toBe(Math.ceil((bytes.length * 8) / 6));
        expect(fromBase64url(text)).toEqual(bytes);
      }),
    );
  });

  test('the strict decoder refuses standard base64, padding and impossible lengths', () => {
    expect(fromBase64url('ab+/')).toBeUndefined();
    expect(fromBase64url('YQ==')).toBeUndefined();
    expect(fromBase64url('abcde')).toBeUndefined();
  });
});

describe('request header lists (RFC 8484 §4.1, RFC 9113 §8.3.1)', () => {
  const query = encodeQuery(0, 'www.example.com.', 1, false);

  test('POST: pseudo-headers first, the message as the body, its type and length declared', () => {
    const { fields, body } = dohRequest('POST', 'dns.example', '/dns-query', query);
    expect(fields).toEqual([
      [':method', 'POST'],
      [':scheme', 'https'],
      [':authority', 'dns.example'],
      [':path', '/dns-query'],
      ['accept', 'application/dns-message'],
      ['content-type', 'application/dns-message'],
      ['content-length', String(query.length)],
    ]);
    expect(body).toBe(query);
  });

  test('GET: no body, the message in ?dns= (or &dns= after a query string already in the path)', () => {
    const get = dohRequest('GET', 'dns.example:8443', '/dns-query', query);
    expect(get.body).toBeUndefined();
    expect(get.fields).toContainEqual([':path', '/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB']);
    expect(get.fields.some(([name]) => name === 'content-type')).toBe(false);
    expect(dohRequest('GET', 'd', '/q?ct', query).fields).toContainEqual([':path', '/q?ct&dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB']);
  });

  test(':authority: the port only when it is not 443, IPv6 in brackets', () => {
    expect(dohAuthority('dns.example', 443)).toBe('dns.example');
    expect(dohAuthority('127.0.0.1', 8443)).toBe('127.0.0.1:8443');
    expect(dohAuthority('::1', 443)).toBe('[::1]');
    expect(dohAuthority('::1', 8443)).toBe('[::1]:8443');
  });
});

describe('a response head that can carry a DNS answer (RFC 8484 §4.2.1)', () => {
  const type: Array<[string, string]> = [['content-type', 'application/dns-message']];
  test('200 with application/dns-message (any case, with parameters) is fine', () => {
    expect(dohHeadProblem(200, type, 64)).toBeUndefined();
    expect(dohHeadProblem(200, [['content-type', 'Application/DNS-Message; charset=x']], null)).toBeUndefined();
  });
  test('another status, another type, no type, two types, a body too large or empty: each said', () => {
    expect(dohHeadProblem(404, type, null)).toMatch(/HTTP 404 \(Not Found.*\/dns-query/);
    expect(dohHeadProblem(503, type, null)).toMatch(/HTTP 503/);
    expect(dohHeadProblem(204, type, null)).toMatch(/HTTP 204/);
    expect(dohHeadProblem(200, [['content-type', 'text/html']], null)).toMatch(/content-type "text\/html", not application\/dns-message/);
    expect(dohHeadProblem(200, [], null)).toMatch(/no content-type/);
    expect(dohHeadProblem(200, [...type, ...type], null)).toMatch(/content-type/);
    expect(dohHeadProblem(200, type, 65_536)).toMatch(/65536 bytes .* at most 65535/);
    expect(dohHeadProblem(200, type, 0)).toMatch(/empty body/);
  });
});

describe('--server https://HOST[:PORT][/PATH]', () => {
  test('the scheme, the authority and the path (/dns-query when none)', () => {
    expect(splitServerSpec('https://dns.example')).toEqual({ scheme: 'https', authority: 'dns.example', path: DOH_DEFAULT_PATH });
    expect(splitServerSpec('https://dns.example/')).toEqual({ scheme: 'https', authority: 'dns.example', path: '/' });
    expect(splitServerSpec('HTTPS://127.0.0.1:8443/resolve')).toEqual({ scheme: 'https', authority: '127.0.0.1:8443', path: '/resolve' });
    expect(splitServerSpec('https://[::1]:8443/q/x?ct')).toEqual({ scheme: 'https', authority: '[::1]:8443', path: '/q/x?ct' });
    expect(splitServerSpec('https://dns.example?ct')).toEqual({ scheme: 'https', authority: 'dns.example', path: '/?ct' });
  });

  test('the other schemes keep their forms, and carry no path', () => {
    expect(splitServerSpec('tls://127.0.0.1:853/')).toEqual({ scheme: 'tls', authority: '127.0.0.1:853' });
    expect(splitServerSpec('127.0.0.1:53')).toEqual({ scheme: 'dns', authority: '127.0.0.1:53' });
    expect(splitServerSpec('tcp://[::1]')).toEqual({ scheme: 'tcp', authority: '[::1]' });
  });

  test.each([
    ['http://dns.example/dns-query', /'http:\/\/' is not a DNS transport.*https:\/\/HOST/],
    ['https://user@dns.example/dns-query', /user information/],
    ['https://dns.example/a b', /visible ASCII/],
    ['https://dns.example/q#frag', /fragment/],
    [`https://dns.example/${'a'.repeat(1100)}`, /longer than 1024/],
  ])('%s is a usage error', (input, why) => {
    let caught: unknown;
    try {
      splitServerSpec(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SockkitError);
    expect((caught as SockkitError).code).toBe('USAGE');
    expect(`${(caught as SockkitError).why} ${(caught as SockkitError).hint ?? ''}`).toMatch(why);
  });

  test('dohPath: a path without its leading / is refused', () => {
    expect(() => dohPath('x', 'dns-query')).toThrow(/must start with \//);
  });
});
