//! Regression tests for bugs an adversarial review found (each written to fail first).
#![cfg(not(loom))]

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, OnceLock};

use tern_intern::{CapacityErrorKind, Interner, ValueInterner};
use tern_quiesce::{Collector, Participant};

/// A key whose `Eq` re-enters the interner that is probing for it: it interns enough new
/// keys to outgrow the table being probed, passes a quiescent state of the calling thread's
/// participant and asks for reclamation, then answers "not equal" so that the probe goes on
/// in the table it was reading.
#[derive(Debug)]
struct Evil(u32);

static EVIL_ARMED: AtomicBool = AtomicBool::new(false);
static EVIL_TABLE: OnceLock<&'static ValueInterner<Evil>> = OnceLock::new();

thread_local! {
    static EVIL_READER: RefCell<Option<Participant<'static>>> = const { RefCell::new(None) };
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
            for k in 1000..1064 {
                table.intern(Evil(k));
            }
            EVIL_READER.with(|p| p.borrow_mut().as_mut().expect("registered").quiescent());
            table.reclaim();
            return false;
        }
        self.0 == other.0
    }
}
impl Eq for Evil {}

/// Bug 1: a user `Eq` that re-interns, passes a quiescent state and reclaims made `get` probe a
/// freed table (Miri: dangling reference in `RawTable::find`; release: SIGSEGV).
#[test]
fn reentrant_eq_cannot_free_the_table_being_probed() {
    let mut vi: ValueInterner<Evil> = ValueInterner::with_capacity(2);
    // SAFETY: the old contract (every caller holds an online participant) is met: only this
    // thread calls, holding `EVIL_READER`'s participant.
    unsafe { vi.assume_registered_readers() };
    let vi: &'static ValueInterner<Evil> = Box::leak(Box::new(vi));
    EVIL_TABLE.set(vi).expect("once");
    EVIL_READER.with(|p| *p.borrow_mut() = Some(vi.collector().register()));
    for k in 0..2 {
        vi.intern(Evil(k));
    }
    EVIL_ARMED.store(true, Ordering::Relaxed);
    assert!(vi.get(&Evil(1)).is_some());
    EVIL_READER.with(|p| p.borrow_mut().take());
}

/// A destructor that panics, retired to the collector ahead of the tables.
struct Boom;
impl Drop for Boom {
    fn drop(&mut self) {
        panic!("boom");
    }
}

/// Bug 2: a destructor panic resumed from inside `intern` (early reclamation: the migration
/// winner ran `try_reclaim`) escaped after the id entry was written and before the node was
/// published: interning the string again gave a second symbol.
#[test]
fn a_panic_inside_intern_leaves_no_trace() {
    let mut i = Interner::builder().preinterned(&[]).capacity(2).build();
    // SAFETY: only this thread uses the interner; it registers no participant, so any grace
    // period elapses at once (nothing can be probing a retired table concurrently).
    unsafe { i.assume_registered_readers() };
    i.collector().retire(Box::new(Boom));
    let mut panicked = None;
    for k in 0..64 {
        let s = format!("w{k}");
        if catch_unwind(AssertUnwindSafe(|| i.intern(&s))).is_err() {
            panicked = Some(s);
            break;
        }
    }
    let s = panicked.expect("the retired destructor's panic surfaced from intern");
    let again = i.intern(&s);
    let listed: Vec<_> = i.iter().filter(|(_, t)| *t == s).map(|(y, _)| y).collect();
    assert_eq!(listed, [again], "one string, one symbol");
    assert_eq!(i.len(), i.iter().count());
}

/// Bug 3: an arena that refuses the node (a strict arena set on a thread it does not know
/// panics) leaked the id taken before the allocation: `len()` over-counted.
#[test]
fn an_arena_panic_leaks_no_id() {
    let pool = std::sync::Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool"),
    );
    let i = Interner::with_parts(Collector::new(), tern_arena::Arenas::new(pool));
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
