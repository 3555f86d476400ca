"""A small payments service (a WSGI app, standard library only) that posts repayments
through bsa-lms.

    POST /loans/<loan external id>/repayments   {"amount": 450, "reference": "wallet-98765"}

answers 201 with the transaction id, 404 for an unknown loan, and 503 while the lender's
API is unavailable (the wallet reference is the idempotency key, so a retry by the caller
never pays twice).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import bsa_lms

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class PaymentsApp:
    def __init__(self, client: bsa_lms.Client) -> None:
        self.client = client

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        status, body = self.route(environ)
        payload = json.dumps(body).encode()
        start_response(status, [("content-type", "application/json")])
        return [payload]

    def route(self, environ: WSGIEnvironment) -> tuple[str, dict[str, Any]]:
        parts = environ["PATH_INFO"].strip("/").split("/")
        routed = len(parts) == 3 and parts[0] == "loans" and parts[2] == "repayments"
        if environ["REQUEST_METHOD"] != "POST" or not routed:
            return "404 Not Found", {"error": "no such route"}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = json.loads(environ["wsgi.input"].read(length) or b"{}")
        try:
            tx = self.client.create_repayment_by_external_id(
                parts[1],
                transaction_amount=float(request["amount"]),
                idempotency_key=str(request["reference"]),
            )
        except bsa_lms.NotFoundError:
            return "404 Not Found", {"error": f"no loan {parts[1]}"}
        except (bsa_lms.UnavailableError, bsa_lms.ApiConnectionError):
            return "503 Service Unavailable", {"error": "the lender is unavailable; retry later"}
        return "201 Created", {"transactionId": tx.id}
