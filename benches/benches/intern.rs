//! Interner benches (issue 4): tern-intern beside the hashbrown+FxHash floor
//! and its peers, on the symbols (identifiers, lifetimes, string literals)
//! lexed from every crate in the local cargo registry.
//!
//! Groups (ids `group/interner/threads`; time per iteration = one pass, the
//! throughput line gives ns per symbol as 1 / rate):
//! - `intern_hot`: every symbol of the stream, table pre-filled (all hits).
//! - `intern_cold`: every distinct symbol once into a fresh table (all misses).
//! - `intern_first_pass`: the whole stream into a fresh table.
//! - `intern_resolve`: resolve the id of every token (1 thread).
//! - `intern_resolve_while_interning`: the same while another thread interns
//!   new strings into the same table.
//!
//! With N threads the stream (or the distinct list) is cut into N contiguous
//! chunks, each thread interns its chunk into one shared table, and the time
//! is the wall time of the whole pass.

#[path = "common/interners.rs"]
mod interners;

use std::hint::black_box;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use interners::{
    DashmapFx, HashbrownFx, LassoRodeo, LassoThreaded, LocalInterner, PapayaGuardPerPass,
    PapayaPinPerOp, SharedInterner, StringInterner, Tern, Ustr,
};
use tern_benches::corpus::{Corpus, SymbolStream};
use tern_benches::harness::{self, chunks, run_gated};

/// The symbol stream, lexed once per process and described on stderr.
fn stream() -> &'static SymbolStream {
    static S: OnceLock<SymbolStream> = OnceLock::new();
    S.get_or_init(|| {
        let t = Instant::now();
        let corpus = Corpus::registry();
        eprintln!("{}", corpus.describe());
        let s = SymbolStream::lex(corpus);
        eprintln!("{} (loaded and lexed in {:.1?})", s.describe(), t.elapsed());
        s
    })
}

/// Fresh strings a background thread interns while the measured thread
/// resolves: never in the corpus (the prefix cannot start a Rust token).
fn background_strings() -> &'static [&'static str] {
    static B: OnceLock<Vec<&'static str>> = OnceLock::new();
    B.get_or_init(|| {
        (0..1_000_000)
            .map(|k| &*Box::leak(format!("~bg~{k:07}").into_boxed_str()))
            .collect()
    })
}

// --------------------------------------------------------------- scenarios

/// Times `iters` passes of a single-threaded interner over `input`, each on
/// the interner `make` returns (untimed).
fn local_passes<I: LocalInterner>(
    iters: u64,
    input: &[&'static str],
    mut make: impl FnMut() -> I,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let mut t = make();
        let t0 = Instant::now();
        black_box(t.pass(input));
        total += t0.elapsed();
        drop(t);
    }
    total
}

/// Times `iters` passes of `n` threads over the chunks of `input`, each pass
/// on the interner `make` returns (untimed).
fn shared_passes<I: SharedInterner>(
    n: usize,
    iters: u64,
    input: &[&'static str],
    mut make: impl FnMut() -> I,
) -> Duration {
    let parts = chunks(input, n);
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let mut t = make();
        total += run_gated(n, |i, gate| {
            gate.start();
            black_box(t.pass(parts[i]));
            gate.finish();
        });
        let t0 = Instant::now();
        t.end_pass();
        total += t0.elapsed();
        drop(t);
    }
    total
}

fn prefilled_local<I: LocalInterner>() -> I {
    let mut t = I::new();
    t.pass(&stream().distinct);
    t
}

fn prefilled_shared<I: SharedInterner>() -> I {
    let t = I::new();
    t.pass(&stream().distinct);
    t
}

fn hot_local<I: LocalInterner>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let mut t = prefilled_local::<I>();
    g.bench_function(BenchmarkId::new(I::NAME, 1), |b| {
        b.iter(|| black_box(t.pass(&stream().tokens)));
    });
}

fn hot_shared<I: SharedInterner>(g: &mut BenchmarkGroup<'_, WallTime>, n: usize) {
    let t = prefilled_shared::<I>();
    let parts = chunks(&stream().tokens, n);
    g.bench_function(BenchmarkId::new(I::NAME, n), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    run_gated(n, |i, gate| {
                        gate.start();
                        black_box(t.pass(parts[i]));
                        gate.finish();
                    })
                })
                .sum()
        });
    });
}

fn fresh_local<I: LocalInterner>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    input: &'static [&'static str],
) {
    g.bench_function(BenchmarkId::new(I::NAME, 1), |b| {
        b.iter_custom(|iters| local_passes(iters, input, I::new));
    });
}

fn fresh_shared<I: SharedInterner>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    n: usize,
    input: &'static [&'static str],
) {
    g.bench_function(BenchmarkId::new(I::NAME, n), |b| {
        b.iter_custom(|iters| shared_passes(n, iters, input, I::new));
    });
}

fn resolve_local<I: LocalInterner>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let mut t = prefilled_local::<I>();
    let ids: Vec<I::Id> = stream().tokens.iter().map(|s| t.intern(s)).collect();
    if t.resolve(ids[0]).is_none() {
        return;
    }
    g.bench_function(BenchmarkId::new(I::NAME, 1), |b| {
        b.iter(|| {
            ids.iter()
                .map(|&id| t.resolve(id).map_or(0, str::len))
                .sum::<usize>()
        });
    });
}

fn resolve_shared<I: SharedInterner>(g: &mut BenchmarkGroup<'_, WallTime>, while_interning: bool) {
    let t = prefilled_shared::<I>();
    let ids: Vec<I::Id> = stream().tokens.iter().map(|s| t.intern(s)).collect();
    if t.resolve(ids[0]).is_none() {
        return;
    }
    let resolve_all = |t: &I| {
        ids.iter()
            .map(|&id| t.resolve(id).map_or(0, str::len))
            .sum::<usize>()
    };
    g.bench_function(BenchmarkId::new(I::NAME, 1), |b| {
        if !while_interning {
            b.iter(|| resolve_all(&t));
            return;
        }
        b.iter_custom(|iters| {
            // A fresh pre-filled table per sample, so the background thread
            // inserts new strings (and grows the table) while we resolve.
            let t = prefilled_shared::<I>();
            // Same inserts in the same order on one thread: the ids computed
            // on the first table are this table's ids too.
            let last = ids.len() - 1;
            assert_eq!(t.resolve(ids[last]), Some(stream().tokens[last]));
            let stop = AtomicBool::new(false);
            std::thread::scope(|s| {
                s.spawn(|| {
                    let bg = background_strings();
                    let mut k = 0;
                    while !stop.load(Ordering::Relaxed) {
                        black_box(t.intern(bg[k % bg.len()]));
                        k += 1;
                    }
                });
                let t0 = Instant::now();
                for _ in 0..iters {
                    black_box(resolve_all(&t));
                }
                let d = t0.elapsed();
                stop.store(true, Ordering::Relaxed);
                d
            })
        });
    });
}

// ------------------------------------------------------------------ groups

/// Calls `$f::<T>($args)` for each concurrent interner.
macro_rules! each_shared {
    ($f:ident, $($arg:expr),*) => {
        $f::<Tern>($($arg),*);
        $f::<LassoThreaded>($($arg),*);
        $f::<DashmapFx>($($arg),*);
        $f::<PapayaPinPerOp>($($arg),*);
        $f::<PapayaGuardPerPass>($($arg),*);
    };
}

fn group<'a>(c: &'a mut Criterion, name: &str, elements: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(elements as u64));
    g.sampling_mode(criterion::SamplingMode::Flat);
    g
}

fn bench_hot(c: &mut Criterion) {
    let s = stream();
    let mut g = group(c, "intern_hot", s.tokens.len());
    hot_local::<HashbrownFx>(&mut g);
    hot_local::<LassoRodeo>(&mut g);
    hot_local::<StringInterner>(&mut g);
    for n in harness::thread_counts() {
        each_shared!(hot_shared, &mut g, n);
        hot_shared::<Ustr>(&mut g, n);
    }
    g.finish();
}

fn bench_cold(c: &mut Criterion) {
    let s = stream();
    let input: &'static [&'static str] = &s.distinct;
    let mut g = group(c, "intern_cold", input.len());
    fresh_local::<HashbrownFx>(&mut g, input);
    fresh_local::<LassoRodeo>(&mut g, input);
    fresh_local::<StringInterner>(&mut g, input);
    for n in harness::thread_counts() {
        each_shared!(fresh_shared, &mut g, n, input);
    }
    g.finish();
}

fn bench_first_pass(c: &mut Criterion) {
    let s = stream();
    let input: &'static [&'static str] = &s.tokens;
    let mut g = group(c, "intern_first_pass", input.len());
    fresh_local::<HashbrownFx>(&mut g, input);
    fresh_local::<LassoRodeo>(&mut g, input);
    fresh_local::<StringInterner>(&mut g, input);
    for n in harness::thread_counts() {
        each_shared!(fresh_shared, &mut g, n, input);
    }
    g.finish();
}

fn bench_resolve(c: &mut Criterion) {
    let s = stream();
    let mut g = group(c, "intern_resolve", s.tokens.len());
    // Floor: an id indexing a `Vec<&str>` (what any interner's resolve does
    // at best).
    let table: Vec<&'static str> = s.distinct.clone();
    let mut idx = hashbrown::HashMap::with_hasher(rustc_hash::FxBuildHasher);
    for (i, d) in table.iter().enumerate() {
        idx.insert(*d, i as u32);
    }
    let ids: Vec<u32> = s.tokens.iter().map(|t| idx[t]).collect();
    g.bench_function(BenchmarkId::new("floor_vec_index", 1), |b| {
        b.iter(|| ids.iter().map(|&i| table[i as usize].len()).sum::<usize>());
    });
    resolve_local::<LassoRodeo>(&mut g);
    resolve_local::<StringInterner>(&mut g);
    resolve_shared::<Tern>(&mut g, false);
    resolve_shared::<LassoThreaded>(&mut g, false);
    resolve_shared::<Ustr>(&mut g, false);
    g.finish();

    let mut g = group(c, "intern_resolve_while_interning", s.tokens.len());
    resolve_shared::<Tern>(&mut g, true);
    resolve_shared::<LassoThreaded>(&mut g, true);
    resolve_shared::<Ustr>(&mut g, true);
    g.finish();
}

criterion_group! {
    name = benches;
    config = harness::criterion();
    targets = bench_hot, bench_cold, bench_first_pass, bench_resolve
}
criterion_main!(benches);
