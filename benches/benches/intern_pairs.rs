//! The interner targets of issue 10 as alternating pairs: each target is a ratio of tern to
//! its floor or peer, both measured in this one process, alternating (floor first in even
//! pairs, tern first in odd ones), and reported as the min / median / max of the paired
//! ratios. On a shared machine whose speed drifts by tens of percent between seconds, a ratio
//! of two figures taken a second apart is what stays meaningful.
//!
//! Corpus: one half of the registry crates, split by FNV-1a of the crate name without version
//! (`tern_benches::corpus::Half`): `TERN_HALF=tuning` (even hashes: the half the code may be
//! tuned on) or `TERN_HALF=reporting` (odd hashes, the default: the half figures are reported
//! from).
//!
//! Targets (time ratios, tern ÷ floor, lower is better):
//! - `hit_1t`: intern every symbol occurrence of the half into a table that already holds
//!   every distinct symbol, 1 thread, vs hashbrown `HashMap<&str, u32>` + `FxHash` (`get`);
//! - `hit_2t`: the same on 2 threads (each one contiguous half of the stream), wall time, vs
//!   the same immutable hashbrown map read by 2 threads, and vs papaya with one guard per
//!   pass (`hit_2t_papaya`);
//! - `miss_1t`: every distinct symbol once into a fresh table (`Interner::new()`, then the
//!   pass-boundary `checkpoint`, timed), vs a fresh hashbrown map (`get`, then `insert`);
//! - `resolve_bg`: resolve the symbol of every occurrence while another thread interns new
//!   strings into the same interner, vs indexing a `Vec<&str>` while another thread interns
//!   the same new strings into an interner of its own (so both loops share the core with the
//!   same sibling work); the quiet `Vec` figure is printed beside it;
//! - memory: `heap_bytes() / len()` at 8 points per doubling from 20 k symbols to 400 k (or
//!   every distinct symbol of the half, if fewer), after the pass-boundary `checkpoint`,
//!   averaged; string-interner at the same points (counting allocator) for comparison.
//!
//! A pair is `TERN_PAIR_REPS` (default 3) rounds of one floor run and one tern run,
//! interleaved; each side keeps its fastest run, so a pair is not decided by one preemption
//! and both of its sides are sampled in the same stretch of time. `TERN_PAIRS` pairs (default 7). `TERN_BENCH_PAIRS_JSON=path`
//! writes the results for `benches/report.py`; `TERN_PAIRS_ONLY=hit_1t,miss_1t` runs a subset.
//!
//! `TERN_PAIRS_ONLY=ablation_2t` prints where the time of a 2-thread hit goes (shared vs
//! per-thread tables, the hit counter, one thread doing both halves, papaya), each case
//! against the shared hashbrown map of the same round.
//!
//! `TERN_PAIRS_PROFILE=hit_tern` (or `hit_floor`, `hit_papaya`, `miss_tern`, `miss_floor`,
//! `resolve_tern`)
//! runs one side once inside `profiled`, for callgrind's `--toggle-collect='*profiled*'`.
//!
//! `cargo bench -p tern-benches --bench intern_pairs`

#[path = "common/interners.rs"]
#[allow(
    dead_code,
    reason = "shared with the other interner benches, which use more of it"
)]
mod interners;

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use interners::{LocalInterner, PapayaGuardPerPass, SharedInterner, StringInterner, Tern};
use rustc_hash::FxBuildHasher;
use tern_benches::corpus::{Corpus, Half, SymbolStream};
use tern_benches::harness::{chunks, run_gated};
use tern_tests::alloc::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::new();

type Floor = hashbrown::HashMap<&'static str, u32, FxBuildHasher>;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One measured run: wall time, and the CPU time of the measuring thread(s) (the larger of
/// the two for 2-thread runs), which leaves out the time other processes held the core.
#[derive(Clone, Copy, Debug)]
struct Sample {
    wall: Duration,
    cpu: Duration,
}

impl Sample {
    const WORST: Sample = Sample {
        wall: Duration::MAX,
        cpu: Duration::MAX,
    };

    fn min(self, o: Sample) -> Sample {
        Sample {
            wall: self.wall.min(o.wall),
            cpu: self.cpu.min(o.cpu),
        }
    }
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is supported on
    // every Linux the benches run on (a failure leaves `ts` at zero, which only skews the
    // secondary CPU-time figures).
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut ts) };
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

/// min, median, max.
fn summary(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    (s[0], s[s.len() / 2], s[s.len() - 1])
}

struct Target {
    name: &'static str,
    what: String,
    limit: f64,
    /// Wall-time ratios, one per pair (the figure the target is judged on).
    ratios: Vec<f64>,
    /// The same pairs' CPU-time ratios (a cross-check that leaves out preemption).
    cpu_ratios: Vec<f64>,
    /// Absolute figures in ns per operation: (label, median over the pairs).
    abs: Vec<(String, f64)>,
}

impl Target {
    fn line(&self) -> String {
        let (lo, med, hi) = summary(&self.ratios);
        let (clo, cmed, chi) = summary(&self.cpu_ratios);
        let abs: Vec<String> = self
            .abs
            .iter()
            .map(|(l, v)| format!("{l} {v:.2} ns"))
            .collect();
        format!(
            "{:<14} median {med:.3} (min {lo:.3}, max {hi:.3}, {} pairs) limit {:.2} {}  [cpu time: median {cmed:.3}, min {clo:.3}, max {chi:.3}]  [{}]  {}",
            self.name,
            self.ratios.len(),
            self.limit,
            if med <= self.limit { "PASS" } else { "MISS" },
            abs.join(", "),
            self.what
        )
    }
}

/// Runs `pairs` pairs of (`floor`, `tern`) and returns the ratios tern ÷ floor with the
/// medians of both figures in ns per operation (`ops` operations per run). A pair is `reps`
/// rounds of one floor run and one tern run, interleaved (floor first in even pairs, tern
/// first in odd ones), each side keeping its fastest run: both sides of a ratio are sampled
/// in the same stretch of time, so a burst of other work on the machine hits both or neither.
fn pairs(
    pairs: usize,
    reps: usize,
    ops: usize,
    mut floor: impl FnMut() -> Sample,
    mut tern: impl FnMut() -> Sample,
) -> Paired {
    let mut out = Paired::default();
    let (mut fs, mut ts) = (Vec::new(), Vec::new());
    for p in 0..pairs {
        let (mut f, mut t) = (Sample::WORST, Sample::WORST);
        for _ in 0..reps.max(1) {
            if p % 2 == 0 {
                f = f.min(floor());
                t = t.min(tern());
            } else {
                t = t.min(tern());
                f = f.min(floor());
            }
        }
        out.ratios.push(t.wall.as_secs_f64() / f.wall.as_secs_f64());
        out.cpu_ratios
            .push(t.cpu.as_secs_f64() / f.cpu.as_secs_f64());
        fs.push(f.wall.as_secs_f64() * 1e9 / ops as f64);
        ts.push(t.wall.as_secs_f64() * 1e9 / ops as f64);
    }
    out.floor_ns = summary(&fs).1;
    out.tern_ns = summary(&ts).1;
    out
}

/// What [`pairs`] measured.
#[derive(Default)]
struct Paired {
    ratios: Vec<f64>,
    cpu_ratios: Vec<f64>,
    /// Median wall time per operation of each side.
    floor_ns: f64,
    tern_ns: f64,
}

fn prefilled_floor(distinct: &[&'static str]) -> Floor {
    let mut m = Floor::with_hasher(FxBuildHasher);
    for (k, s) in distinct.iter().enumerate() {
        m.insert(s, k as u32);
    }
    m
}

fn prefilled_tern(distinct: &[&'static str]) -> Tern {
    let t = Tern::new();
    t.pass(distinct);
    t
}

fn floor_hits(m: &Floor, tokens: &[&'static str]) -> u64 {
    tokens
        .iter()
        .map(|s| u64::from(m.get(s).copied().unwrap_or(0)))
        .sum()
}

fn timed(f: impl FnOnce() -> u64) -> Sample {
    let (c0, t0) = (thread_cpu(), Instant::now());
    black_box(f());
    let wall = t0.elapsed();
    Sample {
        wall,
        cpu: thread_cpu().saturating_sub(c0),
    }
}

fn hit_1t(s: &SymbolStream, n: usize, reps: usize) -> Target {
    let floor = prefilled_floor(&s.distinct);
    let tern = prefilled_tern(&s.distinct);
    let p = pairs(
        n,
        reps,
        s.tokens.len(),
        || timed(|| floor_hits(&floor, &s.tokens)),
        || timed(|| tern.pass(&s.tokens)),
    );
    Target {
        name: "hit_1t",
        what: "intern hit, 1 thread ÷ hashbrown+Fx get".into(),
        limit: 0.8,
        abs: vec![("hashbrown".into(), p.floor_ns), ("tern".into(), p.tern_ns)],
        ratios: p.ratios,
        cpu_ratios: p.cpu_ratios,
    }
}

fn two_threads(parts: &[&[&'static str]], f: impl Fn(&[&'static str]) -> u64 + Sync) -> Sample {
    let cpu = [AtomicU64::new(0), AtomicU64::new(0)];
    let wall = run_gated(2, |i, gate| {
        gate.start();
        let c0 = thread_cpu();
        black_box(f(parts[i]));
        // Relaxed: read after the threads joined.
        cpu[i].store(
            thread_cpu().saturating_sub(c0).as_nanos() as u64,
            Ordering::Relaxed,
        );
        gate.finish();
    });
    // Relaxed: the scope joined the writers.
    let cpu = cpu[0]
        .load(Ordering::Relaxed)
        .max(cpu[1].load(Ordering::Relaxed));
    Sample {
        wall,
        cpu: Duration::from_nanos(cpu),
    }
}

fn hit_2t(s: &SymbolStream, n: usize, reps: usize) -> [Target; 2] {
    let floor = prefilled_floor(&s.distinct);
    let tern = prefilled_tern(&s.distinct);
    let papaya = PapayaGuardPerPass::new();
    papaya.pass(&s.distinct);
    let parts = chunks(&s.tokens, 2);
    let tern_run = || two_threads(&parts, |c| tern.pass(c));
    let paired = pairs(
        n,
        reps,
        s.tokens.len(),
        || two_threads(&parts, |c| floor_hits(&floor, c)),
        tern_run,
    );
    let vs_map = Target {
        name: "hit_2t",
        what: "intern hit, 2 threads aggregate ÷ immutable hashbrown+Fx read by 2 threads".into(),
        limit: 0.9,
        abs: vec![
            ("hashbrown 2t".into(), paired.floor_ns),
            ("tern 2t".into(), paired.tern_ns),
        ],
        ratios: paired.ratios,
        cpu_ratios: paired.cpu_ratios,
    };
    let paired = pairs(
        n,
        reps,
        s.tokens.len(),
        || two_threads(&parts, |c| papaya.pass(c)),
        tern_run,
    );
    let vs_papaya = Target {
        name: "hit_2t_papaya",
        what: "intern hit, 2 threads aggregate ÷ papaya+Fx, one guard per pass, 2 threads".into(),
        limit: 0.8,
        abs: vec![
            ("papaya 2t".into(), paired.floor_ns),
            ("tern 2t".into(), paired.tern_ns),
        ],
        ratios: paired.ratios,
        cpu_ratios: paired.cpu_ratios,
    };
    [vs_map, vs_papaya]
}

/// One measured run of an ablation case.
type Run<'a> = Box<dyn Fn() -> Duration + 'a>;

/// Where the time of a 2-thread hit goes: each case against the shared immutable hashbrown
/// map in the same round (rounds rotate the case order). A shared tern table against one
/// table per thread separates coherence traffic on shared lines from what two threads cost
/// each other on one core (caches, execution units); the hit counter's thread-local block
/// and one thread doing both halves are the other ablations.
fn ablation_2t(s: &SymbolStream, rounds: usize) {
    let floor = prefilled_floor(&s.distinct);
    let floors = [prefilled_floor(&s.distinct), prefilled_floor(&s.distinct)];
    let tern = prefilled_tern(&s.distinct);
    let terns = [prefilled_tern(&s.distinct), prefilled_tern(&s.distinct)];
    let mut counted = prefilled_tern(&s.distinct);
    counted.0.set_count_hits(true);
    let papaya = PapayaGuardPerPass::new();
    papaya.pass(&s.distinct);
    let parts = chunks(&s.tokens, 2);
    let private = |f: &(dyn Fn(usize, &[&'static str]) -> u64 + Sync)| {
        run_gated(2, |i, gate| {
            gate.start();
            black_box(f(i, parts[i]));
            gate.finish();
        })
    };
    let cases: Vec<(&str, Run<'_>)> = vec![
        (
            "hashbrown, one map, 2 threads",
            Box::new(|| two_threads(&parts, |c| floor_hits(&floor, c)).wall),
        ),
        (
            "hashbrown, a map per thread, 2 threads",
            Box::new(|| private(&|i, c| floor_hits(&floors[i], c))),
        ),
        (
            "hashbrown, 1 thread, both halves",
            Box::new(|| timed(|| floor_hits(&floor, &s.tokens)).wall),
        ),
        (
            "tern, one interner, 2 threads",
            Box::new(|| two_threads(&parts, |c| tern.pass(c)).wall),
        ),
        (
            "tern, an interner per thread, 2 threads",
            Box::new(|| private(&|i, c| terns[i].pass(c))),
        ),
        (
            "tern, one interner, hits counted, 2 threads",
            Box::new(|| two_threads(&parts, |c| counted.pass(c)).wall),
        ),
        (
            "tern, 1 thread, both halves",
            Box::new(|| timed(|| tern.pass(&s.tokens)).wall),
        ),
        (
            "papaya, one guard per pass, 2 threads",
            Box::new(|| two_threads(&parts, |c| papaya.pass(c)).wall),
        ),
    ];
    let mut ratios = vec![Vec::new(); cases.len()];
    for r in 0..rounds.max(1) {
        let mut t = vec![Duration::ZERO; cases.len()];
        for k in 0..cases.len() {
            let c = (k + r) % cases.len();
            t[c] = (cases[c].1)();
        }
        for (c, d) in t.iter().enumerate() {
            ratios[c].push(d.as_secs_f64() / t[0].as_secs_f64());
        }
    }
    println!(
        "ablation_2t ({rounds} rounds; time of the whole pass ÷ hashbrown, one map, 2 threads, same round):"
    );
    for (c, (name, _)) in cases.iter().enumerate() {
        let (lo, med, hi) = summary(&ratios[c]);
        println!("  {name:<45} median {med:.3} (min {lo:.3}, max {hi:.3})");
    }
}

fn miss_1t(s: &SymbolStream, n: usize, reps: usize) -> Target {
    let input = &s.distinct;
    let floor_run = || {
        let mut m = Floor::with_hasher(FxBuildHasher);
        let d = timed(|| {
            let mut sum = 0u64;
            for s in input {
                let id = if let Some(&id) = m.get(s) {
                    id
                } else {
                    let id = m.len() as u32;
                    m.insert(s, id);
                    id
                };
                sum += u64::from(id);
            }
            sum
        });
        drop(m);
        d
    };
    let tern_run = || {
        let mut t = Tern::new();
        let d = timed(|| {
            let sum = t.pass(input);
            t.end_pass();
            sum
        });
        drop(t);
        d
    };
    let p = pairs(n, reps, input.len(), floor_run, tern_run);
    Target {
        name: "miss_1t",
        what: "intern miss (every distinct symbol into a fresh table), 1 thread ÷ hashbrown+Fx get+insert".into(),
        limit: 0.8,
        abs: vec![("hashbrown".into(), p.floor_ns), ("tern".into(), p.tern_ns)],
        ratios: p.ratios,
        cpu_ratios: p.cpu_ratios,
    }
}

/// Fresh strings for the background thread: never symbols of the corpus.
fn background_strings() -> Vec<&'static str> {
    (0..1_000_000)
        .map(|k| &*Box::leak(format!("~bg~{k:07}").into_boxed_str()))
        .collect()
}

/// Runs `work` while another thread interns `bg` strings into `into`, and returns the time
/// of `work` alone.
fn with_background(into: &Tern, bg: &[&'static str], work: impl FnOnce() -> u64) -> Sample {
    let stop = AtomicBool::new(false);
    let started = AtomicBool::new(false);
    std::thread::scope(|sc| {
        sc.spawn(|| {
            let mut k = 0;
            // Relaxed (all three flags): nothing is published through them; they only start
            // and stop the loop.
            started.store(true, Ordering::Relaxed);
            while !stop.load(Ordering::Relaxed) {
                black_box(into.intern(bg[k % bg.len()]));
                k += 1;
            }
        });
        while !started.load(Ordering::Relaxed) {
            std::hint::spin_loop();
        }
        let d = timed(work);
        stop.store(true, Ordering::Relaxed);
        d
    })
}

fn resolve_bg(s: &SymbolStream, n: usize, reps: usize) -> Target {
    let bg = background_strings();
    let table: Vec<&'static str> = s.distinct.clone();
    let index = prefilled_floor(&s.distinct);
    let ids: Vec<u32> = s.tokens.iter().map(|t| index[t]).collect();
    let probe = prefilled_tern(&s.distinct);
    let syms: Vec<tern_intern::Symbol> = s.tokens.iter().map(|t| probe.0.intern(t)).collect();
    drop(probe);
    let vec_resolve = || -> u64 {
        ids.iter()
            .map(|&i| table[i as usize].len() as u64)
            .sum::<u64>()
    };
    let quiet = (0..reps.max(1))
        .map(|_| timed(vec_resolve).wall)
        .min()
        .unwrap_or_default();
    let floor_run = || {
        let other = Tern::new();
        with_background(&other, &bg, vec_resolve)
    };
    let tern_run = || {
        // A fresh table per run, so that the background thread inserts new strings (and grows
        // the table) while we resolve; same inserts on one thread, so the same symbols.
        let t = prefilled_tern(&s.distinct);
        with_background(&t, &bg, || {
            syms.iter()
                .map(|&sym| t.0.resolve(sym).len() as u64)
                .sum::<u64>()
        })
    };
    let p = pairs(n, reps, syms.len(), floor_run, tern_run);
    Target {
        name: "resolve_bg",
        what: "resolve while another thread interns ÷ Vec<&str> index with the same background work (limit also: tern ≤ 1 ns)".into(),
        limit: 1.5,
        abs: vec![
            (
                "Vec quiet".into(),
                quiet.as_secs_f64() * 1e9 / syms.len() as f64,
            ),
            ("Vec with background".into(), p.floor_ns),
            ("tern".into(), p.tern_ns),
        ],
        ratios: p.ratios,
        cpu_ratios: p.cpu_ratios,
    }
}

/// Sample points: 8 per doubling from 20 k to `max`.
#[allow(clippy::cast_sign_loss, reason = "a positive float rounded to a count")]
fn memory_points(max: usize) -> Vec<usize> {
    let mut v = Vec::new();
    let mut k = 0;
    loop {
        let n = (20_000.0 * 2f64.powf(f64::from(k) / 8.0)).round() as usize;
        if n > max {
            break;
        }
        v.push(n);
        k += 1;
    }
    v
}

struct Memory {
    points: Vec<(usize, f64, f64)>,
    avg_string: f64,
    /// Averages over the points of tern's parts, B/symbol: table, id table, string bytes,
    /// arena capacity, arena bytes handed out.
    parts: [f64; 5],
}

fn memory(s: &SymbolStream) -> Memory {
    let max = s.distinct.len().min(400_000);
    let points = memory_points(max);
    let mut out = Vec::new();
    let mut t = tern_intern::Interner::new();
    let mut si = StringInterner::new();
    let mut si_bytes = 0;
    let mut at = 0;
    let mut parts = [0.0; 5];
    for &n in &points {
        for w in &s.distinct[at..n] {
            t.intern(w);
        }
        t.checkpoint();
        let before = ALLOC.live_bytes();
        for w in &s.distinct[at..n] {
            si.intern(w);
        }
        si_bytes += ALLOC.live_bytes() - before;
        at = n;
        let per = |b: usize| b as f64 / t.len() as f64;
        let st = t.stats();
        for (p, b) in parts.iter_mut().zip([
            st.table_bytes,
            st.id_table_bytes,
            st.string_bytes,
            t.arenas().total_capacity(),
            t.arenas().total_used(),
        ]) {
            *p += per(b) / points.len() as f64;
        }
        out.push((n, per(t.heap_bytes()), si_bytes as f64 / n as f64));
    }
    let avg_string = s.distinct[..at].iter().map(|w| w.len()).sum::<usize>() as f64 / at as f64;
    Memory {
        points: out,
        avg_string,
        parts,
    }
}

/// Runs `f` in a function of its own, so that a profiler can collect it alone
/// (`valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*profiled*'`).
#[inline(never)]
fn profiled(f: impl FnOnce() -> u64) -> u64 {
    black_box(f())
}

/// `TERN_PAIRS_PROFILE=side`: one run of one side of a target, for callgrind or perf.
fn profile(s: &SymbolStream, side: &str) {
    let sum = match side {
        "hit_floor" => {
            let m = prefilled_floor(&s.distinct);
            profiled(|| floor_hits(&m, &s.tokens))
        }
        "hit_tern" => {
            let t = prefilled_tern(&s.distinct);
            profiled(|| t.pass(&s.tokens))
        }
        "hit_papaya" => {
            let p = PapayaGuardPerPass::new();
            p.pass(&s.distinct);
            profiled(|| p.pass(&s.tokens))
        }
        "miss_floor" => {
            let mut m = Floor::with_hasher(FxBuildHasher);
            profiled(|| {
                let mut sum = 0u64;
                for s in &s.distinct {
                    let id = if let Some(&id) = m.get(s) {
                        id
                    } else {
                        let id = m.len() as u32;
                        m.insert(s, id);
                        id
                    };
                    sum += u64::from(id);
                }
                sum
            })
        }
        "miss_tern" => {
            let mut t = Tern::new();
            profiled(|| {
                let sum = t.pass(&s.distinct);
                t.end_pass();
                sum
            })
        }
        "resolve_tern" => {
            let t = prefilled_tern(&s.distinct);
            let syms: Vec<tern_intern::Symbol> = s.tokens.iter().map(|w| t.0.intern(w)).collect();
            profiled(|| syms.iter().map(|&y| t.0.resolve(y).len() as u64).sum())
        }
        other => panic!("TERN_PAIRS_PROFILE: unknown side {other}"),
    };
    println!("profiled {side}: checksum {sum}");
}

fn main() {
    let half = match std::env::var("TERN_HALF").as_deref() {
        Ok("tuning") => Half::Tuning,
        _ => Half::Reporting,
    };
    let n = env_usize("TERN_PAIRS", 7).max(1);
    let reps = env_usize("TERN_PAIR_REPS", 3);
    let only = std::env::var("TERN_PAIRS_ONLY").unwrap_or_default();
    let run = |name: &str| only.is_empty() || only.split(',').any(|o| name.starts_with(o.trim()));
    let t0 = Instant::now();
    let corpus = Corpus::registry_half(half);
    println!("{}", corpus.describe());
    let s = SymbolStream::lex(corpus);
    println!("{} (loaded in {:.1?})", s.describe(), t0.elapsed());
    if let Ok(side) = std::env::var("TERN_PAIRS_PROFILE") {
        profile(&s, &side);
        return;
    }
    println!(
        "pairs: {n}, each {reps} interleaved rounds, each side its fastest run; ratios are tern ÷ floor"
    );
    println!();

    let mut targets = Vec::new();
    if run("hit_1t") {
        targets.push(hit_1t(&s, n, reps));
        println!("{}", targets[targets.len() - 1].line());
    }
    if run("hit_2t") {
        for t in hit_2t(&s, n, reps) {
            println!("{}", t.line());
            targets.push(t);
        }
    }
    if only.split(',').any(|o| o.trim() == "ablation_2t") {
        ablation_2t(&s, n);
    }
    if run("miss_1t") {
        targets.push(miss_1t(&s, n, reps));
        println!("{}", targets[targets.len() - 1].line());
    }
    if run("resolve") {
        targets.push(resolve_bg(&s, n, reps));
        println!("{}", targets[targets.len() - 1].line());
    }
    let mem = run("memory").then(|| memory(&s));
    if let Some(m) = &mem {
        let avg = m.points.iter().map(|p| p.1).sum::<f64>() / m.points.len() as f64;
        let avg_si = m.points.iter().map(|p| p.2).sum::<f64>() / m.points.len() as f64;
        let lo = m.points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let hi = m.points.iter().map(|p| p.1).fold(0.0, f64::max);
        println!(
            "memory         average {avg:.1} B/symbol (min {lo:.1}, max {hi:.1}; {} points, {}..{} symbols; avg string {:.1} B) limit 32 {}  [string-interner {avg_si:.1} B/symbol at the same points]",
            m.points.len(),
            m.points[0].0,
            m.points[m.points.len() - 1].0,
            m.avg_string,
            if avg <= 32.0 { "PASS" } else { "MISS" }
        );
        let [table, ids, strings, cap, used] = m.parts;
        println!(
            "  tern's parts, averaged over the points (B/symbol): table {table:.1}, id table {ids:.1}, string bytes {strings:.1}, arena capacity {cap:.1} (handed out {used:.1}: slack {:.1})",
            cap - used
        );
        for (n, b, si) in &m.points {
            println!("  {n:>7} symbols: tern {b:.1} B/symbol, string-interner {si:.1}");
        }
    }

    if let Some(path) = std::env::var_os("TERN_BENCH_PAIRS_JSON") {
        let mut json = format!("{{\"half\":\"{}\",\"pairs\":{n},\"targets\":[", half.name());
        for (k, t) in targets.iter().enumerate() {
            let (lo, med, hi) = summary(&t.ratios);
            let (clo, cmed, chi) = summary(&t.cpu_ratios);
            let abs: Vec<String> = t
                .abs
                .iter()
                .map(|(l, v)| format!("[\"{l}\",{v:.4}]"))
                .collect();
            let _ = write!(
                json,
                "{}{{\"name\":\"{}\",\"what\":\"{}\",\"limit\":{},\"min\":{lo:.4},\"median\":{med:.4},\"max\":{hi:.4},\"cpu_min\":{clo:.4},\"cpu_median\":{cmed:.4},\"cpu_max\":{chi:.4},\"ratios\":[{}],\"abs\":[{}]}}",
                if k > 0 { "," } else { "" },
                t.name,
                t.what.replace('"', "'"),
                t.limit,
                t.ratios
                    .iter()
                    .map(|r| format!("{r:.4}"))
                    .collect::<Vec<_>>()
                    .join(","),
                abs.join(",")
            );
        }
        json.push(']');
        if let Some(m) = &mem {
            let pts: Vec<String> = m
                .points
                .iter()
                .map(|(n, b, si)| format!("[{n},{b:.3},{si:.3}]"))
                .collect();
            let _ = write!(
                json,
                ",\"memory\":{{\"avg_string\":{:.3},\"parts\":[{}],\"points\":[{}]}}",
                m.avg_string,
                m.parts
                    .iter()
                    .map(|p| format!("{p:.3}"))
                    .collect::<Vec<_>>()
                    .join(","),
                pts.join(",")
            );
        }
        json.push('}');
        std::fs::write(&path, json).expect("write TERN_BENCH_PAIRS_JSON");
    }
}
