import { describe, expect, test } from '@jest/globals';
import { SockkitError } from '../../src/net/shared/errors.js';
import { buildRequest, displayUrl, nextRequest, parseHeaderOption, parseUserUrl, requestHeaderList, type RedirectStep } from '../../src/net/http/url.js';

function usageCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as SockkitError).code;
  }
  return 'no error';
}

describe('parseUserUrl', () => {
  test('http and https, default ports, path and query, no fragment', () => {
    const t = parseUserUrl('https://example.com/a/b?x=1#frag');
    expect(t).toMatchObject({ secure: true, host: 'example.com', port: 443, authority: 'example.com', path: '/a/b?x=1' });
    expect(parseUserUrl('http://127.0.0.1:8080').path).toBe('/');
  });

  test('a URL without a scheme is http, like curl', () => {
    expect(parseUserUrl('localhost:8080/x')).toMatchObject({ secure: false, host: 'localhost', port: 8080, path: '/x' });
  });

  test('IPv6 literals: brackets in the Host header, not in the host to connect to', () => {
    const t = parseUserUrl('http://[::1]:8080/');
    expect(t.host).toBe('::1');
    expect(t.authority).toBe('[::1]:8080');
  });

  test.each(['ftp://example.com/', 'file:///etc/passwd', 'http://', 'http://exa mple.com/', ''])('%j is a usage error', (input) => {
    expect(usageCode(() => parseUserUrl(input))).toBe('USAGE');
  });
});

describe('parseHeaderOption', () => {
  test('Name: value', () => {
    expect(parseHeaderOption('X-Test:  a b ')).toEqual(['X-Test', 'a b']);
    expect(parseHeaderOption('Accept:')).toEqual(['Accept', '']);
  });

  test.each(['no colon', ': empty name', 'Bad Name: x', 'X: a\r\nInjected: yes', 'X: a\u0000b'])('%j is refused', (input) => {
    expect(usageCode(() => parseHeaderOption(input))).toBe('USAGE');
  });
});

describe('buildRequest', () => {
  test('request line, Host, defaults, user headers and Connection: close', () => {
    const text = buildRequest({
      method: 'GET',
      target: parseUserUrl('http://[::1]:8080/p?q=1'),
      headers: [['X-One', '1']],
      compressed: true,
      userAgent: 'sockkit/test',
    }).toString('latin1');
    expect(text).toBe(
      'GET /p?q=1 HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: sockkit/test\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate, br\r\nX-One: 1\r\nConnection: close\r\n\r\n',
    );
  });

  test('-H replaces a default, and an empty value removes it', () => {
    const text = buildRequest({
      method: 'HEAD',
      target: parseUserUrl('http://h/'),
      headers: [
        ['user-agent', 'custom'],
        ['Accept', ''],
      ],
      compressed: false,
      userAgent: 'sockkit/test',
    }).toString('latin1');
    expect(text).toMatch(/^HEAD \/ HTTP\/1.1\r\n/);
    expect(text).toMatch(/\r\nuser-agent: custom\r\n/);
    expect(text).not.toMatch(/User-Agent: sockkit/);
    expect(text).not.toMatch(/Accept:/);
  });

  test('credentials in the URL become Basic authorization', () => {
    const text = buildRequest({ method: 'GET', target: parseUserUrl('http://user:p%40ss@h/'), headers: [], compressed: false, userAgent: 'x' }).toString();
    expect(text).toMatch(`Authorization: Basic ${Buffer.from('user:p@ss').toString('base64')}\r\n`);
    expect(displayUrl(parseUserUrl('http://user:pw@h/').url)).toBe('http://***:***@h/');
  });
});

describe('nextRequest (redirect policy)', () => {
  const start: RedirectStep = {
    method: 'GET',
    target: parseUserUrl('http://a.example:8080/dir/page?x=1'),
    headers: [
      ['Authorization', 'Bearer secret'],
      ['Cookie', 'id=1'],
      ['X-Keep', 'yes'],
    ],
  };

  test('relative and absolute Locations', () => {
    expect(nextRequest(start, 302, '../other').target.url.href).toBe('http://a.example:8080/other');
    expect(nextRequest(start, 302, '/root').target.url.href).toBe('http://a.example:8080/root');
    expect(nextRequest(start, 301, 'https://b.example/x#f').target.url.href).toBe('https://b.example/x');
  });

  test('same origin keeps credentials; another host (or port, or scheme) drops them', () => {
    expect(nextRequest(start, 302, '/x').headers.map(([n]) => n)).toEqual(['Authorization', 'Cookie', 'X-Keep']);
    for (const elsewhere of ['http://b.example:8080/', 'http://a.example:9090/', 'https://a.example:8080/']) {
      expect(nextRequest(start, 302, elsewhere).headers.map(([n]) => n)).toEqual(['X-Keep']);
    }
  });

  test('URL credentials are not carried to another host', () => {
    const withUser: RedirectStep = { ...start, target: parseUserUrl('http://u:p@a.example/') };
    expect(nextRequest(withUser, 302, '/same').target.url.username).toBe('u');
    expect(nextRequest(withUser, 302, 'http://other.example/').target.url.username).toBe('');
  });

  test('303 turns GET into GET and keeps HEAD; 307/308 keep the method', () => {
    const head: RedirectStep = { ...start, method: 'HEAD' };
    expect(nextRequest(head, 303, '/x').method).toBe('HEAD');
    expect(nextRequest(start, 303, '/x').method).toBe('GET');
    expect(nextRequest(head, 307, '/x').method).toBe('HEAD');
    expect(nextRequest(head, 308, '/x').method).toBe('HEAD');
  });

  test.each(['file:///etc/passwd', 'ftp://a.example/', 'javascript:alert(1)', 'http://'])('%j is refused with a protocol error', (location) => {
    expect(usageCode(() => nextRequest(start, 302, location))).toBe('PROTOCOL');
  });
});

describe('requestHeaderList (HTTP/2)', () => {
  const spec = (headers: Array<[string, string]>, url = 'https://user:pw@example.com:8443/a?b=1') => ({
    method: 'GET' as const,
    target: parseUserUrl(url),
    headers,
    compressed: true,
    userAgent: 'sockkit/test',
  });

  test('pseudo-headers first, then the same fields as HTTP/1.1 in lower case', () => {
    expect(requestHeaderList(spec([['X-Custom', 'v']]))).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'example.com:8443'],
      [':path', '/a?b=1'],
      ['user-agent', 'sockkit/test'],
      ['accept', '*/*'],
      ['accept-encoding', 'gzip, deflate, br'],
      ['authorization', `Basic ${Buffer.from('user:pw').toString('base64')}`],
      ['x-custom', 'v'],
    ]);
  });

  test('-H Host names the authority; connection-specific fields are left out; TE only as trailers', () => {
    const list = requestHeaderList(spec([['Host', 'other.example'], ['Connection', 'keep-alive'], ['Upgrade', 'x'], ['TE', 'gzip'], ['Accept', '']], 'http://example.com/'));
    expect(list.slice(0, 4)).toEqual([[':method', 'GET'], [':scheme', 'http'], [':authority', 'other.example'], [':path', '/']]);
    const names = list.map(([n]) => n);
    for (const gone of ['host', 'connection', 'upgrade', 'te', 'accept']) expect(names).not.toContain(gone);
    expect(requestHeaderList(spec([['TE', 'trailers']]))).toContainEqual(['te', 'trailers']);
  });
});
