// Compile-time tests of the public types (`make typecheck` runs tsc --strict on them).
import {
  ApiError,
  ApiTimeoutError,
  ApiConnectionError,
  Client,
  ConflictError,
  AbortedError,
  LmsError,
  NotFoundError,
  PagePromise,
  type ClientOptions,
  type CreateLoanParams,
  type ErrorKind,
  type FieldError,
  type Loan,
  type LoanPage,
  type Page,
  type RequestOptions,
  type Transaction,
} from 'bsa-lms'

type IsAny<T> = 0 extends 1 & T ? true : false
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function expectType<T extends true>(): T | void {}

// No method takes or returns `any`.
type Fn = (...args: never[]) => unknown
type AnyIn<F> = F extends (...args: infer A) => infer R
  ? IsAny<R> extends true
    ? true
    : true extends { [I in keyof A]: IsAny<A[I]> }[number]
      ? true
      : false
  : false
type MethodsWithAny = { [K in keyof Client]: Client[K] extends Fn ? (AnyIn<Client[K]> extends true ? K : never) : never }[keyof Client]
expectType<Equal<MethodsWithAny, never>>()
expectType<Equal<IsAny<Loan['repaymentSchedule']>, false>>()
expectType<Equal<Loan['repaymentSchedule'], unknown>>()

declare const client: Client

async function shapes(): Promise<void> {
  // Path parameters positional, then one params object, then options.
  const loan = await client.getLoan('501')
  expectType<Equal<typeof loan, Loan>>()
  expectType<Equal<typeof loan.id, string>>()
  // `null` is allowed where the field is optional (read it like absent).
  expectType<Equal<typeof loan.totalOutstanding, number | null | undefined>>()
  // Unknown fields are reachable as unknown.
  const extra = loan['somethingNew']
  expectType<Equal<typeof extra, unknown>>()

  const tx = await client.createRepaymentByExternalId('ref', { transactionAmount: 1, transactionDate: new Date() })
  expectType<Equal<typeof tx, Transaction>>()
  const empty = await client.deleteLoan('501')
  expectType<Equal<typeof empty, null>>()

  // Lists: a PagePromise that awaits to a page and iterates items.
  const listing = client.listLoans({ rows: 10 }, { timeout: 5000 })
  expectType<Equal<typeof listing, PagePromise<LoanPage, Loan>>>()
  const page = await listing
  expectType<Equal<typeof page, Page<LoanPage, Loan>>>()
  expectType<Equal<typeof page.items, Loan[]>>()
  const next = await page.getNextPage()
  if (next !== null) expectType<Equal<typeof next.items, Loan[]>>()
  for await (const item of client.listLoans()) expectType<Equal<typeof item, Loan>>()
  for await (const item of page) expectType<Equal<typeof item, Loan>>()

  // The union body field takes an id as number or string.
  const params: CreateLoanParams = { customerId: '42', productId: 1, principal: 100 }
  await client.createLoan({ ...params, customerId: 42 })

  // @ts-expect-error path parameters are strings
  await client.getLoan(501)
  // @ts-expect-error principal is required
  await client.createLoan({ customerId: 1, productId: 1 })
  // @ts-expect-error unknown parameters are rejected
  await client.listLoans({ colour: 'red' })
  // @ts-expect-error sortOrder is ASC or DESC
  await client.listLoans({ sortOrder: 'UP' })
  // @ts-expect-error options are typed
  await client.getLoan('1', { retries: 3 })
}

function options(): void {
  const o: ClientOptions = { email: 'a@b.c', password: 'pw', timeout: 30_000, maxRetries: 0, headers: { 'x-a': 'b' } }
  const c = new Client(o)
  const r: RequestOptions = { signal: new AbortController().signal, timeout: 1000 }
  void c.withOptions({ maxRetries: 1 }).getLoan('1', r)
  expectType<Equal<ReturnType<Client['withOptions']>, Client>>()
  expectType<Equal<ReturnType<Client['tokenMints']>, number>>()
  // @ts-expect-error no such option
  void new Client({ colour: 'red' })
}

function errors(err: unknown): string {
  if (err instanceof NotFoundError) {
    expectType<Equal<typeof err.status, number | null>>()
    expectType<Equal<typeof err.code, string | null>>()
    return err.message
  }
  if (err instanceof ConflictError) {
    expectType<Equal<typeof err, AbortedError>>()
  }
  if (err instanceof ApiTimeoutError) {
    const base: ApiConnectionError = err
    void base
  }
  if (err instanceof ApiError) {
    const fields: FieldError[] = err.fieldErrors
    const kind: ErrorKind = err.kind
    return `${kind} ${fields.length}`
  }
  if (err instanceof LmsError) return err.authReason ?? 'none'
  return 'other'
}

void shapes
void options
void errors
