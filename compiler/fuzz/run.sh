#!/usr/bin/env bash
# Fuzz the syntax layer (check_source + lexer + parser) with libFuzzer.
#   cargo install cargo-fuzz      once; needs the nightly toolchain (installed)
#   SECONDS_=60                   run time; the target asserts no panic, no stack
#                                 overflow, no hang (libFuzzer's -timeout), and
#                                 diagnostics/spans inside the file
#   -max_len=8192                 lets seeded real files mutate whole
#   CARGO_TARGET_DIR              kept apart from the stable builds
# Seed: `corpus/parse/` (git-ignored); copy some real .rs files there first for
# faster coverage, e.g. from ~/.cargo/registry/src/*/.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
mkdir -p corpus/parse
cargo +nightly fuzz run parse corpus/parse -- -max_total_time="${SECONDS_:-60}" -max_len=8192 -timeout=10 "$@"
