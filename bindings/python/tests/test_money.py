"""Money movement from Python: ``maybe_applied`` on every error, replay of documented
keys only (unless the client opts in), creates recovered after a gateway error,
cancellation, runaway paging, and exact decimal amounts."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import signal
import threading
import time
from decimal import Decimal
from typing import Any, ClassVar

import pytest

import bsa_lms
from bsa_lms._client import SyncPage
from conftest import Sandbox, active_loan

WAIVE = "POST /v1/loans/{loan_id}/repayments/waive-interest"


def transactions(sandbox: Sandbox) -> int:
    count: int = sandbox.stats()["transactions"]
    return count


def repayments(sandbox: Sandbox) -> int:
    count: int = sandbox.stats()["repayments"]
    return count


def test_maybe_applied_on_every_error(sandbox: Sandbox, client: bsa_lms.Client) -> None:
    loan = active_loan(client, "maybe")
    # Rejected before sending.
    with pytest.raises(bsa_lms.InvalidRequestError) as rejected:
        client.create_repayment(loan.id, transaction_amount=-1)
    assert rejected.value.maybe_applied is False
    # Refused by the API.
    with pytest.raises(bsa_lms.NotFoundError) as missing:
        client.get_loan("999999")
    assert missing.value.maybe_applied is False
    # Committed behind a gateway error.
    sandbox.fault(
        method="POST", path=f"/v1/loans/{loan.id}/repayments", kind="status_after", status=502
    )
    with pytest.raises(bsa_lms.UnavailableError) as gateway:
        client.create_repayment(loan.id, transaction_amount=5)
    assert gateway.value.maybe_applied is True
    assert repayments(sandbox) == 1
    # A read applies nothing, whatever happened to it.
    sandbox.fault(method="GET", path=f"/v1/loans/{loan.id}", kind="status", status=503)
    with pytest.raises(bsa_lms.UnavailableError) as read:
        client.get_loan(loan.id)
    assert read.value.maybe_applied is False


def test_inferred_keys_are_replayed_only_when_the_client_opts_in(sandbox: Sandbox) -> None:
    with bsa_lms.Client(**sandbox.options()) as default:
        loan = active_loan(default, "inferred")
        before = transactions(sandbox)
        sandbox.fault(
            method="POST",
            path=f"/v1/loans/{loan.id}/repayments/waive-interest",
            kind="status_after",
        )
        with pytest.raises(bsa_lms.UnavailableError) as info:
            default.waive_interest(loan.id, transaction_amount=1, idempotency_key="w-1")
        assert info.value.maybe_applied is True
        assert sandbox.requests(WAIVE) == 1, "not replayed"
    with bsa_lms.Client(**sandbox.options(replay_inferred_idempotency_keys=True)) as opted:
        sandbox.fault(
            method="POST",
            path=f"/v1/loans/{loan.id}/repayments/waive-interest",
            kind="status_after",
        )
        opted.waive_interest(loan.id, transaction_amount=1, idempotency_key="w-2")
        assert sandbox.requests(WAIVE) == 3, "replayed once"
    assert transactions(sandbox) - before == 2, "each waiver applied once"


def test_a_server_ignoring_keys_never_gets_a_duplicate_by_default(sandbox: Sandbox) -> None:
    sandbox.admin("POST", "idempotency", {"ignoreKeys": True})
    with bsa_lms.Client(**sandbox.options()) as retrying:
        loan = active_loan(retrying, "ignored")
        before = transactions(sandbox)
        sandbox.fault(
            method="POST", path=f"/v1/loans/{loan.id}/repayments/waive-interest", kind="drop_after"
        )
        with pytest.raises(bsa_lms.ApiConnectionError) as info:
            retrying.waive_interest(loan.id, transaction_amount=1, idempotency_key="i-1")
        assert info.value.maybe_applied is True
    assert transactions(sandbox) - before == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status_after", "status": 500},
        {"kind": "status_after", "status": 502},
        {"kind": "status_after", "status": 504},
        {"kind": "drop_after"},
    ],
    ids=lambda f: f"{f['kind']}-{f.get('status', '')}",
)
def test_creates_committed_behind_a_gateway_error_return_the_record(
    sandbox: Sandbox, fault: dict[str, Any]
) -> None:
    with bsa_lms.Client(**sandbox.options()) as retrying:
        sandbox.fault(method="POST", path="/v1/customers", **fault)
        customer = retrying.create_customer(external_id="gw")
        assert customer.external_id == "gw"
        sandbox.fault(method="POST", path="/v1/loans", **fault)
        loan = retrying.create_loan(
            customer_id=int(customer.id), product_id=1, principal=2500, external_id="gw-loan"
        )
        assert (loan.external_id, loan.principal) == ("gw-loan", 2500)
    stats = sandbox.stats()
    assert (stats["customers"], stats["loans"]) == (1, 1)


def test_sdk_timeout_on_a_write_is_maybe_applied(sandbox: Sandbox, client: bsa_lms.Client) -> None:
    loan = active_loan(client, "timeout")
    sandbox.fault(method="POST", path=f"/v1/loans/{loan.id}/repayments", kind="delay", delayMs=600)
    with pytest.raises(bsa_lms.ApiTimeoutError) as info:
        client.create_repayment(loan.id, transaction_amount=3, timeout=0.2)
    assert info.value.maybe_applied is True
    time.sleep(0.8)
    assert repayments(sandbox) == 1, "the server finished what the SDK called maybe applied"


async def test_task_cancellation_raises_cancelled_error_and_the_write_may_land(
    sandbox: Sandbox, client: bsa_lms.Client, aclient: bsa_lms.AsyncClient
) -> None:
    # asyncio forces CancelledError (and wait_for its TimeoutError): no SDK error
    # can carry maybe_applied, so a cancelled money-moving call counts as maybe applied.
    loan = active_loan(client, "cancel")
    path = f"/v1/loans/{loan.id}/repayments"
    sandbox.fault(method="POST", path=path, kind="delay", delayMs=500)
    task = asyncio.ensure_future(aclient.create_repayment(loan.id, transaction_amount=2))
    await asyncio.sleep(0.15)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    sandbox.fault(method="POST", path=path, kind="delay", delayMs=500)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(aclient.create_repayment(loan.id, transaction_amount=2), 0.15)
    await asyncio.sleep(0.8)
    assert repayments(sandbox) == 2, "both requests had reached the server"


def test_ctrl_c_interrupts_a_sync_call(sandbox: Sandbox, client: bsa_lms.Client) -> None:
    loan = active_loan(client, "ctrl-c")
    sandbox.fault(method="POST", path=f"/v1/loans/{loan.id}/repayments", kind="delay", delayMs=800)
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        client.create_repayment(loan.id, transaction_amount=4)
    assert time.monotonic() - started < 0.7, "interrupted before the answer"
    time.sleep(1.0)
    assert repayments(sandbox) == 1, "the interrupted request had reached the server"


class _Capture(http.server.BaseHTTPRequestHandler):
    """Answers every POST with a transaction and keeps the request bodies."""

    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["content-length"])))
        answer = b'{"id": "1"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_decimal_amounts_are_sent_with_exactly_their_digits() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with bsa_lms.Client(base_url=url, token="t", max_retries=0) as client:
            for amount in (Decimal("0.1"), Decimal("1234567.89"), Decimal("0.3"), 7):
                _Capture.bodies.clear()
                client.create_repayment("1", transaction_amount=amount)  # type: ignore[arg-type]
                sent = json.loads(_Capture.bodies[0], parse_float=Decimal)["transactionAmount"]
                # Decimal equality is exact: 0.1000000000000000055... would differ.
                assert sent == amount, (amount, _Capture.bodies[0])
            for bad in (Decimal("NaN"), Decimal("Infinity"), Decimal("0.1234567890123456789")):
                with pytest.raises(bsa_lms.InvalidRequestError) as info:
                    client.create_repayment("1", transaction_amount=bad)  # type: ignore[arg-type]
                assert info.value.field_errors[0].field == "transactionAmount"
                assert info.value.maybe_applied is False
    finally:
        server.shutdown()
        server.server_close()


def test_options_agree_with_the_other_languages(sandbox: Sandbox) -> None:
    with bsa_lms.Client(**sandbox.options(refresh_threshold=0, max_retries=100)) as client:
        client.list_loan_products()
        with pytest.raises(bsa_lms.InvalidRequestError) as info:
            client.list_loan_products(max_retries=101)
        assert info.value.field_errors[0].field == "max_retries"
    with pytest.raises(bsa_lms.InvalidRequestError):
        bsa_lms.Client(**sandbox.options(max_retries=101))


def test_runaway_paging_stops_with_a_decode_error() -> None:
    same = {"items": [{"id": "1"}, {"id": "2"}], "total": 10, "page": 1, "rowsPerPage": 2}

    def repeating(args: dict[str, Any]) -> dict[str, Any]:
        return {**same, "page": args["page"]}

    def stuck(args: dict[str, Any]) -> dict[str, Any]:
        return {**same, "items": [{"id": str(args["page"])}] * 2}

    def overflowing(args: dict[str, Any]) -> dict[str, Any]:
        page = args["page"]
        return {"items": [{"id": f"{page}-{i}"} for i in range(2)], "total": 3, "page": page}

    for fetch in (repeating, stuck, overflowing):
        first = SyncPage(fetch, {"page": 1}, bsa_lms.Model, fetch({"page": 1}))
        with pytest.raises(bsa_lms.DecodeError, match="paging stopped"):
            list(first)
