// bsa-lms/testing's types as an ES module importer sees them.
import { Client, UnavailableError } from 'bsa-lms'
import { FAULT_KINDS, Sandbox, SandboxAdminError, type FaultKind, type Stats } from 'bsa-lms/testing'

export async function outage(): Promise<number> {
  const sandbox: Sandbox = await Sandbox.start({ today: new Date(2026, 4, 25), tokenLifetimeSeconds: 60 })
  try {
    const client = new Client(sandbox.clientOptions({ maxRetries: 0 }))
    const kind: FaultKind = 'drop_after'
    const id: string = await sandbox.fault('/v1/loans/*/repayments', kind, { method: 'POST', count: 2 })
    await sandbox.fault('/v1/loan-products', 'status', { status: 503, retryAfter: 1 })
    const kinds: readonly FaultKind[] = FAULT_KINDS
    try {
      await client.listLoanProducts()
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err
    }
    const stats: Stats = await sandbox.stats()
    const today: string = await sandbox.setToday(null)
    await sandbox.addCharge('1', 'penalty', 25).catch((e: unknown) => e instanceof SandboxAdminError && e.status)
    return stats.repayments + id.length + kinds.length + today.length + (await sandbox.requests('GET /v1/loan-products'))
  } finally {
    await sandbox.close()
  }
}
