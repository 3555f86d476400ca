"""Runs the benchmarks of every language against one sandbox per language and collects the raw
figures in bench/.results/ (bench/report.py turns them into bench/RESULTS.md).

    python3 bench/run.py [--langs rust,python,node] [--profile default|quick]

A language whose pieces are not built is recorded as "not built" (with the reason) instead of
failing the whole run. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def host_triple() -> str:
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    return next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("host: "))


# The Makefile builds for the host triple explicitly (see there) and says where.
RELEASE = Path(
    os.environ.get("BENCH_RELEASE_DIR")
    or Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / host_triple() / "release"
)
SANDBOX = RELEASE / "bsa-lms-sandbox"
RUST_BENCH = RELEASE / "bsa-lms-bench"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
NODE_BINDING = ROOT / "bindings" / "node"
OUT = BENCH / ".results"

# Iteration counts, chosen so that `make bench` (builds included) stays under 10 minutes on the
# 2-core machine: calls per counted batch, counted rounds, calls of the memory runs.
PROFILES = {
    "default": {
        "rust": {"seq": 600, "conc": 2400, "rounds": 6, "mem": 100_000},
        "python": {
            "seq": 250,
            "conc": 500,
            "rounds": 5,
            "mem_sync": 100_000,
            "mem_async": 100_000,
        },
        "node": {"seq": 500, "conc": 1600, "rounds": 5, "mem": 100_000},
    },
    "quick": {
        "rust": {"seq": 200, "conc": 600, "rounds": 2, "mem": 5_000},
        "python": {"seq": 100, "conc": 300, "rounds": 2, "mem_sync": 5_000, "mem_async": 5_000},
        "node": {"seq": 200, "conc": 600, "rounds": 2, "mem": 5_000},
    },
}


class Sandbox:
    """One release sandbox process; stops when its stdin closes."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [str(SANDBOX), "--port", "0", "--exit-with-stdin"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        token = self.proc.stdout.readline().strip()
        line = self.proc.stdout.readline().strip()
        if not (
            token.startswith("BSA_LMS_SANDBOX_ADMIN_TOKEN=")
            and line.startswith("BSA_LMS_SANDBOX_URL=")
        ):
            self.stop()
            raise RuntimeError(f"the sandbox said {token!r} {line!r}")
        self.url = line.split("=", 1)[1]
        # The benchmark processes inherit it for their /_sandbox calls.
        os.environ["BSA_LMS_SANDBOX_ADMIN_TOKEN"] = token.split("=", 1)[1]

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def json_line(cmd: list[str], cwd: Path | None = None) -> dict:
    """Runs `cmd` (its stderr passes through) and parses the last line of its stdout."""
    out = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def flags(**values: object) -> list[str]:
    """`--name value` arguments (underscores become dashes)."""
    out = []
    for name, value in values.items():
        out += [f"--{name.replace('_', '-')}", str(value)]
    return out


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_flags(url: str, out: Path, counts: dict) -> list[str]:
    return flags(
        url=url,
        out=out,
        seq_calls=counts["seq"],
        conc_calls=counts["conc"],
        rounds=counts["rounds"],
    )


def missing_rust() -> str | None:
    for path in (SANDBOX, RUST_BENCH):
        if not path.exists():
            return f"{path} is missing (make -C bench rust-node)"
    return None


def missing_python() -> str | None:
    if not (OUT / "python.built").exists():
        return "its release build failed or was not run (`make -C bench python`)"
    if not VENV_PYTHON.exists():
        return ".venv is missing"
    probe = subprocess.run(
        [str(VENV_PYTHON), "-c", "import bsa_lms, httpx, requests, aiohttp"],
        capture_output=True,
        text=True,
        cwd="/",
    )
    if probe.returncode != 0:
        return "cannot import: " + (probe.stderr.strip().splitlines() or ["?"])[-1]
    return None


def missing_node() -> str | None:
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (OUT / "node.built").exists():
        return "its release build failed or was not run (`make -C bench node`)"
    if not list(NODE_BINDING.glob("*.node")) or not (NODE_BINDING / "native.js").exists():
        return "bindings/node has no built native module (napi build)"
    if not (BENCH / "node" / "node_modules" / "undici").exists():
        return "bench/node/node_modules is missing (npm ci)"
    return None


def run_rust(counts: dict, out: Path) -> dict:
    with Sandbox() as sb:
        subprocess.run(
            [str(RUST_BENCH), "run", *run_flags(sb.url, out, counts)],
            check=True,
        )
        report = json.loads(out.read_text())
        log("  decoding costs of the loan's JSON")
        report["decode"] = json_line([str(RUST_BENCH), "decode", *flags(url=sb.url)])
        log("  memory: SDK, 16 in flight")
        report["memory"] = [
            {
                "client": "bsa-lms SDK (16 in flight)",
                **json_line([str(RUST_BENCH), "mem", *flags(url=sb.url, calls=counts["mem"])]),
            }
        ]
    return report


def run_python(counts: dict, out: Path) -> dict:
    script = BENCH / "python" / "bench.py"
    py = str(VENV_PYTHON)
    with Sandbox() as sb:
        subprocess.run(
            [py, str(script), "run", *run_flags(sb.url, out, counts)],
            check=True,
            cwd=script.parent,
        )
        report = json.loads(out.read_text())
        log("  memory: Client (sequential), AsyncClient (16 in flight)")
        report["memory"] = [
            {
                "client": "bsa_lms.Client (sequential)",
                **json_line(
                    [
                        py,
                        str(script),
                        "mem",
                        *flags(url=sb.url, kind="sync", calls=counts["mem_sync"]),
                    ],
                    cwd=script.parent,
                ),
            },
            {
                "client": "bsa_lms.AsyncClient (16 in flight)",
                **json_line(
                    [
                        py,
                        str(script),
                        "mem",
                        *flags(url=sb.url, kind="async", calls=counts["mem_async"]),
                    ],
                    cwd=script.parent,
                ),
            },
        ]
    log("  import time and installed size")
    report["imports"] = json_line([py, str(script), "imports"], cwd=script.parent)
    return report


def run_node(counts: dict, out: Path) -> dict:
    script = BENCH / "node" / "bench.mjs"
    with Sandbox() as sb:
        subprocess.run(
            ["node", str(script), "run", *run_flags(sb.url, out, counts)],
            check=True,
            cwd=script.parent,
        )
        report = json.loads(out.read_text())
        log("  memory: Client, 16 in flight")
        report["memory"] = [
            {
                "client": "bsa-lms Client (16 in flight)",
                **json_line(
                    [
                        "node",
                        "--expose-gc",
                        str(script),
                        "mem",
                        *flags(url=sb.url, calls=counts["mem"]),
                    ],
                    cwd=script.parent,
                ),
            }
        ]
    log("  require time and package size")
    report["imports"] = json_line(["node", str(script), "imports"], cwd=script.parent)
    return report


RUNNERS = {
    "rust": (missing_rust, run_rust),
    "python": (missing_python, run_python),
    "node": (missing_node, run_node),
}


def command_output(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unavailable"


def machine() -> dict:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "load_average_at_start": os.getloadavg(),
        "rustc": command_output(["rustc", "--version"]),
        "node": command_output(["node", "--version"]),
        "python": command_output([str(VENV_PYTHON), "--version"])
        if VENV_PYTHON.exists()
        else "unavailable",
        "release_profile": os.environ.get("BENCH_PROFILE_NOTE", "release profile of Cargo.toml"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--langs", default="rust,python,node")
    parser.add_argument("--profile", default="default", choices=sorted(PROFILES))
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    # Written by `make all` before building; read once, so that a later `make run` alone does
    # not report a stale total.
    started = OUT / "started"
    make_started = int(started.read_text()) if started.exists() else None
    started.unlink(missing_ok=True)
    meta = {
        "make_started": make_started,
        "run_started": int(time.time()),
        "machine": machine(),
        "profile": args.profile,
        "counts": PROFILES[args.profile],
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "seconds": {},
    }
    if missing_rust():
        sys.exit(f"bench: {missing_rust()}: every language needs the release sandbox")
    for lang in args.langs.split(","):
        missing, runner = RUNNERS[lang]
        out = OUT / f"{lang}.json"
        reason = missing()
        started = time.monotonic()
        if reason:
            log(f"{lang}: not built ({reason})")
            report = {"language": lang, "status": "not built", "reason": reason}
        else:
            log(f"{lang}:")
            report = runner(PROFILES[args.profile][lang], out)
            report["status"] = "ok"
        meta["seconds"][lang] = round(time.monotonic() - started, 1)
        out.write_text(json.dumps(report, indent=1))
    meta["machine"]["load_average_at_end"] = os.getloadavg()
    meta["run_finished"] = int(time.time())
    (OUT / "meta.json").write_text(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
