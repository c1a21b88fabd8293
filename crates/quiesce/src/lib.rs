//! Quiescent-state-based reclamation (QSBR) for code with natural synchronisation points.
//!
//! Readers pay nothing: between two *quiescent states* a registered thread may dereference
//! anything it loaded from shared memory, with no guard, no per-read fence and no
//! counter. Writers unlink objects and *retire* them; a retired object is destroyed once
//! every registered thread has passed a quiescent state (or been offline) since — a *grace
//! period*. Compiler passes, request loops and worker pools have such points already (the
//! end of a work item), so quiescent states cost nothing to place; where a whole pass is
//! over, [`Collector::checkpoint`] frees everything at once with no atomics at all.
//!
//! This page is the design note: the naive version and why it is wrong, the algorithm,
//! the invariant that makes an early free impossible, and a tour of the API.
//!
//! # A naive version, and the bug it has
//!
//! The obvious design keeps a small global *phase* (0, 1, 2, ...) and, per phase, a stack
//! of retired batches, indexed by `phase % 3`. Each thread records the phase it is in; a
//! quiescent state moves the thread to the current phase, and when the last thread leaves
//! phase `q`, the garbage "two phases old" is considered safe and the stack for
//! `(q + 1) % 3` is run.
//!
//! That is unsound, and the bug is real: `housekeeping` 0.0.2 and 0.0.3 ship it. The
//! stack `deferred[(q + 1) % 3]` mixes batches retired in phase `q - 2` (safe: everybody
//! has moved on since) with batches retired in phase `q + 1` by threads that are already
//! there (not safe: a reader in phase `q + 1` may hold them). The sequence:
//!
//! 1. participants A and B register; A passes a quiescent state, creating phase 1 (B is
//!    still in phase 0);
//! 2. reader R registers (in phase 1) and loads `p`;
//! 3. A swaps `p` out, retires it and fills a batch, which lands on phase 1's stack;
//! 4. B passes a quiescent state; it is the last to leave phase 0, so phase 1's stack
//!    (`(0 + 1) % 3`) is rotated into the runnable set;
//! 5. A fills another batch, which runs the first one: `p` is freed while R, which never
//!    passed a quiescent state, still reads it.
//!
//! The root cause is the tag: a batch is identified by a *slot index* (the phase modulo
//! 3), or by the retiring thread's *local view* of the phase, so "retired in phase `q+1`"
//! and "retired in phase `q-2`" become indistinguishable. The rule a correct design needs
//! is: when phase `q` dies, only garbage retired in phases `<= q - 1` may run. This crate
//! tags every batch with the **full, never-wrapping global period, read after a `SeqCst`
//! fence that follows the unlink**, and runs a batch only when every registered
//! participant has *announced* a strictly greater period. The same sequence is a unit
//! test (`housekeeping_sequence`) and a loom model (`tests/loom.rs`) here.
//!
//! # The algorithm
//!
//! State:
//! - the collector's global `period: AtomicU64`, starting at 1, only incremented;
//! - per participant a slot with `announced: AtomicU64` (0 = offline), in a registry
//!   (`Mutex<Vec<Arc<Slot>>>`);
//! - per participant a private *open batch* (a `Vec` of pointer-sized words: boxes of one
//!   type retired in a row form a run, one word each after a two-word head, destroyed by a
//!   tight loop; a resource stored inline or a raw pointer with its destructor takes three or
//!   four words; no allocation per retire) and a private list of *sealed* batches; the
//!   collector has a shared, mutex-protected list for garbage retired without a participant
//!   and for batches left by dropped participants.
//!
//! Operations:
//! - **Quiescent state.** Fast path: `if period.load(Relaxed) == cached { return }`, where
//!   `cached` is a plain field. Slow path: seal the open batch if any;
//!   `g = period.load(Relaxed)`; if `g` is new, `announced.store(g, Release)` then
//!   `fence(SeqCst)`; then run own sealed batches (and, if its lock is free, shared ones)
//!   whose grace period has elapsed; `cached = g`, or 0 while garbage this participant
//!   could run still waits (a period is never 0, so the next quiescent state takes the
//!   slow path again; a retire also sets 0). When nothing was retired anywhere the period
//!   does not move and every quiescent state is the fast path (liburcu's trick). While
//!   garbage waits, the slow path re-scans (the period does not move when the last
//!   participant catches up, so the waiting retirer must look): at every slow-path
//!   quiescent state while the horizon moves, with exponential backoff (at least every
//!   64th) while it is stuck behind a participant that passes no quiescent state.
//! - **Sealing** (every [`Collector::batch_size`] retires, at `flush`, at a quiescent state
//!   with an open batch, at `offline`, at drop): `fence(SeqCst)`; `t = period.load(Relaxed)`;
//!   tag the batch `t`; then `period.compare_exchange(t, t + 1)` — grace periods are
//!   demand-driven: only garbage (or a wait) moves the period. Failure is fine: someone
//!   already advanced past `t`. [`Collector::retire`] does the same per call into the
//!   shared list; [`Collector::cookie`] does it without a batch.
//! - **The scan** (`horizon`): `fence(SeqCst)`; `p0 = period.load(Relaxed)`; under the
//!   registry lock, `h = min(p0, every non-zero announced (Acquire))`. Every batch tagged
//!   `t < h` may run. A debug assertion re-reads every slot before batches run and panics
//!   if an online participant has announced a period `<= t`.
//! - **Registration / `online`**: under the registry lock, `announced.store(period.load())`
//!   then `fence(SeqCst)`. **`offline`**: seal, `announced.store(0, Release)`, and move the
//!   sealed batches to the shared list (an offline participant may stay away long; its
//!   garbage should not wait for it). **Drop**: the same, then leave the registry.
//!   Offline is a type, not a flag: [`Participant::offline`] consumes the participant and
//!   returns an [`Offline`], which has no `protect`, and [`Offline::online`] gives it back
//!   (`offline_while` and `synchronize` stay offline under `&mut self`). Whoever holds a
//!   `&Participant` therefore holds an online one, and `protect` is a bare `Acquire` load.
//! - **Waiting**: [`cookie`](Collector::cookie) is a seal without a batch;
//!   [`has_elapsed`](Collector::has_elapsed) is `scan() > cookie`;
//!   [`synchronize`](Collector::synchronize) waits for it with spin/yield/sleep backoff.
//!
//! # The invariant, and why no early free is possible
//!
//! > A batch tagged `t` runs only after a scan in which every registered participant was
//! > offline or had announced a period `> t`, and `t` is below the period the scan read
//! > first (`p0`).
//!
//! Let the retirer unlink `p` (a store `U`), then issue its fence `X`, then read the
//! period `t`. Take any participant R that may have loaded `p`, and the value `a` the scan
//! read from R's slot.
//!
//! 1. *`a > t`.* R announced `a` by loading the period (value `a`), storing it and then
//!    issuing its fence `Y`. The retirer's read of `t` is coherence-ordered before R's
//!    read of `a` (the period only grows, and `a > t`); `X` is sequenced before the
//!    former and the latter before `Y`, so `X` precedes `Y` in the single total order of
//!    `SeqCst` fences (C++20 \[atomics.order\]). Hence R's loads after `Y` cannot read a
//!    value older than `U`: R did not load `p` after announcing `a`. So R loaded `p`
//!    before announcing `a` — before a quiescent state — and the scan's `Acquire` load of
//!    `a` synchronises with R's `Release` store of it: every read R made of `p`
//!    happens-before the free.
//! 2. *`a == 0`.* R's reads before going offline happen-before the free
//!    (`Release`/`Acquire` on the slot). If R comes online again after the scan, it takes
//!    the registry lock after the scan released it, so its period load reads a value
//!    `>= p0 > t` (read-read coherence through the lock: the scan read `p0` before
//!    unlocking) and the fence argument of case 1 applies to that announcement: R cannot
//!    load `p` afterwards. This holds even for a batch sealed after the scan, which is why
//!    the horizon is capped at `p0`.
//! 3. *R registered after the scan.* As in the second half of 2.
//! 4. *`a <= t`.* The batch does not run.
//!
//! The tag is the *full* global period read by the retirer *after* its fence, never a
//! slot index and never a cached view, which is exactly what step 1 needs. The period is a
//! `u64` incremented at most once per sealed batch or cookie, so it never wraps.
//!
//! loom checks these models with `SeqCst` fences that are stronger than C++'s (a fence
//! joins a global view); Miri (weak-memory emulation) and `ThreadSanitizer` run the unit and
//! stress tests; the proof above is for the C++20 model Rust uses.
//!
//! # Who runs destructors, and when
//!
//! Destructors run on the thread that calls [`Participant::quiescent`] (its own batches
//! and, when the lock is free, the shared list), [`Participant::synchronize`],
//! [`Collector::try_reclaim`], [`Collector::synchronize`], [`Collector::checkpoint`], or
//! drops the collector — never in the background and never under one of the crate's
//! locks (a destructor may retire more garbage). Dropping a participant runs nothing: it
//! hands its batches to the shared list.
//!
//! **Panic policy.** A destructor that panics does not stop the others: each one runs
//! under `catch_unwind`, every other resource of the batch — and of every batch that call
//! runs — is still destroyed, the counters stay exact, and then the *first* panic is
//! resumed from the call that ran them (later panics of the same call are discarded, under
//! `catch_unwind` too, since a payload's own `Drop` may panic). Nothing leaks and nothing
//! runs twice. The collector's own `Drop` resumes the panic
//! too, unless the thread is already unwinding (a second panic would abort).
//!
//! # Pass boundaries
//!
//! [`Collector::checkpoint`] takes `&mut Collector`. Every [`Participant`] borrows the
//! collector, so the borrow checker proves that none is alive: nobody can hold a
//! reference, and every participant moved its batches to the shared list when it was
//! dropped. `checkpoint` then destroys everything retired so far with `get_mut`: no
//! atomics, no locks, no waiting. A compiler driver calls it after the workers of a pass
//! joined.
//!
//! # Tour
//!
//! ```
//! use std::sync::atomic::{AtomicPtr, Ordering};
//! use tern_quiesce::Collector;
//!
//! let mut collector = Collector::new();
//! let shared = AtomicPtr::new(Box::into_raw(Box::new(0u64)));
//!
//! std::thread::scope(|s| {
//!     for worker in 0..2u64 {
//!         let (collector, shared) = (&collector, &shared);
//!         s.spawn(move || {
//!             let mut me = collector.register_named(format!("worker-{worker}"));
//!             for round in 0..100u64 {
//!                 // SAFETY: `shared` only ever holds pointers from `Box::into_raw`, stored
//!                 // by `swap(AcqRel)` below and retired to `collector` after the swap.
//!                 let seen = unsafe { me.protect(&shared) }.copied();
//!                 assert!(seen.is_some());
//!                 if round % 10 == worker {
//!                     let fresh = Box::into_raw(Box::new(round));
//!                     let old = shared.swap(fresh, Ordering::AcqRel);
//!                     // SAFETY: `old` came from `Box::into_raw` and the swap unlinked it.
//!                     me.retire(unsafe { Box::from_raw(old) });
//!                 }
//!                 me.quiescent(); // end of a work item: nothing loaded above is held
//!             }
//!             let away = me.offline(); // e.g. before blocking: it delays no one, and
//!             // has no `protect`: reading shared memory offline does not compile.
//!             let me = away.online();
//!             drop(me);
//!         });
//!     }
//! });
//!
//! // The pass is over: workers joined, their participants dropped.
//! let last = shared.swap(std::ptr::null_mut(), Ordering::AcqRel);
//! // SAFETY: unlinked by the swap; from `Box::into_raw`.
//! collector.retire(unsafe { Box::from_raw(last) });
//! collector.checkpoint();
//! let stats = collector.stats();
//! assert_eq!(stats.pending_items, 0);
//! assert_eq!(stats.retired_items, stats.reclaimed_items);
//! ```
//!
//! Waiting for readers instead of deferring:
//!
//! ```
//! let collector = tern_quiesce::Collector::new();
//! let cookie = collector.cookie();
//! let mut reader = collector.register();
//! assert!(collector.has_elapsed(cookie)); // registered after the cookie: not waited for
//! let later = collector.cookie();
//! assert!(!collector.has_elapsed(later)); // `reader` may hold something from before
//! reader.quiescent();
//! assert!(collector.has_elapsed(later));
//! ```
//!
//! Retiring things that are not boxes (seize cannot, see seize#48): an index into a free
//! list, a slice, a whole table, with a `fn` that destroys it:
//!
//! ```
//! let collector = tern_quiesce::Collector::new();
//! let mut me = collector.register();
//! me.retire_with(vec![1u32, 2, 3], drop);          // three words: boxed once
//! me.retire_with(7usize, |slot| assert_eq!(slot, 7)); // one word: stored inline
//! me.synchronize(); // waits for a grace period (offline meanwhile), then runs both
//! assert_eq!(collector.stats().reclaimed_items, 2);
//! ```
//!
//! Who holds reclamation back ([`Stats::oldest_holder`]):
//!
//! ```
//! let collector = tern_quiesce::Collector::new();
//! let mut worker = collector.register_named("worker");
//! let _stuck = collector.register_named("parser-3"); // never passes a quiescent state
//! worker.retire(Box::new([0u8; 64]));
//! worker.quiescent();
//! let stats = collector.stats();
//! assert_eq!((stats.pending_items, stats.pending_bytes), (1, 64));
//! let (name, since) = stats.oldest_holder.expect("a grace period is waiting");
//! assert_eq!(name, "parser-3");
//! eprintln!("{name} has held the grace period back for {since:?}");
//! ```
//!
//! # On a rayon pool
//!
//! The recommended shape for a pass on a rayon pool: each task registers a participant when
//! it starts (`map_init`, or at the top of a `broadcast`/`scope` task), passes a quiescent
//! state after every item, and drops the participant when its part of the work is done; the
//! driver calls [`Collector::checkpoint`] once `install` has returned.
//!
//! ```
//! use std::sync::atomic::{AtomicPtr, Ordering};
//! use rayon::prelude::*;
//! use tern_quiesce::Collector;
//!
//! # // rayon's crossbeam-epoch casts integers to pointers, which strict-provenance Miri
//! # // rejects; the API tests cover the same paths under Miri.
//! # if cfg!(miri) { return; }
//! let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
//! let mut collector = Collector::new();
//! let scale = AtomicPtr::new(Box::into_raw(Box::new(1_u64)));
//!
//! for pass in 1..=3_u64 {
//!     let items: u64 = pool.install(|| {
//!         (0..1_000_u64)
//!             .into_par_iter()
//!             .map_init(
//!                 // One participant per piece of work rayon hands a worker; it is dropped
//!                 // (and its garbage handed to the collector) when that piece is done.
//!                 || collector.register_named("pass worker"),
//!                 |me, i| {
//!                     // SAFETY: `scale` only holds pointers from `Box::into_raw`, and every
//!                     // pointer swapped out is retired to `collector`, never freed directly.
//!                     let k = unsafe { me.protect(&scale) }.copied().unwrap_or(0);
//!                     assert!((1..=pass).contains(&k));
//!                     if i == 500 {
//!                         let new = Box::into_raw(Box::new(pass));
//!                         let old = scale.swap(new, Ordering::AcqRel);
//!                         // SAFETY: `old` came from `Box::into_raw` and the swap unlinked it.
//!                         me.retire(unsafe { Box::from_raw(old) });
//!                     }
//!                     me.quiescent(); // end of the item: `k` is a copy, nothing is held
//!                     1
//!                 },
//!             )
//!             .sum()
//!     });
//!     assert_eq!(items, 1_000);
//!     // `install` returned: every participant of the pass is dropped, so `&mut` is free.
//!     collector.checkpoint();
//!     assert_eq!(collector.stats().pending_items, 0);
//! }
//! // SAFETY: no participant is left; the last value was never retired.
//! drop(unsafe { Box::from_raw(scale.swap(std::ptr::null_mut(), Ordering::AcqRel)) });
//! ```
//!
//! Inside the pool, prefer [`Participant::quiescent`] to [`Participant::synchronize`]: while a
//! rayon worker waits in a `join`, it runs other tasks on the same stack, so one thread can
//! hold two online participants, and the upper one cannot see a grace period end until the
//! suspended task below it returns.
//!
//! # How it is checked
//!
//! One property — no retired object is destroyed while a participant that loaded it is
//! between quiescent states, and every one is destroyed exactly once — at three levels:
//! - **loom** (`tests/loom.rs`, every interleaving up to two preemptions): a writer and
//!   two readers; the housekeeping sequence above and four variations; offline/online;
//!   registration and unregistration racing a grace period; a scan racing a registration
//!   and a retire; two writers and a reader with two read windows; the pass-boundary
//!   checkpoint. Deliberately broken variants of the crate fail them (listed in
//!   `tests/loom.rs`). `scripts/loom.sh`, or
//!   `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p tern-quiesce
//!   --test loom`.
//! - **Miri** (`scripts/miri.sh`: Tree Borrows, strict provenance, data-race detector and
//!   weak-memory emulation) on the API tests (`tests/api.rs`, including the sequence
//!   above replayed deterministically) and a small randomised stress test.
//! - **Hardware** (`scripts/stress.sh`, and `scripts/tsan.sh` under `ThreadSanitizer`):
//!   threads doing random reads, swaps, retires (all four kinds), quiescent states,
//!   offline/online, flushes, waits and re-registrations on shared slots; poisoned on
//!   drop and re-checked by every holder after each action; a counting allocator must be
//!   back to its baseline at the end.

#![warn(missing_docs)]

mod batch;
mod collector;
mod participant;
mod sync;

pub use collector::{Collector, Cookie, DEFAULT_BATCH_SIZE, Reclaimed, Stats};
pub use participant::{Offline, Participant};
/// The atomic pointer type [`Participant::protect`] reads: std's, or loom's under
/// `cfg(loom)`.
pub use sync::AtomicPtr;

// A `Collector` is shared between threads by reference; make sure it stays so.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Collector>();
};

/// The README's examples, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
