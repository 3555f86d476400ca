#!/bin/sh
# Installs bsa-lms from the wheels in a directory (no index, so nothing is built) and
# runs the repository's quickstart with it, outside the source tree.
#   quickstart-python.sh <wheel dir>
set -eu
# pwd -W: the Windows spelling of a path under Git Bash, which Windows programs need.
wheels=$(cd "$1" && { pwd -W 2>/dev/null || pwd; })
example=$({ pwd -W 2>/dev/null || pwd; })/examples/quickstart.py
python -m pip install --disable-pip-version-check --no-index --find-links "$wheels" bsa-lms
cd "${RUNNER_TEMP:-/tmp}"
python "$example"
