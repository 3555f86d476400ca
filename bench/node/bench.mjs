// Benchmarks of the Node binding on the sandbox (see bench/README.md).
//
//   node bench.mjs run --url URL --out FILE [--seq-calls N] [--conc-calls N] [--rounds R]
//   node --expose-gc bench.mjs mem --url URL [--calls N]
//   node bench.mjs imports
//
// `run`: the bsa-lms Client against global `fetch` and `undici.request`, sequentially and with
// 256 calls in flight. Every contender makes the same three calls (GET of the loan with its
// schedule, the first list page of 10 rows, a repayment POST with an idempotency key) with the
// same headers and decodes the JSON answer into plain objects. Each table runs one warm-up batch
// per contender, then the counted rounds, taking turns and resetting the sandbox before each
// batch. `mem`: resident set after 1,000 calls and after `--calls` calls. `imports`: require
// time and package size.

import { execFileSync } from 'node:child_process'
import { readFileSync, statSync, readdirSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const bindingDir = join(here, '..', '..', 'bindings', 'node')
const require = createRequire(import.meta.url)

const EMAIL = 'ada@example.com'
const PASSWORD = 'correct-horse-battery-staple'
const API_VERSION = '1.0.0'
// A repayment batch spreads its POSTs over this many per loan at most: the sandbox replays a
// loan's whole history on every repayment, which would otherwise dominate long batches.
const REPAYMENTS_PER_LOAN = 100
const CALLS = ['get_loan', 'list_loans', 'create_repayment']

// ------------------------------------------------------------------ sandbox set-up (not timed)

/** One JSON request through node:http with a fresh connection (never the measured pools). */
function admin(method, url, body, headers) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const req = http.request(
      url,
      {
        method,
        agent: false,
        headers: { ...headers, ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) },
      },
      (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          if (res.statusCode >= 300) reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`))
          else resolve(JSON.parse(text))
        })
      },
    )
    req.on('error', reject)
    req.end(data)
  })
}

class Admin {
  static async connect(url) {
    const basic = Buffer.from(`${EMAIL}:${PASSWORD}`).toString('base64')
    const { token } = await admin('GET', `${url}/v1/auth/token`, undefined, { authorization: `Basic ${basic}` })
    const a = new Admin()
    a.url = url
    a.bearer = `Bearer ${token}`
    return a
  }

  post(path, body) {
    // bench/run.py passes on the sandbox's admin token for the /_sandbox calls.
    const adminToken = process.env.BSA_LMS_SANDBOX_ADMIN_TOKEN ?? ''
    return admin('POST', `${this.url}${path}`, body, { authorization: this.bearer, 'x-sandbox-admin-token': adminToken })
  }

  /** Resets the sandbox; seeds one customer, its loan (product 2: 12 instalments) and
   * `repayLoans` more loans for repayment batches to spread over. */
  async resetAndSeed(repayLoans = 0) {
    await this.post('/_sandbox/reset', {})
    const customer = await this.post('/v1/customers', { externalId: 'bench-customer-1' })
    const ids = []
    for (let i = 0; i <= repayLoans; i++) {
      const loan = await this.post('/v1/loans', {
        customerId: customer.id,
        productId: 2,
        principal: 50000,
        externalId: `bench-loan-${i + 1}`,
      })
      ids.push(String(loan.id))
    }
    return new Seed(ids[0], ids.slice(1))
  }

  seedFor(call, calls) {
    return this.resetAndSeed(call === 'create_repayment' ? Math.ceil(calls / REPAYMENTS_PER_LOAN) : 0)
  }
}

class Seed {
  constructor(loan, repay) {
    this.loan = loan
    this.repay = repay
  }

  loanFor(call, i) {
    return call === 'create_repayment' && this.repay.length ? this.repay[i % this.repay.length] : this.loan
  }
}

// ------------------------------------------------------------------ drivers

/** `concurrency` workers take the next call number until none is left; returns
 * [wall seconds, process CPU seconds (every thread)]. */
async function drive(calls, concurrency, op) {
  let next = 0
  const worker = async () => {
    for (;;) {
      const i = next++
      if (i >= calls) return
      await op(i)
    }
  }
  const cpu = process.cpuUsage()
  const started = process.hrtime.bigint()
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, worker))
  const wall = Number(process.hrtime.bigint() - started) / 1e9
  const used = process.cpuUsage(cpu)
  return [wall, (used.user + used.system) / 1e6]
}

function median(values) {
  const v = [...values].sort((a, b) => a - b)
  const n = v.length
  if (n === 0) return NaN
  return n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
}

// ------------------------------------------------------------------ contenders

function headers(bearer, json) {
  const h = { authorization: bearer, accept: 'application/json', 'api-version': API_VERSION }
  if (json) h['content-type'] = 'application/json'
  return h
}

function repayment(key) {
  return JSON.stringify({ transactionAmount: 1.0, idempotencyKey: key })
}

function fetchContender(url, bearer) {
  const get = headers(bearer, false)
  const post = headers(bearer, true)
  const check = async (r) => {
    if (!r.ok) throw new Error(`fetch: ${r.status} ${await r.text()}`)
    return r.json()
  }
  return async (call, seed, i, key) => {
    const loan = seed.loanFor(call, i)
    if (call === 'get_loan') return check(await fetch(`${url}/v1/loans/${loan}`, { headers: get }))
    if (call === 'list_loans') return check(await fetch(`${url}/v1/loans?page=1&rows=10`, { headers: get }))
    return check(
      await fetch(`${url}/v1/loans/${loan}/repayments`, { method: 'POST', headers: post, body: repayment(key) }),
    )
  }
}

function undiciContender(url, bearer) {
  const { request } = require('undici')
  const get = headers(bearer, false)
  const post = headers(bearer, true)
  const check = async ({ statusCode, body }) => {
    if (statusCode >= 300) throw new Error(`undici: ${statusCode} ${await body.text()}`)
    return body.json()
  }
  return async (call, seed, i, key) => {
    const loan = seed.loanFor(call, i)
    if (call === 'get_loan') return check(await request(`${url}/v1/loans/${loan}`, { headers: get }))
    if (call === 'list_loans') return check(await request(`${url}/v1/loans?page=1&rows=10`, { headers: get }))
    return check(
      await request(`${url}/v1/loans/${loan}/repayments`, { method: 'POST', headers: post, body: repayment(key) }),
    )
  }
}

async function sdkClient(url) {
  const { Client } = await import(join(bindingDir, 'index.mjs'))
  return new Client({ baseUrl: url, authUrl: url, email: EMAIL, password: PASSWORD })
}

async function sdkContender(url) {
  const client = await sdkClient(url)
  return async (call, seed, i, key) => {
    const loan = seed.loanFor(call, i)
    if (call === 'get_loan') return client.getLoan(loan)
    if (call === 'list_loans') return client.listLoans({ page: 1, rows: 10 })
    return client.createRepayment(loan, { transactionAmount: 1.0, idempotencyKey: key })
  }
}

// ------------------------------------------------------------------ rounds

async function compare(adminApi, { id, call, concurrency, calls, rounds }, contenders) {
  const table = { id, call, concurrency, calls, baseline: contenders[0][0], seconds: {}, cpu_seconds: {} }
  for (let round = 0; round <= rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse()
    for (const [name, op] of order) {
      // Warm-up batches (round 0) are a quarter as long: they open connections and fill caches.
      const n = round === 0 ? Math.max(Math.ceil(calls / 4), concurrency) : calls
      const seed = await adminApi.seedFor(call, n)
      const tag = `${id}-${name}-${round}`.replace(/[^A-Za-z0-9-]/g, '_')
      const [wall, cpu] = await drive(n, concurrency, (i) => op(call, seed, i, `${tag}-${i}`))
      if (round > 0) {
        ;(table.seconds[name] ??= []).push(wall)
        ;(table.cpu_seconds[name] ??= []).push(cpu)
      }
    }
  }
  const rates = Object.entries(table.seconds).map(([n, s]) => `${n} ${Math.round(calls / median(s))}/s`)
  console.error(`  ${id}: ${rates.join(', ')}`)
  return table
}

function packageVersion(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version
}

async function run(opts) {
  const url = opts.url
  const adminApi = await Admin.connect(url)
  const fetchOp = fetchContender(url, adminApi.bearer)
  const undiciOp = undiciContender(url, adminApi.bearer)
  const sdkOp = await sdkContender(url)
  const rounds = Number(opts.rounds ?? 5)
  const scenarios = []
  const plans = [
    // The targets name fetch sequentially and undici.request at 256 in flight: each table's
    // first contender is its baseline.
    [1, Number(opts['seq-calls'] ?? 1000), [['fetch', fetchOp], ['undici.request', undiciOp], ['bsa-lms Client', sdkOp]]],
    [256, Number(opts['conc-calls'] ?? 3000), [['undici.request', undiciOp], ['fetch', fetchOp], ['bsa-lms Client', sdkOp]]],
  ]
  for (const [concurrency, calls, contenders] of plans) {
    for (const call of CALLS) {
      const plan = { id: `node/${call}/c${concurrency}`, call, concurrency, calls, rounds }
      scenarios.push(await compare(adminApi, plan, contenders))
    }
  }
  const report = {
    language: 'node',
    versions: {
      node: process.version,
      'undici (package)': packageVersion(dirname(require.resolve('undici/package.json'))),
      'undici (bundled, behind fetch)': process.versions.undici,
      'bsa-lms': packageVersion(bindingDir),
    },
    scenarios,
  }
  writeFileSync(opts.out, JSON.stringify(report, null, 1))
}

// ------------------------------------------------------------------ memory

async function mem(opts) {
  const url = opts.url
  const total = Number(opts.calls ?? 100000)
  const concurrency = Number(opts.concurrency ?? 16)
  const adminApi = await Admin.connect(url)
  const { loan } = await adminApi.resetAndSeed(0)
  const client = await sdkClient(url)
  const checkpoints = [...new Set([1000, 10000, Math.floor(total / 2), total])].filter((c) => c > 0 && c <= total)
  checkpoints.sort((a, b) => a - b)
  const rss = {}
  let done = 0
  for (const checkpoint of checkpoints) {
    await drive(checkpoint - done, concurrency, () => client.getLoan(loan))
    done = checkpoint
    globalThis.gc?.()
    rss[checkpoint] = Math.round(process.memoryUsage.rss() / 1024)
  }
  console.log(JSON.stringify({ calls: total, concurrency, gc: typeof globalThis.gc === 'function', rss_kib: rss }))
}

// ------------------------------------------------------------------ require time and size

function requireSeconds(target, runs) {
  const code = `const t = process.hrtime.bigint(); require(${JSON.stringify(target)}); console.log(Number(process.hrtime.bigint() - t) / 1e9)`
  const times = []
  for (let i = 0; i < runs; i++) times.push(Number(execFileSync(process.execPath, ['-e', code], { cwd: '/' }).toString()))
  return median(times)
}

function duBytes(path) {
  const st = statSync(path)
  if (!st.isDirectory()) return st.size
  return readdirSync(path).reduce((sum, name) => sum + duBytes(join(path, name)), 0)
}

function imports(opts) {
  const runs = Number(opts.runs ?? 7)
  // What `npm pack` would ship (the package's `files`, the prebuilt native module included).
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: bindingDir }).toString())[0]
  const undiciDir = dirname(require.resolve('undici/package.json'))
  console.log(
    JSON.stringify({
      'bsa-lms': { require_seconds: requireSeconds(bindingDir, runs), own_bytes: packed.unpackedSize },
      undici: { require_seconds: requireSeconds(undiciDir, runs), own_bytes: duBytes(undiciDir) },
    }),
  )
}

// ------------------------------------------------------------------ main

const [command, ...rest] = process.argv.slice(2)
const opts = {}
for (let i = 0; i < rest.length; i += 2) opts[rest[i].replace(/^--/, '')] = rest[i + 1]
if (command === 'run') await run(opts)
else if (command === 'mem') await mem(opts)
else if (command === 'imports') imports(opts)
else {
  console.error('usage: node bench.mjs run|mem|imports [--flag value ...]')
  process.exit(2)
}
