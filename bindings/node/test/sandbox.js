'use strict'
// Starts the sandbox binary for the tests (and the quickstart) and drives its
// admin surface (/_sandbox/..., described in crates/bsa-lms-sandbox/README.md).

const { spawn } = require('node:child_process')
const path = require('node:path')
const readline = require('node:readline')

const ROOT = path.resolve(__dirname, '..', '..', '..')
const EMAIL = 'ada@example.com'
const PASSWORD = 'correct-horse-battery-staple'

function binary() {
  return process.env.BSA_LMS_SANDBOX_BIN || path.join(ROOT, 'target', 'debug', 'bsa-lms-sandbox')
}

/** Starts `bsa-lms-sandbox --port 0 --exit-with-stdin`; it exits when this process does. */
function startSandbox() {
  return new Promise((resolve, reject) => {
    const child = spawn(binary(), ['--port', '0', '--exit-with-stdin'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('error', (err) => reject(new Error(`cannot start ${binary()}: ${err.message} (cargo build -p bsa-lms-sandbox)`)))
    child.on('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${stderr}`)))
    const lines = readline.createInterface({ input: child.stdout })
    // The admin token line comes first, then the URL line.
    let adminToken = ''
    lines.on('line', (line) => {
      const token = /^BSA_LMS_SANDBOX_ADMIN_TOKEN=(\S+)$/.exec(line.trim())
      if (token) adminToken = token[1]
      const match = /^BSA_LMS_SANDBOX_URL=(\S+)$/.exec(line.trim())
      if (!match) return
      lines.close()
      // Do not keep the test process alive for the sandbox's sake.
      child.unref()
      child.stdin.unref?.()
      child.stdout.destroy()
      child.stderr.destroy()
      resolve(new Sandbox(match[1], adminToken, child))
    })
  })
}

class Sandbox {
  constructor(url, adminToken, child) {
    this.url = url
    this.adminToken = adminToken
    this.child = child
  }

  /** Options for a client with the seed account (both hosts on the sandbox). */
  options(extra = {}) {
    return { baseUrl: this.url, authUrl: this.url, email: EMAIL, password: PASSWORD, ...extra }
  }

  async admin(method, route, body) {
    const res = await fetch(this.url + '/_sandbox/' + route, {
      method,
      headers: {
        'x-sandbox-admin-token': this.adminToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} /_sandbox/${route}: ${res.status} ${text}`)
    return text ? JSON.parse(text) : null
  }

  reset() {
    return this.admin('POST', 'reset')
  }
  /** `{ method?, path, kind, status?, count?, retryAfter?, delayMs? }` */
  fault(spec) {
    return this.admin('POST', 'faults', spec)
  }
  stats() {
    return this.admin('GET', 'stats')
  }
  unauthorized(count) {
    return this.admin('POST', 'unauthorized', { count })
  }
  tokenLifetime(seconds) {
    return this.admin('POST', 'auth', { tokenLifetimeSeconds: seconds })
  }
  expireTokens() {
    return this.admin('POST', 'tokens/expire')
  }

  stop() {
    this.child.stdin.end()
    this.child.kill()
  }
}

module.exports = { startSandbox, Sandbox, EMAIL, PASSWORD, ROOT }
