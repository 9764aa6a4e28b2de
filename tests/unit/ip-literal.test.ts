// ipFamily must answer exactly as Node's net.isIP: node:tls takes it for its own
// servername and certificate-name checks (useFastIsIP), where a different answer would
// match a host name against IP SANs or the other way round.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import * as net from 'node:net';
import { ipFamily, isIPv4Literal, isIPv6Literal, useFastIsIP } from '../../src/net/shared/ip-literal.js';

const nodeIsIP = net.isIP;

const hexGroup = fc.integer({ min: 0, max: 0xffff }).chain((n) =>
  fc.constantFrom(n.toString(16), n.toString(16).toUpperCase(), n.toString(16).padStart(4, '0')),
);
const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));

/** Eight groups (the last two sometimes as IPv4), a run of them sometimes written `::`, sometimes a zone. */
const v6 = fc
  .record({
    groups: fc.array(hexGroup, { minLength: 8, maxLength: 8 }),
    v4Tail: fc.option(v4),
    run: fc.option(fc.tuple(fc.nat(8), fc.nat(8))),
    zone: fc.option(fc.stringMatching(/^[0-9a-zA-Z.:%-]{0,6}$/)),
  })
  .map(({ groups, v4Tail, run, zone }) => {
    const parts: string[] = v4Tail ? [...groups.slice(0, 6), v4Tail] : groups;
    let text = parts.join(':');
    if (run) {
      const [a, b] = run[0] <= run[1] ? run : [run[1], run[0]];
      const end = Math.min(b, parts.length);
      text = `${parts.slice(0, a).join(':')}::${parts.slice(end).join(':')}`;
    }
    return zone === null ? text : `${text}%${zone}`;
  });

/** A valid literal with one character inserted, removed or replaced. */
const nearMiss = fc
  .tuple(fc.oneof(v4, v6), fc.nat(), fc.constantFrom('', ':', '.', '0', 'f', 'g', '%', ' ', '::', '256', '00'), fc.constantFrom('insert', 'replace'))
  .map(([text, at, c, how]) => {
    const i = at % (text.length + 1);
    return text.slice(0, i) + c + text.slice(how === 'replace' ? i + 1 : i);
  });

const noise = fc.stringMatching(/^[0-9a-fA-F:.%gz -]{0,42}$/);

describe('ipFamily answers as net.isIP', () => {
  test.each([
    '', 'localhost', 'example.com', '127.0.0.1', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1.2.3.4 ',
    '::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7::8', '1:2:3:4:5:6:7:8:9', '1::2::3',
    ':::', '1:::2', ':1::2', '1::2:', '::ffff:192.0.2.1', '::192.0.2.1', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '1.2.3.4::',
    'fe80::1%eth0', 'fe80::1%', 'fe80::1%%', 'fe80::1%a%b', 'fe80::1%a:b.c-d', '12345::', 'g::1', '[::1]', ' ::1', '::1 ', '::01.2.3.4',
  ])('%p', (text) => expect(ipFamily(text)).toBe(nodeIsIP(text)));

  test('generated IPv4 and IPv6 literals', () => {
    fc.assert(fc.property(fc.oneof(v4, v6), (text) => ipFamily(text) === nodeIsIP(text)), { numRuns: 5000 });
  });

  test('near misses of them', () => {
    fc.assert(fc.property(nearMiss, (text) => ipFamily(text) === nodeIsIP(text)), { numRuns: 5000 });
  });

  test('strings of the characters literals are made of', () => {
    fc.assert(fc.property(noise, (text) => ipFamily(text) === nodeIsIP(text)), { numRuns: 5000 });
  });

  test('the family checks agree with net.isIPv4 and net.isIPv6', () => {
    fc.assert(
      fc.property(fc.oneof(v4, v6, nearMiss), (text) => isIPv4Literal(text) === net.isIPv4(text) && isIPv6Literal(text) === net.isIPv6(text)),
      { numRuns: 2000 },
    );
  });

  test('a value that is not a string is no address', () => {
    expect(ipFamily(undefined as unknown as string)).toBe(0);
    expect(ipFamily(4 as unknown as string)).toBe(nodeIsIP(4 as unknown as string));
  });
});

describe('useFastIsIP', () => {
  test('puts ipFamily on node:net, where node:tls looks it up', () => {
    const before = net.isIP;
    useFastIsIP();
    const after = (process as unknown as { getBuiltinModule(id: string): typeof net }).getBuiltinModule('node:net').isIP;
    expect(after).toBe(ipFamily);
    expect(before).not.toBe(ipFamily);
  });
});
