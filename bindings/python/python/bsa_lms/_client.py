"""The hand-written runtime under the generated surface: client construction and
options, the model base class and the auto-paging pages.

Every operation method (generated into ``_generated.py``) builds its arguments and
ends in ``_request`` / ``_request_async``; nothing here knows about a single operation.
"""

from __future__ import annotations

import atexit
import base64
import datetime as _dt
import itertools
import logging
import os
import sys
import weakref
from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, Callable, Generic, Optional, TypeVar, Union, cast

from . import _native
from .errors import _invalid_request

if TYPE_CHECKING:
    # Imported where used at run time: asyncio costs 20 ms at import, and sync users never need it.
    import asyncio

__all__ = ["AsyncPage", "AsyncPager", "Model", "SyncPage"]

_USER_AGENT = f"python/{sys.version_info[0]}.{sys.version_info[1]}"

# Per-call options: (timeout seconds, max_retries, extra headers).
_Options = tuple[Optional[float], Optional[int], Optional[dict[str, str]]]


class Model:
    """A response object: attribute access in snake_case, ``m["apiField"]`` for any field
    (including ones this SDK does not know yet), ``to_dict()`` for the JSON as received."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any]:
        """The object as received (API field names, unknown fields included). Not a copy."""
        return self._data

    def get(self, key: str, default: Any = None) -> Any:
        """A field by its API name, or ``default`` when absent."""
        return self._data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Model):
            return type(self) is type(other) and self._data == other._data
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dict it wraps

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"


M = TypeVar("M", bound=Model)
_C = TypeVar("_C", bound="_BaseClient")


def _date(value: _dt.date | str, field: str) -> str:
    """A request date as ``YYYY-MM-DD``: a ``datetime.date`` or the string itself."""
    if isinstance(value, str):
        return value
    if isinstance(value, _dt.datetime):
        raise _invalid_request(
            field, "pass a datetime.date or 'YYYY-MM-DD', not a datetime (the day is ambiguous)"
        )
    # Typed callers never get here with anything else; untyped ones may.
    if isinstance(value, _dt.date):  # pyright: ignore[reportUnnecessaryIsInstance]
        return value.isoformat()
    raise _invalid_request(
        field, f"expected a datetime.date or a 'YYYY-MM-DD' string, got {type(value).__name__}"
    )


FileInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
"""A file argument: a path, the bytes themselves, or a binary file object read to its end."""


def _file_part(value: FileInput, field: str) -> dict[str, str]:
    """A file as the core takes it: base64 contents and a file name."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        data, name = bytes(value), "file"
    elif isinstance(value, (str, os.PathLike)):
        path = str(os.fspath(value))
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise _invalid_request(field, f"cannot read {path!r}: {e}") from None
        name = os.path.basename(path)
    elif callable(getattr(value, "read", None)):
        # Untyped callers may pass a text-mode file: its read() gives str.
        raw = cast(object, value.read())
        if not isinstance(raw, bytes):
            raise _invalid_request(field, "the file object must be opened in binary mode")
        data, name = raw, os.path.basename(str(getattr(value, "name", "file")))
    else:
        raise _invalid_request(
            field, f"expected a path, bytes or a binary file object, got {type(value).__name__}"
        )
    return {"base64": base64.b64encode(data).decode("ascii"), "filename": name}


def _merge(base: _Options | None, call: _Options) -> _Options:
    """Per-call options over the ones set with ``with_options``."""
    if base is None:
        return call
    headers = call[2]
    if base[2] and headers:
        headers = {**base[2], **headers}
    return (
        call[0] if call[0] is not None else base[0],
        call[1] if call[1] is not None else base[1],
        headers if headers is not None else base[2],
    )


class _BaseClient:
    __slots__ = ("_native", "_options")

    _native: _native.NativeClient
    _options: _Options | None

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
        headers: Mapping[str, str] | None = None,
        refresh_threshold: float | None = None,
        rotation_interval: float | None = None,
        token_cache: str | os.PathLike[str] | None = None,
        allow_insecure_http: bool = False,
        replay_inferred_idempotency_keys: bool = False,
    ) -> None:
        """Builds a client. Unset values come from ``BSA_LMS_*`` environment variables,
        then the documented hosts. Durations are in seconds.

        Args:
            base_url: main API host (``BSA_LMS_BASE_URL``).
            auth_url: token host (``BSA_LMS_AUTH_URL``).
            email: partner account (``BSA_LMS_EMAIL``); tokens are minted and refreshed.
            password: its password (``BSA_LMS_PASSWORD``).
            token: a ready bearer token (``BSA_LMS_TOKEN``); alone, a 401 is final.
            timeout: per-attempt timeout (default 60).
            connect_timeout: time to open a connection (default 10).
            max_retries: retries of transient failures (default 2, 0 turns them off).
            headers: extra headers sent with every request.
            refresh_threshold: re-mint a token with less than this left (default 7 days).
            rotation_interval: mint a fresh token in the background this often.
            token_cache: a file through which this machine's processes share tokens
                (``BSA_LMS_TOKEN_CACHE``): a fresh token stored there by another process is
                used instead of minting. Created readable by the owner only.
            allow_insecure_http: allow plain http to hosts other than loopback.
            replay_inferred_idempotency_keys: also replay, after an ambiguous failure, a
                POST whose ``idempotencyKey`` the API is only inferred (not documented) to
                deduplicate. Off by default: such a call fails with ``maybe_applied``.
        """
        self._native = _native.NativeClient(
            base_url=base_url,
            auth_url=auth_url,
            email=email,
            password=password,
            token=token,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            headers=dict(headers) if headers is not None else None,
            refresh_threshold=refresh_threshold,
            rotation_interval=rotation_interval,
            token_cache=token_cache,
            allow_insecure_http=allow_insecure_http,
            replay_inferred_idempotency_keys=replay_inferred_idempotency_keys,
            user_agent_suffix=_USER_AGENT,
        )
        self._options = None

    def _copy(self: _C, options: _Options) -> _C:
        # Shares the native client: token cache, connection pool and closed state.
        copy = object.__new__(type(self))
        copy._native = self._native
        copy._options = _merge(self._options, options)
        return copy

    @property
    def base_url(self) -> str:
        """The main API URL in use."""
        return self._native.base_url

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called (on this client or a copy sharing its state)."""
        return self._native.closed

    def token_mints(self) -> int:
        """Tokens minted by this client (and its copies) in this process so far."""
        return self._native.token_mints()

    def close(self) -> None:
        """Stops background token rotation; later calls raise ``InvalidRequestError``."""
        self._native.close()

    def __repr__(self) -> str:
        # Never shows a password or token: only where it talks to and how it authenticates.
        return (
            f"{type(self).__name__}(base_url={self._native.base_url!r}, "
            f"auth={self._native.auth_mode!r})"
        )


class SyncClientBase(_BaseClient):
    """Synchronous calls: each blocks its thread (without holding the GIL) until done.
    One client is safe to share between threads."""

    __slots__ = ()

    def with_options(
        self: _C,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> _C:
        """A copy whose calls use these options (sharing tokens and connections)."""
        headers = dict(extra_headers) if extra_headers is not None else None
        return self._copy((timeout, max_retries, headers))

    def access_token(self) -> str:
        """A bearer token, minted or refreshed as needed (e.g. for another tool)."""
        token: str = self._native.access_token()
        return token

    def _request(
        self,
        operation: str,
        args: dict[str, Any],
        timeout: float | None,
        max_retries: int | None,
        extra_headers: Mapping[str, str] | None,
    ) -> Any:
        if timeout is None and max_retries is None and extra_headers is None:
            if self._options is None:
                return self._native.call(operation, args)
            return self._native.call(operation, args, *self._options)
        headers = dict(extra_headers) if extra_headers is not None else None
        return self._native.call(
            operation, args, *_merge(self._options, (timeout, max_retries, headers))
        )

    def _page(
        self,
        operation: str,
        args: dict[str, Any],
        item: Callable[[dict[str, Any]], M],
        timeout: float | None,
        max_retries: int | None,
        extra_headers: Mapping[str, str] | None,
    ) -> SyncPage[M]:
        def fetch(a: dict[str, Any]) -> Any:
            return self._request(operation, a, timeout, max_retries, extra_headers)

        return SyncPage(fetch, args, item, fetch(args))

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class AsyncClientBase(_BaseClient):
    """Asynchronous calls for asyncio. One client works across event loops (several
    ``asyncio.run()`` calls) and concurrent tasks."""

    __slots__ = ()

    def with_options(
        self: _C,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> _C:
        """A copy whose calls use these options (sharing tokens and connections)."""
        headers = dict(extra_headers) if extra_headers is not None else None
        return self._copy((timeout, max_retries, headers))

    async def access_token(self) -> str:
        """A bearer token, minted or refreshed as needed (e.g. for another tool)."""
        token: str = await _completed(self._native.access_token_async)
        return token

    async def aclose(self) -> None:
        """Same as ``close()``, for ``contextlib.aclosing`` and similar helpers."""
        self.close()

    async def _request_async(
        self,
        operation: str,
        args: dict[str, Any],
        timeout: float | None,
        max_retries: int | None,
        extra_headers: Mapping[str, str] | None,
    ) -> Any:
        native = self._native
        if timeout is None and max_retries is None and extra_headers is None:
            if self._options is None:
                return await _completed(
                    lambda done, key: native.call_async(operation, args, done, key)
                )
            options = self._options
        else:
            headers = dict(extra_headers) if extra_headers is not None else None
            options = _merge(self._options, (timeout, max_retries, headers))
        return await _completed(
            lambda done, key: native.call_async(operation, args, done, key, *options)
        )

    def _pager(
        self,
        operation: str,
        args: dict[str, Any],
        item: Callable[[dict[str, Any]], M],
        timeout: float | None,
        max_retries: int | None,
        extra_headers: Mapping[str, str] | None,
    ) -> AsyncPager[M]:
        async def fetch(a: dict[str, Any]) -> Any:
            return await self._request_async(operation, a, timeout, max_retries, extra_headers)

        return AsyncPager(fetch, args, item)

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.close()


class _LoopCompletions:
    """The finished native calls of one event loop (see ``_native.Completions``): Rust
    queues results and wakes the loop through a socket; ``_deliver`` hands them all out."""

    __slots__ = ("__weakref__", "futures", "keys", "native")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.native = _native.Completions()
        self.futures: dict[int, asyncio.Future[Any]] = {}
        self.keys = itertools.count()
        loop.add_reader(self.native.fileno(), self._deliver)

    def _deliver(self) -> None:
        futures = self.futures
        for key, ok, value in self.native.take():
            future = futures.pop(key, None)
            if future is None or future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopCompletions] = (
    weakref.WeakKeyDictionary()
)


async def _completed(start: Callable[[_native.Completions, int], _native.Pending]) -> Any:
    """Starts a native call that reports to the running loop, and waits for its result;
    cancelling the waiting task drops the native call."""
    import asyncio

    loop = asyncio.get_running_loop()
    completions = _by_loop.get(loop)
    if completions is None:
        completions = _by_loop[loop] = _LoopCompletions(loop)
    key = next(completions.keys)
    pending = start(completions.native, key)
    # Registered after the start: results are only handed out on this thread, later.
    future = completions.futures[key] = loop.create_future()
    try:
        return await future
    except asyncio.CancelledError:
        completions.futures.pop(key, None)
        pending.abort()
        raise


class _PageBase(Generic[M]):
    __slots__ = (
        "_args",
        "_before",
        "_item",
        "_previous",
        "_raw",
        "items",
        "page",
        "rows_per_page",
        "total",
    )

    #: The records of this page.
    items: list[M]
    #: Records matching the filter across all pages, when the server sent it.
    total: int | None
    #: This page's number (1-based).
    page: int
    #: Page size the server applied, when it sent it.
    rows_per_page: int | None
    _before: int
    _previous: str | None

    def __init__(
        self,
        args: dict[str, Any],
        item: Callable[[dict[str, Any]], M],
        raw: dict[str, Any],
        after: _PageBase[Any] | None = None,
    ) -> None:
        self._args = args
        self._item = item
        self._raw = raw
        self.items = [item(x) for x in raw.get("items") or ()]
        self.total = raw.get("total")
        self.page = args.get("page") or 1
        self.rows_per_page = raw.get("rowsPerPage")
        # What the paging rule needs to notice a server whose pages never end.
        self._before = 0 if after is None else after._before + len(after.items)
        self._previous = None if after is None else after._fingerprint()

    def _fingerprint(self) -> str:
        return "\0".join(str(x.get("id")) for x in self._raw.get("items") or ())

    def has_next_page(self) -> bool:
        """Whether another page follows this one (the core's rule). Raises ``DecodeError``
        when the server's pages cannot end: a page repeated, another page number answered,
        or more records than ``total``."""
        return self._next_page() is not None

    def _next_page(self) -> int | None:
        echoed = self._raw.get("page")
        return _native.next_page(
            self.page,
            echoed if isinstance(echoed, int) else None,
            len(self.items),
            self.rows_per_page if isinstance(self.rows_per_page, int) else None,
            self.total if isinstance(self.total, int) else None,
            self._before,
            self._fingerprint(),
            self._previous,
        )

    def _next_args(self) -> dict[str, Any]:
        return {**self._args, "page": self._next_page() or self.page + 1}

    def to_dict(self) -> dict[str, Any]:
        """The page as received (``items``, ``total``, ...)."""
        return self._raw

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(page={self.page}, items={len(self.items)}, total={self.total})"
        )


class SyncPage(_PageBase[M]):
    """One page of a list (``items``, ``total``, ``page``, ``rows_per_page``). Iterating
    it yields every item from this page on, fetching the following pages as needed."""

    __slots__ = ("_fetch",)

    def __init__(
        self,
        fetch: Callable[[dict[str, Any]], Any],
        args: dict[str, Any],
        item: Callable[[dict[str, Any]], M],
        raw: dict[str, Any],
        after: _PageBase[Any] | None = None,
    ) -> None:
        super().__init__(args, item, raw, after)
        self._fetch = fetch

    def next_page(self) -> SyncPage[M]:
        """Fetches the following page (check ``has_next_page()`` first)."""
        args = self._next_args()
        return SyncPage(self._fetch, args, self._item, self._fetch(args), self)

    def iter_pages(self) -> Iterator[SyncPage[M]]:
        """This page and every following one."""
        page = self
        yield page
        while page.has_next_page():
            page = page.next_page()
            yield page

    def __iter__(self) -> Iterator[M]:
        for page in self.iter_pages():
            yield from page.items


class AsyncPage(_PageBase[M]):
    """One page of a list; ``async for`` over it yields every item from this page on."""

    __slots__ = ("_fetch",)

    def __init__(
        self,
        fetch: Callable[[dict[str, Any]], Any],
        args: dict[str, Any],
        item: Callable[[dict[str, Any]], M],
        raw: dict[str, Any],
        after: _PageBase[Any] | None = None,
    ) -> None:
        super().__init__(args, item, raw, after)
        self._fetch = fetch

    async def next_page(self) -> AsyncPage[M]:
        """Fetches the following page (check ``has_next_page()`` first)."""
        args = self._next_args()
        return AsyncPage(self._fetch, args, self._item, await self._fetch(args), self)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[M]]:
        """This page and every following one."""
        page = self
        yield page
        while page.has_next_page():
            page = await page.next_page()
            yield page

    async def _items(self) -> AsyncIterator[M]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item

    def __aiter__(self) -> AsyncIterator[M]:
        return self._items()


class AsyncPager(Generic[M]):
    """What an async list method returns: ``await`` it for the first page, or
    ``async for`` over it for every item across pages."""

    __slots__ = ("_args", "_fetch", "_item")

    def __init__(
        self,
        fetch: Callable[[dict[str, Any]], Any],
        args: dict[str, Any],
        item: Callable[[dict[str, Any]], M],
    ) -> None:
        self._fetch = fetch
        self._args = args
        self._item = item

    async def _first(self) -> AsyncPage[M]:
        return AsyncPage(self._fetch, self._args, self._item, await self._fetch(self._args))

    def __await__(self) -> Generator[Any, None, AsyncPage[M]]:
        return self._first().__await__()

    async def _items(self) -> AsyncIterator[M]:
        page = await self._first()
        async for item in page:
            yield item

    def __aiter__(self) -> AsyncIterator[M]:
        return self._items()


def operations() -> list[str]:
    """Snake_case ids of every operation the clients can call."""
    return _native.operations()


def _configure_logging() -> None:
    # BSA_LMS_LOG=debug (or info, warn, error, trace) turns on the `bsa_lms` logger and,
    # when the application configured no logging at all, prints it to stderr.
    spec = os.environ.get("BSA_LMS_LOG", "").strip()
    if not spec:
        return
    name = spec.rsplit("=", 1)[-1].split(",")[0].strip().upper()
    levels = {"TRACE": 5, "DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30, "ERROR": 40}
    level = levels.get(name, logging.CRITICAL + 10 if name == "OFF" else None)
    if level is None:
        return
    logger = logging.getLogger("bsa_lms")
    logger.setLevel(level)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


_configure_logging()
# Background threads finishing async calls or forwarding log lines must leave the
# interpreter before it finalizes.
atexit.register(_native._at_exit)
