// The documented quickstart in Node: token → customer → loan → repayment → balance.
//
// With BSA_LMS_EMAIL/BSA_LMS_PASSWORD (or BSA_LMS_TOKEN) set it runs against the
// configured hosts; otherwise it starts the sandbox binary (target/debug/bsa-lms-sandbox,
// or $BSA_LMS_SANDBOX_BIN) and uses its seed account.
//
//   make -C bindings/node build && node examples/quickstart.mjs
//
// In your own project: `import { Client, LmsError } from 'bsa-lms'`.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Client, LmsError } from '../bindings/node/index.mjs'

/** Starts the sandbox on a free port; it exits when this process does (stdin closes). */
function startSandbox() {
  const bin =
    process.env.BSA_LMS_SANDBOX_BIN ?? fileURLToPath(new URL('../target/debug/bsa-lms-sandbox', import.meta.url))
  const child = spawn(bin, ['--port', '0', '--exit-with-stdin'], { stdio: ['pipe', 'pipe', 'ignore'] })
  return new Promise((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`cannot start ${bin} (cargo build -p bsa-lms-sandbox): ${e.message}`)))
    child.once('exit', (code) => reject(new Error(`the sandbox exited with status ${code}`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      const url = /^BSA_LMS_SANDBOX_URL=(\S+)$/.exec(line)?.[1]
      if (url) resolve({ url, stop: () => child.kill() })
    })
  })
}

async function main() {
  const configured = process.env.BSA_LMS_EMAIL || process.env.BSA_LMS_TOKEN
  let sandbox = null
  let client
  if (configured) {
    client = new Client()
  } else {
    sandbox = await startSandbox()
    console.log(`no BSA_LMS_* credentials set: using the sandbox at ${sandbox.url}`)
    client = new Client({
      baseUrl: sandbox.url,
      authUrl: sandbox.url,
      email: 'ada@example.com',
      password: 'correct-horse-battery-staple',
    })
  }
  try {
    const suffix = Date.now()
    const token = await client.accessToken()
    console.log(`1. minted a token (${token.length} characters)`)

    const customer = await client.createCustomer({ externalId: `quickstart-${suffix}` })
    console.log(`2. customer ${customer.id} (${customer.displayName ?? '?'}) is ${customer.status ?? '?'}`)

    const loanRef = `quickstart-loan-${suffix}`
    const loan = await client.createLoan({
      customerId: customer.id,
      productId: 1,
      principal: 10000,
      externalId: loanRef,
    })
    console.log(`3. loan ${loan.id} is ${loan.status ?? '?'}, ${loan.totalOutstanding ?? 0} due`)

    const repayment = await client.createRepaymentByExternalId(loanRef, {
      transactionAmount: 450,
      idempotencyKey: `quickstart-payment-${suffix}`,
    })
    console.log(`4. repayment ${repayment.id} of ${repayment.amount ?? 0} applied to interest ${repayment.interest ?? 0}`)

    const current = await client.getLoanByExternalId(loanRef)
    const who = customer.displayName ?? customer.id
    console.log(`5. ${who} owes ${current.totalOutstanding ?? 0}, next due ${current.nextDueDate ?? 'nothing'}`)
  } finally {
    client.close()
    sandbox?.stop()
  }
}

main().catch((err) => {
  if (err instanceof LmsError) {
    console.error(`${err.name} (${err.kind}, HTTP ${err.status ?? '-'}): ${err.message}`)
  } else {
    console.error(err)
  }
  process.exitCode = 1
})
