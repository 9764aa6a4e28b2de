#!/usr/bin/env bash
# Runs a command (the test suite) in a world with only loopback: a fresh network
# namespace (127.0.0.0/8 and ::1, nothing else), and a mount namespace in which
# /etc/resolv.conf points at 127.0.0.53, where nothing listens, so a stray system
# lookup is refused at once and never leaves the machine. Tests that need another
# resolver (silent, refusing, NSD) bind their own file over /etc/resolv.conf for one
# process (tests/helpers/sandbox.ts). Whatever the code under test does, no packet can
# reach another machine.
#
# Needs root (or unprivileged user namespaces) and unshare (util-linux) + ip (iproute2).
# Without them the command runs unsandboxed, with a loud note: the tests that need a
# controlled resolver then skip (and fail under SOCKKIT_REQUIRE_PEERS=1, as in CI).
set -uo pipefail

if [ "${SOCKKIT_SANDBOX:-}" = "1" ]; then exec "$@"; fi

here="$(cd "$(dirname "$0")" && pwd)"
resolv="$(mktemp "${TMPDIR:-/tmp}/sockkit-resolv.XXXXXX")"
trap 'rm -f "$resolv"' EXIT
printf '# sockkit test sandbox: nothing listens here, every lookup is refused at once\nnameserver 127.0.0.53\noptions timeout:1 attempts:1\n' > "$resolv"

enter() {
  # shellcheck disable=SC2016
  unshare "$@" -- bash -c '
    set -e
    ip link set lo up
    mount --make-rprivate / 2>/dev/null || true
    mount --bind "$0" /etc/resolv.conf
    export SOCKKIT_SANDBOX=1
    exec "$@"' "$resolv" "${cmd[@]}"
}

cmd=("$@")
if command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && unshare -n -m true 2>/dev/null; then
    enter -n -m
    exit $?
  fi
  if unshare -r -n -m true 2>/dev/null; then
    enter -r -n -m
    exit $?
  fi
fi

cat >&2 <<'NOTE'
************************************************************************************
sockkit: NOT SANDBOXED. unshare -n -m is not available (not root, no user namespaces,
or util-linux/iproute2 missing). The tests run against the real network configuration:
they only talk to loopback themselves, but the tests that need a controlled resolver
skip, and nothing stops a bug from sending a query off this machine. As root:
`apt-get install util-linux iproute2` and run `npm test` again.
************************************************************************************
NOTE
exec "$@"
