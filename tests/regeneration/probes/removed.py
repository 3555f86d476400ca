"""Must not type-check once getCreditScorecard is removed from the spec."""

from bsa_lms import Client


def probe(client: Client) -> None:
    client.get_credit_scorecard("x")
