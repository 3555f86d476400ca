"""Threads sharing a client, asyncio concurrency and loops, fork safety, clean exits."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import bsa_lms
from conftest import Sandbox, active_loan


def test_threads_share_one_client(client: bsa_lms.Client, sandbox: Sandbox) -> None:
    loans = [active_loan(client, f"t{i}").id for i in range(4)]

    def work(i: int) -> list[str]:
        return [client.get_loan(loans[(i + j) % 4]).id for j in range(10)]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for i, ids in enumerate(results):
        assert ids == [loans[(i + j) % 4] for j in range(10)]
    assert client.token_mints() == 1


def test_sync_calls_release_the_gil(client: bsa_lms.Client, sandbox: Sandbox) -> None:
    loan = active_loan(client)
    sandbox.fault(method="GET", path="/v1/loans/*", kind="delay", delayMs=400, count=4)
    ticks = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    spinner = threading.Thread(target=spin)
    spinner.start()
    started = time.monotonic()

    def fetch(_: int) -> str:
        return client.get_loan(loan.id).id

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(fetch, range(4)))
    elapsed = time.monotonic() - started
    stop.set()
    spinner.join()
    assert ids == [loan.id] * 4
    assert elapsed < 1.2, f"four 0.4 s calls overlapped ({elapsed:.2f} s)"
    assert ticks > 50, "Python kept running while the calls waited"


async def test_async_calls_run_concurrently(aclient: bsa_lms.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.fault(method="GET", path="/v1/loan-products", kind="delay", delayMs=400, count=10)
    started = time.monotonic()
    results = await asyncio.gather(*(aclient.list_loan_products() for _ in range(10)))
    assert time.monotonic() - started < 1.5
    assert all(r.items for r in results)


async def test_cancelling_an_async_call(aclient: bsa_lms.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.fault(method="GET", path="/v1/loan-products", kind="delay", delayMs=2000)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(aclient.list_loan_products(), 0.2)
    assert (await aclient.list_loan_products()).items


def test_async_client_across_several_event_loops(sandbox: Sandbox) -> None:
    client = bsa_lms.AsyncClient(**sandbox.options())

    async def one() -> str:
        customer = await client.create_customer(external_id=f"loop-{time.monotonic_ns()}")
        return (await client.get_customer(customer.id)).id

    first = asyncio.run(one())
    second = asyncio.run(one())
    third = asyncio.run(one())
    assert len({first, second, third}) == 3
    assert client.token_mints() == 1, "the token outlives each loop"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
# Python >= 3.12 warns about forking a process with threads, which is what is tested.
@pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")
def test_a_forked_child_gets_its_own_runtime_and_connections(
    client: bsa_lms.Client, sandbox: Sandbox
) -> None:
    loan = active_loan(client, "fork")
    aclient = bsa_lms.AsyncClient(**sandbox.options())
    assert asyncio.run(aclient.get_loan(loan.id)).id == loan.id
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report through the pipe, never return into pytest
        status = 1
        try:
            sync_id = client.get_loan(loan.id).id
            async_id = asyncio.run(aclient.get_loan(loan.id)).id
            os.write(write, f"{sync_id} {async_id} {client.token_mints()}".encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    report = os.read(read, 100).decode()
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0, report
    sync_id, async_id, mints = report.split()
    assert sync_id == async_id == loan.id
    assert mints == "1", "the child minted its own token"
    # The parent is unaffected.
    assert client.get_loan(loan.id).id == loan.id
    assert asyncio.run(aclient.get_loan(loan.id)).id == loan.id


def test_processes_exit_cleanly_right_after_async_calls(sandbox: Sandbox) -> None:
    # Background threads must have left the interpreter before it finalizes.
    script = textwrap.dedent(
        f"""
        import asyncio, bsa_lms
        from bsa_lms import _native
        from bsa_lms._client import _completed
        async def main():
            c = bsa_lms.AsyncClient(base_url={sandbox.url!r}, auth_url={sandbox.url!r},
                email="ada@example.com", password="correct-horse-battery-staple")
            await asyncio.gather(*(c.list_loan_products() for _ in range(5)))
            try:
                await c.get_loan("nope")
            except bsa_lms.NotFoundError:
                pass
            try:
                await _completed(_native._panic_probe)
            except bsa_lms.LmsError:
                pass
        asyncio.run(main())
        """
    )
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    for _ in range(8):
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, env=env
        )
        assert done.returncode == 0, done.stderr[-2000:]


def test_ctrl_c_interrupts_a_waiting_sync_call(sandbox: Sandbox) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time, bsa_lms
        c = bsa_lms.Client(base_url={sandbox.url!r}, auth_url={sandbox.url!r},
            email="ada@example.com", password="correct-horse-battery-staple")
        c.list_loan_products()
        print("ready", flush=True)
        sys.stdin.readline()
        started = time.monotonic()
        try:
            c.list_loan_products()
        except KeyboardInterrupt:
            print(f"interrupted after {{time.monotonic() - started:.2f}}", flush=True)
            sys.exit(0)
        sys.exit(3)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == "ready"
    sandbox.fault(method="GET", path="/v1/loan-products", kind="delay", delayMs=5000)
    child.stdin.write("go\n")
    child.stdin.flush()
    time.sleep(0.5)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=10)
    assert child.returncode == 0, err
    assert float(out.split()[-1]) < 2, "interrupted long before the 5 s answer"
