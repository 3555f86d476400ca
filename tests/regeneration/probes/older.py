"""Uses the older revision's operations through the generated Python surface."""

import datetime

from bsa_lms import Client


def probe(client: Client) -> None:
    client.activate_customer("42", activation_date=datetime.date(2026, 5, 22))
    client.approve_loan("501", approved_on_date="2026-05-23")
    mobile: int | None = client.get_credit_scorecard("255762260621").mobile_number
    print(mobile)
