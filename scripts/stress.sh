#!/usr/bin/env bash
# Hardware stress: the #[ignore]d stress tests of every package that has tests/stress.rs,
# in release mode, on real threads.
#
# usage: scripts/stress.sh [--quick] [package ...]
#   --quick                  short run for CI (TERN_STRESS_SECS=4 per package)
#   TERN_STRESS_SECS         duration of each package's long test (default 30)
#   TERN_STRESS_THREADS      worker threads (default: the test's own, 4 for tern-quiesce)
#   TERN_STRESS_SEED         seed, printed by the test, to replay a failing run
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${TERN_STRESS_SECS:-30}"
packages=()
for arg in "$@"; do
    case "$arg" in
        --quick) secs=4 ;;
        *) packages+=("$arg") ;;
    esac
done
if [ ${#packages[@]} -eq 0 ]; then
    for stress in crates/*/tests/stress.rs */tests/stress.rs; do
        [ -e "$stress" ] || continue
        manifest="$(dirname "$(dirname "$stress")")/Cargo.toml"
        name="$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n1)"
        case " ${packages[*]:-} " in *" $name "*) ;; *) packages+=("$name") ;; esac
    done
fi

export TERN_STRESS_SECS="$secs"
failed=()
for p in "${packages[@]}"; do
    echo "stress: $p (TERN_STRESS_SECS=$secs)"
    # --release: the races worth finding need real speed; --ignored: only the long tests
    # (the small ones already ran in `cargo test`); --nocapture: print seed and figures.
    # Every package runs even if one fails; the exit status reports any failure.
    cargo test --release -p "$p" --test stress -- --ignored --nocapture || failed+=("$p")
done
if [ ${#failed[@]} -ne 0 ]; then
    echo "stress: FAILED: ${failed[*]}"
    exit 1
fi
echo "stress: all passed: ${packages[*]}"
