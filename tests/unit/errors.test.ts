import { describe, expect, test } from '@jest/globals';
import { SockkitError, timeoutError, toSockkitError } from '../../src/net/shared/errors.js';
import { exitCodeFor, worstExitCode } from '../../src/exit-codes.js';
import { formatError } from '../../src/output/errors.js';

describe('system errors map to the exit-code table', () => {
  test.each([
    ['ECONNREFUSED', 4],
    ['ECONNRESET', 4],
    ['ETIMEDOUT', 5],
    ['ENOTFOUND', 3],
    ['EADDRINUSE', 8],
    ['EACCES', 8],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 6],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 6],
    ['EWHATEVER', 1],
  ])('%s → exit %d', (errno, exit) => {
    const err = Object.assign(new Error('boom'), { code: errno });
    expect(exitCodeFor(toSockkitError(err, 'connect').code)).toBe(exit);
  });

  test('a SockkitError passes through unchanged', () => {
    const original = new SockkitError('PROTOCOL', 'read reply', 'bad mode');
    expect(toSockkitError(original, 'x')).toBe(original);
  });
});

test('worst exit code wins, unexpected failures are never hidden', () => {
  expect(worstExitCode([0, 3, 0])).toBe(3);
  expect(worstExitCode([3, 5])).toBe(5);
  expect(worstExitCode([7, 1])).toBe(1);
  expect(worstExitCode([])).toBe(0);
});

test('errors format on one line with a hint', () => {
  const err = new SockkitError('TIMEOUT', 'query 127.0.0.1:53\n', 'timed out\nafter 2 s', 'raise --timeout');
  expect(formatError('sockkit resolve', err)).toBe('sockkit resolve: query 127.0.0.1:53: timed out after 2 s (raise --timeout)');
});

test('timeouts are stated in seconds without a dangling dot', () => {
  expect(timeoutError('query', 999.99).why).toBe('timed out after 1 s');
  expect(timeoutError('query', 1500).why).toBe('timed out after 1.5 s');
  expect(timeoutError('query', 250).why).toBe('timed out after 0.25 s');
});
