import { describe, expect, test } from '@jest/globals';
import { formatHostPort, parseHostPort, parsePort, parsePortRange, validateHostName } from '../../src/net/shared/address.js';
import { expectSockkitError } from '../helpers/expect-error.js';

describe('parsePort', () => {
  test.each([
    ['0', 0],
    ['80', 80],
    [' 65535 ', 65535],
  ])('%s → %d', (input, port) => expect(parsePort(input)).toBe(port));

  test.each(['-1', '65536', '99999', 'http', '', '1e3', '0x50', '8080x'])('rejects %p', (input) => {
    expectSockkitError(() => parsePort(input));
  });

  test('0 can be refused where a real port is needed', () => {
    expectSockkitError(() => parsePort('0', 'port', false));
  });
});

describe('parsePortRange', () => {
  test('inclusive range', () => expect(parsePortRange('8000-8100')).toEqual({ first: 8000, last: 8100 }));
  test.each(['8100-8000', '1-70000', '80', 'a-b'])('rejects %p', (input) => {
    expectSockkitError(() => parsePortRange(input));
  });
});

describe('parseHostPort', () => {
  test.each([
    ['example.test', { host: 'example.test', port: 53 }],
    ['127.0.0.1:5353', { host: '127.0.0.1', port: 5353 }],
    ['::1', { host: '::1', port: 53 }],
    ['[::1]', { host: '::1', port: 53 }],
    ['[2001:db8::1]:8053', { host: '2001:db8::1', port: 8053 }],
  ])('%s', (input, expected) => expect(parseHostPort(input, 53)).toEqual(expected));

  test.each(['', '[127.0.0.1]:53', '127.0.0.1:99999', 'fe80::1::2:53', 'host:'])('rejects %p', (input) => {
    expectSockkitError(() => parseHostPort(input, 53));
  });
});

describe('validateHostName', () => {
  test('a 63-character label is fine, 64 is not', () => {
    expect(validateHostName(`${'a'.repeat(63)}.test`)).toBe(`${'a'.repeat(63)}.test`);
    expect(expectSockkitError(() => validateHostName(`${'a'.repeat(64)}.test`)).why).toMatch(/63/);
  });
  test('300 characters is too long', () => {
    expect(expectSockkitError(() => validateHostName('abcdefghij.'.repeat(28))).why).toMatch(/253/);
  });
  test('empty labels and spaces are refused', () => {
    expectSockkitError(() => validateHostName('a..b'));
    expectSockkitError(() => validateHostName('a b'));
    expectSockkitError(() => validateHostName(''));
  });
});

test('formatHostPort brackets IPv6', () => {
  expect(formatHostPort('::1', 80)).toBe('[::1]:80');
  expect(formatHostPort('127.0.0.1', 80)).toBe('127.0.0.1:80');
});
