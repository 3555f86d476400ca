'use strict'
// The credit boost from a path, bytes and a stream; checks before sending; never replayed.
// And every response shape the API's decoding rules allow, from a canned server.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')
const { Readable } = require('node:stream')
const { startSandbox } = require('./sandbox.js')
const { Client, InvalidRequestError, UnavailableError } = require('..')

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n')

describe('credit boost', () => {
  let sandbox
  before(async () => {
    sandbox = await startSandbox()
  })
  after(() => sandbox.stop())

  it('boosts from bytes, a path and a stream', async () => {
    const client = new Client(sandbox.options())
    const first = await client.createCreditBoost({ fullName: 'JOHN DEO MWAMBA', mobileNumber: '255762260621', pdfFile: PDF })
    assert.equal(first.boostStatus, 'YES')
    assert.equal(first.mobileNumber, 255762260621)
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bsa-lms-')), 'statement.pdf')
    fs.writeFileSync(file, PDF)
    const again = await client.createCreditBoost({ fullName: 'JOHN DEO MWAMBA', mobileNumber: '255762260621', pdfFile: file })
    assert.equal(again.boostStatus, 'NO')
    const streamed = await client.createCreditBoost({ fullName: 'ADA LOVELACE', mobileNumber: '255700000001', pdfFile: fs.createReadStream(file) })
    assert.equal(streamed.boostStatus, 'YES')
    const iterated = await client.createCreditBoost({ fullName: 'ADA LOVELACE', mobileNumber: '255700000002', pdfFile: Readable.from([PDF]) })
    assert.equal(iterated.boostStatus, 'YES')
  })

  it('checks the mobile number and the file before sending', async () => {
    const client = new Client(sandbox.options())
    for (const mobileNumber of ['25576226062', '2557622606211', '25576226062a']) {
      await assert.rejects(client.createCreditBoost({ fullName: 'A B', mobileNumber, pdfFile: PDF }), (err) => err instanceof InvalidRequestError && /MobileNumber/.test(err.message))
    }
    await assert.rejects(client.createCreditBoost({ fullName: 'A B', mobileNumber: '255762260621', pdfFile: Buffer.from('\x89PNG') }), (err) => err instanceof InvalidRequestError && /not a PDF/.test(err.message))
    await assert.rejects(client.createCreditBoost({ fullName: 'A B', mobileNumber: '255762260621', pdfFile: '/nonexistent/s.pdf' }), InvalidRequestError)
  })

  it('is never replayed', async () => {
    const client = new Client(sandbox.options())
    // One faulty request: a retry would succeed, so a rejection proves a single send.
    await sandbox.fault({ method: 'POST', path: '/v1/credit-boost', kind: 'status', status: 503, count: 1 })
    await assert.rejects(client.createCreditBoost({ fullName: 'A B', mobileNumber: '255700000009', pdfFile: PDF }), UnavailableError)
  })
})

describe('lenient decoding', () => {
  const routes = {
    '/v1/loans/1': '{"id":"1","externalId":null,"termFrequency":12.0,"numberOfRepayments":null}',
    '/v1/loans': '{"items":null,"total":0.0}',
    '/v1/loans/2/rollback': '["undo-approval","delete"]',
    '/v1/loans/3/rollback': '',
    '/v1/loans/5': '{"deleted":true}',
    '/v1/loans/6': '',
  }
  let server
  let url
  before(async () => {
    server = http.createServer((req, res) => {
      const body = routes[req.url.split('?')[0]] ?? ''
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${server.address().port}`
  })
  after(() => server.close())

  it('decodes every allowed shape', async () => {
    const client = new Client({ baseUrl: url, authUrl: url, token: 'static-token' })
    const loan = await client.getLoan('1')
    assert.equal(loan.externalId, null)
    assert.equal(loan.termFrequency, 12)
    const page = await client.listLoans()
    const items = []
    for await (const l of client.listLoans()) items.push(l)
    assert.deepEqual(items, [])
    assert.deepEqual(page.items, [])
    assert.deepEqual(await client.rollbackLoan('2'), ['undo-approval', 'delete'])
    assert.equal(await client.rollbackLoan('3'), null)
    await client.deleteLoan('5')
    await client.deleteLoan('6')
  })
})
