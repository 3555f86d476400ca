'use strict'
// native.js, the loader: on a platform without a prebuilt module, or with its platform
// package missing, require() fails with an error that names the platform and the fix.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..')

/** Requires a copy of the loader (no module beside it) in a process that sees `fake`. */
function requireLoaderAs(fake) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsa-lms-loader-'))
  try {
    for (const file of ['native.js', 'package.json']) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file))
    const preload = [
      `for (const [k, v] of Object.entries(${JSON.stringify(fake.process ?? {})}))`,
      '  Object.defineProperty(process, k, { value: v })',
      fake.musl ? 'process.report.getReport = () => ({ header: {} })' : '',
    ].join('\n')
    fs.writeFileSync(path.join(dir, 'preload.js'), preload)
    const run = spawnSync(process.execPath, ['-r', './preload.js', '-e', "require('./native.js')"], {
      cwd: dir,
      encoding: 'utf8',
    })
    assert.notEqual(run.status, 0, 'the loader should have failed')
    return run.stderr
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

test('a platform without a prebuilt module is named, with the source build', () => {
  const stderr = requireLoaderAs({ process: { platform: 'freebsd', arch: 'riscv64' } })
  assert.match(stderr, /no prebuilt native module for freebsd-riscv64 \(prebuilt: linux-x64-gnu, /)
  assert.match(stderr, /make -C bindings\/node release/)
})

test('a supported platform whose package is missing names that package', () => {
  const stderr = requireLoaderAs({ process: { platform: 'darwin', arch: 'arm64' } })
  assert.match(stderr, /native module for darwin-arm64: its package bsa-lms-darwin-arm64 is not installed/)
  assert.match(stderr, /npm install bsa-lms-darwin-arm64@\d+\.\d+\.\d+/)
})

test('Linux without glibc is told apart as musl', { skip: process.platform !== 'linux' }, () => {
  const stderr = requireLoaderAs({ musl: true })
  assert.match(stderr, new RegExp(`bsa-lms-linux-${process.arch}-musl is not installed`))
})
