// Real peers (nsd, chronyd, nginx, socat, ncat...) are installed by
// scripts/install-peers.sh. Run by hand without them, an interop suite skips
// loudly; with SOCKKIT_REQUIRE_PEERS=1 (CI) a missing peer fails the run.
import { describe, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';

export function hasBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `describe` when every binary is present; otherwise skip loudly, or fail when peers are required. */
export function describeWithPeers(title: string, binaries: string[], body: () => void): void {
  const missing = binaries.filter((b) => !hasBinary(b));
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const message = `PEERS MISSING for "${title}": ${missing.join(', ')} — run: npm run peers`;
  if (process.env.SOCKKIT_REQUIRE_PEERS === '1') {
    describe(title, () => {
      test('peers are installed', () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`\n*** ${message} — SKIPPING this interop suite ***\n`);
  describe.skip(title, body);
}
