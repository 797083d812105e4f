#!/usr/bin/env bash
# Runs its arguments inside a private OS keychain: a throwaway HOME, a private D-Bus session and a
# gnome-keyring-daemon unlocked with a dummy password. Used by tests, the demo and the benchmarks so
# they never touch the real keychain. Exits with the command's status.
#
#   bash scripts/with-keychain.sh npx vitest run
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

# Nested use (e.g. `npm test` calling a script that wraps itself again): reuse the outer session.
if [ "${BREAKGLASS_KEYCHAIN_READY:-}" = "1" ]; then
  exec "$@"
fi

for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "with-keychain: '$tool' not found; install dbus and gnome-keyring (and libsecret-1)" >&2
    exit 5
  fi
done

# Keep the real npm cache usable once HOME moves.
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"

session_dir="$(mktemp -d "${TMPDIR:-/tmp}/breakglass-keychain.XXXXXXXX")"
trap 'rm -rf -- "$session_dir"' EXIT
mkdir -m 0700 "$session_dir/home" "$session_dir/runtime"

export HOME="$session_dir/home"
export XDG_RUNTIME_DIR="$session_dir/runtime"
export BREAKGLASS_KEYCHAIN_READY=1
# A desktop's display would let libsecret pop up unlock prompts; this session never needs one.
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL

# Not exec: the trap above must run when the session ends.
status=0
dbus-run-session -- bash -c '
  eval "$(printf pw | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  exec "$@"
' bash "$@" || status=$?
exit "$status"
