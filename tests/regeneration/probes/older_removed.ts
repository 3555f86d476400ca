// Must not type-check against the older revision: it has no externalId forms.
import { Client } from "./index.js";

export async function probe(client: Client): Promise<void> {
  await client.getLoanByExternalId("x");
}
