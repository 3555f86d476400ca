"""The quickstart flow, both addressing forms, models and request dates."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

import bsa_lms
from conftest import ROOT, Sandbox, active_loan


def test_quickstart_flow(client: bsa_lms.Client) -> None:
    token = client.access_token()
    assert token.count(".") == 2, "a JWT"
    assert client.token_mints() == 1

    customer = client.create_customer(external_id="qs-customer")
    assert isinstance(customer, bsa_lms.Customer)
    assert customer.external_id == "qs-customer"
    assert customer.status == "Active"

    loan = client.create_loan(
        customer_id=int(customer.id), product_id=1, principal=10000, external_id="qs-loan"
    )
    assert isinstance(loan, bsa_lms.Loan)
    assert loan.status == "Active"
    assert loan.customer_id == customer.id
    owed_before = loan.total_outstanding
    assert owed_before is not None and owed_before > 10000

    repayment = client.create_repayment_by_external_id(
        "qs-loan", transaction_amount=450, idempotency_key="qs-payment"
    )
    assert isinstance(repayment, bsa_lms.Transaction)
    assert repayment.amount == 450

    loan = client.get_loan_by_external_id("qs-loan")
    assert loan.total_outstanding == pytest.approx(owed_before - 450)
    assert loan.next_due_date is not None
    dt.date.fromisoformat(loan.next_due_date)
    # Still one token: it was cached across every call.
    assert client.token_mints() == 1


def test_both_addressing_forms_reach_the_same_resources(client: bsa_lms.Client) -> None:
    loan = active_loan(client, "addr")
    by_id = client.get_loan(loan.id)
    by_ref = client.get_loan_by_external_id("l-addr")
    assert by_id.id == by_ref.id == loan.id
    assert by_id.to_dict() == by_ref.to_dict()

    customer = client.get_customer_by_external_id("c-addr")
    assert client.get_customer(customer.id) == customer

    paid = client.create_repayment(loan.id, transaction_amount=100)
    paid_too = client.create_repayment_by_external_id("l-addr", transaction_amount=200)
    history = [t.id for t in client.list_repayments(loan.id)]
    assert history == [t.id for t in client.list_repayments_by_external_id("l-addr")]
    assert {paid.id, paid_too.id} <= set(history)
    assert client.get_repayment_by_external_id("l-addr", paid.id).amount == 100

    updated = client.update_customer_by_external_id("c-addr", external_id="c-addr-2")
    assert updated.external_id == "c-addr-2"
    assert client.get_customer(customer.id).external_id == "c-addr-2"


def test_models_read_snake_case_and_keep_the_raw_json(client: bsa_lms.Client) -> None:
    loan = active_loan(client, "model")
    raw = loan.to_dict()
    assert raw["totalOutstanding"] == loan.total_outstanding
    assert loan["totalOutstanding"] == loan.total_outstanding
    assert "repaymentSchedule" in loan
    assert loan.get("noSuchField", 7) == 7
    # A field the spec does not name stays reachable (the sandbox sends
    # actualDisbursementDate, which the Loan schema leaves to extension).
    assert "actualDisbursementDate" in raw
    assert loan["actualDisbursementDate"] == raw["actualDisbursementDate"]
    # Nested models.
    client.create_repayment(loan.id, transaction_amount=50)
    history = client.get_loan(loan.id).repayment_history
    assert history is not None
    assert isinstance(history[0], bsa_lms.Transaction)
    assert history[0].amount == 50
    assert repr(loan).startswith("Loan({")


def test_request_dates_accept_date_or_string(client: bsa_lms.Client) -> None:
    loan = active_loan(client, "dates")
    today = dt.date.fromisoformat(client.get_loan(loan.id).to_dict()["actualDisbursementDate"])
    by_date = client.create_repayment(loan.id, transaction_amount=10, transaction_date=today)
    by_text = client.create_repayment(
        loan.id, transaction_amount=10, transaction_date=today.isoformat()
    )
    assert by_date.date == by_text.date == today.isoformat()


def test_empty_success_bodies_return_none(client: bsa_lms.Client, sandbox: Sandbox) -> None:
    pending = sandbox.admin("POST", "customers/pending", {"externalId": "gone"})
    client.delete_customer_by_external_id("gone")  # empty body: returns None
    with pytest.raises(bsa_lms.NotFoundError):
        client.get_customer(pending["id"])
    loan = active_loan(client, "del")
    client.undo_loan_disbursal(loan.id, note="undo")
    client.undo_loan_approval_by_external_id("l-del")
    client.delete_loan(loan.id)
    with pytest.raises(bsa_lms.NotFoundError):
        client.get_loan(loan.id)


def test_operations_match_the_generated_methods() -> None:
    ops = bsa_lms.operations()
    assert "get_loan" in ops and "get_loan_by_external_id" in ops
    for op in ops:
        assert callable(getattr(bsa_lms.Client, op)), op
        assert callable(getattr(bsa_lms.AsyncClient, op)), op


def test_quickstart_example_runs_against_the_sandbox(sandbox: Sandbox) -> None:
    env = {
        **os.environ,
        "BSA_LMS_BASE_URL": sandbox.url,
        "BSA_LMS_AUTH_URL": sandbox.url,
        "BSA_LMS_EMAIL": "ada@example.com",
        "BSA_LMS_PASSWORD": "correct-horse-battery-staple",
    }
    env.pop("BSA_LMS_TOKEN", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples/quickstart.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert " owes " in last and ", next due " in last, done.stdout
    assert "correct-horse" not in done.stdout + done.stderr


def test_quickstart_example_starts_its_own_sandbox() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BSA_LMS_")}
    if "BSA_LMS_SANDBOX_BIN" in os.environ:
        env["BSA_LMS_SANDBOX_BIN"] = os.environ["BSA_LMS_SANDBOX_BIN"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples/quickstart.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "sandbox" in done.stdout
    assert " owes " in done.stdout.strip().splitlines()[-1]
