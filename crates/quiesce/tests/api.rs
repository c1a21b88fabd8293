//! Behaviour of the public API, small enough for Miri (`scripts/miri.sh`).
#![cfg(not(loom))]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use tern_quiesce::{Collector, Reclaimed};

const POISON: usize = 0xDEAD_BEEF;
const LIVE: usize = 0x600D;

/// Counts how often each object was dropped.
#[derive(Default)]
struct Log {
    drops: Vec<AtomicUsize>,
}

impl Log {
    fn new(n: usize) -> Arc<Self> {
        Arc::new(Log {
            drops: (0..n).map(|_| AtomicUsize::new(0)).collect(),
        })
    }
    fn dropped(&self, i: usize) -> usize {
        // SeqCst: test bookkeeping; pairs with the SeqCst `fetch_add` in `Tracked::drop` (the
        // crate or a join already orders the drop before this read).
        self.drops[i].load(Ordering::SeqCst)
    }
    fn total(&self) -> usize {
        // SeqCst: as in `dropped`.
        self.drops.iter().map(|d| d.load(Ordering::SeqCst)).sum()
    }
}

/// A retired object: logs its drop and poisons itself, so a read after the drop (before
/// the memory is reused) sees `POISON`; Miri reports the use-after-free itself.
struct Tracked {
    id: usize,
    state: AtomicUsize,
    log: Arc<Log>,
    panic_on_drop: bool,
}

impl Tracked {
    #[expect(
        clippy::unnecessary_box_returns,
        reason = "retire takes boxes; every caller wants one"
    )]
    fn new(id: usize, log: &Arc<Log>) -> Box<Self> {
        Box::new(Tracked {
            id,
            state: AtomicUsize::new(LIVE),
            log: Arc::clone(log),
            panic_on_drop: false,
        })
    }
    fn check(&self) {
        assert_eq!(
            // SeqCst: pairs with the SeqCst swap in `Tracked::drop`: a read after the drop sees
            // `POISON` (Miri reports the use-after-free itself).
            self.state.load(Ordering::SeqCst),
            LIVE,
            "object {} read after its drop",
            self.id
        );
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        assert_eq!(
            // SeqCst: poisons the object for `check`; a second drop sees `POISON` and fails.
            self.state.swap(POISON, Ordering::SeqCst),
            LIVE,
            "double drop"
        );
        // SeqCst: pairs with the SeqCst loads in `Log`.
        self.log.drops[self.id].fetch_add(1, Ordering::SeqCst);
        assert!(!self.panic_on_drop, "destructor {} panics", self.id);
    }
}

/// Quiescent states enough for any backoff of the re-check (at least every 64th).
fn settle(p: &mut tern_quiesce::Participant<'_>) {
    for _ in 0..65 {
        p.quiescent();
    }
}

#[test]
fn retire_then_quiescent_reclaims_exactly_once() {
    let log = Log::new(10);
    let c = Collector::new();
    let mut p = c.register();
    for i in 0..10 {
        p.retire(Tracked::new(i, &log));
    }
    assert_eq!(log.total(), 0, "nothing runs before a quiescent state");
    p.quiescent();
    for i in 0..10 {
        assert_eq!(log.dropped(i), 1, "object {i}");
    }
    p.quiescent();
    p.synchronize();
    assert_eq!(log.total(), 10);
    let s = c.stats();
    assert_eq!(
        (s.retired_items, s.reclaimed_items, s.pending_items),
        (10, 10, 0)
    );
    let size = std::mem::size_of::<Tracked>() as u64;
    assert_eq!((s.retired_bytes, s.reclaimed_bytes), (10 * size, 10 * size));
}

#[test]
fn another_online_participant_delays_reclamation() {
    let log = Log::new(1);
    let c = Collector::new();
    let mut a = c.register_named("a");
    let mut b = c.register_named("b");
    a.retire(Tracked::new(0, &log));
    a.quiescent();
    a.quiescent();
    assert_eq!(log.total(), 0, "b has not passed a quiescent state");
    let s = c.stats();
    assert_eq!(s.pending_items, 1);
    assert_eq!(s.oldest_holder.map(|(name, _)| name).as_deref(), Some("b"));
    b.quiescent();
    assert_eq!(
        log.total(),
        0,
        "b has no batch of its own and the shared list is empty"
    );
    settle(&mut a);
    assert_eq!(log.total(), 1);
    assert_eq!(c.stats().oldest_holder, None);
}

/// The sequence that makes housekeeping 0.0.3 free `p` under a reader (the crate docs list it),
/// replayed deterministically with three participants on one thread.
#[test]
fn housekeeping_sequence() {
    let log = Log::new(64);
    let c = Collector::with_batch_size(4);
    let mut a = c.register_named("A");
    let mut b = c.register_named("B");
    a.quiescent();
    let shared = AtomicPtr::new(Box::into_raw(Tracked::new(0, &log)));
    let mut r = c.register_named("R");
    // Acquire: R's read-side load, as `protect` does it (one thread plays every role here,
    // so it pairs with nothing).
    let held: *const Tracked = shared.load(Ordering::Acquire);
    // A swaps p out, retires it and fills a batch.
    // AcqRel: the unlink; Release publishes the new box, Acquire takes ownership of the old
    // one.
    let old = shared.swap(Box::into_raw(Tracked::new(1, &log)), Ordering::AcqRel);
    // SAFETY: `old` came from `Box::into_raw` and the swap unlinked it.
    a.retire(unsafe { Box::from_raw(old) });
    for i in 2..5 {
        a.retire(Tracked::new(i, &log));
    }
    // B passes a quiescent state (the last to leave the old phase in housekeeping).
    b.quiescent();
    // A retires more, fills and flushes batches, passes quiescent states.
    for i in 5..20 {
        a.retire(Tracked::new(i, &log));
        a.quiescent();
        b.quiescent();
    }
    a.flush();
    a.quiescent();
    c.try_reclaim();
    // SAFETY: R is online and has not passed a quiescent state since it loaded `held`.
    unsafe { (*held).check() };
    assert_eq!(log.dropped(0), 0);
    r.quiescent();
    settle(&mut a);
    assert_eq!(log.dropped(0), 1, "freed once R passed a quiescent state");
    drop((a, b, r));
    // AcqRel: the final unlink, as above.
    let rest = shared.swap(std::ptr::null_mut(), Ordering::AcqRel);
    // SAFETY: unlinked, from `Box::into_raw`, no participant left.
    c.retire(unsafe { Box::from_raw(rest) });
    drop(c);
    assert!((0..20).all(|i| log.dropped(i) == 1));
}

/// A variation: R registers in a period that A has not announced yet. A tag taken from
/// the retirer's own view of the period (instead of the global period read after a fence)
/// would be older than R's announcement and free `p` under R.
#[test]
fn reader_registered_in_a_newer_period() {
    let log = Log::new(8);
    let c = Collector::with_batch_size(4);
    let mut a = c.register_named("A");
    let mut b = c.register_named("B");
    a.retire(Tracked::new(1, &log));
    a.flush(); // the period moves on; A has not announced it
    let shared = AtomicPtr::new(Box::into_raw(Tracked::new(0, &log)));
    let mut r = c.register_named("R");
    // Acquire: R's read-side load, as in `housekeeping_sequence`.
    let held: *const Tracked = shared.load(Ordering::Acquire);
    // AcqRel: the unlink, as in `housekeeping_sequence`.
    let old = shared.swap(std::ptr::null_mut(), Ordering::AcqRel);
    // SAFETY: `old` came from `Box::into_raw` and the swap unlinked it.
    a.retire(unsafe { Box::from_raw(old) });
    a.flush();
    for _ in 0..3 {
        b.quiescent();
        settle(&mut a);
    }
    // SAFETY: R is online and has not passed a quiescent state since it loaded `held`.
    unsafe { (*held).check() };
    assert_eq!(log.dropped(0), 0);
    assert_eq!(log.dropped(1), 1, "the older batch did not wait for R");
    r.quiescent();
    settle(&mut a);
    assert_eq!(log.dropped(0), 1);
}

#[test]
fn offline_participant_does_not_delay() {
    let log = Log::new(2);
    let c = Collector::new();
    let mut a = c.register();
    let b = c.register_named("b");
    let away = b.offline();
    assert_eq!(away.name(), "b");
    assert!(std::ptr::eq(away.collector(), &raw const c));
    assert_eq!(c.stats().online, 1);
    a.retire(Tracked::new(0, &log));
    a.quiescent();
    assert_eq!(log.total(), 1);
    let b = away.online();
    assert_eq!(c.stats().online, 2);
    a.retire(Tracked::new(1, &log));
    a.quiescent();
    a.quiescent();
    assert_eq!(log.dropped(1), 0, "b is online again");
    let away = b.offline();
    settle(&mut a);
    assert_eq!(log.dropped(1), 1);
    drop(away);
    assert_eq!(
        c.stats().participants,
        1,
        "dropping an `Offline` unregisters"
    );
}

#[test]
fn offline_hands_over_and_online_protects_the_new_value() {
    let log = Log::new(1);
    let c = Collector::new();
    let mut a = c.register();
    let mut b = c.register();
    let x = AtomicPtr::new(Box::into_raw(Box::new(1u32)));
    b.retire(Tracked::new(0, &log));
    b.flush();
    // b's sealed batch moves to the shared list: a runs it while b is away.
    let away = b.offline();
    settle(&mut a);
    assert_eq!(log.dropped(0), 1);
    // AcqRel: Release publishes the new box to `b.protect` below; Acquire pairs with the
    // store that published the old one, which is freed here.
    let old = x.swap(Box::into_raw(Box::new(2u32)), Ordering::AcqRel);
    // SAFETY: `old` came from `Box::into_raw` and the swap unlinked it.
    a.retire(unsafe { Box::from_raw(old) });
    let b = away.online();
    // SAFETY: `x` holds boxes only, retired after unlinking.
    assert_eq!(unsafe { b.protect(&x) }.copied(), Some(2));
    drop((a, b));
    let mut c = c;
    // AcqRel: Acquire pairs with the swap that published the last box, freed below.
    let last = x.swap(std::ptr::null_mut(), Ordering::AcqRel);
    // SAFETY: unlinked by the swap (nobody reads any more); from `Box::into_raw`.
    c.retire(unsafe { Box::from_raw(last) });
    c.checkpoint();
    assert_eq!(c.stats().pending_items, 0);
}

#[test]
fn offline_while_delays_no_one_and_comes_back_even_on_panic() {
    let c = Collector::new();
    let mut p = c.register();
    let k = c.cookie();
    assert!(!c.has_elapsed(k));
    assert!(p.offline_while(|| c.has_elapsed(k)));
    assert_eq!(c.stats().online, 1, "online again after the closure");
    let caught = catch_unwind(AssertUnwindSafe(|| {
        p.offline_while(|| panic!("blocking call failed"));
    }));
    assert!(caught.is_err());
    assert_eq!(c.stats().online, 1, "online again after the panic");
    let k2 = c.cookie();
    assert!(
        !c.has_elapsed(k2),
        "p is online and has passed no quiescent state"
    );
    p.quiescent();
    assert!(c.has_elapsed(k2));
}

#[test]
fn panic_in_destructor_runs_the_rest_and_resumes_the_first() {
    let log = Log::new(5);
    let c = Collector::new();
    let mut p = c.register();
    for i in 0..5 {
        let mut t = Tracked::new(i, &log);
        t.panic_on_drop = i == 1 || i == 3;
        p.retire(t);
    }
    let err = catch_unwind(AssertUnwindSafe(|| p.quiescent())).expect_err("must resume");
    let msg = err.downcast_ref::<String>().expect("a formatted panic");
    assert_eq!(msg, "destructor 1 panics", "the first panic is resumed");
    assert!(
        (0..5).all(|i| log.dropped(i) == 1),
        "every destructor ran once"
    );
    let s = c.stats();
    assert_eq!((s.reclaimed_items, s.pending_items), (5, 0));
    // The participant stays usable, and nothing runs twice.
    p.quiescent();
    p.synchronize();
    assert_eq!(log.total(), 5);
}

/// A destructor may panic with a payload whose own `Drop` panics. The policy keeps only the
/// first payload and discards later ones; discarding that one must not unwind out of the
/// run and leave the rest of the batch unrun (leaked, yet counted as reclaimed).
#[test]
fn a_discarded_panic_payload_that_panics_on_drop_stops_nothing() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("payload dropped");
        }
    }
    let log = Log::new(4);
    let c = Collector::new();
    let mut p = c.register();
    let mut first = Tracked::new(0, &log);
    first.panic_on_drop = true;
    p.retire(first);
    p.retire_with((), |()| std::panic::panic_any(PanicsOnDrop));
    for i in 1..4 {
        p.retire(Tracked::new(i, &log));
    }
    let err = catch_unwind(AssertUnwindSafe(|| p.quiescent())).expect_err("must resume");
    assert_eq!(
        err.downcast_ref::<String>().map(String::as_str),
        Some("destructor 0 panics"),
        "the first panic is resumed"
    );
    assert!(
        (0..4).all(|i| log.dropped(i) == 1),
        "every destructor ran once"
    );
    let s = c.stats();
    assert_eq!((s.reclaimed_items, s.pending_items), (5, 0));
}

#[test]
fn panic_policy_in_checkpoint_and_try_reclaim() {
    let log = Log::new(4);
    let mut c = Collector::new();
    for i in 0..2 {
        let mut t = Tracked::new(i, &log);
        t.panic_on_drop = i == 0;
        c.retire(t);
    }
    let err = catch_unwind(AssertUnwindSafe(|| c.try_reclaim())).expect_err("resumes");
    assert_eq!(err.downcast_ref::<String>().unwrap(), "destructor 0 panics");
    assert_eq!(log.total(), 2);
    for i in 2..4 {
        let mut t = Tracked::new(i, &log);
        t.panic_on_drop = i == 3;
        c.retire(t);
    }
    let err = catch_unwind(AssertUnwindSafe(|| c.checkpoint())).expect_err("resumes");
    assert_eq!(err.downcast_ref::<String>().unwrap(), "destructor 3 panics");
    assert!((0..4).all(|i| log.dropped(i) == 1));
    assert_eq!(c.checkpoint(), Reclaimed::default());
}

#[test]
fn cookie_and_has_elapsed() {
    let c = Collector::new();
    let mut a = c.register();
    let b = c.register();
    let k = c.cookie();
    assert!(!c.has_elapsed(k));
    a.quiescent();
    assert!(!c.has_elapsed(k), "b still may hold something");
    let away = b.offline();
    assert!(c.has_elapsed(k));
    let mut b = away.online();
    assert!(c.has_elapsed(k), "once elapsed, stays elapsed");
    let k2 = c.cookie();
    assert!(k2 > k);
    a.quiescent();
    b.quiescent();
    assert!(c.has_elapsed(k2));
    assert!(c.stats().grace_periods_completed >= k2.period());
}

#[test]
fn checkpoint_after_threads_joined() {
    let log = Log::new(200);
    let mut c = Collector::with_batch_size(8);
    std::thread::scope(|s| {
        for t in 0..2 {
            let (c, log) = (&c, &log);
            s.spawn(move || {
                let mut p = c.register();
                for i in 0..100 {
                    p.retire(Tracked::new(t * 100 + i, log));
                    if i % 7 == 0 {
                        p.quiescent();
                    }
                }
                // Leave garbage behind: the drop hands it to the shared list.
            });
        }
    });
    let before = log.total();
    let freed = c.checkpoint();
    assert_eq!(freed.items as usize + before, 200);
    assert_eq!(
        freed.bytes,
        freed.items * std::mem::size_of::<Tracked>() as u64
    );
    assert!((0..200).all(|i| log.dropped(i) == 1));
    let s = c.stats();
    assert_eq!(
        (s.retired_items, s.reclaimed_items, s.participants),
        (200, 200, 0)
    );
}

#[test]
fn registration_after_free_and_late_registrant() {
    let log = Log::new(3);
    let c = Collector::new();
    let mut a = c.register();
    a.retire(Tracked::new(0, &log));
    a.quiescent();
    assert_eq!(log.total(), 1);
    // Registered after the retire: it cannot hold object 1, so it does not delay it.
    a.retire(Tracked::new(1, &log));
    a.flush();
    let mut late = c.register();
    a.quiescent();
    assert_eq!(
        log.dropped(1),
        1,
        "a late registrant does not delay older garbage"
    );
    // But it delays garbage retired after it registered.
    a.retire(Tracked::new(2, &log));
    a.quiescent();
    assert_eq!(log.dropped(2), 0);
    late.quiescent();
    settle(&mut a);
    assert_eq!(log.dropped(2), 1);
}

#[test]
fn batch_size_boundary() {
    let c = Collector::with_batch_size(4);
    let mut p = c.register();
    let p0 = c.period();
    for i in 0..3u64 {
        p.retire(Box::new(i));
    }
    assert_eq!(c.stats().retired_items, 0, "open batch: not sealed yet");
    assert_eq!(c.period(), p0, "no grace period without a sealed batch");
    p.retire(Box::new(3u64));
    assert_eq!(c.stats().retired_items, 4, "the 4th retire seals");
    assert_eq!(c.period(), p0 + 1, "sealing starts a grace period");
    assert_eq!(p.pending(), 4);
    p.retire(Box::new(4u64));
    assert_eq!(p.pending(), 5);
    p.quiescent();
    assert_eq!(p.pending(), 0);
    // Nothing pending: quiescent states do not move the period any more.
    let quiet = c.period();
    p.quiescent();
    p.quiescent();
    assert_eq!(c.period(), quiet);
}

#[test]
fn retire_with_inline_boxed_and_raw() {
    static SEEN: AtomicUsize = AtomicUsize::new(0);
    /// # Safety
    /// `free_u64(ptr)` is sound if and only if:
    /// - `ptr` came from `Box::<u64>::into_raw` and is freed only by this call.
    unsafe fn free_u64(ptr: *mut ()) {
        // SAFETY: the contract: a `Box<u64>` pointer, rebuilt once.
        let v = unsafe { Box::from_raw(ptr.cast::<u64>()) };
        // SeqCst: test bookkeeping, read after `quiescent` ran the destructors on this thread.
        SEEN.fetch_add(*v as usize * 100_000, Ordering::SeqCst);
    }
    let c = Collector::new();
    let mut p = c.register();
    // Two words: inline.
    p.retire_with((3usize, 4usize), |(a, b)| {
        // SeqCst: as in `free_u64`.
        SEEN.fetch_add(a * b, Ordering::SeqCst);
    });
    // Three words plus the fn: boxed once.
    p.retire_with([100usize, 200, 300], |xs| {
        // SeqCst: as in `free_u64`.
        SEEN.fetch_add(xs.iter().sum::<usize>(), Ordering::SeqCst);
    });
    // Zero-sized.
    p.retire_with((), |()| {
        // SeqCst: as in `free_u64`.
        SEEN.fetch_add(1000, Ordering::SeqCst);
    });
    // Owning, heap-backed resource.
    p.retire_with(String::from("abc"), |s| {
        // SeqCst: as in `free_u64`.
        SEEN.fetch_add(s.len() * 10_000, Ordering::SeqCst);
    });
    let raw = Box::into_raw(Box::new(2u64)).cast::<()>();
    // SAFETY: unlinked (never shared), `free_u64` frees it once, from any thread.
    unsafe { p.retire_raw(raw, free_u64, 8) };
    p.quiescent();
    assert_eq!(
        // SeqCst: the destructors ran on this thread, in `quiescent` above.
        SEEN.load(Ordering::SeqCst),
        12 + 600 + 1000 + 30_000 + 200_000
    );
    let s = c.stats();
    assert_eq!(s.reclaimed_items, 5);
    assert_eq!(s.reclaimed_bytes, (16 + 24 + 24 + 8) as u64);
}

/// Entries of one and two slots (boxes; inline and raw resources) mixed in the same
/// batches, with panicking destructors among them: every entry runs exactly once, whatever
/// its width, the first panic is resumed, and the counts are in entries, not slots.
#[test]
fn mixed_entry_widths_with_panics_run_each_entry_once() {
    /// # Safety
    /// `drop_tracked(ptr)` is sound if and only if:
    /// - `ptr` came from `Box::<Tracked>::into_raw` and is dropped only by this call.
    unsafe fn drop_tracked(ptr: *mut ()) {
        // SAFETY: the contract: a `Box<Tracked>` pointer, rebuilt once.
        drop(unsafe { Box::from_raw(ptr.cast::<Tracked>()) });
    }
    const N: usize = 30;
    let log = Log::new(N);
    let c = Collector::with_batch_size(4);
    let mut p = c.register();
    for i in 0..N {
        let mut t = Tracked::new(i, &log);
        t.panic_on_drop = i % 7 == 2;
        match i % 3 {
            0 => p.retire(t),
            // Two words with the fn: inline, two slots.
            1 => p.retire_with((t, i), |(t, i)| {
                assert_eq!(t.id, i);
                drop(t);
            }),
            _ => {
                let raw = Box::into_raw(t).cast::<()>();
                // SAFETY: unlinked (never shared), dropped once by `drop_tracked`.
                unsafe { p.retire_raw(raw, drop_tracked, 1) };
            }
        }
    }
    assert_eq!(p.pending(), N);
    let err = catch_unwind(AssertUnwindSafe(|| p.quiescent())).expect_err("must resume");
    let msg = err.downcast_ref::<String>().expect("a formatted panic");
    assert_eq!(msg, "destructor 2 panics", "the first panic is resumed");
    assert!(
        (0..N).all(|i| log.dropped(i) == 1),
        "every destructor ran once"
    );
    assert_eq!(p.pending(), 0);
    let s = c.stats();
    assert_eq!((s.retired_items, s.reclaimed_items), (N as u64, N as u64));
    p.quiescent();
    p.synchronize();
    assert_eq!(log.total(), N);
}

#[test]
fn collector_retire_from_a_non_participant_thread() {
    let log = Log::new(4);
    let c = Collector::new();
    let mut reader = c.register();
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..4 {
                c.retire(Tracked::new(i, &log));
            }
        });
    });
    assert_eq!(
        c.try_reclaim(),
        0,
        "the reader has not passed a quiescent state"
    );
    reader.quiescent(); // also helps with the shared list
    c.try_reclaim();
    assert_eq!(log.total(), 4);
}

#[test]
fn dropped_participant_hands_over_its_batches() {
    let log = Log::new(3);
    let c = Collector::new();
    let mut other = c.register();
    {
        let mut p = c.register();
        for i in 0..3 {
            p.retire(Tracked::new(i, &log));
        }
    }
    assert_eq!(c.stats().pending_items, 3);
    assert_eq!(c.try_reclaim(), 0, "`other` may still hold them");
    other.quiescent();
    assert_eq!(
        log.total(),
        3,
        "`other`'s slow path helped with the shared list"
    );
    assert_eq!(c.stats().participants, 1);
}

#[test]
fn synchronize_waits_for_a_busy_participant() {
    let log = Log::new(1);
    let c = Collector::new();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut p = c.register();
            // SeqCst: pairs with the SeqCst store below that ends the loop.
            while !stop.load(Ordering::SeqCst) {
                p.quiescent();
                std::thread::yield_now();
            }
        });
        c.retire(Tracked::new(0, &log));
        c.synchronize();
        assert_eq!(log.total(), 1);
        // SeqCst: pairs with the SeqCst load in the loop above.
        stop.store(true, Ordering::SeqCst);
    });
}

#[test]
fn destructor_may_retire_more() {
    // Destructors run outside every lock of the crate, so one may retire more garbage.
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    fn chain((c, n): (Arc<Collector>, u32)) {
        // SeqCst: test bookkeeping, read on this thread after the destructors ran on it.
        DROPS.fetch_add(1, Ordering::SeqCst);
        if n > 0 {
            let next = Arc::clone(&c);
            c.retire_with((next, n - 1), chain);
        }
    }
    let c = Arc::new(Collector::new());
    {
        let mut p = c.register();
        p.retire_with((Arc::clone(&c), 3), chain);
        p.quiescent();
        // SeqCst: as in `chain`.
        assert_eq!(DROPS.load(Ordering::SeqCst), 1);
        for _ in 0..4 {
            settle(&mut p);
        }
        assert_eq!(
            // SeqCst: as in `chain`.
            DROPS.load(Ordering::SeqCst),
            4,
            "each link ran from a quiescent state"
        );
    }
    assert_eq!(c.try_reclaim(), 0);
    assert_eq!(Arc::strong_count(&c), 1);
}

#[test]
fn dropping_the_collector_runs_pending_batches() {
    let log = Log::new(2);
    let c = Collector::new();
    let keep = c.register();
    c.retire(Tracked::new(0, &log));
    {
        let mut p = c.register();
        p.retire(Tracked::new(1, &log));
    }
    drop(keep.offline());
    assert_eq!(log.total(), 0);
    drop(c);
    assert_eq!((log.dropped(0), log.dropped(1)), (1, 1));
}

#[test]
fn protect_reads_the_current_value() {
    let c = Collector::new();
    let mut p = c.register();
    let x = AtomicPtr::new(Box::into_raw(Box::new(41u32)));
    let null: AtomicPtr<u32> = AtomicPtr::new(std::ptr::null_mut());
    // SAFETY: `x` holds boxes only, retired after unlinking; `null` holds only null.
    unsafe {
        assert_eq!(p.protect(&x).copied(), Some(41));
        assert!(p.protect(&null).is_none());
    }
    // AcqRel: the unlink; Release publishes the new box, Acquire takes ownership of the old
    // one.
    let old = x.swap(Box::into_raw(Box::new(42u32)), Ordering::AcqRel);
    // SAFETY: unlinked by the swap, from `Box::into_raw`.
    p.retire(unsafe { Box::from_raw(old) });
    p.quiescent();
    // SAFETY: as above.
    assert_eq!(unsafe { p.protect(&x) }.copied(), Some(42));
    // AcqRel: as above.
    let last = x.swap(std::ptr::null_mut(), Ordering::AcqRel);
    // SAFETY: as above.
    p.retire(unsafe { Box::from_raw(last) });
}

/// What the collector counts for a resource is what the caller declares (a handle that owns
/// a table counts the table), and the shared-list gauge follows retire, hand-over and
/// reclamation exactly.
#[test]
fn declared_bytes_and_the_shared_gauge() {
    let collector = Collector::new();
    let mut p = collector.register();
    collector.retire_with_bytes(vec![0u8; 10], drop, 4096);
    assert_eq!(collector.shared_pending_bytes(), 4096);
    p.retire_with_bytes(7u64, drop, 100);
    p.flush();
    assert_eq!(
        collector.shared_pending_bytes(),
        4096,
        "a participant's own batch is not in the shared list"
    );
    let away = p.offline(); // hands its sealed batch over
    assert_eq!(collector.shared_pending_bytes(), 4196);
    let stats = collector.stats();
    assert_eq!((stats.retired_bytes, stats.pending_bytes), (4196, 4196));
    assert_eq!(collector.try_reclaim(), 2);
    assert_eq!(collector.shared_pending_bytes(), 0);
    let stats = collector.stats();
    assert_eq!((stats.reclaimed_bytes, stats.pending_bytes), (4196, 0));
    drop(away.online());
}

/// Waiting for a grace period while another participant of the same thread is online can
/// never end: both forms of `synchronize` say so instead of hanging; participants of other
/// threads, and offline ones, are waited for (or ignored) as usual.
#[test]
fn synchronize_refuses_to_wait_for_its_own_thread() {
    let collector = Collector::new();
    let outer = collector.register_named("outer");
    let mut inner = collector.register_named("inner");
    let err = catch_unwind(AssertUnwindSafe(|| inner.synchronize())).unwrap_err();
    let msg = err.downcast_ref::<String>().expect("a formatted message");
    assert!(msg.contains("`outer`"), "{msg}");
    assert!(!inner.try_synchronize());
    assert!(catch_unwind(AssertUnwindSafe(|| collector.synchronize())).is_err());
    let away = outer.offline();
    assert!(
        inner.try_synchronize(),
        "an offline participant delays no one"
    );
    drop(inner);
    collector.synchronize();
    std::thread::scope(|s| {
        s.spawn(|| collector.synchronize());
    });
    drop(away);
}

/// Boxes of one type retired in a row form one run entry (one word per box); a panic in
/// the middle of a run must not stop the rest of the run, nor run anything twice, and the
/// first panic is the one resumed.
#[test]
fn a_run_of_boxes_with_panics_inside_runs_each_box_once() {
    const N: usize = 12;
    let log = Log::new(N);
    let c = Collector::with_batch_size(64);
    let mut p = c.register();
    for i in 0..N {
        let mut t = Tracked::new(i, &log);
        // The run's first, a middle one, two adjacent ones and its last.
        t.panic_on_drop = matches!(i, 0 | 5 | 8 | 9 | 11);
        p.retire(t);
    }
    let err = catch_unwind(AssertUnwindSafe(|| p.quiescent())).expect_err("must resume");
    assert_eq!(
        err.downcast_ref::<String>().map(String::as_str),
        Some("destructor 0 panics"),
        "the first panic is resumed"
    );
    assert!(
        (0..N).all(|i| log.dropped(i) == 1),
        "every destructor ran once"
    );
    let s = c.stats();
    assert_eq!((s.reclaimed_items, s.pending_items), (N as u64, 0));
    p.quiescent();
    p.synchronize();
    assert_eq!(log.total(), N);
}

/// Runs begin and end wherever the retired type changes or another kind of entry comes:
/// single boxes between other entries, runs of two, runs cut by a seal, boxes retired
/// through the collector, all destroyed once with exact counts.
#[test]
fn runs_break_on_type_changes_other_entries_and_seals() {
    const N: usize = 40;
    let log = Log::new(N);
    let plain = Arc::new(AtomicUsize::new(0));
    let c = Collector::with_batch_size(5);
    let mut p = c.register();
    for i in 0..N {
        match i % 8 {
            // A run of three `Tracked`, then a `u64` box, a resource, a `Tracked`, a raw
            // pointer... (batches of five cut them anywhere).
            0..=2 | 5 => p.retire(Tracked::new(i, &log)),
            3 => {
                p.retire(Box::new(i as u64));
                p.retire(Tracked::new(i, &log));
            }
            4 => {
                let plain = Arc::clone(&plain);
                p.retire_with(plain, |n| {
                    // SeqCst: test bookkeeping, read after the destructors ran.
                    n.fetch_add(1, Ordering::SeqCst);
                });
                p.retire(Tracked::new(i, &log));
            }
            _ => c.retire(Tracked::new(i, &log)),
        }
    }
    let retired = N + N / 8 * 2;
    p.flush();
    assert_eq!(c.stats().pending_items as usize, retired);
    p.synchronize();
    drop(p);
    let mut c = c;
    c.checkpoint();
    assert!((0..N).all(|i| log.dropped(i) == 1));
    // SeqCst: as in the destructor above.
    assert_eq!(plain.load(Ordering::SeqCst), N / 8);
    let s = c.stats();
    assert_eq!(
        (s.retired_items, s.reclaimed_items),
        (retired as u64, retired as u64)
    );
    assert_eq!(
        s.reclaimed_bytes,
        (N * std::mem::size_of::<Tracked>()
            + N / 8 * (std::mem::size_of::<u64>() + std::mem::size_of::<Arc<AtomicUsize>>()))
            as u64
    );
}
/// `checkpoint` keeps the batch vectors it emptied for the participants of the next pass;
/// passes of different sizes on one collector (a compiler session) keep every count exact
/// and destroy everything once, and dropping the collector frees the kept vectors (Miri's
/// leak check).
#[test]
fn passes_on_one_collector_reuse_batch_vectors() {
    const PASSES: [usize; 4] = [90, 20, 90, 3];
    let total: usize = PASSES.iter().sum();
    let log = Log::new(total);
    let mut c = Collector::with_batch_size(4);
    let mut first = 0;
    for n in PASSES {
        std::thread::scope(|s| {
            for t in 0..2 {
                let (c, log) = (&c, &log);
                s.spawn(move || {
                    let mut p = c.register();
                    for i in (first + t..first + n).step_by(2) {
                        p.retire(Tracked::new(i, log));
                    }
                });
            }
        });
        let freed = c.checkpoint();
        assert_eq!(freed.items as usize, n);
        first += n;
        assert!((0..first).all(|i| log.dropped(i) == 1));
    }
    let s = c.stats();
    assert_eq!(
        (s.retired_items, s.reclaimed_items),
        (total as u64, total as u64)
    );
}
