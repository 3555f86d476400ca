"""Benchmarks of the Python binding on the sandbox (see bench/README.md).

    python bench.py run --url URL --out FILE [--seq-calls N] [--conc-calls N] [--rounds R]
    python bench.py mem --url URL --kind sync|async [--calls N]
    python bench.py imports

`run`: the sync `bsa_lms.Client` against `httpx.Client` and `requests.Session`, sequentially;
`bsa_lms.AsyncClient` against `httpx.AsyncClient` and `aiohttp` with 1, 16 and 256 calls in
flight. Every contender makes the same three calls (GET of the loan with its schedule, the
first list page of 10 rows, a repayment POST with an idempotency key) with the same headers
and decodes the JSON answer (the baselines to dicts with their own `.json()`, the SDK to its
models). Each table runs one warm-up batch per contender, then the counted rounds, taking
turns and resetting the sandbox before each batch. `mem`: resident set after 1,000 calls and
after `--calls` calls, in a fresh process. `imports`: import time and installed size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib.metadata as md
import json
import os
import re
import statistics
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from common import (
    API_VERSION,
    CALLS,
    EMAIL,
    PASSWORD,
    Admin,
    Seed,
    drive_async,
    drive_sync,
    median,
    rss_kib,
)

SyncOp = Callable[[str, Seed, int, str], object]
AsyncOp = Callable[[str, Seed, int, str], Awaitable[object]]
Closer = Callable[[], Awaitable[object]]


def headers(bearer: str) -> dict[str, str]:
    return {"Authorization": bearer, "Accept": "application/json", "api-version": API_VERSION}


def repayment(key: str) -> dict[str, object]:
    return {"transactionAmount": 1.0, "idempotencyKey": key}


# --- sync contenders -------------------------------------------------------------------------


def httpx_sync(url: str, bearer: str) -> SyncOp:
    import httpx

    client = httpx.Client(headers=headers(bearer))

    def op(call: str, seed: Seed, i: int, key: str) -> object:
        loan = seed.loan_for(call, i)
        if call == "get_loan":
            r = client.get(f"{url}/v1/loans/{loan}")
        elif call == "list_loans":
            r = client.get(f"{url}/v1/loans", params={"page": 1, "rows": 10})
        else:
            r = client.post(f"{url}/v1/loans/{loan}/repayments", json=repayment(key))
        r.raise_for_status()
        return r.json()

    return op


def requests_sync(url: str, bearer: str) -> SyncOp:
    import requests

    session = requests.Session()
    session.headers.update(headers(bearer))

    def op(call: str, seed: Seed, i: int, key: str) -> object:
        loan = seed.loan_for(call, i)
        if call == "get_loan":
            r = session.get(f"{url}/v1/loans/{loan}")
        elif call == "list_loans":
            r = session.get(f"{url}/v1/loans", params={"page": 1, "rows": 10})
        else:
            r = session.post(f"{url}/v1/loans/{loan}/repayments", json=repayment(key))
        r.raise_for_status()
        return r.json()

    return op


def sdk_client(url: str) -> Any:
    import bsa_lms

    return bsa_lms.Client(base_url=url, auth_url=url, email=EMAIL, password=PASSWORD)


def sdk_sync(url: str, _bearer: str) -> SyncOp:
    client = sdk_client(url)

    def op(call: str, seed: Seed, i: int, key: str) -> object:
        loan = seed.loan_for(call, i)
        if call == "get_loan":
            return client.get_loan(loan)
        if call == "list_loans":
            return client.list_loans(page=1, rows=10)
        return client.create_repayment(loan, transaction_amount=1.0, idempotency_key=key)

    return op


# --- async contenders ------------------------------------------------------------------------


async def aiohttp_async(url: str, bearer: str) -> tuple[AsyncOp, Closer]:
    import aiohttp

    # limit=0: no cap on connections, like the SDK's pool and httpx's below.
    session = aiohttp.ClientSession(
        headers=headers(bearer), connector=aiohttp.TCPConnector(limit=0)
    )

    async def op(call: str, seed: Seed, i: int, key: str) -> object:
        loan = seed.loan_for(call, i)
        if call == "get_loan":
            ctx = session.get(f"{url}/v1/loans/{loan}")
        elif call == "list_loans":
            ctx = session.get(f"{url}/v1/loans", params={"page": 1, "rows": 10})
        else:
            ctx = session.post(f"{url}/v1/loans/{loan}/repayments", json=repayment(key))
        async with ctx as r:
            r.raise_for_status()
            return await r.json()

    return op, session.close


async def httpx_async(url: str, bearer: str) -> tuple[AsyncOp, Closer]:
    import httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    client = httpx.AsyncClient(headers=headers(bearer), limits=limits)

    async def op(call: str, seed: Seed, i: int, key: str) -> object:
        loan = seed.loan_for(call, i)
        if call == "get_loan":
            r = await client.get(f"{url}/v1/loans/{loan}")
        elif call == "list_loans":
            r = await client.get(f"{url}/v1/loans", params={"page": 1, "rows": 10})
        else:
            r = await client.post(f"{url}/v1/loans/{loan}/repayments", json=repayment(key))
        r.raise_for_status()
        return r.json()

    return op, client.aclose


async def sdk_async(url: str, _bearer: str) -> tuple[AsyncOp, Closer]:
    import bsa_lms

    client = bsa_lms.AsyncClient(base_url=url, auth_url=url, email=EMAIL, password=PASSWORD)

    async def op(call: str, seed: Seed, i: int, key: str) -> object:
        loan = seed.loan_for(call, i)
        if call == "get_loan":
            return await client.get_loan(loan)
        if call == "list_loans":
            return await client.list_loans(page=1, rows=10)
        return await client.create_repayment(loan, transaction_amount=1.0, idempotency_key=key)

    return op, client.aclose


# --- rounds ----------------------------------------------------------------------------------


def batch_size(round_no: int, calls: int, concurrency: int) -> int:
    """Warm-up batches (round 0) are a quarter as long: they open connections and fill caches."""
    return max(-(-calls // 4), concurrency) if round_no == 0 else calls


def record(table: dict[str, Any], name: str, round_no: int, wall: float, cpu: float) -> None:
    if round_no > 0:
        table["seconds"].setdefault(name, []).append(wall)
        table["cpu_seconds"].setdefault(name, []).append(cpu)


def summary(table: dict[str, Any]) -> None:
    rates = ", ".join(
        f"{name} {table['calls_by'].get(name, table['calls']) / median(s):.0f}/s"
        for name, s in table["seconds"].items()
    )
    print(f"  {table['id']}: {rates}", file=sys.stderr, flush=True)


def new_table(id_: str, call: str, concurrency: int, calls: int, baseline: str) -> dict[str, Any]:
    return {
        "id": id_,
        "call": call,
        "concurrency": concurrency,
        "calls": calls,
        "baseline": baseline,
        "seconds": {},
        "cpu_seconds": {},
        "calls_by": {},
    }


def run_sync(admin: Admin, calls: int, rounds: int) -> list[dict[str, Any]]:
    url, bearer = admin.url, admin.bearer
    contenders = [
        ("httpx.Client", httpx_sync(url, bearer)),
        ("requests.Session", requests_sync(url, bearer)),
        ("bsa_lms.Client", sdk_sync(url, bearer)),
    ]
    tables = []
    for call in CALLS:
        table = new_table(f"python/sync/{call}/c1", call, 1, calls, contenders[0][0])
        for round_no in range(rounds + 1):
            order = contenders if round_no % 2 == 0 else contenders[::-1]
            for name, op in order:
                n = batch_size(round_no, calls, 1)
                seed = admin.seed_for(call, n)
                tag = f"s-{call}-{name}-{round_no}"
                wall, cpu = drive_sync(
                    n,
                    lambda i, op=op, call=call, seed=seed, tag=tag: op(call, seed, i, f"{tag}-{i}"),
                )
                record(table, name, round_no, wall, cpu)
        summary(table)
        tables.append(table)
    return tables


async def run_async(
    admin: Admin, calls_by_conc: dict[int, int], rounds: int
) -> list[dict[str, Any]]:
    url, bearer = admin.url, admin.bearer
    made = [
        ("aiohttp", await aiohttp_async(url, bearer)),
        ("httpx.AsyncClient", await httpx_async(url, bearer)),
        ("bsa_lms.AsyncClient", await sdk_async(url, bearer)),
    ]
    contenders = [(name, op) for name, (op, _close) in made]
    tables = []
    for concurrency, calls in calls_by_conc.items():
        for call in CALLS:
            table = new_table(
                f"python/async/{call}/c{concurrency}", call, concurrency, calls, contenders[0][0]
            )
            for round_no in range(rounds + 1):
                order = contenders if round_no % 2 == 0 else contenders[::-1]
                for name, op in order:
                    # httpx.AsyncClient manages a few hundred calls/s with many in flight: it
                    # runs a quarter of the calls per batch so that the run stays short.
                    share = 4 if name == "httpx.AsyncClient" and concurrency > 1 else 1
                    table["calls_by"][name] = calls // share
                    n = batch_size(round_no, calls // share, concurrency)
                    seed = admin.seed_for(call, n)
                    tag = f"a{concurrency}-{call}-{name}-{round_no}"

                    def one(
                        i: int,
                        op: AsyncOp = op,
                        call: str = call,
                        seed: Seed = seed,
                        tag: str = tag,
                    ) -> Any:
                        return op(call, seed, i, f"{tag}-{i}")

                    wall, cpu = await drive_async(n, concurrency, one)
                    record(table, name, round_no, wall, cpu)
            summary(table)
            tables.append(table)
    for _name, (_op, close) in made:
        await close()
    return tables


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for dist in ("bsa-lms", "httpx", "requests", "aiohttp"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def cmd_run(args: argparse.Namespace) -> None:
    admin = Admin(args.url)
    tables = run_sync(admin, args.seq_calls, args.rounds)
    by_conc = {1: args.seq_calls, 16: args.conc_calls, 256: args.conc_calls}
    tables += asyncio.run(run_async(admin, by_conc, args.rounds))
    import bsa_lms

    report = {
        "language": "python",
        "versions": versions(),
        "sdk_module": os.path.dirname(bsa_lms.__file__),
        "scenarios": tables,
    }
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)


# --- memory ----------------------------------------------------------------------------------


def checkpoints(total: int) -> list[int]:
    return sorted({c for c in (1_000, 10_000, total // 2, total) if 0 < c <= total})


def cmd_mem(args: argparse.Namespace) -> None:
    admin = Admin(args.url)
    loan = admin.reset_and_seed().loan
    rss: dict[str, int] = {}
    done = 0
    if args.kind == "sync":
        client = sdk_client(args.url)
        for checkpoint in checkpoints(args.calls):
            drive_sync(checkpoint - done, lambda _i: client.get_loan(loan))
            done = checkpoint
            gc.collect()
            rss[str(checkpoint)] = rss_kib()
    else:

        async def main() -> None:
            nonlocal done
            import bsa_lms

            client = bsa_lms.AsyncClient(
                base_url=args.url, auth_url=args.url, email=EMAIL, password=PASSWORD
            )
            for checkpoint in checkpoints(args.calls):
                await drive_async(checkpoint - done, 16, lambda _i: client.get_loan(loan))
                done = checkpoint
                gc.collect()
                rss[str(checkpoint)] = rss_kib()

        asyncio.run(main())
    print(json.dumps({"kind": args.kind, "calls": args.calls, "rss_kib": rss}))


# --- imports and sizes -----------------------------------------------------------------------


def import_seconds(module: str, runs: int) -> float:
    """Median time of `import module` in fresh interpreters (the import alone)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/"
        )
        times.append(float(out.stdout.strip()))
    return statistics.median(times)


def requirement_names(dist: str) -> set[str]:
    names = set()
    for req in md.requires(dist) or []:
        if "extra ==" in req:
            continue
        name = re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0]
        names.add(name.lower())
    return names


def installed_bytes(dist: str) -> tuple[int, int]:
    """(bytes of the distribution's own files, bytes with its runtime dependencies)."""

    def own(name: str) -> int:
        files = md.files(name) or []
        return sum(os.path.getsize(f.locate()) for f in files if os.path.exists(f.locate()))

    seen: set[str] = set()
    todo = [dist.lower()]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        with contextlib.suppress(md.PackageNotFoundError):
            todo += requirement_names(name)
    total = 0
    for name in seen:
        with contextlib.suppress(md.PackageNotFoundError):
            total += own(name)
    return own(dist), total


def cmd_imports(args: argparse.Namespace) -> None:
    out = {}
    for dist, module in (
        ("bsa-lms", "bsa_lms"),
        ("httpx", "httpx"),
        ("requests", "requests"),
        ("aiohttp", "aiohttp"),
    ):
        own, total = installed_bytes(dist)
        out[dist] = {
            "import_seconds": import_seconds(module, args.runs),
            "own_bytes": own,
            "with_deps_bytes": total,
        }
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--url", required=True)
    run.add_argument("--out", required=True)
    run.add_argument("--seq-calls", type=int, default=300)
    run.add_argument("--conc-calls", type=int, default=600)
    run.add_argument("--rounds", type=int, default=5)
    mem = sub.add_parser("mem")
    mem.add_argument("--url", required=True)
    mem.add_argument("--kind", choices=("sync", "async"), default="sync")
    mem.add_argument("--calls", type=int, default=100_000)
    imports = sub.add_parser("imports")
    imports.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    {"run": cmd_run, "mem": cmd_mem, "imports": cmd_imports}[args.command](args)


if __name__ == "__main__":
    main()
