'use strict'
// Odd inputs never crash the process and always reject with an SDK error.
const { it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { startSandbox } = require('./sandbox.js')
const { Client, LmsError, InvalidRequestError } = require('..')

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox.stop())

it('rejects odd values with LmsError subclasses (or succeeds), never throwing synchronously', async () => {
  const client = new Client(sandbox.options({ maxRetries: 0 }))
  const odd = [
    10n, Symbol('s'), () => 1, NaN, Infinity, -0, 2 ** 64, '', ' ', '\u0000', 'x'.repeat(100_000), '%2F..%2F',
    '../../etc', '🙂', { nested: { deeper: [1, { a: null }] } }, [1, 2], new Map(), Object.create(null), true,
  ]
  let settled = 0
  for (const value of odd) {
    const calls = [
      () => client.getLoan(value),
      () => client.getLoanByExternalId(value),
      () => client.createCustomer({ externalId: value }),
      () => client.createRepayment('1', { transactionAmount: value, transactionDate: value }),
      () => client.listLoans({ rows: value, status: value }),
      () => client.listLoans(value),
      () => client.getLoan('1', value),
    ]
    for (const call of calls) {
      let promise
      assert.doesNotThrow(() => {
        promise = call()
      })
      await promise.then(
        () => settled++,
        (err) => {
          settled++
          assert.ok(err instanceof LmsError, `${String(err)} for ${typeof value}`)
        },
      )
    }
  }
  assert.equal(settled, odd.length * 7)
  // The client still works afterwards.
  assert.ok((await client.listLoanProducts()).items.length > 0)
})

it('a wrongly typed body field is rejected before sending, naming the field', async () => {
  const client = new Client(sandbox.options())
  const err = await client.createCustomer({ externalId: 123456789123456789n }).then(assert.fail, (e) => e)
  assert.ok(err instanceof InvalidRequestError)
  assert.equal(err.fieldErrors[0].field, 'externalId')
})

it('a non-string secret option is rejected without echoing it', () => {
  assert.throws(
    () => new Client({ baseUrl: sandbox.url, email: 'a@b.c', password: 987654321987 }),
    (err) => err instanceof InvalidRequestError && !/987654321987/.test(err.message + err.stack),
  )
})
