//! # tern-intern: a concurrent interner for a parallel compiler
//!
//! Strings in, 4-byte [`Symbol`]s out, from every worker of a compiler at once; `resolve` back
//! to `&str` without a lock while others intern; tables that grow while they are read; and a
//! [`ValueInterner`] that hash-conses values (types) on the same machinery.
//!
//! ```
//! use tern_intern::{Interner, kw};
//!
//! let mut interner = Interner::new();
//! let words = ["fn", "main", "x", "main", "x", "y"];
//! let syms: Vec<_> = std::thread::scope(|s| {
//!     let hs: Vec<_> = (0..2)
//!         .map(|_| s.spawn(|| words.map(|w| interner.intern(w))))
//!         .collect();
//!     hs.into_iter().map(|h| h.join().unwrap()).collect()
//! });
//! assert_eq!(syms[0], syms[1]); // both threads got the same ids
//! assert_eq!(syms[0][0], kw::Fn); // keywords are pre-interned constants
//! assert_eq!(interner.resolve(syms[0][2]), "x");
//! interner.checkpoint(); // pass boundary: outgrown tables are freed
//! ```
//!
//! With a rayon pool, the recommended way (or use `tern-session`, which does all of this for
//! you): one shared collector, a [`Guarded`] interner, one participant per task with a
//! quiescent state between items, and a checkpoint after the pass.
//!
//! ```
//! use std::sync::Arc;
//! use rayon::prelude::*;
//! use tern_intern::{Guarded, Interner};
//! use tern_quiesce::Collector;
//!
//! # if cfg!(miri) { return; } // rayon's pool is checked under Miri by tern-session's tests
//! let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
//! let collector = Arc::new(Collector::new());
//! let mut interner =
//!     Guarded::new(Interner::builder().collector(Arc::clone(&collector)).build());
//! let files: Vec<String> = (0..64).map(|f| format!("fn f{f}() {{ let x{f} = {f}; }}")).collect();
//! let counts: Vec<usize> = pool.install(|| {
//!     files
//!         .par_iter()
//!         // One participant per rayon task (not per item: registering takes a lock).
//!         .map_init(
//!             || collector.register(),
//!             |me, text| {
//!                 let reader = interner.reader(me);
//!                 let n = text.split(|c: char| !c.is_alphanumeric()).map(|w| reader.intern(w)).count();
//!                 me.quiescent(); // end of the item: tables it outgrew may be freed
//!                 n
//!             },
//!         )
//!         .collect()
//! });
//! assert_eq!(counts.len(), 64);
//! interner.get_mut().checkpoint(); // the pass is over: free what is left
//! assert_eq!(collector.stats().pending_items, 0);
//! ```
//!
//! ## Why not a lock, a sharded map, or an epoch-protected map
//!
//! A compiler interns every identifier token: ~50 per KB of source, 97–98 % of them strings it
//! has seen before. The naive concurrent interner is a mutex around a hash map plus a `Vec` for
//! id → string: every lookup and every `resolve` takes the lock, and two workers spend their
//! time passing its cache line back and forth. Sharding helps writers but still locks on reads.
//! Lock-free maps with epoch or hazard protection (crossbeam-epoch, seize) put a pin or a guard
//! on *every* read: 2–4 ns on a 10 ns operation. None of them resolves an id without a lock.
//!
//! tern's answer: readers take no guard at all. A read is plain Acquire loads. Memory that a
//! reader might still be using (an outgrown table) is only freed at a point where no reader can
//! exist: the compiler's pass boundary ([`Interner::checkpoint`], `&mut self`), or earlier, by
//! explicit opt-in, once every registered worker passed a quiescent state of
//! [`tern_quiesce`] (QSBR), which workers announce between work items anyway.
//!
//! ## The table
//!
//! Open addressing with linear probing over a power-of-two array of 4-byte slots, grown at 3/4
//! load. A slot holds a symbol's id; the id table maps the id to its string, a node in the
//! arenas ([`tern_arena`], one bump arena per thread: no `malloc` per symbol). Every packed
//! word is defined in one module (`tagged`), the node in another (`node`):
//!
//! ```text
//!  slot (4 bytes):   [ tag: top 4 bits of the hash | id (28 bits) ]
//!                                                    │
//!  id table:         flat[id] ◀──────────────────────┘   one block reserved up front (4 Mi
//!                    │                                    ids), segments past it; never moved
//!  entry (8 bytes):  [ length (16 bits; 0: in the node) | node address (48 bits) ]  (x86_64)
//!                                                           │
//!  string node:      [ bytes ... ] ◀──────────────────────────┘   no header, 1-aligned (the
//!                                                                  empty string and strings
//!                                                                  of 64 KiB or more: a u32
//!                                                                  length first)
//! ```
//!
//! A string costs its bytes, one slot (4 bytes at 3/8 to 3/4 load) and one entry (8 bytes):
//! no header, no padding. The [`ValueInterner`] runs on the same table code with 8-byte slots
//! holding node addresses under a 16-bit tag.
//!
//! **Hit path** (`intern` of a known string, `get`): hash (`FxHash`), load the current table
//! (Acquire), load slots (Acquire) comparing tags, and for the slot whose tag matches load the
//! id's entry (Acquire): compare the length it carries, then the bytes. No lock, no
//! read-modify-write, no fence, no guard, no allocation. Misses (and, when switched on with
//! [`InternerBuilder::count_hits`], hits) are counted in a per-thread block with a Relaxed
//! load and store (no `lock` prefix, no shared line); a thread's first counted call on an
//! interner allocates that block once (`tests/alloc.rs` checks that hits allocate nothing
//! after it). **`resolve`** is one Acquire load: the entry at `flat[id]` carries the node's
//! address and the length, so the `&str` is built without touching the node. The flat block
//! is 32 MiB of address space mapped from the kernel (on unix; a small allocated block
//! elsewhere), outside the global allocator: only the pages the ids written so far touched
//! cost memory, whatever allocator the program installs (that is what
//! [`Stats::id_table_bytes`] and [`Interner::heap_bytes`] count); ids past it (over 4 Mi
//! symbols) go to segments allocated as needed. Lengths and tags ride in pointers' top 16 bits
//! on 64-bit `x86_64` only; elsewhere every node carries its length and value slots no tag.
//!
//! **Miss path**: allocate the node in the calling thread's arena, take an id (reusing an id a
//! lost race left behind first, see below), store the node's entry in the id table, then CAS
//! the empty slot to the id. The entry is written *before* the id becomes reachable from the
//! hash table, so whoever gets the id can resolve it. If the CAS finds an equal string first
//! (two threads raced to insert it), the loser clears its id-table entry, keeps its id in a
//! spare list for the next insert (ids stay dense) and counts its node's bytes as
//! `race_wasted_bytes`. Shared read-modify-writes per miss: the id, the slot's CAS and the
//! published count; the string bytes are counted in the per-thread block, and the id doubles as
//! the table's load count (ids are dense), so there is no shared occupancy counter.
//!
//! ## Growth
//!
//! A slot moves only forward: EMPTY → NODE → MOVED, or EMPTY → SEALED. An inserter that finds
//! the table over its load limit installs a successor twice as big (CAS on `next`), then
//! migrates: it claims stripes of 64 slots and for each slot copies the id into the successor
//! (rehashing its string; a copy first looks for the same word, so copying twice is harmless)
//! and then stores MOVED (an empty slot gets SEALED by a CAS, since an inserter may race for it);
//! a finished stripe is counted once. A thread that wants to insert while a migration is
//! running helps: it takes stripes, and if none are left but not all are counted it walks
//! every slot itself, so nobody ever waits for another thread. Only once every slot of the old
//! table is MOVED or SEALED does anyone insert into the successor, which is what makes "one
//! string, one symbol" hold across tables. `current` is then swung to the successor and the
//! old table retired.
//!
//! Readers never wait and never write. A migration finalises slots one at a time, so a probe
//! chain can be half moved: a reader passes over MOVED slots (their keys are in `next`, but a
//! string further along the chain may not be copied yet) and, at the chain's end (EMPTY after
//! a MOVED, or SEALED), continues in `next`; a reader that meets EMPTY with no MOVED before it
//! has its answer (the string was not inserted before that load).
//! The invariants are listed at the top of the `raw` module.
//!
//! ## Reclamation
//!
//! Where an outgrown table goes is decided by the call that outgrew it:
//!
//! - **Plain calls** (`interner.intern(s)` through any `&Interner`) keep it in a private
//!   list, freed by [`Interner::checkpoint`] (the `&mut self` borrow proves no thread is
//!   inside the interner). Such a call cannot know whether some other thread, registered
//!   with no collector, is still probing the table, so nothing but exclusive access may free
//!   it. Garbage is bounded: with doubling, all outgrown tables together are smaller than
//!   the live one, and `checkpoint` leaves none.
//! - **Calls through a reader** ([`Reader`], [`ValueReader`]) retire it to the collector,
//!   which frees it once every participant has passed a quiescent state: during the pass.
//!   That is sound only if every thread that can be probing the table is covered by an
//!   online participant that passes no quiescent state mid-call. A [`Guarded`] interner
//!   makes that a type: its shared access goes only through `guarded.reader(&participant)`,
//!   and the reader borrows the participant, so nothing (not even a value's `Hash` or `Eq`
//!   running inside the probe and reaching a participant through a thread-local) can
//!   announce a quiescent state for it while the call runs. `tern-session` builds on the
//!   same mechanism (its task contexts are the proof); [`Interner::reader_unchecked`] is the
//!   `unsafe` form for owners that prove coverage some other way.
//!
//! Retiring never runs reclamation: `intern` runs no destructor of anything retired to the
//! collector (and so cannot resume a destructor's panic halfway through an insert).
//! Interners can share one collector ([`InternerBuilder::collector`] takes an
//! `Arc<Collector>`), so one quiescent state per work item serves every table.
//!
//! Strings never need reclamation: they live in the arenas as long as the interner, and the id
//! table never moves, so `resolve` returns `&str` borrowed from `&self`.
//!
//! ## Determinism
//!
//! Ids depend on which thread inserts first, and so does `Symbol: Ord`: sorting or exporting
//! by symbol gives run-to-run different results. At a pass boundary, [`Interner::renumber`]
//! gives the non-pre-interned symbols ids in a schedule-independent [`Order`] and returns the
//! old → new [`Remap`] (and [`Interner::compact`] numbers the symbols it keeps
//! deterministically too):
//!
//! ```
//! use tern_intern::{Interner, Order};
//! let mut i = Interner::new();
//! let words = ["parse", "lex", "emit"];
//! std::thread::scope(|s| {
//!     s.spawn(|| words.iter().rev().for_each(|w| drop(i.intern(w))));
//!     s.spawn(|| words.iter().for_each(|w| drop(i.intern(w))));
//! });
//! let remap = i.renumber(Order::Lexicographic); // the ids now follow the text, whoever won
//! let mut by_id: Vec<&str> = i.iter().skip(tern_intern::PREINTERNED.len()).map(|(_, t)| t).collect();
//! assert_eq!(by_id, ["emit", "lex", "parse"]);
//! # let _ = (remap, &mut by_id);
//! ```
//!
//! Besides, [`Interner::export`] / [`Interner::import`] move a symbol table between
//! processes in a compact binary form with an id remap (corrupt input is an [`ImportError`],
//! never a panic).
//!
//! ## Pre-interned symbols
//!
//! [`kw`] (Rust keywords) and [`sym`] (well-known names) are `const` [`Symbol`]s with fixed ids
//! `1..=N`, declared with the [`symbols!`] macro; every interner built with the default table
//! returns them for their strings, so `if name == kw::SelfLower` needs no lookup.
//!
//! ## Values
//!
//! [`ValueInterner<T>`] runs on the same raw table (generic over the slot format and a key
//! trait, no second table) and shares the rest of its machinery with [`Interner`] (one core:
//! table, counters, reclamation, collector, arenas). It returns [`Interned<'_, T>`]: `Copy`,
//! `Deref<Target = T>`, equality and hashing by address. `T` must not need dropping (checked at compile time), which is what lets an
//! interned type contain `Interned` references to other types of the same interner.
//!
//! ## Checked by
//!
//! loom models (`tests/loom.rs`: racing inserts of one string, inserts across a resize,
//! lookups and resolves during resize and early reclamation, two tasks with a growth, a
//! reclaim and a reader mid-probe (under loom a freed table is a tombstone every probe
//! checks), a lookup behind a half-moved probe chain, a helper finishing a stripe another
//! thread holds, a race at the symbol limit, checkpoint after join, a value race), regression tests for the bugs a review found
//! (`tests/regress.rs`: a re-entrant `Eq` trying to free the table it is probing, panics,
//! arena refusals and races at the limit leaving no trace), a property test against
//! `std::collections::HashMap` (`tests/prop.rs`: intern, get, resolve, renumber,
//! export/import), Miri (tree borrows, strict provenance) on the unit tests,
//! a per-thread counting allocator proving hits allocate nothing (`tests/alloc.rs`), and a
//! stress test over real identifiers lexed from the workspace and the local cargo registry,
//! alternating rounds with and without early reclamation, with a counting allocator back at its
//! baseline after every round (`tests/stress.rs`, `scripts/stress.sh`, `scripts/tsan.sh`).
//!
//! ## Limits and panics
//!
//! At most 2^28 − 2 symbols (ids `1..=2^28 - 2`; the top 4 bits of a [`Symbol`] are its
//! epoch); [`InternerBuilder::max_symbols`] and [`InternerBuilder::max_string_bytes`] set lower
//! limits, reported by
//! [`Interner::try_intern`] as a [`CapacityError`]. A thread that finds the symbol limit
//! reached waits for inserts in flight (one may be inserting its very string) before it
//! reports the limit, so a race never fails spuriously. An insert that unwinds (an arena
//! that panics, a failure while retiring a table) leaves no id-table entry and no hole in
//! the ids.
#![warn(missing_docs)]

mod common;
mod compact;
mod ids;
mod interner;
mod node;
mod raw;
mod reader;
mod reclaim;
mod serial;
mod stats;
mod symbol;
mod sync;
mod tagged;
mod value;

pub use compact::ValueCompaction;
pub use interner::{CapacityError, CapacityErrorKind, Interner, InternerBuilder};
pub use reader::{Guardable, Guarded, Reader, ValueReader};
pub use serial::{ImportError, Order, Remap};
pub use symbol::{PREINTERNED, Symbol, kw, sym};
pub use value::{Interned, ValueInterner, ValueInternerBuilder};

// Interners are shared between worker threads by reference, and symbols and guarded
// interners sent to them; make sure these stay `Send + Sync` (the value interner's own
// `unsafe impl`s require it of `T`).
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Interner>();
    assert_send_sync::<ValueInterner<u32>>();
    assert_send_sync::<Guarded<Interner>>();
    assert_send_sync::<Symbol>();
};

/// Counters of an [`Interner`], from [`Interner::stats`] (a [`ValueInterner`]'s are
/// [`ValueStats`]).
///
/// Hits and misses are summed from per-thread blocks (no read-modify-write on the hit path);
/// a snapshot taken while other threads run may lag behind their last operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Lookups that found the key (`intern` of a known string, `get` → `Some`, and lost
    /// insert races, which return the winner), counted only while hit counting is on
    /// ([`InternerBuilder::count_hits`], off by default).
    pub hits: u64,
    /// Lookups that did not (`intern` that inserted, `get` → `None`).
    pub misses: u64,
    /// Inserts that lost a race to an equal key (their id was kept for reuse, their bytes
    /// are counted in `race_wasted_bytes`).
    pub races_lost: u64,
    /// Table growths.
    pub resizes: u64,
    /// Symbols (values for a [`ValueInterner`]).
    pub len: usize,
    /// Bytes of all interned strings (without headers).
    pub string_bytes: usize,
    /// Slots of the current table.
    pub table_slots: usize,
    /// Bytes of the current table.
    pub table_bytes: usize,
    /// Bytes of the id → string segments.
    pub id_table_bytes: usize,
    /// Bytes of outgrown tables handed to reclamation so far.
    pub retired_bytes: u64,
    /// Bytes of outgrown tables freed so far.
    pub reclaimed_bytes: u64,
    /// Arena bytes of nodes built by inserters that lost a race (never reused).
    pub race_wasted_bytes: u64,
    /// Ids held for reuse after lost races (holes in the id sequence until reused).
    pub spare_ids: usize,
}

/// Counters of a [`ValueInterner`], from [`ValueInterner::stats`]: the fields of [`Stats`]
/// that apply to values (no ids, no strings).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValueStats {
    /// Lookups that found the value (`intern` of a known value, `get` → `Some`, and lost
    /// insert races), counted only while hit counting is on
    /// ([`ValueInternerBuilder::count_hits`], off by default).
    pub hits: u64,
    /// Lookups that did not (`intern` that inserted, `get` → `None`).
    pub misses: u64,
    /// Inserts that lost a race to an equal value.
    pub races_lost: u64,
    /// Table growths.
    pub resizes: u64,
    /// Distinct values.
    pub len: usize,
    /// Slots of the current table.
    pub table_slots: usize,
    /// Bytes of the current table.
    pub table_bytes: usize,
    /// Bytes of outgrown tables handed to reclamation so far (their own size: what the
    /// collector counts for them too).
    pub retired_bytes: u64,
    /// Bytes of outgrown tables freed so far.
    pub reclaimed_bytes: u64,
    /// Arena bytes of values built by inserters that lost a race (never reused).
    pub race_wasted_bytes: u64,
}
