"""The exceptions raised by bsa_lms: one hierarchy, chosen from the core's error kind.

Every class carries the same attributes: ``kind``, ``status``, ``code``, ``message``,
``body``, ``field_errors``, ``auth_reason`` and ``maybe_applied``. None of them ever holds
a password or token.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

__all__ = [
    "AbortedError",
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "AuthenticationError",
    "ConflictError",
    "DecodeError",
    "FailedPreconditionError",
    "FieldError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidRequestError",
    "LmsError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "UnauthenticatedError",
    "UnavailableError",
]


class FieldError(NamedTuple):
    """One rejected field: its name (as the API spells it) and what is wrong with it."""

    field: str
    error: str


class LmsError(Exception):
    """Base of every error raised by bsa_lms."""

    #: What went wrong (``"not_found"``, ``"timeout"``, ...); see the subclasses.
    kind: str
    #: HTTP status, when a response arrived.
    status: int | None
    #: The API's error code (an open set of strings), when the body was an error envelope.
    code: str | None
    #: Human-readable message.
    message: str
    #: Raw response body (at most 64 KiB), when a response arrived.
    body: str | None
    #: Field errors of an ``invalid_argument`` answer or of a rejected argument.
    field_errors: list[FieldError]
    #: Why minting a token failed (``"bad_credentials"``, ``"unreachable"``, ...).
    auth_reason: str | None
    #: True when the request may have reached the server and a write may have been
    #: committed (timeout or dropped connection after sending, 500/502/503/504, an
    #: unreadable success answer); False when it certainly was not applied (rejected
    #: before sending, never sent, refused with a 4xx answer). Reconcile a True by
    #: repeating the call with the same ``idempotencyKey``/``externalId``, or by
    #: looking the record up.
    maybe_applied: bool

    def __init__(
        self,
        message: str,
        *,
        kind: str = "",
        status: int | None = None,
        code: str | None = None,
        body: str | None = None,
        field_errors: Iterable[tuple[str, str]] = (),
        auth_reason: str | None = None,
        display: str | None = None,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(display if display is not None else message)
        self.kind = kind or _KIND_OF.get(type(self), "")
        self.status = status
        self.code = code
        self.message = message
        self.body = body
        self.field_errors = [FieldError(*f) for f in field_errors]
        self.auth_reason = auth_reason
        self.maybe_applied = maybe_applied

    def __reduce__(self) -> tuple[Any, ...]:
        # Keeps the attributes when pickled (e.g. sent back by multiprocessing).
        return (_rebuild, (type(self), str(self), self.__dict__.copy()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class ApiError(LmsError):
    """The API answered with an error (also for codes this SDK does not know)."""


class InvalidArgumentError(ApiError):
    """HTTP 400 ``invalid_argument``: see ``field_errors``."""


class UnauthenticatedError(ApiError):
    """HTTP 401: the token is missing, expired or was rejected (static-token mode)."""


class PermissionDeniedError(ApiError):
    """HTTP 403 ``permission_denied`` (also used for some date and state rules)."""


class NotFoundError(ApiError):
    """HTTP 404 ``not_found``."""


class AbortedError(ApiError):
    """HTTP 409 ``aborted``: a state conflict or a duplicate externalId."""


ConflictError = AbortedError


class FailedPreconditionError(ApiError):
    """``failed_precondition``: the resource is not in the required state."""


class InternalError(ApiError):
    """HTTP 500 ``internal``."""


class UnavailableError(ApiError):
    """HTTP 502/503/504 ``unavailable``: temporary, retried automatically where safe."""


class RateLimitedError(ApiError):
    """HTTP 429 (or ``resource_exhausted``)."""


class AuthenticationError(LmsError):
    """No token could be minted; ``auth_reason`` says why."""


class ApiConnectionError(LmsError):
    """The connection failed or was dropped before an answer arrived."""


class ApiTimeoutError(ApiConnectionError):
    """The request did not complete within its timeout."""


class DecodeError(LmsError):
    """An answer arrived but its body could not be decoded."""


class InvalidRequestError(LmsError, ValueError):
    """Rejected by the SDK before sending (bad argument or configuration); names the field."""


_CLASSES: dict[str, type[LmsError]] = {
    "api": ApiError,
    "invalid_argument": InvalidArgumentError,
    "unauthenticated": UnauthenticatedError,
    "permission_denied": PermissionDeniedError,
    "not_found": NotFoundError,
    "aborted": AbortedError,
    "failed_precondition": FailedPreconditionError,
    "internal": InternalError,
    "unavailable": UnavailableError,
    "rate_limited": RateLimitedError,
    "authentication": AuthenticationError,
    "connection": ApiConnectionError,
    "timeout": ApiTimeoutError,
    "decode": DecodeError,
    "invalid_request": InvalidRequestError,
}
_KIND_OF = {cls: kind for kind, cls in _CLASSES.items()}


def _rebuild(cls: type[LmsError], text: str, state: dict[str, Any]) -> LmsError:
    err = cls.__new__(cls)
    Exception.__init__(err, text)
    err.__dict__.update(state)
    return err


def _from_native(
    kind: str,
    message: str,
    display: str,
    status: int | None,
    code: str | None,
    body: str | None,
    field_errors: list[tuple[str, str]],
    auth_reason: str | None,
    maybe_applied: bool,
) -> LmsError:
    """Called by the native layer to build the exception for a core error."""
    cls = _CLASSES.get(kind, LmsError)
    return cls(
        message,
        kind=kind,
        status=status,
        code=code,
        body=body,
        field_errors=field_errors,
        auth_reason=auth_reason,
        display=display,
        maybe_applied=maybe_applied,
    )


def _invalid_request(field: str, error: str) -> InvalidRequestError:
    """An argument rejected on the Python side, shaped like the core's rejections."""
    return InvalidRequestError(
        f"{field}: {error}",
        field_errors=[(field, error)],
        display=f"invalid_request: {field}: {error}",
    )
