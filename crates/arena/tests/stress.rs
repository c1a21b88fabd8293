//! Hardware-scale runs of the properties `tests/arena.rs` checks in small (also under Miri):
//! every value reads back as written while all workers allocate at once, `used` adds up
//! exactly (and only grows while another thread samples it), and every thread gets exactly
//! one arena. Ignored by default:
//!
//! ```text
//! cargo test -p tern-arena --release --test stress -- --ignored
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use tern_arena::{Arenas, Role, ScratchArenas, ThreadPolicy};

fn scale(n: usize) -> usize {
    if cfg!(miri) { n / 1000 } else { n }
}

fn pool() -> Arc<rayon::ThreadPool> {
    let n = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("pool"),
    )
}

/// The values item `i` stores: a length that varies, contents tied to `i`.
fn pattern(i: usize) -> impl Iterator<Item = u32> {
    (0..i % 23).map(move |k| (i as u32).wrapping_mul(31).wrapping_add(k as u32))
}

#[test]
#[ignore = "stress: run with --ignored (release)"]
fn all_workers_allocate_at_once_and_everything_reads_back() {
    let p = pool();
    let a = Arenas::new(Arc::clone(&p));
    let n = scale(400_000);
    let items: Vec<(&[u32], &str, &u64)> = p.install(|| {
        (0..n)
            .into_par_iter()
            .with_max_len(64)
            .map(|i| {
                let here = a.local_arena();
                let inexact = here.alloc_from_iter(pattern(i).filter(|_| true));
                let name = a.alloc_str(&i.to_string());
                let tag = a.alloc(i as u64 * 3);
                (&*inexact, &*name, &*tag)
            })
            .collect()
    });
    // Read everything back, on all workers, while nothing else allocates.
    let bad = p.install(|| {
        items
            .par_iter()
            .enumerate()
            .filter(|(i, (s, name, tag))| {
                !s.iter().copied().eq(pattern(*i))
                    || name.parse::<usize>() != Ok(*i)
                    || **tag != *i as u64 * 3
            })
            .count()
    });
    assert_eq!(bad, 0);
    // `used` counts alignment padding: at most 3 bytes before each `u32` slice and 7 before
    // each `u64` (strings need none).
    let requested: usize = (0..n).map(|i| (i % 23) * 4 + i.to_string().len() + 8).sum();
    let used = a.total_used();
    assert!(
        (requested..=requested + n * (3 + 7)).contains(&used),
        "used {used}, requested {requested}"
    );
    let busy = a
        .stats()
        .iter()
        .filter(|s| matches!(s.role, Role::Worker(_)) && s.used > 0)
        .count();
    assert!(busy >= 1);
}

#[test]
#[ignore = "stress: run with --ignored (release)"]
fn scratch_passes_with_reset_between() {
    let p = pool();
    let mut s = ScratchArenas::builder()
        .pool(Arc::clone(&p))
        .max_retained_per_thread(1 << 20)
        .build();
    let n = scale(100_000);
    for pass in 0..20_usize {
        let sum: u64 = p.install(|| {
            (0..n)
                .into_par_iter()
                .map(|i| {
                    let v = s.alloc_from_iter(pattern(i + pass));
                    v.iter().map(|&x| u64::from(x)).sum::<u64>()
                })
                .sum()
        });
        let expected: u64 = (0..n)
            .map(|i| pattern(i + pass).map(u64::from).sum::<u64>())
            .sum();
        assert_eq!(sum, expected, "pass {pass}");
        s.reset();
        assert_eq!(s.total_used(), 0);
        assert!(s.stats().iter().all(|st| st.capacity <= 1 << 20));
    }
}

#[test]
#[ignore = "stress: run with --ignored (release)"]
fn thread_churn_gives_one_arena_per_thread() {
    let a = Arenas::builder()
        .thread_policy(ThreadPolicy::AnyThread)
        .build();
    let rounds = 20;
    let per_round = 8;
    for round in 0..rounds {
        std::thread::scope(|s| {
            for t in 0..per_round {
                let a = &a;
                s.spawn(move || {
                    for k in 0..scale(10_000) {
                        let v = a.alloc((round * 1000 + t) as u64 + k as u64);
                        assert_eq!(*v, (round * 1000 + t) as u64 + k as u64);
                    }
                });
            }
        });
    }
    let extra = a.stats().iter().filter(|s| s.role == Role::Extra).count();
    assert_eq!(extra, rounds * per_round);
    assert_eq!(a.total_used(), rounds * per_round * scale(10_000) * 8);
}

#[test]
#[ignore = "stress: run with --ignored (release)"]
fn used_only_grows_while_sampled_and_adds_up() {
    // One worker fewer than the cores, so that the sampler runs beside the allocations.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let p = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(cores - 1)
            .build()
            .expect("pool"),
    );
    let a = Arenas::new(Arc::clone(&p));
    let n = scale(10_000_000);
    let (started, done) = (AtomicBool::new(false), AtomicBool::new(false));
    let samples = std::thread::scope(|s| {
        let sampler = s.spawn(|| {
            let mut samples = Vec::new();
            // Relaxed (both flags, here and below): start and stop signals; the values
            // sampled are checked on their own.
            started.store(true, Ordering::Relaxed);
            while !done.load(Ordering::Relaxed) {
                samples.push(a.total_used());
            }
            samples
        });
        while !started.load(Ordering::Relaxed) {
            std::hint::spin_loop();
        }
        p.install(|| {
            (0..n).into_par_iter().for_each(|i| {
                a.alloc(i as u64);
            });
        });
        done.store(true, Ordering::Relaxed);
        sampler.join().expect("sampler")
    });
    // One alignment only, so no padding: the total is exact. Every window switch happened
    // while the sampler read (a torn read would show a jump far outside this range).
    assert_eq!(a.total_used(), n * 8);
    assert!(
        samples.iter().all(|&u| u <= n * 8),
        "a sample above the total"
    );
    let mut distinct = samples.clone();
    distinct.dedup();
    assert!(
        distinct.len() > 10,
        "the sampler must run during the allocations"
    );
    // Per arena `used` only grows; the sum of snapshots taken one arena after another can
    // only grow too.
    assert!(
        samples.windows(2).all(|w| w[0] <= w[1]),
        "a sample went down"
    );
}
