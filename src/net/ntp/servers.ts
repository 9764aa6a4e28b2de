// Several NTP servers at once: queried concurrently, every outcome kept (one server's
// failure never hides another's answer), and the best answer picked.
import { toSockkitError, type SockkitError } from '../shared/errors.js';
import { NtpKissOfDeathError, queryNtpServer, type NtpQueryOptions, type NtpServerReport } from './client.js';
import { rootDistanceMs } from './measure.js';
import { tracing } from '../shared/trace.js';

export interface NtpTarget {
  /** The server as the user typed it (the name shown in results). */
  name: string;
  host: string;
  port: number;
}

export type NtpOutcome =
  | { server: string; port: number; report: NtpServerReport }
  | { server: string; port: number; error: SockkitError };

export type NtpStatus = 'ok' | 'unsynchronised' | 'kissOfDeath' | 'timeout' | 'error';

export async function queryNtpServers(targets: readonly NtpTarget[], options: Omit<NtpQueryOptions, 'server' | 'port'>): Promise<NtpOutcome[]> {
  const { trace } = options;
  return Promise.all(
    targets.map(async (t): Promise<NtpOutcome> => {
      try {
        const report = await queryNtpServer({
          ...options,
          server: t.host,
          port: t.port,
          // With several servers interleaving, each trace line says whose it is.
          trace: tracing(trace) && targets.length > 1 ? (step, detail) => trace(step, `${t.name}: ${detail}`) : trace,
        });
        return { server: t.name, port: t.port, report };
      } catch (err) {
        return { server: t.name, port: t.port, error: toSockkitError(err, `query ${t.name}`) };
      }
    }),
  );
}

export function statusOf(outcome: NtpOutcome): NtpStatus {
  if ('report' in outcome) return outcome.report.status;
  if (outcome.error instanceof NtpKissOfDeathError) return 'kissOfDeath';
  return outcome.error.code === 'TIMEOUT' ? 'timeout' : 'error';
}

/** The best server: the synchronised one with the lowest root distance (RFC 5905 §A.5.5.2). */
export function bestOutcome(outcomes: readonly NtpOutcome[]): NtpOutcome | undefined {
  let best: { outcome: NtpOutcome; distance: number } | undefined;
  for (const outcome of outcomes) {
    if (!('report' in outcome) || outcome.report.status !== 'ok') continue;
    const distance = rootDistanceMs(outcome.report.packet, outcome.report.delayMs);
    if (!best || distance < best.distance) best = { outcome, distance };
  }
  return best?.outcome;
}
