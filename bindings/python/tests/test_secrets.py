"""Secrets never appear in repr, errors or logs; logging reaches Python's `logging`."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

import bsa_lms
from conftest import PASSWORD, Sandbox

SECRET_PASSWORD = "hunter2-very-secret-password"


def test_repr_shows_host_and_auth_mode_only(sandbox: Sandbox) -> None:
    client = bsa_lms.Client(**sandbox.options())
    token = client.access_token()
    text = repr(client) + str(client) + repr(client.with_options(timeout=3))
    assert text.startswith(f"Client(base_url='{sandbox.url}', auth='credentials')")
    assert PASSWORD not in text and token not in text
    static = bsa_lms.AsyncClient(base_url=sandbox.url, token=token)
    assert repr(static) == f"AsyncClient(base_url='{sandbox.url}', auth='token')"
    assert token not in repr(static)


def test_errors_never_carry_the_password_or_token(sandbox: Sandbox) -> None:
    wrong = bsa_lms.Client(**sandbox.options(password=SECRET_PASSWORD))
    with pytest.raises(bsa_lms.AuthenticationError) as info:
        wrong.list_loan_products()
    err = info.value
    text = " ".join(str(v) for v in (err, repr(err), err.message, err.body, err.field_errors))
    assert SECRET_PASSWORD not in text

    token = bsa_lms.Client(**sandbox.options()).access_token()
    sandbox.expire_tokens()
    with pytest.raises(bsa_lms.UnauthenticatedError) as info2:
        bsa_lms.Client(base_url=sandbox.url, token=token, max_retries=0).list_loan_products()
    err2 = info2.value
    assert token not in " ".join(str(v) for v in (err2, repr(err2), err2.body))


def test_debug_logs_reach_the_bsa_lms_logger_without_secrets(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    client = bsa_lms.Client(**sandbox.options(password=PASSWORD))
    with caplog.at_level(logging.DEBUG, logger="bsa_lms"):
        token = client.access_token()
        sandbox.fault(method="GET", path="/v1/loan-products", kind="status", status=503)
        client.list_loan_products()
    records = [r for r in caplog.records if r.name == "bsa_lms"]
    assert records, "tracing events were forwarded"
    assert any("retrying" in r.getMessage() for r in records)
    text = "\n".join(r.getMessage() for r in records)
    assert PASSWORD not in text and token not in text


def test_logging_is_silent_above_the_configured_level(
    client: bsa_lms.Client, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bsa_lms"):
        sandbox.fault(method="GET", path="/v1/loan-products", kind="status", status=503)
        with pytest.raises(bsa_lms.UnavailableError):
            client.list_loan_products()
    assert not [r for r in caplog.records if r.name == "bsa_lms"]


def test_bsa_lms_log_variable_turns_logging_on(sandbox: Sandbox) -> None:
    script = textwrap.dedent(
        f"""
        import bsa_lms
        c = bsa_lms.Client(base_url={sandbox.url!r}, auth_url={sandbox.url!r},
            email="ada@example.com", password={PASSWORD!r})
        print(c.access_token())
        c.list_loan_products()
        """
    )
    env = {**os.environ, "BSA_LMS_LOG": "debug"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, env=env
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert "DEBUG bsa_lms: minted a token" in done.stderr
    assert PASSWORD not in done.stderr and token not in done.stderr
