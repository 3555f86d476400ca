'use strict'
// Hand-written runtime of the Node binding: error classes, option checks,
// the call path into the native module, and pagination. The per-operation
// Client methods are generated into ../index.js from openapi.json.

const util = require('node:util')
const native = require('../native.js')

// ---------------------------------------------------------------- errors

/** Base class of every error the SDK raises. */
class LmsError extends Error {
  constructor(message, fields = {}, options = undefined) {
    super(message, options)
    this.kind = fields.kind ?? 'unknown'
    this.code = fields.code ?? null
    this.status = fields.status ?? null
    this.fieldErrors = fields.fieldErrors ?? []
    this.body = fields.body ?? null
    this.authReason = fields.authReason ?? null
    this.maybeApplied = fields.maybeApplied ?? false
  }
}
class ApiError extends LmsError {}
class InvalidArgumentError extends ApiError {}
class UnauthenticatedError extends ApiError {}
class PermissionDeniedError extends ApiError {}
class NotFoundError extends ApiError {}
class AbortedError extends ApiError {}
class FailedPreconditionError extends ApiError {}
class InternalError extends ApiError {}
class UnavailableError extends ApiError {}
class RateLimitedError extends ApiError {}
class AuthenticationError extends LmsError {}
class ApiConnectionError extends LmsError {}
class ApiTimeoutError extends ApiConnectionError {}
class DecodeError extends LmsError {}
class InvalidRequestError extends LmsError {}

/** Rejection of a call whose `AbortSignal` fired (not an `LmsError`: nothing failed). */
class AbortError extends Error {
  constructor(reason, maybeApplied = false) {
    super('The operation was aborted', reason === undefined ? undefined : { cause: reason })
    this.code = 'ABORT_ERR'
    this.maybeApplied = maybeApplied
  }
}

const ERRORS = {
  LmsError, ApiError, InvalidArgumentError, UnauthenticatedError, PermissionDeniedError,
  NotFoundError, AbortedError, ConflictError: AbortedError, FailedPreconditionError,
  InternalError, UnavailableError, RateLimitedError, AuthenticationError,
  ApiConnectionError, ApiTimeoutError, DecodeError, InvalidRequestError, AbortError,
}
for (const [name, cls] of Object.entries(ERRORS)) {
  if (name !== 'ConflictError') {
    Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true })
  }
}

const BY_KIND = {
  api: ApiError,
  invalid_argument: InvalidArgumentError,
  unauthenticated: UnauthenticatedError,
  permission_denied: PermissionDeniedError,
  not_found: NotFoundError,
  aborted: AbortedError,
  failed_precondition: FailedPreconditionError,
  internal: InternalError,
  unavailable: UnavailableError,
  rate_limited: RateLimitedError,
  authentication: AuthenticationError,
  connection: ApiConnectionError,
  timeout: ApiTimeoutError,
  decode: DecodeError,
  invalid_request: InvalidRequestError,
}

/** Turns a native rejection (an Error with the core's fields) into its class. */
function fromNative(err) {
  if (err instanceof LmsError || err instanceof AbortError) return err
  if (err === null || typeof err !== 'object' || typeof err.kind !== 'string') {
    // Argument conversion failed inside napi; its message may quote the value, so it is dropped.
    return new InvalidRequestError('an argument could not be converted (use JSON values, Date or string)', {
      kind: 'invalid_request',
    })
  }
  const cls = BY_KIND[err.kind] ?? LmsError
  return new cls(err.message, {
    kind: err.kind,
    code: err.code,
    status: err.status,
    fieldErrors: err.fieldErrors,
    body: err.body,
    authReason: err.authReason,
    maybeApplied: err.maybeApplied === true,
  })
}

function invalid(field, message) {
  return new InvalidRequestError(`${field}: ${message}`, {
    kind: 'invalid_request',
    fieldErrors: [{ field, error: message }],
  })
}

// ---------------------------------------------------------------- options

const STRING_OPTIONS = ['baseUrl', 'authUrl', 'email', 'password', 'token', 'tokenCache']
const MILLIS_OPTIONS = ['timeout', 'connectTimeout', 'refreshThreshold', 'rotationInterval']
const BOOLEAN_OPTIONS = ['allowInsecureHttp', 'replayInferredIdempotencyKeys']
const CLIENT_OPTIONS = new Set([...STRING_OPTIONS, ...MILLIS_OPTIONS, ...BOOLEAN_OPTIONS, 'maxRetries', 'headers'])
const CALL_OPTIONS = new Set(['timeout', 'maxRetries', 'headers', 'signal'])

function checkObject(field, value) {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(field, 'must be an object')
  return value
}

function checkKnown(field, value, known) {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw invalid(`${field}.${key}`, 'unknown option')
  }
}

function checkMillis(field, value) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(field, 'must be a positive number of milliseconds')
  }
  return value
}

function checkRetries(field, value) {
  if (!Number.isInteger(value) || value < 0 || value > 100) throw invalid(field, 'must be an integer from 0 to 100')
  return value
}

function checkHeaders(field, value) {
  const headers = checkObject(field, value)
  const out = {}
  for (const [name, v] of Object.entries(headers)) {
    // Header values may be secrets: name the header, never the value.
    if (typeof v !== 'string') throw invalid(`${field}.${name}`, 'must be a string')
    out[name] = v
  }
  return out
}

/** Validates client options in JS, so that no option value ever reaches an error message. */
function nativeClientOptions(options) {
  const o = checkObject('options', options)
  checkKnown('options', o, CLIENT_OPTIONS)
  const out = { userAgentSuffix: `node/${process.versions.node}` }
  for (const key of STRING_OPTIONS) {
    if (o[key] === undefined || o[key] === null) continue
    if (typeof o[key] !== 'string') throw invalid(key, 'must be a string')
    out[key] = o[key]
  }
  for (const key of MILLIS_OPTIONS) {
    if (o[key] === undefined || o[key] === null) continue
    // A refresh threshold of 0 (refresh only once expired) is valid in every language.
    out[key] = key === 'refreshThreshold' && o[key] === 0 ? 0 : checkMillis(key, o[key])
  }
  if (o.maxRetries !== undefined && o.maxRetries !== null) out.maxRetries = checkRetries('maxRetries', o.maxRetries)
  if (o.headers !== undefined && o.headers !== null) out.headers = checkHeaders('headers', o.headers)
  for (const key of BOOLEAN_OPTIONS) {
    if (o[key] === undefined || o[key] === null) continue
    if (typeof o[key] !== 'boolean') throw invalid(key, 'must be a boolean')
    out[key] = o[key]
  }
  return out
}

/** Merges default and per-call options; returns the native options (or null) and the signal. */
function callOptions(defaults, options) {
  const o = checkObject('options', options)
  checkKnown('options', o, CALL_OPTIONS)
  const merged = { ...defaults }
  if (o.timeout !== undefined) merged.timeout = checkMillis('timeout', o.timeout)
  if (o.maxRetries !== undefined) merged.maxRetries = checkRetries('maxRetries', o.maxRetries)
  if (o.headers !== undefined) merged.headers = { ...defaults.headers, ...checkHeaders('headers', o.headers) }
  const signal = o.signal ?? null
  if (signal !== null && !(signal instanceof AbortSignal)) throw invalid('signal', 'must be an AbortSignal')
  return { native: Object.keys(merged).length === 0 ? null : merged, signal }
}

// ---------------------------------------------------------------- arguments

function pad(n, width) {
  return String(n).padStart(width, '0')
}

/** A `Date` is sent as its local calendar date, `YYYY-MM-DD`. */
function dateString(date) {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid Date')
  return `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1, 2)}-${pad(date.getDate(), 2)}`
}

function wire(field, value) {
  if (typeof value === 'number') {
    // JSON has no NaN or infinity, and an integer past 2^53 has already lost digits.
    if (!Number.isFinite(value)) throw invalid(field, 'must be a finite number')
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw invalid(field, 'is an integer beyond Number.MAX_SAFE_INTEGER, which cannot be sent exactly')
    }
    return value
  }
  if (value instanceof Date) {
    try {
      return dateString(value)
    } catch {
      throw invalid(field, 'is an invalid Date')
    }
  }
  return value
}

/**
 * Builds the native call's arguments from a generated operation descriptor:
 * `op.path` (snake_case path parameter names, in order), `op.query`
 * (camelCase → snake_case) and `op.body` (body field names, or null).
 */
function buildArgs(op, positional, params) {
  const args = {}
  op.path.forEach((name, i) => {
    let value = positional[i]
    if (typeof value === 'number' && Number.isFinite(value)) value = String(value)
    if (typeof value !== 'string' || value === '') throw invalid(name, 'must be a non-empty string')
    args[name] = value
  })
  const p = checkObject('params', params)
  const body = op.body === null ? null : {}
  for (const [key, value] of Object.entries(p)) {
    if (value === undefined || value === null) continue
    if (Object.hasOwn(op.query, key)) {
      args[op.query[key]] = wire(key, value)
    } else if (body !== null && op.body.includes(key)) {
      body[key] = wire(key, value)
    } else {
      throw invalid(key, `unknown parameter of ${op.name}`)
    }
  }
  if (body !== null) args.body = body
  return args
}

/** A file argument as the core takes it: `{ base64, filename }`. */
async function readFilePart(field, value) {
  let data
  let filename = 'file'
  if (typeof value === 'string') {
    try {
      data = await require('node:fs/promises').readFile(value)
    } catch (err) {
      throw invalid(field, `cannot read ${JSON.stringify(value)}: ${err.message}`)
    }
    filename = require('node:path').basename(value)
  } else if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    data = Buffer.from(value)
  } else if (typeof value[Symbol.asyncIterator] === 'function') {
    const chunks = []
    for await (const chunk of value) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk))
    data = Buffer.concat(chunks)
    if (typeof value.path === 'string') filename = require('node:path').basename(value.path)
  } else {
    throw invalid(field, 'must be a file path, a Buffer/Uint8Array, or a readable stream')
  }
  return { base64: data.toString('base64'), filename }
}

// ---------------------------------------------------------------- client

const kShared = Symbol('bsa-lms.shared')

/** The hand-written part of `Client`: construction, calls, pagination. */
class BaseClient {
  #native
  #defaults
  #label

  constructor(options = {}, shared = undefined) {
    if (shared !== undefined && shared[kShared]) {
      ;({ native: this.#native, defaults: this.#defaults, label: this.#label } = shared[kShared])
      return
    }
    const nativeOptions = nativeClientOptions(options)
    try {
      this.#native = new native.NativeClient(nativeOptions)
    } catch (err) {
      throw fromNative(err)
    }
    this.#defaults = {}
    const auth = nativeOptions.email || process.env.BSA_LMS_EMAIL ? 'credentials' : 'token'
    const baseUrl = nativeOptions.baseUrl ?? process.env.BSA_LMS_BASE_URL ?? 'default'
    this.#label = `${this.constructor.name} { baseUrl: ${JSON.stringify(baseUrl)}, auth: '${auth}' }`
  }

  /**
   * A client that shares this one's connections and token cache and applies
   * `options` (timeout, maxRetries, headers) to every call.
   */
  withOptions(options) {
    const { native: defaults } = callOptions(this.#defaults, options)
    return new this.constructor(undefined, {
      [kShared]: { native: this.#native, defaults: defaults ?? {}, label: this.#label },
    })
  }

  /** A bearer token, minted or refreshed as needed (e.g. to hand to another tool). */
  async accessToken() {
    try {
      return await this.#native.accessToken()
    } catch (err) {
      throw fromNative(err)
    }
  }

  /** Tokens minted by this client (and the clients sharing its cache) so far. */
  tokenMints() {
    return this.#native.tokenMints()
  }

  /** Stops background token rotation; later calls fail with `InvalidRequestError`. */
  close() {
    this.#native.close()
  }

  toString() {
    return this.#label
  }

  [util.inspect.custom]() {
    return this.#label
  }

  /** Calls one operation; the generated methods go through here. */
  _request(op, positional, params, options) {
    if (op.files !== undefined && typeof params === 'object' && params !== null) {
      // File parts are read first (path, bytes or stream), then sent as base64.
      const read = op.files.map((key) => (params[key] == null ? null : readFilePart(key, params[key])))
      const { files: _, ...plain } = op
      return Promise.all(read).then((parts) => {
        const ready = { ...params }
        op.files.forEach((key, i) => {
          if (parts[i] !== null) ready[key] = parts[i]
        })
        return this._request(plain, positional, ready, options)
      })
    }
    let args, opts
    try {
      args = buildArgs(op, positional, params)
      opts = callOptions(this.#defaults, options)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#send(op.id, args, opts)
  }

  /** Calls a list operation: a `PagePromise` of the first page that also iterates every item. */
  _list(op, positional, params, options) {
    // A bad `params` value is reported by `_request` when the page is fetched.
    const object = typeof params === 'object' && params !== null
    const fetch = (page) => this._request(op, positional, object ? { ...params, page } : params, options)
    return new PagePromise(fetch, object && params.page != null ? params.page : 1, object ? params.rows : undefined)
  }

  #send(id, args, { native: nativeOptions, signal }) {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason))
    const abort = signal ? new native.NativeAbort() : null
    let pending
    try {
      pending = this.#native.call(id, args, nativeOptions, abort)
    } catch (err) {
      return Promise.reject(fromNative(err))
    }
    const result = pending.then(JSON.parse, (err) => {
      throw fromNative(err)
    })
    if (!signal) return result
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        abort.abort()
        // The request may already be on the wire: only a read is certainly harmless.
        reject(new AbortError(signal.reason, native.mayWrite(id)))
      }
      signal.addEventListener('abort', onAbort, { once: true })
      const done = () => signal.removeEventListener('abort', onAbort)
      result.then(
        (value) => (done(), resolve(value)),
        (err) => (done(), reject(err)),
      )
    })
  }
}

// ---------------------------------------------------------------- pagination

function fingerprint(page) {
  return page.items.map((item) => String(item?.id)).join('\u0000')
}

/**
 * Adds non-enumerable paging helpers to a page as received (its JSON is unchanged).
 * `after` is the page before it in this iteration, for the core's paging rule.
 */
function decoratePage(page, number, rows, fetch, after = null) {
  // `null` items is an empty page.
  if (page !== null && typeof page === 'object' && page.items === null) page.items = []
  if (page === null || typeof page !== 'object' || !Array.isArray(page.items)) {
    throw new DecodeError('a list response has no items array', { kind: 'decode' })
  }
  const info = {
    requested: number,
    echoed: typeof page.page === 'number' ? page.page : undefined,
    count: page.items.length,
    rowsPerPage: typeof page.rowsPerPage === 'number' ? page.rowsPerPage : rows,
    total: typeof page.total === 'number' ? page.total : undefined,
    recordsBefore: after === null ? 0 : after.before + after.page.items.length,
    fingerprint: fingerprint(page),
    previousFingerprint: after === null ? undefined : fingerprint(after.page),
  }
  const nextNumber = () => {
    try {
      return native.nextPage(info)
    } catch (err) {
      throw fromNative(err)
    }
  }
  const helpers = {
    hasNextPage: () => nextNumber() !== null,
    async getNextPage() {
      const next = nextNumber()
      if (next === null) return null
      return decoratePage(await fetch(next), next, rows, fetch, { page, before: info.recordsBefore })
    },
    async *[Symbol.asyncIterator]() {
      let current = page
      while (current !== null) {
        yield* current.items
        current = await current.getNextPage()
      }
    },
  }
  for (const key of Reflect.ownKeys(helpers)) {
    Object.defineProperty(page, key, { value: helpers[key], enumerable: false, configurable: true, writable: true })
  }
  return page
}

/**
 * The result of a list method: awaiting it gives the first page (as received,
 * plus `hasNextPage()` / `getNextPage()`); `for await` iterates every item
 * of every page, fetching pages as it goes. Nothing is sent until it is used.
 */
class PagePromise {
  #fetch
  #page
  #rows
  #first = null

  constructor(fetch, page, rows) {
    this.#fetch = fetch
    this.#page = page
    this.#rows = rows
  }

  #firstPage() {
    this.#first ??= this.#fetch(this.#page).then((p) => decoratePage(p, this.#page, this.#rows, this.#fetch))
    return this.#first
  }

  then(onFulfilled, onRejected) {
    return this.#firstPage().then(onFulfilled, onRejected)
  }

  catch(onRejected) {
    return this.#firstPage().catch(onRejected)
  }

  finally(onFinally) {
    return this.#firstPage().finally(onFinally)
  }

  async *[Symbol.asyncIterator]() {
    yield* await this.#firstPage()
  }

  get [Symbol.toStringTag]() {
    return 'PagePromise'
  }
}

module.exports = { ...ERRORS, BaseClient, PagePromise, operations: native.operations }
