#!/usr/bin/env bash
# ThreadSanitizer: runs the stress tests (small and long) with every memory access of the
# program and of std instrumented, and reports data races (e.g. a free racing a read).
#
# usage: scripts/tsan.sh [package ...]     default: packages whose tests/stress.rs exists
#
# Flags:
#   cargo +nightly              sanitizers are nightly-only (-Z flags)
#   RUSTFLAGS=-Zsanitizer=thread  instrument every access and atomic for TSan
#   -Zbuild-std                 rebuild std with the same instrumentation (an uninstrumented
#                               std hides its atomics and locks from TSan: false reports)
#   --target x86_64-unknown-linux-gnu  required by -Zbuild-std; also keeps RUSTFLAGS off
#                               build scripts and proc macros
#   TSAN_OPTIONS:
#     halt_on_error=1           stop at the first report (the exit status says it)
#     second_deadlock_stack=1   show both stacks in lock-order reports
#   TERN_STRESS_SECS            the long stress test's duration (TSan is ~10x slower)
#   CARGO_TARGET_DIR=target/tsan  instrumented artifacts kept apart from normal ones
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup component list --toolchain nightly --installed 2>/dev/null | grep -q rust-src; then
    # -Zbuild-std needs std's sources.
    rustup component add --toolchain nightly rust-src
fi

packages=("$@")
if [ ${#packages[@]} -eq 0 ]; then
    for stress in crates/*/tests/stress.rs; do
        [ -e "$stress" ] || continue
        manifest="$(dirname "$(dirname "$stress")")/Cargo.toml"
        packages+=("$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n1)")
    done
fi

export RUSTFLAGS="-Zsanitizer=thread ${RUSTFLAGS:-}"
export RUSTDOCFLAGS="-Zsanitizer=thread ${RUSTDOCFLAGS:-}"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export TERN_STRESS_SECS="${TERN_STRESS_SECS:-6}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/tsan}"
failed=()
for p in "${packages[@]}"; do
    echo "tsan: $p (TERN_STRESS_SECS=$TERN_STRESS_SECS)"
    # Every package runs even if one fails; the exit status reports any failure.
    cargo +nightly test -Zbuild-std --target x86_64-unknown-linux-gnu --release \
        -p "$p" --test stress -- --include-ignored || failed+=("$p")
done
if [ ${#failed[@]} -ne 0 ]; then
    echo "tsan: FAILED: ${failed[*]}"
    exit 1
fi
echo "tsan: all passed: ${packages[*]}"
