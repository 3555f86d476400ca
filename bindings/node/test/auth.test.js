'use strict'
// Token handling seen from Node: proactive refresh, the single 401 retry,
// static tokens, single-flight minting and background rotation.
const { describe, it, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { setTimeout: sleep } = require('node:timers/promises')
const execFile = require('node:util').promisify(require('node:child_process').execFile)
const { startSandbox } = require('./sandbox.js')
const { Client, UnauthenticatedError } = require('..')

let sandbox
before(async () => {
  sandbox = await startSandbox()
})
after(() => sandbox.stop())
beforeEach(() => sandbox.reset())

const ROUTE = 'GET /v1/loan-products'
async function requests(route = ROUTE) {
  return (await sandbox.stats()).requests[route] ?? 0
}

describe('token refresh', () => {
  it('re-mints a short-lived token before it expires, without a 401', async () => {
    // A 4 s token with a 3 s threshold is refreshed in its last 2 s (the core
    // caps the window at half the lifetime; JWT times are whole seconds).
    await sandbox.tokenLifetime(4)
    const client = new Client(sandbox.options({ refreshThreshold: 3000 }))
    await client.listLoanProducts()
    await client.listLoanProducts()
    assert.equal(client.tokenMints(), 1, 'still fresh')
    await sleep(2200)
    await client.listLoanProducts()
    assert.equal(client.tokenMints(), 2, 'inside the refresh window: minted again')
    assert.equal(await requests(), 3, 'no request was rejected and resent')
    assert.equal((await sandbox.stats()).tokenMints, 2)
  })

  it('replaces an expired token', async () => {
    await sandbox.tokenLifetime(1)
    const client = new Client(sandbox.options({ refreshThreshold: 1 }))
    await client.listLoanProducts()
    await sleep(1300)
    await client.listLoanProducts()
    assert.equal(client.tokenMints(), 2)
    assert.equal(await requests(), 2)
  })

  it('mints once for many concurrent first calls', async () => {
    const client = new Client(sandbox.options())
    await Promise.all(Array.from({ length: 50 }, () => client.listLoanProducts()))
    assert.equal(client.tokenMints(), 1)
    assert.equal((await sandbox.stats()).tokenMints, 1)
  })
})

describe('the single 401 retry', () => {
  it('re-mints once and resends once after a 401', async () => {
    const client = new Client(sandbox.options())
    await client.listLoanProducts()
    await sandbox.unauthorized(1)
    const products = await client.listLoanProducts()
    assert.ok(products.items.length > 0)
    assert.equal(client.tokenMints(), 2)
    assert.equal(await requests(), 3, 'one call, one resend')
  })

  it('surfaces a second 401 instead of looping', async () => {
    const client = new Client(sandbox.options())
    await client.listLoanProducts()
    await sandbox.unauthorized(2)
    await assert.rejects(client.listLoanProducts(), (err) => err instanceof UnauthenticatedError && err.status === 401)
    assert.equal(client.tokenMints(), 2, 'exactly one re-mint')
    assert.equal(await requests(), 3, 'exactly one resend')
    assert.ok((await client.listLoanProducts()).items, 'the client recovers')
  })

  it('recovers when every token was revoked', async () => {
    const client = new Client(sandbox.options())
    await client.listLoanProducts()
    await sandbox.expireTokens()
    await client.listLoanProducts()
    assert.equal(client.tokenMints(), 2)
  })
})

describe('static token', () => {
  it('uses the token as given and never mints; a 401 is final', async () => {
    const minter = new Client(sandbox.options())
    const token = await minter.accessToken()
    const client = new Client({ baseUrl: sandbox.url, token })
    assert.ok((await client.listLoanProducts()).items.length > 0)
    assert.equal(await client.accessToken(), token)
    assert.equal(client.tokenMints(), 0)
    assert.equal((await sandbox.stats()).tokenMints, 1, 'only the other client minted')

    await sandbox.unauthorized(1)
    const before = await requests()
    await assert.rejects(client.listLoanProducts(), UnauthenticatedError)
    assert.equal(await requests(), before + 1, 'not resent')
    assert.equal((await sandbox.stats()).tokenMints, 1)
  })

  it('reads BSA_LMS_* variables when options are absent', async () => {
    const token = await new Client(sandbox.options()).accessToken()
    const saved = { ...process.env }
    try {
      Object.assign(process.env, { BSA_LMS_BASE_URL: sandbox.url, BSA_LMS_TOKEN: token })
      delete process.env.BSA_LMS_EMAIL
      delete process.env.BSA_LMS_PASSWORD
      const client = new Client()
      assert.ok((await client.listLoanProducts()).items.length > 0)
      assert.match(String(client), /auth: 'token'/)
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
      Object.assign(process.env, saved)
    }
  })
})

describe('rotation', () => {
  it('renews in the background through the shared token file and stops on close()', async () => {
    // At the minimum interval (60 s), rotation renews each two-second token as it
    // enters its refresh window.
    await sandbox.tokenLifetime(2)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsa-lms-'))
    const tokenCache = path.join(dir, 'tokens.json')
    try {
      const client = new Client(sandbox.options({ rotationInterval: 60_000, tokenCache }))
      await client.listLoanProducts()
      const first = await client.accessToken()
      await sleep(2500)
      const rotated = (await sandbox.stats()).tokenMints
      assert.ok(rotated >= 2, `rotated ${rotated - 1} times`)
      const current = await client.accessToken()
      assert.notEqual(current, first)
      assert.ok(fs.readFileSync(tokenCache, 'utf8').includes(current), 'the rotated token is in the shared file')
      client.close()
      await sleep(200)
      const closed = (await sandbox.stats()).tokenMints
      await sleep(1500)
      assert.equal((await sandbox.stats()).tokenMints, closed, 'no rotation after close()')
      await assert.rejects(client.accessToken(), { name: 'InvalidRequestError' })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses an interval below a minute', () => {
    assert.throws(() => new Client(sandbox.options({ rotationInterval: 59_000 })), (e) => {
      assert.equal(e.name, 'InvalidRequestError')
      assert.equal(e.fieldErrors[0].field, 'rotation_interval')
      return true
    })
  })
})

describe('token cache', () => {
  it('lets processes sharing a token file mint one token', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsa-lms-'))
    const tokenCache = path.join(dir, 'tokens.json')
    try {
      const client = new Client(sandbox.options({ tokenCache }))
      await client.listLoanProducts()
      assert.equal(client.tokenMints(), 1)
      // Another process with the same file uses the stored token instead of minting.
      const code = `const { Client } = require(${JSON.stringify(path.join(__dirname, '..'))})
        const c = new Client(${JSON.stringify(sandbox.options({ tokenCache }))})
        c.listLoanProducts().then(() => console.log(c.tokenMints()))`
      const { stdout } = await execFile(process.execPath, ['-e', code], { timeout: 30_000 })
      assert.equal(stdout.trim(), '0')
      assert.equal((await sandbox.stats()).tokenMints, 1)
      assert.equal(fs.statSync(tokenCache).mode & 0o777, 0o600)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
