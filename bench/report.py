"""Writes bench/RESULTS.md from the raw figures in bench/.results/ (see bench/run.py).

Per table: each contender's median calls/s over the counted rounds, the wall time per call
(1 / throughput), the client's CPU time per call (the benchmark process, every thread; the
sandbox is another process), and the ratio to the table's baseline: the median of the
per-round ratios (contenders take turns within a round, so each ratio compares batches run
seconds apart). Stdlib only.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OUT = BENCH / ".results"
RESULTS = BENCH / "RESULTS.md"

# (language, scenario prefix, concurrency) -> (contender, baseline, minimum ratio, wording)
TARGETS = [
    ("rust", "rust/", 1, "bsa-lms SDK", "raw reqwest", 0.90, "within 10% of raw reqwest"),
    ("rust", "rust/", 256, "bsa-lms SDK", "raw reqwest", 0.90, "within 10% of raw reqwest"),
    ("python", "python/sync/", 1, "bsa_lms.Client", "httpx.Client", 2.0, "≥ 2× httpx.Client"),
    ("python", "python/async/", 256, "bsa_lms.AsyncClient", "aiohttp", 1.0, "≥ aiohttp"),
    ("node", "node/", 1, "bsa-lms Client", "fetch", 1.5, "≥ 1.5× fetch"),
    ("node", "node/", 256, "bsa-lms Client", "undici.request", 0.8, "≥ 0.8× undici.request"),
]
# RSS after the last checkpoint may exceed RSS after 1,000 calls by at most this fraction.
MEMORY_GROWTH_LIMIT = 0.10

CALL_TITLES = {
    "get_loan": "GET one loan with its 12-instalment schedule (~9 KB)",
    "list_loans": "GET the first list page (`rows=10`; the seed has one loan)",
    "create_repayment": "POST a repayment with an idempotency key",
}
LANG_TITLES = {"rust": "Rust", "python": "Python", "node": "Node"}


def target_for(scenario: dict) -> tuple[str, str, float, str] | None:
    for _lang, prefix, conc, contender, baseline, minimum, wording in TARGETS:
        if (
            scenario["id"].startswith(prefix)
            and "/token/" not in scenario["id"]
            and scenario["concurrency"] == conc
        ):
            return contender, baseline, minimum, wording
    return None


def calls_of(scenario: dict, name: str) -> int:
    """Calls per batch of one contender (a slow one may run fewer; see the table's note)."""
    return (scenario.get("calls_by") or {}).get(name, scenario["calls"])


def rates(scenario: dict, name: str) -> list[float]:
    return [calls_of(scenario, name) / secs for secs in scenario["seconds"][name]]


def paired_ratio(scenario: dict, name: str, baseline: str) -> float:
    """Median over rounds of (name's calls/s) / (baseline's calls/s) in the same round."""
    pairs = zip(rates(scenario, name), rates(scenario, baseline))
    return statistics.median(a / b for a, b in pairs)


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def fmt_us(x: float) -> str:
    return f"{x:,.1f}" if x < 100 else f"{x:,.0f}"


def scenario_table(s: dict, results: list[tuple[str, str, float, bool]]) -> list[str]:
    target = target_for(s)
    baseline = target[1] if target else s["baseline"]
    conc = s["concurrency"]
    in_flight = "sequential" if conc == 1 else f"{conc} in flight"
    title = CALL_TITLES.get(s["call"], s["call"])
    if "/token/" in s["id"]:
        title = "token handling: GET of the loan from a server that checks no token"
    fewer = [n for n in s["seconds"] if calls_of(s, n) != s["calls"]]
    note = "".join(f" {n}: {calls_of(s, n):,} calls per batch." for n in fewer)
    kind = {"python/sync/": "Sync clients: ", "python/async/": "Async clients: "}
    prefix = next((v for k, v in kind.items() if s["id"].startswith(k)), "")
    lines = [
        f"#### {prefix}{title}, {in_flight}",
        "",
        f"{s['calls']:,} calls per batch, {len(s['seconds'][baseline])} counted rounds.{note}",
        "",
        "| contender | calls/s | µs/call (wall) | client CPU µs/call | ratio "
        f"vs {baseline} | target | result |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    names = [baseline] + [n for n in s["seconds"] if n != baseline]
    for name in names:
        rate = statistics.median(rates(s, name))
        cpu = statistics.median(s["cpu_seconds"][name]) / calls_of(s, name) * 1e6
        ratio = paired_ratio(s, name, baseline)
        goal, verdict = "", ""
        if target and name == target[0]:
            ok = ratio >= target[2]
            goal, verdict = target[3], "**PASS**" if ok else "**MISS**"
            results.append((s["id"], target[3], ratio, ok))
        ratio_text = "1.00 (baseline)" if name == baseline else f"{ratio:.2f}"
        lines.append(
            f"| {name} | {fmt_rate(rate)} | {fmt_us(1e6 / rate)} | {fmt_us(cpu)} | "
            f"{ratio_text} | {goal} | {verdict} |"
        )
    lines.append("")
    return lines


def memory_table(report: dict, results: list[tuple[str, str, float, bool]]) -> list[str]:
    rows = report.get("memory") or []
    if not rows:
        return []
    points = sorted({int(k) for r in rows for k in r["rss_kib"]})
    lines = [
        "#### Memory: resident set (MiB) after N calls (GET of the loan), fresh process",
        "",
        "| client | " + " | ".join(f"{p:,}" for p in points) + " | growth from 1,000 | result |",
        "|---|" + "---:|" * len(points) + "---:|---|",
    ]
    for r in rows:
        rss = {int(k): v for k, v in r["rss_kib"].items()}
        first, last = rss[min(rss)], rss[max(rss)]
        growth = (last - first) / first
        ok = growth <= MEMORY_GROWTH_LIMIT
        results.append((f"{report['language']} memory: {r['client']}", "RSS flat", growth, ok))
        cells = " | ".join(f"{rss[p] / 1024:.1f}" if p in rss else "" for p in points)
        lines.append(
            f"| {r['client']} | {cells} | {growth * 100:+.1f}% | "
            f"{'**PASS**' if ok else '**MISS**'} |"
        )
    lines += [
        "",
        f"Flat means at most {MEMORY_GROWTH_LIMIT:.0%} above the figure after 1,000 calls. "
        "Python and Node collect garbage (`gc.collect()`, `gc()`) before each reading.",
        "",
    ]
    return lines


DECODE_ROWS = [
    (
        "bytes_to_typed_loan_us",
        "bytes → generated `types::Loan` (typed builders; the bindings' schema check)",
    ),
    ("bytes_to_raw_value_us", "bytes → `RawValue` (the bindings' hand-over of the text as sent)"),
    (
        "typed_loan_to_value_us",
        "`types::Loan` → `serde_json::Value` (the bindings' former second step)",
    ),
    ("value_to_text_us", "`Value` → JSON text (the Node binding's former third step)"),
    ("bytes_to_value_us", "bytes → `serde_json::Value` directly (what `Client::call` adds)"),
]


def decode_table(report: dict) -> list[str]:
    data = report.get("decode")
    if not data:
        return []
    lines = [
        f"#### Decoding the loan's JSON ({data['body_bytes']:,} bytes), in process",
        "",
        "| step | µs |",
        "|---|---:|",
    ]
    lines += [f"| {label} | {data[key]:.1f} |" for key, label in DECODE_ROWS if key in data]
    lines.append("")
    return lines


def imports_table(report: dict) -> list[str]:
    data = report.get("imports")
    if not data:
        return []
    verb = "require" if report["language"] == "node" else "import"
    with_deps = any("with_deps_bytes" in v for v in data.values())
    head = f"| package | {verb} time (ms, median of fresh processes) | installed size (KiB) |"
    sep = "|---|---:|---:|"
    if with_deps:
        head += " with runtime dependencies (KiB) |"
        sep += "---:|"
    lines = [f"#### {verb.capitalize()} time and installed size", "", head, sep]
    for name, v in data.items():
        secs = v.get("import_seconds", v.get("require_seconds", 0.0))
        row = f"| {name} | {secs * 1000:.1f} | {v['own_bytes'] / 1024:,.0f} |"
        if with_deps:
            row += f" {v.get('with_deps_bytes', 0) / 1024:,.0f} |"
        lines.append(row)
    lines.append("")
    return lines


def main() -> None:
    meta = json.loads((OUT / "meta.json").read_text())
    m = meta["machine"]
    reports = {}
    for lang in ("rust", "python", "node"):
        path = OUT / f"{lang}.json"
        if path.exists():
            reports[lang] = json.loads(path.read_text())
    results: list[tuple[str, str, float, bool]] = []
    body: list[str] = []
    versions = {"rustc": m["rustc"], "node": m["node"], "python": m["python"]}
    for lang, report in reports.items():
        body += [f"## {LANG_TITLES[lang]}", ""]
        if report.get("status") != "ok":
            body += [f"Not built: {report.get('reason', 'unknown')}.", ""]
            continue
        for k, v in (report.get("versions") or {}).items():
            versions[k] = v
        if lang == "rust":
            body += [
                "The raw floor is a default `reqwest::Client` sending the request the SDK "
                "sends (`Accept`, `api-version`, the bearer token, the JSON body) and decoding "
                "the body into the same generated `bsa_lms::types` structs with `serde_json`; "
                "the SDK uses its typed builders (`get_loan().loan_id(..)`, "
                "`list_loans().rows(10).page(1)`, `create_repayment()` with an idempotency "
                f"key). The SDK minted {report.get('token_mints', '?')} token over the run.",
                "",
            ]
        elif lang == "python":
            body += [
                "Baselines decode with their own `.json()` into dicts; the SDK returns its "
                "models. `aiohttp` runs with `limit=0` and `httpx` with unlimited pool limits, "
                "like the SDK's pool. Default asyncio event loop.",
                "",
            ]
        else:
            body += [
                "Baselines decode with `.json()` / `body.json()`; the SDK returns the parsed "
                "JSON. Both `fetch` and `undici.request` use their default global dispatcher.",
                "",
            ]
        for s in report["scenarios"]:
            body += scenario_table(s, results)
        body += memory_table(report, results)
        body += decode_table(report)
        body += imports_table(report)

    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` ({meta['started']}, profile `{meta['profile']}`); "
        "do not edit by hand. Every figure comes from one run: the machine is shared and noisy, "
        "so compare the ratios inside a table (contenders take turns within each round) "
        "rather than absolute figures across tables or runs.",
        "",
        "## Machine and versions",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {m['cpu']} |",
        f"| cores | {m['cores']} |",
        f"| memory | {m['memory_gib']} GiB |",
        f"| kernel | {m['kernel']} |",
        "| load average (1, 5, 15 min) at start / end | "
        f"{', '.join(f'{x:.1f}' for x in m['load_average_at_start'])} / "
        f"{', '.join(f'{x:.1f}' for x in m.get('load_average_at_end', []))} |",
        f"| Rust build | {m['release_profile']} |",
    ]
    lines += [f"| {k} | {v} |" for k, v in versions.items()]
    seconds = meta.get("seconds", {})
    if meta.get("make_started"):
        end = meta.get("run_finished") or int(time.time())
        total, builds = end - meta["make_started"], meta["run_started"] - meta["make_started"]
        lines.append(
            f"| `make bench` wall time | {total // 60} min {total % 60} s "
            f"(builds and installs {builds // 60} min {builds % 60} s) |"
        )
    lines += [
        "| benchmark time per language (s) | "
        + ", ".join(f"{k} {v}" for k, v in seconds.items())
        + " |",
        "",
        "## Method",
        "",
        "- One release sandbox process per language on loopback; keep-alive everywhere.",
        "- Before every batch the sandbox is reset and seeded: one customer and one loan of "
        "product 2 (12 monthly instalments). Repayment batches also get one extra loan per 100 "
        "POSTs and spread their POSTs over them (the sandbox replays a loan's history on each "
        "repayment, which would otherwise dominate).",
        "- Per table: one shorter warm-up batch per contender (not counted), then the counted "
        "rounds; within a round the contenders take turns, in alternating order.",
        "- calls/s: median over the rounds; ratio: median of the per-round ratios to the "
        "baseline; client CPU: CPU time of the benchmark process (all threads) per call — the "
        "sandbox runs in its own process on the same 2 cores.",
        "- With N in flight, N tasks each take the next call number until none is left.",
        "",
        "## Targets",
        "",
        "| scenario | target | ratio (growth for memory) | result |",
        "|---|---|---:|---|",
    ]
    for id_, wording, value, ok in results:
        shown = f"{value * 100:+.1f}%" if wording == "RSS flat" else f"{value:.2f}"
        lines.append(f"| {id_} | {wording} | {shown} | {'**PASS**' if ok else '**MISS**'} |")
    missing = [lang for lang, r in reports.items() if r.get("status") != "ok"]
    if missing:
        lines += ["", f"Not built, so not measured: {', '.join(missing)}."]
    passed = sum(ok for *_x, ok in results)
    lines += ["", f"{passed} of {len(results)} targets met.", ""]
    RESULTS.write_text("\n".join(lines + body).rstrip() + "\n")
    print(
        f"wrote {RESULTS.relative_to(BENCH.parent)}: {passed} of {len(results)} targets met",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
