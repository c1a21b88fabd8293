#!/usr/bin/env python3
"""Cold-start pairs for `ternc` (issue 10, row B): cold and warm runs of the same binary.

usage: scripts/coldstart.py [--pairs N] [--corpus default|tuning|reporting]
                            [--ternc PATH] [--threads N] [--no-eviction-check] [--json OUT]

Each pair evicts every corpus file from the page cache (`posix_fadvise(POSIX_FADV_DONTNEED)`
per file: no root needed, nothing else on the machine is dropped), runs `ternc` (cold), then
runs it again (warm), and prints the pair's cold/warm ratio of the process wall time and the
load pass's wall time and MB/s (from `--json`). At the end: min / median / max of the ratios.

Corpora:
- `default`: `ternc` with no path (this workspace + every crate of the cargo registry cache);
- `tuning` / `reporting`: the registry crates split in two halves by a hash of the crate name
  (FNV-1a 64 of the name without its version: even = tuning, odd = reporting), passed as
  paths. Tune on `tuning`; figures that only hold there do not count.

Eviction is checked with `fincore` (util-linux) when it is installed: the resident bytes of
the corpus files before and after the first eviction are printed. Directory entries and
inodes stay cached (only root could drop them, for the whole machine): "cold" here means
the file contents are read from the disk.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION_RE = re.compile(r"^(.+?)-(\d+\.\d+\.\d+.*)$")


def fnv1a64(data: bytes) -> int:
    """FNV-1a, 64 bits."""
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def crate_name(dir_name: str) -> str:
    """`serde_json-1.0.140` -> `serde_json` (the directory name when it has no version)."""
    m = VERSION_RE.match(dir_name)
    return m.group(1) if m else dir_name


def half(dir_name: str) -> str:
    """`tuning` (even hash of the crate name) or `reporting` (odd)."""
    return "tuning" if fnv1a64(crate_name(dir_name).encode()) % 2 == 0 else "reporting"


def registry_src() -> Path:
    home = os.environ.get("CARGO_HOME") or os.path.join(os.environ["HOME"], ".cargo")
    return Path(home) / "registry" / "src"


def registry_crates() -> list:
    """Every crate directory of the registry cache, sorted."""
    src = registry_src()
    if not src.is_dir():
        return []
    return sorted(c for index in src.iterdir() if index.is_dir() for c in index.iterdir() if c.is_dir())


def rs_files(root: Path) -> list:
    """The `.rs` files under `root`, skipping hidden directories and `target` (a superset of
    what `ternc` reads there: evicting more changes nothing)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "target"]
        out.extend(os.path.join(dirpath, f) for f in filenames if f.endswith(".rs"))
    return out


def evict(files: list) -> None:
    for f in files:
        try:
            fd = os.open(f, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def resident_bytes(files: list):
    """Bytes of `files` in the page cache (via `fincore`), or None without it."""
    total = 0
    for i in range(0, len(files), 500):
        try:
            out = subprocess.run(
                ["fincore", "--bytes", "--noheadings", "--output", "RES", *files[i : i + 500]],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
        except FileNotFoundError:
            return None
        total += sum(int(x) for x in out.split())
    return total


def run_ternc(ternc: str, threads: int, paths: list) -> dict:
    cmd = [ternc, "--no-progress", "--threads", str(threads), "--json", *paths]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"ternc failed ({p.returncode}): {p.stderr[-2000:]}")
    report = json.loads(p.stdout)
    load = next(x for x in report["passes"] if x["name"] == "load")
    return {
        "wall": wall,
        "total_ms": report["total_ms"],
        "load_ms": load["wall_ms"],
        "load_mb_s": load["mb_per_s"],
        "files": report["files"],
        "bytes": report["bytes"],
    }


def main() -> None:
    args = sys.argv[1:]
    opts = {"--pairs": "5", "--corpus": "default", "--ternc": str(ROOT / "target/release/ternc"), "--threads": "2",
            "--json": ""}
    check = True
    while args:
        a = args.pop(0)
        if a == "--no-eviction-check":
            check = False
        elif a in opts and args:
            opts[a] = args.pop(0)
        else:
            sys.exit(__doc__)
    corpus = opts["--corpus"]
    crates = registry_crates()
    if corpus == "default":
        paths = []
        files = rs_files(ROOT) + [f for c in crates for f in rs_files(c)]
    elif corpus in ("tuning", "reporting"):
        chosen = [c for c in crates if half(c.name) == corpus]
        paths = [str(c) for c in chosen]
        files = [f for c in chosen for f in rs_files(c)]
        names = sorted({crate_name(c.name) for c in chosen})
        print(f"{corpus} half: {len(chosen)} crate dirs ({len(names)} names): {', '.join(names[:6])} ...")
    else:
        sys.exit("--corpus default|tuning|reporting")
    ternc, threads, pairs = opts["--ternc"], int(opts["--threads"]), int(opts["--pairs"])
    print(f"ternc {ternc}, {threads} threads, corpus {corpus}: {len(files)} .rs files evicted per pair")
    if check:
        before = resident_bytes(files)
        evict(files)
        after = resident_bytes(files)
        if before is not None:
            print(f"eviction check (fincore): {before / 1e6:.1f} MB resident before, {after / 1e6:.1f} MB after")
    ratios, load_ratios = [], []
    print("pair   cold s   warm s  cold/warm   cold load s  MB/s   warm load s  MB/s")
    for i in range(pairs):
        evict(files)
        cold = run_ternc(ternc, threads, paths)
        warm = run_ternc(ternc, threads, paths)
        r = cold["wall"] / warm["wall"]
        ratios.append(r)
        load_ratios.append(cold["load_ms"] / warm["load_ms"])
        print(
            f"{i:>4}  {cold['wall']:7.2f}  {warm['wall']:7.2f}  {r:9.2f}   "
            f"{cold['load_ms'] / 1e3:11.2f}  {cold['load_mb_s']:5.0f}   "
            f"{warm['load_ms'] / 1e3:11.2f}  {warm['load_mb_s']:5.0f}"
        )
    print(f"corpus: {cold['files']} files, {cold['bytes'] / 1e6:.1f} MB")
    print(
        f"cold/warm wall: min {min(ratios):.2f}  median {statistics.median(ratios):.2f}  max {max(ratios):.2f}"
    )
    print(
        f"cold/warm load pass: min {min(load_ratios):.2f}  median {statistics.median(load_ratios):.2f}"
        f"  max {max(load_ratios):.2f}"
    )
    if opts["--json"]:
        Path(opts["--json"]).write_text(json.dumps({
            "corpus": corpus, "threads": threads, "files": cold["files"], "bytes": cold["bytes"],
            "ratios": ratios, "load_ratios": load_ratios,
        }, indent=1) + "\n")


if __name__ == "__main__":
    main()
