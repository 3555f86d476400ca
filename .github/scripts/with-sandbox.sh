#!/usr/bin/env bash
# Runs a command against a sandbox started on this host: the BSA_LMS_* settings it
# exports make the quickstarts use that sandbox (also from a container on the host's
# network) instead of starting their own.
#   with-sandbox.sh <sandbox binary> <command> [args...]
set -euo pipefail
binary=$1
shift
log=$(mktemp)
"$binary" --port 0 >"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  url=$(sed -n 's/^BSA_LMS_SANDBOX_URL=//p' "$log")
  [ -n "$url" ] && break
  sleep 0.2
done
[ -n "$url" ] || { echo "the sandbox printed no URL"; cat "$log"; exit 1; }
export BSA_LMS_BASE_URL=$url BSA_LMS_AUTH_URL=$url
export BSA_LMS_EMAIL=ada@example.com BSA_LMS_PASSWORD=correct-horse-battery-staple
"$@"
