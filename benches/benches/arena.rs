//! Arena benches (issue 3): tern-arena's per-worker arenas beside one `Bump` per
//! thread (the floor), `Box::new`, bumpalo-herd, `ThreadLocal<Bump>` and a
//! `Mutex<Bump>`.
//!
//! Every case runs in the same harness: a rayon pool of N workers
//! (N from `TERN_BENCH_THREADS`), one `broadcast` per round, each worker
//! allocating [`ROUND`] objects, then all arenas are reset. The workers meet at
//! a spinning start line, then each notes when its allocation loop starts and
//! ends; a round's time runs from the first start to the last end, plus the
//! reset (`Box` frees its objects inside the loop instead). So the floor and
//! tern run on the same threads under the same clock, the `broadcast`'s wake-up
//! (about 14 µs on a 2-core VM, 0.2 ns per allocation if it were timed) counts
//! for none of them, and at N > 1 the loops overlap, unless a worker is
//! descheduled, which then counts against every case alike. Resetting rather
//! than recreating keeps first-touch page faults out of the steady state.
//!
//! Groups `arena_obj16`, `arena_obj32`, `arena_obj64` (16/32/64-byte values)
//! and `arena_slice` (`u64` slices of 1 to 8 elements, copied in). Ids, all
//! `<case>/N`, throughput = aggregate allocations per second:
//! - `floor_one_bump`: each worker's own `Bump`, taken once per round (no
//!   lookup per allocation): what a bump allocation costs on that thread;
//! - `tern_alloc`: `ArenaSet::alloc*`, the thread's arena looked up per call;
//! - `tern_local_arena`: `LocalArena::alloc*`, looked up once per round;
//! - `tern_local_bump`: bumpalo's own methods on `ArenaSet::local()`;
//! - `tern_driver` (N = 1 only): a pool-less set built on the worker, which is
//!   then the set's driver thread (found by its thread token, not the cache);
//! - peers: `thread_local_bump` (`ThreadLocal<Bump>::get_or_default` per
//!   allocation), `bumpalo_herd` (one `Herd::get` per round), `mutex_bump`
//!   (one shared `Mutex<Bump>`, locked per allocation), `box_new`.
//!
//! `TERN_BENCH_PAIRS=k` (k ≥ 5) runs a paired comparison instead of criterion:
//! per group, k alternating timings (ABBA order) of the floor and each tern
//! case on the same pool, printing the min / median / max of the per-pair
//! ratios, and the same for tern's 2-thread vs 1-thread aggregate rate. On a
//! noisy machine the paired ratios are steadier than two independent medians.

use std::hint::black_box;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bumpalo::Bump;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group};
use rayon::ThreadPool;
use tern_arena::{LocalArena, Scratch, ScratchArenas};
use tern_benches::harness;
use thread_local::ThreadLocal;

/// Allocations per thread per round (≤ 4 MiB of 64-byte values).
const ROUND: usize = 1 << 16;

/// Capacity a scratch arena keeps across resets: above one round's bytes, so
/// steady state never refaults (tern's default cap is 4 MiB).
const RETAINED: usize = 16 << 20;

/// Source of the slice cases.
static SRC: [u64; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

/// What is allocated: the same value or slice for every case.
trait Payload: 'static {
    /// Group name.
    const GROUP: &'static str;
    /// What `Box` allocates for it.
    type Boxed: Send;
    fn bump(b: &Bump, i: usize) -> *const u8;
    fn tern(a: &ScratchArenas, i: usize) -> *const u8;
    fn tern_local(a: LocalArena<'_, Scratch>, i: usize) -> *const u8;
    fn boxed(i: usize) -> Self::Boxed;
}

/// A value of `W` `u64`s.
struct Obj<const W: usize>;

macro_rules! obj_payload {
    ($w:literal, $group:literal) => {
        impl Payload for Obj<$w> {
            const GROUP: &'static str = $group;
            type Boxed = Box<[u64; $w]>;
            #[inline]
            fn bump(b: &Bump, i: usize) -> *const u8 {
                std::ptr::from_mut(b.alloc([i as u64; $w])).cast()
            }
            #[inline]
            fn tern(a: &ScratchArenas, i: usize) -> *const u8 {
                std::ptr::from_mut(a.alloc([i as u64; $w])).cast()
            }
            #[inline]
            fn tern_local(a: LocalArena<'_, Scratch>, i: usize) -> *const u8 {
                std::ptr::from_mut(a.alloc([i as u64; $w])).cast()
            }
            #[inline]
            fn boxed(i: usize) -> Self::Boxed {
                Box::new([i as u64; $w])
            }
        }
    };
}
obj_payload!(2, "arena_obj16");
obj_payload!(4, "arena_obj32");
obj_payload!(8, "arena_obj64");

/// A slice of 1 to 8 `u64`s copied from [`SRC`].
struct Slice;

impl Payload for Slice {
    const GROUP: &'static str = "arena_slice";
    type Boxed = Box<[u64]>;
    #[inline]
    fn bump(b: &Bump, i: usize) -> *const u8 {
        b.alloc_slice_copy(&SRC[..=i % 8]).as_ptr().cast()
    }
    #[inline]
    fn tern(a: &ScratchArenas, i: usize) -> *const u8 {
        a.alloc_slice_copy(&SRC[..=i % 8]).as_ptr().cast()
    }
    #[inline]
    fn tern_local(a: LocalArena<'_, Scratch>, i: usize) -> *const u8 {
        a.alloc_slice_copy(&SRC[..=i % 8]).as_ptr().cast()
    }
    #[inline]
    fn boxed(i: usize) -> Self::Boxed {
        Box::from(&SRC[..=i % 8])
    }
}

fn pool(n: usize) -> Arc<ThreadPool> {
    Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("bench-worker-{i}"))
            .build()
            .expect("rayon pool"),
    )
}

fn scratch(pool: Option<Arc<ThreadPool>>) -> ScratchArenas {
    let b = ScratchArenas::builder().max_retained_per_thread(RETAINED);
    match pool {
        Some(p) => b.pool(p).build(),
        None => b.build(),
    }
}

/// Runs `work` once on every worker of `pool` and returns the wall time from the
/// first worker's start to the last worker's end. The workers first meet at a
/// spinning start line, so the wake-up of the `broadcast` is not timed and the
/// loops overlap as they would in a pass where every worker is busy; a worker
/// that starts late (descheduled) still counts, so loops that do not overlap
/// cannot pass for parallel ones.
fn timed_broadcast(pool: &ThreadPool, work: impl Fn() + Sync) -> Duration {
    let n = pool.current_num_threads();
    let arrived = AtomicUsize::new(0);
    let spans = pool.broadcast(|_| {
        // AcqRel: only the count matters; every worker reads the final value below.
        arrived.fetch_add(1, Ordering::AcqRel);
        // Acquire: pairs with the other workers' increments (nothing else is published).
        while arrived.load(Ordering::Acquire) < n {
            std::hint::spin_loop();
        }
        let start = Instant::now();
        work();
        (start, Instant::now())
    });
    let (first, last) = spans.iter().fold((spans[0].0, spans[0].1), |(a, b), s| {
        (a.min(s.0), b.max(s.1))
    });
    last - first
}

/// Time of `reset` (the arenas' reset is part of a round).
fn timed(reset: impl FnOnce()) -> Duration {
    let t0 = Instant::now();
    reset();
    t0.elapsed()
}

// ------------------------------------------------------------- the cases

/// One case: its state, and one round on the pool (allocate on every worker,
/// then reset), returning the round's measured time. Built once per case, so
/// rounds measure steady state.
trait Case {
    fn round(&mut self, pool: &ThreadPool) -> Duration;
}

/// Floor: each worker's own `Bump`, taken once per round.
struct Floor<P>(ThreadLocal<Bump>, PhantomData<P>);

impl<P: Payload> Case for Floor<P> {
    fn round(&mut self, pool: &ThreadPool) -> Duration {
        let tl = &self.0;
        let work = timed_broadcast(pool, || {
            let bump = tl.get_or_default();
            for i in 0..ROUND {
                black_box(P::bump(bump, i));
            }
        });
        work + timed(|| self.0.iter_mut().for_each(Bump::reset))
    }
}

/// `ArenaSet::alloc*` with the per-call lookup.
struct TernAlloc<P>(ScratchArenas, PhantomData<P>);

impl<P: Payload> Case for TernAlloc<P> {
    fn round(&mut self, pool: &ThreadPool) -> Duration {
        let arenas = &self.0;
        let work = timed_broadcast(pool, || {
            for i in 0..ROUND {
                black_box(P::tern(arenas, i));
            }
        });
        work + timed(|| self.0.reset())
    }
}

/// `LocalArena::alloc*`, the handle taken once per round.
struct TernLocalArena<P>(ScratchArenas, PhantomData<P>);

impl<P: Payload> Case for TernLocalArena<P> {
    fn round(&mut self, pool: &ThreadPool) -> Duration {
        let arenas = &self.0;
        let work = timed_broadcast(pool, || {
            let here = arenas.local_arena();
            for i in 0..ROUND {
                black_box(P::tern_local(here, i));
            }
        });
        work + timed(|| self.0.reset())
    }
}

/// bumpalo's own methods on `ArenaSet::local()`, taken once per round.
struct TernLocalBump<P>(ScratchArenas, PhantomData<P>);

impl<P: Payload> Case for TernLocalBump<P> {
    fn round(&mut self, pool: &ThreadPool) -> Duration {
        let arenas = &self.0;
        let work = timed_broadcast(pool, || {
            let bump = arenas.local();
            for i in 0..ROUND {
                black_box(P::bump(bump, i));
            }
        });
        work + timed(|| self.0.reset())
    }
}

/// `ThreadLocal<Bump>::get_or_default()` per allocation.
struct ThreadLocalBump<P>(ThreadLocal<Bump>, PhantomData<P>);

impl<P: Payload> Case for ThreadLocalBump<P> {
    fn round(&mut self, pool: &ThreadPool) -> Duration {
        let tl = &self.0;
        let work = timed_broadcast(pool, || {
            for i in 0..ROUND {
                black_box(P::bump(tl.get_or_default(), i));
            }
        });
        work + timed(|| self.0.iter_mut().for_each(Bump::reset))
    }
}

/// bumpalo-herd: one `Herd::get` per round.
struct Herd<P>(bumpalo_herd::Herd, PhantomData<P>);

impl<P: Payload> Case for Herd<P> {
    fn round(&mut self, pool: &ThreadPool) -> Duration {
        let herd = &self.0;
        let work = timed_broadcast(pool, || {
            let member = herd.get();
            for i in 0..ROUND {
                black_box(P::bump(member.as_bump(), i));
            }
        });
        work + timed(|| self.0.reset())
    }
}

/// One `Mutex<Bump>` shared by all workers, locked per allocation.
struct MutexBump<P>(Mutex<Bump>, PhantomData<P>);

impl<P: Payload> Case for MutexBump<P> {
    fn round(&mut self, pool: &ThreadPool) -> Duration {
        let shared = &self.0;
        let work = timed_broadcast(pool, || {
            for i in 0..ROUND {
                let bump = shared.lock().expect("not poisoned");
                black_box(P::bump(&bump, i));
            }
        });
        work + timed(|| self.0.get_mut().expect("not poisoned").reset())
    }
}

/// `Box::new` per allocation, all freed at the end of the worker's round.
struct BoxNew<P>(PhantomData<P>);

impl<P: Payload> Case for BoxNew<P> {
    fn round(&mut self, pool: &ThreadPool) -> Duration {
        timed_broadcast(pool, || {
            let mut keep = Vec::with_capacity(ROUND);
            for i in 0..ROUND {
                keep.push(P::boxed(i));
            }
            drop(black_box(keep));
        })
    }
}

fn floor<P: Payload>() -> Floor<P> {
    Floor(ThreadLocal::new(), PhantomData)
}

fn tern_alloc<P: Payload>(pool: &Arc<ThreadPool>) -> TernAlloc<P> {
    TernAlloc(scratch(Some(Arc::clone(pool))), PhantomData)
}

/// A pool-less set built on the pool's (single) worker, so that worker is
/// the set's driver thread.
fn tern_driver<P: Payload>(pool: &ThreadPool) -> TernAlloc<P> {
    assert_eq!(
        pool.current_num_threads(),
        1,
        "the driver case needs one worker"
    );
    TernAlloc(pool.install(|| scratch(None)), PhantomData)
}

fn tern_local_arena<P: Payload>(pool: &Arc<ThreadPool>) -> TernLocalArena<P> {
    TernLocalArena(scratch(Some(Arc::clone(pool))), PhantomData)
}

fn bench_case(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    pool: &ThreadPool,
    mut case: impl Case,
) {
    g.bench_function(BenchmarkId::new(name, pool.current_num_threads()), |b| {
        b.iter_custom(|iters| (0..iters).map(|_| case.round(pool)).sum());
    });
}

fn on_pool<P: Payload>(g: &mut BenchmarkGroup<'_, WallTime>, n: usize) {
    let pool = pool(n);
    g.throughput(Throughput::Elements((ROUND * n) as u64));
    bench_case(g, "floor_one_bump", &pool, floor::<P>());
    bench_case(g, "tern_alloc", &pool, tern_alloc::<P>(&pool));
    bench_case(g, "tern_local_arena", &pool, tern_local_arena::<P>(&pool));
    if n == 1 {
        bench_case(g, "tern_driver", &pool, tern_driver::<P>(&pool));
    }
    let set = || scratch(Some(Arc::clone(&pool)));
    bench_case(
        g,
        "tern_local_bump",
        &pool,
        TernLocalBump::<P>(set(), PhantomData),
    );
    let tl = ThreadLocalBump::<P>(ThreadLocal::new(), PhantomData);
    bench_case(g, "thread_local_bump", &pool, tl);
    let herd = Herd::<P>(bumpalo_herd::Herd::new(), PhantomData);
    bench_case(g, "bumpalo_herd", &pool, herd);
    let mutex = MutexBump::<P>(Mutex::new(Bump::new()), PhantomData);
    bench_case(g, "mutex_bump", &pool, mutex);
    bench_case(g, "box_new", &pool, BoxNew::<P>(PhantomData));
}

fn bench<P: Payload>(c: &mut Criterion) {
    let mut g = c.benchmark_group(P::GROUP);
    for n in harness::thread_counts() {
        on_pool::<P>(&mut g, n);
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = harness::criterion();
    targets = bench::<Obj<2>>, bench::<Obj<4>>, bench::<Obj<8>>, bench::<Slice>
}

// ------------------------------------------------------- paired comparison

/// Measured time of `rounds` rounds of `case`, in ns per round.
fn time_rounds(case: &mut dyn Case, pool: &ThreadPool, rounds: u32) -> f64 {
    let total: Duration = (0..rounds).map(|_| case.round(pool)).sum();
    total.as_secs_f64() * 1e9 / f64::from(rounds)
}

/// Rounds per timing so that one timing takes about 50 ms.
fn calibrate(case: &mut dyn Case, pool: &ThreadPool) -> u32 {
    for _ in 0..20 {
        case.round(pool); // warm up: chunks grown, caches filled
    }
    let per_round: Duration = (0..20).map(|_| case.round(pool)).sum::<Duration>() / 20;
    let rounds = Duration::from_millis(50).as_nanos() / per_round.as_nanos().max(1);
    u32::try_from(rounds.clamp(5, 5_000)).expect("clamped")
}

/// `k` alternating pairs (ABBA) of `a` and `b`; returns `time(b) / time(a)`
/// per pair, each time per element (`a` on `pa` doing `ea` elements per
/// round, `b` likewise).
fn pairs(
    k: usize,
    (a, pa, ea): (&mut dyn Case, &ThreadPool, usize),
    (b, pb, eb): (&mut dyn Case, &ThreadPool, usize),
) -> Vec<f64> {
    let ra = calibrate(a, pa);
    let rb = calibrate(b, pb);
    (0..k)
        .map(|j| {
            let (ta, tb) = if j % 2 == 0 {
                let ta = time_rounds(a, pa, ra);
                (ta, time_rounds(b, pb, rb))
            } else {
                let tb = time_rounds(b, pb, rb);
                (time_rounds(a, pa, ra), tb)
            };
            (tb / eb as f64) / (ta / ea as f64)
        })
        .collect()
}

/// `min / median / max` of `v`.
fn spread(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "{:.2} / {:.2} / {:.2}",
        v[0],
        v[v.len() / 2],
        v[v.len() - 1]
    )
}

fn paired<P: Payload>(k: usize) {
    let one = pool(1);
    let mut base = floor::<P>();
    let r = calibrate(&mut base, &one);
    let ns = time_rounds(&mut base, &one, r) / ROUND as f64;
    println!(
        "{}: floor_one_bump/1 {ns:.3} ns per allocation; time ratios to it, min / median / max \
         of {k} pairs:",
        P::GROUP
    );
    let cases: [(&str, Box<dyn Case>); 4] = [
        ("tern_alloc/1", Box::new(tern_alloc::<P>(&one))),
        ("tern_local_arena/1", Box::new(tern_local_arena::<P>(&one))),
        ("tern_driver/1", Box::new(tern_driver::<P>(&one))),
        (
            "tern_local_bump/1",
            Box::new(TernLocalBump::<P>(
                scratch(Some(Arc::clone(&one))),
                PhantomData,
            )),
        ),
    ];
    for (name, mut case) in cases {
        let r = pairs(k, (&mut base, &one, ROUND), (&mut *case, &one, ROUND));
        println!("  {name:<34} {}", spread(r));
    }
    for n in harness::multi_thread_counts() {
        let many = pool(n);
        // time per element at 1 thread / time per element at n = rate(n) / rate(1).
        let mut t1 = tern_alloc::<P>(&one);
        let mut tn = tern_alloc::<P>(&many);
        let r = pairs(k, (&mut tn, &many, ROUND * n), (&mut t1, &one, ROUND));
        println!(
            "  {:<34} {}",
            format!("tern_alloc rate {n} thr / 1 thr"),
            spread(r)
        );
        let mut f1 = floor::<P>();
        let mut f_n = floor::<P>();
        let r = pairs(k, (&mut f_n, &many, ROUND * n), (&mut f1, &one, ROUND));
        println!(
            "  {:<34} {}",
            format!("floor rate {n} thr / 1 thr"),
            spread(r)
        );
    }
}

fn main() {
    if let Some(k) = std::env::var("TERN_BENCH_PAIRS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let k = k.max(5);
        paired::<Obj<2>>(k);
        paired::<Obj<4>>(k);
        paired::<Obj<8>>(k);
        paired::<Slice>(k);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
