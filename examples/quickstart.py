"""The documented quickstart in Python: token -> customer -> loan -> repayment -> balance.

With BSA_LMS_EMAIL/BSA_LMS_PASSWORD (or BSA_LMS_TOKEN) set it runs against the
configured hosts; otherwise it starts the local sandbox (target/debug/bsa-lms-sandbox,
or $BSA_LMS_SANDBOX_BIN) and uses its seed account.

    pip install ./bindings/python && python examples/quickstart.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bsa_lms import Client


def main() -> None:
    if os.environ.get("BSA_LMS_EMAIL") or os.environ.get("BSA_LMS_TOKEN"):
        with Client() as client:
            run(client)
        return
    sandbox, url = start_sandbox()
    print(f"no BSA_LMS_* credentials set: using the local sandbox at {url}")
    try:
        with Client(
            base_url=url,
            auth_url=url,
            email="ada@example.com",
            password="correct-horse-battery-staple",
        ) as client:
            run(client)
    finally:
        sandbox.terminate()
        sandbox.wait()
        if sandbox.stdout is not None:
            sandbox.stdout.close()
        if sandbox.stdin is not None:
            sandbox.stdin.close()


def run(client: Client) -> None:
    suffix = int(time.time())
    token = client.access_token()
    print(f"1. minted a token ({len(token)} characters)")

    customer = client.create_customer(external_id=f"quickstart-{suffix}")
    print(f"2. customer {customer.id} ({customer.display_name}) is {customer.status}")

    loan_ref = f"quickstart-loan-{suffix}"
    # Ids are opaque strings; loan create documents the customer's LMS id as a number.
    customer_id = int(customer.id) if customer.id.isdigit() else customer.id
    loan = client.create_loan(
        customer_id=customer_id, product_id=1, principal=10000, external_id=loan_ref
    )
    print(f"3. loan {loan.id} is {loan.status}, {loan.total_outstanding} due")

    repayment = client.create_repayment_by_external_id(
        loan_ref, transaction_amount=450, idempotency_key=f"quickstart-payment-{suffix}"
    )
    print(f"4. repayment {repayment.id} of {repayment.amount}, interest {repayment.interest}")

    loan = client.get_loan_by_external_id(loan_ref)
    who = customer.display_name or customer.id
    print(f"5. {who} owes {loan.total_outstanding}, next due {loan.next_due_date or 'nothing'}")


def start_sandbox() -> tuple[subprocess.Popen[bytes], str]:
    """Starts the sandbox binary on a free port; it exits when this process does."""
    root = Path(__file__).resolve().parents[1]
    binary = os.environ.get("BSA_LMS_SANDBOX_BIN") or str(root / "target/debug/bsa-lms-sandbox")
    if not Path(binary).exists():
        sys.exit(f"{binary} not found: run `cargo build -p bsa-lms-sandbox`, or set BSA_LMS_*")
    process = subprocess.Popen(
        [binary, "--port", "0", "--exit-with-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    for raw in process.stdout:
        line = raw.decode().strip()
        if line.startswith("BSA_LMS_SANDBOX_URL="):
            return process, line.split("=", 1)[1]
    sys.exit("the sandbox exited without printing its URL")


if __name__ == "__main__":
    main()
