#!/usr/bin/env bash
# Regeneration tests (issue: one command updates all three SDKs).
#
# For each derived spec (derive_spec.py: `change` and `older`), a copy of the
# repository gets the new openapi.json, `make generate` runs once (and a second
# time must change nothing), and probes prove that Rust, Python and Node expose
# the change and no longer expose what was removed, with no hand edits.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/regeneration"
export CARGO_TARGET_DIR="$root/target"   # reuse dependency builds; only workspace crates rebuild
venv="$root/.venv"
tsc="$root/bindings/node/node_modules/.bin/tsc"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "regeneration: FAIL: $*" >&2; exit 1; }
step() { echo "regeneration: $*"; }

[ -x "$tsc" ] || fail "TypeScript is not installed (run make -C bindings/node build first)"
[ -x "$venv/bin/mypy" ] || fail "mypy is not installed in $venv (run make -C bindings/python develop first)"

copy_repo() {
  local dest=$1
  mkdir -p "$dest"
  (cd "$root" && git ls-files -z | xargs -0 cp --parents -t "$dest")
  ln -s "$root/bindings/node/node_modules" "$dest/bindings/node/node_modules"
}

tree_hash() { (cd "$1" && find . -path ./bindings/node/node_modules -prune -o -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum); }

# Builds and type-checks one probe per language; `expect` is pass or fail, and
# a failure must name `symbol` (so an unrelated error cannot pass the test).
rust_probe() {
  local dir=$1 probe=$2 expect=$3 symbol=${4:-}
  cp "$here/probes/$probe.rs" "$dir/examples/probe_$probe.rs"
  local out
  if out=$(cd "$dir" && cargo build --locked --quiet --example "probe_$probe" 2>&1); then
    [ "$expect" = pass ] || fail "Rust probe $probe compiled, but it uses removed API"
    (cd "$dir" && "$CARGO_TARGET_DIR/debug/examples/probe_$probe") || fail "Rust probe $probe: runtime assertion"
  else
    [ "$expect" = fail ] || { echo "$out" >&2; fail "Rust probe $probe does not compile"; }
    grep -q "$symbol" <<<"$out" || { echo "$out" >&2; fail "Rust probe $probe failed for another reason"; }
  fi
  step "rust $probe: $expect as expected"
}

ts_probe() {
  local dir=$1 probe=$2 expect=$3 symbol=${4:-}
  cp "$here/probes/$probe.ts" "$dir/bindings/node/probe_$probe.ts"
  local out
  if out=$(cd "$dir/bindings/node" && "$tsc" --ignoreConfig --strict --noEmit --module nodenext --moduleResolution nodenext \
      --target es2022 --lib es2022 --types node --exactOptionalPropertyTypes "probe_$probe.ts" 2>&1); then
    [ "$expect" = pass ] || fail "TypeScript probe $probe type-checked, but it uses removed API"
  else
    [ "$expect" = fail ] || { echo "$out" >&2; fail "TypeScript probe $probe does not type-check"; }
    grep -q "$symbol" <<<"$out" || { echo "$out" >&2; fail "TypeScript probe $probe failed for another reason"; }
  fi
  step "typescript $probe: $expect as expected"
}

py_probe() {
  local dir=$1 probe=$2 expect=$3 symbol=${4:-}
  local out
  if out=$(cd "$dir" && MYPYPATH="$dir/bindings/python/python" "$venv/bin/mypy" --strict --no-incremental \
      --cache-dir=/dev/null "$here/probes/$probe.py" 2>&1); then
    [ "$expect" = pass ] || fail "Python probe $probe type-checked, but it uses removed API"
  else
    [ "$expect" = fail ] || { echo "$out" >&2; fail "Python probe $probe does not type-check"; }
    grep -q "$symbol" <<<"$out" || { echo "$out" >&2; fail "Python probe $probe failed for another reason"; }
  fi
  step "python $probe: $expect as expected"
}

regenerate() {
  local dir=$1 mode=$2
  copy_repo "$dir"
  python3 "$here/derive_spec.py" "$mode" < "$root/openapi.json" > "$dir/openapi.json"
  local log="$dir.generate.log"
  (cd "$dir" && make --quiet generate >"$log" 2>&1) || { cat "$log" >&2; fail "$mode: make generate failed"; }
  local first second
  first=$(tree_hash "$dir")
  (cd "$dir" && make --quiet generate >"$log" 2>&1) || { cat "$log" >&2; fail "$mode: make generate failed"; }
  second=$(tree_hash "$dir")
  [ "$first" = "$second" ] || fail "$mode: make generate is not deterministic"
  ! diff -q "$root/bindings/node/index.d.ts" "$dir/bindings/node/index.d.ts" >/dev/null \
    || fail "$mode: the TypeScript surface did not change"
  step "$mode: regenerated (twice, identical)"
}

step "spec change: add a field, an optional request field, an operation; remove an operation"
regenerate "$work/change" change
rust_probe "$work/change" change pass
rust_probe "$work/change" removed fail get_credit_scorecard
ts_probe "$work/change" change pass
ts_probe "$work/change" removed fail getCreditScorecard
py_probe "$work/change" change pass
py_probe "$work/change" removed fail get_credit_scorecard

step "older revision (REFERENCE.md Appendix B)"
regenerate "$work/older" older
(cd "$work/older" && cargo check --locked --quiet -p bsa-lms -p bsa-lms-python -p bsa-lms-node) \
  || fail "older: the crates do not build"
rust_probe "$work/older" older pass
ts_probe "$work/older" older pass
ts_probe "$work/older" older_removed fail getLoanByExternalId
py_probe "$work/older" older pass
py_probe "$work/older" older_removed fail get_loan_by_external_id
step "all regeneration checks passed"
