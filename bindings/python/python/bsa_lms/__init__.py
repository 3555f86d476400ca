"""Python SDK for the BSA LMS partner API: customers, loans, repayments and the
credit scorecard, on the Rust core (token handling, retries, errors, paging).

    from bsa_lms import Client

    with Client(email="...", password="...") as client:
        loan = client.get_loan_by_external_id("halotel-tx-12345")
        print(loan.total_outstanding, loan.next_due_date)
"""

from . import models
from ._client import AsyncPage, AsyncPager, FileInput, Model, SyncPage, operations
from ._generated import AsyncClient, Client
from ._native import __version__
from .errors import (
    AbortedError,
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    ConflictError,
    DecodeError,
    FailedPreconditionError,
    FieldError,
    InternalError,
    InvalidArgumentError,
    InvalidRequestError,
    LmsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    UnauthenticatedError,
    UnavailableError,
)
from .models import *  # noqa: F403  (every generated model class, listed in models.__all__)

__all__ = [
    "AbortedError",
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "AsyncClient",
    "AsyncPage",
    "AsyncPager",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "DecodeError",
    "FailedPreconditionError",
    "FieldError",
    "FileInput",
    "InternalError",
    "InvalidArgumentError",
    "InvalidRequestError",
    "LmsError",
    "Model",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "SyncPage",
    "UnauthenticatedError",
    "UnavailableError",
    "__version__",
    "models",
    "operations",
]
__all__ += models.__all__
