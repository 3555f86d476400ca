// Must not type-check once getCreditScorecard is removed from the spec.
import { Client } from "./index.js";

export async function probe(client: Client): Promise<void> {
  await client.getCreditScorecard("x");
}
