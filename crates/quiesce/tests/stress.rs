//! Randomised stress: threads × random read / swap+retire / quiescent / offline / flush /
//! synchronize / re-register actions on shared `AtomicPtr` slots.
//!
//! Checked: every retired node is dropped exactly once (a drop of a poisoned node fails,
//! and `created == dropped` at the end); no node is dropped while a participant that
//! loaded it is between quiescent states (every node a thread loaded is re-checked after
//! each of its actions: its `state` must still be `LIVE`; Miri reports such a
//! use-after-free directly); the allocator's live count is back to its baseline at the end.
//!
//! `small_stress` runs in `cargo test` and under Miri (sized by `cfg!(miri)`);
//! `hardware_stress` is `#[ignore]`d and run by `scripts/stress.sh` (duration from
//! `TERN_STRESS_SECS`, default 10; threads from `TERN_STRESS_THREADS`, default 4).
#![cfg(not(loom))]

use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tern_quiesce::{Collector, Participant};
use tern_tests::alloc::{CountingAlloc, track_this_thread};

// ---- a counting allocator ----
//
// It counts the blocks allocated by threads marked as ours (this test's threads, not the
// harness's) and not yet freed, whoever frees them (a thread's start-up block is freed by
// the new thread before it can mark itself, for example).

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::tracking_threads();

/// Blocks allocated by marked threads and not yet freed (read after the allocating threads
/// were joined).
fn live_blocks() -> usize {
    ALLOC.tracked_live_blocks()
}

/// Serialises the tests of this binary (the allocator count is process-wide).
static SERIAL: Mutex<()> = Mutex::new(());

// ---- the payload ----

const LIVE: u64 = 0x11FE_11FE_11FE_11FE;
const POISON: u64 = 0xDEAD_DEAD_DEAD_DEAD;
static CREATED: AtomicU64 = AtomicU64::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);

struct Node {
    id: u64,
    state: AtomicU64,
}

impl Node {
    fn boxed() -> *mut Node {
        // Relaxed: only distinct ids are needed.
        let id = CREATED.fetch_add(1, Ordering::Relaxed);
        Box::into_raw(Box::new(Node {
            id,
            state: AtomicU64::new(LIVE),
        }))
    }
    fn check(&self) {
        // Relaxed: a probe; if the crate ordered a free before this read, the drop's poison is
        // visible (and Miri reports the use-after-free itself). The crate's orderings are what
        // is being tested, so this adds none.
        let s = self.state.load(Ordering::Relaxed);
        assert_eq!(
            s, LIVE,
            "node {} used after its drop (state {s:#x})",
            self.id
        );
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // Relaxed: as in `check`; an RMW, so a second drop of the same node sees `POISON`.
        let s = self.state.swap(POISON, Ordering::Relaxed);
        assert_eq!(s, LIVE, "node {} dropped twice", self.id);
        // Relaxed: a count, read after the workers were joined.
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

/// A node pointer that may travel to the reclaiming thread.
struct SendPtr(*mut Node);
// SAFETY: the pointer is the unique owner of a `Node` (which is `Send`) once retired.
unsafe impl Send for SendPtr {}

/// # Safety
/// `free_raw(p)` is sound if and only if:
/// - `p` came from `Node::boxed` and is freed only by this call.
unsafe fn free_raw(p: *mut ()) {
    // SAFETY: the contract: a `Node::boxed` pointer, rebuilt once.
    drop(unsafe { Box::from_raw(p.cast::<Node>()) });
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

enum Budget {
    Ops(u64),
    Until(Instant),
}

struct Config {
    threads: u64,
    slots: usize,
    batch_size: usize,
    budget: fn() -> Budget,
    seed: u64,
}

/// One worker: random actions until the budget is spent.
fn worker(c: &Collector, slots: &[AtomicPtr<Node>], budget: &Budget, seed: u64) -> u64 {
    track_this_thread(true);
    let mut rng = Rng(seed | 1);
    let mut me: Participant<'_> = c.register_named(format!("worker-{seed}"));
    // Nodes loaded since this participant's last quiescent state (raw: the borrow checker
    // would end `protect` borrows at `retire`, but QSBR keeps them alive until the next
    // quiescent state, which is exactly what this test checks).
    let mut held: Vec<*const Node> = Vec::with_capacity(16);
    let mut ops = 0u64;
    loop {
        match budget {
            Budget::Ops(n) if ops >= *n => break,
            Budget::Until(t) if ops.is_multiple_of(64) && Instant::now() >= *t => break,
            _ => {}
        }
        ops += 1;
        let slot = &slots[rng.below(slots.len() as u64) as usize];
        match rng.below(100) {
            0..45 => {
                // SAFETY: slots hold only `Node::boxed` pointers, published by
                // `swap(AcqRel)` and retired to `c` after being swapped out.
                let n = unsafe { me.protect(slot) }.expect("slots are never null");
                n.check();
                if held.len() == held.capacity() {
                    held.swap_remove(rng.below(held.len() as u64) as usize);
                }
                held.push(std::ptr::from_ref(n));
            }
            45..65 => {
                // AcqRel: the unlink; Release publishes the new node, Acquire pairs with the
                // swap that published the old one.
                let old = slot.swap(Node::boxed(), Ordering::AcqRel);
                match rng.below(4) {
                    // SAFETY: `old` came from `Node::boxed` and the swap unlinked it.
                    0 => me.retire(unsafe { Box::from_raw(old) }),
                    1 => me.retire_with(SendPtr(old), |p| {
                        // SAFETY: unlinked, from `Node::boxed`, freed once (here).
                        drop(unsafe { Box::from_raw(p.0) });
                    }),
                    // SAFETY: unlinked; `free_raw` frees a `Node::boxed` pointer once.
                    2 => unsafe { me.retire_raw(old.cast(), free_raw, size_of::<Node>()) },
                    // SAFETY: as in 0.
                    _ => c.retire(unsafe { Box::from_raw(old) }),
                }
            }
            65..85 => {
                held.clear();
                me.quiescent();
            }
            85..91 => {
                held.clear();
                // The blocking step runs offline: by value, or under `&mut` with a closure.
                if rng.below(2) == 0 {
                    let away = me.offline();
                    if rng.below(4) == 0 {
                        std::thread::yield_now();
                    }
                    me = away.online();
                } else {
                    me.offline_while(|| {
                        if rng.below(4) == 0 {
                            std::thread::yield_now();
                        }
                    });
                }
            }
            91..94 => me.flush(),
            94..95 => {
                held.clear();
                me.synchronize();
            }
            95..96 => {
                held.clear();
                drop(me);
                me = c.register_named(format!("worker-{seed}-{ops}"));
            }
            96..97 => {
                c.try_reclaim();
            }
            _ => {
                let _ = c.has_elapsed(c.cookie());
                let _ = c.stats();
            }
        }
        for &n in &held {
            // SAFETY: loaded by `me` since its last quiescent state, and `me` has stayed
            // online since (every action that ends that window clears `held`).
            unsafe { (*n).check() };
        }
    }
    drop(me);
    // The thread stays tracked: what the spawning thread allocated for this thread is freed as
    // this thread exits.
    ops
}

fn run(cfg: &Config) {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    track_this_thread(true);
    // Relaxed (all three): reset and read under `SERIAL`, before the workers start (the spawn
    // orders them).
    CREATED.store(0, Ordering::Relaxed);
    DROPPED.store(0, Ordering::Relaxed);
    let baseline = live_blocks();
    let mut c = Collector::with_batch_size(cfg.batch_size);
    let slots: Vec<AtomicPtr<Node>> = (0..cfg.slots)
        .map(|_| AtomicPtr::new(Node::boxed()))
        .collect();
    let budget = (cfg.budget)();
    let ops: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cfg.threads)
            .map(|t| {
                let (c, slots, budget) = (&c, &slots[..], &budget);
                let seed = cfg.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (t + 1);
                s.spawn(move || worker(c, slots, budget, seed))
            })
            .collect();
        // Explicit joins wait for each thread's exit (thread-locals freed included).
        handles
            .into_iter()
            .map(|h| h.join().expect("worker panicked"))
            .sum()
    });
    for slot in &slots {
        // AcqRel: the final unlink, as in `worker`.
        let last = slot.swap(std::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: unlinked by the swap; from `Node::boxed`; no participant is left.
        c.retire(unsafe { Box::from_raw(last) });
    }
    c.checkpoint();
    let stats = c.stats();
    assert_eq!(stats.retired_items, stats.reclaimed_items, "{stats:?}");
    assert_eq!(stats.pending_items, 0);
    assert_eq!(stats.participants, 0);
    drop(c);
    drop(slots);
    let (created, dropped) = (
        // Relaxed (both): read after every worker was joined, and after `checkpoint` and
        // `drop(c)` ran the last destructors on this thread.
        CREATED.load(Ordering::Relaxed),
        DROPPED.load(Ordering::Relaxed),
    );
    assert_eq!(created, dropped, "every node dropped exactly once");
    assert!(ops > 0 && created > cfg.slots as u64);
    assert_eq!(live_blocks(), baseline, "allocator back to its baseline");
    track_this_thread(false);
    eprintln!(
        "stress: {} threads, {ops} ops, {created} nodes, {} grace periods, batch {}",
        cfg.threads, stats.grace_periods_completed, cfg.batch_size
    );
}

/// The leak check itself can fail: a block leaked on a spawned thread is seen.
#[test]
fn allocator_check_sees_a_leak() {
    struct Leak(*mut u64);
    // SAFETY: the unique owner of a `u64` box.
    unsafe impl Send for Leak {}
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    track_this_thread(true);
    let before = live_blocks();
    let leaked = std::thread::scope(|s| {
        s.spawn(|| {
            track_this_thread(true);
            Leak(Box::into_raw(Box::new(5u64)))
        })
        .join()
        .unwrap()
    });
    assert_eq!(live_blocks() - before, 1);
    // SAFETY: from `Box::into_raw` just above, freed once.
    drop(unsafe { Box::from_raw(leaked.0) });
    assert_eq!(live_blocks() - before, 0);
    track_this_thread(false);
}

#[test]
fn small_stress() {
    fn budget() -> Budget {
        Budget::Ops(if cfg!(miri) { 300 } else { 5_000 })
    }
    for (i, batch) in [1usize, 4, 64].into_iter().enumerate() {
        run(&Config {
            threads: if cfg!(miri) { 3 } else { 4 },
            slots: 4,
            batch_size: batch,
            budget,
            seed: 7 + i as u64,
        });
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore = "long; run by scripts/stress.sh (TERN_STRESS_SECS, TERN_STRESS_THREADS)"]
fn hardware_stress() {
    fn budget() -> Budget {
        let secs = env_u64("TERN_STRESS_SECS", 10);
        // Three rounds (batch sizes) share the duration.
        Budget::Until(Instant::now() + Duration::from_millis(secs * 1000 / 3))
    }
    let threads = env_u64("TERN_STRESS_THREADS", 4);
    let seed = env_u64("TERN_STRESS_SEED", 0x7E57);
    eprintln!("stress: seed {seed} (TERN_STRESS_SEED)");
    for (i, batch) in [2usize, 8, 64].into_iter().enumerate() {
        run(&Config {
            threads,
            slots: 8,
            batch_size: batch,
            budget,
            seed: seed + i as u64,
        });
    }
}
