"""The credit boost from a path, bytes and a file object; checks before sending; never replayed."""

from __future__ import annotations

import io
import pathlib

import pytest

import bsa_lms
from conftest import Sandbox

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"


def test_boost_from_bytes_path_and_file(sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    statement = tmp_path / "statement.pdf"
    statement.write_bytes(PDF)
    with bsa_lms.Client(**sandbox.options()) as client:
        first = client.create_credit_boost(
            full_name="JOHN DEO MWAMBA", mobile_number="255762260621", pdf_file=PDF
        )
        assert first.boost_status == "YES"
        assert first.mobile_number == 255762260621
        again = client.create_credit_boost(
            full_name="JOHN DEO MWAMBA", mobile_number="255762260621", pdf_file=statement
        )
        assert again.boost_status == "NO"  # cooldown: same number, same day
        with open(statement, "rb") as f:
            other = client.create_credit_boost(
                full_name="ADA LOVELACE", mobile_number="255700000001", pdf_file=f
            )
        assert other.boost_status == "YES"
        stream = client.create_credit_boost(
            full_name="ADA LOVELACE", mobile_number="255700000002", pdf_file=io.BytesIO(PDF)
        )
        assert stream.boost_status == "YES"


async def test_async_boost(sandbox: Sandbox) -> None:
    async with bsa_lms.AsyncClient(**sandbox.options()) as client:
        result = await client.create_credit_boost(
            full_name="ADA LOVELACE", mobile_number="255700000003", pdf_file=PDF
        )
        assert result.boost_status == "YES"


@pytest.mark.parametrize("number", ["25576226062", "2557622606211", "25576226062a"])
def test_mobile_number_is_twelve_digits(sandbox: Sandbox, number: str) -> None:
    with (
        bsa_lms.Client(**sandbox.options()) as client,
        pytest.raises(bsa_lms.InvalidRequestError, match="MobileNumber"),
    ):
        client.create_credit_boost(full_name="A B", mobile_number=number, pdf_file=PDF)


def test_file_must_be_a_pdf(sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    with bsa_lms.Client(**sandbox.options()) as client:
        with pytest.raises(bsa_lms.InvalidRequestError, match="not a PDF"):
            client.create_credit_boost(
                full_name="A B", mobile_number="255762260621", pdf_file=b"\x89PNG\r\n"
            )
        with pytest.raises(bsa_lms.InvalidRequestError, match="pdf_file"):
            client.create_credit_boost(
                full_name="A B", mobile_number="255762260621", pdf_file=tmp_path / "missing.pdf"
            )


def test_never_replayed(sandbox: Sandbox) -> None:
    # One faulty request only: a retry would succeed, so an error proves a single send.
    with bsa_lms.Client(**sandbox.options()) as client:
        sandbox.fault(method="POST", path="/v1/credit-boost", kind="status", status=503, count=1)
        with pytest.raises(bsa_lms.UnavailableError):
            client.create_credit_boost(full_name="A B", mobile_number="255700000009", pdf_file=PDF)
