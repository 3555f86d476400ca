// The quickstart flow in TypeScript, checked with `tsc --strict` (make typecheck).
// Configuration comes from BSA_LMS_* environment variables; see
// examples/quickstart.mjs at the repository root for a runnable version that
// starts the sandbox itself.
import {
  Client,
  InvalidArgumentError,
  LmsError,
  NotFoundError,
  type Customer,
  type Loan,
  type Transaction,
} from 'bsa-lms'

async function quickstart(client: Client): Promise<string> {
  const suffix = Date.now()
  const token: string = await client.accessToken()
  console.log(`minted a token (${token.length} characters)`)

  const customer: Customer = await client.createCustomer({ externalId: `quickstart-${suffix}` })
  const loanRef = `quickstart-loan-${suffix}`
  const loan: Loan = await client.createLoan({
    customerId: customer.id,
    productId: 1,
    principal: 10_000,
    externalId: loanRef,
  })
  console.log(`loan ${loan.id} is ${loan.status ?? '?'}`)

  const repayment: Transaction = await client.createRepaymentByExternalId(
    loanRef,
    { transactionAmount: 450, transactionDate: new Date(), idempotencyKey: `quickstart-payment-${suffix}` },
    { timeout: 10_000, signal: AbortSignal.timeout(30_000) },
  )
  console.log(`repayment ${repayment.id}: ${repayment.amount ?? 0}`)

  const current = await client.getLoanByExternalId(loanRef)
  // Fields the SDK does not know yet are still there, typed `unknown`.
  const disbursed: unknown = current['actualDisbursementDate']
  console.log(`disbursed on ${String(disbursed)}`)
  return `${customer.displayName ?? customer.id} owes ${current.totalOutstanding ?? 0}, next due ${current.nextDueDate ?? 'nothing'}`
}

async function activeLoans(client: Client): Promise<number> {
  // Awaiting a list gives the first page; `for await` walks every page.
  const first = await client.listLoans({ status: 'Active', rows: 50, sortOrder: 'DESC' })
  console.log(`${first.total ?? '?'} active loans, ${first.items.length} on the first page`)
  let outstanding = 0
  for await (const loan of client.listLoans({ status: 'Active', rows: 100 })) {
    outstanding += loan.totalOutstanding ?? 0
  }
  return outstanding
}

async function main(): Promise<void> {
  const client = new Client({ maxRetries: 3 })
  try {
    console.log(await quickstart(client))
    console.log(`total outstanding: ${await activeLoans(client)}`)
    await client.getLoanByExternalId('no-such-loan')
  } catch (err) {
    if (err instanceof NotFoundError) {
      console.log(`not found (HTTP ${err.status ?? '-'}, code ${err.code ?? '-'})`)
    } else if (err instanceof InvalidArgumentError) {
      for (const { field, error } of err.fieldErrors) console.log(`${field}: ${error}`)
    } else if (err instanceof LmsError) {
      console.log(`${err.kind}: ${err.message}`)
    } else {
      throw err
    }
  } finally {
    client.close()
  }
}

void main()
