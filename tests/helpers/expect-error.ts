// Asserting on the core's typed errors.
import { expect } from '@jest/globals';
import { SockkitError, type ErrorCode } from '../../src/net/shared/errors.js';

/** Runs `fn`, expects it to throw a SockkitError with `code`, and returns it. */
export function expectSockkitError(fn: () => unknown, code: ErrorCode = 'USAGE'): SockkitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SockkitError);
    expect((err as SockkitError).code).toBe(code);
    return err as SockkitError;
  }
  throw new Error(`expected a ${code} error`);
}
