"""The workspace version in Cargo.toml is the one version of every package.

    python3 scripts/version.py check [--tag vX.Y.Z]   fail when a manifest differs
    python3 scripts/version.py set X.Y.Z              write X.Y.Z everywhere

Cargo crates inherit it (`version.workspace = true`), the Python package reads it through
maturin (`dynamic = ["version"]`), and the npm manifests carry a copy that `check`
compares. `--tag` also requires the release tag to be `v<version>` and CHANGELOG.md to
have a dated section for it (`## X.Y.Z - YYYY-MM-DD`).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE = ROOT / "bindings/node"
SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?")
WORKSPACE_VERSION = re.compile(
    r'(\[workspace\.package\][^\[]*?\nversion = ")([^"]+)(")', re.DOTALL
)


def workspace_version() -> str:
    return tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"][
        "version"
    ]


def npm_manifests() -> list[Path]:
    return [NODE / "package.json", *sorted(NODE.glob("npm/*/package.json"))]


def problems(version: str) -> list[str]:
    found = []
    metadata = subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    for package in json.loads(metadata.stdout)["packages"]:
        if package["version"] != version:
            found.append(f"crate {package['name']} is {package['version']}")
    project = tomllib.loads((ROOT / "bindings/python/pyproject.toml").read_text())[
        "project"
    ]
    if "version" in project or "version" not in project.get("dynamic", []):
        found.append(
            'bindings/python/pyproject.toml must take its version from Cargo (dynamic = ["version"])'
        )
    for path in npm_manifests():
        manifest = json.loads(path.read_text())
        if manifest["version"] != version:
            found.append(f"{path.relative_to(ROOT)} is {manifest['version']}")
    lock = json.loads((NODE / "package-lock.json").read_text())
    if (
        version not in (lock["version"], lock["packages"][""]["version"])
        or lock["version"] != lock["packages"][""]["version"]
    ):
        found.append(f"bindings/node/package-lock.json is {lock['version']}")
    return found


def check(tag: str | None) -> int:
    version = workspace_version()
    found = problems(version)
    if tag is not None:
        if tag != f"v{version}":
            found.append(f"tag {tag} is not v{version}")
        changelog = (ROOT / "CHANGELOG.md").read_text()
        heading = re.search(
            rf"^## {re.escape(version)} - \d{{4}}-\d{{2}}-\d{{2}}$",
            changelog,
            re.MULTILINE,
        )
        if heading is None:
            found.append(
                f"CHANGELOG.md has no dated section for {version} (## {version} - YYYY-MM-DD)"
            )
    for problem in found:
        print(f"version {version}: {problem}", file=sys.stderr)
    if not found:
        print(
            f"version {version}: Cargo workspace, pyproject.toml and {len(npm_manifests())} package.json agree"
        )
    return 1 if found else 0


def set_version(version: str) -> int:
    if not SEMVER.fullmatch(version):
        print(f"not a version: {version}", file=sys.stderr)
        return 2
    cargo = ROOT / "Cargo.toml"
    text, count = WORKSPACE_VERSION.subn(rf"\g<1>{version}\g<3>", cargo.read_text())
    if count != 1:
        print("Cargo.toml: no [workspace.package] version line", file=sys.stderr)
        return 1
    cargo.write_text(text)
    for path in npm_manifests():
        path.write_text(
            re.sub(
                r'^(  "version": ")[^"]+(")',
                rf"\g<1>{version}\g<2>",
                path.read_text(),
                count=1,
                flags=re.MULTILINE,
            )
        )
    lock = NODE / "package-lock.json"
    lock_data = json.loads(lock.read_text())
    lock_data["version"] = lock_data["packages"][""]["version"] = version
    lock.write_text(json.dumps(lock_data, indent=2) + "\n")
    # Cargo.lock records the workspace crates' versions; builds run with --locked.
    subprocess.run(
        ["cargo", "update", "--workspace", "--offline", "--quiet"], cwd=ROOT, check=True
    )
    return check(None)


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"] and len(argv) in (1, 3) and argv[1:2] in ([], ["--tag"]):
        return check(argv[2] if len(argv) == 3 else None)
    if argv[:1] == ["set"] and len(argv) == 2:
        return set_version(argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
