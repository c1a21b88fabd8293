//! loom models: every interleaving (up to `LOOM_MAX_PREEMPTIONS`) of small scenarios.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p tern-quiesce
//! --test loom` (or `scripts/loom.sh`).
//!
//! The payload is a node in a pool that outlives the model; "freeing" a node writes
//! `POISON` into its loom `UnsafeCell`. A reader reads the cell, so an early free is caught
//! twice: loom reports the write/read pair as a causality violation when the free does not
//! happen-after the read, and the reader's assertion sees `POISON` when it does.
//!
//! These models can fail. Each of these deliberate breakages of the crate was caught
//! (2026-11-25, `LOOM_MAX_PREEMPTIONS=2`), and the crate restored:
//! - a batch runs when its tag equals the horizon (`tag <= h` instead of `tag < h`):
//!   9 of the 11 models fail;
//! - the batch tag taken from the retirer's own announced period (its local view, the
//!   housekeeping class of bug) instead of the global period read after the fence:
//!   `housekeeping_sequence_reader_in_new_period` fails;
//! - no `SeqCst` fence before the period is read when sealing:
//!   `housekeeping_sequence_b_offline`, `try_reclaim_races_registration_and_retire` and
//!   `two_writers_one_reader_two_windows` fail;
//! - the horizon not capped at the period read before the scan:
//!   `try_reclaim_races_registration_and_retire` fails.
#![cfg(loom)]
#![allow(
    clippy::many_single_char_names,
    reason = "the models name participants A, B, R as the bug report does"
)]

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicPtr, Ordering};
use loom::thread;
use tern_quiesce::{Collector, Participant};

const LIVE: usize = 1;
const POISON: usize = 0xDEAD;

struct Node {
    val: UnsafeCell<usize>,
}

// SAFETY: the cell is read by readers and written once, by the free; the property under
// test is exactly that the free happens-after every read, and loom checks each such pair
// (a missing happens-before is reported as a causality violation).
unsafe impl Sync for Node {}
// SAFETY: as above; the cell holds a plain `usize`.
unsafe impl Send for Node {}

/// Nodes that live as long as the model; freeing one poisons it.
struct Pool {
    nodes: Vec<Node>,
}

impl Pool {
    fn new(n: usize) -> Arc<Self> {
        Arc::new(Pool {
            nodes: (0..n)
                .map(|_| Node {
                    val: UnsafeCell::new(LIVE),
                })
                .collect(),
        })
    }
    fn ptr(&self, i: usize) -> *mut Node {
        std::ptr::from_ref(&self.nodes[i]).cast_mut()
    }
    fn is_freed(&self, i: usize) -> bool {
        // SAFETY: called after every thread joined (no concurrent access).
        self.nodes[i].val.with(|v| unsafe { *v }) == POISON
    }
}

/// The retired object: dropping it frees (poisons) node `idx`, exactly once.
struct Handle {
    pool: Arc<Pool>,
    idx: usize,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.pool.nodes[self.idx].val.with_mut(|v| {
            // SAFETY: loom checks this write against every read (causality).
            let old = unsafe { std::ptr::replace(v, POISON) };
            assert_eq!(old, LIVE, "node {} freed twice", self.idx);
        });
    }
}

/// Reads `node` through the participant's protection; panics if it was freed.
fn read(node: &Node) {
    // SAFETY: loom checks this read against the poisoning write.
    let v = node.val.with(|v| unsafe { *v });
    assert_eq!(v, LIVE, "read a freed node");
}

/// Loads the current node.
fn load<'p>(p: &'p Participant<'_>, shared: &AtomicPtr<Node>) -> &'p Node {
    // SAFETY: `shared` only ever holds pointers into a pool that outlives the model, and a
    // node is "freed" only by retiring its `Handle` after it was swapped out.
    unsafe { p.protect(shared) }.expect("never null")
}

/// Swaps node `new` in and retires the old one (which must be node `old`).
fn replace(
    p: &mut Participant<'_>,
    pool: &Arc<Pool>,
    shared: &AtomicPtr<Node>,
    old: usize,
    new: usize,
) {
    // AcqRel: the unlink; Release publishes node `new` to readers, Acquire pairs with the swap
    // that published node `old`.
    let prev = shared.swap(pool.ptr(new), Ordering::AcqRel);
    assert_eq!(prev, pool.ptr(old));
    p.retire(Box::new(Handle {
        pool: Arc::clone(pool),
        idx: old,
    }));
}

fn setup(nodes: usize) -> (Arc<Pool>, Arc<Collector>, Arc<AtomicPtr<Node>>) {
    let pool = Pool::new(nodes);
    let shared = Arc::new(AtomicPtr::new(pool.ptr(0)));
    (pool, Arc::new(Collector::with_batch_size(2)), shared)
}

/// (1) A writer swaps the pointer and retires the old node while two readers read it.
#[test]
fn writer_retires_while_two_readers_read() {
    loom::model(|| {
        let (pool, c, shared) = setup(2);
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (c, shared) = (Arc::clone(&c), Arc::clone(&shared));
                thread::spawn(move || {
                    let mut r = c.register();
                    let n = load(&r, &shared);
                    read(n);
                    thread::yield_now();
                    read(n);
                    r.quiescent();
                })
            })
            .collect();
        {
            let mut w = c.register();
            replace(&mut w, &pool, &shared, 0, 1);
            w.quiescent();
            w.quiescent();
        }
        for r in readers {
            r.join().unwrap();
        }
        let mut c = Arc::try_unwrap(c).expect("all participants gone");
        c.checkpoint();
        assert!(pool.is_freed(0) && !pool.is_freed(1));
    });
}

/// (2) The housekeeping sequence (listed in the crate docs): A and B register; A passes a quiescent
/// state; R registers and loads p; A swaps p out, retires it and fills a batch; B passes a
/// quiescent state; A retires more and passes quiescent states; R reads p again.
///
/// A and B are two participants of the main thread (program order fixes their part of the
/// sequence, exactly as in the bug report); R is a thread racing all of it, so loom also
/// runs the order in which R loaded p before A swapped it out.
fn housekeeping(variant: Variant) {
    loom::model(move || {
        let (pool, c, shared) = setup(2);
        let mut a = c.register_named("A");
        let mut b = c.register_named("B");
        let spawn_r = || {
            let (c, shared) = (Arc::clone(&c), Arc::clone(&shared));
            thread::spawn(move || {
                let mut r = c.register_named("R");
                let n = load(&r, &shared);
                read(n);
                thread::yield_now();
                read(n);
                r.quiescent();
            })
        };
        let early_r = (variant == Variant::EarlyReader).then(spawn_r);
        a.quiescent();
        if variant == Variant::ReaderInNewPeriod {
            // A seals a batch first, so the period moves on and R registers in a period A
            // has not announced yet: a tag taken from A's own view (the housekeeping class
            // of bug) would then be older than R's announcement.
            a.retire_with((), |()| {});
            a.flush();
        }
        let r = early_r.unwrap_or_else(spawn_r);
        // A swaps p out, retires it and fills (or flushes) a batch of two.
        replace(&mut a, &pool, &shared, 0, 1);
        if variant == Variant::Flush {
            a.flush();
        } else {
            a.retire_with((), |()| {});
        }
        // B's quiescent state (or B going offline for good) ends the "old phase".
        let mut b = if variant == Variant::BOffline {
            Err(b.offline())
        } else {
            b.quiescent();
            Ok(b)
        };
        // A retires more, fills another batch, passes quiescent states.
        a.retire_with((), |()| {});
        a.retire_with((), |()| {});
        a.quiescent();
        if let Ok(b) = &mut b {
            b.quiescent();
        }
        a.quiescent();
        r.join().unwrap();
        drop((a, b));
        let mut c = Arc::try_unwrap(c).expect("all participants gone");
        c.checkpoint();
        assert!(pool.is_freed(0));
    });
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    AsReported,
    BOffline,
    Flush,
    EarlyReader,
    ReaderInNewPeriod,
}

#[test]
fn housekeeping_sequence() {
    housekeeping(Variant::AsReported);
}

#[test]
fn housekeeping_sequence_b_offline() {
    housekeeping(Variant::BOffline);
}

#[test]
fn housekeeping_sequence_flush() {
    housekeeping(Variant::Flush);
}

#[test]
fn housekeeping_sequence_early_reader() {
    housekeeping(Variant::EarlyReader);
}

#[test]
fn housekeeping_sequence_reader_in_new_period() {
    housekeeping(Variant::ReaderInNewPeriod);
}

/// (3) A reader toggles offline/online around a retire; while online it must never see a
/// freed node, and going offline lets the writer's garbage run.
#[test]
fn offline_online() {
    loom::model(|| {
        let (pool, c, shared) = setup(3);
        let reader = {
            let (c, shared) = (Arc::clone(&c), Arc::clone(&shared));
            thread::spawn(move || {
                let r = c.register();
                read(load(&r, &shared));
                let away = r.offline();
                let r = away.online();
                let n = load(&r, &shared);
                read(n);
                thread::yield_now();
                read(n);
            })
        };
        let mut w = c.register();
        replace(&mut w, &pool, &shared, 0, 1);
        w.quiescent();
        replace(&mut w, &pool, &shared, 1, 2);
        w.quiescent();
        w.quiescent();
        reader.join().unwrap();
        drop(w);
        let mut c = Arc::try_unwrap(c).expect("all participants gone");
        c.checkpoint();
        assert!(pool.is_freed(0) && pool.is_freed(1) && !pool.is_freed(2));
    });
}

/// (4) Registration and unregistration race a grace period: one reader registers, reads
/// and unregisters (its drop hands nothing over but leaves the registry); another
/// registers late; the writer retires and waits with `synchronize`.
#[test]
fn registration_races_grace_period() {
    loom::model(|| {
        let (pool, c, shared) = setup(2);
        let early = {
            let (c, shared) = (Arc::clone(&c), Arc::clone(&shared));
            thread::spawn(move || {
                let r = c.register();
                let n = load(&r, &shared);
                read(n);
                thread::yield_now();
                read(n);
                drop(r);
            })
        };
        let late = {
            let (c, shared) = (Arc::clone(&c), Arc::clone(&shared));
            thread::spawn(move || {
                let mut r = c.register();
                let n = load(&r, &shared);
                read(n);
                r.quiescent();
            })
        };
        let mut w = c.register();
        replace(&mut w, &pool, &shared, 0, 1);
        w.synchronize();
        // `synchronize` ran everything retired before it: node 0 is freed now.
        assert!(pool.is_freed(0));
        early.join().unwrap();
        late.join().unwrap();
        drop(w);
        drop(c);
    });
}

/// (5) Pass boundary: workers retire (one through the collector, one leaving its batch
/// behind at drop), join, then `checkpoint` frees everything exactly once with `&mut`.
#[test]
fn checkpoint_after_join() {
    loom::model(|| {
        let (pool, c, shared) = setup(3);
        let t = {
            let (c, shared, pool) = (Arc::clone(&c), Arc::clone(&shared), Arc::clone(&pool));
            thread::spawn(move || {
                let mut p = c.register();
                replace(&mut p, &pool, &shared, 0, 1);
                // Dropped with its batch open: handed over to the shared list.
            })
        };
        t.join().unwrap();
        // AcqRel: the unlink, as in `replace` (the join above orders the spawned thread's swap
        // before it).
        let old = shared.swap(pool.ptr(2), Ordering::AcqRel);
        assert_eq!(old, pool.ptr(1));
        c.retire(Box::new(Handle {
            pool: Arc::clone(&pool),
            idx: 1,
        }));
        let mut c = Arc::try_unwrap(c).expect("all participants gone");
        let freed = c.checkpoint();
        assert_eq!(freed.items, 2);
        assert!(pool.is_freed(0) && pool.is_freed(1) && !pool.is_freed(2));
        assert_eq!(c.checkpoint().items, 0, "nothing runs twice");
    });
}

/// (6) A scan that saw no participant must not license garbage retired after it: a reader
/// registers and loads `p` between `try_reclaim`'s scan and its taking of the shared
/// list, while `p` is unlinked and retired through the collector (the horizon is capped
/// at the period read before the scan).
#[test]
fn try_reclaim_races_registration_and_retire() {
    loom::model(|| {
        let (pool, c, shared) = setup(2);
        let reclaimer = {
            let c = Arc::clone(&c);
            thread::spawn(move || {
                c.try_reclaim();
            })
        };
        let reader = {
            let (c, shared) = (Arc::clone(&c), Arc::clone(&shared));
            thread::spawn(move || {
                let mut r = c.register();
                let n = load(&r, &shared);
                read(n);
                thread::yield_now();
                read(n);
                r.quiescent();
            })
        };
        // AcqRel: the unlink, as in `replace`; the reader's Acquire load (in `protect`) pairs
        // with it.
        let prev = shared.swap(pool.ptr(1), Ordering::AcqRel);
        assert_eq!(prev, pool.ptr(0));
        c.retire(Box::new(Handle {
            pool: Arc::clone(&pool),
            idx: 0,
        }));
        reclaimer.join().unwrap();
        reader.join().unwrap();
        let mut c = Arc::try_unwrap(c).expect("all participants gone");
        c.checkpoint();
        assert!(pool.is_freed(0));
    });
}

/// Swaps node `new` in and retires whatever came out.
fn swap_retire(p: &mut Participant<'_>, pool: &Arc<Pool>, shared: &AtomicPtr<Node>, new: usize) {
    // AcqRel: the unlink, as in `replace`.
    let prev = shared.swap(pool.ptr(new), Ordering::AcqRel);
    // SAFETY: every pointer in `shared` points into `pool.nodes`.
    let idx = usize::try_from(unsafe { prev.offset_from(pool.ptr(0)) }).expect("in the pool");
    p.retire(Box::new(Handle {
        pool: Arc::clone(pool),
        idx,
    }));
}

/// (7) Two writers each swap and retire (in either order) while a reader reads in two
/// windows separated by a quiescent state; the second window may see any node.
#[test]
fn two_writers_one_reader_two_windows() {
    loom::model(|| {
        let (pool, c, shared) = setup(3);
        let reader = {
            let (c, shared) = (Arc::clone(&c), Arc::clone(&shared));
            thread::spawn(move || {
                let mut r = c.register();
                let n = load(&r, &shared);
                read(n);
                r.quiescent();
                let n = load(&r, &shared);
                thread::yield_now();
                read(n);
                r.quiescent();
            })
        };
        let writer = {
            let (c, shared, pool) = (Arc::clone(&c), Arc::clone(&shared), Arc::clone(&pool));
            thread::spawn(move || {
                let mut w = c.register();
                swap_retire(&mut w, &pool, &shared, 2);
                w.quiescent();
            })
        };
        {
            let mut w = c.register();
            swap_retire(&mut w, &pool, &shared, 1);
            w.quiescent();
        }
        reader.join().unwrap();
        writer.join().unwrap();
        let mut c = Arc::try_unwrap(c).expect("all participants gone");
        c.checkpoint();
        assert_eq!(c.stats().reclaimed_items, 2);
        let live = (0..3).filter(|&i| !pool.is_freed(i)).count();
        assert_eq!(live, 1, "exactly the node still linked is alive");
    });
}
