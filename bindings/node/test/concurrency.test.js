'use strict'
// The event loop keeps running while calls are in flight; worker threads;
// AbortSignal drops the native future.
const { describe, it, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { getEventListeners } = require('node:events')
const { setTimeout: sleep } = require('node:timers/promises')
const { Worker } = require('node:worker_threads')
const execFile = require('node:util').promisify(require('node:child_process').execFile)
const { startSandbox } = require('./sandbox.js')
const sdk = require('..')
const { Client, AbortError } = sdk

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox.stop())
beforeEach(() => sandbox.reset())

describe('concurrency', () => {
  it('keeps hundreds of calls in flight while the event loop keeps ticking', async () => {
    const client = new Client(sandbox.options())
    await client.listLoanProducts()
    const N = 300
    // Each request waits 300 ms in the sandbox: run one after another they would take 90 s.
    await sandbox.fault({ method: 'GET', path: '/v1/loan-products', kind: 'delay', delayMs: 300, count: N })
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
    const calls = Array.from({ length: N }, () => client.listLoanProducts())
    const results = await Promise.all(calls)
    const elapsed = performance.now() - started
    clearInterval(timer)
    if (process.env.BSA_LMS_VERBOSE) console.log({ elapsed, ticks, maxGap })
    assert.equal(results.length, N)
    for (const r of results) assert.ok(r.items.length > 0)
    assert.ok(elapsed < 10_000, `ran concurrently (${elapsed.toFixed(0)} ms)`)
    assert.ok(ticks >= 20, `the timer ran ${ticks} times during the calls`)
    assert.ok(maxGap < 500, `the event loop was never blocked long (max gap ${maxGap.toFixed(0)} ms)`)
    assert.equal(client.tokenMints(), 1)
  })

  it('keeps the process alive while a call is in flight, and lets it exit once all have settled', async () => {
    await sandbox.fault({ method: 'GET', path: '/v1/loan-products', kind: 'delay', delayMs: 500 })
    const code = `const { Client } = require(${JSON.stringify(path.join(__dirname, '..'))})
      new Client(${JSON.stringify(sandbox.options())})
        .listLoanProducts()
        .then((page) => console.log('settled', page.items.length > 0))`
    // The child has nothing but the call to wait for; a timeout here means it never exited.
    const { stdout } = await execFile(process.execPath, ['-e', code], { timeout: 20_000 })
    assert.equal(stdout.trim(), 'settled true')
  })

  it('works from several worker threads at once, and survives terminating one', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads')
      const { Client, NotFoundError } = require(workerData.sdk)
      ;(async () => {
        const client = new Client(workerData.options)
        const customer = await client.createCustomer({ externalId: 'worker-' + workerData.id })
        const found = await client.getCustomerByExternalId('worker-' + workerData.id)
        let notFound = false
        try { await client.getLoan('999999') } catch (e) { notFound = e instanceof NotFoundError }
        parentPort.postMessage({ id: customer.id, same: found.id === customer.id, notFound })
      })().catch((e) => parentPort.postMessage({ error: String(e) }))
    `
    const sdkPath = path.resolve(__dirname, '..')
    const run = (id) =>
      new Worker(code, { eval: true, workerData: { sdk: sdkPath, options: sandbox.options(), id } })
    // One worker is terminated while its calls may be in flight.
    const doomed = run('doomed')
    const workers = [1, 2, 3].map(run)
    await doomed.terminate()
    const results = await Promise.all(
      workers.map((w) => new Promise((resolve, reject) => {
        w.once('message', resolve)
        w.once('error', reject)
      })),
    )
    for (const r of results) {
      assert.equal(r.error, undefined)
      assert.equal(r.same, true)
      assert.equal(r.notFound, true)
    }
    assert.equal(new Set(results.map((r) => r.id)).size, 3)
    await Promise.all(workers.map((w) => w.terminate()))
    // The main thread's copy of the module still works.
    assert.ok((await new Client(sandbox.options()).listLoanProducts()).items.length > 0)
  })
})

describe('AbortSignal', () => {
  it('rejects at once with AbortError for an already aborted signal, sending nothing', async () => {
    const client = new Client(sandbox.options())
    const before = (await sandbox.stats()).requests
    const controller = new AbortController()
    controller.abort(new Error('user gave up'))
    const err = await client.listLoanProducts({ signal: controller.signal }).then(assert.fail, (e) => e)
    assert.ok(err instanceof AbortError)
    assert.equal(err.name, 'AbortError')
    assert.equal(err.code, 'ABORT_ERR')
    assert.equal(err.cause.message, 'user gave up')
    assert.deepEqual((await sandbox.stats()).requests, before)
  })

  it('aborting an in-flight write rejects promptly with maybeApplied (the server may still apply it)', async () => {
    const client = new Client(sandbox.options())
    const customer = await client.createCustomer({ externalId: 'abort' })
    const loan = await client.createLoan({ customerId: customer.id, productId: 1, principal: 1000 })
    await sandbox.fault({ method: 'POST', path: '/v1/loans/*/repayments', kind: 'delay', delayMs: 800 })
    const controller = new AbortController()
    const started = performance.now()
    const pending = client.createRepayment(loan.id, { transactionAmount: 10 }, { signal: controller.signal })
    setTimeout(() => controller.abort(), 100)
    await assert.rejects(pending, (err) => err instanceof AbortError && err.maybeApplied === true)
    assert.ok(performance.now() - started < 600, 'did not wait for the answer')
    await sleep(1200)
    const stats = await sandbox.stats()
    // Dropping the request cannot recall it: the server had it and applied it.
    assert.equal(stats.repayments, 1, 'the aborted request was applied by the server')
    // The client is fine afterwards, and the signal has no listener left.
    assert.equal((await client.getLoan(loan.id)).id, loan.id)
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0)
  })

  it('supports AbortSignal.timeout and removes its listener after success', async () => {
    const client = new Client(sandbox.options())
    await sandbox.fault({ method: 'GET', path: '/v1/loan-products', kind: 'delay', delayMs: 1000 })
    const err = await client.listLoanProducts({ signal: AbortSignal.timeout(100) }).then(assert.fail, (e) => e)
    assert.ok(err instanceof AbortError)
    assert.equal(err.cause.name, 'TimeoutError')

    const controller = new AbortController()
    const page = await client.listLoans({ rows: 5 }, { signal: controller.signal })
    assert.deepEqual(page.items, [])
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0)
    controller.abort()
  })
})
