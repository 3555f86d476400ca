"""Checks the licences and sources of the Rust, Python and npm dependencies, offline.

Rust: cargo-deny with deny.toml, in two passes: licences, bans and sources of the shipped
crates without their dev-dependencies, then bans and sources of the whole workspace (dev and
tool crates run in CI too). Python and npm: this script, with deny.toml's licence allow-list
and supply-chain.toml. Exits 1 naming every offending dependency.

Usage: python3 tools/check_deps.py [--cargo-deny PATH]   (Python >= 3.11)
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = "bindings/python/pyproject.toml"
PACKAGE_JSON = "bindings/node/package.json"
PACKAGE_LOCK = "bindings/node/package-lock.json"


class LicenceError(ValueError):
    """A licence field that is not a valid SPDX expression."""


_TOKEN = re.compile(r"\s*(?:(\()|(\))|([A-Za-z0-9.+:-]+))")


def _tokens(expression: str) -> list[str]:
    text = expression.strip()
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.lastindex is None:
            raise LicenceError(f"unexpected {text[pos:]!r} in licence {expression!r}")
        tokens.append(match.group(match.lastindex))
        pos = match.end()
    return tokens


def licence_allowed(expression: str, allow: Iterable[str]) -> bool:
    """Whether licences in `allow` satisfy the SPDX `expression`.

    `A OR B` needs one side, `A AND B` both. `A WITH E` passes when that exact pair is
    allowed, or `A` alone is (an exception only adds permissions); `A+` (this version or
    later) likewise passes when `A` is allowed. Identifiers compare case-insensitively.
    """
    allowed = {" ".join(entry.split()).casefold() for entry in allow}
    tokens = _tokens(expression)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        token = peek()
        if token is None:
            raise LicenceError(f"licence {expression!r} ends too early")
        pos += 1
        return token

    def is_operator(token: str | None, name: str) -> bool:
        return token is not None and token.upper() == name

    def licence() -> str:
        token = take()
        if token in ("(", ")") or token.upper() in ("AND", "OR", "WITH"):
            raise LicenceError(f"expected a licence, found {token!r} in {expression!r}")
        return token

    def term() -> bool:
        if peek() == "(":
            take()
            value = either()
            if take() != ")":
                raise LicenceError(f"unbalanced parentheses in licence {expression!r}")
            return value
        name = licence()
        base = name.removesuffix("+").casefold()
        if is_operator(peek(), "WITH"):
            take()
            exception = licence().casefold()
            return f"{name.casefold()} with {exception}" in allowed or base in allowed
        return name.casefold() in allowed or base in allowed

    def both() -> bool:
        value = term()
        while is_operator(peek(), "AND"):
            take()
            value = term() and value
        return value

    def either() -> bool:
        value = both()
        while is_operator(peek(), "OR"):
            take()
            value = both() or value
        return value

    result = either()
    if peek() is not None:
        raise LicenceError(f"unexpected {peek()!r} in licence {expression!r}")
    return result


def _licence_problem(where: str, licence: object, allow: list[str]) -> str | None:
    if not isinstance(licence, str):
        return f"{where}: licence {licence!r} is not an SPDX expression"
    try:
        if licence_allowed(licence, allow):
            return None
    except LicenceError as error:
        return f"{where}: {error}"
    return f"{where}: licence {licence!r} is not allowed by deny.toml [licenses] allow"


# PEP 508: a name, optional extras, then `@ url` for a direct reference.
_REQUIREMENT = re.compile(
    r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(?P<url>@)?"
)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def python_requirements(pyproject: dict[str, Any]) -> list[str]:
    """The runtime requirements of a pyproject: its dependencies and every extra's."""
    project = pyproject.get("project", {})
    requirements = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    return requirements


def check_python(
    pyproject: dict[str, Any], reviewed: dict[str, str], allow: list[str]
) -> list[str]:
    """Problems of the runtime requirements of a pyproject."""
    known = {_normalise(name): licence for name, licence in reviewed.items()}
    problems = []
    for requirement in python_requirements(pyproject):
        match = _REQUIREMENT.match(requirement)
        if match is None:
            problems.append(f"python: cannot parse requirement {requirement!r}")
            continue
        name = _normalise(match["name"])
        where = f"python: {name}"
        if match["url"]:
            problems.append(
                f"{where}: direct reference {requirement!r}; only the package index may "
                "provide dependencies"
            )
        if name not in known:
            problems.append(
                f"{where}: not reviewed; add it with its licence to supply-chain.toml "
                "[python] reviewed"
            )
            continue
        problem = _licence_problem(where, known[name], allow)
        if problem:
            problems.append(problem)
    return problems


def npm_runtime(lock: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The lockfile's entries that a user's install gets: all but the root and dev-only ones."""
    packages: dict[str, dict[str, Any]] = lock.get("packages", {})
    return {path: entry for path, entry in packages.items() if path and not entry.get("dev")}


# A registry version range or dist-tag: no URL, git, file, link, alias or path spec.
_REGISTRY_SPEC = re.compile(r"[^:/\\#@]*")


def check_npm(
    package: dict[str, Any],
    lock: dict[str, Any],
    own: list[str],
    registries: list[str],
    allow: list[str],
) -> list[str]:
    """Problems of the runtime (non-dev) packages of a package.json and its lockfile."""

    def is_own(name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in own)

    problems = []
    if lock.get("lockfileVersion", 1) < 2:
        problems.append("npm: package-lock.json is older than lockfileVersion 2")
    packages: dict[str, dict[str, Any]] = lock.get("packages", {})
    for field in ("dependencies", "optionalDependencies", "peerDependencies"):
        for name, spec in package.get(field, {}).items():
            if not _REGISTRY_SPEC.fullmatch(spec):
                problems.append(
                    f"npm: {name}: {field} spec {spec!r} is not a registry version; "
                    "git, URL, file and alias specs are not allowed"
                )
            if f"node_modules/{name}" not in packages and not is_own(name):
                problems.append(
                    f"npm: {name}: in package.json {field} but not in package-lock.json"
                )
    for path, entry in npm_runtime(lock).items():
        name = entry.get("name") or path.rpartition("node_modules/")[2]
        where = f"npm: {name} ({path})"
        if entry.get("link"):
            if not is_own(name):
                problems.append(f"{where}: links to the local directory {entry.get('resolved')!r}")
            continue
        resolved = entry.get("resolved")
        if resolved is not None and not any(resolved.startswith(r) for r in registries):
            problems.append(
                f"{where}: resolved from {resolved!r}, outside supply-chain.toml [npm] registries"
            )
        if not str(entry.get("integrity", "")).startswith("sha512-"):
            problems.append(f"{where}: no sha512 integrity in package-lock.json")
        if entry.get("hasInstallScript"):
            problems.append(f"{where}: runs an install script on the user's machine")
        if "license" in entry or not is_own(name):
            problem = _licence_problem(where, entry.get("license"), allow)
            if problem:
                problems.append(problem)
    return problems


def _deny_command(cargo_deny: str, manifest: Path, metadata: Path | None) -> list[str]:
    command = [cargo_deny, "--color", "never", "--offline", "--locked", "--workspace"]
    command += ["--manifest-path", str(manifest), "--config", str(ROOT / "deny.toml")]
    if metadata is not None:
        command += ["--metadata-path", str(metadata)]
    return command


def check_rust(
    cargo_deny: str,
    manifest: Path,
    not_shipped: list[str],
    metadata: Path | None = None,
) -> tuple[list[str], str]:
    """cargo-deny's two passes over the workspace of `manifest` (or a saved `cargo metadata`).

    Returns the problems and cargo-deny's report.
    """
    if metadata is None:
        cargo = [os.environ.get("CARGO", "cargo"), "metadata", "--format-version", "1"]
        cargo += ["--no-deps", "--offline", "--locked", "--manifest-path", str(manifest)]
        listing = subprocess.run(cargo, check=True, capture_output=True, text=True).stdout
    else:
        listing = metadata.read_text()
    graph = json.loads(listing)
    members = {p["name"] for p in graph["packages"] if p["id"] in graph["workspace_members"]}
    problems = [
        f"rust: {name}: in supply-chain.toml [rust] not-shipped but not a workspace crate"
        for name in not_shipped
        if name not in members
    ]
    excluded = [arg for name in not_shipped for arg in ("--exclude", name)]
    passes = [
        ("shipped crates", ["--exclude-dev", *excluded, "check", "licenses", "bans", "sources"]),
        ("whole workspace", ["check", "bans", "sources"]),
    ]
    report = []
    base = _deny_command(cargo_deny, manifest, metadata)
    for label, arguments in passes:
        run = subprocess.run(base + arguments, capture_output=True, text=True)
        report.append(f"--- cargo-deny, {label}\n{run.stdout}{run.stderr}")
        if run.returncode != 0:
            problems.append(f"rust: cargo-deny rejected the {label} (report above)")
    return problems, "".join(report)


def _load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as file:
        return tomllib.load(file)


def default_cargo_deny() -> str:
    # The Makefile installs cargo-deny into the virtualenv that runs this script.
    beside = Path(sys.executable).parent / "cargo-deny"
    return str(beside) if beside.exists() else "cargo-deny"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cargo-deny", default=default_cargo_deny(), help="cargo-deny binary")
    args = parser.parse_args(argv)
    allow: list[str] = _load_toml(ROOT / "deny.toml")["licenses"]["allow"]
    policy = _load_toml(ROOT / "supply-chain.toml")

    problems, report = check_rust(
        args.cargo_deny, ROOT / "Cargo.toml", policy["rust"]["not-shipped"]
    )
    print(report.rstrip())
    pyproject = _load_toml(ROOT / PYPROJECT)
    problems += check_python(pyproject, policy["python"]["reviewed"], allow)
    package = json.loads((ROOT / PACKAGE_JSON).read_text())
    lock = json.loads((ROOT / PACKAGE_LOCK).read_text())
    npm = policy["npm"]
    problems += check_npm(package, lock, npm["own"], npm["registries"], allow)

    for problem in problems:
        print(problem)
    if problems:
        print(f"supply chain: {len(problems)} problem(s)")
        return 1
    print(
        f"supply chain: ok (Rust: cargo-deny, 2 passes; Python: "
        f"{len(python_requirements(pyproject))} runtime requirement(s); npm: "
        f"{len(npm_runtime(lock))} runtime package(s))"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
