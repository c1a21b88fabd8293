#!/usr/bin/env python3
"""Turns criterion's estimates (and intern_memory's and intern_pairs' JSON) into
the markdown of benches/RESULTS.md: one table per bench group with each case's
figure and its ratio to the group's floor or named peer at the same thread
count, then the targets of issues 2-5 and 10 with PASS/MISS.

Used by scripts/bench.sh; run by hand with
  python3 benches/report.py --criterion <dir> [--memory <json>] [--pairs <json>]
                            [--machine ..] [--command ..]

Issue 10's interner targets come from intern_pairs (alternating pairs of tern
and its floor in one process): each is the median of the paired ratios, shown
with their min and max; they count only when measured on the reporting half of
the registry (a tuning-half run is printed, marked as not counting).

Figures are criterion's median per iteration divided by the elements (or
bytes) of one iteration, so:
  - Elements groups: ns per element (wall time; for N threads the aggregate
    element rate, i.e. wall time / all elements done by all threads);
  - Bytes groups: MB/s (10^6 bytes per second, aggregate).
"""

import argparse
import datetime as dt
import json
import statistics
import os
import sys
from collections import defaultdict

# Group -> (baseline function id, how the ratio column reads). The baseline is
# taken at the same thread count, falling back to its 1-thread figure.
BASELINES = {
    "reclaim_read": ("floor_plain_load", "× plain load"),
    "reclaim_quiescent": ("floor_plain_load", "× plain load"),
    "reclaim_retire": ("floor_box_new_drop", "× Box::new+drop"),
    "arena_obj16": ("floor_one_bump", "× one Bump, 1 thread"),
    "arena_obj32": ("floor_one_bump", "× one Bump, 1 thread"),
    "arena_obj64": ("floor_one_bump", "× one Bump, 1 thread"),
    "arena_slice": ("floor_one_bump", "× one Bump, 1 thread"),
    "intern_hot": ("floor_hashbrown_fx", "× hashbrown+Fx, 1 thread"),
    "intern_cold": ("floor_hashbrown_fx", "× hashbrown+Fx, 1 thread"),
    "intern_first_pass": ("floor_hashbrown_fx", "× hashbrown+Fx, 1 thread"),
    "intern_resolve": ("floor_vec_index", "× Vec index"),
    "intern_resolve_while_interning": ("intern_resolve/floor_vec_index", "× Vec index (quiet)"),
    "frontend": ("syn_parse_file", "× syn (speed)"),
}

GROUP_ORDER = list(BASELINES)


def load(criterion_dir):
    """{group: {function: {threads: record}}} from criterion's new/ files."""
    out = defaultdict(lambda: defaultdict(dict))
    for root, _dirs, files in os.walk(criterion_dir):
        if os.path.basename(root) != "new" or "estimates.json" not in files:
            continue
        with open(os.path.join(root, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(root, "estimates.json")) as f:
            est = json.load(f)
        group = bench["group_id"]
        func = bench.get("function_id") or ""
        param = bench.get("value_str") or "1"
        try:
            threads = int(param)
        except ValueError:
            continue
        thr = bench.get("throughput") or {}
        kind, amount = next(iter(thr.items()), ("Elements", 1))
        median = est["median"]["point_estimate"]
        lo = est["median"]["confidence_interval"]["lower_bound"]
        hi = est["median"]["confidence_interval"]["upper_bound"]
        out[group][func][threads] = {
            "ns_iter": median,
            "lo": lo,
            "hi": hi,
            "kind": kind,
            "amount": amount,
            "mtime": os.path.getmtime(os.path.join(root, "estimates.json")),
        }
    return out


def per_unit(rec):
    """ns per element, or MB/s for byte throughput."""
    if rec["kind"] == "Bytes":
        return rec["amount"] / rec["ns_iter"] * 1e3  # bytes/ns -> MB/s
    return rec["ns_iter"] / rec["amount"]


def rate(rec):
    """Units per second (for throughput ratios)."""
    return rec["amount"] / rec["ns_iter"]


def fmt_unit(rec):
    v = per_unit(rec)
    if rec["kind"] == "Bytes":
        return f"{v:.1f} MB/s"
    if v < 10:
        return f"{v:.3f} ns"
    if v < 1000:
        return f"{v:.1f} ns"
    return f"{v / 1000:.2f} µs"


def group_table(name, funcs, data):
    base_name, ratio_label = BASELINES.get(name, (None, "×"))
    base = funcs.get(base_name, {})
    if base_name and "/" in base_name:
        other, base_name = base_name.split("/", 1)
        base = data.get(other, {}).get(base_name, {})
    threads = sorted({t for f in funcs.values() for t in f})
    kind = next(iter(next(iter(funcs.values())).values()))["kind"]
    unit = "MB/s (aggregate)" if kind == "Bytes" else "ns per element (wall, aggregate)"
    when = max(r["mtime"] for f in funcs.values() for r in f.values())
    lines = [
        f"### `{name}` ({unit}; measured {dt.datetime.fromtimestamp(when, dt.timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
    ]
    head = "| case | " + " | ".join(f"{t} thr | {ratio_label}" for t in threads) + " |"
    lines += [head, "|---|" + "---|---|" * len(threads)]
    for func in sorted(funcs, key=lambda f: (f != base_name, not f.startswith("tern"), f)):
        cells = []
        for t in threads:
            rec = funcs[func].get(t)
            if rec is None:
                cells += ["–", "–"]
                continue
            b = base.get(t) or base.get(1)
            if b is None:
                ratio = "–"
            elif kind == "Bytes":
                ratio = f"{per_unit(rec) / per_unit(b):.2f}"
            else:
                ratio = f"{per_unit(rec) / per_unit(b):.2f}"
            cells += [fmt_unit(rec), ratio]
        label = f"**{func}**" if func.startswith("tern") else func
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def get(data, group, func, threads):
    return data.get(group, {}).get(func, {}).get(threads)


class Targets:
    def __init__(self, data, memory):
        self.data = data
        self.memory = memory
        self.rows = []

    def add(self, issue, what, value, op, limit, how):
        if value is None:
            self.rows.append((issue, what, "not measured", f"{op} {limit}", "n/a", how))
            return
        ok = value <= limit if op == "≤" else value >= limit
        self.rows.append((issue, what, f"{value:.2f}", f"{op} {limit}", "PASS" if ok else "MISS", how))

    def ratio(self, g, a, b, ta=1, tb=1, mode="time"):
        """time: per-unit time of a / b; rate: throughput of a / b."""
        ra, rb = get(self.data, g, a, ta), get(self.data, g, b, tb)
        if ra is None or rb is None:
            return None
        if mode == "rate":
            return rate(ra) / rate(rb)
        if ra["kind"] == "Bytes":
            return per_unit(rb) / per_unit(ra)  # time ratio from MB/s
        return per_unit(ra) / per_unit(rb)

    def value(self, g, a, t=1):
        r = get(self.data, g, a, t)
        return None if r is None else per_unit(r)

    def issue10(self):
        """Issue 10's rows that come from the criterion benches: the retire-all checkpoint
        against the keep-all floor, and the arena per allocation on the pool worker
        against one `Bump` on the same thread (the same rows as issue 3's, restated).
        Call it on a fresh `Targets` (rows accumulate)."""
        d = self.ratio
        for t in (1, 2):
            self.add(10, f"retire everything, free at checkpoint, ÷ keep all then drop, {t} thr",
                     d("reclaim_retire", "tern_retire_checkpoint", "floor_box_keep_all_then_drop", t, t),
                     "≤", 1.2, f"reclaim_retire tern_retire_checkpoint/{t} ÷ floor_box_keep_all_then_drop/{t}")
        for g in ("arena_obj16", "arena_obj32", "arena_obj64", "arena_slice"):
            self.add(10, f"{g}: per allocation, pool worker, ÷ one Bump on the same thread",
                     d(g, "tern_alloc", "floor_one_bump"), "≤", 1.1, f"{g} tern_alloc/1 ÷ floor_one_bump/1")
            self.add(10, f"{g}: aggregate throughput 2 thr ÷ 1", d(g, "tern_alloc", "tern_alloc", 2, 1, mode="rate"),
                     "≥", 1.8, f"{g} rate tern_alloc/2 ÷ tern_alloc/1")
        return self.rows

    def build(self):
        d = self.ratio
        # Issue 2: tern-quiesce.
        for t in (1, 2):
            self.add(2, f"protected read, {t} thr", d("reclaim_read", "tern_protect", "floor_plain_load", t, t), "≤", 1.1,
                     f"reclaim_read tern_protect/{t} ÷ floor_plain_load/{t}")
        self.add(2, "quiescent state, nothing pending (ns), 1 thr", self.value("reclaim_quiescent", "tern_quiescent_idle"), "≤", 2.0,
                 "reclaim_quiescent tern_quiescent_idle/1")
        for t in (1, 2):
            self.add(2, f"quiescent state, nothing pending, {t} thr", d("reclaim_quiescent", "tern_quiescent_idle", "floor_plain_load", t, t), "≤", 3.0,
                     f"reclaim_quiescent tern_quiescent_idle/{t} ÷ floor_plain_load/{t}")
        for variant in ("tern_retire_quiescent_per_1024", "tern_retire_checkpoint", "tern_retire_synchronize"):
            for t in (1, 2):
                self.add(2, f"retire+reclaim vs Box::new+drop, {variant}, {t} thr",
                         d("reclaim_retire", variant, "floor_box_new_drop", t, t), "≤", 1.5,
                         f"reclaim_retire {variant}/{t} ÷ floor_box_new_drop/{t}")
                self.add(2, f"retire+reclaim vs crossbeam-epoch, {variant}, {t} thr",
                         d("reclaim_retire", variant, "crossbeam_pin_each", t, t), "≤", 0.5,
                         f"reclaim_retire {variant}/{t} ÷ crossbeam_pin_each/{t}")
        # Issue 3: tern-arena.
        for g in ("arena_obj16", "arena_obj32", "arena_obj64", "arena_slice"):
            self.add(3, f"{g}: per allocation vs one Bump, driver thread", d(g, "tern_driver", "floor_one_bump"), "≤", 1.1,
                     f"{g} tern_driver/1 ÷ floor_one_bump/1")
            self.add(3, f"{g}: per allocation vs one Bump, pool worker", d(g, "tern_alloc", "floor_one_bump"), "≤", 1.1,
                     f"{g} tern_alloc/1 ÷ floor_one_bump/1")
            self.add(3, f"{g}: aggregate throughput 2 thr vs 1", d(g, "tern_alloc", "tern_alloc", 2, 1, mode="rate"), "≥", 1.8,
                     f"{g} rate tern_alloc/2 ÷ tern_alloc/1")
        # Issue 4: tern-intern.
        self.add(4, "hit, 1 thr, vs hashbrown+Fx floor", d("intern_hot", "tern", "floor_hashbrown_fx"), "≤", 0.9,
                 "intern_hot tern/1 ÷ floor_hashbrown_fx/1")
        self.add(4, "hit, 2 thr aggregate vs tern 1 thr", d("intern_hot", "tern", "tern", 2, 1), "≤", 0.55,
                 "intern_hot tern/2 ÷ tern/1 (time per symbol)")
        self.add(4, "hit, 2 thr aggregate vs papaya one guard (2 thr)", d("intern_hot", "tern", "papaya_fx_guard_per_pass", 2, 2), "≤", 0.7,
                 "intern_hot tern/2 ÷ papaya_fx_guard_per_pass/2")
        self.add(4, "miss, 1 thr, vs hashbrown+Fx floor", d("intern_cold", "tern", "floor_hashbrown_fx"), "≤", 0.8,
                 "intern_cold tern/1 ÷ floor_hashbrown_fx/1")
        self.add(4, "resolve while another thread interns (ns)", self.value("intern_resolve_while_interning", "tern"), "≤", 1.0,
                 "intern_resolve_while_interning tern/1")
        mem = None
        if self.memory:
            rows = [r for r in self.memory if r["interner"] == "tern"]
            if rows:
                mem = min(rows, key=lambda r: abs(r["symbols"] - 119_684))["live_per_symbol"]
        self.add(4, "bytes per symbol incl. strings at ~120 k symbols", mem, "≤", 36,
                 "intern_memory tern live bytes / symbols, after checkpoint")
        # Issue 5: ternc.
        self.add(5, "full parse vs syn, 1 thr (speed ratio)", d("frontend", "ternc_parse", "syn_parse_file", mode="rate"), "≥", 5.0,
                 "frontend ternc_parse/1 MB/s ÷ syn_parse_file/1 MB/s")
        self.add(5, "full parse MB/s, 1 thr", self.value("frontend", "ternc_parse"), "≥", 100,
                 "frontend ternc_parse/1")
        self.add(5, "lex + intern MB/s, 1 thr", self.value("frontend", "ternc_lex_intern"), "≥", 250,
                 "frontend ternc_lex_intern/1")
        for case in ("ternc_pipeline", "ternc_parse"):
            self.add(5, f"{case}: throughput 2 thr vs 1", d("frontend", case, case, 2, 1, mode="rate"), "≥", 1.85,
                     f"frontend rate {case}/2 ÷ {case}/1")
        return self.rows


# Issue 10's interner targets: (intern_pairs target name, what, limit, how).
PAIR_TARGETS = [
    ("hit_1t", "intern hit, 1 thr, ÷ hashbrown+Fx", 0.8,
     "intern_pairs hit_1t: tern ÷ hashbrown get, same words"),
    ("hit_2t", "intern hit, 2 thr aggregate, ÷ immutable hashbrown read by 2 thr", 0.9,
     "intern_pairs hit_2t: wall time of a 2-thread pass, tern ÷ hashbrown"),
    ("hit_2t_papaya", "intern hit, 2 thr aggregate, ÷ papaya one guard per pass", 0.8,
     "intern_pairs hit_2t_papaya"),
    ("miss_1t", "intern miss (distinct inserts), 1 thr, ÷ hashbrown+Fx", 0.8,
     "intern_pairs miss_1t: fresh tables, tern incl. its pass-end checkpoint"),
    ("resolve_bg", "resolve while another thread interns, ÷ Vec<&str> index", 1.5,
     "intern_pairs resolve_bg: both loops beside the same background interning"),
]


def pair_targets(pairs):
    """Issue 10 rows: (what, measured, limit, result, how) from intern_pairs' JSON."""
    counts = pairs.get("half") == "reporting"
    verdict = (lambda ok: "PASS" if ok else "MISS") if counts else (
        lambda ok: f"{'pass' if ok else 'miss'} on the tuning half: does not count")
    by_name = {t["name"]: t for t in pairs.get("targets", [])}
    rows = []
    for name, what, limit, how in PAIR_TARGETS:
        t = by_name.get(name)
        if t is None:
            rows.append((what, "not measured", f"≤ {limit}", "n/a", how))
            continue
        val = f"{t['median']:.2f} (min {t['min']:.2f}, max {t['max']:.2f}; {len(t['ratios'])} pairs)"
        rows.append((what, val, f"≤ {limit}", verdict(t["median"] <= limit), how))
        if name == "resolve_bg":
            ns = dict(t["abs"]).get("tern")
            if ns is not None:
                rows.append(("resolve while another thread interns (ns)", f"{ns:.2f}", "≤ 1.0",
                             verdict(ns <= 1.0), "intern_pairs resolve_bg: tern's median ns"))
    mem = pairs.get("memory")
    if mem and mem.get("points"):
        pts = mem["points"]
        avg = sum(p[1] for p in pts) / len(pts)
        lo, hi = min(p[1] for p in pts), max(p[1] for p in pts)
        si = sum(p[2] for p in pts) / len(pts)
        rows.append((
            f"memory per symbol incl. strings, {pts[0][0]}-{pts[-1][0]} symbols",
            f"{avg:.1f} B (min {lo:.1f}, max {hi:.1f}; {len(pts)} points; string-interner {si:.1f})",
            "≤ 32", verdict(avg <= 32),
            "intern_pairs memory: heap_bytes / len after checkpoint, 8 points per doubling"))
    return rows


def ternc_targets(t):
    """Issue 10 rows from scripts/ternc_targets.py: AST memory and 1-thread parse speed,
    judged on the reporting half (the tuning half's figure beside it)."""
    rows = []
    rep, tun = t["reporting"], t["tuning"]
    rows.append((
        "ternc AST bytes per source byte, reporting half",
        f"{rep['ratio']:.2f} (tuning half {tun['ratio']:.2f}, both {t['both']['ratio']:.2f})",
        "≤ 3", "PASS" if rep["ratio"] <= 3 else "MISS",
        "scripts/ternc_targets.py: AST arenas' used bytes ÷ source bytes"))
    if rep.get("parse_mb_s"):
        v, vt = rep["parse_mb_s"], tun.get("parse_mb_s") or [0]
        med = statistics.median(v)
        rows.append((
            "ternc parse MB/s, 1 thr, reporting half",
            f"{med:.1f} (min {min(v):.1f}, max {max(v):.1f}; {len(v)} runs; tuning half "
            f"{statistics.median(vt):.1f})",
            "≥ 200", "PASS" if med >= 200 else "MISS",
            "scripts/ternc_targets.py: the parse pass of `ternc --threads 1 --json`"))
    return rows


def pairs_section(pairs):
    """Issue 10's section: the split, each target, every pair, the memory points."""
    half = pairs.get("half", "?")
    out = [
        "## Issue 10: interner",
        "",
        f"Alternating pairs on the **{half}** half of the registry crates (FNV-1a of the crate",
        "name without version: odd hashes are the reporting half, even the tuning half; code",
        "was tuned on the tuning half only). Each pair interleaves runs of tern and its floor",
        "in one process and keeps each side's fastest; a target is the median of the pairs'",
        "ratios (tern ÷ floor, lower is better), shown with their min and max.",
        "",
        "| target | measured | limit | result | how |",
        "|---|---|---|---|---|",
    ]
    for what, val, lim, res, how in pair_targets(pairs):
        out.append(f"| {what} | {val} | {lim} | **{res}** | {how} |")
    out += ["", "| pairs | ratios (wall time) | ratios (thread CPU time) | ns per op, medians |", "|---|---|---|---|"]
    for t in pairs.get("targets", []):
        ratios = ", ".join(f"{r:.3f}" for r in t["ratios"])
        cpu = f"median {t.get('cpu_median', float('nan')):.3f} (min {t.get('cpu_min', float('nan')):.3f}, max {t.get('cpu_max', float('nan')):.3f})"
        ns = ", ".join(f"{l} {v:.2f}" for l, v in t["abs"])
        out.append(f"| {t['name']} | {ratios} | {cpu} | {ns} |")
    mem = pairs.get("memory")
    if mem and mem.get("parts"):
        table, ids, strings, cap, used = mem["parts"]
        out += ["", "Where tern's bytes go, averaged over the memory points (B/symbol): "
                f"table {table:.1f}, id table {ids:.1f}, string bytes {strings:.1f}, arena capacity "
                f"{cap:.1f} of which handed out {used:.1f} (bump-chunk slack {cap - used:.1f})."]
    if mem and mem.get("points"):
        out += ["", f"Memory per symbol (tern `heap_bytes() / len()` after `checkpoint`; string-interner by",
                f"the counting allocator; average string {mem['avg_string']:.1f} B):", "",
                "| symbols | tern B/symbol | string-interner B/symbol |", "|---|---|---|"]
        for n, b, si in mem["points"]:
            out.append(f"| {n} | {b:.1f} | {si:.1f} |")
    out.append("")
    return out


def memory_tables(memory):
    lines = []
    by_n = defaultdict(list)
    for r in memory:
        by_n[r["symbols"]].append(r)
    for n in sorted(by_n):
        lines += [
            f"### `intern_memory` at {n} distinct symbols (live heap bytes / symbol)",
            "",
            "| interner | owns strings | live B/sym | incl. strings | peak B/sym |",
            "|---|---|---|---|---|",
        ]
        for r in by_n[n]:
            name = f"**{r['interner']}**" if r["interner"] == "tern" else r["interner"]
            lines.append(
                f"| {name} | {'yes' if r['owns_strings'] else 'no (borrows)'} | {r['live_per_symbol']:.1f} | "
                f"{r['incl_strings_per_symbol']:.1f} | {r['peak_per_symbol']:.1f} |"
            )
        lines.append("")
    return lines


def previous_runs(rows, previous):
    """A table of this run's target figures beside those of earlier RESULTS.md files."""
    earlier = []
    for spec in previous:
        label, _, path = spec.partition("=")
        figures = {}
        with open(path) as f:
            for line in f:
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if len(cells) == 6 and cells[0].isdigit():
                    figures[cells[1]] = f"{cells[2]} {cells[4].strip('*')}"
        earlier.append((label, figures))
    out = [
        "",
        "### The same targets in earlier runs of this session (run-to-run spread)",
        "",
        "| target | this run | " + " | ".join(label for label, _ in earlier) + " |",
        "|---|---|" + "---|" * len(earlier),
    ]
    for _issue, what, val, _lim, res, _how in rows:
        out.append(f"| {what} | {val} {res} | " + " | ".join(f.get(what, "–") for _, f in earlier) + " |")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--criterion", required=True)
    ap.add_argument("--memory")
    ap.add_argument("--pairs", help="intern_pairs' JSON (TERN_BENCH_PAIRS_JSON)")
    ap.add_argument("--ternc", help="scripts/ternc_targets.py's JSON (TERN_BENCH_TERNC_JSON)")
    ap.add_argument("--cold", help="scripts/coldstart.py's JSON (TERN_BENCH_COLD_JSON)")
    ap.add_argument("--machine", default="")
    ap.add_argument("--command", default="")
    ap.add_argument("--notes", default="")
    ap.add_argument("--previous", action="append", default=[],
                    help="LABEL=RESULTS.md of an earlier run: its target figures are shown beside this run's")
    args = ap.parse_args()

    data = load(args.criterion)
    memory = None
    if args.memory and os.path.exists(args.memory):
        with open(args.memory) as f:
            memory = json.load(f)
    ternc = None
    if args.ternc and os.path.exists(args.ternc):
        with open(args.ternc) as f:
            ternc = json.load(f)
    cold = None
    if args.cold and os.path.exists(args.cold):
        with open(args.cold) as f:
            cold = json.load(f)
    pairs = None
    if args.pairs and os.path.exists(args.pairs):
        with open(args.pairs) as f:
            pairs = json.load(f)

    out = ["# tern benches: measured results", ""]
    if args.machine:
        out += [f"Machine: {args.machine}", ""]
    if args.command:
        out += ["Reproduce with:", "", "```sh", args.command, "```", ""]
    if args.notes:
        out += [args.notes, ""]
    out += [
        "Figures are criterion medians (sample size 10). `ns per element` is wall time per",
        "operation; at N threads it is wall time divided by all operations of all threads",
        "(aggregate), so perfect scaling halves it at 2 threads. Ratios compare with the",
        "group's floor or peer at the same thread count. Each target below is a ratio",
        "measured in the same run; PASS/MISS are computed by `benches/report.py`.",
        "",
        "## Targets",
        "",
        "| issue | target | measured | limit | result | how |",
        "|---|---|---|---|---|---|",
    ]
    for issue, what, val, lim, res, how in Targets(data, memory).build():
        out.append(f"| {issue} | {what} | {val} | {lim} | **{res}** | {how} |")
    if pairs:
        for what, val, lim, res, how in pair_targets(pairs):
            out.append(f"| 10 | {what} | {val} | {lim} | **{res}** | {how} |")
    if ternc:
        for what, val, lim, res, how in ternc_targets(ternc):
            out.append(f"| 10 | {what} | {val} | {lim} | **{res}** | {how} |")
    if cold:
        r = cold["ratios"]
        med = statistics.median(r)
        out.append(
            f"| 10 | ternc cold start ÷ warm, {cold['corpus']} corpus, {cold['threads']} thr | "
            f"{med:.2f} (min {min(r):.2f}, max {max(r):.2f}; {len(r)} pairs) | ≤ 3 | "
            f"**{'PASS' if med <= 3 else 'MISS'}** | scripts/coldstart.py: page cache evicted per "
            f"file (posix_fadvise), then the same run warm |")
    for _, what, val, lim, res, how in Targets(data, memory).issue10():
        out.append(f"| 10 | {what} | {val} | {lim} | **{res}** | {how} |")
    if args.previous:
        out += previous_runs(Targets(data, memory).build(), args.previous)
    out += ["", "## Tables", ""]
    for g in GROUP_ORDER + sorted(set(data) - set(GROUP_ORDER)):
        if g in data:
            out += group_table(g, data[g], data)
    if memory:
        out += memory_tables(memory)
    if pairs:
        out += ["", *pairs_section(pairs)]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
