'use strict'
// Every error class of the contract, from real sandbox answers and from
// injected faults, checked with instanceof and its fields.
const { describe, it, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const { startSandbox } = require('./sandbox.js')
const sdk = require('..')
const { Client, LmsError, ApiError } = sdk

let sandbox
let client
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox.stop())
beforeEach(async () => {
  await sandbox.reset()
  client = new Client(sandbox.options({ maxRetries: 0 }))
})

/** Awaits a rejection and checks its class chain and fields. */
async function expectError(promise, cls, fields = {}) {
  const err = await promise.then(
    (v) => assert.fail(`expected ${cls.name}, got ${JSON.stringify(v)}`),
    (e) => e,
  )
  assert.ok(err instanceof cls, `expected ${cls.name}, got ${err?.name}: ${err?.message}`)
  assert.ok(err instanceof LmsError)
  assert.ok(err instanceof Error)
  assert.equal(err.name, cls.name === 'AbortedError' ? 'AbortedError' : cls.name)
  assert.equal(typeof err.message, 'string')
  assert.ok(err.message.length > 0)
  assert.ok(Array.isArray(err.fieldErrors))
  for (const key of ['kind', 'code', 'status', 'body', 'authReason']) assert.ok(key in err, key)
  for (const [key, value] of Object.entries(fields)) assert.deepEqual(err[key], value, key)
  return err
}

async function activeLoan(tag = 'x') {
  const customer = await client.createCustomer({ externalId: `c-${tag}` })
  return client.createLoan({ customerId: customer.id, productId: 1, principal: 10000, externalId: `l-${tag}` })
}

describe('API errors from the sandbox', () => {
  it('NotFoundError (404 not_found)', async () => {
    const err = await expectError(client.getLoan('999999'), sdk.NotFoundError, {
      kind: 'not_found',
      code: 'not_found',
      status: 404,
    })
    assert.ok(err instanceof ApiError)
    assert.match(err.body, /"code":"not_found"/)
    await expectError(client.getLoanByExternalId('nope'), sdk.NotFoundError, { status: 404 })
  })

  it('InvalidArgumentError (400) with parsed fieldErrors', async () => {
    const err = await expectError(client.listLoans({ rows: 500 }), sdk.InvalidArgumentError, {
      kind: 'invalid_argument',
      code: 'invalid_argument',
      status: 400,
    })
    assert.equal(err.fieldErrors.length, 1)
    assert.equal(err.fieldErrors[0].field, 'page')
    assert.match(err.fieldErrors[0].error, /rows/)
    // The same rule checked by the SDK before sending names the field the same way.
    const customer = await client.createCustomer({ externalId: 'neg' })
    const neg = await expectError(
      client.createLoan({ customerId: customer.id, productId: 1, principal: -1 }),
      sdk.InvalidRequestError,
    )
    assert.deepEqual(neg.fieldErrors.map((f) => f.field), ['principal'])
  })

  it('AbortedError, alias ConflictError (409 on a duplicate externalId)', async () => {
    assert.equal(sdk.ConflictError, sdk.AbortedError)
    await client.createCustomer({ externalId: 'dup' })
    const err = await expectError(client.createCustomer({ externalId: 'dup' }), sdk.ConflictError, {
      kind: 'aborted',
      code: 'aborted',
      status: 409,
    })
    assert.ok(err instanceof sdk.AbortedError)
  })

  it('FailedPreconditionError (repayment on a loan that is not active)', async () => {
    const loan = await activeLoan('fp')
    await client.undoLoanDisbursal(loan.id, {})
    await expectError(client.createRepayment(loan.id, { transactionAmount: 5 }), sdk.FailedPreconditionError, {
      kind: 'failed_precondition',
      code: 'failed_precondition',
      status: 400,
    })
  })

  it('PermissionDeniedError (403: a value date in the future)', async () => {
    const loan = await activeLoan('pd')
    await expectError(
      client.createRepayment(loan.id, { transactionAmount: 5, transactionDate: '2999-01-01' }),
      sdk.PermissionDeniedError,
      { kind: 'permission_denied', code: 'permission_denied', status: 403 },
    )
  })

  it('UnauthenticatedError (401 with a bad static token)', async () => {
    const bad = new Client({ baseUrl: sandbox.url, token: 'not-a-jwt', maxRetries: 0 })
    await expectError(bad.getLoan('1'), sdk.UnauthenticatedError, {
      kind: 'unauthenticated',
      code: 'unauthenticated',
      status: 401,
    })
  })

  it('AuthenticationError (wrong password, unreachable token host)', async () => {
    const wrong = new Client(sandbox.options({ password: 'wrong' }))
    await expectError(wrong.getLoan('1'), sdk.AuthenticationError, {
      kind: 'authentication',
      status: 401,
      authReason: 'bad_credentials',
    })
    const unreachable = new Client({
      baseUrl: sandbox.url,
      authUrl: 'http://127.0.0.1:9',
      email: 'a@b.c',
      password: 'pw',
      maxRetries: 0,
    })
    const err = await expectError(unreachable.accessToken(), sdk.AuthenticationError, { authReason: 'unreachable' })
    assert.equal(err instanceof ApiError, false)
  })

  it('InvalidRequestError (rejected by the SDK before sending)', async () => {
    const boost = client.createCreditBoost({ fullName: 'A B', mobileNumber: '12345', pdfFile: Buffer.from('%PDF-1.4') })
    const err = await expectError(boost, sdk.InvalidRequestError, {
      kind: 'invalid_request',
      status: null,
      code: null,
    })
    assert.equal(err.fieldErrors[0].field, 'MobileNumber')
    assert.equal(err instanceof ApiError, false)
  })
})

describe('injected faults', () => {
  const cases = [
    ['InternalError (500 envelope)', { kind: 'status', status: 500 }, sdk.InternalError, { status: 500, kind: 'internal' }],
    ['InternalError (500, empty body)', { kind: 'empty' }, sdk.InternalError, { status: 500, code: null }],
    ['UnavailableError (503 envelope)', { kind: 'status', status: 503 }, sdk.UnavailableError, { status: 503 }],
    ['UnavailableError (502 HTML page)', { kind: 'html' }, sdk.UnavailableError, { status: 502, code: null }],
    ['RateLimitedError (429)', { kind: 'status', status: 429 }, sdk.RateLimitedError, { status: 429, kind: 'rate_limited' }],
    ['ApiError (unclassified status, HTML)', { kind: 'html', status: 418 }, sdk.ApiError, { status: 418, kind: 'api', code: null }],
    ['DecodeError (malformed JSON)', { kind: 'malformed' }, sdk.DecodeError, { kind: 'decode' }],
    ['DecodeError (truncated body)', { kind: 'truncated' }, sdk.DecodeError, { kind: 'decode' }],
    ['ApiConnectionError (dropped connection)', { kind: 'drop_before' }, sdk.ApiConnectionError, { kind: 'connection', status: null }],
  ]
  for (const [title, fault, cls, fields] of cases) {
    it(title, async () => {
      const loan = await activeLoan()
      await sandbox.fault({ method: 'GET', path: '/v1/loans/*', ...fault })
      const err = await expectError(client.getLoan(loan.id), cls, fields)
      if (cls !== sdk.ApiError) assert.ok(!(err instanceof sdk.ApiTimeoutError))
      if (fault.kind === 'html') assert.match(err.body, /<html>/i)
      // The fault was used up: the next call succeeds.
      assert.equal((await client.getLoan(loan.id)).id, loan.id)
    })
  }

  it('ApiTimeoutError (slow answer, per-call timeout), a subclass of ApiConnectionError', async () => {
    const loan = await activeLoan()
    await sandbox.fault({ method: 'GET', path: '/v1/loans/*', kind: 'delay', delayMs: 2000 })
    const started = Date.now()
    const err = await expectError(client.getLoan(loan.id, { timeout: 200 }), sdk.ApiTimeoutError, { kind: 'timeout' })
    assert.ok(err instanceof sdk.ApiConnectionError)
    assert.ok(Date.now() - started < 1500, 'the timeout cut the wait')
  })

  it('ApiConnectionError when nothing listens', async () => {
    const nobody = new Client({ baseUrl: 'http://127.0.0.1:9', token: 't', maxRetries: 0 })
    await expectError(nobody.getLoan('1'), sdk.ApiConnectionError, { kind: 'connection' })
  })

  it('transient faults are retried by default and the call succeeds', async () => {
    const retrying = new Client(sandbox.options())
    const loan = await activeLoan('retry')
    await sandbox.fault({ method: 'GET', path: '/v1/loans/*', kind: 'status', status: 503, count: 2 })
    assert.equal((await retrying.getLoan(loan.id)).id, loan.id)
    await sandbox.fault({ method: 'GET', path: '/v1/loans/*', kind: 'status', status: 503, count: 3 })
    await expectError(retrying.getLoan(loan.id), sdk.UnavailableError, { status: 503 })
  })
})

describe('error classes', () => {
  it('form the documented hierarchy', () => {
    const api = ['InvalidArgumentError', 'UnauthenticatedError', 'PermissionDeniedError', 'NotFoundError',
      'AbortedError', 'FailedPreconditionError', 'InternalError', 'UnavailableError', 'RateLimitedError']
    for (const name of api) {
      assert.equal(Object.getPrototypeOf(sdk[name]), ApiError, name)
      assert.equal(new sdk[name]('m').name, name)
    }
    for (const name of ['ApiError', 'AuthenticationError', 'ApiConnectionError', 'DecodeError', 'InvalidRequestError']) {
      assert.equal(Object.getPrototypeOf(sdk[name]), LmsError, name)
    }
    assert.equal(Object.getPrototypeOf(sdk.ApiTimeoutError), sdk.ApiConnectionError)
    assert.equal(Object.getPrototypeOf(LmsError), Error)
    const e = new sdk.NotFoundError('gone', { kind: 'not_found', status: 404 })
    assert.equal(String(e), 'NotFoundError: gone')
    assert.deepEqual([e.status, e.code, e.fieldErrors, e.body], [404, null, [], null])
    assert.equal(new sdk.AbortError().name, 'AbortError')
    assert.ok(!(new sdk.AbortError() instanceof LmsError))
  })
})
