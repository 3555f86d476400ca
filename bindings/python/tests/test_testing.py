"""bsa_lms.testing: the in-process sandbox, its admin helpers and the pytest fixture."""

from __future__ import annotations

import datetime
import subprocess
import sys
import urllib.error
import urllib.request
from typing import get_args

import pytest

import bsa_lms
from bsa_lms.testing import EMAIL, FaultKind, Sandbox, SandboxAdminError


def test_the_sdk_import_does_not_load_the_testing_module() -> None:
    code = "import sys, bsa_lms; print('bsa_lms.testing' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_starts_serves_and_stops_on_loopback() -> None:
    with Sandbox() as sandbox:
        url = sandbox.url
        assert url.startswith("http://127.0.0.1:")
        with bsa_lms.Client(**sandbox.client_options()) as client:
            assert len(client.list_loan_products().items) == 2
        # The admin surface is this instance's alone.
        request = urllib.request.Request(f"{url}/_sandbox/stats")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 401
        refused.value.close()
    assert not sandbox.running
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/v1/loan-products", timeout=5)
    with pytest.raises(RuntimeError, match="not running"):
        sandbox.reset()
    sandbox.stop()  # twice is fine


def test_start_stop_and_startup_settings() -> None:
    sandbox = Sandbox(today=datetime.date(2026, 5, 25), token_lifetime=60).start()
    try:
        assert sandbox.today() == datetime.date(2026, 5, 25)
        assert sandbox.set_today("2026-06-30") == datetime.date(2026, 6, 30)
        sandbox.reset()
        assert sandbox.today() == datetime.date(2026, 5, 25)
    finally:
        sandbox.stop()


@pytest.mark.parametrize("kind", get_args(FaultKind))
def test_every_fault_kind_is_accepted(bsa_lms_sandbox: Sandbox, kind: FaultKind) -> None:
    fault_id = bsa_lms_sandbox.fault("/v1/loans/*", kind, method="GET", count=2, delay_ms=1)
    assert [(f["id"], f["kind"], f["count"]) for f in bsa_lms_sandbox.faults()] == [
        (fault_id, kind, 2)
    ]
    assert bsa_lms_sandbox.clear_faults() == 1


def test_a_status_fault_reaches_the_client(bsa_lms_sandbox: Sandbox) -> None:
    bsa_lms_sandbox.fault("/v1/loan-products", "status", status=503, retry_after=0, count=5)
    client = bsa_lms.Client(**bsa_lms_sandbox.client_options(max_retries=0))
    with client, pytest.raises(bsa_lms.UnavailableError):
        client.list_loan_products()
    assert bsa_lms_sandbox.requests("GET /v1/loan-products") == 1


def test_forced_401s_token_expiry_and_lifetime(bsa_lms_sandbox: Sandbox) -> None:
    with bsa_lms.Client(**bsa_lms_sandbox.client_options()) as client:
        client.list_loan_products()
        bsa_lms_sandbox.unauthorized(1)
        client.list_loan_products()  # re-minted once and retried
        bsa_lms_sandbox.expire_tokens()
        client.list_loan_products()
        assert bsa_lms_sandbox.stats()["tokenMints"] == 3
    bsa_lms_sandbox.set_token_lifetime(0)
    # Every token it mints is already expired: the re-mint after the 401 cannot help.
    client = bsa_lms.Client(**bsa_lms_sandbox.client_options())
    with client, pytest.raises(bsa_lms.UnauthenticatedError, match="token expired"):
        client.list_loan_products()


def test_seed_helpers_and_charges(bsa_lms_sandbox: Sandbox) -> None:
    account = bsa_lms_sandbox.add_account("ops@example.com", "s3cret")
    assert account["roles"] == ["ADMIN"]
    assert bsa_lms_sandbox.add_pending_customer("pending-1")["status"] == "Pending"
    assert bsa_lms_sandbox.set_scorecard("255700000001", grade="A", limit=900)["externalId"]
    with bsa_lms.Client(
        **bsa_lms_sandbox.client_options(email="ops@example.com", password="s3cret")
    ) as client:
        customer = client.create_customer(external_id="c-1")
        loan = client.create_loan(customer_id=int(customer.id), product_id=1, principal=10000)
        before = loan.total_outstanding
        assert before is not None
        after = bsa_lms_sandbox.add_charge(loan.id, "penalty", 25)
        assert after["totalOutstanding"] == before + 25
        assert client.get_credit_scorecard("255700000001").halopesa_grade == "A"
    bsa_lms_sandbox.set_rollback_stop("undo-disbursal")
    bsa_lms_sandbox.set_rollback_stop(None)
    bsa_lms_sandbox.set_transaction_shape("current")
    with pytest.raises(SandboxAdminError) as refused:
        bsa_lms_sandbox.add_charge("999", "fee", 1)
    assert refused.value.status == 404
    assert bsa_lms_sandbox.stats()["customers"] == 2
    assert bsa_lms_sandbox.email == EMAIL


def test_the_fixture_resets_before_each_test_a(bsa_lms_sandbox: Sandbox) -> None:
    assert bsa_lms_sandbox.stats()["customers"] == 0
    bsa_lms_sandbox.add_pending_customer("left-behind")


def test_the_fixture_resets_before_each_test_b(bsa_lms_sandbox: Sandbox) -> None:
    assert bsa_lms_sandbox.stats()["customers"] == 0
    bsa_lms_sandbox.add_pending_customer("left-behind")


async def test_the_fixture_serves_async_tests(bsa_lms_sandbox: Sandbox) -> None:
    async with bsa_lms.AsyncClient(**bsa_lms_sandbox.client_options()) as client:
        customer = await client.create_customer(external_id="async-1")
    assert customer.external_id == "async-1"
    assert bsa_lms_sandbox.stats()["customers"] == 1
