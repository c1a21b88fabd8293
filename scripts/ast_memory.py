#!/usr/bin/env python3
"""AST memory of `ternc` (issue 10): AST arena bytes per source byte, per registry half.

usage: scripts/ast_memory.py [--ternc PATH] [--threads N] [--json OUT]

Runs `ternc --json` on each half of the registry crates (split as in `scripts/coldstart.py`:
FNV-1a 64 of the crate name without its version, even = tuning, odd = reporting) and on
both together, and prints for each: files, source bytes, AST bytes (the `used` bytes of the
AST arenas, summed over the workers: every node and slice the parser allocated) and their
ratio. The target (at most 3 AST bytes per source byte) is judged on the reporting half.

The figure is deterministic: the same files give the same AST whatever the thread count
or schedule (each file's nodes go to one worker's arena, and the arenas' used bytes count
what was allocated, not the chunks' spare capacity).
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import coldstart  # noqa: E402  (the same registry walk and halves)

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 3.0


def measure(ternc: str, threads: int, paths: list) -> dict:
    out = subprocess.run(
        [ternc, "--threads", str(threads), "--json", *map(str, paths)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    d = json.loads(out)
    ast = sum(a["used"] for a in d["ast_arenas"])
    return {"files": d["files"], "bytes": d["bytes"], "ast_bytes": ast, "ratio": ast / d["bytes"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ternc", default=str(ROOT / "target" / "release" / "ternc"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    if not Path(args.ternc).exists():
        sys.exit(f"ast_memory: no ternc at {args.ternc} (cargo build --release -p tern-compiler)")
    crates = coldstart.registry_crates()
    if not crates:
        sys.exit(f"ast_memory: no crates under {coldstart.registry_src()} (run any cargo build first)")
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
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
