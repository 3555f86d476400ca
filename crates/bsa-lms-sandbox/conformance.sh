#!/usr/bin/env bash
# Conformance of the sandbox to openapi.json, checked with schemathesis.
#
#   conformance.sh VENV_BIN SANDBOX_BINARY [OPENAPI_JSON]
#
# VENV_BIN is the bin directory of a Python venv with schemathesis 4.32.5 installed
# (python3 -m venv /tmp/st && /tmp/st/bin/pip install schemathesis==4.32.5). The sandbox starts on
# a free port with --exit-with-stdin, so it dies with this script. Bounded by
# BSA_LMS_CONFORMANCE_EXAMPLES (default 25 examples per operation; about 20 s on 2 cores) and a
# hard stop after BSA_LMS_CONFORMANCE_MAX_TIME seconds (default 600; schemathesis' own
# --max-time is a budget it always spends in full, so `timeout` bounds the run instead).
# BSA_LMS_CONFORMANCE_EXTRA adds schemathesis options (e.g. "--checks all").
# Exits with schemathesis' status (124 on the hard stop).
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 VENV_BIN SANDBOX_BINARY [OPENAPI_JSON]" >&2
    exit 2
fi
venv_bin=$1
sandbox=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
spec=${3:-$here/../../openapi.json}
examples=${BSA_LMS_CONFORMANCE_EXAMPLES:-25}
max_time=${BSA_LMS_CONFORMANCE_MAX_TIME:-600}

for tool in "$venv_bin/python" "$venv_bin/schemathesis" "$sandbox" "$spec"; do
    [[ -e $tool ]] || { echo "conformance: missing $tool" >&2; exit 2; }
done

work=$(mktemp -d)
sandbox_pid=
cleanup() {
    exec 3>&- 2>/dev/null || true
    if [[ -n $sandbox_pid ]]; then
        kill "$sandbox_pid" 2>/dev/null || true
        wait "$sandbox_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# The sandbox reads stdin from a fifo this script holds open: when the script ends, however it
# ends, the fifo closes and the sandbox exits.
mkfifo "$work/stdin"
"$sandbox" --host 127.0.0.1 --port 0 --exit-with-stdin <"$work/stdin" >"$work/stdout" 2>"$work/stderr" &
sandbox_pid=$!
exec 3>"$work/stdin"

url=
for _ in $(seq 100); do
    url=$(sed -n 's/^BSA_LMS_SANDBOX_URL=//p' "$work/stdout")
    [[ -n $url ]] && break
    sleep 0.1
done
if [[ -z $url ]]; then
    echo "conformance: the sandbox did not start" >&2
    cat "$work/stderr" >&2
    exit 1
fi

export BSA_LMS_EMAIL=ada@example.com
export BSA_LMS_PASSWORD=correct-horse-battery-staple
BSA_LMS_TOKEN=$("$venv_bin/python" - "$url" <<'PY'
import base64, json, os, sys, urllib.request
request = urllib.request.Request(sys.argv[1] + "/v1/auth/token")
secret = f"{os.environ['BSA_LMS_EMAIL']}:{os.environ['BSA_LMS_PASSWORD']}".encode()
request.add_header("Authorization", "Basic " + base64.b64encode(secret).decode())
print(json.load(urllib.request.urlopen(request, timeout=10))["token"])
PY
)
export BSA_LMS_TOKEN

echo "conformance: schemathesis against $url ($examples examples per operation, at most ${max_time}s)"
# BSA_LMS_CONFORMANCE_EXTRA is split into words on purpose.
# shellcheck disable=SC2086
timeout "$max_time" "$venv_bin/schemathesis" --config-file "$here/conformance/schemathesis.toml" \
    run "$spec" --url "$url" --max-examples "$examples" --seed 1 --workers 2 ${BSA_LMS_CONFORMANCE_EXTRA:-}
