// Tests of service.mjs against the in-process sandbox of bsa-lms/testing (node --test).
// Needs only the bsa-lms package: no sandbox binary, no network.
import assert from 'node:assert/strict'
import { after, before, beforeEach, test } from 'node:test'
import { Client } from 'bsa-lms'
import { Sandbox } from 'bsa-lms/testing'
import { createPaymentsServer } from './service.mjs'

let sandbox, client, server, base

before(async () => {
  sandbox = await Sandbox.start()
  // No automatic retries, so an outage reaches the service at once.
  client = new Client(sandbox.clientOptions({ maxRetries: 0 }))
  server = createPaymentsServer(client)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${server.address().port}`
})

after(async () => {
  server.closeAllConnections()
  server.close()
  await sandbox.close()
})

beforeEach(async () => {
  await sandbox.reset()
  const customer = await client.createCustomer({ externalId: 'cust-1' })
  await client.createLoan({ customerId: customer.id, productId: 1, principal: 10000, externalId: 'loan-1' })
})

const pay = (ref, body) =>
  fetch(`${base}/loans/${ref}/repayments`, { method: 'POST', body: JSON.stringify(body) })

test('a repayment is posted once', async () => {
  const body = { amount: 450, reference: 'wallet-98765' }
  const first = await pay('loan-1', body)
  assert.equal(first.status, 201)
  // The caller retries with the same reference: still one repayment.
  const again = await pay('loan-1', body)
  assert.deepEqual(await again.json(), await first.json())
  assert.equal((await sandbox.stats()).repayments, 1)
  assert.equal((await client.getLoanByExternalId('loan-1')).totalOutstanding, 10650)
})

test('an unknown loan is a 404', async () => {
  assert.equal((await pay('nope', { amount: 1, reference: 'r' })).status, 404)
})

test('a lender outage is a 503 and nothing is paid', async () => {
  await sandbox.fault('/v1/loans/external/*/repayments', 'status', { method: 'POST', status: 503, count: 5 })
  assert.equal((await pay('loan-1', { amount: 450, reference: 'w-2' })).status, 503)
  assert.equal((await sandbox.stats()).repayments, 0)
  // A connection dropped after the write is committed: the caller's retry must not pay twice.
  await sandbox.clearFaults()
  await sandbox.fault('/v1/loans/external/*/repayments', 'drop_after', { method: 'POST' })
  assert.equal((await pay('loan-1', { amount: 450, reference: 'w-3' })).status, 503)
  assert.equal((await pay('loan-1', { amount: 450, reference: 'w-3' })).status, 201)
  assert.equal((await sandbox.stats()).repayments, 1)
})
