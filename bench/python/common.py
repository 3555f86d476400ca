"""Shared by the Python benchmarks: sandbox set-up (stdlib only, never measured), drivers,
RSS and CPU readings."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

EMAIL = "ada@example.com"
PASSWORD = "correct-horse-battery-staple"
API_VERSION = "1.0.0"
# A repayment batch spreads its POSTs over this many per loan at most: the sandbox replays a
# loan's whole history on every repayment, which would otherwise dominate long batches.
REPAYMENTS_PER_LOAN = 100
CALLS = ("get_loan", "list_loans", "create_repayment")


@dataclass
class Seed:
    loan: str
    repay: list[str] = field(default_factory=list)

    def loan_for(self, call: str, i: int) -> str:
        if call == "create_repayment" and self.repay:
            return self.repay[i % len(self.repay)]
        return self.loan


class Admin:
    """The sandbox's admin surface and the seed, through urllib (never part of a measurement)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        basic = base64.b64encode(f"{EMAIL}:{PASSWORD}".encode()).decode()
        req = urllib.request.Request(
            f"{self.url}/v1/auth/token", headers={"Authorization": f"Basic {basic}"}
        )
        with urllib.request.urlopen(req) as resp:
            self.token: str = json.load(resp)["token"]
        self.bearer = f"Bearer {self.token}"

    def _post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(body).encode(),
            method="POST",
            # bench/run.py passes on the sandbox's admin token for the /_sandbox calls.
            headers={
                "Authorization": self.bearer,
                "Content-Type": "application/json",
                "X-Sandbox-Admin-Token": os.environ.get("BSA_LMS_SANDBOX_ADMIN_TOKEN", ""),
            },
        )
        with urllib.request.urlopen(req) as resp:
            result: dict[str, object] = json.load(resp)
            return result

    def reset_and_seed(self, repay_loans: int = 0) -> Seed:
        """Resets the sandbox; seeds one customer, its loan (product 2: 12 instalments) and
        `repay_loans` more loans for repayment batches to spread over."""
        self._post("/_sandbox/reset", {})
        customer = self._post("/v1/customers", {"externalId": "bench-customer-1"})
        ids = []
        for i in range(repay_loans + 1):
            loan = self._post(
                "/v1/loans",
                {
                    "customerId": customer["id"],
                    "productId": 2,
                    "principal": 50000,
                    "externalId": f"bench-loan-{i + 1}",
                },
            )
            ids.append(str(loan["id"]))
        return Seed(loan=ids[0], repay=ids[1:])

    def seed_for(self, call: str, calls: int) -> Seed:
        repay = -(-calls // REPAYMENTS_PER_LOAN) if call == "create_repayment" else 0
        return self.reset_and_seed(repay)


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def drive_sync(calls: int, op: Callable[[int], object]) -> tuple[float, float]:
    """Runs `op(0)` .. `op(calls - 1)` in turn; returns (wall seconds, process CPU seconds)."""
    cpu, started = time.process_time(), time.perf_counter()
    for i in range(calls):
        op(i)
    return time.perf_counter() - started, time.process_time() - cpu


async def drive_async(
    calls: int, concurrency: int, op: Callable[[int], Awaitable[object]]
) -> tuple[float, float]:
    """`concurrency` tasks take the next call number until none is left (so that many calls
    are in flight); returns (wall seconds, process CPU seconds)."""
    numbers = iter(range(calls))

    async def worker() -> None:
        for i in numbers:
            await op(i)

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, calls))))
    return time.perf_counter() - started, time.process_time() - cpu


def median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return float("nan")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
