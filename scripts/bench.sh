#!/usr/bin/env bash
# Runs tern's benches beside their peers and writes benches/RESULTS.md.
#
#   scripts/bench.sh                      # every bench, threads 1,2, then the report
#   scripts/bench.sh intern frontend      # only these benches (others keep their last results)
#   scripts/bench.sh --report-only        # rebuild RESULTS.md from the last results
#
# Environment (all optional):
#   TERN_BENCH_THREADS=1,2,4,8,16   thread counts of the multi-thread variants (default 1,2)
#   TERN_BENCH_CORPUS_MB=64         cap the registry corpus of the interner benches
#   TERN_BENCH_QUICK=1              short warm-up/measurement (smoke runs, not for tables)
#   CARGO_TARGET_DIR                where cargo builds and criterion keeps its results
#   TERN_BENCH_PREVIOUS="runA=old/RESULTS.md ..."  earlier reports whose target figures
#                                   are shown beside this run's (run-to-run spread)
#   TERN_HALF=reporting             the registry half intern_pairs measures (issue 10's
#                                   targets count only on the reporting half)
#   TERN_PAIRS=7                    pairs per intern_pairs target
#
# `ternc_targets` is not a criterion bench: scripts/ternc_targets.py measures ternc's AST
# memory and 1-thread parse speed on each registry half, scripts/coldstart.py its cold
# start (page cache evicted per file) against a warm run.
#
# The report (benches/report.py) reads criterion's target/criterion/**/new/*.json,
# intern_memory's, intern_pairs' and ternc_targets' JSON, prints one table per group with the ratio
# to the group's floor or peer, and every target of issues 2-5 and 10 as PASS or MISS.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL=(reclaim arena intern intern_memory intern_pairs frontend ternc_targets)
report_only=0
benches=()
for a in "$@"; do
    case "$a" in
        --report-only) report_only=1 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) benches+=("$a") ;;
    esac
done
[ ${#benches[@]} -eq 0 ] && benches=("${ALL[@]}")

export TERN_BENCH_THREADS="${TERN_BENCH_THREADS:-1,2}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
# Pin criterion's output directory so the report finds it whatever the cwd.
export CRITERION_HOME="$target/criterion"
export TERN_BENCH_MEMORY_JSON="$target/tern-bench-intern-memory.json"
export TERN_BENCH_PAIRS_JSON="$target/tern-bench-intern-pairs.json"
export TERN_BENCH_TERNC_JSON="$target/tern-bench-ternc-targets.json"
export TERN_BENCH_COLD_JSON="$target/tern-bench-coldstart.json"
export TERN_HALF="${TERN_HALF:-reporting}"
mkdir -p "$CRITERION_HOME"

if [ "$report_only" -eq 0 ]; then
    for b in "${benches[@]}"; do
        # Drop this bench's previous groups so stale cases never reach the report.
        case "$b" in
            reclaim) rm -rf "$CRITERION_HOME"/reclaim_* ;;
            arena) rm -rf "$CRITERION_HOME"/arena_* ;;
            intern) rm -rf "$CRITERION_HOME"/intern_* ;;
            intern_memory) rm -f "$TERN_BENCH_MEMORY_JSON" ;;
            intern_pairs) rm -f "$TERN_BENCH_PAIRS_JSON" ;;
            ternc_targets) rm -f "$TERN_BENCH_TERNC_JSON" "$TERN_BENCH_COLD_JSON" ;;
            frontend) rm -rf "$CRITERION_HOME"/frontend ;;
        esac
        {
            what="cargo bench -p tern-benches --bench $b"
            [ "$b" = ternc_targets ] && what="scripts/ternc_targets.py (ternc_targets)"
            printf '=== %s (started %s UTC, tree %s, load average %s)\n' \
                "$what" "$(date -u +%H:%M:%S)" "$(git describe --always --dirty 2>/dev/null || echo '?')" \
                "$(cut -d' ' -f1-3 /proc/loadavg)"
            if [ "$b" = ternc_targets ]; then
                # Not a criterion bench: ternc's AST memory and parse speed per registry half.
                cargo build --release -p tern-compiler
                python3 scripts/ternc_targets.py --ternc "$target/release/ternc" \
                    --json "$TERN_BENCH_TERNC_JSON"
                # Cold start: the default corpus read from the disk ÷ the same run warm.
                python3 scripts/coldstart.py --ternc "$target/release/ternc" --pairs 3 \
                    --json "$TERN_BENCH_COLD_JSON"
            else
                cargo bench -p tern-benches --bench "$b"
            fi
            printf '=== %s done at %s UTC, load average %s\n' \
                "$b" "$(date -u +%H:%M:%S)" "$(cut -d' ' -f1-3 /proc/loadavg)"
        } 2>&1 | tee "$target/tern-bench-$b.log"
    done
fi

cpu="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
machine="${cpu}, $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(uname -sr), $(rustc --version)"
cmd="TERN_BENCH_THREADS=${TERN_BENCH_THREADS} scripts/bench.sh${benches[*]:+ }${benches[*]}"
[ ${#benches[@]} -eq ${#ALL[@]} ] && cmd="TERN_BENCH_THREADS=${TERN_BENCH_THREADS} scripts/bench.sh"
notes="Report written at $(date -u '+%Y-%m-%d %H:%M') UTC (HEAD $(git rev-parse --short HEAD 2>/dev/null || echo '?')); the tree each bench measured is named in its line below (\`-dirty\`: with uncommitted changes)."
# When each bench ran and how loaded the machine was (figures from a loaded
# machine are slower and scale worse; the load average is printed beside them).
runs="$(for b in "${ALL[@]}"; do
    log="$target/tern-bench-$b.log"
    if [ -f "$log" ]; then grep -E '^=== ' "$log" | sed 's/^=== /    /'; fi
done)"
[ -n "$runs" ] && notes="${notes}

When each bench ran, with the 1/5/15-minute load averages of the machine (2 cores; a
load above 2 means other work competed for the cores, which slows every figure and
hides multi-thread scaling):

${runs}"
# The corpus each bench used, as it printed it.
for b in intern intern_pairs frontend; do
    log="$target/tern-bench-$b.log"
    [ -f "$log" ] || continue
    corpus="$(grep -E '^(corpus|crates:|symbols:|NOTE:)' "$log" | sort -u | sed 's/^/    /')"
    [ -n "$corpus" ] && notes="${notes}

Corpus of \`$b\`:

${corpus}"
done
mem_log="$target/tern-bench-intern_memory.log"
if [ -f "$mem_log" ]; then
    breakdown="$(grep -E '^tern at' "$mem_log" | sed 's/^/    /')"
    [ -n "$breakdown" ] && notes="${notes}

Where tern's interner memory goes (\`intern_memory\`, tern's own stats; arena capacity
includes the bump chunks' unused tail):

${breakdown}"
fi
previous=()
for p in ${TERN_BENCH_PREVIOUS:-}; do previous+=(--previous "$p"); done
python3 benches/report.py --criterion "$CRITERION_HOME" --memory "$TERN_BENCH_MEMORY_JSON" \
    --pairs "$TERN_BENCH_PAIRS_JSON" --ternc "$TERN_BENCH_TERNC_JSON" --cold "$TERN_BENCH_COLD_JSON" \
    "${previous[@]}" --machine "$machine" --command "$cmd" --notes "$notes" > benches/RESULTS.md.new
# Sections measured by their own harnesses (after the marker line) are kept as they are.
marker='<!-- Sections below come from their own harnesses'
if grep -q "^$marker" benches/RESULTS.md 2>/dev/null; then
    { echo; sed -n "/^$marker/,\$p" benches/RESULTS.md; } >> benches/RESULTS.md.new
fi
mv benches/RESULTS.md.new benches/RESULTS.md
echo "wrote benches/RESULTS.md"
