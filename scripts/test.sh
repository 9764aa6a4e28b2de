#!/usr/bin/env bash
# The README's test command, run by `npm test` inside scripts/sandbox.sh: type check,
# then jest (ESM mode) with any arguments given (`npm test -- tests/unit`).
set -euo pipefail
cd "$(dirname "$0")/.."
node_modules/.bin/tsc --noEmit
exec node --experimental-vm-modules --disable-warning=ExperimentalWarning node_modules/jest/bin/jest.js "$@"
