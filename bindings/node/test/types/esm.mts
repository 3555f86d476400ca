// The ESM entry's types (index.d.mts) as a module importer sees them.
import { Client, NotFoundError, type Customer } from 'bsa-lms'

export async function find(client: Client, ref: string): Promise<Customer | null> {
  try {
    return await client.getCustomerByExternalId(ref)
  } catch (err) {
    if (err instanceof NotFoundError) return null
    throw err
  }
}
