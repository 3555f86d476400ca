'use strict'
// Money movement from Node: maybeApplied on every error, replay of documented
// keys only (unless the client opts in), creates recovered after a gateway
// error, AbortSignal and timeouts, runaway paging, amounts and language agreement.
const { describe, it, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const { setTimeout: sleep } = require('node:timers/promises')
const { startSandbox, EMAIL, PASSWORD } = require('./sandbox.js')
const sdk = require('..')
const { PagePromise } = require('../lib/runtime.js')

let sandbox
let client
let loan
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox.stop())
beforeEach(async () => {
  await sandbox.reset()
  client = new sdk.Client(sandbox.options())
  const customer = await client.createCustomer({ externalId: 'money-cust' })
  loan = await client.createLoan({ customerId: customer.id, productId: 1, principal: 10000, externalId: 'money-loan' })
})

const WAIVE = 'POST /v1/loans/{loan_id}/repayments/waive-interest'
async function counts() {
  const s = await sandbox.stats()
  return { transactions: s.transactions, repayments: s.repayments, waives: s.requests[WAIVE] ?? 0 }
}

describe('maybeApplied', () => {
  it('is false when nothing was applied and true when a write may have been', async () => {
    const rejected = await client.createRepayment(loan.id, { transactionAmount: -1 }).catch((e) => e)
    assert.equal(rejected.name, 'InvalidRequestError')
    assert.equal(rejected.maybeApplied, false)
    const missing = await client.getLoan('999999').catch((e) => e)
    assert.equal(missing.name, 'NotFoundError')
    assert.equal(missing.maybeApplied, false)
    await sandbox.fault({ method: 'POST', path: `/v1/loans/${loan.id}/repayments`, kind: 'status_after', status: 504 })
    const gateway = await client.createRepayment(loan.id, { transactionAmount: 5 }).catch((e) => e)
    assert.equal(gateway.name, 'UnavailableError')
    assert.equal(gateway.maybeApplied, true)
    assert.equal((await counts()).repayments, 1)
  })

  it('is set on an SDK timeout of a write that the server then applied', async () => {
    await sandbox.fault({ method: 'POST', path: `/v1/loans/${loan.id}/repayments`, kind: 'delay', delayMs: 600 })
    const err = await client.createRepayment(loan.id, { transactionAmount: 3 }, { timeout: 200 }).catch((e) => e)
    assert.equal(err.name, 'ApiTimeoutError')
    assert.equal(err.maybeApplied, true)
    await sleep(800)
    assert.equal((await counts()).repayments, 1)
  })

  it('is set on an AbortError of a write already sent, not of one never sent', async () => {
    await sandbox.fault({ method: 'POST', path: `/v1/loans/${loan.id}/repayments`, kind: 'delay', delayMs: 500 })
    const controller = new AbortController()
    const call = client.createRepayment(loan.id, { transactionAmount: 2 }, { signal: controller.signal })
    await sleep(150)
    controller.abort()
    const err = await call.catch((e) => e)
    assert.equal(err.name, 'AbortError')
    assert.equal(err.maybeApplied, true)
    const early = await client
      .createRepayment(loan.id, { transactionAmount: 2 }, { signal: AbortSignal.abort() })
      .catch((e) => e)
    assert.equal(early.name, 'AbortError')
    assert.equal(early.maybeApplied, false)
    await sandbox.fault({ method: 'GET', path: `/v1/loans/${loan.id}`, kind: 'delay', delayMs: 300 })
    const read = await client.getLoan(loan.id, { signal: AbortSignal.timeout(100) }).catch((e) => e)
    assert.equal(read.name, 'AbortError')
    assert.equal(read.maybeApplied, false)
    await sleep(700)
    assert.equal((await counts()).repayments, 1, 'the aborted write had reached the server')
  })
})

describe('idempotency keys', () => {
  it('are replayed only where documented, unless the client opts in', async () => {
    const before = await counts()
    const path = `/v1/loans/${loan.id}/repayments/waive-interest`
    await sandbox.fault({ method: 'POST', path, kind: 'status_after' })
    const err = await client.waiveInterest(loan.id, { transactionAmount: 1, idempotencyKey: 'w-1' }).catch((e) => e)
    assert.equal(err.maybeApplied, true)
    assert.equal((await counts()).waives, 1, 'not replayed')
    const opted = new sdk.Client(sandbox.options({ replayInferredIdempotencyKeys: true }))
    await sandbox.fault({ method: 'POST', path, kind: 'status_after' })
    await opted.waiveInterest(loan.id, { transactionAmount: 1, idempotencyKey: 'w-2' })
    const after = await counts()
    assert.equal(after.waives, 3, 'replayed once')
    assert.equal(after.transactions - before.transactions, 2, 'each waiver applied once')
  })

  it('never duplicate on a server that ignores them, by default', async () => {
    await sandbox.admin('POST', 'idempotency', { ignoreKeys: true })
    const before = await counts()
    await sandbox.fault({ method: 'POST', path: `/v1/loans/${loan.id}/repayments/waive-interest`, kind: 'drop_after' })
    const err = await client.waiveInterest(loan.id, { transactionAmount: 1, idempotencyKey: 'i-1' }).catch((e) => e)
    assert.equal(err.name, 'ApiConnectionError')
    assert.equal(err.maybeApplied, true)
    assert.equal((await counts()).transactions - before.transactions, 1)
  })
})

describe('creates behind a gateway error', () => {
  for (const fault of [
    { kind: 'status_after', status: 500 },
    { kind: 'status_after', status: 502 },
    { kind: 'status_after', status: 504 },
    { kind: 'drop_after' },
  ]) {
    it(`return the record the first attempt created (${JSON.stringify(fault)})`, async () => {
      await sandbox.fault({ method: 'POST', path: '/v1/customers', ...fault })
      const customer = await client.createCustomer({ externalId: 'gw' })
      assert.equal(customer.externalId, 'gw')
      await sandbox.fault({ method: 'POST', path: '/v1/loans', ...fault })
      const created = await client.createLoan({ customerId: customer.id, productId: 1, principal: 2500, externalId: 'gw-loan' })
      assert.equal(created.externalId, 'gw-loan')
      assert.equal(created.principal, 2500)
      const stats = await sandbox.stats()
      assert.deepEqual([stats.customers, stats.loans], [2, 2])
    })
  }
})

describe('paging', () => {
  const same = { items: [{ id: '1' }, { id: '2' }], total: 10, page: 1, rowsPerPage: 2 }
  const servers = {
    'repeats a page': async (page) => ({ ...same, page }),
    'answers another page number': async (page) => ({ ...same, items: [{ id: `${page}a` }, { id: `${page}b` }] }),
    'sends more records than its total': async (page) => ({ items: [{ id: `${page}a` }, { id: `${page}b` }], total: 3, page }),
  }
  for (const [name, fetch] of Object.entries(servers)) {
    it(`stops with a DecodeError when the server ${name}`, async () => {
      const seen = []
      await assert.rejects(
        (async () => {
          for await (const item of new PagePromise(fetch, 1, 2)) seen.push(item)
        })(),
        (e) => e.name === 'DecodeError' && /paging stopped/.test(e.message),
      )
      assert.ok(seen.length <= 4, `${seen.length} items before it stopped`)
    })
  }
})

describe('language agreement', () => {
  it('fills a half-given pair of credentials from the environment', async () => {
    process.env.BSA_LMS_PASSWORD = PASSWORD
    try {
      const half = new sdk.Client({ baseUrl: sandbox.url, authUrl: sandbox.url, email: EMAIL })
      await half.listLoanProducts()
    } finally {
      delete process.env.BSA_LMS_PASSWORD
    }
  })

  it('accepts a refresh threshold of 0 and bounds maxRetries at 100', () => {
    assert.ok(new sdk.Client(sandbox.options({ refreshThreshold: 0 })))
    assert.ok(new sdk.Client(sandbox.options({ maxRetries: 100 })))
    assert.throws(() => new sdk.Client(sandbox.options({ maxRetries: 101 })), { name: 'InvalidRequestError' })
  })

  it('rejects non-finite and unsafe-integer amounts before sending', async () => {
    for (const amount of [NaN, Infinity, 2 ** 53 + 2]) {
      const err = await client.createRepayment(loan.id, { transactionAmount: amount }).catch((e) => e)
      assert.equal(err.name, 'InvalidRequestError', String(amount))
      assert.equal(err.fieldErrors[0].field, 'transactionAmount')
      assert.equal(err.maybeApplied, false)
    }
    assert.equal((await counts()).repayments, 0)
  })

  it('sends a number with its shortest digits', async () => {
    const bodies = []
    const server = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        bodies.push(body)
        res.setHeader('content-type', 'application/json')
        res.end('{"id":"1"}')
      })
    })
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const raw = new sdk.Client({ baseUrl: `http://127.0.0.1:${server.address().port}`, token: 't', maxRetries: 0 })
      await raw.createRepayment('1', { transactionAmount: 0.1 })
      assert.match(bodies[0], /"transactionAmount":0\.1[,}]/)
    } finally {
      server.close()
    }
  })
})
