// The one exit-code table of the whole tool (also in the README and `sockkit --help`).
import type { ErrorCode } from './net/shared/errors.js';

export const ExitCode = {
  OK: 0,
  UNEXPECTED: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  UNREACHABLE: 4,
  TIMEOUT: 5,
  TLS: 6,
  PROTOCOL: 7,
  ADDRESS_UNAVAILABLE: 8,
  INTERRUPTED: 130,
} as const satisfies Record<ErrorCode | 'OK', number>;

export type ExitStatus = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeFor(code: ErrorCode): ExitStatus {
  return ExitCode[code];
}

/** With several results (e.g. several names), the exit status is the worst one. */
export function worstExitCode(codes: Iterable<number>): number {
  let worst = 0;
  for (const c of codes) if (severity(c) > severity(worst)) worst = c;
  return worst;
}

// 0 is best; 1 (unexpected) outranks the specific failures so it is never hidden.
function severity(code: number): number {
  if (code === 0) return 0;
  if (code === 130) return 100;
  if (code === 1) return 50;
  return code;
}

export const EXIT_CODE_TABLE: ReadonlyArray<readonly [number, string]> = [
  [0, 'ok'],
  [1, 'unexpected failure'],
  [2, 'usage error (bad flag, bad port, bad URL)'],
  [3, 'name not found (NXDOMAIN, unknown host, unknown service)'],
  [4, 'connection refused or unreachable'],
  [5, 'timeout'],
  [6, 'TLS / certificate failure'],
  [7, 'protocol error (malformed, forged or refused reply from the peer)'],
  [8, 'local address unavailable (in use, permission denied)'],
  [130, 'interrupted'],
];
