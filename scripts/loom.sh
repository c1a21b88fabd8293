#!/usr/bin/env bash
# loom models: every interleaving (up to the preemption bound) of the concurrency core.
#   RUSTFLAGS="--cfg loom"     switches crates' `sync` shim modules from std to loom types
#   LOOM_MAX_PREEMPTIONS=2     pinned bound: exhaustive up to 2 preemptions, tractable on 2 cores
#   --release                  loom explores millions of states; debug builds are ~10x slower
#   CARGO_TARGET_DIR           a separate dir so the cfg change does not rebuild the main target
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="--cfg loom ${RUSTFLAGS:-}"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/loom}"
cargo test --release -p tern-quiesce -p tern-intern --test loom -- --test-threads=2 "$@"
