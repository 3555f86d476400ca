"""Token handling through the binding: refresh, the single 401 retry, static tokens."""

from __future__ import annotations

import asyncio
import pathlib
import stat
import subprocess
import sys
import time

import pytest

import bsa_lms
from conftest import Sandbox


def test_a_short_lived_token_is_refreshed_before_use(sandbox: Sandbox) -> None:
    sandbox.token_lifetime(2)
    client = bsa_lms.Client(**sandbox.options())
    client.list_loan_products()
    client.list_loan_products()
    assert client.token_mints() == 1, "a fresh token is reused"
    time.sleep(1.2)  # less than half of the lifetime left: refreshed before the next call
    client.list_loan_products()
    assert client.token_mints() == 2
    assert sandbox.stats()["tokenMints"] == 2


def test_one_remint_and_retry_after_a_401(client: bsa_lms.Client, sandbox: Sandbox) -> None:
    client.list_loan_products()
    sandbox.unauthorized(1)
    assert client.list_loan_products().items, "the retry with a new token succeeds"
    assert client.token_mints() == 2

    sandbox.unauthorized(2)
    with pytest.raises(bsa_lms.UnauthenticatedError) as info:
        client.list_loan_products()
    assert info.value.status == 401
    assert client.token_mints() == 3, "exactly one re-mint per call"
    client.list_loan_products()


async def test_async_calls_remint_after_a_401(
    aclient: bsa_lms.AsyncClient, sandbox: Sandbox
) -> None:
    await aclient.list_loan_products()
    sandbox.expire_tokens()
    await aclient.list_loan_products()
    assert aclient.token_mints() == 2


def test_static_token_mode_raises_unauthenticated(sandbox: Sandbox) -> None:
    token = bsa_lms.Client(**sandbox.options()).access_token()
    static = bsa_lms.Client(base_url=sandbox.url, token=token, max_retries=0)
    assert repr(static) == f"Client(base_url='{sandbox.url}', auth='token')"
    assert static.list_loan_products().items
    sandbox.expire_tokens()
    with pytest.raises(bsa_lms.UnauthenticatedError) as info:
        static.list_loan_products()
    assert info.value.status == 401
    assert token not in str(info.value) and token not in repr(info.value)
    assert static.token_mints() == 0
    assert sandbox.stats()["tokenMints"] == 1, "only the mint that produced the token"


def test_concurrent_first_calls_mint_one_token(sandbox: Sandbox) -> None:
    async def main() -> None:
        client = bsa_lms.AsyncClient(**sandbox.options())
        await asyncio.gather(*(client.list_loan_products() for _ in range(20)))
        assert client.token_mints() == 1

    asyncio.run(main())
    assert sandbox.stats()["tokenMints"] == 1


def test_credentials_from_the_environment(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BSA_LMS_BASE_URL", sandbox.url)
    monkeypatch.setenv("BSA_LMS_AUTH_URL", sandbox.url)
    monkeypatch.setenv("BSA_LMS_EMAIL", "ada@example.com")
    monkeypatch.setenv("BSA_LMS_PASSWORD", "correct-horse-battery-staple")
    client = bsa_lms.Client()
    assert client.base_url == sandbox.url
    assert repr(client) == f"Client(base_url='{sandbox.url}', auth='credentials')"
    assert client.list_loan_products().items


def test_missing_credentials_are_an_invalid_request(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BSA_LMS_EMAIL", "BSA_LMS_PASSWORD", "BSA_LMS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(bsa_lms.InvalidRequestError, match="no credentials"):
        bsa_lms.Client()
    with pytest.raises(bsa_lms.InvalidRequestError) as info:
        bsa_lms.Client(email="a@b.c")
    assert info.value.field_errors[0].field == "password"


def test_background_rotation_mints_fresh_tokens_until_closed(
    sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    # At the minimum interval (60 s), rotation renews each two-second token as it
    # enters its refresh window, through the refresh path: the shared file follows.
    sandbox.token_lifetime(2)
    cache = tmp_path / "tokens.json"
    client = bsa_lms.Client(**sandbox.options(rotation_interval=60), token_cache=cache)
    client.list_loan_products()
    first = client.access_token()
    time.sleep(2.5)
    rotated = client.token_mints()
    assert rotated >= 2, f"rotation minted {rotated - 1} tokens in 2.5 s"
    current = client.access_token()
    assert current != first
    assert current in cache.read_text(), "the rotated token is in the shared file"
    client.close()
    time.sleep(1.5)
    assert client.token_mints() <= rotated + 1, "rotation stops when the client is closed"
    with pytest.raises(bsa_lms.InvalidRequestError):
        client.access_token()


def test_rotation_intervals_below_a_minute_are_refused(sandbox: Sandbox) -> None:
    with pytest.raises(bsa_lms.InvalidRequestError) as info:
        bsa_lms.Client(**sandbox.options(rotation_interval=59))
    assert info.value.field_errors[0].field == "rotation_interval"


def test_processes_sharing_a_token_cache_mint_one_token(
    sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    cache = tmp_path / "tokens.json"
    client = bsa_lms.Client(**sandbox.options(), token_cache=cache)
    client.list_loan_products()
    assert client.token_mints() == 1
    # Another process with the same cache uses the stored token instead of minting.
    script = (
        "import sys, bsa_lms\n"
        f"c = bsa_lms.Client(base_url={sandbox.url!r}, auth_url={sandbox.url!r},\n"
        "    email='ada@example.com', password='correct-horse-battery-staple',\n"
        f"    token_cache={str(cache)!r})\n"
        "c.list_loan_products()\n"
        "print(c.token_mints())\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert child.stdout.strip() == "0"
    assert sandbox.stats()["tokenMints"] == 1
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
