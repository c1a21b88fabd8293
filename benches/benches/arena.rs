//! Arena benches (issue 3): tern-arena's per-worker arenas beside one `Bump`
//! on one thread, `Box::new`, bumpalo-herd, `ThreadLocal<Bump>` and a
//! `Mutex<Bump>`.
//!
//! One measured iteration is a round: every thread allocates [`ROUND`]
//! objects, then all arenas are reset (timed too; `Box` frees its objects
//! instead). Resetting rather than recreating keeps first-touch page faults
//! out of the steady state (see ANCHORS: 2 ns vs 10 ns).
//!
//! Groups `arena_obj16`, `arena_obj32`, `arena_obj64` (16/32/64-byte values)
//! and `arena_slice` (`u64` slices of 1 to 8 elements, copied in). Ids:
//! - `floor_one_bump/1`, `box_new_no_pool/1`, `tern_driver/1`: on the bench thread
//!   itself, no pool (the per-allocation cost on one thread);
//! - `<case>/N` for N in `TERN_BENCH_THREADS`: on a rayon pool of N workers,
//!   one `broadcast` per round (its ~13 µs is the same for every case and
//!   amortised over the round). Throughput is aggregate allocations per second.

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bumpalo::Bump;
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use rayon::ThreadPool;
use tern_arena::ScratchArenas;
use tern_benches::harness;

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

/// Sums the time of `iters` rounds.
fn rounds(iters: u64, mut round: impl FnMut()) -> Duration {
    let t0 = Instant::now();
    for _ in 0..iters {
        round();
    }
    t0.elapsed()
}

// --------------------------------------------------------- one thread, no pool

fn single_thread<P: Payload>(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.throughput(Throughput::Elements(ROUND as u64));
    g.bench_function(BenchmarkId::new("floor_one_bump", 1), |b| {
        let mut bump = Bump::new();
        b.iter_custom(|iters| {
            rounds(iters, || {
                for i in 0..ROUND {
                    black_box(P::bump(&bump, i));
                }
                bump.reset();
            })
        });
    });
    g.bench_function(BenchmarkId::new("tern_driver", 1), |b| {
        let mut arenas = scratch(None);
        b.iter_custom(|iters| {
            rounds(iters, || {
                for i in 0..ROUND {
                    black_box(P::tern(&arenas, i));
                }
                arenas.reset();
            })
        });
    });
    g.bench_function(BenchmarkId::new("box_new_no_pool", 1), |b| {
        let mut keep = Vec::with_capacity(ROUND);
        b.iter_custom(|iters| {
            rounds(iters, || {
                for i in 0..ROUND {
                    keep.push(P::boxed(i));
                }
                keep.clear();
            })
        });
    });
}

// ------------------------------------------------------- N workers of a pool

fn on_pool<P: Payload>(g: &mut BenchmarkGroup<'_, WallTime>, n: usize) {
    let pool = pool(n);
    g.throughput(Throughput::Elements((ROUND * n) as u64));

    g.bench_function(BenchmarkId::new("tern_alloc", n), |b| {
        let mut arenas = scratch(Some(Arc::clone(&pool)));
        b.iter_custom(|iters| {
            rounds(iters, || {
                pool.broadcast(|_| {
                    for i in 0..ROUND {
                        black_box(P::tern(&arenas, i));
                    }
                });
                arenas.reset();
            })
        });
    });

    g.bench_function(BenchmarkId::new("tern_local_bump", n), |b| {
        let mut arenas = scratch(Some(Arc::clone(&pool)));
        b.iter_custom(|iters| {
            rounds(iters, || {
                pool.broadcast(|_| {
                    let bump = arenas.local();
                    for i in 0..ROUND {
                        black_box(P::bump(bump, i));
                    }
                });
                arenas.reset();
            })
        });
    });

    g.bench_function(BenchmarkId::new("thread_local_bump", n), |b| {
        let mut tl: thread_local::ThreadLocal<Bump> = thread_local::ThreadLocal::new();
        b.iter_custom(|iters| {
            rounds(iters, || {
                pool.broadcast(|_| {
                    for i in 0..ROUND {
                        black_box(P::bump(tl.get_or_default(), i));
                    }
                });
                tl.iter_mut().for_each(Bump::reset);
            })
        });
    });

    g.bench_function(BenchmarkId::new("bumpalo_herd", n), |b| {
        let mut herd = bumpalo_herd::Herd::new();
        b.iter_custom(|iters| {
            rounds(iters, || {
                pool.broadcast(|_| {
                    let member = herd.get();
                    for i in 0..ROUND {
                        black_box(P::bump(member.as_bump(), i));
                    }
                });
                herd.reset();
            })
        });
    });

    g.bench_function(BenchmarkId::new("mutex_bump", n), |b| {
        let mut shared = Mutex::new(Bump::new());
        b.iter_custom(|iters| {
            rounds(iters, || {
                pool.broadcast(|_| {
                    for i in 0..ROUND {
                        let bump = shared.lock().expect("not poisoned");
                        black_box(P::bump(&bump, i));
                    }
                });
                shared.get_mut().expect("not poisoned").reset();
            })
        });
    });

    g.bench_function(BenchmarkId::new("box_new", n), |b| {
        b.iter_custom(|iters| {
            rounds(iters, || {
                pool.broadcast(|_| {
                    let mut keep = Vec::with_capacity(ROUND);
                    for i in 0..ROUND {
                        keep.push(P::boxed(i));
                    }
                    drop(black_box(keep));
                });
            })
        });
    });
}

fn bench<P: Payload>(c: &mut Criterion) {
    let mut g = c.benchmark_group(P::GROUP);
    single_thread::<P>(&mut g);
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
criterion_main!(benches);
