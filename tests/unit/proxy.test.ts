// The proxy codecs and choices: SOCKS5 (RFC 1928) and its user/password (RFC 1929)
// byte for byte, HTTP CONNECT and its replies, and which proxy a URL gets (curl's rules).
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { checkReply, connectRequest, greeting, replyLength, userPasswordRequest } from '../../src/net/proxy/socks5.js';
import { checkConnectReply, connectRequest as httpConnect, proxyAuthRefusal, replyHeadLength } from '../../src/net/proxy/http.js';
import { noProxyMatches, parseProxyUrl, proxyFor } from '../../src/net/proxy/config.js';

const hex = (b: Buffer) => b.toString('hex');

describe('SOCKS5 (RFC 1928, RFC 1929)', () => {
  test('greeting: VER 5, the methods offered (user/password 0x02 only with credentials)', () => {
    expect(hex(greeting(false))).toBe('050100');
    expect(hex(greeting(true))).toBe('05020002');
  });

  test('CONNECT: ATYP 1 for IPv4, 3 for a name, 4 for IPv6; port in network order', () => {
    expect(hex(connectRequest('127.0.0.1', 8080))).toBe('050100017f0000011f90');
    expect(hex(connectRequest('example.com', 443))).toBe(`050100030b${Buffer.from('example.com').toString('hex')}01bb`);
    expect(hex(connectRequest('::1', 80))).toBe(`05010004${'00'.repeat(15)}010050`);
    expect(hex(connectRequest('2001:db8::8:1', 1))).toBe('0501000420010db80000000000000000000800010001');
  });

  test('property: any IPv6 address encodes to its 16 bytes, however it is written', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
        const full = groups.join(':');
        const compressed = full.replace(/(^|:)0(:0)+(:|$)/, '::');
        for (const text of [full, compressed]) expect(connectRequest(text, 1).subarray(4, 20)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  test('user/password: VER 1, ULEN, UNAME, PLEN, PASSWD', () => {
    expect(hex(userPasswordRequest('u', 'pw'))).toBe('010175027077');
    expect(() => userPasswordRequest('', 'x')).toThrow(/1-255 bytes/);
  });

  test('reply length from its address type; reply codes by name with their exit class', () => {
    expect(replyLength(Buffer.from([5, 0, 0, 1, 0]))).toBeUndefined();
    expect(replyLength(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9]))).toBe(10);
    expect(replyLength(Buffer.from([5, 0, 0, 3, 3, 97, 98, 99, 0, 80]))).toBe(10);
    expect(replyLength(Buffer.alloc(22, 0).fill(4, 3, 4).fill(5, 0, 1))).toBe(22);
    expect(() => replyLength(Buffer.from([5, 0, 0, 9, 0]))).toThrow(/unknown address type 9/);
    expect(() => checkReply(Buffer.from([5, 0]), 'x')).not.toThrow();
    expect(() => checkReply(Buffer.from([5, 5]), 'x')).toThrow(expect.objectContaining({ code: 'UNREACHABLE', why: 'the SOCKS5 proxy answered: connection refused (0x05)' }));
    expect(() => checkReply(Buffer.from([5, 2]), 'x')).toThrow(expect.objectContaining({ code: 'PROTOCOL', why: 'the SOCKS5 proxy answered: connection not allowed by ruleset (0x02)' }));
    expect(() => checkReply(Buffer.from([4, 0]), 'x')).toThrow(/not a SOCKS5 reply/);
  });
});

describe('HTTP CONNECT', () => {
  const proxy = parseProxyUrl('http://al%40ce:p%3Ass@127.0.0.1:3128', 'test');
  test('the request: authority, Host, Basic credentials (percent-decoded) in Proxy-Authorization', () => {
    expect(httpConnect('[::1]:443', proxy, 'sockkit/1').toString()).toBe(
      `CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\nUser-Agent: sockkit/1\r\nProxy-Authorization: Basic ${Buffer.from('al@ce:p:ss').toString('base64')}\r\n\r\n`,
    );
  });
  test('replies: 2xx opens the tunnel; 407 and others are named refusals; junk and endless heads refused', () => {
    expect(replyHeadLength(Buffer.from('HTTP/1.1 200 OK\r\n\r\nX'))).toBe(19);
    expect(replyHeadLength(Buffer.from('HTTP/1.1 200 OK\r\n'))).toBeUndefined();
    expect(() => replyHeadLength(Buffer.alloc(17000, 65))).toThrow(/no end of the reply head/);
    expect(() => checkConnectReply(Buffer.from('HTTP/1.0 200 Connection established\r\n\r\n'), 'x')).not.toThrow();
    expect(() => checkConnectReply(Buffer.from('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n'), 'x')).toThrow(/proxy needs authentication \(407 Proxy Authentication Required\)/);
    expect(() => checkConnectReply(Buffer.from('HTTP/1.1 502 Bad Gateway\r\n\r\n'), 'x')).toThrow(/the proxy refused the tunnel: 502 Bad Gateway/);
    // With credentials sent, a 407 or a 401 (tinyproxy's answer) is a refusal of them; 401 only ever from a CONNECT.
    expect(() => checkConnectReply(Buffer.from('HTTP/1.0 401 Unauthorized\r\n\r\n'), 'x', true)).toThrow(/proxy needs authentication: it refused the credentials \(401 Unauthorized\)/);
    expect(() => checkConnectReply(Buffer.from('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n'), 'x', true)).toThrow(/it refused the credentials \(407/);
    expect(proxyAuthRefusal(401, 'Unauthorized', 'x', true, false)).toBeNull();
    expect(proxyAuthRefusal(407, '', 'x', false, false)?.why).toBe('proxy needs authentication (407)');
    expect(proxyAuthRefusal(403, 'Forbidden', 'x', true)).toBeNull();
    expect(() => checkConnectReply(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'), 'x')).toThrow(/not an HTTP reply/);
  });
});

describe('which proxy (curl’s rules)', () => {
  test('proxy URLs: http:// by default, port 1080 by default, credentials kept out of the display', () => {
    expect(parseProxyUrl('127.0.0.1', '-x')).toEqual({ scheme: 'http', host: '127.0.0.1', port: 1080, display: 'http://127.0.0.1:1080' });
    expect(parseProxyUrl('socks5h://u:p@[::1]:9050', '-x')).toEqual({ scheme: 'socks5h', host: '::1', port: 9050, user: 'u', password: 'p', display: 'socks5h://[::1]:9050' });
    expect(() => parseProxyUrl('socks4://p:1080', '-x')).toThrow(/unsupported proxy scheme 'socks4'/);
  });

  test('https:// proxies: port 443 by default (curl); a port written equal to the scheme default is kept', () => {
    expect(parseProxyUrl('https://p', '-x')).toEqual({ scheme: 'https', host: 'p', port: 443, display: 'https://p:443' });
    expect(parseProxyUrl('https://p:443', '-x')).toMatchObject({ port: 443, display: 'https://p:443' });
    expect(parseProxyUrl('https://p:8443', '-x')).toMatchObject({ port: 8443 });
    // new URL() drops :80 from http:// and :443 from https:// — the proxy port is still that one, not 1080.
    expect(parseProxyUrl('http://u:p@p:80', '-x')).toMatchObject({ port: 80, display: 'http://p:80' });
    expect(parseProxyUrl('[::1]:80', '-x')).toMatchObject({ host: '::1', port: 80 });
    expect(parseProxyUrl('http://[::1]', '-x')).toMatchObject({ host: '::1', port: 1080 });
  });

  test('credentials are percent-decoded; a malformed escape is a usage error, not a crash', () => {
    expect(parseProxyUrl('http://al%69ce:p%2Dss%2Ew_rd@p:3128', '-x')).toMatchObject({ user: 'alice', password: 'p-ss.w_rd' });
    expect(parseProxyUrl('http://%E2%9C%93:%25@p:1', '-x')).toMatchObject({ user: '\u2713', password: '%' });
    expect(() => parseProxyUrl('http://u:%zz@p:1', 'http_proxy')).toThrow(expect.objectContaining({ code: 'USAGE', why: 'a malformed %-escape in the user or password' }));
    expect(() => parseProxyUrl('http://%E2%9C@p:1', '-x')).toThrow(/malformed %-escape/);
  });

  test('property: any user and password survive percent-encoding into the proxy URL', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (user, password) => {
        const spec = parseProxyUrl(`http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@p:3128`, '-x');
        expect([spec.user, spec.password]).toEqual([user, password]);
      }),
    );
  });

  test('-x beats the environment; https_proxy for https, http_proxy (lower case only) for http, all_proxy for both', () => {
    const env = { http_proxy: 'h:1', HTTP_PROXY: 'H:1', HTTPS_PROXY: 's:1', ALL_PROXY: 'a:1' };
    expect(proxyFor('x.test', false, { env })?.host).toBe('h');
    expect(proxyFor('x.test', true, { env })?.host).toBe('s');
    expect(proxyFor('x.test', false, { env: { HTTP_PROXY: 'H:1', ALL_PROXY: 'a:1' } })?.host).toBe('a');
    expect(proxyFor('x.test', false, { env: { HTTP_PROXY: 'H:1' } })).toBeNull();
    expect(proxyFor('x.test', true, { flag: 'f:1', env })?.host).toBe('f');
    expect(proxyFor('x.test', true, { flag: '', env })).toBeNull();
    expect(proxyFor('x.test', true, { env, noProxy: 'x.test' })).toBeNull();
  });

  test.each([
    ['a.example.com', 'example.com', true],
    ['example.com', '.example.com', true],
    ['badexample.com', 'example.com', false],
    ['anything', '*', true],
    ['anything', ' * ', true],
    ['anything', 'a, *', false], // as curl: * only as the whole list
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.1.2.3', '10.0.0.0/8', false],
    ['::1', '::/0', true],
    ['::1', '[::1]', true],
    ['127.0.0.1', '127.0.0.1', true],
    ['127.0.0.10', '127.0.0.1', false],
    ['host.test', '10.0.0.0/8', false],
  ])('no_proxy: %s against %j → %s', (host, list, expected) => {
    expect(noProxyMatches(host, list)).toBe(expected);
  });
});
