#!/usr/bin/env bash
# Installs the packed tarball into an empty directory (no compiler, no repo on
# the module path) and runs it against the sandbox from CJS, ESM and TypeScript.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD
tarball=$(ls -t bsa-lms-*.tgz | head -1)
echo "tarball: $tarball ($(du -h "$tarball" | cut -f1))"
listing=$(tar -tzf "$tarball")
grep -qx 'package/bsa-lms.linux-x64-gnu.node' <<<"$listing" || { echo "no .node in $tarball"; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
npm init -y >/dev/null
npm install --no-audit --no-fund "$here/$tarball" >/dev/null
cp "$here/test/sandbox.js" .

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
BSA_LMS_SANDBOX_BIN=${BSA_LMS_SANDBOX_BIN:-$here/../../target/debug/bsa-lms-sandbox} node cjs.js
BSA_LMS_SANDBOX_BIN=${BSA_LMS_SANDBOX_BIN:-$here/../../target/debug/bsa-lms-sandbox} node esm.mjs
"$here/node_modules/.bin/tsc" --strict --noEmit --module nodenext --moduleResolution nodenext --target es2022 \
  --types node --typeRoots "$here/node_modules/@types" typed.ts
echo "typescript ok"
# The testing kit from the tarball alone: the example service's tests, in-process sandbox.
cp "$here"/../../examples/testing/node/* .
node --test service.test.mjs
echo "1 passed, 0 failed: the packed tarball installs and runs"
