// curl's --resolve and --connect-to: parsing as curl reads them, and which entry a
// request to host:port uses.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { connectRoute, parseConnectTo, parseResolve, type Pins } from '../../src/net/http/pinning.js';

describe('--resolve', () => {
  test('HOST:PORT:ADDR[,ADDR…], IPv6 bracketed or not, * for any host or port, a leading + accepted', () => {
    expect(parseResolve('example.com:443:127.0.0.1')).toEqual({ host: 'example.com', port: 443, addresses: ['127.0.0.1'] });
    expect(parseResolve('example.com:443:[::1],127.0.0.2')).toEqual({ host: 'example.com', port: 443, addresses: ['::1', '127.0.0.2'] });
    expect(parseResolve('*:*:::1')).toEqual({ host: '*', port: '*', addresses: ['::1'] });
    expect(parseResolve('+[::1]:80:127.0.0.1')).toEqual({ host: '::1', port: 80, addresses: ['127.0.0.1'] });
  });

  test.each([
    ['example.com:443', /too few fields/],
    ['example.com:http:127.0.0.1', /port 'http' is not from 1 to 65535/],
    ['example.com:0:127.0.0.1', /port '0'/],
    ['example.com:443:', /no address/],
    ['example.com:443:localhost', /'localhost' is not an IP address/],
    ['-example.com:443', /removing an entry/],
  ])('%s is refused: %s', (entry, why) => {
    expect(() => parseResolve(entry)).toThrow(why);
  });

  test('property: any host, port and addresses written as curl writes them parse back', () => {
    const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
    const host = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z]{2,6})?$/);
    fc.assert(
      fc.property(host, fc.integer({ min: 1, max: 65535 }), fc.array(v4, { minLength: 1, maxLength: 4 }), (h, port, addresses) => {
        expect(parseResolve(`${h}:${port}:${addresses.join(',')}`)).toEqual({ host: h, port, addresses });
      }),
    );
  });
});

describe('--connect-to', () => {
  test('four fields; empty ones match any / keep the URL’s; IPv6 bracketed', () => {
    expect(parseConnectTo('example.com:443:127.0.0.1:8443')).toEqual({ host: 'example.com', port: 443, toHost: '127.0.0.1', toPort: 8443 });
    expect(parseConnectTo('::[::1]:')).toEqual({ host: '', port: null, toHost: '::1', toPort: null });
    expect(() => parseConnectTo('a:1:b')).toThrow(/too few fields/);
    expect(() => parseConnectTo('a:1:b:2:3')).toThrow(/more than four fields/);
    expect(() => parseConnectTo('a:1:[nothost]:2')).toThrow(/not a bracketed IPv6 address/);
  });
});

describe('connectRoute', () => {
  const pins = (resolve: string[], connectTo: string[] = []): Pins => ({ resolve: resolve.map(parseResolve), connectTo: connectTo.map(parseConnectTo) });

  test('--resolve matches host (case-insensitive) and port; the first match wins; others are looked up', () => {
    const p = pins(['Example.COM:443:127.0.0.1', 'example.com:443:127.0.0.9', '*:80:127.0.0.2']);
    expect(connectRoute('example.com', 443, p)).toMatchObject({ host: 'example.com', port: 443, addresses: ['127.0.0.1'] });
    expect(connectRoute('other.test', 80, p)).toMatchObject({ addresses: ['127.0.0.2'] });
    expect(connectRoute('example.com', 8443, p).addresses).toBeUndefined();
  });

  test('--connect-to moves the connection first; --resolve then applies to where it goes', () => {
    const p = pins(['backend.test:8443:127.0.0.5'], ['example.com:443:backend.test:8443', ':80::8080']);
    expect(connectRoute('example.com', 443, p)).toMatchObject({ host: 'backend.test', port: 8443, addresses: ['127.0.0.5'] });
    expect(connectRoute('anything.test', 80, p)).toMatchObject({ host: 'anything.test', port: 8080 });
    expect(connectRoute('anything.test', 80, p).addresses).toBeUndefined();
    expect(connectRoute('example.com', 443, p).notes).toEqual(['--connect-to example.com:443 → backend.test:8443', '--resolve backend.test:8443 → 127.0.0.5']);
  });
});
