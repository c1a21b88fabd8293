#!/usr/bin/env bash
# Miri: runs the unit, API and small stress tests under the interpreter, which reports
# undefined behaviour (use-after-free, data races, aliasing and provenance violations).
#
# usage: scripts/miri.sh [package ...] [-- test-args]
#   default packages: every library crate under crates/ (tern-quiesce, tern-arena, ...)
#
# Flags:
#   cargo +nightly miri test   Miri exists only on nightly (installed with rust-src here).
#   MIRIFLAGS:
#     -Zmiri-tree-borrows        check aliasing with the Tree Borrows model (the successor of
#                                Stacked Borrows; accepts the raw-pointer patterns crossbeam,
#                                seize and we use, still catches use-after-free and writes
#                                through shared references)
#     -Zmiri-strict-provenance   forbid integer-to-pointer casts: every pointer must carry the
#                                provenance of the allocation it points into
#   Miri's data-race detector and weak-memory emulation are on by default (we rely on them:
#   the reclaimer's orderings are what is being checked).
#   CARGO_TARGET_DIR=target/miri  Miri builds with its own sysroot and flags; a separate
#                                directory keeps it from invalidating the normal build.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    # Miri needs the `miri` and `rust-src` components of the nightly toolchain.
    rustup component add --toolchain nightly miri rust-src
fi

packages=()
test_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --) shift; test_args=("$@"); break ;;
        *) packages+=("$1"); shift ;;
    esac
done
if [ ${#packages[@]} -eq 0 ]; then
    for manifest in crates/*/Cargo.toml; do
        packages+=("$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n1)")
    done
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/miri}"
extra="${MIRIFLAGS:-}"
strict=()
pooled=()
for p in "${packages[@]}"; do
    case "$p" in
        # tern-session's tests run rayon pools: rayon's crossbeam-epoch casts integers to
        # pointers (so no strict provenance) and its workers outlive the test's main
        # thread (-Zmiri-ignore-leaks; leaks of our own are caught by the other crates'
        # counting allocators and the stress tests).
        tern-session) pooled+=("$p") ;;
        *) strict+=("$p") ;;
    esac
done
status=0
if [ ${#strict[@]} -ne 0 ]; then
    args=()
    for p in "${strict[@]}"; do args+=(-p "$p"); done
    export MIRIFLAGS="-Zmiri-tree-borrows -Zmiri-strict-provenance $extra"
    echo "miri: ${strict[*]} (MIRIFLAGS=$MIRIFLAGS)"
    cargo +nightly miri test "${args[@]}" -- "${test_args[@]}" || status=1
fi
if [ ${#pooled[@]} -ne 0 ]; then
    args=()
    for p in "${pooled[@]}"; do args+=(-p "$p"); done
    export MIRIFLAGS="-Zmiri-tree-borrows -Zmiri-ignore-leaks $extra"
    echo "miri: ${pooled[*]} (MIRIFLAGS=$MIRIFLAGS)"
    cargo +nightly miri test "${args[@]}" -- "${test_args[@]}" || status=1
fi
exit $status
