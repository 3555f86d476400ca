'use strict'
// The main flow, both addressing forms, pagination, arguments and options.
const { describe, it, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { startSandbox } = require('./sandbox.js')
const sdk = require('..')
const { Client, PagePromise, InvalidRequestError, NotFoundError } = sdk

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox.stop())
beforeEach(() => sandbox.reset())

/** A customer with an active loan of 10 000 (both with externalIds). */
async function customerWithLoan(client, tag) {
  const customer = await client.createCustomer({ externalId: `cust-${tag}` })
  const loan = await client.createLoan({
    customerId: customer.id,
    productId: 1,
    principal: 10000,
    externalId: `loan-${tag}`,
  })
  return { customer, loan }
}

describe('quickstart flow', () => {
  it('mints a token, creates a customer and a loan, repays, and reads the balance', async () => {
    const client = new Client(sandbox.options())
    const token = await client.accessToken()
    assert.equal(token.split('.').length, 3, 'a JWT')
    assert.equal(client.tokenMints(), 1)

    const customer = await client.createCustomer({ externalId: 'qs-1' })
    assert.equal(typeof customer.id, 'string')
    assert.equal(customer.externalId, 'qs-1')
    assert.equal(customer.status, 'Active')

    const loan = await client.createLoan({ customerId: customer.id, productId: 1, principal: 10000, externalId: 'qs-loan' })
    assert.equal(loan.status, 'Active')
    assert.equal(loan.customerId, customer.id)
    const owed = loan.totalOutstanding
    assert.ok(owed > 10000, `interest is charged: ${owed}`)

    const repayment = await client.createRepaymentByExternalId('qs-loan', {
      transactionAmount: 450,
      idempotencyKey: 'qs-payment-1',
    })
    assert.equal(repayment.amount, 450)

    const after = await client.getLoanByExternalId('qs-loan')
    assert.equal(after.totalOutstanding, owed - 450)
    assert.match(after.nextDueDate, /^\d{4}-\d{2}-\d{2}$/)
    assert.equal(client.tokenMints(), 1, 'the token is cached')
    // Unknown fields are kept as received (the spec does not name this one).
    assert.ok('actualDisbursementDate' in after)
  })

  it('replays a keyed repayment without posting twice', async () => {
    const client = new Client(sandbox.options())
    const { loan } = await customerWithLoan(client, 'idem')
    const first = await client.createRepayment(loan.id, { transactionAmount: 100, idempotencyKey: 'k-1' })
    const again = await client.createRepayment(loan.id, { transactionAmount: 100, idempotencyKey: 'k-1' })
    assert.equal(again.id, first.id)
    assert.equal((await sandbox.stats()).repayments, 1)
  })
})

describe('addressing forms', () => {
  it('reaches the same loan and customer by LMS id and by externalId', async () => {
    const client = new Client(sandbox.options())
    const { customer, loan } = await customerWithLoan(client, 'both')
    const byId = await client.getLoan(loan.id)
    const byRef = await client.getLoanByExternalId('loan-both')
    assert.equal(byId.id, byRef.id)
    assert.deepEqual(byId, byRef)
    assert.equal((await client.getCustomer(customer.id)).externalId, 'cust-both')
    assert.equal((await client.getCustomerByExternalId('cust-both')).id, customer.id)

    await client.createRepayment(loan.id, { transactionAmount: 10 })
    await client.createRepaymentByExternalId('loan-both', { transactionAmount: 20 })
    const viaId = await client.listRepayments(loan.id)
    const viaRef = await client.listRepaymentsByExternalId('loan-both')
    assert.deepEqual(viaId.items.map((t) => t.amount).sort(), [10, 20])
    assert.deepEqual(viaRef.items, viaId.items)
  })

  it('accepts a numeric id and percent-encodes an externalId as one segment', async () => {
    const client = new Client(sandbox.options())
    const customer = await client.createCustomer({ externalId: 'a/b c?d' })
    assert.equal((await client.getCustomerByExternalId('a/b c?d')).id, customer.id)
    assert.equal((await client.getCustomer(Number(customer.id))).id, customer.id)
  })

  it('renames a pending customer (update) and deletes it by externalId', async () => {
    const client = new Client(sandbox.options())
    const pending = await sandbox.admin('POST', 'customers/pending', { externalId: 'old-name' })
    const renamed = await client.updateCustomer(pending.id, { externalId: 'new-name' })
    assert.equal(renamed.externalId, 'new-name')
    assert.equal(renamed.status, 'Pending')
    const gone = await client.deleteCustomerByExternalId('new-name')
    assert.ok(gone === null || typeof gone === 'object')
    await assert.rejects(client.getCustomer(pending.id), NotFoundError)
  })
})

describe('pagination', () => {
  it('awaits the first page and iterates every item across pages with for await', async () => {
    const client = new Client(sandbox.options())
    for (let i = 0; i < 23; i++) await client.createCustomer({ externalId: `page-${String(i).padStart(2, '0')}` })
    const listing = client.listCustomers({ rows: 5, orderBy: 'id', sortOrder: 'ASC' })
    assert.ok(listing instanceof PagePromise)
    assert.equal(Object.prototype.toString.call(listing), '[object PagePromise]')

    const first = await listing
    assert.equal(first.items.length, 5)
    assert.equal(first.total, 23)
    assert.equal(first.hasNextPage(), true)
    assert.deepEqual(Object.keys(first).sort(), Object.keys(JSON.parse(JSON.stringify(first))).sort())

    const before = (await sandbox.stats()).requests['GET /v1/customers'] ?? 0
    const seen = []
    for await (const customer of listing) seen.push(customer.externalId)
    assert.equal(seen.length, 23)
    assert.equal(new Set(seen).size, 23)
    assert.deepEqual(seen, [...seen].sort())
    const fetched = (await sandbox.stats()).requests['GET /v1/customers'] - before
    assert.equal(fetched, 4, 'the first page is reused; pages 2-5 are fetched once')

    const last = await client.listCustomers({ rows: 5, page: 5 })
    assert.equal(last.items.length, 3)
    assert.equal(last.hasNextPage(), false)
    assert.equal(await last.getNextPage(), null)
    const second = await first.getNextPage()
    assert.equal(second.items[0].externalId, 'page-05')
  })

  it('iterates a page object from that page on, and stops on an empty list', async () => {
    const client = new Client(sandbox.options())
    for (let i = 0; i < 7; i++) await client.createCustomer({ externalId: `it-${i}` })
    const third = await client.listCustomers({ rows: 3, page: 2 })
    const rest = []
    for await (const c of third) rest.push(c)
    assert.equal(rest.length, 4)
    const none = []
    for await (const c of client.listLoans({ rows: 10 })) none.push(c)
    assert.deepEqual(none, [])
  })

  it('sends nothing until a list is used, and reports list errors on await', async () => {
    const client = new Client(sandbox.options())
    const before = (await sandbox.stats()).requests['GET /v1/loans'] ?? 0
    client.listLoans({ rows: 10 })
    await new Promise((r) => setTimeout(r, 50))
    assert.equal((await sandbox.stats()).requests['GET /v1/loans'] ?? 0, before)
    await assert.rejects(client.listLoans({ rows: 500 }), sdk.InvalidArgumentError)
    await assert.rejects(async () => {
      for await (const _ of client.listLoans({ rows: 500 })) assert.fail('no item expected')
    }, sdk.InvalidArgumentError)
  })
})

describe('arguments', () => {
  it('sends a Date as YYYY-MM-DD and accepts the string form', async () => {
    const client = new Client(sandbox.options())
    const { loan } = await customerWithLoan(client, 'dates')
    const today = new Date()
    const tx = await client.createRepayment(loan.id, { transactionAmount: 10, transactionDate: today })
    const pad = (n) => String(n).padStart(2, '0')
    const expected = `${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`
    assert.equal(tx.date, expected)
    const tx2 = await client.createRepayment(loan.id, { transactionAmount: 10, transactionDate: expected })
    assert.equal(tx2.date, expected)
    await assert.rejects(
      client.createRepayment(loan.id, { transactionAmount: 10, transactionDate: new Date('nope') }),
      (err) => err instanceof InvalidRequestError && err.fieldErrors[0].field === 'transactionDate',
    )
  })

  it('rejects unknown parameters, missing path parameters and bad options before sending', async () => {
    const client = new Client(sandbox.options())
    const before = (await sandbox.stats()).requests
    const cases = [
      [() => client.listLoans({ nope: 1 }), 'nope'],
      [() => client.getLoan(undefined), 'loan_id'],
      [() => client.getLoan(''), 'loan_id'],
      [() => client.getLoan('1', { timeout: -5 }), 'timeout'],
      [() => client.getLoan('1', { retries: 1 }), 'options.retries'],
      [() => client.getLoan('1', { signal: 'x' }), 'signal'],
      [() => client.getLoan('1', { headers: { 'x-a': 5 } }), 'headers.x-a'],
      [() => client.createLoan({ customerId: '1', productId: 1 }), 'body'],
      [() => client.createCustomer('not an object'), 'params'],
      [() => client.createCustomer({ externalId: 'x', extra: () => 1 }), 'extra'],
    ]
    for (const [call, field] of cases) {
      await assert.rejects(call(), (err) => {
        assert.ok(err instanceof InvalidRequestError, `${field}: ${err}`)
        assert.equal(err.kind, 'invalid_request')
        assert.equal(err.fieldErrors[0].field, field)
        return true
      })
    }
    assert.deepEqual((await sandbox.stats()).requests, before, 'nothing was sent')
  })

  it('rejects bad client options with InvalidRequestError naming the option', () => {
    const bad = [
      [{ baseUrl: 'http://example.com', token: 't' }, 'base_url'],
      [{ baseUrl: 'ftp://x', token: 't' }, 'base_url'],
      [{ email: 'a@b.c', baseUrl: 'http://127.0.0.1:1', password: undefined }, 'password'],
      [{ token: 't', timeout: 0 }, 'timeout'],
      [{ token: 't', maxRetries: -1 }, 'maxRetries'],
      [{ token: 't', colour: 'red' }, 'options.colour'],
      [{ token: 42 }, 'token'],
      [{ token: 't', headers: { 'bad header': 'x' } }, 'headers'],
    ]
    for (const [options, field] of bad) {
      assert.throws(
        () => new Client({ baseUrl: 'http://127.0.0.1:1', ...options }),
        (err) => err instanceof InvalidRequestError && err.fieldErrors[0]?.field === field,
        field,
      )
    }
  })
})

describe('options', () => {
  it('sends client and per-call headers, and withOptions shares the token cache', async () => {
    const client = new Client(sandbox.options({ headers: { 'x-client': 'a' } }))
    await client.createCustomer({ externalId: 'hdr' })
    const tuned = client.withOptions({ headers: { 'x-call': 'b' }, timeout: 5000 })
    assert.ok(tuned instanceof Client)
    assert.equal(String(tuned), String(client))
    const found = await tuned.getCustomerByExternalId('hdr', { headers: { 'x-more': 'c' } })
    assert.equal(found.externalId, 'hdr')
    assert.equal(tuned.tokenMints(), 1, 'one token for both')
    assert.equal((await sandbox.stats()).tokenMints, 1)
  })

  it('lists the operations the core can call', () => {
    const ops = sdk.operations()
    assert.ok(ops.includes('get_loan_by_external_id'))
    assert.ok(ops.includes('list_loans'))
    // Every operation has a Client method.
    for (const op of ops) {
      const method = op.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
      assert.equal(typeof Client.prototype[method], 'function', method)
    }
  })

  it('fails calls after close()', async () => {
    const client = new Client(sandbox.options())
    await client.listLoanProducts()
    client.close()
    await assert.rejects(client.listLoanProducts(), InvalidRequestError)
  })
})

describe('secrets', () => {
  it('never shows the password or token in toString, inspect, JSON or errors', async () => {
    const password = 'correct-horse-battery-staple'
    const client = new Client(sandbox.options())
    const token = await client.accessToken()
    const staticClient = new Client({ baseUrl: sandbox.url, token })
    const wrong = new Client(sandbox.options({ password: 'wrong-secret-password' }))
    const texts = [
      String(client),
      util.inspect(client, { showHidden: true, depth: 10 }),
      JSON.stringify(client),
      String(staticClient),
      util.inspect(staticClient, { showHidden: true, depth: 10 }),
      util.format('%o', client),
    ]
    for (const call of [() => wrong.getLoan('1'), () => staticClient.getLoan('nope'), () => client.getLoan('nope')]) {
      const err = await call().then(assert.fail, (e) => e)
      texts.push(String(err), err.stack, util.inspect(err, { showHidden: true, depth: 10 }), JSON.stringify(err))
    }
    assert.throws(
      () => new Client({ baseUrl: sandbox.url, email: 'x', password: 42 }),
      (err) => (texts.push(util.inspect(err)), true),
    )
    for (const text of texts) {
      for (const secret of [password, 'wrong-secret-password', token, token.split('.')[2]]) {
        assert.ok(!text.includes(secret), `secret leaked in: ${text.slice(0, 200)}`)
      }
    }
    assert.match(String(client), /baseUrl: "http:\/\/127\.0\.0\.1:\d+", auth: 'credentials'/)
    assert.match(String(staticClient), /auth: 'token'/)
  })
})
