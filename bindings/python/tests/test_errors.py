"""Every error class of the contract, from real sandbox answers and injected faults."""

from __future__ import annotations

import pickle
import time
from typing import Any, Callable, TypeVar

import pytest

import bsa_lms
from bsa_lms import _native
from bsa_lms._client import _completed
from conftest import Sandbox, active_loan

E = TypeVar("E", bound=bsa_lms.LmsError)


def expect(cls: type[E], call: Callable[[], object], **fields: Any) -> E:
    """Runs `call`, checks that it raised exactly `cls` (with `fields`), returns the error."""
    with pytest.raises(bsa_lms.LmsError) as info:
        call()
    err = info.value
    assert type(err) is cls, f"expected {cls.__name__}, got {type(err).__name__}: {err}"
    assert isinstance(err, Exception)
    assert err.message and str(err)
    assert isinstance(err.field_errors, list)
    for key, value in fields.items():
        assert getattr(err, key) == value, (key, getattr(err, key))
    assert isinstance(err, cls)
    return err


class TestApiErrors:
    def test_not_found(self, client: bsa_lms.Client) -> None:
        err = expect(
            bsa_lms.NotFoundError,
            lambda: client.get_loan("999999"),
            kind="not_found",
            code="not_found",
            status=404,
        )
        assert isinstance(err, bsa_lms.ApiError)
        assert err.body is not None and '"code":"not_found"' in err.body
        assert str(err).startswith("not_found (HTTP 404): ")
        expect(bsa_lms.NotFoundError, lambda: client.get_loan_by_external_id("nope"), status=404)

    def test_invalid_argument_with_field_errors(self, client: bsa_lms.Client) -> None:
        err = expect(
            bsa_lms.InvalidArgumentError,
            lambda: client.list_loans(rows=500),
            kind="invalid_argument",
            code="invalid_argument",
            status=400,
        )
        assert len(err.field_errors) == 1
        assert err.field_errors[0].field == "page"
        assert "rows" in err.field_errors[0].error
        assert err.field_errors[0] == bsa_lms.FieldError("page", err.field_errors[0].error)

    def test_aborted_alias_conflict_on_duplicate_external_id(self, client: bsa_lms.Client) -> None:
        assert bsa_lms.ConflictError is bsa_lms.AbortedError
        client.create_customer(external_id="dup")
        expect(
            bsa_lms.AbortedError,
            lambda: client.create_customer(external_id="dup"),
            kind="aborted",
            code="aborted",
            status=409,
        )

    def test_failed_precondition(self, client: bsa_lms.Client) -> None:
        loan = active_loan(client, "fp")
        client.undo_loan_disbursal(loan.id)
        expect(
            bsa_lms.FailedPreconditionError,
            lambda: client.create_repayment(loan.id, transaction_amount=5),
            kind="failed_precondition",
            code="failed_precondition",
            status=400,
        )

    def test_permission_denied_for_a_future_date(self, client: bsa_lms.Client) -> None:
        loan = active_loan(client, "pd")
        expect(
            bsa_lms.PermissionDeniedError,
            lambda: client.create_repayment(
                loan.id, transaction_amount=5, transaction_date="2999-01-01"
            ),
            kind="permission_denied",
            code="permission_denied",
            status=403,
        )

    def test_unauthenticated_with_a_bad_static_token(self, sandbox: Sandbox) -> None:
        bad = bsa_lms.Client(base_url=sandbox.url, token="not-a-jwt", max_retries=0)
        expect(
            bsa_lms.UnauthenticatedError,
            lambda: bad.get_loan("1"),
            kind="unauthenticated",
            code="unauthenticated",
            status=401,
        )

    def test_authentication_wrong_password_and_unreachable_host(self, sandbox: Sandbox) -> None:
        wrong = bsa_lms.Client(**sandbox.options(password="wrong"))
        err = expect(
            bsa_lms.AuthenticationError,
            lambda: wrong.get_loan("1"),
            kind="authentication",
            status=401,
            auth_reason="bad_credentials",
        )
        assert not isinstance(err, bsa_lms.ApiError)
        unreachable = bsa_lms.Client(
            base_url=sandbox.url,
            auth_url="http://127.0.0.1:9",
            email="a@b.c",
            password="pw",
            max_retries=0,
        )
        expect(bsa_lms.AuthenticationError, unreachable.access_token, auth_reason="unreachable")

    def test_invalid_request_is_a_value_error_raised_before_sending(
        self, client: bsa_lms.Client, sandbox: Sandbox
    ) -> None:
        before = sandbox.requests("POST /v1/credit-boost")
        err = expect(
            bsa_lms.InvalidRequestError,
            lambda: client.create_credit_boost(
                full_name="A B", mobile_number="12345", pdf_file=b"%PDF-1.4"
            ),
            kind="invalid_request",
            status=None,
            code=None,
        )
        assert isinstance(err, ValueError)
        assert err.field_errors[0].field == "MobileNumber"
        assert sandbox.requests("POST /v1/credit-boost") == before


FAULTS = [
    ("internal 500 envelope", {"kind": "status", "status": 500}, bsa_lms.InternalError, 500),
    ("internal 500 empty body", {"kind": "empty"}, bsa_lms.InternalError, 500),
    ("unavailable 503", {"kind": "status", "status": 503}, bsa_lms.UnavailableError, 503),
    ("unavailable 502 html", {"kind": "html"}, bsa_lms.UnavailableError, 502),
    ("rate limited 429", {"kind": "status", "status": 429}, bsa_lms.RateLimitedError, 429),
    ("unclassified 418 html", {"kind": "html", "status": 418}, bsa_lms.ApiError, 418),
    ("malformed json", {"kind": "malformed"}, bsa_lms.DecodeError, None),
    ("truncated body", {"kind": "truncated"}, bsa_lms.DecodeError, None),
    ("dropped connection", {"kind": "drop_before"}, bsa_lms.ApiConnectionError, None),
]


@pytest.mark.parametrize(
    ("fault", "cls", "status"),
    [pytest.param(f, c, s, id=name) for name, f, c, s in FAULTS],
)
def test_injected_faults_map_to_their_class(
    client: bsa_lms.Client,
    sandbox: Sandbox,
    fault: dict[str, Any],
    cls: type[bsa_lms.LmsError],
    status: int | None,
) -> None:
    loan = active_loan(client)
    sandbox.fault(method="GET", path="/v1/loans/*", **fault)
    err = expect(cls, lambda: client.get_loan(loan.id))
    if status is not None:
        assert err.status == status
    if fault["kind"] in ("html", "empty"):
        assert err.code is None
    if fault["kind"] == "html":
        assert err.body is not None and "<html>" in err.body.lower()
    # The fault was used up: the next call succeeds.
    assert client.get_loan(loan.id).id == loan.id


def test_timeout_is_a_connection_error_and_cuts_the_wait(
    client: bsa_lms.Client, sandbox: Sandbox
) -> None:
    loan = active_loan(client)
    sandbox.fault(method="GET", path="/v1/loans/*", kind="delay", delayMs=3000)
    started = time.monotonic()
    err = expect(bsa_lms.ApiTimeoutError, lambda: client.get_loan(loan.id, timeout=0.3))
    assert time.monotonic() - started < 2
    assert isinstance(err, bsa_lms.ApiConnectionError)
    assert err.kind == "timeout"


def test_connection_refused() -> None:
    nobody = bsa_lms.Client(base_url="http://127.0.0.1:9", token="t", max_retries=0)
    expect(bsa_lms.ApiConnectionError, lambda: nobody.get_loan("1"), kind="connection")


def test_hierarchy() -> None:
    api = [
        bsa_lms.InvalidArgumentError,
        bsa_lms.UnauthenticatedError,
        bsa_lms.PermissionDeniedError,
        bsa_lms.NotFoundError,
        bsa_lms.AbortedError,
        bsa_lms.FailedPreconditionError,
        bsa_lms.InternalError,
        bsa_lms.UnavailableError,
        bsa_lms.RateLimitedError,
    ]
    for cls in api:
        assert cls.__bases__ == (bsa_lms.ApiError,)
    others: list[type[bsa_lms.LmsError]] = [
        bsa_lms.ApiError,
        bsa_lms.AuthenticationError,
        bsa_lms.ApiConnectionError,
        bsa_lms.DecodeError,
    ]
    for other in others:
        assert other.__bases__ == (bsa_lms.LmsError,)
    assert issubclass(bsa_lms.ApiTimeoutError, bsa_lms.ApiConnectionError)
    assert issubclass(bsa_lms.InvalidRequestError, ValueError)
    assert bsa_lms.NotFoundError("m").kind == "not_found"


def test_errors_pickle_with_their_attributes(client: bsa_lms.Client) -> None:
    with pytest.raises(bsa_lms.NotFoundError) as info:
        client.get_loan("424242")
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is bsa_lms.NotFoundError
    assert (copy.status, copy.code, copy.body, str(copy)) == (
        404,
        "not_found",
        info.value.body,
        str(info.value),
    )


def test_a_panic_in_native_code_is_an_lms_error() -> None:
    with pytest.raises(bsa_lms.LmsError) as info:
        _native._panic_probe()
    assert type(info.value) is bsa_lms.LmsError
    assert info.value.kind == "panic"
    assert "probe" in str(info.value)


async def test_a_panic_in_an_async_call_is_an_lms_error() -> None:
    with pytest.raises(bsa_lms.LmsError) as info:
        await _completed(_native._panic_probe)
    assert info.value.kind == "panic"
