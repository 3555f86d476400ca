// The ES module entry: named imports work and are the CommonJS objects.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import * as esm from 'bsa-lms'
import { Client, NotFoundError, LmsError, PagePromise } from 'bsa-lms'
import { startSandbox } from './sandbox.js'

const require = createRequire(import.meta.url)
const cjs = require('bsa-lms')

test('ESM import and CJS require expose the same names and objects', () => {
  assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).sort())
  for (const name of Object.keys(cjs)) assert.equal(esm[name], cjs[name], name)
  assert.equal(typeof Client, 'function')
  assert.equal(Object.getPrototypeOf(NotFoundError.prototype), cjs.ApiError.prototype)
})

test('a client imported as ESM calls the API and raises classes that instanceof matches from CJS', async () => {
  const sandbox = await startSandbox()
  try {
    const client = new Client(sandbox.options())
    const listing = client.listLoans({ rows: 2 })
    assert.ok(listing instanceof PagePromise)
    assert.deepEqual((await listing).items, [])
    const err = await client.getCustomer('424242').then(assert.fail, (e) => e)
    assert.ok(err instanceof NotFoundError)
    assert.ok(err instanceof cjs.NotFoundError)
    assert.ok(err instanceof LmsError)
  } finally {
    sandbox.stop()
  }
})
