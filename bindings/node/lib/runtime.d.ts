// Types of the hand-written runtime (lib/runtime.js); index.d.ts re-exports them.

/** One entry of an `invalid_argument` answer, or the argument the SDK rejected. */
/** A file argument: a path, the bytes, or a readable stream (read to its end before sending). */
export type FileInput = string | Uint8Array | ArrayBuffer | AsyncIterable<Uint8Array | string>

export interface FieldError {
  /** Name of the offending field or parameter, as the API spells it. */
  field: string
  /** What is wrong with it, e.g. `required`. */
  error: string
}

/** What went wrong; picks the error class (see `LmsError`). */
export type ErrorKind =
  | 'api'
  | 'invalid_argument'
  | 'unauthenticated'
  | 'permission_denied'
  | 'not_found'
  | 'aborted'
  | 'failed_precondition'
  | 'internal'
  | 'unavailable'
  | 'rate_limited'
  | 'authentication'
  | 'connection'
  | 'timeout'
  | 'decode'
  | 'invalid_request'
  /** A bug inside the native module (it never crashes the process). */
  | 'panic'

/** Why minting a token failed (`AuthenticationError.authReason`). */
export type AuthReason = 'bad_credentials' | 'unreachable' | 'server_error' | 'invalid_response' | 'no_credentials'

/** The fields every SDK error carries. */
export interface LmsErrorFields {
  kind?: ErrorKind
  code?: string | null
  status?: number | null
  fieldErrors?: FieldError[]
  body?: string | null
  authReason?: AuthReason | null
  maybeApplied?: boolean
}

/**
 * Base class of every error the SDK raises. Secrets (password, token) never
 * appear in it.
 */
export declare class LmsError extends Error {
  constructor(message: string, fields?: LmsErrorFields, options?: ErrorOptions)
  /** What went wrong. */
  kind: ErrorKind
  /** The API's error code (open string) when the body was an error envelope, else `null`. */
  code: string | null
  /** HTTP status when a response arrived, else `null`. */
  status: number | null
  /** Field errors of an `invalid_argument` answer or of a rejected argument. */
  fieldErrors: FieldError[]
  /** Raw response body (at most 64 KiB), when a response arrived. */
  body: string | null
  /** Why minting a token failed, for `AuthenticationError`. */
  authReason: AuthReason | null
  /**
   * `true` when the request may have reached the server and a write may have been
   * committed (timeout or dropped connection after sending, 500/502/503/504, an
   * unreadable success answer); `false` when it certainly was not applied (rejected
   * before sending, never sent, refused with a 4xx answer). Reconcile a `true` by
   * repeating the call with the same `idempotencyKey`/`externalId`, or by looking the
   * record up.
   */
  maybeApplied: boolean
}
/** An error answer of the API (also unknown codes and unclassified statuses). */
export declare class ApiError extends LmsError {}
/** `invalid_argument`: the request was malformed; see `fieldErrors`. */
export declare class InvalidArgumentError extends ApiError {}
/** `unauthenticated`: token missing, expired, foreign or lacking the admin role. */
export declare class UnauthenticatedError extends ApiError {}
/** `permission_denied`: forbidden, also used for date and some state rules. */
export declare class PermissionDeniedError extends ApiError {}
/** `not_found`. */
export declare class NotFoundError extends ApiError {}
/** `aborted`: state conflict or duplicate externalId (HTTP 409). */
export declare class AbortedError extends ApiError {}
/** Alias of `AbortedError`. */
export declare const ConflictError: typeof AbortedError
export type ConflictError = AbortedError
/** `failed_precondition`: the resource is not in the required state. */
export declare class FailedPreconditionError extends ApiError {}
/** `internal`: unexpected upstream failure. */
export declare class InternalError extends ApiError {}
/** `unavailable`: temporary; retried automatically where safe. */
export declare class UnavailableError extends ApiError {}
/** HTTP 429 or `resource_exhausted`. */
export declare class RateLimitedError extends ApiError {}
/** The token host refused the credentials or could not be used; see `authReason`. */
export declare class AuthenticationError extends LmsError {}
/** The connection failed or was dropped. */
export declare class ApiConnectionError extends LmsError {}
/** The request did not complete in time. */
export declare class ApiTimeoutError extends ApiConnectionError {}
/** A response arrived but its body could not be decoded. */
export declare class DecodeError extends LmsError {}
/** The SDK rejected the request before sending it (bad argument or configuration). */
export declare class InvalidRequestError extends LmsError {}

/**
 * Rejection of a call whose `AbortSignal` fired; `cause` is the signal's
 * reason. The request may still have reached the server.
 */
export declare class AbortError extends Error {
  constructor(reason?: unknown, maybeApplied?: boolean)
  code: 'ABORT_ERR'
  /**
   * `true` when the signal fired after a call that can change server state was
   * started: it may have been applied. `false` for reads and for a signal that had
   * already fired (nothing was sent).
   */
  maybeApplied: boolean
}

/** Client settings. Unset values come from `BSA_LMS_*` environment variables, then defaults. */
export interface ClientOptions {
  /** Main API host (`BSA_LMS_BASE_URL`; default the staging host). */
  baseUrl?: string
  /** Token host (`BSA_LMS_AUTH_URL`). */
  authUrl?: string
  /** Partner account email (`BSA_LMS_EMAIL`); tokens are minted, cached and refreshed. */
  email?: string
  /** Partner account password (`BSA_LMS_PASSWORD`). */
  password?: string
  /** A ready token (`BSA_LMS_TOKEN`); without credentials a 401 is final. */
  token?: string
  /** Per-attempt timeout in milliseconds (default 60 000). */
  timeout?: number
  /** Connection timeout in milliseconds (default 10 000). */
  connectTimeout?: number
  /** Retries of transient failures (default 2, 0 = off). Money-moving POSTs are retried only when safe. */
  maxRetries?: number
  /** Extra headers on every request. */
  headers?: Record<string, string>
  /** Refresh a token with less than this many milliseconds left (default 7 days). */
  refreshThreshold?: number
  /** Mint a fresh token in the background at least this often (milliseconds; off by default). */
  rotationInterval?: number
  /**
   * A file through which the processes of one machine share tokens (`BSA_LMS_TOKEN_CACHE`):
   * a fresh token another process stored there is used instead of minting. Owner-only.
   */
  tokenCache?: string
  /** Allow plain http to non-loopback hosts (never in production). */
  allowInsecureHttp?: boolean
  /**
   * Also replay, after an ambiguous failure, a POST whose `idempotencyKey` the API is
   * only inferred (not documented) to deduplicate. Off by default: such a call fails
   * with `maybeApplied`.
   */
  replayInferredIdempotencyKeys?: boolean
}

/** Options of one call (the last argument of every method). */
export interface RequestOptions {
  /** Per-attempt timeout in milliseconds. */
  timeout?: number
  /** Retries of transient failures for this call. */
  maxRetries?: number
  /** Extra headers for this call. */
  headers?: Record<string, string>
  /**
   * Aborting rejects the call with `AbortError` and drops the request; its `maybeApplied`
   * says whether a write may already have reached the server.
   */
  signal?: AbortSignal
}

/** Paging helpers added (non-enumerable) to every page a list method returns. */
export interface PageMethods<P, T> {
  /**
   * Whether another page follows (`page × rowsPerPage < total`, and this page is not empty).
   * Throws `DecodeError` when the server's pages cannot end: a page repeated, another page
   * number answered, or more records than `total`.
   */
  hasNextPage(): boolean
  /** Fetches the next page, or gives `null` after the last one. */
  getNextPage(): Promise<Page<P, T> | null>
  /** Iterates the items of this page and every following page. */
  [Symbol.asyncIterator](): AsyncIterator<T>
}

/**
 * A page as received (`items`, `total`, `page`, `rowsPerPage`, …) plus paging helpers;
 * `items` sent as `null` reads as an empty list.
 */
export type Page<P, T> = Omit<P, 'items'> & { items: T[] } & PageMethods<P, T>

/**
 * What a list method returns: `await` gives the first page, `for await`
 * iterates every item of every page. Nothing is sent until it is used.
 */
export declare class PagePromise<P, T> implements PromiseLike<Page<P, T>>, AsyncIterable<T> {
  private constructor()
  then<R1 = Page<P, T>, R2 = never>(
    onfulfilled?: ((page: Page<P, T>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2>
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<Page<P, T> | R>
  finally(onfinally?: (() => void) | null): Promise<Page<P, T>>
  [Symbol.asyncIterator](): AsyncIterator<T>
  readonly [Symbol.toStringTag]: string
}

/** Construction, shared helpers and the call path of `Client`. */
export declare class BaseClient {
  /**
   * Builds a client; needs credentials (`email` + `password`) or a `token`,
   * given here or in `BSA_LMS_*` variables. Throws `InvalidRequestError` on a
   * bad option. Nothing is sent until the first call.
   */
  constructor(options?: ClientOptions)
  /** A client sharing this one's connections and token cache that applies `options` to every call. */
  withOptions(options: Omit<RequestOptions, 'signal'>): this
  /** A bearer token, minted or refreshed as needed (e.g. to hand to another tool). */
  accessToken(): Promise<string>
  /** Tokens minted by this client (and the clients sharing its cache) so far. */
  tokenMints(): number
  /** Stops background token rotation; later calls fail with `InvalidRequestError`. */
  close(): void
  /** Names the base URL and auth mode, never a secret. */
  toString(): string
}

/** Snake_case ids of every operation the native core can call. */
export declare function operations(): string[]
