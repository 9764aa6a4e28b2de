import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { canonicalNameFromHosts, parseHostsFile } from '../../src/net/host/hosts-file.js';

const FIXTURE = readFileSync(new URL('../fixtures/lookup/hosts', import.meta.url), 'utf8');

describe('parseHostsFile', () => {
  const entries = parseHostsFile(FIXTURE);

  test('keeps address, canonical name and aliases; drops comments, blank and garbage lines', () => {
    expect(entries).toEqual([
      { address: '127.0.0.1', canonical: 'localhost', aliases: [] },
      { address: '127.0.1.1', canonical: 'box.example.org', aliases: ['box'] },
      { address: '::1', canonical: 'localhost', aliases: ['ip6-localhost', 'ip6-loopback'] },
      { address: 'fe80::1%eth0', canonical: 'linklocal-host', aliases: [] },
      { address: '198.51.100.8', canonical: 'BOX', aliases: [] },
      { address: '198.51.100.9', canonical: 'Mixed.Example.Net', aliases: ['mixed'] },
    ]);
  });

  test('CRLF line ends parse like LF', () => {
    expect(parseHostsFile('127.0.0.1 a b\r\n::1 c\r\n')).toEqual([
      { address: '127.0.0.1', canonical: 'a', aliases: ['b'] },
      { address: '::1', canonical: 'c', aliases: [] },
    ]);
  });

  test('never throws, and every entry it returns has an address and a name', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        for (const e of parseHostsFile(text)) {
          expect(e.address.length).toBeGreaterThan(0);
          expect(e.canonical).not.toMatch(/[\s#]/);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('lines built from random names round-trip', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
    fc.assert(
      fc.property(fc.ipV4(), fc.array(label, { minLength: 1, maxLength: 4 }), (address, names) => {
        expect(parseHostsFile(`${address}\t${names.join(' ')} # note\n`)).toEqual([
          { address, canonical: names[0], aliases: names.slice(1) },
        ]);
      }),
    );
  });
});

describe('canonicalNameFromHosts', () => {
  const entries = parseHostsFile(FIXTURE);

  test('an alias gives the first name of its line (what hostname -f prints)', () => {
    expect(canonicalNameFromHosts(entries, 'box')?.canonical).toBe('box.example.org');
  });

  test('matching is case-insensitive and the first line wins', () => {
    expect(canonicalNameFromHosts(entries, 'BOX')?.address).toBe('127.0.1.1');
    expect(canonicalNameFromHosts(entries, 'MIXED')?.canonical).toBe('Mixed.Example.Net');
  });

  test('a trailing dot is ignored', () => {
    expect(canonicalNameFromHosts(entries, 'box.example.org.')?.canonical).toBe('box.example.org');
  });

  test('an unlisted name is undefined', () => {
    expect(canonicalNameFromHosts(entries, 'elsewhere')).toBeUndefined();
    expect(canonicalNameFromHosts(entries, 'garbage-line')).toBeUndefined();
  });
});
