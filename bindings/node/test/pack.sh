#!/usr/bin/env bash
# Installs the two packed tarballs (the main package and the linux-x64-gnu package) into
# an empty project, with no compiler and no repository on the module path, and runs them
# against the sandbox from CJS, ESM, TypeScript and the quickstart.
#   test/pack.sh <dist dir>
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
dist=$(cd "$1" && pwd)
version=$(node -p 'require("./package.json").version')
main=$dist/bsa-lms-$version.tgz
platform=$dist/bsa-lms-linux-x64-gnu-$version.tgz
sandbox_bin=${BSA_LMS_SANDBOX_BIN:-$here/../../target/debug/bsa-lms-sandbox}
for t in "$main" "$platform"; do echo "tarball: $(basename "$t") ($(du -k "$t" | cut -f1) KiB)"; done

listing=$(tar -tzf "$main")
if grep -q '\.node$' <<<"$listing"; then echo "a native module is inside $main"; exit 1; fi
grep -qx 'package/native.js' <<<"$listing" || { echo "no loader in $main"; exit 1; }
optional=$(tar -xzOf "$main" package/package.json | node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"))
  const deps = m.optionalDependencies ?? {}
  const names = Object.keys(deps).filter((n) => deps[n] === m.version)
  console.log(names.length === Object.keys(deps).length ? names.join(" ") : "version mismatch")')
for name in linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl darwin-x64 darwin-arm64 win32-x64-msvc; do
  grep -qw "bsa-lms-$name" <<<"$optional" || { echo "optionalDependencies lack bsa-lms-$name@$version: $optional"; exit 1; }
done
tar -tzf "$platform" | grep -qx 'package/bsa-lms.linux-x64-gnu.node' || { echo "no module in $platform"; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
npm init -y >/dev/null
# The other platforms' packages are not published yet: npm skips those optional
# dependencies, as it skips the ones whose os/cpu/libc do not fit.
npm install --no-audit --no-fund "$main" "$platform" >/dev/null
[ -f node_modules/bsa-lms-linux-x64-gnu/bsa-lms.linux-x64-gnu.node ] || { echo "platform package not installed"; exit 1; }
if ls node_modules/bsa-lms/*.node >/dev/null 2>&1; then echo "a module inside node_modules/bsa-lms"; exit 1; fi
cp "$here/test/sandbox.js" .
export BSA_LMS_SANDBOX_BIN=$sandbox_bin

cat > cjs.js <<'JS'
const { startSandbox } = require('./sandbox.js')
const { Client, NotFoundError } = require('bsa-lms')
startSandbox().then(async (sandbox) => {
  try {
    const client = new Client(sandbox.options())
    const customer = await client.createCustomer({ externalId: 'packed' })
    const loan = await client.createLoan({ customerId: customer.id, productId: 1, principal: 1000 })
    const err = await client.getLoan('424242').catch((e) => e)
    if (!(err instanceof NotFoundError)) throw new Error('expected NotFoundError')
    console.log(`cjs ok: loan ${loan.id} owes ${loan.totalOutstanding}`)
  } finally {
    sandbox.stop()
  }
})
JS
cat > esm.mjs <<'JS'
import { Client, LmsError } from 'bsa-lms'
import sandboxes from './sandbox.js'
const sandbox = await sandboxes.startSandbox()
try {
  const client = new Client(sandbox.options())
  const products = await client.listLoanProducts()
  if (!(LmsError.prototype instanceof Error) || products.items.length === 0) throw new Error('bad')
  console.log(`esm ok: ${products.items.length} products`)
} finally {
  sandbox.stop()
}
JS
cat > typed.ts <<'JS'
import { Client, type Loan } from 'bsa-lms'
export const owed = async (c: Client, ref: string): Promise<number> => {
  const loan: Loan = await c.getLoanByExternalId(ref)
  return loan.totalOutstanding ?? 0
}
JS
# The repository's quickstart, importing the installed package instead of the source tree.
sed "s#'../bindings/node/index.mjs'#'bsa-lms'#" "$here/../../examples/quickstart.mjs" > quickstart.mjs
grep -q "from 'bsa-lms'" quickstart.mjs || { echo "quickstart.mjs: import not rewritten"; exit 1; }
node cjs.js
node esm.mjs
"$here/node_modules/.bin/tsc" --strict --noEmit --module nodenext --moduleResolution nodenext --target es2022 \
  --types node --typeRoots "$here/node_modules/@types" typed.ts
echo "typescript ok"
# The testing kit from the tarball alone: the example service's tests, in-process sandbox.
cp "$here"/../../examples/testing/node/* .
node --test service.test.mjs
# Without credentials in the environment the quickstart starts its own sandbox.
(
  for name in $(compgen -e); do
    case $name in BSA_LMS_SANDBOX_BIN) ;; BSA_LMS_*) unset "$name" ;; esac
  done
  node quickstart.mjs
)
echo "1 passed, 0 failed: the packed tarballs install and run"
