'use strict'
// The package surface: CommonJS entry, exports map, and declaration files without `any`.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..')
const pkg = require('../package.json')

test('require() by package name and by path give the same module', () => {
  const byName = require('bsa-lms')
  const byPath = require('..')
  assert.equal(byName, byPath)
  assert.equal(typeof byName.Client, 'function')
  assert.equal(pkg.exports['.'].require.default, './index.js')
  assert.equal(pkg.exports['.'].import.default, './index.mjs')
  for (const file of ['index.js', 'index.mjs', 'index.d.ts', 'index.d.mts', 'lib/', 'native.js']) {
    assert.ok(pkg.files.includes(file), file)
  }
  // The native module ships in the per-platform packages (npm/<platform>/), never here.
  assert.ok(!pkg.files.some((f) => f.includes('.node')), pkg.files.join(', '))
})

test('the public declaration files use no `any`', () => {
  for (const file of ['index.d.ts', 'index.d.mts', 'lib/runtime.d.ts']) {
    const code = fs
      .readFileSync(path.join(ROOT, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '')
    assert.doesNotMatch(code, /\bany\b/, file)
  }
})

test('every generated method is declared, and every declared method exists', () => {
  const { Client } = require('..')
  const dts = fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8')
  const body = dts.slice(dts.indexOf('export declare class Client'))
  const declared = [...body.matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]).sort()
  const methods = Object.getOwnPropertyNames(Client.prototype).filter((n) => n !== 'constructor').sort()
  assert.deepEqual(declared, methods)
  assert.ok(methods.length >= 40)
})
