"""Retries (and where they are refused), per-call options, with_options, closing."""

from __future__ import annotations

import pytest

import bsa_lms
from conftest import Sandbox, active_loan


def test_transient_failures_are_retried_by_default(sandbox: Sandbox) -> None:
    client = bsa_lms.Client(**sandbox.options())
    loan = active_loan(client, "retry")
    sandbox.fault(method="GET", path="/v1/loans/*", kind="status", status=503, count=2)
    assert client.get_loan(loan.id).id == loan.id
    sandbox.fault(method="GET", path="/v1/loans/*", kind="status", status=503, count=3)
    with pytest.raises(bsa_lms.UnavailableError):
        client.get_loan(loan.id)


def test_per_call_max_retries(sandbox: Sandbox) -> None:
    client = bsa_lms.Client(**sandbox.options())
    loan = active_loan(client, "per-call")
    sandbox.fault(method="GET", path="/v1/loans/*", kind="status", status=503, count=1)
    with pytest.raises(bsa_lms.UnavailableError):
        client.get_loan(loan.id, max_retries=0)
    sandbox.fault(method="GET", path="/v1/loans/*", kind="status", status=503, count=1)
    no_retries = client.with_options(max_retries=0)
    with pytest.raises(bsa_lms.UnavailableError):
        no_retries.get_loan(loan.id)
    # The copy's option yields to a per-call one, and the original is unchanged.
    sandbox.fault(method="GET", path="/v1/loans/*", kind="status", status=503, count=1)
    assert no_retries.get_loan(loan.id, max_retries=1).id == loan.id
    sandbox.fault(method="GET", path="/v1/loans/*", kind="status", status=503, count=1)
    assert client.get_loan(loan.id).id == loan.id


def test_a_money_moving_post_without_idempotency_key_is_not_retried(
    sandbox: Sandbox,
) -> None:
    client = bsa_lms.Client(**sandbox.options(max_retries=3))
    loan = active_loan(client, "money")
    route = "POST /v1/loans/{loan_id}/repayments"
    sandbox.fault(method="POST", path="/v1/loans/*/repayments", kind="drop_after")
    with pytest.raises(bsa_lms.ApiConnectionError):
        client.create_repayment(loan.id, transaction_amount=100)
    # The server applied the first attempt; the SDK did not send a second one.
    assert sandbox.stats()["repayments"] == 1
    assert sandbox.requests(route) == 1
    history = client.list_repayments(loan.id)
    assert [t.amount for t in history] == [100]


def test_a_keyed_repayment_is_retried_exactly_once_on_the_server(sandbox: Sandbox) -> None:
    client = bsa_lms.Client(**sandbox.options(max_retries=3))
    loan = active_loan(client, "keyed")
    sandbox.fault(method="POST", path="/v1/loans/*/repayments", kind="drop_after")
    paid = client.create_repayment(loan.id, transaction_amount=100, idempotency_key="key-1")
    assert paid.amount == 100
    assert sandbox.requests("POST /v1/loans/{loan_id}/repayments") == 2
    assert sandbox.stats()["repayments"] == 1, "the replay was deduplicated"


def test_per_call_timeout_and_with_options_timeout(
    client: bsa_lms.Client, sandbox: Sandbox
) -> None:
    loan = active_loan(client)
    sandbox.fault(method="GET", path="/v1/loans/*", kind="delay", delayMs=1500)
    with pytest.raises(bsa_lms.ApiTimeoutError):
        client.with_options(timeout=0.2).get_loan(loan.id)
    sandbox.fault(method="GET", path="/v1/loans/*", kind="delay", delayMs=300)
    # A per-call timeout overrides the copy's.
    assert client.with_options(timeout=0.1).get_loan(loan.id, timeout=5).id == loan.id


def test_extra_headers_are_checked_and_sent(client: bsa_lms.Client) -> None:
    assert client.list_loan_products(extra_headers={"x-request-id": "abc-123"}).items
    tagged = client.with_options(extra_headers={"x-tenant": "t1"})
    assert tagged.list_loan_products(extra_headers={"x-request-id": "r2"}).items
    with pytest.raises(bsa_lms.InvalidRequestError) as info:
        client.list_loan_products(extra_headers={"bad header": "x"})
    assert info.value.field_errors[0].field == "extra_headers"
    with pytest.raises(bsa_lms.InvalidRequestError) as info:
        client.list_loan_products(timeout=-1)
    assert info.value.field_errors[0].field == "timeout"
    with pytest.raises(bsa_lms.InvalidRequestError) as info:
        client.list_loan_products(max_retries=-1)
    assert info.value.field_errors[0].field == "max_retries"


def test_client_settings_are_validated(sandbox: Sandbox) -> None:
    with pytest.raises(bsa_lms.InvalidRequestError) as info:
        bsa_lms.Client(**sandbox.options(base_url="http://example.com"))
    assert info.value.field_errors[0].field == "base_url"
    with pytest.raises(bsa_lms.InvalidRequestError) as info:
        bsa_lms.Client(**sandbox.options(timeout=0))
    assert info.value.field_errors[0].field == "timeout"
    with pytest.raises(bsa_lms.InvalidRequestError) as info:
        bsa_lms.Client(**sandbox.options(headers={"x-ok": "1", "bad\nname": "v"}))
    assert info.value.field_errors[0].field == "headers"
    assert bsa_lms.Client(**sandbox.options(headers={"x-ok": "1"})).list_loan_products().items


def test_close_and_context_managers(sandbox: Sandbox) -> None:
    with bsa_lms.Client(**sandbox.options()) as client:
        copy = client.with_options(timeout=5)
        assert client.list_loan_products().items
        assert not client.closed
    assert client.closed and copy.closed
    with pytest.raises(bsa_lms.InvalidRequestError, match="closed"):
        client.list_loan_products()
    with pytest.raises(bsa_lms.InvalidRequestError, match="closed"):
        copy.list_loan_products()


async def test_async_close_and_context_manager(sandbox: Sandbox) -> None:
    async with bsa_lms.AsyncClient(**sandbox.options()) as client:
        assert (await client.list_loan_products()).items
    assert client.closed
    with pytest.raises(bsa_lms.InvalidRequestError, match="closed"):
        await client.list_loan_products()
    other = bsa_lms.AsyncClient(**sandbox.options())
    await other.aclose()
    assert other.closed


def test_no_generated_model_shadows_a_runtime_export() -> None:
    # The codegen renames a schema that would collide with a hand-written export (its
    # RUNTIME_EXPORTS list mirrors this package's __all__); a collision would list the
    # name twice here and rebind it to the model.
    exported: list[str] = vars(bsa_lms)["__all__"]
    models: list[str] = vars(bsa_lms.models)["__all__"]
    assert len(exported) == len(set(exported))
    handwritten = set(exported) - set(models)
    assert {"Client", "AsyncClient", "LmsError", "Model"} <= handwritten
    for name in handwritten - {"__version__", "models", "operations"}:
        assert getattr(bsa_lms, name).__module__ != "bsa_lms.models", name
