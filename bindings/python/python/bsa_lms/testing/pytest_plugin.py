"""pytest plugin of ``bsa_lms.testing`` (registered through the ``pytest11`` entry point).

``bsa_lms_sandbox``: one in-process sandbox per test session, started on first use and
reset before each test that asks for it. It is a plain fixture, so sync and async tests
(pytest-asyncio, anyio) take it alike.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import Sandbox


@pytest.fixture(scope="session")
def bsa_lms_sandbox_session() -> Iterator[Sandbox]:
    """The session's sandbox, not reset between tests."""
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def bsa_lms_sandbox(bsa_lms_sandbox_session: Sandbox) -> Sandbox:
    """The session's sandbox, reset to its seed state for this test."""
    bsa_lms_sandbox_session.reset()
    return bsa_lms_sandbox_session
