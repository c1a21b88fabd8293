#!/usr/bin/env bash
# Miri runs of tern-arena (from the repository root or anywhere).
#   -Zmiri-tree-borrows       the aliasing model the crate's safety comments are written for
#   -Zmiri-strict-provenance  no integer-to-pointer casts in tern-arena (first pass)
# Pass 2 runs the tests that start a rayon pool (#[cfg_attr(miri, ignore)]) without strict
# provenance, only because rayon's crossbeam-epoch casts integers to pointers
# (crossbeam-epoch/src/atomic.rs, `Pointable::deref`); tern-arena's own code is the same.
#   -Zmiri-ignore-leaks       pass 2 only: rayon's workers exit after the test returns, so
#                             crossbeam-epoch's per-thread `Local`s (its atomic.rs:200) are
#                             still live at exit; every leak reported there is one of those.
#                             Pass 1 keeps the leak check for all of tern-arena's own paths.
# Pass 3 repeats pass 1's test binary under Stacked Borrows (Miri's default model), which is
# stricter about `Box` and `&mut` retags; the crate keeps its slot blocks behind raw pointers
# so that both models accept the thread caches that point into them.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/miri}"
MIRIFLAGS="-Zmiri-tree-borrows -Zmiri-strict-provenance" \
    cargo +nightly miri test -p tern-arena "$@"
MIRIFLAGS="-Zmiri-tree-borrows -Zmiri-ignore-leaks" \
    cargo +nightly miri test -p tern-arena --test arena "$@" -- --ignored
MIRIFLAGS="-Zmiri-strict-provenance" \
    cargo +nightly miri test -p tern-arena --test arena "$@"
