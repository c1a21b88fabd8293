//! The session's behaviour: passes, reports, panics, the memory budget, results that outlive
//! passes, and in-pass reclamation that safe code cannot break. Small enough for Miri
//! (`scripts/miri.sh tern-session`, which runs rayon pools with permissive provenance).
#![cfg(not(loom))]

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tern_intern::{Guarded, Symbol, ValueInterner, kw};
use tern_quiesce::Participant;
use tern_session::{Schedule, Session};

/// Items per pass: enough distinct strings to outgrow the interner's table several times.
const N: usize = if cfg!(miri) { 96 } else { 5000 };

fn word(i: usize) -> String {
    format!("word{i}")
}

/// The surface other code compiles against, verbatim.
#[test]
fn fixed_surface() {
    let n = 16;
    let mut s = tern_session::Session::builder().threads(2).build().unwrap(); // no other args needed
    let lens: Vec<usize> = s.pass("lex", n, |cx, i| {
        let sym = cx.intern(&word(i));
        cx.resolve(sym).len()
    });
    let sym = s.interner().get("word12").unwrap();
    let text: &str = s.interner().resolve(sym); // between passes
    let r = &s.reports()[0]; // PassReport, pub fields:
    let _: (u64, u64) = (r.reclaimed_in_pass_bytes, r.reclaimed_at_checkpoint_bytes);
    assert_eq!(text, "word12");
    assert_eq!(lens, (0..n).map(|i| word(i).len()).collect::<Vec<_>>());
}

/// Tables outgrown during a pass are freed during it (every task passes a quiescent state
/// after each item); those outgrown by plain calls between passes wait for the checkpoint.
/// The collector and the reports agree byte for byte.
#[test]
fn in_pass_and_checkpoint_reclamation_are_reported() {
    let mut s = Session::builder().threads(2).build().unwrap();
    let syms = s.pass("intern", N, |cx, i| cx.intern(&word(i)));
    let r = s.reports()[0].clone();
    assert!(r.retired_items >= if cfg!(miri) { 1 } else { 3 }, "{r:?}");
    assert!(
        r.reclaimed_in_pass_bytes > 0,
        "nothing freed during the pass: {r:?}"
    );
    let stats = s.collector().stats();
    assert_eq!(
        stats.pending_bytes, 0,
        "the checkpoint left nothing: {stats:?}"
    );
    assert_eq!(
        r.reclaimed_in_pass_bytes + r.reclaimed_at_checkpoint_bytes,
        stats.reclaimed_bytes,
        "reports count what the collector freed"
    );
    assert_eq!(stats.participants, 0, "every task's participant is gone");
    for (i, sym) in syms.iter().enumerate() {
        assert_eq!(s.interner().resolve(*sym), word(i));
    }
    // Driver-side interning between passes: outgrown tables wait for the next checkpoint.
    for i in N..3 * N {
        s.interner().intern(&word(i));
    }
    let before = s.interner().stats();
    assert!(before.retired_bytes > before.reclaimed_bytes);
    let c = s.checkpoint();
    let after = s.interner().stats();
    assert_eq!(after.retired_bytes, after.reclaimed_bytes);
    assert_eq!(
        c.reclaimed_bytes,
        after.reclaimed_bytes - before.reclaimed_bytes
    );
    assert_eq!(s.interner().len(), tern_intern::PREINTERNED.len() + 3 * N);
}

/// With `reclaim_in_pass(false)` tasks pass no quiescent state between items: everything
/// outgrown during the pass is freed by its checkpoint instead, the same bytes in all.
#[test]
fn deferring_reclamation_to_the_checkpoint() {
    let mut early = Session::builder().threads(2).build().unwrap();
    let mut late = Session::builder()
        .threads(2)
        .reclaim_in_pass(false)
        .build()
        .unwrap();
    early.pass("intern", N, |cx, i| cx.intern(&word(i)));
    late.pass("intern", N, |cx, i| cx.intern(&word(i)));
    let (e, l) = (&early.reports()[0], &late.reports()[0]);
    assert_eq!(l.reclaimed_in_pass_bytes, 0, "{l:?}");
    assert!(l.reclaimed_at_checkpoint_bytes > 0);
    assert_eq!(
        e.reclaimed_bytes(),
        l.reclaimed_bytes(),
        "the same tables, freed later"
    );
    assert!(l.peak_pending_bytes >= e.peak_pending_bytes);
}

/// Results come back in index order whatever the schedule, every item runs once, and the
/// workers' tallies add up.
#[test]
fn every_schedule_returns_results_in_order() {
    for schedule in [Schedule::Lpt, Schedule::Chunks, Schedule::Rayon] {
        let mut s = Session::builder()
            .threads(2)
            .schedule(schedule)
            .record_spans(true)
            .build()
            .unwrap();
        let sizes: Vec<u64> = (0..N as u64).map(|i| (i * 7919) % 97).collect();
        let runs = AtomicUsize::new(0);
        let out = s.pass_sized("sized", &sizes, |cx, i| {
            // Relaxed: a count read after the pass (the pool's join orders it).
            runs.fetch_add(1, Ordering::Relaxed);
            assert_eq!(cx.item(), i);
            assert!(cx.worker() < 2);
            i * 2
        });
        assert_eq!(out, (0..N).map(|i| i * 2).collect::<Vec<_>>());
        // Relaxed: after the pass.
        assert_eq!(runs.load(Ordering::Relaxed), N);
        let r = &s.reports()[0];
        assert_eq!(r.items, N);
        assert_eq!(r.workers.iter().map(|w| w.items).sum::<usize>(), N);
        assert_eq!(r.spans.len(), N);
        assert!(r.spans.iter().all(|sp| sp.start_us <= sp.end_us));
        assert_eq!(s.pass("empty", 0, |_, i| i), Vec::<usize>::new());
    }
}

/// A panicking item: the other tasks stop, the checkpoint still runs, the panic reaches the
/// caller, and the session stays consistent and usable (no participant left registered,
/// nothing pending, every symbol interned before still there).
#[test]
fn a_panicking_item_leaves_the_session_usable() {
    let mut s = Session::builder().threads(2).build().unwrap();
    let first = s.pass("ok", 8, |cx, i| cx.intern(&word(i)));
    let err = catch_unwind(AssertUnwindSafe(|| {
        s.pass("boom", N, |cx, i| {
            cx.intern(&word(i + N));
            assert!(i != N / 2, "item {i} fails");
        })
    }))
    .unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("fails"), "{msg}");
    let r = s.reports().last().unwrap();
    assert!(r.panicked);
    assert!(r.workers.iter().map(|w| w.items).sum::<usize>() <= N);
    let stats = s.collector().stats();
    assert_eq!((stats.participants, stats.pending_items), (0, 0));
    let again = s.pass("again", 8, |cx, i| cx.intern(&word(i)));
    assert_eq!(first, again);
    let n = s.interner().len();
    assert_eq!(s.interner().iter().count(), n, "no orphaned entries");
}

/// Over the memory budget, the end of an item waits for a grace period instead of letting
/// retired tables pile up.
#[test]
fn the_memory_budget_makes_tasks_wait() {
    let mut s = Session::builder()
        .threads(2)
        .memory_budget(0)
        .build()
        .unwrap();
    s.pass("intern", N, |cx, i| cx.intern(&word(i)));
    let r = &s.reports()[0];
    assert!(r.retired_items > 0);
    assert!(r.budget_waits > 0, "{r:?}");
    let stats = s.collector().stats();
    assert_eq!(stats.pending_bytes, 0);
}

/// Pass results may borrow the session arenas and a value interner across later passes,
/// which need `&mut` of the session.
#[test]
fn results_borrow_the_arenas_across_passes() {
    #[derive(PartialEq, Eq, Hash, Debug)]
    enum Ty {
        Word(Symbol),
        Pair(u32, u32),
    }
    let mut s = Session::builder().threads(2).build().unwrap();
    let ast = s.arenas();
    let types = s.values::<Ty>();
    let nodes: Vec<&(Symbol, u32)> = s.pass("parse", N, |cx, i| {
        let sym = cx.intern(&word(i % 10));
        let tmp = cx.scratch().alloc_slice_copy(word(i).as_bytes());
        &*ast.alloc((sym, tmp.len() as u32))
    });
    let tys = s.pass("types", N, |cx, i| {
        let v = cx.values(&types);
        v.intern(Ty::Pair(nodes[i].1, (i % 3) as u32));
        v.intern(Ty::Word(nodes[i].0))
    });
    let _ = s.pass("later", 4, |cx, _| cx.intern("fn"));
    assert_eq!(tys[0], tys[10]);
    assert_eq!(*tys[3], Ty::Word(nodes[3].0));
    assert_eq!(s.interner().resolve(nodes[13].0), "word3");
    assert!(s.reports()[0].scratch_bytes > 0);
    assert!(s.reports()[0].arena_growth_bytes > 0);
    assert!(s.reports().iter().all(|r| !r.panicked));
    assert_eq!(s.interner().get("fn"), Some(kw::Fn));
    drop(s);
    assert_eq!(
        tys[1], tys[11],
        "values outlive the session that built them"
    );
}

/// A key whose `Eq`, run inside the interner's probe, does everything safe code can reach to
/// free the table being probed: interns enough to outgrow it (through a reader of its own
/// participant), passes a quiescent state, reclaims. The probing task's own participant is
/// borrowed by its context for the whole call, so the table survives the probe (Miri checks
/// the reads).
#[derive(Debug)]
struct Evil(u32);

static EVIL_ARMED: AtomicBool = AtomicBool::new(false);

/// What the attack reaches from `Eq`: the interner and a participant of its collector.
type Reach = (&'static Guarded<ValueInterner<Evil>>, Participant<'static>);

thread_local! {
    static EVIL: RefCell<Option<Reach>> = const { RefCell::new(None) };
}

impl Hash for Evil {
    fn hash<H: Hasher>(&self, h: &mut H) {
        0u8.hash(h); // one probe chain for every key
    }
}

impl PartialEq for Evil {
    fn eq(&self, other: &Self) -> bool {
        // Relaxed: a one-shot flag; whichever thread takes it runs the attack.
        if EVIL_ARMED.swap(false, Ordering::Relaxed) {
            EVIL.with(|e| {
                let mut e = e.borrow_mut();
                let (values, p) = e.as_mut().expect("armed on this thread");
                for k in 1000..1040 {
                    values.reader(p).intern(Evil(k));
                }
                p.quiescent();
                values.collector().try_reclaim();
            });
            return false;
        }
        self.0 == other.0
    }
}
impl Eq for Evil {}

#[test]
fn a_reentrant_eq_cannot_free_the_table_a_task_probes() {
    let mut s = Session::builder().threads(1).build().unwrap();
    let values: &'static Guarded<ValueInterner<Evil>> = Box::leak(Box::new(s.values()));
    s.pass("fill", 2, |cx, i| {
        cx.values(values).intern(Evil(i as u32));
    });
    let found = s.pass("probe", 1, |cx, _| {
        EVIL.with(|e| *e.borrow_mut() = Some((values, values.collector().register())));
        // Relaxed: armed and taken on this thread.
        EVIL_ARMED.store(true, Ordering::Relaxed);
        let got = cx.values(values).get(&Evil(1)).is_some();
        EVIL.with(|e| e.borrow_mut().take());
        got
    });
    assert_eq!(found, [true]);
    let r = s.reports().last().unwrap();
    assert!(r.retired_items > 0, "the Eq outgrew the table: {r:?}");
    assert_eq!(s.collector().stats().pending_items, 0);
    assert_eq!(values.len(), 2 + 40);
}
