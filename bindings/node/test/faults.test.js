'use strict'
// The fault matrix (port of tests/faults.rs): every fault kind the sandbox
// injects against every kind of operation, asserting the outcome (retried and
// succeeded, or the exact error class) and the server state afterwards
// (nothing duplicated, nothing lost); token expiry mid-run; exactly-once
// money movement under drops after commit; one re-mint for 1000 concurrent calls.
const { describe, it, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const { setTimeout: sleep } = require('node:timers/promises')
const { startSandbox } = require('./sandbox.js')
const sdk = require('..')
const { Client, LmsError } = sdk

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox.stop())

/** Creates a customer and an Active loan (product 1, principal 10000) with externalIds `cust-<tag>`, `loan-<tag>`. */
async function customerAndLoan(client, tag) {
  const customer = await client.createCustomer({ externalId: `cust-${tag}` })
  const loan = await client.createLoan({ customerId: customer.id, productId: 1, principal: 10000, externalId: `loan-${tag}` })
  return { customer, loan }
}

// ---------------------------------------------------------------- the matrix

// `route` is the sandbox's fault path, `counted` the route template of /_sandbox/stats `requests`.
const OPS = [
  {
    name: 'read (getLoanByExternalId)',
    method: 'GET',
    route: '/v1/loans/external/loan-matrix',
    counted: 'GET /v1/loans/external/{loan_external_id}',
    call: (client, n, options) => client.getLoanByExternalId('loan-matrix', options),
    check: (loan) => assert.equal(loan.externalId, 'loan-matrix'),
  },
  {
    name: 'idempotent write (updateCustomerByExternalId)',
    method: 'PUT',
    route: '/v1/customers/external/cust-matrix',
    counted: 'PUT /v1/customers/external/{customer_external_id}',
    call: (client, n, options) => client.updateCustomerByExternalId('cust-matrix', { externalId: 'cust-matrix' }, options),
    check: (customer) => assert.equal(customer.externalId, 'cust-matrix'),
  },
  {
    name: 'keyed repayment',
    keyed: true,
    method: 'POST',
    route: '/v1/loans/external/loan-matrix/repayments',
    counted: 'POST /v1/loans/external/{loan_external_id}/repayments',
    call: (client, n, options) =>
      client.createRepaymentByExternalId('loan-matrix', { transactionAmount: 1, idempotencyKey: `key-${n}` }, options),
    check: (tx) => assert.equal(tx.amount, 1),
  },
  {
    name: 'unkeyed repayment',
    unkeyed: true,
    method: 'POST',
    route: '/v1/loans/external/loan-matrix/repayments',
    counted: 'POST /v1/loans/external/{loan_external_id}/repayments',
    call: (client, n, options) => client.createRepaymentByExternalId('loan-matrix', { transactionAmount: 1 }, options),
    check: (tx) => assert.equal(tx.amount, 1),
  },
]

const SUCCEEDS = null
/**
 * `safe`: outcome for reads and idempotent or keyed writes; `unkeyed`: for unkeyed
 * repayments (an error class, or SUCCEEDS). `unkeyedApplied`: whether an unkeyed
 * repayment was applied although the call failed (null: may or may not be).
 */
function status(code, cls, spec = { kind: 'status', status: code }, name = 'status') {
  // `maybe`: maybeApplied of a failed write (the SDK cannot tell it was not applied).
  return { name, spec, safe: SUCCEEDS, unkeyed: cls, unkeyedApplied: false, maybe: code !== 429 }
}
/** A gateway that lost the answer of a committed write. */
function statusAfter(code, cls) {
  return { ...status(code, cls, { kind: 'status_after', status: code }, 'status_after'), unkeyedApplied: true }
}
const FAULTS = [
  statusAfter(500, sdk.InternalError),
  statusAfter(502, sdk.UnavailableError),
  statusAfter(503, sdk.UnavailableError),
  statusAfter(504, sdk.UnavailableError),
  status(500, sdk.InternalError),
  status(502, sdk.UnavailableError),
  status(503, sdk.UnavailableError),
  status(504, sdk.UnavailableError),
  status(429, sdk.RateLimitedError),
  status(429, sdk.RateLimitedError, { kind: 'status', status: 429, retryAfter: 1 }),
  status(503, sdk.UnavailableError, { kind: 'status', status: 503, retryAfter: 1 }),
  status(502, sdk.UnavailableError, { kind: 'html', status: 502 }, 'html'),
  status(500, sdk.InternalError, { kind: 'empty', status: 500 }, 'empty'),
  { name: 'drop_before', spec: { kind: 'drop_before' }, safe: SUCCEEDS, unkeyed: sdk.ApiConnectionError, unkeyedApplied: false, maybe: true },
  { name: 'drop_after', spec: { kind: 'drop_after' }, safe: SUCCEEDS, unkeyed: sdk.ApiConnectionError, unkeyedApplied: true, maybe: true },
  // The server may or may not finish the abandoned request before the assertion.
  { name: 'delay past the timeout', spec: { kind: 'delay', delayMs: 1500 }, safe: SUCCEEDS, unkeyed: sdk.ApiTimeoutError, unkeyedApplied: null, maybe: true },
  { name: 'malformed', spec: { kind: 'malformed' }, safe: sdk.DecodeError, unkeyed: sdk.DecodeError, unkeyedApplied: true, maybe: true },
  { name: 'truncated', spec: { kind: 'truncated' }, safe: sdk.DecodeError, unkeyed: sdk.DecodeError, unkeyedApplied: true, maybe: true },
]
const KIND = new Map([
  [sdk.InternalError, 'internal'],
  [sdk.UnavailableError, 'unavailable'],
  [sdk.RateLimitedError, 'rate_limited'],
  [sdk.ApiConnectionError, 'connection'],
  [sdk.ApiTimeoutError, 'timeout'],
  [sdk.DecodeError, 'decode'],
])
const TIMEOUT_MS = 500

describe('every fault against every kind of operation', () => {
  assert.equal(FAULTS.length * OPS.length, 72, '18 faults × 4 kinds of operation')
  let client
  beforeEach(async () => {
    await sandbox.reset()
    client = new Client(sandbox.options())
    await customerAndLoan(client, 'matrix')
  })

  let n = 0
  for (const fault of FAULTS) {
    for (const op of OPS) {
      const key = ++n
      const expected = op.unkeyed ? fault.unkeyed : fault.safe
      const outcome = expected === SUCCEEDS ? 'succeeds' : `rejects with ${expected.name}`
      it(`${fault.name} ${JSON.stringify(fault.spec)} × ${op.name} → ${outcome}`, async () => {
        const before = await sandbox.stats()
        await sandbox.fault({ method: op.method, path: op.route, ...fault.spec })
        let value
        let error
        try {
          value = await op.call(client, key, { timeout: TIMEOUT_MS })
        } catch (e) {
          error = e
        }
        try {
          if (expected === SUCCEEDS) {
            assert.equal(error, undefined, `expected success, got ${error?.name}: ${error?.message}`)
            op.check(value)
          } else {
            assert.ok(error !== undefined, `expected ${expected.name}, got ${JSON.stringify(value)}`)
            assert.ok(error instanceof expected, `expected ${expected.name}, got ${error?.name}: ${error?.message}`)
            assert.ok(error instanceof LmsError)
            // The exact class, not a subclass (ApiTimeoutError is an ApiConnectionError).
            assert.equal(Object.getPrototypeOf(error), expected.prototype, `exactly ${expected.name}, got ${error.name}`)
            assert.equal(error.name, expected.name)
            assert.equal(error.kind, KIND.get(expected))
            assert.equal(error.maybeApplied, fault.maybe && op.method !== 'GET', 'maybeApplied')
          }
          const stats = await sandbox.stats()
          const applied = stats.repayments - before.repayments
          const ok = error === undefined
          if (op.keyed) {
            assert.equal(applied, ok || fault.unkeyedApplied === true ? 1 : 0, 'keyed repayment applied exactly once')
          } else if (op.unkeyed) {
            if (ok) assert.equal(applied, 1)
            else if (fault.unkeyedApplied === null) assert.ok(applied <= 1, `never duplicated (${applied} applied)`)
            else assert.equal(applied, fault.unkeyedApplied ? 1 : 0, 'never duplicated')
          } else {
            assert.equal(applied, 0, 'no repayment from a read or a customer update')
          }
          // One resend after the fault when the call succeeded; never one when it failed.
          const sent = (stats.requests[op.counted] ?? 0) - (before.requests[op.counted] ?? 0)
          assert.equal(sent, ok ? 2 : 1, `requests sent on ${op.counted}`)
        } finally {
          // A delayed request the client gave up on may still be running; let it finish.
          if (fault.spec.kind === 'delay') await sleep(1200)
        }
        if (fault.spec.kind === 'delay') {
          // Even once the abandoned attempt has finished, nothing is doubled.
          const applied = (await sandbox.stats()).repayments - before.repayments
          if (op.keyed) assert.equal(applied, 1, 'the late first attempt replays the key')
          else if (op.unkeyed) assert.ok(applied <= 1, `never duplicated (${applied} applied)`)
          else assert.equal(applied, 0)
        }
      })
    }
  }
})

// ---------------------------------------------------------------- token expiry

describe('token expiry', () => {
  it('mid-run is invisible to every kind of operation (one re-mint each)', async () => {
    await sandbox.reset()
    const client = new Client(sandbox.options())
    await customerAndLoan(client, 'matrix')
    assert.equal(client.tokenMints(), 1)
    let n = 0
    for (const op of OPS) {
      n++
      await sandbox.expireTokens()
      const value = await op.call(client, n).catch((e) => assert.fail(`${op.name}: ${e.name}: ${e.message}`))
      op.check(value)
      assert.equal(client.tokenMints(), 1 + n, `${op.name}: one re-mint`)
    }
    assert.equal(client.tokenMints(), 5)
    const stats = await sandbox.stats()
    assert.equal(stats.tokenMints, 5)
    assert.equal(stats.repayments, 2, 'one keyed and one unkeyed repayment')
  })
})

// ---------------------------------------------------------------- exactly once

/** Deterministic PRNG (mulberry32), so the injected drops are the same on every run. */
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('exactly once', () => {
  it('200 money-moving calls with ~20% drops after commit apply exactly once', async () => {
    await sandbox.reset()
    const client = new Client(sandbox.options())
    const { loan } = await customerAndLoan(client, 'once')
    const random = rng(7)
    const CALLS = 200
    let createDrops = 0
    let repayDrops = 0
    for (let i = 0; i < CALLS; i++) {
      const create = i % 2 === 0
      if (random() < 0.2) {
        if (create) createDrops++
        else repayDrops++
        const path = create ? '/v1/customers' : `/v1/loans/${loan.id}/repayments`
        await sandbox.fault({ method: 'POST', path, kind: 'drop_after' })
      }
      if (create) {
        const customer = await client.createCustomer({ externalId: `once-${i}` }).catch((e) => assert.fail(`call ${i}: ${e}`))
        assert.equal(customer.externalId, `once-${i}`)
      } else {
        const tx = await client
          .createRepayment(loan.id, { transactionAmount: 1, idempotencyKey: `pay-${i}` })
          .catch((e) => assert.fail(`call ${i}: ${e}`))
        assert.equal(tx.amount, 1)
      }
    }
    const drops = createDrops + repayDrops
    const stats = await sandbox.stats()
    console.log(
      `exactly-once: ${CALLS} calls, ${drops} drops after commit (${createDrops} creates, ${repayDrops} repayments); ` +
        `customers=${stats.customers} repayments=${stats.repayments}`,
    )
    assert.ok(drops > 30, `${drops} drops injected`)
    assert.equal(stats.customers, CALLS / 2 + 1, '100 creates + the set-up customer, no duplicate')
    assert.equal(stats.repayments, CALLS / 2, '100 keyed repayments, none lost or doubled')
    // Every fault was hit, and each dropped call was resent exactly once.
    assert.deepEqual((await sandbox.admin('GET', 'faults')).faults, [])
    assert.equal(stats.requests['POST /v1/customers'], 1 + CALLS / 2 + createDrops)
    assert.equal(stats.requests['POST /v1/loans/{loan_id}/repayments'], CALLS / 2 + repayDrops)
  })
})

// ---------------------------------------------------------------- single-flight re-mint

describe('expired token under load', () => {
  it('1000 concurrent calls on an expired token mint once, without blocking the event loop', async () => {
    await sandbox.reset()
    const client = new Client(sandbox.options())
    await client.listLoanProducts()
    await sandbox.expireTokens()
    let ticks = 0
    let last = performance.now()
    let maxGap = 0
    const timer = setInterval(() => {
      const now = performance.now()
      maxGap = Math.max(maxGap, now - last)
      last = now
      ticks++
    }, 5)
    const started = performance.now()
    let settled = 0
    const calls = Array.from({ length: 1000 }, () =>
      client.listLoanProducts().finally(() => {
        settled++
      }),
    )
    // The calls are in flight while this turn of the loop ends and timers run.
    await sleep(0)
    const settledAfterATimer = settled
    const results = await Promise.all(calls)
    const elapsed = performance.now() - started
    clearInterval(timer)
    if (process.env.BSA_LMS_VERBOSE) console.log({ elapsed, ticks, maxGap, settledAfterATimer })
    assert.ok(settledAfterATimer < 1000, 'a timer ran before every call had settled')
    assert.equal(results.length, 1000)
    for (const page of results) assert.ok(page.items.length > 0, 'call succeeds after the re-mint')
    assert.ok(maxGap < 500, `the event loop was never blocked long (max gap ${maxGap.toFixed(0)} ms in ${elapsed.toFixed(0)} ms)`)
    assert.equal(client.tokenMints(), 2, 'one mint at start, one after expiry')
    assert.equal((await sandbox.stats()).tokenMints, 2)
  })
})
