//! loom models of the interner's concurrency core. Run with `scripts/loom.sh` (or
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p tern-intern --test loom`).
//!
//! Every model starts from a table of 4 slots (growth at 3 entries) and no pre-interned
//! symbols, so that two or three inserts force a resize inside the model.
//!
//! Allocation under loom: string nodes go to tern-arena's per-thread `Bump`s, unchanged. loom
//! runs its threads as coroutines on one OS thread, so they share that thread's arena; they
//! never run at the same time and `Bump` has no loom-visible operation, so each allocation is
//! atomic with respect to the model. The per-thread hit counters are likewise shared (they are
//! std atomics that publish nothing). Everything that synchronises (slots, `next`, `current`,
//! id-table entries and segments, counters that gate growth, the spare-id lock, the collector)
//! is a loom type.
//!
//! Freed tables: under loom a table handed to `free` becomes a tombstone whose loom cell every
//! slot access reads, so a probe that a free does not happen-after is a causality violation.
//! Mutation check: retiring a reader's outgrown table by freeing it at once (instead of
//! handing it to the collector) fails `two_tasks_a_growth_a_reclaim_and_a_reader_mid_probe`
//! with "Causality violation: Concurrent read and write accesses to `UnsafeCell`"; a lookup
//! of the freed table without the tombstone went unnoticed.
#![allow(
    clippy::many_single_char_names,
    reason = "models name interners, threads and symbols i, t, a, b as in the loom docs"
)]
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use tern_intern::{Guarded, Interner, Symbol, ValueInterner};

fn small() -> Interner {
    Interner::builder().preinterned(&[]).capacity(2).build()
}

/// Two threads insert the same new string: one id is published, both get it, ids stay dense.
#[test]
fn two_threads_insert_the_same_new_string() {
    // Counts explored executions in which the race was actually lost, to show the model
    // reaches the loser's path (std atomic: outside the model, shared across its executions).
    static RACES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    loom::model(|| {
        let i = Arc::new(small());
        let i2 = Arc::clone(&i);
        let t = thread::spawn(move || {
            let s = i2.intern("same");
            assert_eq!(i2.resolve(s), "same");
            s
        });
        let a = i.intern("same");
        let b = t.join().unwrap();
        assert_eq!(a, b);
        assert_eq!(i.len(), 1);
        assert_eq!(i.resolve(a), "same");
        // The loser's id is kept for reuse: the next new string takes it (dense ids: the two
        // symbols are 1 and 2, in either order).
        let c = i.intern("other");
        assert_eq!(a.as_u32() + c.as_u32(), 3);
        assert_eq!(i.resolve(c), "other");
        let st = i.stats();
        assert_eq!(st.race_wasted_bytes > 0, st.races_lost == 1);
        if st.races_lost == 1 {
            // Relaxed: a counter outside the model, read after `loom::model` returns.
            RACES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    // Relaxed: same thread as every increment (loom runs the model on this thread).
    assert!(
        RACES.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "race never explored"
    );
}

/// Inserts that trigger and overlap a resize: nothing lost, nothing duplicated.
#[test]
fn insert_during_resize() {
    loom::model(|| {
        let i = Arc::new(small());
        let a = i.intern("a");
        let b = i.intern("b");
        let c = i.intern("c");
        // 3 of 3 allowed entries used: both inserts below start or help a growth.
        let i2 = Arc::clone(&i);
        let t = thread::spawn(move || i2.intern("d"));
        let e = i.intern("e");
        let d = t.join().unwrap();
        let all = [a, b, c, d, e];
        for (k, x) in all.iter().enumerate() {
            assert!(all[k + 1..].iter().all(|y| y != x), "duplicate id");
        }
        for (sym, s) in all.iter().zip(["a", "b", "c", "d", "e"]) {
            assert_eq!(i.resolve(*sym), s);
            assert_eq!(i.get(s), Some(*sym));
        }
        assert_eq!(i.len(), 5);
        assert_eq!(i.stats().resizes, 1);
    });
}

/// A helper that finds every stripe of the old table claimed, but not every stripe finished
/// (another thread holds one), must finalise the slots itself before it swings `current` and
/// inserts into the successor: otherwise a key still in the other thread's stripe is missing
/// from the successor, and interning it again gives it a second symbol. (Mutation check:
/// skipping the walk over all slots in `finish_migration` fails this model.)
#[test]
fn a_helper_finishes_a_stripe_another_thread_holds() {
    loom::model(|| {
        let i = Arc::new(small());
        let old = [i.intern("a"), i.intern("b"), i.intern("c")];
        // 3 of 3 allowed entries used: both inserts below start or help a growth.
        let i2 = Arc::clone(&i);
        let t = thread::spawn(move || i2.intern("d"));
        i.intern("e");
        // Each key again, while the other thread may still hold a stripe of the old table.
        let again = [i.intern("a"), i.intern("b"), i.intern("c")];
        assert_eq!(
            old, again,
            "a key lost in the migration got a second symbol"
        );
        t.join().unwrap();
        assert_eq!(i.len(), 5);
    });
}

/// Readers (lookup and resolve) while another thread grows the table and early reclamation
/// runs: every access goes through a `Guarded` reader, which borrows an online participant.
#[test]
fn lookup_and_resolve_during_resize_and_reclamation() {
    // Executions explored, and those in which the reader, after its lookups, saw the table
    // mid-growth (a successor installed, `current` not yet swung).
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    static MID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    loom::model(|| {
        // Relaxed: a counter outside the model, read after `loom::model` returns.
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let i = Arc::new(Guarded::new(small()));
        let (a, b, c) = {
            let p = i.collector().register();
            let r = i.reader(&p);
            (r.intern("a"), r.intern("b"), r.intern("c"))
        };
        let i2 = Arc::clone(&i);
        let writer = thread::spawn(move || {
            let mut p = i2.collector().register();
            let d = i2.reader(&p).intern("d"); // grows and retires the old table
            p.quiescent(); // may free it, once the reader below has passed a quiescent state
            i2.collector().try_reclaim();
            d
        });
        {
            let mut p = i.collector().register();
            let r = i.reader(&p);
            assert_eq!(r.get("a"), Some(a));
            assert_eq!(r.resolve(b), "b");
            p.quiescent();
            let r = i.reader(&p);
            assert_eq!(r.get("c"), Some(c));
            let st = r.interner().stats();
            if st.table_slots == 4 && st.resizes == 1 {
                // The successor exists but `current` is still the old table.
                // Relaxed: as for `RUNS`.
                MID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let d = writer.join().unwrap();
        assert_eq!(i.resolve(d), "d");
        assert_eq!(i.len(), 4);
    });
    // Relaxed (both): same thread as every increment (loom runs the model on this thread).
    let (runs, mid) = (
        RUNS.load(std::sync::atomic::Ordering::Relaxed),
        MID.load(std::sync::atomic::Ordering::Relaxed),
    );
    println!("lookup model: {runs} executions, {mid} with the reader inside a growth");
    assert!(
        runs > 1 && mid > 0,
        "the model must reach readers inside a growth"
    );
}

/// The pass shape of `tern-session`: two tasks on one collector, each with its participant;
/// one grows the table through its reader and reaches a quiescent state (which runs the
/// collector's garbage), the other is in the middle of a probe of the old table. The old
/// table must outlive the probe: it is freed only after the prober's own quiescent state (or
/// its participant's drop), whichever interleaving loom picks. Tables are loom objects, so a
/// probe of a freed one fails the model; the collector's debug check also trips if a batch
/// runs while a participant that announced its period is online.
#[test]
fn two_tasks_a_growth_a_reclaim_and_a_reader_mid_probe() {
    loom::model(|| {
        let i = Arc::new(Guarded::new(small()));
        {
            let p = i.collector().register();
            let r = i.reader(&p);
            r.intern("a");
            r.intern("b");
            r.intern("c"); // full: the next insert grows
        }
        let i2 = Arc::clone(&i);
        let grower = thread::spawn(move || {
            let mut p = i2.collector().register();
            let d = i2.reader(&p).intern("d");
            p.quiescent();
            i2.collector().try_reclaim();
            d
        });
        let mut p = i.collector().register();
        // Mid-probe while the grower retires and reclaims: each lookup walks a chain.
        let r = i.reader(&p);
        let seen_a = r.get("a");
        let seen_d = r.get("d");
        assert!(seen_a.is_some());
        p.quiescent();
        let d = grower.join().unwrap();
        assert!(seen_d.is_none_or(|s| s == d));
        drop(p);
        i.collector().try_reclaim();
        let stats = i.collector().stats();
        assert_eq!(
            stats.pending_items, 0,
            "everything retired was freed: {stats:?}"
        );
        assert_eq!(stats.retired_items, 1, "one growth, one retired table");
        assert_eq!(i.len(), 4);
    });
}

/// Two threads intern the same new string with room for exactly one symbol: whichever takes
/// the last id, the other finds its symbol (waiting for the in-flight insert if need be)
/// instead of failing with `Symbols`; a second string then fails.
#[test]
fn a_race_at_the_symbol_limit() {
    loom::model(|| {
        let i = Arc::new(Interner::builder().preinterned(&[]).max_symbols(1).build());
        let i2 = Arc::clone(&i);
        let t = thread::spawn(move || i2.try_intern("x"));
        let a = i.try_intern("x");
        let b = t.join().unwrap();
        assert!(a.is_ok());
        assert_eq!(a, b);
        assert_eq!(i.len(), 1);
        assert!(i.try_intern("y").is_err());
    });
}

/// A key that sits behind a colliding key in the probe chain stays visible to `get` while the
/// migration has moved the colliding key but not yet this one (stripes are copied slot by slot).
#[test]
fn lookup_behind_a_moved_slot_during_resize() {
    // Executions explored (std atomic: outside the model, shared across its executions).
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    use std::hash::Hasher;
    // Two strings with the same start slot in the 4-slot table. The keys are chosen with the
    // interner's hash (FxHash of the bytes); the stats check below fails if that ever changes.
    let start = |s: &str| {
        let mut h = rustc_hash::FxHasher::default();
        h.write(s.as_bytes());
        h.finish() as usize & 3
    };
    let words: Vec<String> = (0..)
        .map(|k| format!("w{k}"))
        .filter(|w| start(w) == 0)
        .take(2)
        .collect();
    // One string in four hashes to slot 2, so 1024 candidates always hold one.
    let filler = (0..1024)
        .map(|k| format!("f{k}"))
        .find(|w| start(w) == 2)
        .expect("a filler string for slot 2 among 1024 candidates");
    let (x, y) = (words[0].clone(), words[1].clone());
    loom::model(move || {
        // Relaxed: a counter outside the model, read after `loom::model` returns.
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let i = Arc::new(small());
        let sx = i.intern(&x); // slot 0
        let sy = i.intern(&y); // slot 1: behind `x` in its chain
        i.intern(&filler); // slot 2; 3 entries: the next insert grows the table
        let i2 = Arc::clone(&i);
        let writer = thread::spawn(move || i2.intern("grow"));
        // A scheduling point: without it loom's reduction runs the lookup only before the
        // writer's stores (its loads alone add no branch), and never inside the migration.
        thread::yield_now();
        assert_eq!(i.get(&y), Some(sy), "key behind a moved slot lost");
        assert_eq!(i.get(&x), Some(sx));
        writer.join().unwrap();
        assert_eq!(i.get(&y), Some(sy));
        assert_eq!(i.stats().resizes, 1);
    });
    // Relaxed: same thread as every increment (loom runs the model on this thread).
    let runs = RUNS.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        runs > 1,
        "the model must interleave the lookup with the migration ({runs} runs)"
    );
}

/// Workers intern concurrently, join, and the pass boundary frees every outgrown table.
#[test]
fn checkpoint_after_workers_join() {
    loom::model(|| {
        let i = Arc::new(small());
        let hs: Vec<_> = (0..2)
            .map(|t| {
                let i = Arc::clone(&i);
                thread::spawn(move || {
                    let x = i.intern(if t == 0 { "x" } else { "y" });
                    let z = i.intern("z");
                    (x, z)
                })
            })
            .collect();
        let r: Vec<(Symbol, Symbol)> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(r[0].1, r[1].1);
        let mut i = Arc::try_unwrap(i).expect("workers joined");
        assert_eq!(i.len(), 3);
        i.checkpoint();
        let st = i.stats();
        assert_eq!(st.reclaimed_bytes, st.retired_bytes);
        assert_eq!(i.resolve(r[0].0), "x");
    });
}

/// The value interner shares the table: the same race, on values.
#[test]
fn value_interner_race() {
    loom::model(|| {
        let v: Arc<ValueInterner<u32>> = Arc::new(ValueInterner::with_capacity(2));
        v.intern(1);
        v.intern(2);
        let v2 = Arc::clone(&v);
        let t = thread::spawn(move || *v2.intern(3) + *v2.intern(4));
        let x = v.intern(3);
        assert_eq!(t.join().unwrap(), 7);
        assert_eq!(v.get(&3), Some(x));
        assert_eq!(v.len(), 4);
    });
}
