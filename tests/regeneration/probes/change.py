"""Uses what the changed spec adds, through the generated Python surface."""

from bsa_lms import AsyncClient, Client
from bsa_lms.models import LoanStatement


def probe(client: Client) -> None:
    statement: LoanStatement = client.get_loan_statement("1")
    loan_id: str | None = statement.loan_id
    band: str | None = client.get_loan("1").risk_band
    client.create_customer(external_id="x", mobile_no="255700000000")
    print(loan_id, band)


async def probe_async(client: AsyncClient) -> None:
    statement: LoanStatement = await client.get_loan_statement("1")
    print(statement.generated_on)
