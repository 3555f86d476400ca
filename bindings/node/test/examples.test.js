'use strict'
// The runnable quickstart (examples/quickstart.mjs at the repository root)
// starts its own sandbox when no credentials are configured.
const { it } = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { promisify } = require('node:util')
const { ROOT } = require('./sandbox.js')

it('examples/quickstart.mjs runs the flow against the sandbox it starts', async () => {
  const env = { ...process.env }
  for (const key of Object.keys(env)) if (key.startsWith('BSA_LMS_') && key !== 'BSA_LMS_SANDBOX_BIN') delete env[key]
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'examples', 'quickstart.mjs')], {
    env,
    timeout: 60_000,
  })
  const lines = stdout.trim().split('\n')
  assert.match(lines[0], /using the sandbox at http:\/\/127\.0\.0\.1:\d+/)
  assert.match(lines[1], /^1\. minted a token/)
  assert.match(lines.at(-1), /^5\. .+ owes \d+(\.\d+)?, next due \d{4}-\d{2}-\d{2}$/)
})
