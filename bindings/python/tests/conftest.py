"""Starts the sandbox binary once per session and resets it before every test.

The binary is ``$BSA_LMS_SANDBOX_BIN`` or ``target/debug/bsa-lms-sandbox`` (built by
``cargo build -p bsa-lms-sandbox``); it runs with ``--exit-with-stdin`` so that it
exits with the test process however that ends.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import bsa_lms

ROOT = Path(__file__).resolve().parents[3]
EMAIL = "ada@example.com"
PASSWORD = "correct-horse-battery-staple"


def sandbox_binary() -> str:
    return os.environ.get("BSA_LMS_SANDBOX_BIN") or str(ROOT / "target/debug/bsa-lms-sandbox")


class Sandbox:
    """The running sandbox and its admin surface (``/_sandbox/...``)."""

    def __init__(self, url: str, admin_token: str, process: subprocess.Popen[bytes]) -> None:
        self.url = url
        self.admin_token = admin_token
        self.process = process

    def options(self, **extra: Any) -> dict[str, Any]:
        """Client settings for the seed account, both hosts on the sandbox."""
        settings: dict[str, Any] = {
            "base_url": self.url,
            "auth_url": self.url,
            "email": EMAIL,
            "password": PASSWORD,
        }
        settings.update(extra)
        return settings

    def admin(self, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"x-sandbox-admin-token": self.admin_token}
        if data is not None:
            headers["content-type"] = "application/json"
        request = urllib.request.Request(
            f"{self.url}/_sandbox/{route}", data=data, method=method, headers=headers
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def reset(self) -> None:
        self.admin("POST", "reset")

    def fault(self, **spec: Any) -> None:
        """Queues a fault: ``path``, ``kind``, optional ``method``, ``status``, ``count``, ..."""
        self.admin("POST", "faults", spec)

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.admin("GET", "stats")
        return stats

    def requests(self, route: str) -> int:
        """Requests the sandbox received for ``"<METHOD> <route template>"``."""
        count: int = self.stats()["requests"].get(route, 0)
        return count

    def unauthorized(self, count: int) -> None:
        self.admin("POST", "unauthorized", {"count": count})

    def token_lifetime(self, seconds: int) -> None:
        self.admin("POST", "auth", {"tokenLifetimeSeconds": seconds})

    def expire_tokens(self) -> None:
        self.admin("POST", "tokens/expire")


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    binary = sandbox_binary()
    if not Path(binary).exists():
        pytest.fail(f"{binary} is missing: run `cargo build -p bsa-lms-sandbox`")
    process = subprocess.Popen(
        [binary, "--port", "0", "--exit-with-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    # The admin token line comes first, then the URL line.
    url = admin_token = None
    for raw in process.stdout:
        line = raw.decode().strip()
        if line.startswith("BSA_LMS_SANDBOX_ADMIN_TOKEN="):
            admin_token = line.split("=", 1)[1]
        if line.startswith("BSA_LMS_SANDBOX_URL="):
            url = line.split("=", 1)[1]
            break
    if url is None or admin_token is None:
        process.kill()
        pytest.fail(f"the sandbox printed no URL (exit status {process.wait()})")
    try:
        yield Sandbox(url, admin_token, process)
    finally:
        # Closing stdin makes it exit.
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.fixture(autouse=True)
def _fresh_sandbox(sandbox: Sandbox) -> None:
    sandbox.reset()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[bsa_lms.Client]:
    """A client without automatic retries, so that faults surface as they are."""
    with bsa_lms.Client(**sandbox.options(max_retries=0)) as c:
        yield c


@pytest.fixture
async def aclient(sandbox: Sandbox) -> AsyncIterator[bsa_lms.AsyncClient]:
    async with bsa_lms.AsyncClient(**sandbox.options(max_retries=0)) as c:
        yield c


def active_loan(client: bsa_lms.Client, tag: str = "x", principal: float = 10000) -> bsa_lms.Loan:
    """A disbursed (Active) loan of a new customer."""
    customer = client.create_customer(external_id=f"c-{tag}")
    return client.create_loan(
        customer_id=int(customer.id),
        product_id=1,
        principal=principal,
        external_id=f"l-{tag}",
    )
