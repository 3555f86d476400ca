"""Stubs of the native extension (Rust, pyo3). Use the ``bsa_lms`` package instead."""

import os
from typing import Any

__version__: str

class NativeClient:
    base_url: str
    auth_mode: str
    closed: bool
    def __init__(
        self,
        *,
        base_url: str | None = None,
        auth_url: str | None = None,
        email: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int | None = None,
        headers: dict[str, str] | None = None,
        refresh_threshold: float | None = None,
        rotation_interval: float | None = None,
        token_cache: str | os.PathLike[str] | None = None,
        allow_insecure_http: bool = False,
        replay_inferred_idempotency_keys: bool = False,
        user_agent_suffix: str | None = None,
    ) -> None: ...
    def call(
        self,
        operation: str,
        args: dict[str, Any],
        timeout: float | None = None,
        max_retries: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any: ...
    def call_async(
        self,
        operation: str,
        args: dict[str, Any],
        completions: Completions,
        key: int,
        timeout: float | None = None,
        max_retries: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Pending: ...
    def access_token(self) -> str: ...
    def access_token_async(self, completions: Completions, key: int) -> Pending: ...
    def token_mints(self) -> int: ...
    def close(self) -> None: ...

class Completions:
    def __init__(self) -> None: ...
    def fileno(self) -> int: ...
    def take(self) -> list[tuple[int, bool, Any]]: ...

class Pending:
    def abort(self) -> None: ...

def operations() -> list[str]: ...
def next_page(
    requested: int,
    echoed: int | None,
    count: int,
    rows_per_page: int | None,
    total: int | None,
    records_before: int,
    fingerprint: str,
    previous_fingerprint: str | None,
) -> int | None: ...
def _panic_probe(completions: Completions | None = None, key: int = 0) -> Any: ...
def _at_exit() -> None: ...

class NativeSandbox:
    """An in-process sandbox (see ``bsa_lms.testing.Sandbox``)."""

    url: str
    admin_token: str
    def __init__(
        self, *, port: int = 0, token_lifetime: int | None = None, today: str | None = None
    ) -> None: ...
    def stop(self) -> None: ...
