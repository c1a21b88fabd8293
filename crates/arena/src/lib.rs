//! Per-worker bump arenas for parallel compilers, on stable Rust.
//!
//! A parallel front end allocates AST nodes, types and strings by the million. One shared
//! allocator, or one `Mutex<bumpalo::Bump>`, makes every allocation a point of contention
//! (tens of nanoseconds per allocation at two threads, against about one for a thread-local
//! bump). rustc answers with `WorkerLocal` arenas, which are in-tree and nightly-only. This
//! crate gives the same shape as a library:
//!
//! - [`Arenas`]: session arenas. One [`bumpalo::Bump`] per worker of a rayon pool, one for the
//!   driver thread (the one that built the set) and one per registered thread. Every method
//!   takes `&self`; each thread finds its own `Bump` with no lock and no atomic
//!   read-modify-write, allocates in it, and gets references that live as long as the set.
//!   Values allocated by one worker can be read by all (`&T` is `Send` when `T: Sync`).
//! - [`ScratchArenas`]: the same, for data that dies at the end of a pass.
//!   [`reset`](ArenaSet::reset) takes `&mut self`, so the borrow checker proves no reference
//!   into the arenas outlives the pass; capacity kept across resets is capped.
//! - Typed helpers: [`alloc`](ArenaSet::alloc), [`alloc_str`](ArenaSet::alloc_str),
//!   [`alloc_slice_copy`](ArenaSet::alloc_slice_copy),
//!   [`alloc_from_iter`](ArenaSet::alloc_from_iter) (through a reused per-thread `SmallVec`
//!   scratch, so the arena never holds a vector's growth steps), and `try_` forms returning
//!   [`AllocError`] under an optional [per-thread limit](ArenasBuilder::limit_per_thread).
//!   Slices and strings come back as `&mut [T]` / `&mut str` (each is a fresh allocation),
//!   so scratch data can be sorted and edited in place.
//! - [`local_arena`](ArenaSet::local_arena): the same methods on a handle that looked the
//!   thread's arena up once, for allocation-heavy loops; [`local`](ArenaSet::local) hands out
//!   the raw `&Bump`.
//! - [`stats`](ArenaSet::stats): bytes used (computed from the set's own allocation pointer;
//!   `Bump::allocated_bytes()` is capacity) and capacity, per arena.
//!
//! # Example
//!
//! The recommended use on a rayon pool: build the sets with the pool (one arena per worker,
//! plus the driver's), allocate inside `pool.install`, take a [`LocalArena`] once per task
//! where a task allocates a lot, and reset scratch arenas between passes, once `install` has
//! returned. A two-worker pool builds per-file data in session arenas, and uses scratch
//! arenas for temporary data that is dropped between passes:
//!
//! ```
//! use std::sync::Arc;
//! use rayon::prelude::*;
//! use tern_arena::{Arenas, ScratchArenas};
//!
//! # // rayon's crossbeam-epoch is not strict-provenance clean; tests/arena.rs covers pools
//! # // under permissive Miri.
//! # if cfg!(miri) { return; }
//! let pool = Arc::new(rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap());
//! let arenas = Arenas::new(Arc::clone(&pool));
//! let mut scratch = ScratchArenas::new(Arc::clone(&pool));
//!
//! // Session data: allocated on both workers, read afterwards on the driver. A task that
//! // allocates a lot looks its thread's arena up once: `map_init` runs on the worker.
//! let names: Vec<&str> = pool.install(|| {
//!     (0..8)
//!         .into_par_iter()
//!         .map_init(|| arenas.local_arena(), |here, i| &*here.alloc_str(&format!("item{i}")))
//!         .collect()
//! });
//! assert_eq!(names[7], "item7");
//!
//! for pass in 0..3_u64 {
//!     let total: u64 = pool.install(|| {
//!         (0..8_u64)
//!             .into_par_iter()
//!             .map(|i| {
//!                 let tmp = scratch.alloc_from_iter((0..4).map(|k| i * k + pass));
//!                 tmp.iter().sum::<u64>()
//!             })
//!             .sum()
//!     });
//!     assert_eq!(total, 6 * 28 + 32 * pass);
//!     // Everything allocated in the pass is released at once; `&mut` proves nothing
//!     // allocated in it is still referenced.
//!     scratch.reset();
//!     assert_eq!(scratch.total_used(), 0);
//! }
//!
//! // The driver thread has its own arena too.
//! let root = arenas.alloc([1_u32, 2, 3]);
//! assert_eq!(root.len(), 3);
//! assert!(arenas.total_used() >= 8 * 5 + 12);
//! ```
//!
//! # Design
//!
//! The obvious versions each lose something. A `Mutex<Bump>` serialises every allocation.
//! A `thread_local!` `Bump` cannot hand out references that outlive the access closure or
//! the thread, and there is one per thread for the whole process rather than one per
//! compilation session. A pool of `Bump`s checked out under a lock (bumpalo-herd's shape)
//! pays the lock on every checkout. Here the set owns one `Bump` per thread it serves, all
//! freed together when the set goes; references borrow the set; and the lookup from thread to
//! `Bump` is, after the thread's first use of the set, one thread-local access and one
//! comparison (the front entry of a small per-thread cache keyed by the set's id), with no
//! lock and no atomic read-modify-write. For a run of allocations on one thread,
//! [`local_arena`](ArenaSet::local_arena) pays even that lookup once.
//!
//! The set's allocation methods bump through a *window* the thread reserved from its `Bump`
//! (up to 64 KiB; larger requests go to the `Bump` directly), with the window's pointer kept
//! in the thread's slot: a load, a subtraction, a mask, a comparison and a store, slightly
//! less than bumpalo's own path. That pointer is also the statistic: bytes used are computed
//! from it, so stats cost the allocation path nothing, and other threads read it
//! consistently through a sequence lock that only the window switch writes.
//!
//! # Threads
//!
//! Each arena is a `Bump`, which is `!Sync`, so the set is `Sync` only because no two threads
//! ever use the same one. A thread's arena is found by:
//!
//! 1. **the driver**: a process-unique thread token compared with the one recorded at build
//!    time;
//! 2. **pool workers**: `ThreadPool::current_thread_index()` of the set's own pool (the pool's
//!    method, which answers only on that pool's workers; `rayon::current_thread_index()` would
//!    also answer on another pool's worker), asked on a worker's first use of the set;
//! 3. **other threads**: a mutex-protected list, on first use. In a
//!    [strict](ThreadPolicy::Strict) set (the default of [`ArenaSet::new`]) only threads added
//!    by [`register_thread`](ArenaSet::register_thread) are in it, and any other thread panics
//!    with a message naming it; in an [`AnyThread`](ThreadPolicy::AnyThread) set
//!    ([`ArenaSet::for_any_thread`]) every thread is added on first use.
//!
//! The answers are kept in a per-thread cache keyed by a process-unique set id (a one-entry
//! front for the set used last, checked first, and four entries behind it), so later lookups
//! take no lock and no call into rayon. Thread tokens and set ids come from global counters
//! and are never reused, so a cache entry left by a dropped set can never match a later one.
//!
//! The `&Bump` from [`local`](ArenaSet::local) is `!Send`, so it cannot leave its thread
//! (a `compile_fail` example on `local` pins this).
//!
//! # Drop policy
//!
//! The arenas never run destructors; types that need `Drop` are refused at compile time (see
//! [`ArenaSet`]).
//!
//! # Loom and Miri
//!
//! The crate has no loom model: it shares nothing between threads but owner-written Relaxed
//! counters and a mutex-protected list, and it builds unchanged under `--cfg loom` (with std
//! types). Its tests run under Miri with Tree Borrows and strict provenance, except those
//! that start a rayon pool (rayon's crossbeam-epoch casts integers to pointers), which run
//! in a second pass with permissive provenance: `crates/arena/ci/miri.sh`.

#![warn(missing_docs)]

mod alloc;
mod builder;
mod error;
mod handle;
mod markers;
mod set;
mod slot;
mod thread;

pub use bumpalo::Bump;

pub use builder::{ArenasBuilder, DEFAULT_MAX_RETAINED, ScratchArenasBuilder, ThreadPolicy};
pub use error::{AllocError, AllocErrorKind};
pub use handle::{LocalArena, ThreadRegistration};
pub use markers::{Arenas, Kind, Scratch, ScratchArenas, Session};
pub use set::{ArenaSet, WorkerStats};
pub use slot::Role;

/// The README's examples, compiled and run as doctests so that they stay true. Not under
/// Miri: they start a rayon pool, whose crossbeam-epoch casts integers to pointers.
#[cfg(all(doctest, not(miri)))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
