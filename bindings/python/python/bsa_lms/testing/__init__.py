"""Test your BSA LMS integration offline, against a sandbox running inside the test process.

    from bsa_lms import Client
    from bsa_lms.testing import Sandbox

    with Sandbox() as sandbox:
        client = Client(**sandbox.client_options())
        sandbox.fault("/v1/loans/*/repayments", "status", status=503, count=3)
        ...

The sandbox is a stateful simulator of the API (the token host and the main API on one
loopback origin, data in memory) with an admin surface for tests: ``reset()``, faults,
forced 401s, token expiry and lifetime, the business date, charges and request counts.
It runs on its own thread, from the native module: no separate binary and no network.

With pytest, the ``bsa_lms_sandbox`` fixture (registered automatically) gives one sandbox
per session, reset before each test.
"""

from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.request
from typing import Any, Literal, TypedDict, Union

from .._native import NativeSandbox

__all__ = [
    "EMAIL",
    "PASSWORD",
    "FaultKind",
    "Sandbox",
    "SandboxAdminError",
    "Stats",
]

EMAIL = "ada@example.com"
"""The seed account (role ADMIN) every sandbox starts with."""
PASSWORD = "correct-horse-battery-staple"

FaultKind = Literal[
    "status", "drop_before", "drop_after", "delay", "malformed", "truncated", "html", "empty"
]
"""How a faulted request fails:

- ``status``: the handler does not run; the answer is ``status`` (default 503) with the API's
  error envelope (500 internal, 502/503/504 unavailable, 429 resource_exhausted, ...).
- ``drop_before``: the handler does not run; the connection closes without a response.
- ``drop_after``: the handler runs (its write is committed); the connection closes without a
  response byte.
- ``delay``: the handler runs after ``delay_ms`` (default 1000); the normal answer, late.
- ``malformed``: the handler runs; ``200`` with a body that is not valid JSON.
- ``truncated``: the handler runs; the first half of the real body.
- ``html``: the handler does not run; ``status`` (default 502) with an HTML error page.
- ``empty``: the handler does not run; ``status`` (default 500) with an empty body.
"""

ChargeKind = Literal["penalty", "fee"]
RollbackStep = Literal["undo-disbursal", "undo-approval"]
TransactionShape = Literal["current", "alt", "old"]
DateLike = Union[datetime.date, str]


class Stats(TypedDict):
    """What the sandbox counted since its last reset."""

    tokenMints: int
    requests: dict[str, int]
    """Requests by ``"<METHOD> <route template>"``, e.g. ``"POST /v1/loans/{loan_id}/repayments"``;
    faulted and rejected requests included."""
    customers: int
    loans: int
    transactions: int
    repayments: int


class SandboxAdminError(Exception):
    """An admin call the sandbox refused (a bad argument, or a state rule)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"sandbox admin call failed with {status}: {body}")
        self.status = status
        self.body = body


# The admin calls go to loopback: a proxy from the environment must never see them.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Sandbox:
    """A BSA LMS sandbox on a free loopback port, in this process.

    Use it as a context manager, or call ``start()`` and ``stop()``. Every admin helper
    talks to this instance only (it holds the instance's admin token).
    """

    email: str = EMAIL
    password: str = PASSWORD

    def __init__(
        self,
        *,
        today: DateLike | None = None,
        token_lifetime: int | None = None,
        port: int = 0,
    ) -> None:
        """``today`` fixes the business date (default: the current UTC date);
        ``token_lifetime`` is the lifetime of minted tokens in seconds (default 365 days);
        ``reset()`` returns to both."""
        self._today = None if today is None else _iso(today)
        self._token_lifetime = token_lifetime
        self._port = port
        self._native: NativeSandbox | None = None

    def start(self) -> Sandbox:
        """Starts serving (a no-op when already started) and returns ``self``."""
        if self._native is None:
            self._native = NativeSandbox(
                port=self._port, token_lifetime=self._token_lifetime, today=self._today
            )
        return self

    def stop(self) -> None:
        """Stops serving; the port is released. Safe to call twice."""
        native, self._native = self._native, None
        if native is not None:
            native.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self._native.url if self._native is not None else "stopped"
        return f"<bsa_lms.testing.Sandbox {state}>"

    @property
    def running(self) -> bool:
        return self._native is not None

    @property
    def url(self) -> str:
        """Base URL of both the token host and the API (``http://127.0.0.1:<port>``)."""
        return self._running().url

    @property
    def admin_token(self) -> str:
        """The secret of this instance's admin surface (sent by every helper here)."""
        return self._running().admin_token

    def client_options(self, **extra: Any) -> dict[str, Any]:
        """Keyword arguments for ``bsa_lms.Client`` / ``AsyncClient``: both hosts on the
        sandbox and the seed account; ``extra`` adds or overrides settings."""
        options: dict[str, Any] = {
            "base_url": self.url,
            "auth_url": self.url,
            "email": self.email,
            "password": self.password,
        }
        options.update(extra)
        return options

    # ------------------------------------------------------------------ admin helpers

    def reset(self) -> None:
        """Back to the seed state: data and ids, faults, counters, revocations, forced 401s,
        accounts, scorecards, the business date and the token lifetime."""
        self._admin("POST", "reset")

    def fault(
        self,
        path: str,
        kind: FaultKind = "status",
        *,
        method: str | None = None,
        count: int = 1,
        status: int | None = None,
        retry_after: int | None = None,
        delay_ms: int | None = None,
    ) -> str:
        """Queues a fault for the next ``count`` requests whose path matches ``path`` and
        returns its id.

        ``path`` is matched segment by segment against the path as sent: ``*`` is one
        segment, ``**`` any number (``"/v1/loans/*/repayments"``, ``"/v1/**"``;
        ``"/v1/auth/token"`` faults the token host). ``method`` limits it to one HTTP method.
        ``retry_after`` (seconds) adds a ``Retry-After`` header to ``status``, ``html`` and
        ``empty`` answers. Faults apply oldest first, before the token check.
        """
        spec: dict[str, Any] = {"path": path, "kind": kind, "count": count}
        for key, value in (
            ("method", method),
            ("status", status),
            ("retryAfter", retry_after),
            ("delayMs", delay_ms),
        ):
            if value is not None:
                spec[key] = value
        fault_id: str = self._admin("POST", "faults", spec)["id"]
        return fault_id

    def faults(self) -> list[dict[str, Any]]:
        """The pending faults, with their remaining ``count``."""
        pending: list[dict[str, Any]] = self._admin("GET", "faults")["faults"]
        return pending

    def clear_faults(self) -> int:
        """Drops every pending fault; returns how many there were."""
        cleared: int = self._admin("DELETE", "faults")["cleared"]
        return cleared

    def unauthorized(self, count: int = 1) -> None:
        """The next ``count`` API requests answer ``401 unauthenticated`` whatever their token
        (the token host is not affected): exercises re-mint-and-retry."""
        self._admin("POST", "unauthorized", {"count": count})

    def expire_tokens(self) -> None:
        """Every token minted so far is rejected with 401 from now on; new mints work."""
        self._admin("POST", "tokens/expire")

    def set_token_lifetime(self, seconds: int) -> None:
        """Lifetime of tokens minted from now on (``0`` mints already-expired tokens)."""
        self._admin("POST", "auth", {"tokenLifetimeSeconds": seconds})

    def today(self) -> datetime.date:
        """The business date."""
        return datetime.date.fromisoformat(self._admin("GET", "clock")["today"])

    def set_today(self, today: DateLike | None) -> datetime.date:
        """Moves the business date (``None`` follows the UTC date again); returns it."""
        body = {"today": None if today is None else _iso(today)}
        return datetime.date.fromisoformat(self._admin("POST", "clock", body)["today"])

    def add_charge(self, loan_id: str | int, kind: ChargeKind, amount: float) -> dict[str, Any]:
        """Adds a penalty or fee due with the next unpaid instalment of an Active loan;
        returns the loan as the API renders it."""
        loan: dict[str, Any] = self._admin(
            "POST", f"loans/{loan_id}/charges", {"kind": kind, "amount": amount}
        )
        return loan

    def add_account(
        self, email: str, password: str, roles: list[str] | None = None
    ) -> dict[str, Any]:
        """Adds (or replaces) an account that can mint tokens; roles default to ``["ADMIN"]``
        (other roles mint tokens the API answers with 401)."""
        body: dict[str, Any] = {"email": email, "password": password}
        if roles is not None:
            body["roles"] = roles
        account: dict[str, Any] = self._admin("POST", "accounts", body)
        return account

    def add_pending_customer(self, external_id: str) -> dict[str, Any]:
        """Seeds a customer in status ``Pending`` (the API only creates Active ones)."""
        customer: dict[str, Any] = self._admin(
            "POST", "customers/pending", {"externalId": external_id}
        )
        return customer

    def set_scorecard(
        self, external_id: str, *, grade: str = "C", score: int = 500, limit: float = 0
    ) -> dict[str, Any]:
        """Seeds or replaces the credit scorecard entry of ``external_id``."""
        entry: dict[str, Any] = self._admin(
            "POST",
            "scorecards",
            {
                "externalId": external_id,
                "halopesaGrade": grade,
                "finalCreditScore": score,
                "finalCreditLimit": limit,
            },
        )
        return entry

    def set_rollback_stop(self, after_step: RollbackStep | None) -> None:
        """The next rollback that performs ``after_step`` stops right after it and answers
        ``500 internal`` (a half-done rollback); ``None`` clears it."""
        self._admin("POST", "rollback-stop", {"afterStep": after_step})

    def set_transaction_shape(self, shape: TransactionShape) -> None:
        """Field naming of transaction responses: the current one, or an older variant."""
        self._admin("POST", "transaction-shape", {"shape": shape})

    def stats(self) -> Stats:
        """Counters since the last reset (see ``Stats``)."""
        stats: Stats = self._admin("GET", "stats")
        return stats

    def requests(self, route: str) -> int:
        """Requests received for ``"<METHOD> <route template>"``."""
        return self.stats()["requests"].get(route, 0)

    # ------------------------------------------------------------------ internals

    def _running(self) -> NativeSandbox:
        if self._native is None:
            raise RuntimeError("the sandbox is not running: call start() or use `with`")
        return self._native

    def _admin(self, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
        native = self._running()
        headers = {"x-sandbox-admin-token": native.admin_token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        request = urllib.request.Request(
            f"{native.url}/_sandbox/{route}", data=data, method=method, headers=headers
        )
        try:
            with _OPENER.open(request, timeout=30) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as e:
            with e:
                raise SandboxAdminError(e.code, e.read().decode(errors="replace")) from None
        return json.loads(text) if text else None


def _iso(day: DateLike) -> str:
    return day.isoformat() if isinstance(day, datetime.date) else str(day)
