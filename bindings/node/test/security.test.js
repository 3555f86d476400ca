'use strict'
// Hostile ids cannot retarget a call; proxies never see loopback calls;
// redirects are reported, never followed.
const { describe, it, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const net = require('node:net')
const { execFile } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const util = require('node:util')
const { startSandbox } = require('./sandbox.js')
const { Client, InvalidRequestError, ApiError } = require('..')

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

async function activeLoan(tag) {
  const customer = await client.createCustomer({ externalId: `c-${tag}` })
  return client.createLoan({ customerId: Number(customer.id), productId: 1, principal: 10000, externalId: `l-${tag}` })
}

function hostileIds(victim) {
  return [`..\\${victim}`, '..', '.', '', `x\\..\\..\\${victim}`, `ok\u0000${victim}`, 'a\nb']
}

async function rejection(promise) {
  return promise.then(
    (v) => assert.fail(`expected a rejection, got ${JSON.stringify(v)}`),
    (e) => e,
  )
}

/** A listening socket and whether anything connected to it. */
async function listener() {
  const server = net.createServer((socket) => {
    server.contacted = true
    socket.destroy()
  })
  server.contacted = false
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

describe('path parameters', () => {
  it('hostile external ids move no money and read nothing', async () => {
    await activeLoan('attacker')
    const victim = await activeLoan('victim')
    const before = await sandbox.stats()
    for (const id of hostileIds(victim.id)) {
      let err = await rejection(client.createRepaymentByExternalId(id, { transactionAmount: 450 }))
      assert.ok(err instanceof InvalidRequestError, `${JSON.stringify(id)}: ${err}`)
      assert.equal(err.fieldErrors[0].field, 'loan_external_id')
      err = await rejection(client.getCustomerByExternalId(id))
      assert.ok(err instanceof InvalidRequestError, `${JSON.stringify(id)}: ${err}`)
      assert.equal(err.fieldErrors[0].field, 'customer_external_id')
    }
    const after = await sandbox.stats()
    assert.equal(after.repayments, before.repayments, 'money moved')
    assert.deepEqual(after.requests, before.requests, 'a hostile call was sent')
    const page = await client.listRepayments(victim.id)
    assert.deepEqual(page.items, [])
  })
})

describe('transport', () => {
  it('environment proxies never see loopback calls', async () => {
    const proxy = await listener()
    const proxyUrl = `http://127.0.0.1:${proxy.address().port}`
    const script = `
      const { Client } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
      const c = new Client(${JSON.stringify(sandbox.options({ timeout: 30 }))})
      c.listLoanProducts().then((p) => console.log(p.items.length), (e) => { console.error(e); process.exit(1) })
    `
    const env = { ...process.env, NO_PROXY: '', no_proxy: '' }
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'all_proxy']) env[name] = proxyUrl
    const out = await new Promise((resolve, reject) =>
      execFile(process.execPath, ['-e', script], { env, timeout: 60_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    )
    assert.ok(Number(out.trim()) >= 1)
    await new Promise((resolve) => setTimeout(resolve, 300))
    proxy.close()
    assert.equal(proxy.contacted, false, 'the proxy saw a loopback call')
  })

  it('redirects are reported and never followed', async () => {
    const landing = await listener()
    const target = `http://127.0.0.1:${landing.address().port}/v1/loans/2/repayments`
    const server = http.createServer((req, res) => {
      res.writeHead(307, { location: target, 'content-length': '0' })
      res.end()
    })
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const c = new Client({ baseUrl: `http://127.0.0.1:${server.address().port}`, token: 'secret-token' })
      const err = await rejection(c.createRepayment('1', { transactionAmount: 450 }))
      assert.ok(err instanceof ApiError, String(err))
      assert.equal(err.status, 307)
      assert.ok(err.message.includes(target), err.message)
    } finally {
      server.close()
    }
    await new Promise((resolve) => setTimeout(resolve, 300))
    landing.close()
    assert.equal(landing.contacted, false, 'the redirect was followed')
  })
})

describe('token file', () => {
  let dir
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsa-lms-'))
  })

  async function freshToken() {
    return new Client(sandbox.options()).accessToken()
  }

  function plant(file, token, mode) {
    fs.writeFileSync(file, JSON.stringify({ [`ada@example.com ${sandbox.url}`]: token }))
    fs.chmodSync(file, mode)
  }

  async function mintsWith(tokenCache) {
    const c = new Client(sandbox.options({ tokenCache }))
    await c.listLoanProducts()
    return c.tokenMints()
  }

  it('uses a private file of this user', async () => {
    const file = path.join(dir, 'tokens.json')
    plant(file, await freshToken(), 0o600)
    assert.equal(await mintsWith(file), 0)
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('ignores a file others can write, and a symlink', async () => {
    const writable = path.join(dir, 'writable.json')
    plant(writable, await freshToken(), 0o666)
    assert.equal(await mintsWith(writable), 1)
    const target = path.join(dir, 'target.json')
    plant(target, await freshToken(), 0o600)
    const planted = fs.readFileSync(target, 'utf8')
    const link = path.join(dir, 'link.json')
    fs.symlinkSync(target, link)
    assert.equal(await mintsWith(link), 1)
    assert.equal(fs.readFileSync(target, 'utf8'), planted, 'written through the link')
    fs.rmSync(dir, { recursive: true, force: true })
  })
})

describe('secrets', () => {
  it('custom header values never show when a client is inspected', () => {
    const c = new Client(sandbox.options({ headers: { 'x-api-key': 'key-value-secret' } }))
    const shown = util.inspect(c, { depth: 10, showHidden: true }) + String(c) + JSON.stringify(c)
    assert.ok(!shown.includes('key-value-secret'), shown)
    assert.ok(!shown.includes('correct-horse-battery-staple'), shown)
  })
})
