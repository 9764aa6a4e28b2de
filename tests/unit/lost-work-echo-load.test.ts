// loadFailure(): the work a load run lost, as one error with the worst exit status.
import { describe, expect, test } from '@jest/globals';
import { loadFailure, type LoadResult } from '../../src/net/echo/load.js';

function result(overrides: Partial<LoadResult>): LoadResult {
  return {
    concurrency: 10,
    size: 64,
    durationMs: 1000,
    connectionsOpened: 10,
    connectionsFailed: 0,
    connectFailures: {},
    connectionsDropped: 0,
    dropCauses: {},
    connectionsTimedOut: 0,
    messages: 5000,
    mismatches: 0,
    bytesSent: 320000,
    bytesReceived: 320000,
    messagesPerSecond: 5000,
    sentMBps: 0.32,
    receivedMBps: 0.32,
    rtt: { count: 5000, minMs: 0.1, meanMs: 0.2, p50Ms: 0.2, p90Ms: 0.3, p99Ms: 0.5, p999Ms: 1, maxMs: 2 },
    ...overrides,
  };
}

describe('loadFailure', () => {
  test('nothing lost: no error', () => {
    expect(loadFailure(result({}), '127.0.0.1:7', 5000)).toBeUndefined();
  });

  test('refused connections: UNREACHABLE (4), with the counts', () => {
    const err = loadFailure(result({ connectionsOpened: 7, connectionsFailed: 3, connectFailures: { ECONNREFUSED: 3 } }), '127.0.0.1:7', 5000)!;
    expect(err.code).toBe('UNREACHABLE');
    expect(err.message).toBe('load on TCP 127.0.0.1:7: 3 of 10 connections failed to open (ECONNREFUSED ×3); 5000 messages echoed');
  });

  test('only connect timeouts: TIMEOUT (5)', () => {
    expect(loadFailure(result({ connectionsOpened: 0, connectionsFailed: 10, connectFailures: { ETIMEDOUT: 10 } }), 'h:1', 5000)!.code).toBe('TIMEOUT');
  });

  test('last echoes not back in time: TIMEOUT (5)', () => {
    const err = loadFailure(result({ connectionsTimedOut: 2 }), 'h:1', 1500)!;
    expect(err.code).toBe('TIMEOUT');
    expect(err.why).toMatch(/2 of 10 connections cut: their last echo was not back 1\.5 s after the run/);
  });

  test('connections ended by the server, or mismatches: PROTOCOL (7), which outranks the rest', () => {
    const err = loadFailure(
      result({ connectionsFailed: 1, connectFailures: { ECONNREFUSED: 1 }, connectionsDropped: 4, dropCauses: { FIN: 3, ECONNRESET: 1 }, connectionsTimedOut: 1 }),
      'h:1',
      5000,
    )!;
    expect(err.code).toBe('PROTOCOL');
    expect(err.why).toMatch(/1 of 10 connections failed to open \(ECONNREFUSED ×1\); 4 of 10 connections ended by the server before the run did \(closed \(FIN\) ×3, ECONNRESET ×1\); 1 of 10 connections cut/);
    expect(loadFailure(result({ mismatches: 1 }), 'h:1', 5000)!.why).toMatch(/1 echo differs from what was sent/);
  });
});
