#!/usr/bin/env python3
"""`ternc`'s own targets of issue 10, per registry half: AST memory and parse speed.

usage: scripts/ternc_targets.py [--ternc PATH] [--threads N] [--parse-runs N] [--json OUT]

Both figures come from `ternc --json` on each half of the registry crates (split as in
`scripts/coldstart.py`: FNV-1a 64 of the crate name without its version, even = tuning,
odd = reporting) and on both together. Targets are judged on the reporting half.

- AST memory: the `used` bytes of the AST arenas, summed over the workers (every node and
  slice the parser allocated), per source byte; at most 3.
- Parse speed: the `parse` pass's MB/s with `--threads 1` (lexing, interning and parsing
  every file on one core), the median of `--parse-runs` runs (default 5) alternating between
  the halves; at least 200 MB/s.

The AST figure is deterministic up to a few bytes: each file's nodes go to one worker's arena
and the arenas' used bytes count what was allocated, not the chunks' spare capacity, but the
alignment padding between two files depends on which worker parsed which file (runs on a
112 MB corpus differ by under 30 bytes).
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import coldstart  # noqa: E402  (the same registry walk and halves)

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 3.0
PARSE_LIMIT = 200.0


def run(ternc: str, threads: int, paths: list) -> dict:
    out = subprocess.run(
        [ternc, "--threads", str(threads), "--json", *map(str, paths)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def parse_mb_s(d: dict) -> float:
    return next(p["mb_per_s"] for p in d["passes"] if p["name"] == "parse")


def measure(ternc: str, threads: int, paths: list) -> dict:
    d = run(ternc, threads, paths)
    ast = sum(a["used"] for a in d["ast_arenas"])
    return {"files": d["files"], "bytes": d["bytes"], "ast_bytes": ast, "ratio": ast / d["bytes"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ternc", default=str(ROOT / "target" / "release" / "ternc"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parse-runs", type=int, default=5)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    if not Path(args.ternc).exists():
        sys.exit(f"ternc_targets: no ternc at {args.ternc} (cargo build --release -p tern-compiler)")
    crates = coldstart.registry_crates()
    if not crates:
        sys.exit(f"ternc_targets: no crates under {coldstart.registry_src()} (run any cargo build first)")
    halves = {
        "tuning": [c for c in crates if coldstart.half(c.name) == "tuning"],
        "reporting": [c for c in crates if coldstart.half(c.name) == "reporting"],
        "both": crates,
    }
    results = {}
    for name, paths in halves.items():
        r = measure(args.ternc, args.threads, paths)
        r["crates"] = len(paths)
        results[name] = r
        print(
            f"ast: {name:9} {len(paths):4} crate dirs, {r['files']:5} files, "
            f"{r['bytes'] / 1e6:7.1f} MB source, {r['ast_bytes'] / 1e6:7.1f} MB AST, "
            f"{r['ratio']:.2f} B/B"
        )
    rep = results["reporting"]["ratio"]
    verdict = "PASS" if rep <= LIMIT else "MISS"
    print(f"ast: reporting half {rep:.2f} AST bytes per source byte (limit {LIMIT}): {verdict}")
    speeds = {"tuning": [], "reporting": []}
    for _ in range(args.parse_runs):
        for name in speeds:
            speeds[name].append(parse_mb_s(run(args.ternc, 1, halves[name])))
    for name, v in speeds.items():
        results[name]["parse_mb_s"] = v
        print(
            f"parse: {name:9} 1 thread, {len(v)} runs: median {statistics.median(v):.1f} MB/s "
            f"(min {min(v):.1f}, max {max(v):.1f})"
        )
    med = statistics.median(speeds["reporting"])
    verdict = "PASS" if med >= PARSE_LIMIT else "MISS"
    print(f"parse: reporting half {med:.1f} MB/s on 1 thread (limit {PARSE_LIMIT:.0f}): {verdict}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
