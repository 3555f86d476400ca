// Uses the older revision's operations through the generated TypeScript surface.
import { Client } from "./index.js";

export async function probe(client: Client): Promise<void> {
  await client.activateCustomer("42", { activationDate: "2026-05-22" });
  await client.approveLoan("501", { approvedOnDate: "2026-05-23" });
  const score = await client.getCreditScorecard("255762260621");
  const mobile: number | undefined = score.mobileNumber;
  console.log(mobile);
}
