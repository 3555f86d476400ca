'use strict'
// bsa-lms/testing: the in-process sandbox and its admin helpers, from CJS and ESM, and the
// example service tests of examples/testing/node run as a user's project would run them.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Client, UnavailableError } = require('..')

const PACKAGE = path.resolve(__dirname, '..')

test('require("bsa-lms") does not load the testing module', () => {
  const code = "require('bsa-lms'); console.log(Object.keys(require.cache).some((f) => f.endsWith('testing.js')))"
  const out = execFileSync(process.execPath, ['-e', code], { cwd: PACKAGE, encoding: 'utf8' })
  assert.equal(out.trim(), 'false')
})

test('starts on loopback, serves a client, refuses admin calls without its token, stops', async () => {
  const { Sandbox } = require('bsa-lms/testing')
  const sandbox = await Sandbox.start({ today: '2026-05-25', tokenLifetimeSeconds: 60 })
  const url = sandbox.url
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
  const client = new Client(sandbox.clientOptions())
  assert.equal((await client.listLoanProducts()).items.length, 2)
  assert.equal((await fetch(`${url}/_sandbox/stats`)).status, 401)
  assert.equal(await sandbox.today(), '2026-05-25')
  assert.equal(await sandbox.setToday(new Date(2026, 5, 30)), '2026-06-30')
  await sandbox.reset()
  assert.equal(await sandbox.today(), '2026-05-25')
  client.close()
  await sandbox.close()
  await sandbox.close()
  await assert.rejects(fetch(`${url}/v1/loan-products`))
})

test('every fault kind, forced 401s, token expiry and lifetime, seeds, charges, stats', async () => {
  const { Sandbox, FAULT_KINDS, SandboxAdminError } = await import('bsa-lms/testing')
  const sandbox = await Sandbox.start()
  try {
    for (const kind of FAULT_KINDS) {
      const id = await sandbox.fault('/v1/loans/*', kind, { method: 'GET', count: 2, delayMs: 1 })
      assert.deepEqual((await sandbox.faults()).map((f) => [f.id, f.kind, f.count]), [[id, kind, 2]])
      assert.equal(await sandbox.clearFaults(), 1)
    }
    const client = new Client(sandbox.clientOptions({ maxRetries: 0 }))
    await sandbox.fault('/v1/loan-products', 'status', { status: 503, retryAfter: 0, count: 5 })
    await assert.rejects(client.listLoanProducts(), UnavailableError)
    assert.equal(await sandbox.requests('GET /v1/loan-products'), 1)
    await sandbox.clearFaults()

    await sandbox.unauthorized(1)
    await client.listLoanProducts() // re-minted once and retried
    await sandbox.expireTokens()
    await client.listLoanProducts()
    assert.equal((await sandbox.stats()).tokenMints, 3)
    await sandbox.setTokenLifetime(0)
    // Every token it mints is already expired: the re-mint after the 401 cannot help.
    await assert.rejects(new Client(sandbox.clientOptions()).listLoanProducts(), /token expired/)

    await sandbox.reset()
    const account = await sandbox.addAccount({ email: 'ops@example.com', password: 's3cret' })
    assert.deepEqual(account.roles, ['ADMIN'])
    assert.equal((await sandbox.addPendingCustomer('pending-1')).status, 'Pending')
    await sandbox.setScorecard('255700000001', { grade: 'A', limit: 900 })
    const ops = new Client(sandbox.clientOptions({ email: 'ops@example.com', password: 's3cret' }))
    const customer = await ops.createCustomer({ externalId: 'c-1' })
    const loan = await ops.createLoan({ customerId: customer.id, productId: 1, principal: 10000 })
    const charged = await sandbox.addCharge(loan.id, 'penalty', 25)
    assert.equal(charged.totalOutstanding, loan.totalOutstanding + 25)
    assert.equal((await ops.getCreditScorecard('255700000001')).halopesaGrade, 'A')
    await sandbox.setRollbackStop('undo-disbursal')
    await sandbox.setRollbackStop(null)
    await sandbox.setTransactionShape('current')
    const refused = await sandbox.addCharge('999', 'fee', 1).catch((e) => e)
    assert.ok(refused instanceof SandboxAdminError && refused.status === 404, String(refused))
    assert.equal((await sandbox.stats()).customers, 2)
  } finally {
    await sandbox.close()
  }
})

test('the example service tests pass in a project that depends on bsa-lms', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsa-lms-example-'))
  try {
    fs.mkdirSync(path.join(dir, 'node_modules'))
    fs.symlinkSync(PACKAGE, path.join(dir, 'node_modules', 'bsa-lms'), 'dir')
    const examples = path.resolve(PACKAGE, '..', '..', 'examples', 'testing', 'node')
    for (const file of fs.readdirSync(examples)) fs.copyFileSync(path.join(examples, file), path.join(dir, file))
    // Without this variable the inner runner reports to ours instead of printing its summary.
    const env = { ...process.env }
    delete env.NODE_TEST_CONTEXT
    const out = execFileSync(process.execPath, ['--test', 'service.test.mjs'], { cwd: dir, env, encoding: 'utf8' })
    assert.match(out, /# pass 3/)
    assert.match(out, /# fail 0/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
