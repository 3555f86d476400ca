"""Must not type-check against the older revision: it has no externalId forms."""

from bsa_lms import Client


def probe(client: Client) -> None:
    client.get_loan_by_external_id("x")
