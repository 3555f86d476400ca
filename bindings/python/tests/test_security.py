"""Hostile input cannot retarget a call, plant a token, reach a proxy or hang a service."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

import bsa_lms
from conftest import Sandbox, active_loan


def hostile_ids(victim: str) -> list[str]:
    return [f"..\\{victim}", "..", ".", "", f"x\\..\\..\\{victim}", f"ok\x00{victim}", "a\nb"]


def test_hostile_external_ids_move_no_money_and_read_nothing(
    sandbox: Sandbox, client: bsa_lms.Client
) -> None:
    active_loan(client, "attacker")
    victim = active_loan(client, "victim")
    before = sandbox.stats()
    for hostile in hostile_ids(victim.id):
        with pytest.raises(bsa_lms.InvalidRequestError) as raised:
            client.create_repayment_by_external_id(hostile, transaction_amount=450)
        assert raised.value.field_errors[0].field == "loan_external_id", hostile
        with pytest.raises(bsa_lms.InvalidRequestError) as raised:
            client.get_customer_by_external_id(hostile)
        assert raised.value.field_errors[0].field == "customer_external_id", hostile
    after = sandbox.stats()
    assert after["repayments"] == before["repayments"]
    assert after["requests"] == before["requests"], "a hostile call was sent"
    assert list(client.list_repayments(victim.id)) == []


async def test_hostile_ids_are_refused_by_the_async_client(aclient: bsa_lms.AsyncClient) -> None:
    with pytest.raises(bsa_lms.InvalidRequestError) as raised:
        await aclient.create_repayment_by_external_id("..\\1", transaction_amount=450)
    assert raised.value.field_errors[0].field == "loan_external_id"


def run_child(script: str, env: dict[str, str] | None = None, timeout: float = 60) -> str:
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    assert child.returncode == 0, child.stderr
    return child.stdout.strip()


def test_environment_proxies_never_see_loopback_calls(sandbox: Sandbox) -> None:
    with socket.socket() as proxy:
        proxy.bind(("127.0.0.1", 0))
        proxy.listen()
        proxy_url = f"http://127.0.0.1:{proxy.getsockname()[1]}"
        names = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"]
        env = dict.fromkeys(names, proxy_url)
        env["NO_PROXY"] = env["no_proxy"] = ""
        out = run_child(
            f"""
            import bsa_lms
            c = bsa_lms.Client(base_url={sandbox.url!r}, auth_url={sandbox.url!r},
                email="ada@example.com", password="correct-horse-battery-staple", timeout=30)
            print(len(c.list_loan_products().items))
            """,
            env,
        )
        assert int(out) >= 1
        proxy.settimeout(0.3)
        with pytest.raises(socket.timeout):
            proxy.accept()


class _Redirect(BaseHTTPRequestHandler):
    target = ""

    def do_POST(self) -> None:
        self.send_response(307)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_redirects_are_reported_and_never_followed() -> None:
    with socket.socket() as landing:
        landing.bind(("127.0.0.1", 0))
        landing.listen()
        target = f"http://127.0.0.1:{landing.getsockname()[1]}/v1/loans/2/repayments"
        handler = type("Handler", (_Redirect,), {"target": target})
        server = HTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_port}"
            with (
                bsa_lms.Client(base_url=url, token="secret-token") as c,
                pytest.raises(bsa_lms.ApiError) as raised,
            ):
                c.create_repayment("1", transaction_amount=450)
            assert raised.value.status == 307
            assert target in str(raised.value)
        finally:
            server.shutdown()
            server.server_close()
        landing.settimeout(0.3)
        with pytest.raises(socket.timeout):
            landing.accept()


def shared_token(sandbox: Sandbox) -> str:
    with bsa_lms.Client(**sandbox.options()) as c:
        return c.access_token()


def plant(cache: Path, sandbox: Sandbox, token: str, mode: int) -> None:
    cache.write_text(f'{{"ada@example.com {sandbox.url}": "{token}"}}')
    cache.chmod(mode)


def mints_with(sandbox: Sandbox, cache: Path) -> int:
    with bsa_lms.Client(**sandbox.options(), token_cache=cache) as c:
        c.list_loan_products()
        return c.token_mints()


def test_a_private_token_file_is_used(sandbox: Sandbox, tmp_path: Path) -> None:
    cache = tmp_path / "tokens.json"
    plant(cache, sandbox, shared_token(sandbox), 0o600)
    assert mints_with(sandbox, cache) == 0


@pytest.mark.parametrize("mode", [0o666, 0o644, 0o660])
def test_a_token_file_others_can_read_or_write_is_ignored(
    sandbox: Sandbox, tmp_path: Path, mode: int
) -> None:
    cache = tmp_path / "tokens.json"
    plant(cache, sandbox, shared_token(sandbox), mode)
    assert mints_with(sandbox, cache) == 1


def test_a_symlinked_token_file_is_ignored(sandbox: Sandbox, tmp_path: Path) -> None:
    elsewhere = tmp_path / "planted.json"
    plant(elsewhere, sandbox, shared_token(sandbox), 0o600)
    planted = elsewhere.read_text()
    cache = tmp_path / "tokens.json"
    cache.symlink_to(elsewhere)
    assert mints_with(sandbox, cache) == 1
    assert elsewhere.read_text() == planted, "written through the link"
    assert not cache.is_symlink() and stat.S_IMODE(cache.stat().st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_a_token_file_of_another_user_is_ignored(sandbox: Sandbox, tmp_path: Path) -> None:
    cache = tmp_path / "tokens.json"
    plant(cache, sandbox, shared_token(sandbox), 0o600)
    os.chown(cache, 65534, 65534)
    assert mints_with(sandbox, cache) == 1


def test_a_fork_during_a_mint_blocks_no_other_process(sandbox: Sandbox, tmp_path: Path) -> None:
    """A child forked while its parent holds the token-file lock neither keeps
    the lock nor waits for it; a third process gets the parent's token as soon
    as the parent's mint ends."""
    cache = tmp_path / "tokens.json"
    sandbox.fault(method="GET", path="/v1/auth/token", kind="delay", delayMs=2000)
    client_source = textwrap.dedent(f"""
        import os, sys, threading, time, bsa_lms
        c = bsa_lms.Client(base_url={sandbox.url!r}, auth_url={sandbox.url!r},
            email="ada@example.com", password="correct-horse-battery-staple",
            token_cache={str(cache)!r})
    """)
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            client_source
            + textwrap.dedent(
                """
        minting = threading.Thread(target=c.access_token)
        minting.start()
        time.sleep(0.5)  # the mint now holds the lock, waiting on the delayed token host
        print("forking", flush=True)
        pid = os.fork()
        if pid == 0:
            started = time.monotonic()
            c.access_token()
            print(f"child {time.monotonic() - started:.1f}", flush=True)
            os.close(1)
            time.sleep(20)  # keeps every other inherited descriptor open, the lock's too
            os._exit(0)
        minting.join()
        print("parent done", flush=True)
        """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "forking"
        started = time.monotonic()
        third = run_child(client_source + "print(c.access_token() != '', c.token_mints())")
        elapsed = time.monotonic() - started
        assert third == "True 0", "the third process minted instead of sharing"
        assert elapsed < 15, f"the third process waited {elapsed:.1f} s"
    finally:
        out, _ = parent.communicate(timeout=30)
    assert "parent done" in out
    assert "child" in out, "the forked child got no token"


def test_a_daemon_thread_call_at_exit_ends_without_a_panic(sandbox: Sandbox) -> None:
    sandbox.fault(method="GET", path="/v1/loan-products", kind="delay", delayMs=3000)
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import threading, time, bsa_lms
                c = bsa_lms.Client(base_url={sandbox.url!r}, auth_url={sandbox.url!r},
                    email="ada@example.com", password="correct-horse-battery-staple")
                c.access_token()
                threading.Thread(target=c.list_loan_products, daemon=True).start()
                time.sleep(0.5)
                """
            ),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    assert "panic" not in child.stderr.lower(), child.stderr
