import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { bindConflicts, parseHexEndpoint, parseProcNetTable, TCP_LISTEN } from '../../src/net/socket/proc-net.js';
import { bindFailure, probeOutcome } from '../../src/net/socket/listen.js';
import { exitCodeFor } from '../../src/exit-codes.js';

const TCP4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 49454 1 000000007266a87f 100 0 0 10 0
   1: 0100007F:9F31 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 49462 1 00000000bce5b658 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:B08D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 59742 1 0000000082136cf8 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 59743 1 0000000082136cf8 100 0 0 10 0
   2: B80D0120000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 59744 2 0000000082136cf8 0
`;

describe('parseProcNetTable', () => {
  test('reads IPv4 rows: little-endian address words, big-endian port, state, uid, inode', () => {
    const rows = parseProcNetTable(TCP4);
    expect(rows).toEqual([
      { localAddress: '127.0.0.1', localPort: 8080, remoteAddress: '0.0.0.0', remotePort: 0, state: TCP_LISTEN, uid: 0, inode: 49454 },
      { localAddress: '127.0.0.1', localPort: 40753, remoteAddress: '127.0.0.1', remotePort: 54321, state: 1, uid: 1000, inode: 49462 },
    ]);
  });

  test('reads IPv6 rows: ::1, IPv4-mapped, and a compressed documentation address', () => {
    const rows = parseProcNetTable(TCP6);
    expect(rows.map((r) => [r.localAddress, r.localPort, r.state, r.inode])).toEqual([
      ['::1', 45197, 0x0a, 59742],
      ['::ffff:127.0.0.1', 80, 0x0a, 59743],
      ['2001:db8::1', 53, 0x07, 59744],
    ]);
  });

  test('skips the header, blank and malformed lines', () => {
    expect(parseProcNetTable('garbage\n\n   0: zz:1 00:00 0A\n')).toEqual([]);
  });

  test('never throws and never invents a port outside 0-65535, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        for (const row of parseProcNetTable(text)) {
          expect(row.localPort).toBeGreaterThanOrEqual(0);
          expect(row.localPort).toBeLessThanOrEqual(65535);
        }
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...'0123456789ABCDEF: \n'.split('')), { maxLength: 300 }), (chars) => {
        expect(() => parseProcNetTable(TCP4.slice(0, 180) + chars.join(''))).not.toThrow();
      }),
    );
  });

  test('parseHexEndpoint round-trips every IPv4 address and port', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 65535 }), (ip, port) => {
        const bytes = ip.split('.').map(Number).reverse();
        const hex = Buffer.from(bytes).toString('hex').toUpperCase();
        expect(parseHexEndpoint(`${hex}:${port.toString(16).padStart(4, '0')}`)).toEqual({ address: ip, port });
      }),
    );
    expect(parseHexEndpoint('0100007F:1F9')).toBeUndefined();
    expect(parseHexEndpoint('nothex00:1F90')).toBeUndefined();
  });
});

describe('bindFailure', () => {
  const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
  const denied = Object.assign(new Error('listen EACCES'), { code: 'EACCES' });

  test('address in use names the holding process when /proc shows it, exit 8', () => {
    const err = bindFailure(inUse, { protocol: 'tcp', address: '0.0.0.0', port: 8080 }, () => [
      { protocol: 'tcp', address: '127.0.0.1', port: 8080, pid: 4242, command: 'nginx' },
    ]);
    expect(exitCodeFor(err.code)).toBe(8);
    expect(err.message).toBe('bind tcp 0.0.0.0:8080: address already in use by nginx (pid 4242) on 127.0.0.1:8080');
  });

  test('address in use without a readable holder says so and hints at ss', () => {
    const err = bindFailure(inUse, { protocol: 'udp', address: '::1', port: 53 }, () => []);
    expect(err.why).toBe('address already in use');
    expect(err.hint).toMatch(/ss -ltnup/);
    expect(err.what).toBe('bind udp [::1]:53');
  });

  test('permission denied below the unprivileged port start explains the privilege rule, exit 8', () => {
    const err = bindFailure(denied, { protocol: 'tcp', address: '0.0.0.0', port: 80 }, () => [], () => 1024);
    expect(exitCodeFor(err.code)).toBe(8);
    expect(err.why).toBe('permission denied: ports below 1024 need privilege');
    expect(err.hint).toMatch(/CAP_NET_BIND_SERVICE/);
  });

  test('permission denied on a high port does not blame the port number', () => {
    const err = bindFailure(denied, { protocol: 'tcp', address: '0.0.0.0', port: 8080 }, () => [], () => 1024);
    expect(err.why).toBe('permission denied');
  });
});

describe('bindFailure: who is asked, and what --json gets', () => {
  test('the holder lookup is asked about the target address; the holders go beside the error', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    const asked: unknown[] = [];
    const err = bindFailure(inUse, { protocol: 'tcp', address: '127.0.0.1', port: 8080 }, (target) => {
      asked.push(target);
      return [
        { protocol: 'tcp', address: '127.0.0.1', port: 8080, pid: 10, command: 'nginx' },
        { protocol: 'tcp', address: '127.0.0.1', port: 8080, pid: 11, command: 'nginx' },
      ];
    });
    expect(asked).toEqual([{ protocol: 'tcp', address: '127.0.0.1', port: 8080 }]);
    expect(err.why).toBe('address already in use by nginx (pid 10) on 127.0.0.1:8080, nginx (pid 11) on 127.0.0.1:8080');
    expect(err.measured).toEqual({
      protocol: 'tcp',
      address: '127.0.0.1',
      port: 8080,
      holders: [
        { address: '127.0.0.1', port: 8080, pid: 10, command: 'nginx' },
        { address: '127.0.0.1', port: 8080, pid: 11, command: 'nginx' },
      ],
    });
  });
});

describe('bind --range: what a refused probe says about the port', () => {
  test.each([
    ['EADDRINUSE', 'in use'],
    ['EACCES', 'needs privilege'],
    ['EPERM', 'needs privilege'],
    ['EADDRNOTAVAIL', undefined],
  ])('%s → %s', (code, outcome) => {
    expect(probeOutcome(Object.assign(new Error(code), { code }))).toBe(outcome);
  });
});

describe('bindConflicts: does a socket on `held` block a bind of `wanted` on the same port?', () => {
  test.each([
    // same family
    ['127.0.0.1', '127.0.0.1', true],
    ['127.0.0.1', '127.0.0.2', false],
    ['127.0.0.1', '0.0.0.0', true],
    ['0.0.0.0', '127.0.0.1', true],
    ['::1', '::1', true],
    ['::1', '::', true],
    ['::', '::1', true],
    ['::1', '2001:db8::1', false],
    ['0:0:0:0:0:0:0:1', '::1', true],
    // across families: only the dual-stack wildcard, and IPv4-mapped addresses
    ['127.0.0.1', '::1', false],
    ['::1', '127.0.0.1', false],
    ['::1', '0.0.0.0', false],
    ['127.0.0.1', '::', true],
    ['0.0.0.0', '::', true],
    ['::', '127.0.0.1', true],
    ['::', '0.0.0.0', true],
    ['127.0.0.1', '::ffff:127.0.0.1', true],
    ['127.0.0.2', '::ffff:127.0.0.1', false],
    ['::ffff:127.0.0.1', '0.0.0.0', true],
  ])('wanted %s, held %s → %s', (wanted, held, conflicts) => {
    expect(bindConflicts(wanted, held)).toBe(conflicts);
  });
});
