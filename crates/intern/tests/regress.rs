//! Regression tests for bugs an adversarial review found (each written to fail first).
#![cfg(not(loom))]

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, OnceLock};

use tern_intern::{CapacityErrorKind, Guarded, Interner, ValueInterner};
use tern_quiesce::{Collector, Participant};

/// A key whose `Eq` re-enters the interner that is probing for it: it interns enough new
/// keys to outgrow the table being probed, passes a quiescent state of a participant kept in
/// a thread-local and asks for reclamation, then answers "not equal" so that the probe goes
/// on in the table it was reading.
#[derive(Debug)]
struct Evil(u32);

static EVIL_ARMED: AtomicBool = AtomicBool::new(false);
static EVIL_TABLE: OnceLock<&'static Guarded<ValueInterner<Evil>>> = OnceLock::new();

thread_local! {
    /// A participant of the interner's collector that `Eq` can reach (the old repro kept
    /// the probing thread's own participant here).
    static EVIL_PARTICIPANT: RefCell<Option<Participant<'static>>> = const { RefCell::new(None) };
}

impl Hash for Evil {
    fn hash<H: Hasher>(&self, h: &mut H) {
        // One hash for all: every key shares one probe chain, so a probe compares many.
        0u8.hash(h);
    }
}

impl PartialEq for Evil {
    fn eq(&self, other: &Self) -> bool {
        // Relaxed: single-threaded test.
        if EVIL_ARMED.swap(false, Ordering::Relaxed) {
            let table = EVIL_TABLE.get().expect("set before arming");
            EVIL_PARTICIPANT.with(|p| {
                let mut p = p.borrow_mut();
                let p = p.as_mut().expect("registered");
                for k in 1000..1064 {
                    table.reader(p).intern(Evil(k));
                }
                p.quiescent();
            });
            table.collector().try_reclaim();
            return false;
        }
        self.0 == other.0
    }
}
impl Eq for Evil {}

/// Bug 1: a user `Eq` that re-interns (outgrowing the table), passes a quiescent state and
/// reclaims used to free the table an outer `get` was probing (Miri: dangling reference in
/// `RawTable::find`; release: SIGSEGV), through `assume_registered_readers`. That opt-in is
/// gone; early reclamation now needs a reader, which borrows the probing thread's participant
/// for the whole call, so nothing the `Eq` can reach announces for it: the same attack
/// through the safe API frees nothing early (checked under Miri by `scripts/miri.sh`).
#[test]
fn reentrant_eq_cannot_free_the_table_being_probed() {
    let vi: &'static Guarded<ValueInterner<Evil>> =
        Box::leak(Box::new(Guarded::new(ValueInterner::with_capacity(2))));
    EVIL_TABLE.set(vi).expect("once");
    let me: &'static Collector = vi.collector();
    EVIL_PARTICIPANT.with(|p| *p.borrow_mut() = Some(me.register_named("evil")));
    let prober = me.register_named("prober");
    for k in 0..2 {
        vi.reader(&prober).intern(Evil(k));
    }
    // Relaxed: single-threaded test.
    EVIL_ARMED.store(true, Ordering::Relaxed);
    let before = me.stats();
    assert!(vi.reader(&prober).get(&Evil(1)).is_some());
    let after = me.stats();
    assert!(
        after.retired_items > before.retired_items,
        "the Eq outgrew the table"
    );
    assert!(
        after.pending_items > 0,
        "nothing the Eq could do freed the table the prober was reading: {after:?}"
    );
    drop(prober);
    EVIL_PARTICIPANT.with(|p| p.borrow_mut().take());
    assert!(me.try_reclaim() > 0);
    assert_eq!(me.stats().pending_items, 0);
}

/// A destructor that panics, retired to the collector ahead of the tables.
struct Boom;
impl Drop for Boom {
    fn drop(&mut self) {
        panic!("boom");
    }
}

/// Bug 2: a destructor panic resumed from inside `intern` (the migration winner ran
/// `try_reclaim`) escaped after the id entry was written and before the node was published:
/// interning the string again gave a second symbol. Now `intern` runs no reclamation at all,
/// so no foreign destructor runs (or panics) inside it, through a reader or not; the panic
/// surfaces where reclamation is asked for, and the interner is intact. (The unwind guard on
/// the remaining panic paths is tested with an injected panic in the crate's unit tests.)
#[test]
fn no_foreign_destructor_runs_inside_intern() {
    let g = Guarded::new(Interner::builder().preinterned(&[]).capacity(2).build());
    let mut p = g.collector().register();
    g.collector().retire(Box::new(Boom));
    for k in 0..64 {
        let s = format!("w{k}");
        let r = catch_unwind(AssertUnwindSafe(|| g.reader(&p).intern(&s)));
        assert!(r.is_ok(), "intern ran a foreign destructor");
    }
    // The quiescent state runs the collector's garbage: `Boom` and the outgrown tables.
    let r = catch_unwind(AssertUnwindSafe(|| p.quiescent()));
    assert!(r.is_err(), "the panic surfaces where reclamation runs");
    drop(p);
    assert_eq!(g.collector().stats().pending_items, 0, "the rest still ran");
    let mut i = g.into_inner();
    i.checkpoint();
    assert_eq!(i.len(), 64);
    assert_eq!(i.iter().count(), 64);
    assert!(i.iter().all(|(s, t)| i.get(t) == Some(s)));
}

/// Bug 3: an arena that refuses the node (a strict arena set on a thread it does not know
/// panics) leaked the id taken before the allocation: `len()` over-counted.
#[test]
fn an_arena_panic_leaks_no_id() {
    // A strict set without a pool: only this (driver) thread may allocate in it.
    let i = Interner::with_parts(Collector::new(), tern_arena::Arenas::builder().build());
    let before = i.len();
    std::thread::scope(|s| {
        // A thread the strict set does not know: its allocation panics.
        let r = s.spawn(|| i.intern("from-a-stranger")).join();
        assert!(r.is_err(), "a strict arena set refuses unknown threads");
    });
    assert_eq!(i.len(), before, "no id leaked");
    let x = i.intern("x");
    assert_eq!(x.index(), before, "ids stay dense");
}

/// Bug 4: with `max_symbols` reached by the winner of a race, the loser (which took an id
/// before finding the winner) got `Err(Symbols)` for a string that is interned.
#[test]
fn a_race_at_the_symbol_limit_is_not_an_error() {
    let rounds = if cfg!(miri) { 20 } else { 4000 };
    for _ in 0..rounds {
        let i = Interner::builder().preinterned(&[]).max_symbols(1).build();
        let gate = Barrier::new(2);
        let (a, b) = std::thread::scope(|s| {
            let t = s.spawn(|| {
                gate.wait();
                i.try_intern("x")
            });
            gate.wait();
            let a = i.try_intern("x");
            (a, t.join().expect("no panic"))
        });
        assert_eq!(i.len(), 1);
        assert_eq!(a, b, "both see the one symbol");
        assert!(a.is_ok());
        assert_eq!(
            i.try_intern("y").map_err(|e| e.kind()),
            Err(CapacityErrorKind::Symbols)
        );
    }
}

/// The collector and the interners agree on bytes: an outgrown table retired to the
/// collector counts its table's bytes there (it used to count the 16-byte handle), so the
/// collector's retired and reclaimed bytes equal what the interners report.
#[test]
fn the_collector_counts_what_the_tables_hold() {
    let collector = std::sync::Arc::new(Collector::new());
    let strings = Guarded::new(
        Interner::builder()
            .collector(std::sync::Arc::clone(&collector))
            .capacity(2)
            .build(),
    );
    let values = Guarded::new(
        ValueInterner::<u64>::builder()
            .collector(std::sync::Arc::clone(&collector))
            .build(),
    );
    let mut p = collector.register();
    for k in 0..if cfg!(miri) { 300 } else { 3_000 } {
        strings.reader(&p).intern(&format!("k{k}"));
        values.reader(&p).intern(k);
        p.quiescent();
    }
    drop(p);
    collector.try_reclaim();
    let (mut strings, mut values) = (strings.into_inner(), values.into_inner());
    let (s, v) = (strings.stats(), values.stats());
    assert!(s.retired_bytes > 1000 && v.retired_bytes > 1000);
    let c = collector.stats();
    assert_eq!(c.retired_bytes, s.retired_bytes + v.retired_bytes, "{c:?}");
    assert_eq!(c.reclaimed_bytes, s.reclaimed_bytes + v.reclaimed_bytes);
    assert_eq!(c.pending_bytes, 0);
    strings.checkpoint();
    values.checkpoint();
}

/// `Debug` of a shared `Guarded` prints counters only: the interners' own `Debug` reads the
/// current table, which a thread holding no participant must not do while another thread's
/// reader may outgrow and free it (Miri reported that race for the derived `Debug`).
fn is_debug<T: std::fmt::Debug>() {}

#[test]
fn guarded_debug_prints_counters_not_the_table() {
    let g = tern_intern::Guarded::new(tern_intern::Interner::new());
    let s = format!("{g:?}");
    assert!(s.starts_with("Guarded<Interner> { len: "), "{s}");
    assert!(s.ends_with(".. }"), "{s}");
    let v = tern_intern::Guarded::new(tern_intern::ValueInterner::<u64>::new());
    assert_eq!(format!("{v:?}"), "Guarded<ValueInterner> { len: 0, .. }");
    // A guarded value interner is `Debug` whatever its values are, as before.
    is_debug::<tern_intern::Guarded<tern_intern::ValueInterner<std::cell::Cell<f64>>>>();
}
