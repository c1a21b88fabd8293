//! Behaviour of `tern-arena`, also run under Miri:
//!
//! ```text
//! MIRIFLAGS="-Zmiri-tree-borrows -Zmiri-strict-provenance" cargo +nightly miri test -p tern-arena
//! ```
//!
//! Sizes shrink under `cfg!(miri)`; Miri's leak check at exit is what proves "no leak" for the
//! panicking-iterator tests. Tests that build a rayon pool are ignored in that strict run
//! (rayon's crossbeam-epoch casts integers to pointers) and run in a second, permissive-
//! provenance Miri pass with `-- --ignored`; `ci/miri.sh` runs both.

use std::mem::ManuallyDrop;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use rayon::prelude::*;
use tern_arena::{AllocErrorKind, Arenas, Role, ScratchArenas, ThreadPolicy, WorkerStats};

fn pool(n: usize) -> Arc<rayon::ThreadPool> {
    Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("pool"),
    )
}

fn panic_message(e: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = e.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = e.downcast_ref::<&str>() {
        (*s).to_owned()
    } else {
        String::from("<non-string panic>")
    }
}

fn addr<T: ?Sized>(r: &T) -> usize {
    std::ptr::from_ref(r).cast::<u8>() as usize
}

fn driver(stats: &[WorkerStats]) -> &WorkerStats {
    stats
        .iter()
        .find(|s| s.role == Role::Driver)
        .expect("driver slot")
}

/// An iterator whose exact size hint overflows `isize` bytes of `u64`s.
struct Liar;
impl Iterator for Liar {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        None
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX / 2, Some(usize::MAX / 2))
    }
}

/// Yields `left - 1, ..., 0` while claiming an exact length of `claim`.
struct Lying {
    left: u32,
    claim: usize,
}
impl Iterator for Lying {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        (self.left > 0).then(|| {
            self.left -= 1;
            self.left
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.claim, Some(self.claim))
    }
}

#[repr(align(64))]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Align64(u8);

#[repr(align(32))]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Align32([u8; 3]);

// Arena sets are shared between a pool's workers by reference and moved between threads.
const _: () = {
    const fn check<T: Send + Sync>() {}
    check::<Arenas>();
    check::<ScratchArenas>();
};

#[test]
fn alignment_of_every_primitive_and_over_aligned_types() {
    let a = Arenas::for_any_thread();
    for round in 0..4_u8 {
        // Interleave sizes so each allocation starts at an odd offset after the previous one.
        let x8 = a.alloc(round);
        let x16 = a.alloc(u16::from(round) + 1);
        let x32 = a.alloc(u32::from(round) + 2);
        let x64 = a.alloc(u64::from(round) + 3);
        let x128 = a.alloc(u128::from(round) + 4);
        let x64b = a.alloc(Align64(round));
        let xs = a.alloc_str("odd");
        assert_eq!(addr(x16) % 2, 0);
        assert_eq!(addr(x32) % 4, 0);
        assert_eq!(addr(x64) % 8, 0);
        assert_eq!(addr(x128) % std::mem::align_of::<u128>(), 0);
        assert_eq!(addr(x64b) % 64, 0);
        assert_eq!(
            (*x8, *x16, *x32, *x64, *x128),
            (
                round,
                u16::from(round) + 1,
                u32::from(round) + 2,
                u64::from(round) + 3,
                u128::from(round) + 4
            )
        );
        assert_eq!(x64b.0, round);
        assert_eq!(xs, "odd");

        let s128 = a.alloc_slice_copy(&[1_u128, 2, 3]);
        assert_eq!(addr(s128) % std::mem::align_of::<u128>(), 0);
        let s64 = a.alloc_slice_copy(&[Align64(1), Align64(2)]);
        assert_eq!(addr(s64) % 64, 0);
        assert_eq!(s64, &[Align64(1), Align64(2)]);
        // Exact and inexact size hints, both alignments paths of the scratch.
        let e64 = a.alloc_from_iter((0..3).map(Align64));
        assert_eq!(addr(e64) % 64, 0);
        let i64 = a.alloc_from_iter((0..9).filter(|k| k % 2 == 0).map(Align64));
        assert_eq!(addr(i64) % 64, 0);
        assert_eq!(i64.iter().map(|v| v.0).collect::<Vec<_>>(), [0, 2, 4, 6, 8]);
        let i32a = a.alloc_from_iter((0..7_u8).filter(|k| k % 3 != 0).map(|k| Align32([k; 3])));
        assert_eq!(addr(i32a) % 32, 0);
        assert_eq!(i32a.len(), 4);
        let i128 = a.alloc_from_iter((0..40_u128).filter(|k| k % 2 == 1));
        assert_eq!(addr(i128) % std::mem::align_of::<u128>(), 0);
        assert_eq!(i128.iter().sum::<u128>(), 400);
    }
}

#[test]
fn zero_sized_types_take_no_space() {
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Unit;
    let a = Arenas::for_any_thread();
    let unit = a.alloc(());
    *unit = ();
    let named = a.alloc(Unit);
    assert_eq!(*named, Unit);
    let e: &[u64] = a.alloc_slice_copy(&[]);
    assert!(e.is_empty());
    let z = a.alloc_slice_copy(&[Unit; 5]);
    assert_eq!(z.len(), 5);
    let zi = a.alloc_from_iter((0..7).map(|_| Unit));
    assert_eq!(zi.len(), 7);
    let zf = a.alloc_from_iter((0..7).filter(|k| k % 2 == 0).map(|_| Unit));
    assert_eq!(zf.len(), 4);
    assert_eq!(a.alloc_str(""), "");
    let empty = a.alloc_from_iter(std::iter::empty::<u32>());
    assert!(empty.is_empty());
    let empty_inexact = a.alloc_from_iter((0..10_u32).filter(|_| false));
    assert!(empty_inexact.is_empty());
    assert_eq!(a.total_used(), 0, "no ZST or empty allocation counts");
}

#[test]
fn huge_allocation() {
    let len = if cfg!(miri) { 256 * 1024 } else { 64 << 20 };
    let a = Arenas::for_any_thread();
    let src: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let small = a.alloc(7_u32);
    let big = a.alloc_slice_copy(&src);
    assert_eq!(big.len(), len);
    assert_eq!(big[len - 1], ((len - 1) % 251) as u8);
    assert!(big == &src[..]);
    assert_eq!(*small, 7);
    let s = a.stats();
    let d = driver(&s);
    assert_eq!(d.used, len + 4);
    assert!(d.capacity >= len + 4);
}

#[test]
fn limit_is_enforced_with_a_clear_error() {
    let limit = 4096;
    let a = Arenas::builder()
        .thread_policy(ThreadPolicy::AnyThread)
        .limit_per_thread(limit)
        .build();
    assert_eq!(a.limit_per_thread(), Some(limit));
    let err = a
        .try_alloc_slice_copy(&[0_u8; 8192])
        .expect_err("over the limit");
    assert_eq!(err.kind(), AllocErrorKind::LimitExceeded);
    assert_eq!(err.limit(), Some(limit));
    assert_eq!(err.requested_size(), 8192);
    assert_eq!(err.requested_align(), 1);
    assert_eq!(err.thread(), "driver");
    let text = err.to_string();
    assert!(text.contains("8192 bytes"), "{text}");
    assert!(text.contains("limit of 4096 bytes"), "{text}");
    assert!(text.contains("driver"), "{text}");
    let _: &dyn std::error::Error = &err;

    // Fill up with small allocations until refused; capacity never passes the limit.
    let mut n = 0_usize;
    while a.try_alloc(n as u64).is_ok() {
        n += 1;
        assert!(n < 10_000, "the limit was never reached");
    }
    assert!(n > 0);
    let s = a.stats();
    let d = driver(&s);
    assert!(d.capacity <= limit, "{d:?}");
    assert_eq!(d.used, n * 8);
    let err = a.try_alloc_str("0123456789abcdef").expect_err("full");
    assert_eq!(err.used(), n * 8);
    assert_eq!(err.capacity(), d.capacity);
    assert!(a.try_alloc_from_iter((0..64_u64).filter(|_| true)).is_err());
    assert!(a.try_alloc_from_iter(0..64_u64).is_err());

    // The infallible form panics with the same message.
    let panic = catch_unwind(AssertUnwindSafe(|| {
        a.alloc_slice_copy(&[1_u32; 4096]);
    }))
    .expect_err("alloc past the limit panics");
    let msg = panic_message(&*panic);
    assert!(msg.contains("per-thread limit of 4096 bytes"), "{msg}");
}

#[test]
fn size_overflow_is_an_error_not_ub() {
    let a = Arenas::for_any_thread();
    let err = a.try_alloc_from_iter(Liar).expect_err("overflow");
    assert_eq!(err.kind(), AllocErrorKind::SizeOverflow);
    assert!(err.to_string().contains("overflows"));
}

#[test]
fn types_without_drop_glue_are_accepted() {
    // `ManuallyDrop<String>` does not need drop, so the arena takes it; freeing the heap part
    // stays the caller's job (the refusal is about `needs_drop`, see the compile_fail doc
    // test on `ArenaSet`).
    let a = Arenas::for_any_thread();
    let m = a.alloc(ManuallyDrop::new(String::from("owned")));
    assert_eq!(m.as_str(), "owned");
    // SAFETY: dropped exactly once, never used afterwards.
    unsafe { ManuallyDrop::drop(m) };
    // References into the arena inside arena values are fine (no drop glue).
    let leaf = a.alloc(5_u32);
    let node = a.alloc((&*leaf, a.alloc_str("name")));
    assert_eq!(*node.0, 5);
    assert_eq!(node.1, "name");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "rayon pool: crossbeam-epoch casts integers to pointers, so this runs in the permissive Miri pass (ci/miri.sh)"
)]
fn values_allocated_by_each_worker_are_read_by_all() {
    let p = pool(2);
    let a = Arenas::new(Arc::clone(&p));
    assert_eq!(a.workers(), 2);
    // `broadcast` runs once on every worker, so each worker arena gets allocations.
    let per_worker: Vec<&[u64]> = p.broadcast(|ctx| {
        let i = ctx.index() as u64;
        &*a.alloc_from_iter((0..16).map(|k| i * 100 + k))
    });
    let total: u64 = p.install(|| {
        (0..8_usize)
            .into_par_iter()
            .map(|_| {
                per_worker
                    .iter()
                    .map(|s| s.iter().sum::<u64>())
                    .sum::<u64>()
            })
            .sum()
    });
    let one_pass = (0..16).sum::<u64>() * 2 + 100 * 16;
    assert_eq!(total, one_pass * 8);
    let stats = a.stats();
    for i in 0..2 {
        let w = stats
            .iter()
            .find(|s| s.role == Role::Worker(i))
            .expect("worker");
        assert_eq!(w.used, 16 * 8, "{w:?}");
        assert_eq!(w.label, format!("worker {i}"));
        assert!(w.capacity >= w.used);
    }
    assert_eq!(driver(&stats).used, 0);
    // Read on the driver, too.
    assert_eq!(per_worker[1][3], 103);

    // Moving the set keeps the workers' cached slots valid (they point into the slots'
    // heap block, which a move does not touch).
    let moved = Box::new(a);
    let again: Vec<u64> = p.broadcast(|ctx| *moved.alloc(ctx.index() as u64 + 7));
    assert_eq!(again, [7, 8]);
    assert_eq!(moved.total_used(), 2 * (16 * 8 + 8));
}

#[test]
fn strict_mode_panics_on_a_foreign_thread_and_names_it() {
    let a = Arenas::builder().build(); // strict, no pool
    let result = std::thread::Builder::new()
        .name("foreign-lexer".into())
        .spawn_scoped_fallback(&a);
    let msg = result.expect_err("foreign thread must panic");
    assert!(msg.contains("thread 'foreign-lexer'"), "{msg}");
    assert!(msg.contains("ThreadId("), "{msg}");
    assert!(msg.contains("register_thread"), "{msg}");
}

/// Runs `a.alloc` on a new thread built by `self`, returning the panic message if any.
trait SpawnAlloc {
    fn spawn_scoped_fallback(self, a: &Arenas) -> Result<(), String>;
}
impl SpawnAlloc for std::thread::Builder {
    fn spawn_scoped_fallback(self, a: &Arenas) -> Result<(), String> {
        std::thread::scope(|s| {
            self.spawn_scoped(s, || {
                a.alloc(1_u32);
            })
            .expect("spawn")
            .join()
            .map_err(|e| panic_message(&*e))
        })
    }
}

#[test]
#[cfg_attr(
    miri,
    ignore = "rayon pool: crossbeam-epoch casts integers to pointers, so this runs in the permissive Miri pass (ci/miri.sh)"
)]
fn a_worker_of_another_pool_is_foreign() {
    // `rayon::current_thread_index()` would say `Some(0)` here; the set must not treat the
    // other pool's worker 0 as its own worker 0.
    let mine = pool(1);
    let other = pool(1);
    let a = Arenas::new(Arc::clone(&mine));
    let outcome = other.install(|| catch_unwind(AssertUnwindSafe(|| *a.alloc(3_u8))));
    let msg = panic_message(&*outcome.expect_err("other pool's worker must panic"));
    assert!(
        msg.contains("not a worker of the set's rayon pool"),
        "{msg}"
    );
    // Its own worker is fine.
    assert_eq!(mine.install(|| *a.alloc(4_u8)), 4);
}

#[test]
fn registered_threads_allocate_until_deregistered() {
    let a = Arenas::builder().build(); // strict, no pool: driver + registered only
    assert_eq!(a.thread_policy(), ThreadPolicy::Strict);
    let kept: &u32 = std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("helper".into())
            .spawn_scoped(s, || {
                let reg = a.register_thread();
                let twice = a.register_thread(); // nested registrations are counted
                let v = a.alloc(41_u32);
                *v += 1;
                drop(twice);
                let still = a.alloc_str("still registered");
                assert_eq!(still, "still registered");
                drop(reg);
                let after = catch_unwind(AssertUnwindSafe(|| {
                    a.alloc(0_u8);
                }));
                let msg = panic_message(&*after.expect_err("deregistered"));
                assert!(msg.contains("thread 'helper'"), "{msg}");
                // Registering again reuses the same arena.
                let again = a.register_thread();
                a.alloc(7_u16);
                drop(again);
                &*v
            })
            .expect("spawn")
            .join()
            .expect("helper thread")
    });
    // The value outlives the registration and the thread: the arena stays in the set.
    assert_eq!(*kept, 42);
    let stats = a.stats();
    let extra: Vec<_> = stats.iter().filter(|s| s.role == Role::Extra).collect();
    assert_eq!(extra.len(), 1, "{stats:?}");
    assert!(extra[0].label.contains("'helper'"), "{}", extra[0].label);
    assert_eq!(extra[0].used, 4 + 16 + 2);
    // Registering the driver is a harmless no-op.
    let r = a.register_thread();
    a.alloc(1_u8);
    drop(r);
    a.alloc(2_u8);
    assert_eq!(driver(&a.stats()).used, 2);
}

#[test]
fn any_thread_mode_gives_each_thread_one_arena_across_many_sets() {
    // More sets than the per-thread cache has ways, used alternately, from two threads.
    let sets: Vec<Arenas> = (0..6).map(|_| Arenas::for_any_thread()).collect();
    std::thread::scope(|s| {
        for t in 0..2_u32 {
            let sets = &sets;
            s.spawn(move || {
                for round in 0..3_u32 {
                    for (k, set) in sets.iter().enumerate() {
                        let v = set.alloc(t * 1000 + round * 10 + k as u32);
                        assert_eq!(*v, t * 1000 + round * 10 + k as u32);
                    }
                }
            });
        }
    });
    for set in &sets {
        let stats = set.stats();
        let extra: Vec<_> = stats.iter().filter(|s| s.role == Role::Extra).collect();
        assert_eq!(
            extra.len(),
            2,
            "one arena per thread, never duplicated: {stats:?}"
        );
        assert!(extra.iter().all(|s| s.used == 3 * 4));
    }
    // Stale entries of dropped sets, on a thread that outlives them, are checked by
    // `a_dropped_sets_cache_entries_never_match_a_new_set`.
}

#[test]
fn a_dropped_sets_cache_entries_never_match_a_new_set() {
    // One thread outlives several sets used in turn: each time its cache holds a pointer
    // into the previous set's (now freed) slots, and the new set is usually allocated at the
    // address the old one had. It must get a fresh arena in the new set every time, never
    // the freed slot its cache remembers (keyed by a never-reused set id, not an address).
    use std::sync::mpsc;
    let (to_worker, inbox) = mpsc::channel::<Arc<Arenas>>();
    let (to_main, outbox) = mpsc::channel::<u64>();
    let worker = std::thread::spawn(move || {
        for (round, set) in inbox.into_iter().enumerate() {
            let v = *set.alloc(round as u64 + 100);
            drop(set); // before answering, so that main holds the last reference
            to_main.send(v).expect("main waits");
        }
    });
    let mut addresses = Vec::new();
    for round in 0..4_u64 {
        let set = Arc::new(Arenas::for_any_thread());
        addresses.push(Arc::as_ptr(&set) as usize);
        to_worker.send(Arc::clone(&set)).expect("worker waits");
        assert_eq!(outbox.recv().expect("worker answers"), round + 100);
        let stats = set.stats();
        let extra: Vec<_> = stats.iter().filter(|s| s.role == Role::Extra).collect();
        assert_eq!(extra.len(), 1, "a fresh arena for the worker: {stats:?}");
        assert_eq!(extra[0].used, 8, "{stats:?}");
        let set = Arc::try_unwrap(set).expect("the worker dropped its clone");
        drop(set);
    }
    drop(to_worker);
    worker.join().expect("worker");
    eprintln!("set addresses by round: {addresses:x?}");
}

#[test]
fn moving_the_set_keeps_cached_slots_valid() {
    let a = Arenas::for_any_thread();
    let total = std::thread::spawn(move || {
        let first = *a.alloc(1_u32); // this thread's slot, now in its cache
        let boxed = Box::new(a); // move the set while the cache points into it
        let second = *boxed.alloc(2_u32); // cache hit through the moved set
        let stats = boxed.stats();
        assert_eq!(stats.iter().filter(|s| s.role == Role::Extra).count(), 1);
        first + second + boxed.total_used() as u32
    })
    .join()
    .expect("thread");
    assert_eq!(total, 1 + 2 + 8);
}

#[test]
fn moved_set_keeps_its_driver() {
    let a = Arenas::builder().build();
    a.alloc(1_u8);
    let handle = std::thread::spawn(move || {
        let r = catch_unwind(AssertUnwindSafe(|| {
            a.alloc(2_u8);
        }));
        (r.is_err(), a)
    });
    let (panicked, a) = handle.join().expect("join");
    assert!(panicked, "the new thread is not the driver");
    a.alloc(3_u8);
    assert_eq!(a.total_used(), 2);
}

#[test]
fn scratch_reset_caps_retained_capacity() {
    let (cap, big) = if cfg!(miri) {
        (4096, 16 * 1024)
    } else {
        (64 * 1024, 1 << 20)
    };
    let mut s = ScratchArenas::builder()
        .thread_policy(ThreadPolicy::AnyThread)
        .max_retained_per_thread(cap)
        .build();
    // Small pass: its chunk is kept across reset.
    for k in 0..32_u64 {
        s.alloc(k);
    }
    let before = driver(&s.stats()).capacity;
    assert!(before > 0);
    s.reset();
    let st = s.stats();
    assert_eq!(driver(&st).used, 0);
    assert_eq!(driver(&st).capacity, before, "a small chunk is retained");
    // Big pass: the chunk exceeds the cap and is dropped at reset.
    let v = vec![9_u8; big];
    assert_eq!(s.alloc_slice_copy(&v).len(), big);
    assert!(s.total_capacity() >= big);
    // A big inexact iterator grows the reusable scratch buffer past its keep bound too.
    let spill = s.alloc_from_iter((0..big as u32 / 4).filter(|_| true));
    assert_eq!(spill.len(), big / 4);
    s.reset();
    let st = s.stats();
    assert!(driver(&st).capacity <= cap, "{st:?}");
    assert_eq!(s.total_used(), 0);
    // Still usable after reset.
    assert_eq!(s.alloc_str("again"), "again");
}

#[test]
#[cfg_attr(
    miri,
    ignore = "rayon pool: crossbeam-epoch casts integers to pointers, so this runs in the permissive Miri pass (ci/miri.sh)"
)]
fn scratch_reset_between_pool_passes() {
    let p = pool(2);
    let mut s = ScratchArenas::new(Arc::clone(&p));
    for pass in 0..3_u32 {
        let sum: u32 = p.install(|| {
            (0..16_u32)
                .into_par_iter()
                .map(|i| {
                    s.alloc_from_iter((0..4).map(|k| k + i + pass))
                        .iter()
                        .sum::<u32>()
                })
                .sum()
        });
        assert_eq!(sum, (0..16).map(|i| 6 + 4 * (i + pass)).sum::<u32>());
        assert_eq!(s.total_used(), 16 * 16);
        s.reset();
        assert_eq!(s.total_used(), 0);
    }
}

#[test]
fn stats_used_versus_capacity() {
    let a = Arenas::for_any_thread();
    let st = a.stats();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].label, "driver");
    assert_eq!((st[0].used, st[0].capacity), (0, 0));
    a.alloc(1_u8);
    a.alloc(2_u64); // 7 bytes of padding below the `u8` align it: they count as used
    a.alloc_str("abc");
    let st = a.stats();
    assert_eq!(st[0].used, 1 + 7 + 8 + 3);
    assert!(
        st[0].capacity > st[0].used,
        "a chunk is bigger than its contents: {:?}",
        st[0]
    );
    assert_eq!(a.total_used(), 19);
    assert_eq!(a.total_capacity(), st[0].capacity);
    // `local()` allocations are the caller's business: capacity, not used.
    a.local().alloc(5_u32);
    assert_eq!(a.total_used(), 19);
    assert!(format!("{a:?}").contains("total_used: 19"));
}

#[test]
fn initial_capacity_is_preallocated() {
    let a = Arenas::builder()
        .thread_policy(ThreadPolicy::AnyThread)
        .initial_capacity_per_thread(8192)
        .build();
    assert!(a.total_capacity() >= 8192);
    assert_eq!(a.total_used(), 0);
}

#[test]
fn alloc_from_iter_with_exact_inexact_and_lying_hints() {
    let a = Arenas::for_any_thread();
    // Exact (Vec's iterator), inexact (filter), long enough to spill the 256-byte inline
    // scratch.
    let n = if cfg!(miri) { 200 } else { 5000 };
    let exact = a.alloc_from_iter((0..n).collect::<Vec<u32>>());
    assert!(exact.iter().copied().eq(0..n));
    let inexact = a.alloc_from_iter((0..n).filter(|k| k % 3 == 0));
    assert!(inexact.iter().copied().eq((0..n).filter(|k| k % 3 == 0)));
    // Hints that lie: too high and too low.
    let high = a.alloc_from_iter(Lying { left: 3, claim: 10 });
    assert_eq!(high, &[2, 1, 0]);
    let low = a.alloc_from_iter(Lying { left: 40, claim: 5 });
    assert!(low.iter().copied().eq((0..40).rev()));
    let zero_claim = a.alloc_from_iter(Lying { left: 2, claim: 0 });
    assert_eq!(zero_claim, &[1, 0]);
}

#[test]
fn alloc_from_iter_is_reentrant() {
    let a = Arenas::for_any_thread();
    let outer = a.alloc_from_iter((0..20_u32).filter(|_| true).map(|i| {
        // The iterator allocates in the same arena, including a nested collect that must
        // not share the outer call's scratch buffer.
        let inner = a.alloc_from_iter((0..i).filter(|k| k % 2 == 0));
        a.alloc(i);
        inner.len() as u32
    }));
    assert!(outer.iter().copied().eq((0..20_u32).map(|i| i.div_ceil(2))));
}

#[test]
fn panicking_iterators_neither_corrupt_nor_leak() {
    let a = Arenas::for_any_thread();
    let n: u32 = if cfg!(miri) { 100 } else { 10_000 };
    for (label, exact) in [("inexact", false), ("exact", true)] {
        let r = catch_unwind(AssertUnwindSafe(|| {
            let it = (0..n).inspect(|&i| assert!(i != n - 7, "boom at {i}"));
            if exact {
                a.alloc_from_iter(it).len()
            } else {
                a.alloc_from_iter(it.filter(|_| true)).len()
            }
        }));
        let msg = panic_message(&*r.expect_err(label));
        assert!(msg.contains("boom"), "{msg}");
        // The scratch buffer was released: the next collect works and is independent.
        let ok = a.alloc_from_iter((0..n).filter(|k| k % 2 == 1));
        assert_eq!(ok.len(), usize::try_from(n).unwrap() / 2);
        assert!(ok.iter().all(|k| k % 2 == 1));
    }
    // A panic inside a nested collect, caught by the outer iterator's closure.
    let outer = a.alloc_from_iter((0..5_u32).filter(|_| true).inspect(|_| {
        let r = catch_unwind(AssertUnwindSafe(|| {
            a.alloc_from_iter(
                (0..50_u32)
                    .filter(|_| true)
                    .inspect(|&k| assert!(k != 30, "inner boom")),
            )
            .len()
        }));
        assert!(r.is_err());
    }));
    assert_eq!(outer, &[0, 1, 2, 3, 4]);
}

#[test]
fn raw_layout_blocks_are_counted_and_aligned() {
    use std::alloc::Layout;
    let a = Arenas::builder()
        .thread_policy(ThreadPolicy::AnyThread)
        .limit_per_thread(2048)
        .build();
    let layout = Layout::from_size_align(24, 32).expect("layout");
    let p = a.alloc_layout(layout);
    assert_eq!(p.as_ptr().addr() % 32, 0);
    // SAFETY: a fresh block of 24 writable bytes.
    unsafe { p.as_ptr().write_bytes(0xAB, 24) };
    // SAFETY: just written.
    assert_eq!(unsafe { *p.as_ptr().add(23) }, 0xAB);
    let zero = a.alloc_layout(Layout::from_size_align(0, 64).expect("layout"));
    assert_eq!(zero.as_ptr().addr() % 64, 0);
    // Alignment padding counts as used: 24 bytes and less than 32 of padding.
    let used = a.total_used();
    assert!((24..24 + 32).contains(&used), "{used}");
    let err = a
        .try_alloc_layout(Layout::from_size_align(4096, 8).expect("layout"))
        .expect_err("over the limit");
    assert_eq!(err.kind(), AllocErrorKind::LimitExceeded);
    assert_eq!((err.requested_size(), err.requested_align()), (4096, 8));
}

#[test]
fn local_arena_handle_counts_and_outlives_itself() {
    let a = Arenas::builder()
        .thread_policy(ThreadPolicy::AnyThread)
        .limit_per_thread(1024)
        .build();
    let kept: &[u16] = {
        let here = a.local_arena();
        let x = here.alloc(5_u64);
        let s = here.alloc_slice_copy(&[1_u16, 2, 3]);
        assert_eq!(here.try_alloc_str("ab").expect("fits"), "ab");
        assert_eq!(here.used(), 8 + 6 + 2);
        assert_eq!(*x, 5);
        let err = here.try_alloc_slice_copy(&[0_u8; 4096]).expect_err("limit");
        assert_eq!(err.kind(), AllocErrorKind::LimitExceeded);
        assert!(format!("{here:?}").contains("driver"));
        s
    };
    // The slice borrows the set, not the handle.
    assert_eq!(kept, &[1, 2, 3]);
    assert_eq!(a.total_used(), 16);
    // A handle obtained on another thread is that thread's arena.
    std::thread::scope(|s| {
        s.spawn(|| {
            let there = a.local_arena();
            there.alloc_from_iter((0..4_u32).filter(|_| true));
            assert_eq!(there.used(), 16);
            assert!(std::ptr::eq(there.bump(), a.local()));
        });
    });
    assert_eq!(a.total_used(), 32);
}

/// The capacity mirror is refreshed only when a counted allocation may have taken a new chunk
/// (see `note_alloc`); check it against the `Bump` itself after every step of a pseudo-random
/// mix of sizes, alignments and resets.
#[test]
fn capacity_mirror_tracks_the_bump_exactly() {
    use std::alloc::Layout;
    let mut s = ScratchArenas::builder()
        .thread_policy(ThreadPolicy::AnyThread)
        .max_retained_per_thread(2048)
        .build();
    let steps = if cfg!(miri) { 300 } else { 20_000 };
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // xorshift64
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for step in 0..steps {
        let r = next();
        match r % 8 {
            0 => {
                s.alloc(r as u8);
            }
            1 => {
                s.alloc(u128::from(r));
            }
            2 => {
                s.alloc(Align64(r as u8));
            }
            3 => {
                let len = (r >> 8) as usize % 300;
                s.alloc_slice_copy(&vec![r as u16; len]);
            }
            4 => {
                let n = (r >> 8) as u32 % 50;
                s.alloc_from_iter((0..n).filter(|k| k % 2 == 0));
            }
            5 => {
                // Size below alignment: the one case where padding can exceed the size.
                let align = 1 << ((r >> 8) % 8);
                s.alloc_layout(Layout::from_size_align(1, align).expect("layout"));
            }
            6 if (r >> 8) % 16 == 0 => s.reset(),
            _ => {
                let len = (r >> 8) as usize % 40;
                s.alloc_str(&"x".repeat(len));
            }
        }
        let mirrored = driver(&s.stats()).capacity;
        assert_eq!(mirrored, s.local().allocated_bytes(), "step {step}");
    }
}

#[test]
fn stats_read_by_another_thread_across_window_switches() {
    // One thread allocates through many window switches (windows start at 256 bytes) while
    // another reads `used`: every read is a value the owner's count passed through (a read
    // mixing two windows' pointer and base would be far off), and it never goes down.
    let n = if cfg!(miri) { 300 } else { 20_000 };
    let a = Arenas::for_any_thread();
    let done = std::sync::atomic::AtomicBool::new(false);
    let samples = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut samples = vec![a.total_used()];
            // Relaxed: a stop flag; the samples are checked on their own.
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                samples.push(a.total_used());
            }
            samples.push(a.total_used());
            samples
        });
        s.spawn(|| {
            for i in 0..n {
                a.alloc(i as u64);
            }
            // Relaxed: see the load above.
            done.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        reader.join().expect("reader")
    });
    assert_eq!(a.total_used(), n * 8);
    assert!(
        samples.iter().all(|&u| u % 8 == 0 && u <= n * 8),
        "{samples:?}"
    );
    assert!(samples.windows(2).all(|w| w[0] <= w[1]), "{samples:?}");
}
