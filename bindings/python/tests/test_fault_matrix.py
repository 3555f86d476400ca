"""The fault matrix, ported from ``tests/faults.rs``: every fault kind the sandbox
injects against every kind of operation, asserting the outcome (retried and
succeeded, or the exact error class) and the server state afterwards (nothing
duplicated, nothing lost); token expiry mid-run; exactly-once money movement under
drops after commit; and one re-mint for many concurrent calls on an expired token.

The clients here keep the default retries (2). The binding exposes no backoff
setting, so retries wait the core's default steps (125-250 ms for the first one, or
the server's ``Retry-After``); the fault cases stay at one or two retries each.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from typing import Any, Optional

import pytest

import bsa_lms
from conftest import Sandbox, active_loan

#: Per-attempt timeout of the matrix calls (seconds); the delay fault outlasts it.
TIMEOUT = 0.5
DELAY_MS = 1500
#: `active_loan(client, TAG)` creates customer `c-matrix` with the Active loan `l-matrix`.
TAG = "matrix"
CUSTOMER = f"c-{TAG}"
LOAN = f"l-{TAG}"
KEY = "key-matrix"
CONCURRENT = 200


class Op(Enum):
    READ = "read"
    IDEMPOTENT_WRITE = "idempotent_write"
    KEYED_PAYMENT = "keyed_payment"
    UNKEYED_PAYMENT = "unkeyed_payment"


#: (method, path the fault matches, route template the sandbox counts requests under)
ROUTES: dict[Op, tuple[str, str, str]] = {
    Op.READ: ("GET", f"/v1/loans/external/{LOAN}", "/v1/loans/external/{loan_external_id}"),
    Op.IDEMPOTENT_WRITE: (
        "PUT",
        f"/v1/customers/external/{CUSTOMER}",
        "/v1/customers/external/{customer_external_id}",
    ),
    Op.KEYED_PAYMENT: (
        "POST",
        f"/v1/loans/external/{LOAN}/repayments",
        "/v1/loans/external/{loan_external_id}/repayments",
    ),
    Op.UNKEYED_PAYMENT: (
        "POST",
        f"/v1/loans/external/{LOAN}/repayments",
        "/v1/loans/external/{loan_external_id}/repayments",
    ),
}

#: `None` when the call succeeds, else the exact class it raises.
Expect = Optional[type[bsa_lms.LmsError]]


@dataclass(frozen=True)
class Fault:
    id: str
    spec: dict[str, Any]
    #: Outcome for reads and idempotent or keyed writes.
    safe: Expect
    #: Outcome for unkeyed payments.
    unkeyed: Expect
    #: Whether an unkeyed payment was applied although the call failed (`None`: may or may not).
    unkeyed_applied: bool | None
    #: ``maybe_applied`` of a failed write: the SDK cannot tell it was not applied.
    maybe: bool = True

    def expect(self, op: Op) -> Expect:
        return self.unkeyed if op is Op.UNKEYED_PAYMENT else self.safe

    @property
    def delayed(self) -> bool:
        kind: str = self.spec["kind"]
        return kind == "delay"


def _status(id: str, spec: dict[str, Any], error: type[bsa_lms.LmsError]) -> Fault:
    return Fault(
        id, spec, safe=None, unkeyed=error, unkeyed_applied=False, maybe=spec["status"] != 429
    )


def _status_after(status: int, error: type[bsa_lms.LmsError]) -> Fault:
    """A gateway that lost the answer of a committed write."""
    spec = {"kind": "status_after", "status": status}
    return Fault(f"status_after-{status}", spec, safe=None, unkeyed=error, unkeyed_applied=True)


FAULTS = [
    _status_after(500, bsa_lms.InternalError),
    _status_after(502, bsa_lms.UnavailableError),
    _status_after(503, bsa_lms.UnavailableError),
    _status_after(504, bsa_lms.UnavailableError),
    _status("status-500", {"kind": "status", "status": 500}, bsa_lms.InternalError),
    _status("status-502", {"kind": "status", "status": 502}, bsa_lms.UnavailableError),
    _status("status-503", {"kind": "status", "status": 503}, bsa_lms.UnavailableError),
    _status("status-504", {"kind": "status", "status": 504}, bsa_lms.UnavailableError),
    _status("status-429", {"kind": "status", "status": 429}, bsa_lms.RateLimitedError),
    _status(
        "status-429-retry-after-1",
        {"kind": "status", "status": 429, "retryAfter": 1},
        bsa_lms.RateLimitedError,
    ),
    _status(
        "status-503-retry-after-1",
        {"kind": "status", "status": 503, "retryAfter": 1},
        bsa_lms.UnavailableError,
    ),
    _status("html-502", {"kind": "html", "status": 502}, bsa_lms.UnavailableError),
    _status("empty-500", {"kind": "empty", "status": 500}, bsa_lms.InternalError),
    Fault(
        "drop_before",
        {"kind": "drop_before"},
        safe=None,
        unkeyed=bsa_lms.ApiConnectionError,
        unkeyed_applied=False,
    ),
    Fault(
        "drop_after",
        {"kind": "drop_after"},
        safe=None,
        unkeyed=bsa_lms.ApiConnectionError,
        unkeyed_applied=True,
    ),
    Fault(
        "delay-past-timeout",
        {"kind": "delay", "delayMs": DELAY_MS},
        safe=None,
        unkeyed=bsa_lms.ApiTimeoutError,
        # The server may or may not finish the abandoned request.
        unkeyed_applied=None,
    ),
    Fault(
        "malformed",
        {"kind": "malformed"},
        safe=bsa_lms.DecodeError,
        unkeyed=bsa_lms.DecodeError,
        unkeyed_applied=True,
    ),
    Fault(
        "truncated",
        {"kind": "truncated"},
        safe=bsa_lms.DecodeError,
        unkeyed=bsa_lms.DecodeError,
        unkeyed_applied=True,
    ),
]

MATRIX = [pytest.param(f, op, id=f"{f.id}-{op.value}") for f in FAULTS for op in Op]

#: The part of the matrix also run through AsyncClient.
ASYNC_FAULTS = {"status-503", "drop_before", "drop_after", "delay-past-timeout", "truncated"}
ASYNC_MATRIX = [
    pytest.param(f, op, id=f"{f.id}-{op.value}")
    for f in FAULTS
    if f.id in ASYNC_FAULTS
    for op in (Op.READ, Op.KEYED_PAYMENT, Op.UNKEYED_PAYMENT)
]


@pytest.fixture
def retrying(sandbox: Sandbox) -> Iterator[bsa_lms.Client]:
    """A client with the default retries (the conftest ``client`` has none)."""
    with bsa_lms.Client(**sandbox.options()) as c:
        yield c


@pytest.fixture
async def aretrying(sandbox: Sandbox) -> AsyncIterator[bsa_lms.AsyncClient]:
    async with bsa_lms.AsyncClient(**sandbox.options()) as c:
        yield c


def call(client: bsa_lms.Client, op: Op, key: str = KEY) -> bsa_lms.Model:
    if op is Op.READ:
        return client.get_loan_by_external_id(LOAN)
    if op is Op.IDEMPOTENT_WRITE:
        return client.update_customer_by_external_id(CUSTOMER, external_id=CUSTOMER)
    if op is Op.KEYED_PAYMENT:
        return client.create_repayment_by_external_id(
            LOAN, transaction_amount=1, idempotency_key=key
        )
    return client.create_repayment_by_external_id(LOAN, transaction_amount=1)


async def acall(client: bsa_lms.AsyncClient, op: Op, key: str = KEY) -> bsa_lms.Model:
    if op is Op.READ:
        return await client.get_loan_by_external_id(LOAN)
    if op is Op.IDEMPOTENT_WRITE:
        return await client.update_customer_by_external_id(CUSTOMER, external_id=CUSTOMER)
    if op is Op.KEYED_PAYMENT:
        return await client.create_repayment_by_external_id(
            LOAN, transaction_amount=1, idempotency_key=key
        )
    return await client.create_repayment_by_external_id(LOAN, transaction_amount=1)


def check_result(op: Op, result: bsa_lms.Model) -> None:
    """A successful call returned the right resource, decoded."""
    if op is Op.READ:
        assert isinstance(result, bsa_lms.Loan) and result.external_id == LOAN, result
    elif op is Op.IDEMPOTENT_WRITE:
        assert isinstance(result, bsa_lms.Customer) and result.external_id == CUSTOMER, result
    else:
        assert isinstance(result, bsa_lms.Transaction) and result.amount == 1, result


def repayments(sandbox: Sandbox) -> int:
    count: int = sandbox.stats()["repayments"]
    return count


def attempts(sandbox: Sandbox, op: Op) -> int:
    method, _, template = ROUTES[op]
    return sandbox.requests(f"{method} {template}")


def inject(sandbox: Sandbox, fault: Fault, op: Op) -> None:
    method, path, _ = ROUTES[op]
    sandbox.fault(method=method, path=path, **fault.spec)


def check_outcome(
    sandbox: Sandbox, fault: Fault, op: Op, error: bsa_lms.LmsError | None, before: int
) -> None:
    """The call's outcome, that the fault hit it, and the repayments applied by it."""
    context = f"{fault.id} {fault.spec} × {op.value}"
    expected = fault.expect(op)
    if expected is None:
        assert error is None, f"{context}: expected success, got {type(error).__name__}: {error}"
    else:
        assert error is not None, f"{context}: expected {expected.__name__}, the call succeeded"
        assert type(error) is expected, (
            f"{context}: expected {expected.__name__}, got {type(error).__name__}: {error}"
        )
        maybe = fault.maybe and op is not Op.READ
        assert error.maybe_applied is maybe, f"{context}: maybe_applied"
    assert sandbox.admin("GET", "faults")["faults"] == [], f"{context}: the fault was consumed"
    # A success went through one retry after the fault; a failure was not retried.
    assert attempts(sandbox, op) == (2 if error is None else 1), f"{context}: attempts"
    check_applied(sandbox, fault, op, error is None, before, context)


def check_applied(
    sandbox: Sandbox, fault: Fault, op: Op, succeeded: bool, before: int, context: str
) -> None:
    applied = repayments(sandbox) - before
    if op is Op.KEYED_PAYMENT:
        once = succeeded or fault.unkeyed_applied is True
        assert applied == int(once), f"{context}: keyed payment applied exactly once"
    elif op is Op.UNKEYED_PAYMENT:
        if succeeded:
            assert applied == 1, context
        elif fault.unkeyed_applied is not None:
            assert applied == int(fault.unkeyed_applied), f"{context}: never duplicated"
        else:
            assert applied <= 1, f"{context}: never duplicated"
    else:
        assert applied == 0, context


def settles(fault: Fault, op: Op) -> bool:
    """Whether to wait for a delayed payment the client gave up on: it still posts, and
    must not land on the next test's `l-matrix` (reads and same-value renames are harmless)."""
    return fault.delayed and op in (Op.KEYED_PAYMENT, Op.UNKEYED_PAYMENT)


def settle_time(started: float) -> float:
    return max(0.0, started + DELAY_MS / 1000 + 0.3 - time.monotonic())


def test_the_matrix_covers_every_fault_and_operation() -> None:
    assert len(MATRIX) == 72
    assert len(ASYNC_MATRIX) == 15


@pytest.mark.parametrize(("fault", "op"), MATRIX)
def test_fault_against_operation(
    fault: Fault, op: Op, sandbox: Sandbox, retrying: bsa_lms.Client
) -> None:
    active_loan(retrying, TAG)
    before = repayments(sandbox)
    inject(sandbox, fault, op)
    started = time.monotonic()
    error: bsa_lms.LmsError | None = None
    try:
        check_result(op, call(retrying.with_options(timeout=TIMEOUT), op))
    except bsa_lms.LmsError as e:
        error = e
    try:
        check_outcome(sandbox, fault, op, error, before)
    finally:
        if settles(fault, op):
            time.sleep(settle_time(started))
    if settles(fault, op):
        # Still nothing duplicated once the abandoned attempt has run.
        check_applied(sandbox, fault, op, error is None, before, f"{fault.id} settled")


@pytest.mark.parametrize(("fault", "op"), ASYNC_MATRIX)
async def test_fault_against_operation_async(
    fault: Fault,
    op: Op,
    sandbox: Sandbox,
    client: bsa_lms.Client,
    aretrying: bsa_lms.AsyncClient,
) -> None:
    active_loan(client, TAG)
    before = repayments(sandbox)
    inject(sandbox, fault, op)
    started = time.monotonic()
    error: bsa_lms.LmsError | None = None
    try:
        check_result(op, await acall(aretrying.with_options(timeout=TIMEOUT), op))
    except bsa_lms.LmsError as e:
        error = e
    try:
        check_outcome(sandbox, fault, op, error, before)
    finally:
        if settles(fault, op):
            await asyncio.sleep(settle_time(started))
    if settles(fault, op):
        check_applied(sandbox, fault, op, error is None, before, f"{fault.id} settled")


def test_token_expiry_mid_run_is_invisible_to_every_kind_of_operation(
    sandbox: Sandbox, retrying: bsa_lms.Client
) -> None:
    active_loan(retrying, TAG)
    for n, op in enumerate(Op):
        sandbox.expire_tokens()
        check_result(op, call(retrying, op, f"key-{n}"))
    assert retrying.token_mints() == 5, "one mint at start, one re-mint per expiry"
    stats = sandbox.stats()
    assert stats["tokenMints"] == 5
    assert stats["repayments"] == 2


async def test_token_expiry_mid_run_is_invisible_to_every_kind_of_operation_async(
    sandbox: Sandbox, client: bsa_lms.Client, aretrying: bsa_lms.AsyncClient
) -> None:
    active_loan(client, TAG)
    await aretrying.access_token()
    for n, op in enumerate(Op):
        sandbox.expire_tokens()
        check_result(op, await acall(aretrying, op, f"key-{n}"))
    assert aretrying.token_mints() == 5, "one mint at start, one re-mint per expiry"
    stats = sandbox.stats()
    assert stats["tokenMints"] == 6, "the set-up client's mint and the async client's five"
    assert stats["repayments"] == 2


def test_money_moving_calls_with_drops_after_commit_apply_exactly_once(
    sandbox: Sandbox, retrying: bsa_lms.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    loan = active_loan(retrying, "once")
    rng = random.Random(7)
    drops = {"create": 0, "repay": 0}
    for i in range(200):
        create = i % 2 == 0
        if rng.random() < 0.2:
            drops["create" if create else "repay"] += 1
            path = "/v1/customers" if create else f"/v1/loans/{loan.id}/repayments"
            sandbox.fault(method="POST", path=path, kind="drop_after")
        if create:
            customer = retrying.create_customer(external_id=f"once-{i}")
            assert customer.external_id == f"once-{i}", f"call {i}"
        else:
            repayment = retrying.create_repayment(
                loan.id, transaction_amount=1, idempotency_key=f"pay-{i}"
            )
            assert repayment.amount == 1, f"call {i}"
    total = drops["create"] + drops["repay"]
    assert total >= 30, f"{total} drops injected (about 20 % of 200)"
    assert drops["create"] > 0 and drops["repay"] > 0, drops
    assert sandbox.admin("GET", "faults")["faults"] == [], "every drop hit a call"
    stats = sandbox.stats()
    assert stats["customers"] == 101, "100 creates + the set-up customer, no duplicate"
    assert stats["repayments"] == 100, "100 keyed repayments, none lost or doubled"
    # Each drop cost exactly one replay (a create's replay answered 409 and was recovered).
    requests = stats["requests"]
    assert requests["POST /v1/customers"] == 101 + drops["create"]
    assert requests["GET /v1/customers/external/{customer_external_id}"] == drops["create"]
    assert requests["POST /v1/loans/{loan_id}/repayments"] == 100 + drops["repay"]
    with capsys.disabled():
        print(
            f"\nexactly-once: 200 calls, {total} drops after commit "
            f"({drops['create']} creates, {drops['repay']} repayments); "
            f"customers={stats['customers']} repayments={stats['repayments']}, 0 duplicates"
        )


def test_concurrent_threads_on_an_expired_token_mint_once(
    sandbox: Sandbox, retrying: bsa_lms.Client
) -> None:
    retrying.list_loan_products()
    sandbox.expire_tokens()
    start = threading.Barrier(CONCURRENT)

    def one(_: int) -> int:
        start.wait(timeout=30)
        return len(retrying.list_loan_products().items)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        sizes = list(pool.map(one, range(CONCURRENT)))
    assert sizes == [2] * CONCURRENT, "every call succeeds after the re-mint"
    assert retrying.token_mints() == 2, "one mint at start, one after expiry"
    stats = sandbox.stats()
    assert stats["tokenMints"] == 2
    # The first call and the 200, plus at least one answered 401 on the expired token.
    sent = stats["requests"]["GET /v1/loan-products"]
    assert 1 + CONCURRENT < sent <= 1 + 2 * CONCURRENT, sent


async def test_concurrent_tasks_on_an_expired_token_mint_once(
    sandbox: Sandbox, aretrying: bsa_lms.AsyncClient
) -> None:
    await aretrying.list_loan_products()
    sandbox.expire_tokens()
    pages = await asyncio.gather(*(aretrying.list_loan_products() for _ in range(CONCURRENT)))
    assert [len(p.items) for p in pages] == [2] * CONCURRENT, "every call succeeds"
    assert aretrying.token_mints() == 2, "one mint at start, one after expiry"
    stats = sandbox.stats()
    assert stats["tokenMints"] == 2
    sent = stats["requests"]["GET /v1/loan-products"]
    assert 1 + CONCURRENT < sent <= 1 + 2 * CONCURRENT, sent
