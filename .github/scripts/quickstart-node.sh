#!/bin/sh
# Installs the main npm package and one platform package from their tarballs into an
# empty project and runs the repository's quickstart with them.
#   quickstart-node.sh <tarball dir> <platform, e.g. linux-x64-musl>
set -eu
# pwd -W: the Windows spelling of a path under Git Bash, which Windows programs need.
tarballs=$(cd "$1" && { pwd -W 2>/dev/null || pwd; })
example=$({ pwd -W 2>/dev/null || pwd; })/examples/quickstart.mjs
project=$(mktemp -d)
cd "$project"
npm init -y >/dev/null
npm install --no-audit --no-fund "$tarballs"/bsa-lms-[0-9]*.tgz "$tarballs/bsa-lms-$2-"*.tgz
sed "s#'../bindings/node/index.mjs'#'bsa-lms'#" "$example" >quickstart.mjs
node quickstart.mjs
