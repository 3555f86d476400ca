"""Tests of service.py against the in-process sandbox of ``bsa_lms.testing``.

Needs only the ``bsa-lms`` wheel and pytest: the ``bsa_lms_sandbox`` fixture comes with the
package (one sandbox per session, reset before each test).
"""

from __future__ import annotations

import io
import json
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from service import PaymentsApp

import bsa_lms
from bsa_lms.testing import Sandbox


def post(app: PaymentsApp, path: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Calls the WSGI app as a server would."""
    data = json.dumps(body).encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
    }
    setup_testing_defaults(environ)
    answer: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer.append(status)

    chunks = app(environ, start_response)
    return answer[0], json.loads(b"".join(chunks))


@pytest.fixture
def client(bsa_lms_sandbox: Sandbox) -> bsa_lms.Client:
    # No automatic retries, so an outage reaches the service at once.
    return bsa_lms.Client(**bsa_lms_sandbox.client_options(max_retries=0))


@pytest.fixture
def loan(client: bsa_lms.Client) -> bsa_lms.Loan:
    customer = client.create_customer(external_id="cust-1")
    return client.create_loan(
        customer_id=int(customer.id), product_id=1, principal=10000, external_id="loan-1"
    )


def test_a_repayment_is_posted_once(
    bsa_lms_sandbox: Sandbox, client: bsa_lms.Client, loan: bsa_lms.Loan
) -> None:
    app = PaymentsApp(client)
    body = {"amount": 450, "reference": "wallet-98765"}
    status, answer = post(app, "/loans/loan-1/repayments", body)
    assert status == "201 Created", answer
    # The caller retries with the same reference: still one repayment.
    assert post(app, "/loans/loan-1/repayments", body)[1] == answer
    assert bsa_lms_sandbox.stats()["repayments"] == 1
    assert client.get_loan(loan.id).total_outstanding == 10650


def test_an_unknown_loan_is_a_404(client: bsa_lms.Client) -> None:
    status, _ = post(PaymentsApp(client), "/loans/nope/repayments", {"amount": 1, "reference": "r"})
    assert status == "404 Not Found"


def test_a_lender_outage_is_a_503_and_nothing_is_paid(
    bsa_lms_sandbox: Sandbox, client: bsa_lms.Client, loan: bsa_lms.Loan
) -> None:
    bsa_lms_sandbox.fault(
        "/v1/loans/external/*/repayments", "status", method="POST", status=503, count=5
    )
    status, answer = post(
        PaymentsApp(client), "/loans/loan-1/repayments", {"amount": 450, "reference": "w-2"}
    )
    assert status == "503 Service Unavailable", answer
    assert bsa_lms_sandbox.stats()["repayments"] == 0
    # A dropped connection after the write is committed is an outage too, but the money
    # moved: the caller's retry with the same reference must not pay twice.
    bsa_lms_sandbox.clear_faults()
    bsa_lms_sandbox.fault("/v1/loans/external/*/repayments", "drop_after", method="POST")
    retry = {"amount": 450, "reference": "w-3"}
    assert post(PaymentsApp(client), "/loans/loan-1/repayments", retry)[0].startswith("503")
    assert post(PaymentsApp(client), "/loans/loan-1/repayments", retry)[0].startswith("201")
    assert bsa_lms_sandbox.stats()["repayments"] == 1
