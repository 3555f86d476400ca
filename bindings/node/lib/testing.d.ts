import type { ClientOptions } from './runtime.js'

/** The seed account (role ADMIN) every sandbox starts with. */
export declare const EMAIL: 'ada@example.com'
export declare const PASSWORD: 'correct-horse-battery-staple'

/**
 * How a faulted request fails:
 * - `status`: the handler does not run; the answer is `status` (default 503) with the API's error envelope.
 * - `drop_before`: the handler does not run; the connection closes without a response.
 * - `drop_after`: the handler runs (its write is committed); the connection closes without a response byte.
 * - `delay`: the handler runs after `delayMs` (default 1000); the normal answer, late.
 * - `malformed`: the handler runs; `200` with a body that is not valid JSON.
 * - `truncated`: the handler runs; the first half of the real body.
 * - `html`: the handler does not run; `status` (default 502) with an HTML error page.
 * - `empty`: the handler does not run; `status` (default 500) with an empty body.
 */
export type FaultKind = 'status' | 'drop_before' | 'drop_after' | 'delay' | 'malformed' | 'truncated' | 'html' | 'empty'
export declare const FAULT_KINDS: readonly FaultKind[]

export interface SandboxOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number
  /** Lifetime of minted tokens in seconds (default 365 days); `reset()` returns to it. */
  tokenLifetimeSeconds?: number
  /** The business date (`YYYY-MM-DD` or a local `Date`); default the current UTC date; `reset()` returns to it. */
  today?: string | Date
}

export interface FaultOptions {
  /** Only requests with this HTTP method (default: any). */
  method?: string
  /** How many matching requests it applies to (default 1). */
  count?: number
  /** The answer's status for `status`, `html` and `empty`. */
  status?: number
  /** Seconds, sent as `Retry-After` with `status`, `html` and `empty` answers. */
  retryAfter?: number
  /** The wait of a `delay` fault, in milliseconds. */
  delayMs?: number
}

export interface PendingFault {
  id: string
  path: string
  kind: FaultKind
  count: number
  method?: string
  status?: number
  retryAfter?: number
  delayMs?: number
  [key: string]: unknown
}

/** What the sandbox counted since its last reset. */
export interface Stats {
  tokenMints: number
  /** Requests by `"<METHOD> <route template>"`, e.g. `"POST /v1/loans/{loan_id}/repayments"`; faulted and rejected ones included. */
  requests: Record<string, number>
  customers: number
  loans: number
  transactions: number
  repayments: number
}

export interface SandboxAccount {
  email: string
  password: string
  /** Default `["ADMIN"]`; other roles mint tokens the API answers with 401. */
  roles?: string[]
}

/** An admin call the sandbox refused (a bad argument, or a state rule). */
export declare class SandboxAdminError extends Error {
  readonly status: number
  readonly body: string
}

/** A BSA LMS sandbox on a loopback port, inside this process (its own thread; no binary, no network). */
export declare class Sandbox {
  private constructor()
  /** Starts a sandbox on a free loopback port. */
  static start(options?: SandboxOptions): Promise<Sandbox>
  /** Base URL of both the token host and the API (`http://127.0.0.1:<port>`). */
  readonly url: string
  /** The secret of this instance's admin surface (sent by every helper here). */
  readonly adminToken: string
  readonly email: string
  readonly password: string
  /** Options for `new Client(...)`: both hosts on the sandbox and the seed account; `extra` adds or overrides. */
  clientOptions(extra?: ClientOptions): ClientOptions
  /** Stops serving; the port is released. Safe to call twice. */
  close(): Promise<void>
  /** Back to the seed state: data and ids, faults, counters, revocations, forced 401s, accounts, scorecards, date and token lifetime. */
  reset(): Promise<void>
  /**
   * Queues a fault for the next matching requests and resolves to its id. `path` is matched segment by segment
   * against the path as sent: `*` is one segment, `**` any number (`"/v1/loans/*\/repayments"`, `"/v1/**"`;
   * `"/v1/auth/token"` faults the token host). Faults apply oldest first, before the token check.
   */
  fault(path: string, kind?: FaultKind, options?: FaultOptions): Promise<string>
  /** The pending faults, with their remaining `count`. */
  faults(): Promise<PendingFault[]>
  /** Drops every pending fault; resolves to how many there were. */
  clearFaults(): Promise<number>
  /** The next `count` API requests answer `401 unauthenticated` whatever their token (the token host is not affected). */
  unauthorized(count?: number): Promise<void>
  /** Every token minted so far is rejected with 401 from now on; new mints work. */
  expireTokens(): Promise<void>
  /** Lifetime of tokens minted from now on (`0` mints already-expired tokens). */
  setTokenLifetime(seconds: number): Promise<void>
  /** The business date, `YYYY-MM-DD`. */
  today(): Promise<string>
  /** Moves the business date (`null` follows the UTC date again); resolves to it. */
  setToday(today: string | Date | null): Promise<string>
  /** Adds a penalty or fee due with the next unpaid instalment of an Active loan; resolves to the loan JSON. */
  addCharge(loanId: string | number, kind: 'penalty' | 'fee', amount: number): Promise<Record<string, unknown>>
  /** Adds (or replaces) an account that can mint tokens. */
  addAccount(account: SandboxAccount): Promise<{ email: string; roles: string[]; sub: string }>
  /** Seeds a customer in status `Pending` (the API only creates Active ones). */
  addPendingCustomer(externalId: string): Promise<Record<string, unknown>>
  /** Seeds or replaces a credit scorecard entry. */
  setScorecard(externalId: string, entry?: { grade?: string; score?: number; limit?: number }): Promise<Record<string, unknown>>
  /** The next rollback that performs `afterStep` stops right after it and answers `500 internal`; `null` clears it. */
  setRollbackStop(afterStep: 'undo-disbursal' | 'undo-approval' | null): Promise<void>
  /** Field naming of transaction responses: the current one, or an older variant. */
  setTransactionShape(shape: 'current' | 'alt' | 'old'): Promise<void>
  /** Counters since the last reset. */
  stats(): Promise<Stats>
  /** Requests received for `"<METHOD> <route template>"`. */
  requests(route: string): Promise<number>
  [Symbol.asyncDispose](): Promise<void>
}
