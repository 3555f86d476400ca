'use strict'
// Retries never duplicate money movements (checked with /_sandbox/stats).
const { describe, it, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const { startSandbox } = require('./sandbox.js')
const sdk = require('..')
const { Client } = sdk

let sandbox
let client
let loan
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox.stop())
beforeEach(async () => {
  await sandbox.reset()
  client = new Client(sandbox.options())
  const customer = await client.createCustomer({ externalId: 'retry-cust' })
  loan = await client.createLoan({ customerId: customer.id, productId: 1, principal: 10000, externalId: 'retry-loan' })
})

const REPAY = 'POST /v1/loans/{loan_id}/repayments'
const REPAY_PATH = '/v1/loans/*/repayments'
async function stats() {
  const s = await sandbox.stats()
  return { repayments: s.repayments, posts: s.requests[REPAY] ?? 0, loans: s.loans, creates: s.requests['POST /v1/loans'] ?? 0 }
}

describe('money-moving POSTs', () => {
  it('are not retried after a 503 without an idempotency key', async () => {
    await sandbox.fault({ method: 'POST', path: REPAY_PATH, kind: 'status', status: 503 })
    await assert.rejects(client.createRepayment(loan.id, { transactionAmount: 100 }), sdk.UnavailableError)
    assert.deepEqual(await stats(), { repayments: 0, posts: 1, loans: 1, creates: 1 })
  })

  it('are not resent when the connection drops after the write, so nothing is posted twice', async () => {
    await sandbox.fault({ method: 'POST', path: REPAY_PATH, kind: 'drop_after' })
    await assert.rejects(client.createRepayment(loan.id, { transactionAmount: 100 }), sdk.ApiConnectionError)
    assert.deepEqual(await stats(), { repayments: 1, posts: 1, loans: 1, creates: 1 })
  })

  it('are retried with an idempotency key, and the server keeps one repayment', async () => {
    await sandbox.fault({ method: 'POST', path: REPAY_PATH, kind: 'drop_after' })
    const tx = await client.createRepayment(loan.id, { transactionAmount: 100, idempotencyKey: 'pay-1' })
    assert.equal(tx.amount, 100)
    assert.deepEqual(await stats(), { repayments: 1, posts: 2, loans: 1, creates: 1 })
  })

  it('a loan create with an externalId recovers the loan the dropped attempt created', async () => {
    const customer = await client.createCustomer({ externalId: 'retry-cust-2' })
    await sandbox.fault({ method: 'POST', path: '/v1/loans', kind: 'drop_after' })
    const created = await client.createLoan({ customerId: customer.id, productId: 1, principal: 5000, externalId: 'once' })
    assert.equal(created.externalId, 'once')
    const s = await stats()
    assert.equal(s.loans, 2, 'one new loan, not two')
    assert.equal(s.creates, 3, 'the setup create, the dropped attempt and one resend')
  })

  it('maxRetries: 0 turns retries off for reads too', async () => {
    await sandbox.fault({ method: 'GET', path: '/v1/loans/*', kind: 'status', status: 503 })
    await assert.rejects(client.getLoan(loan.id, { maxRetries: 0 }), sdk.UnavailableError)
    await sandbox.fault({ method: 'GET', path: '/v1/loans/*', kind: 'status', status: 503 })
    assert.equal((await client.getLoan(loan.id)).id, loan.id, 'retried by default')
  })

  it('honours Retry-After on a 429', async () => {
    await sandbox.fault({ method: 'GET', path: '/v1/loans/*', kind: 'status', status: 429, retryAfter: 1 })
    const started = Date.now()
    assert.equal((await client.getLoan(loan.id)).id, loan.id)
    assert.ok(Date.now() - started >= 900, 'waited about a second')
  })
})
