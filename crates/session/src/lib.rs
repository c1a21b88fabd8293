//! # tern-session: compiler passes as reclamation checkpoints
//!
//! A parallel compiler runs in passes: every worker lexes, parses or checks files, then the
//! pass ends and the next begins. tern-session makes that shape the memory model. One call
//! per pass runs the items on a rayon pool, gives each task a context ([`TaskCx`]) that
//! interns, resolves and allocates scratch memory, frees the interners' outgrown tables
//! while the pass runs (as soon as every task has moved on to its next item), and ends the
//! pass with a checkpoint that frees the rest. No `unsafe` is asked of you, and no guard or
//! pin is paid on reads.
//!
//! A word count over a directory, the whole program:
//!
#![doc = concat!("```no_run\n", include_str!("../examples/wordcount.rs"), "\n```")]
//!
//! (`cargo run --release -p tern-session --example wordcount -- <dir>`.)
//!
//! ## What a session holds
//!
//! - a rayon pool (its own, or one you pass to [`SessionBuilder::pool`]);
//! - **one** [`Collector`](tern_quiesce::Collector) (QSBR, from `tern-quiesce`) that every
//!   table of the session retires to, so one quiescent state per item serves them all;
//! - the string [`Interner`](tern_intern::Interner) (4-byte symbols, lock-free `resolve`),
//!   and any number of value interners you ask for with [`Session::values`];
//! - session arenas ([`Session::arenas`]) for data that lives across passes, and scratch
//!   arenas ([`TaskCx::scratch`]) for data that dies with its pass;
//! - a [`PassReport`] per pass: wall and CPU time per worker, bytes freed during the pass and
//!   at its checkpoint, peak retired-but-unfreed bytes, scratch and arena growth.
//!
//! ## Why in-pass freeing needs no `unsafe` here
//!
//! A concurrent interner that grows while others read it must keep an outgrown table until
//! nobody can be reading it. With QSBR that is "until every participant has passed a
//! quiescent state", which is only right if *every* thread that reads the table is a
//! participant that passes no quiescent state in the middle of a read. A bare interner
//! cannot know that of its callers: any thread with a `&Interner` may be probing, registered
//! or not, and a user's `Hash` or `Eq` running inside a probe could reach a participant
//! through a thread-local and announce a quiescent state for it. Earlier versions of tern
//! asked for an `unsafe` promise to cover this, and a review broke it from safe code.
//!
//! Here the session proves it with types:
//! - [`Session::pass`] takes `&mut self`, so while a pass runs the interner is reachable only
//!   through the tasks' [`TaskCx`]s;
//! - each `TaskCx` owns an online participant and is neither `Send` nor `Sync`; the body
//!   borrows it for one item, and the runner passes the quiescent state between items,
//!   when nothing borrowed from it is alive. Nothing the body (or a `Hash` or `Eq` it runs)
//!   can reach announces for that participant mid-call;
//! - whatever the context lends (strings, readers, scratch memory) lives for the item only;
//!   threads the body starts are scoped, joined before the item ends;
//! - value interners are [`Guarded`](tern_intern::Guarded): read only through a reader that
//!   borrows a participant;
//! - the checkpoint needs `&mut self` again, and between passes plain interner calls keep
//!   outgrown tables until the next checkpoint.
//!
//! ## Results that outlive a pass
//!
//! `pass` borrows the session mutably, so results cannot borrow the session. Data meant to
//! survive lives where the next pass's `&mut` does not reach: the session arenas (keep the
//! `Arc` from [`Session::arenas`] and borrow from it), a value interner from
//! [`Session::values`] (yours to keep), or plain owned values. Symbols are `Copy` integers;
//! their strings are one [`Session::interner`]`().resolve(sym)` away between passes.
//!
//! ```
//! use tern_session::Session;
//!
//! #[derive(PartialEq, Eq, Hash, Debug)]
//! enum Ty { Int, List(u32) }
//!
//! let mut s = Session::builder().threads(2).build().unwrap();
//! let ast = s.arenas();
//! let types = s.values::<Ty>();
//! let words = ["fn", "main", "x", "main"];
//!
//! let nodes: Vec<&(tern_intern::Symbol, usize)> = s.pass("parse", words.len(), |cx, i| {
//!     let sym = cx.intern(words[i]);
//!     let scratch = cx.scratch().alloc_slice_copy(words[i].as_bytes()); // item-scoped
//!     scratch.sort_unstable(); // scratch slices are `&mut`: edit them in place
//!     &*ast.alloc((sym, scratch.len())) // lives as long as `ast`
//! });
//! let tys = s.pass("types", nodes.len(), |cx, i| cx.values(&types).intern(Ty::List(i as u32 % 2)));
//! assert_eq!(s.interner().resolve(nodes[1].0), "main");
//! assert_eq!(nodes[1].0, nodes[3].0);
//! assert_eq!(tys[0], tys[2]); // hash-consed: one address
//! assert_eq!(s.reports().len(), 2);
//! ```
//!
//! ## Long-running hosts: compaction
//!
//! A language server or a watch-mode compiler interns the names of every revision it sees.
//! Between passes, [`Session::compact`] keeps only the symbols you say are live (mark them in
//! a [`LiveSymbols`] set during a pass), frees the rest with their strings and outgrown
//! tables, and returns the old → new [`Remap`](tern_intern::Remap) for your side tables, so
//! the interner's memory follows the live set instead of the history.
//!
//! ## Memory budget
//!
//! [`SessionBuilder::memory_budget`] bounds the retired-but-unfreed bytes: a task that ends
//! an item above it waits (offline, delaying nobody) for a grace period instead of going on,
//! and [`PassReport::budget_waits`] counts it.
//!
//! ## Checked by
//!
//! `tests/session.rs` (reports, panics in a body, the budget, results borrowing the arenas,
//! the re-entrant `Eq` attack through the session API), the `compile_fail` examples on
//! [`TaskCx`], Miri on those tests (`scripts/miri.sh`), and the loom model of the mechanism
//! underneath (two tasks, a growth, a reclaim, a reader mid-probe) in `tern-intern`.
#![warn(missing_docs)]

mod cx;
mod live;
mod report;
mod run;
mod session;

pub use cx::TaskCx;
pub use live::LiveSymbols;
pub use report::{Bytes, Compaction, PassReport, Span, WorkerReport};
pub use run::{Schedule, thread_cpu_ns};
pub use session::{Checkpoint, Session, SessionBuilder};

// A session moves between threads (it owns no thread-bound state); it is used from one
// thread at a time.
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<Session>();
};
