"""Bad input is rejected before anything is sent, naming the field."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

import bsa_lms
from conftest import Sandbox, active_loan

ROUTE = "POST /v1/loans/{loan_id}/repayments"


def rejected(call: Any) -> bsa_lms.InvalidRequestError:
    with pytest.raises(bsa_lms.InvalidRequestError) as info:
        call()
    assert isinstance(info.value, ValueError)
    return info.value


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"transaction_amount": -5}, "transactionAmount"),
        ({"transaction_amount": 0}, "transactionAmount"),
        ({"transaction_amount": math.nan}, "transactionAmount"),
        ({"transaction_amount": "ten"}, "transactionAmount"),
        ({"transaction_amount": 5, "transaction_date": "29/11/2026"}, "transactionDate"),
        ({"transaction_amount": 5, "transaction_date": 20261129}, "transactionDate"),
        (
            {"transaction_amount": 5, "transaction_date": dt.datetime(2026, 1, 1, 12)},
            "transactionDate",
        ),
        ({"transaction_amount": 5, "payment_type_id": object()}, "paymentTypeId"),
        ({"transaction_amount": 5, "idempotency_key": "k" * 101}, "idempotencyKey"),
    ],
)
def test_bad_body_fields(
    client: bsa_lms.Client, sandbox: Sandbox, kwargs: dict[str, Any], field: str
) -> None:
    loan = active_loan(client)
    err = rejected(lambda: client.create_repayment(loan.id, **kwargs))
    assert err.field_errors[0].field == field, err
    assert field in str(err)
    assert sandbox.requests(ROUTE) == 0, "nothing was sent"


def test_bad_path_and_query_values(client: bsa_lms.Client, sandbox: Sandbox) -> None:
    err = rejected(lambda: client.get_loan(42))  # type: ignore[arg-type]  # ids are strings
    assert err.field_errors[0].field == "loan_id"
    err = rejected(lambda: client.list_loans(page=0))
    assert err.field_errors[0].field == "page"
    err = rejected(lambda: client.list_loans(sort_order="sideways"))  # type: ignore[arg-type]
    assert err.field_errors[0].field == "sort_order"
    assert sandbox.requests("GET /v1/loans") == 0
    assert sandbox.requests("GET /v1/loans/{loan_id}") == 0


def test_self_referencing_values_are_rejected(client: bsa_lms.Client) -> None:
    loop: list[Any] = []
    loop.append(loop)
    err = rejected(lambda: client.create_customer(external_id=loop))  # type: ignore[arg-type]
    assert err.field_errors[0].field.startswith("externalId")


def test_a_bad_value_does_not_poison_the_client(client: bsa_lms.Client) -> None:
    rejected(lambda: client.create_customer(external_id=float("nan")))  # type: ignore[arg-type]
    assert client.create_customer(external_id="fine").external_id == "fine"
