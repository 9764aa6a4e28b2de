// e2e and interop tests run the real bundle: build it once before any test.
import { execFileSync } from 'node:child_process';

export default function globalSetup() {
  execFileSync(process.execPath, ['esbuild.config.mjs'], { stdio: 'inherit' });
}
