// Uses what the changed spec adds, through the generated TypeScript surface.
import { Client, type LoanStatement } from "./index.js";

export async function probe(client: Client): Promise<void> {
  const statement: LoanStatement = await client.getLoanStatement("1");
  const loanId: string = statement.loanId;
  const loan = await client.getLoan("1");
  const band: string | undefined = loan.riskBand;
  await client.createCustomer({ externalId: "x", mobileNo: "255700000000" });
  console.log(loanId, band);
}
