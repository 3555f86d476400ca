'use strict'
// bsa-lms/testing: a BSA LMS sandbox inside this process, for the tests of a service that
// uses the SDK. Loaded only by `require('bsa-lms/testing')` / `import ... from 'bsa-lms/testing'`.

const http = require('node:http')
const native = require('../native.js')

const EMAIL = 'ada@example.com'
const PASSWORD = 'correct-horse-battery-staple'
const FAULT_KINDS = Object.freeze(['status', 'drop_before', 'drop_after', 'delay', 'malformed', 'truncated', 'html', 'empty'])

/** An admin call the sandbox refused (a bad argument, or a state rule). */
class SandboxAdminError extends Error {
  constructor(status, body) {
    super(`sandbox admin call failed with ${status}: ${body}`)
    this.name = 'SandboxAdminError'
    this.status = status
    this.body = body
  }
}

/** A local calendar date as `YYYY-MM-DD` (how the SDK sends a `Date` in a date field). */
function isoDate(value) {
  if (!(value instanceof Date)) return String(value)
  const pad = (n) => String(n).padStart(2, '0')
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`
}

class Sandbox {
  #native
  #url

  /** Use `Sandbox.start()`. */
  constructor(handle) {
    if (!(handle instanceof native.NativeSandbox)) throw new TypeError('use Sandbox.start() to start a sandbox')
    this.#native = handle
    this.#url = handle.url
  }

  /** Starts a sandbox on a free loopback port (or `options.port`). */
  static async start(options = {}) {
    const { port, tokenLifetimeSeconds, today } = options ?? {}
    return new Sandbox(
      native.NativeSandbox.start({
        port,
        tokenLifetimeSeconds,
        today: today === undefined || today === null ? undefined : isoDate(today),
      }),
    )
  }

  /** Base URL of both the token host and the API (`http://127.0.0.1:<port>`). */
  get url() {
    return this.#url
  }
  /** The secret of this instance's admin surface (sent by every helper here). */
  get adminToken() {
    return this.#native.adminToken
  }
  get email() {
    return EMAIL
  }
  get password() {
    return PASSWORD
  }

  /** Options for `new Client(...)`: both hosts on the sandbox and the seed account. */
  clientOptions(extra = {}) {
    return { baseUrl: this.#url, authUrl: this.#url, email: EMAIL, password: PASSWORD, ...extra }
  }

  /** Stops serving; the port is released. Safe to call twice. */
  async close() {
    this.#native.stop()
  }

  reset() {
    return this.#admin('POST', 'reset').then(() => undefined)
  }

  async fault(path, kind = 'status', options = {}) {
    const spec = { path, kind, count: options.count ?? 1 }
    if (options.method !== undefined) spec.method = options.method
    if (options.status !== undefined) spec.status = options.status
    if (options.retryAfter !== undefined) spec.retryAfter = options.retryAfter
    if (options.delayMs !== undefined) spec.delayMs = options.delayMs
    return (await this.#admin('POST', 'faults', spec)).id
  }
  async faults() {
    return (await this.#admin('GET', 'faults')).faults
  }
  async clearFaults() {
    return (await this.#admin('DELETE', 'faults')).cleared
  }
  async unauthorized(count = 1) {
    await this.#admin('POST', 'unauthorized', { count })
  }
  async expireTokens() {
    await this.#admin('POST', 'tokens/expire')
  }
  async setTokenLifetime(seconds) {
    await this.#admin('POST', 'auth', { tokenLifetimeSeconds: seconds })
  }
  async today() {
    return (await this.#admin('GET', 'clock')).today
  }
  async setToday(today) {
    return (await this.#admin('POST', 'clock', { today: today === null ? null : isoDate(today) })).today
  }
  addCharge(loanId, kind, amount) {
    return this.#admin('POST', `loans/${encodeURIComponent(String(loanId))}/charges`, { kind, amount })
  }
  addAccount(account) {
    return this.#admin('POST', 'accounts', account)
  }
  addPendingCustomer(externalId) {
    return this.#admin('POST', 'customers/pending', { externalId })
  }
  setScorecard(externalId, entry = {}) {
    return this.#admin('POST', 'scorecards', {
      externalId,
      halopesaGrade: entry.grade ?? 'C',
      finalCreditScore: entry.score ?? 500,
      finalCreditLimit: entry.limit ?? 0,
    })
  }
  async setRollbackStop(afterStep) {
    await this.#admin('POST', 'rollback-stop', { afterStep })
  }
  async setTransactionShape(shape) {
    await this.#admin('POST', 'transaction-shape', { shape })
  }
  stats() {
    return this.#admin('GET', 'stats')
  }
  async requests(route) {
    return (await this.stats()).requests[route] ?? 0
  }

  // node:http with no agent: a loopback call that no proxy setting can divert, and no
  // kept-alive socket left behind when the test ends.
  #admin(method, route, body) {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const headers = { 'x-sandbox-admin-token': this.#native.adminToken }
    if (data) Object.assign(headers, { 'content-type': 'application/json', 'content-length': data.length })
    return new Promise((resolve, reject) => {
      const req = http.request(`${this.#url}/_sandbox/${route}`, { method, headers, agent: false }, (res) => {
        const chunks = []
        res.on('data', (chunk) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          if (res.statusCode === undefined || res.statusCode >= 300) {
            reject(new SandboxAdminError(res.statusCode ?? 0, text))
          } else {
            resolve(text ? JSON.parse(text) : null)
          }
        })
      })
      req.on('error', reject)
      req.end(data)
    })
  }
}

if (typeof Symbol.asyncDispose === 'symbol') {
  Sandbox.prototype[Symbol.asyncDispose] = Sandbox.prototype.close
}

module.exports = { Sandbox, SandboxAdminError, EMAIL, PASSWORD, FAULT_KINDS }
