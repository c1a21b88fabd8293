//! Reclamation benches (issue 2): tern-quiesce beside its floor and peers.
//!
//! Groups (thread count from `TERN_BENCH_THREADS`, each thread does the same
//! work, time is wall time per operation per thread, throughput is aggregate):
//! - `reclaim_read`: one protected read (load + deref of a shared 16-byte
//!   object). Floor: a plain `AtomicPtr::load(Acquire)` + deref.
//! - `reclaim_quiescent`: one quiescent state, with nothing pending and with a
//!   grace period pending (another participant stalled), beside housekeeping's
//!   `Guard::refresh` and the plain-load floor.
//! - `reclaim_retire`: retire and reclaim 1 M boxed 16-byte objects (split over
//!   the threads), all garbage freed inside the timed region. Floors:
//!   `Box::new` + immediate drop of the same objects (strict), and all kept
//!   then all dropped (what a free-at-pass-end reclaimer must at least pay).

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tern_benches::harness::{self, run_gated};

/// The 16-byte object every reclaimer protects and retires.
type Obj = [u64; 2];

/// Objects retired per measured iteration of `reclaim_retire`.
const RETIRE_COUNT: usize = 1_000_000;

/// Reads between two quiescent states in the read benches.
const READS_PER_QUIESCENT: u64 = 1024;

/// A named case: runs `iters` operations on `n` threads, returns wall time.
type Case = (&'static str, fn(usize, u64) -> Duration);

/// Benches every case at thread count `n` in group `g`.
fn run_cases(g: &mut criterion::BenchmarkGroup<'_, WallTime>, n: usize, cases: &[Case]) {
    for &(name, f) in cases {
        g.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
            b.iter_custom(|iters| f(n, iters));
        });
    }
}

fn obj(i: u64) -> Obj {
    [i, i.wrapping_mul(31)]
}

/// A shared pointer to one leaked-until-drop object.
struct Shared {
    ptr: AtomicPtr<Obj>,
}

impl Shared {
    fn new() -> Self {
        Self {
            ptr: AtomicPtr::new(Box::into_raw(Box::new(obj(7)))),
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `Box::into_raw` in `new`, is never
        // swapped, and no reader outlives the owner being dropped.
        drop(unsafe { Box::from_raw(*self.ptr.get_mut()) });
    }
}

// ---------------------------------------------------------------- reads

fn read_floor(n: usize, iters: u64) -> Duration {
    let shared = Shared::new();
    run_gated(n, |_, gate| {
        gate.start();
        for _ in 0..iters {
            // Acquire: pairs with the Release of a writer publishing the object
            // (none here; the floor pays what a real reader would).
            let p = shared.ptr.load(Ordering::Acquire);
            // SAFETY: `shared` owns the object for the whole run.
            black_box(unsafe { (*p)[0] });
        }
        gate.finish();
    })
}

/// Context for the floor: the same load with a null check (`as_ref`), as
/// every reader that gets an `Option` pays.
fn read_floor_null_checked(n: usize, iters: u64) -> Duration {
    let shared = Shared::new();
    run_gated(n, |_, gate| {
        gate.start();
        for _ in 0..iters {
            // Acquire: as in `read_floor`.
            let p = shared.ptr.load(Ordering::Acquire);
            // SAFETY: `shared` owns the object for the whole run.
            let r = unsafe { p.as_ref() };
            black_box(r.map_or(0, |o| o[0]));
        }
        gate.finish();
    })
}

/// tern: `protect` (a plain Acquire load) with the participant online; with
/// `QUIESCE` a quiescent state every [`READS_PER_QUIESCENT`] reads (the steady
/// state of a worker that goes quiescent between work items).
fn read_tern<const QUIESCE: bool>(n: usize, iters: u64) -> Duration {
    let shared = Shared::new();
    let collector = tern_quiesce::Collector::new();
    run_gated(n, |_, gate| {
        let mut p = collector.register();
        gate.start();
        for i in 0..iters {
            if QUIESCE && i % READS_PER_QUIESCENT == 0 {
                p.quiescent();
            }
            // SAFETY: `shared` keeps the object alive for the whole run and
            // nothing retires it, so it is valid until the next quiescent state.
            let r = unsafe { p.protect(&shared.ptr) };
            black_box(r.map_or(0, |o| o[0]));
        }
        gate.finish();
        drop(p);
    })
}

fn read_crossbeam_pin(n: usize, iters: u64) -> Duration {
    let a = crossbeam_epoch::Atomic::new(obj(7));
    let d = run_gated(n, |_, gate| {
        gate.start();
        for _ in 0..iters {
            let g = crossbeam_epoch::pin();
            // Acquire: pairs with the writer's Release store (none here).
            let s = a.load(Ordering::Acquire, &g);
            // SAFETY: the object is only destroyed after the run, unpinned.
            black_box(unsafe { s.deref()[0] });
        }
        gate.finish();
    });
    // SAFETY: every thread has finished; nobody else can read `a`.
    drop(unsafe { a.into_owned() });
    d
}

fn read_crossbeam_handle(n: usize, iters: u64) -> Duration {
    let a = crossbeam_epoch::Atomic::new(obj(7));
    let collector = crossbeam_epoch::Collector::new();
    let d = run_gated(n, |_, gate| {
        let handle = collector.register();
        gate.start();
        for _ in 0..iters {
            let g = handle.pin();
            // Acquire: pairs with the writer's Release store (none here).
            let s = a.load(Ordering::Acquire, &g);
            // SAFETY: the object is only destroyed after the run, unpinned.
            black_box(unsafe { s.deref()[0] });
        }
        gate.finish();
    });
    // SAFETY: every thread has finished; nobody else can read `a`.
    drop(unsafe { a.into_owned() });
    d
}

fn read_seize(n: usize, iters: u64) -> Duration {
    let shared = Shared::new();
    let collector = seize::Collector::new();
    run_gated(n, |_, gate| {
        use seize::Guard as _;
        gate.start();
        for _ in 0..iters {
            let g = collector.enter();
            // Acquire: pairs with the writer's Release store (none here).
            let p = g.protect(&shared.ptr, Ordering::Acquire);
            // SAFETY: `shared` owns the object for the whole run.
            black_box(unsafe { (*p)[0] });
        }
        gate.finish();
    })
}

fn read_housekeeping(n: usize, iters: u64) -> Duration {
    let shared = Shared::new();
    let cleanups: Arc<housekeeping::Cleanups> = Arc::new(housekeeping::Cleanups::new());
    run_gated(n, |_, gate| {
        let mut guard = cleanups.clone().register();
        gate.start();
        for i in 0..iters {
            if i % READS_PER_QUIESCENT == 0 {
                let _ = guard.refresh();
            }
            // Acquire: pairs with the writer's Release store (none here).
            let p = shared.ptr.load(Ordering::Acquire);
            // SAFETY: `shared` owns the object for the whole run; the guard
            // would protect it against a concurrent retire.
            black_box(unsafe { (*p)[0] });
        }
        gate.finish();
        drop(guard);
    })
}

fn bench_read(c: &mut Criterion) {
    let mut g = c.benchmark_group("reclaim_read");
    for n in harness::thread_counts() {
        g.throughput(Throughput::Elements(n as u64));
        let cases: &[Case] = &[
            ("floor_plain_load", read_floor),
            ("floor_load_null_checked", read_floor_null_checked),
            ("tern_protect", read_tern::<false>),
            ("tern_protect_quiescent_per_1024", read_tern::<true>),
            ("crossbeam_pin", read_crossbeam_pin),
            ("crossbeam_handle_pin", read_crossbeam_handle),
            ("seize_enter_protect", read_seize),
            ("housekeeping_held_guard", read_housekeeping),
        ];
        run_cases(&mut g, n, cases);
    }
    g.finish();
}

// ---------------------------------------------------------- quiescent states

/// tern quiescent states with nothing retired anywhere: the fast path.
fn quiescent_tern_idle(n: usize, iters: u64) -> Duration {
    let collector = tern_quiesce::Collector::new();
    run_gated(n, |_, gate| {
        let mut p = collector.register();
        gate.start();
        for _ in 0..iters {
            p.quiescent();
            black_box(&mut p);
        }
        gate.finish();
        drop(p);
    })
}

/// tern quiescent states while a grace period is pending: each measured
/// thread has retired one object, and one more participant (on its own
/// thread, blocked) never passes a quiescent state, so the grace period can
/// never end and every quiescent state takes the slow path.
fn quiescent_tern_pending(n: usize, iters: u64) -> Duration {
    let collector = tern_quiesce::Collector::new();
    let stalled_in = std::sync::Barrier::new(2);
    let release = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        s.spawn(|| {
            let p = collector.register();
            stalled_in.wait();
            release.wait();
            drop(p);
        });
        stalled_in.wait();
        let d = run_gated(n, |_, gate| {
            let mut p = collector.register();
            p.retire(Box::new(obj(1)));
            p.quiescent();
            gate.start();
            for _ in 0..iters {
                p.quiescent();
                black_box(&mut p);
            }
            gate.finish();
            drop(p);
        });
        release.wait();
        d
    })
}

fn quiescent_housekeeping(n: usize, iters: u64) -> Duration {
    let cleanups: Arc<housekeeping::Cleanups> = Arc::new(housekeeping::Cleanups::new());
    run_gated(n, |_, gate| {
        let mut guard = cleanups.clone().register();
        gate.start();
        for _ in 0..iters {
            black_box(guard.refresh().is_some());
        }
        gate.finish();
        drop(guard);
    })
}

fn bench_quiescent(c: &mut Criterion) {
    let mut g = c.benchmark_group("reclaim_quiescent");
    for n in harness::thread_counts() {
        g.throughput(Throughput::Elements(n as u64));
        let cases: &[Case] = &[
            ("floor_plain_load", read_floor),
            ("tern_quiescent_idle", quiescent_tern_idle),
            ("tern_quiescent_gp_pending", quiescent_tern_pending),
            ("housekeeping_refresh", quiescent_housekeeping),
        ];
        run_cases(&mut g, n, cases);
    }
    g.finish();
}

// ------------------------------------------------------------ retire+reclaim

/// Objects thread `i` of `n` retires out of [`RETIRE_COUNT`].
fn share(i: usize, n: usize) -> usize {
    RETIRE_COUNT / n + usize::from(i < RETIRE_COUNT % n)
}

/// Runs `iters` rounds of `round` and sums their times.
fn rounds(iters: u64, mut round: impl FnMut() -> Duration) -> Duration {
    (0..iters).map(|_| round()).sum()
}

/// The strict floor: each object allocated and dropped at once (the allocator
/// reuses the same hot block), what a reclaimer freeing instantly would cost.
fn retire_floor(n: usize, iters: u64) -> Duration {
    rounds(iters, || {
        run_gated(n, |i, gate| {
            gate.start();
            for k in 0..share(i, n) {
                drop(black_box(Box::new(obj(k as u64))));
            }
            gate.finish();
        })
    })
}

/// The end-of-pass floor: all objects allocated and kept, then all dropped,
/// what any reclaimer that frees only at a pass boundary must at least pay.
fn retire_floor_keep_all(n: usize, iters: u64) -> Duration {
    rounds(iters, || {
        run_gated(n, |i, gate| {
            let mut keep: Vec<Box<Obj>> = Vec::with_capacity(share(i, n));
            gate.start();
            for k in 0..share(i, n) {
                keep.push(Box::new(obj(k as u64)));
            }
            keep.clear();
            gate.finish();
        })
    })
}

/// How a tern round reclaims.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TernEnd {
    /// Retire everything, drop the participants, `checkpoint` frees it all.
    Checkpoint,
    /// A quiescent state every 1024 retires frees as it goes; `checkpoint`
    /// frees what is left after the participants are dropped.
    QuiescentPer1024,
    /// Retire everything, then `Participant::synchronize` on each thread.
    Synchronize,
}

fn retire_tern(n: usize, iters: u64, end: TernEnd) -> Duration {
    rounds(iters, || {
        let mut collector = tern_quiesce::Collector::new();
        let d = run_gated(n, |i, gate| {
            let mut p = collector.register();
            gate.start();
            for k in 0..share(i, n) {
                if end == TernEnd::QuiescentPer1024 && k % 1024 == 1023 {
                    p.quiescent();
                }
                p.retire(Box::new(obj(k as u64)));
            }
            if end == TernEnd::Synchronize {
                p.synchronize();
            }
            drop(p);
            gate.finish();
        });
        let t = Instant::now();
        black_box(collector.checkpoint());
        d + t.elapsed()
    })
}

fn retire_tern_checkpoint(n: usize, iters: u64) -> Duration {
    retire_tern(n, iters, TernEnd::Checkpoint)
}

fn retire_tern_quiescent(n: usize, iters: u64) -> Duration {
    retire_tern(n, iters, TernEnd::QuiescentPer1024)
}

fn retire_tern_synchronize(n: usize, iters: u64) -> Duration {
    retire_tern(n, iters, TernEnd::Synchronize)
}

fn retire_crossbeam(n: usize, iters: u64, pin_every: usize) -> Duration {
    rounds(iters, || {
        let collector = crossbeam_epoch::Collector::new();
        let d = run_gated(n, |i, gate| {
            let handle = collector.register();
            gate.start();
            let mut g = handle.pin();
            for k in 0..share(i, n) {
                if k % pin_every == 0 {
                    drop(g);
                    g = handle.pin();
                }
                let s = crossbeam_epoch::Owned::new(obj(k as u64)).into_shared(&g);
                // SAFETY: the object was never shared, so no other thread can
                // hold it; it is retired once.
                unsafe { g.defer_destroy(s) };
            }
            drop(g);
            drop(handle);
            gate.finish();
        });
        // Dropping the collector runs every deferred destructor left in its
        // queue: the reclaim the others do inside the round.
        let t = Instant::now();
        drop(collector);
        d + t.elapsed()
    })
}

fn retire_crossbeam_each(n: usize, iters: u64) -> Duration {
    retire_crossbeam(n, iters, 1)
}

fn retire_crossbeam_1024(n: usize, iters: u64) -> Duration {
    retire_crossbeam(n, iters, 1024)
}

fn retire_seize(n: usize, iters: u64) -> Duration {
    rounds(iters, || {
        let collector = seize::Collector::new();
        let d = run_gated(n, |i, gate| {
            gate.start();
            for k in 0..share(i, n) {
                let g = collector.enter();
                let p = Box::into_raw(Box::new(obj(k as u64)));
                // SAFETY: `p` came from `Box::into_raw` and was never shared,
                // so `reclaim::boxed` frees it exactly once, after no guard can
                // hold it.
                unsafe { collector.retire(p, seize::reclaim::boxed) };
                drop(g);
            }
            gate.finish();
        });
        // Dropping the collector reclaims everything still pending.
        let t = Instant::now();
        drop(collector);
        d + t.elapsed()
    })
}

/// housekeeping's typed batch: boxes kept in a vector, freed by clearing it.
#[derive(Default)]
#[expect(
    clippy::vec_box,
    reason = "retired objects are separate boxes, as in the other cases"
)]
struct BoxBatch {
    items: Vec<Box<Obj>>,
}

const HK_BATCH: usize = 64;

fn retire_housekeeping(n: usize, iters: u64) -> Duration {
    rounds(iters, || {
        let mut cleanups: Arc<housekeeping::Cleanups<BoxBatch>> =
            Arc::new(housekeeping::Cleanups::new());
        let d = run_gated(n, |i, gate| {
            let mut guard = cleanups.clone().register();
            gate.start();
            for k in 0..share(i, n) {
                if k % 1024 == 1023
                    && let Some(done) = guard.refresh()
                {
                    // Batches handed back are ready: free their objects.
                    drop(done.into_iter().collect::<Vec<_>>());
                }
                let mut batch = guard.take_batch().unwrap_or_else(|| {
                    guard.reuse_batch().map_or_else(BoxBatch::default, |mut b| {
                        b.items.clear();
                        b
                    })
                });
                if batch.items.capacity() == 0 {
                    batch.items.reserve_exact(HK_BATCH);
                }
                batch.items.push(Box::new(obj(k as u64)));
                if batch.items.len() == HK_BATCH {
                    guard.send_batch(batch);
                } else if guard.store_batch(batch).is_err() {
                    unreachable!("the local batch slot was emptied by take_batch");
                }
            }
            if let Some(done) = guard.drop_and_take() {
                drop(done.into_iter().collect::<Vec<_>>());
            }
            gate.finish();
        });
        let t = Instant::now();
        let left = Arc::get_mut(&mut cleanups)
            .expect("all guards dropped")
            .take_leftovers();
        drop(left.into_iter().collect::<Vec<_>>());
        drop(cleanups);
        d + t.elapsed()
    })
}

fn bench_retire(c: &mut Criterion) {
    let mut g = c.benchmark_group("reclaim_retire");
    g.throughput(Throughput::Elements(RETIRE_COUNT as u64));
    g.sampling_mode(criterion::SamplingMode::Flat);
    for n in harness::thread_counts() {
        let cases: &[Case] = &[
            ("floor_box_new_drop", retire_floor),
            ("floor_box_keep_all_then_drop", retire_floor_keep_all),
            ("tern_retire_checkpoint", retire_tern_checkpoint),
            ("tern_retire_quiescent_per_1024", retire_tern_quiescent),
            ("tern_retire_synchronize", retire_tern_synchronize),
            ("crossbeam_pin_each", retire_crossbeam_each),
            ("crossbeam_pin_per_1024", retire_crossbeam_1024),
            ("seize_enter_retire", retire_seize),
            ("housekeeping_typed_batch", retire_housekeeping),
        ];
        run_cases(&mut g, n, cases);
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = harness::criterion();
    targets = bench_read, bench_quiescent, bench_retire
}
criterion_main!(benches);
