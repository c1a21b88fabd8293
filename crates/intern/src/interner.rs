//! The string interner.

use core::fmt;
use core::ptr::{self, NonNull};
use std::sync::Arc;

use tern_arena::Arenas;
use tern_quiesce::{Collector, Participant};

use crate::Stats;
use crate::common::Core;
use crate::ids::IdTable;
use crate::node::{self, entry_matches, entry_str, hash_str};
use crate::raw::{Present, RawKey, RawTable, RetiredTable};
use crate::reader::Reader;
use crate::reclaim::Retire;
use crate::stats::{Counters, Shared};
use crate::symbol::{ID_BITS, ID_MASK, PREINTERNED, Symbol};
use crate::sync::{AtomicU32, AtomicUsize, Mutex, Ordering, lock};
use crate::tagged::{IdSlot, entry};

/// The string table's keys are ids; what an id refers to is its entry in the id table.
pub(crate) struct StrKeys<'a>(pub(crate) &'a IdTable);

impl RawKey for StrKeys<'_> {
    type Format = IdSlot;
    type Query = str;

    #[inline]
    unsafe fn key_hash(&self, id: u32) -> u64 {
        match self.0.get(id) {
            // SAFETY: the trait's contract: `id` was published, so its entry (written before
            // its publication, and never cleared while it is in a table) packs a live node.
            Some(e) => hash_str(unsafe { entry_str(e) }),
            None => unreachable!("tern-intern: a published id has no entry"),
        }
    }

    #[inline]
    unsafe fn matches(&self, id: u32, query: &str) -> bool {
        // SAFETY: as in `key_hash` (an id in a table always has an entry; a null one would
        // match nothing rather than turn a broken invariant into undefined behaviour).
        unsafe { entry_matches(self.0.get_word(id), query) }
    }
}

/// Why [`Interner::try_intern`] refused a new string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapacityError {
    kind: CapacityErrorKind,
}

/// Which limit [`CapacityError`] hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CapacityErrorKind {
    /// The symbol limit ([`InternerBuilder::max_symbols`], at most `2^28 - 2`) is reached.
    Symbols,
    /// The string byte limit ([`InternerBuilder::max_string_bytes`]) would be exceeded.
    StringBytes,
    /// The string is longer than `u32::MAX` bytes.
    TooLong,
    /// The calling thread's arena refused the allocation (its per-thread limit).
    Arena,
}

impl CapacityError {
    pub(crate) fn new(kind: CapacityErrorKind) -> Self {
        CapacityError { kind }
    }
    /// Which limit was hit.
    pub fn kind(&self) -> CapacityErrorKind {
        self.kind
    }
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            CapacityErrorKind::Symbols => "the symbol limit is reached",
            CapacityErrorKind::StringBytes => "the string byte limit would be exceeded",
            CapacityErrorKind::TooLong => "the string is longer than u32::MAX bytes",
            CapacityErrorKind::Arena => "the arena of this thread refused the allocation",
        };
        write!(f, "tern-intern: cannot intern a new string: {what}")
    }
}

impl std::error::Error for CapacityError {}

/// Options for [`Interner`]; see [`Interner::builder`].
#[derive(Debug)]
pub struct InternerBuilder {
    capacity: usize,
    max_symbols: u32,
    max_bytes: usize,
    preinterned: &'static [&'static str],
    collector: Option<Arc<Collector>>,
    arenas: Option<Arenas>,
    count_hits: bool,
}

impl InternerBuilder {
    /// Whether hits are counted in [`Stats::hits`] (default `false`: counting costs the hit
    /// path a thread-local lookup); see [`Interner::set_count_hits`].
    #[must_use]
    pub fn count_hits(mut self, on: bool) -> Self {
        self.count_hits = on;
        self
    }

    /// Room for this many symbols (pre-interned included) before the first growth.
    #[must_use]
    pub fn capacity(mut self, symbols: usize) -> Self {
        self.capacity = symbols;
        self
    }

    /// At most this many symbols, pre-interned included (default and maximum: `2^28 - 2`,
    /// about 268 million: a symbol's top 4 bits hold its epoch; larger values mean the
    /// maximum).
    #[must_use]
    pub fn max_symbols(mut self, n: u32) -> Self {
        self.max_symbols = n.min(MAX_SYMBOLS);
        self
    }

    /// At most this many string bytes in total (checked before each insert; concurrent
    /// inserters may overshoot it by at most one string each).
    #[must_use]
    pub fn max_string_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }

    /// The pre-interned table (default: [`PREINTERNED`], i.e. [`kw`](crate::kw) and
    /// [`sym`](crate::sym)). String `i` gets id `i + 1`; a table declared with
    /// [`symbols!`](crate::symbols) matches its constants. `&[]` pre-interns nothing (then the
    /// crate's `kw`/`sym` constants do not belong to the interner).
    ///
    /// # Panics
    ///
    /// `build` panics if the table has a duplicate or does not fit the limits.
    #[must_use]
    pub fn preinterned(mut self, table: &'static [&'static str]) -> Self {
        self.preinterned = table;
        self
    }

    /// Join an existing collector and arena set instead of creating new ones.
    #[must_use]
    pub fn parts(self, collector: Collector, arenas: Arenas) -> Self {
        self.collector(Arc::new(collector)).arenas(arenas)
    }

    /// Share `collector` with other structures (other interners, a session, your own
    /// retired data): one quiescent state of a participant then serves all of them.
    /// Default: a collector of its own.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tern_intern::{Interner, ValueInterner};
    /// use tern_quiesce::Collector;
    ///
    /// let collector = Arc::new(Collector::new());
    /// let strings = Interner::builder().collector(Arc::clone(&collector)).build();
    /// let values = ValueInterner::<u64>::builder().collector(Arc::clone(&collector)).build();
    /// assert!(std::ptr::eq(strings.collector(), values.collector()));
    /// ```
    #[must_use]
    pub fn collector(mut self, collector: Arc<Collector>) -> Self {
        self.collector = Some(collector);
        self
    }

    /// Allocate strings in `arenas` (default: an any-thread set of its own).
    #[must_use]
    pub fn arenas(mut self, arenas: Arenas) -> Self {
        self.arenas = Some(arenas);
        self
    }

    /// Builds the interner and pre-interns the table.
    pub fn build(self) -> Interner {
        let first = self.preinterned.len() as u32 + 1;
        let mut i = Interner {
            core: Core::new(
                self.capacity.max(self.preinterned.len()),
                false,
                self.collector,
                self.arenas,
            ),
            ids: IdTable::new(),
            next_id: AtomicU32::new(1),
            published: AtomicU32::new(0),
            epoch: 0,
            spare: Mutex::new(Vec::new()),
            spare_len: AtomicUsize::new(0),
            max_symbols: self.max_symbols,
            max_bytes: self.max_bytes,
            preinterned: self.preinterned,
        };
        for (n, s) in self.preinterned.iter().enumerate() {
            let got = i
                .try_intern(s)
                .unwrap_or_else(|e| panic!("pre-interned table does not fit: {e}"));
            assert!(
                got.as_u32() == n as u32 + 1,
                "pre-interned table has {s:?} twice (entries {} and {n})",
                got.index()
            );
        }
        // Fresh counters: pre-interning is not traffic (its inserts would count as misses),
        // but its strings are in `Stats::string_bytes`.
        i.core.counters = Counters::new(self.count_hits);
        let bytes: usize = self.preinterned.iter().map(|s| s.len()).sum();
        i.core.counters.reset_bytes(bytes as u64);
        // Relaxed: single-threaded here (the interner is not shared yet).
        debug_assert_eq!(i.next_id.load(Ordering::Relaxed), first);
        i
    }
}

/// A concurrent string interner: strings in, 4-byte [`Symbol`]s out, from any number of
/// threads at once. See the [crate docs](crate) for the design.
///
/// ```
/// use tern_intern::{Interner, kw};
/// let interner = Interner::new();
/// let a = interner.intern("parse_expr");
/// std::thread::scope(|s| {
///     s.spawn(|| assert_eq!(interner.intern("parse_expr"), a));
///     s.spawn(|| assert_eq!(interner.resolve(a), "parse_expr"));
/// });
/// assert_eq!(interner.intern("fn"), kw::Fn);
/// assert_eq!(interner.get("nope"), None);
/// ```
pub struct Interner {
    /// The table (of ids), counters, reclamation, collector and arenas.
    pub(crate) core: Core<IdSlot>,
    /// id → string node (with the string's length).
    pub(crate) ids: IdTable,
    /// Next fresh id (ids below it were handed out; some may be spares, some in flight).
    pub(crate) next_id: AtomicU32,
    /// Symbols published (the exact `len()`): incremented (`Release`) by each insert that
    /// won, after its node is in the table. Ids handed out minus spares minus this are the
    /// inserts in flight, which a thread that hit the symbol limit waits for (one of them may
    /// be inserting its very string).
    pub(crate) published: AtomicU32,
    /// Renumberings so far, modulo [`crate::symbol::EPOCHS`]: the top bits of every
    /// non-pre-interned symbol handed out now. Changed only under `&mut self`.
    pub(crate) epoch: u32,
    /// Ids taken by inserters that lost a race; reused before fresh ids.
    pub(crate) spare: Mutex<Vec<u32>>,
    /// `spare.len()`, readable without the lock.
    pub(crate) spare_len: AtomicUsize,
    max_symbols: u32,
    max_bytes: usize,
    pub(crate) preinterned: &'static [&'static str],
}

/// Ids run from 1 to `2^28 - 2`: `next_id` must stay within the id bits.
pub(crate) const MAX_SYMBOLS: u32 = ID_MASK - 1;

impl Default for Interner {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .field("table", &self.core.table)
            .finish_non_exhaustive()
    }
}

impl Interner {
    /// An interner with its own collector and any-thread arenas, pre-interning
    /// [`kw`](crate::kw) and [`sym`](crate::sym).
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// As [`new`](Self::new), with room for `symbols` symbols before the table first grows.
    pub fn with_capacity(symbols: usize) -> Self {
        Self::builder().capacity(symbols).build()
    }

    /// An interner that joins an existing collector and arena set: the compiler's workers
    /// register participants on [`collector`](Self::collector) and allocate in
    /// [`arenas`](Self::arenas).
    ///
    /// New strings are allocated in the calling thread's arena, so with a strict set
    /// (`Arenas::new(pool)`) only the pool's workers, the driver thread and registered threads
    /// may intern *new* strings (others panic in the arena with a message naming the thread);
    /// lookups, `get` and `resolve` allocate nothing and work from any thread.
    ///
    /// ```
    /// use tern_intern::Interner;
    /// use tern_quiesce::Collector;
    /// use tern_arena::Arenas;
    ///
    /// let interner = Interner::with_parts(Collector::new(), Arenas::for_any_thread());
    /// let s = interner.intern("shared");
    /// assert_eq!(interner.resolve(s), "shared");
    /// ```
    ///
    /// Keep your own data (ASTs) in an arena set of its own, not in
    /// [`arenas`](Self::arenas): references into the interner's arenas borrow the interner,
    /// so they would forbid its `checkpoint(&mut self)` (and `compact` moves the strings).
    pub fn with_parts(collector: Collector, arenas: Arenas) -> Self {
        Self::builder().parts(collector, arenas).build()
    }

    /// All options.
    pub fn builder() -> InternerBuilder {
        InternerBuilder {
            capacity: 0,
            max_symbols: MAX_SYMBOLS,
            max_bytes: usize::MAX,
            preinterned: PREINTERNED,
            collector: None,
            arenas: None,
            count_hits: false,
        }
    }

    /// The collector (register participants on it).
    pub fn collector(&self) -> &Collector {
        &self.core.collector
    }

    /// The collector's shared handle (to build more structures on it).
    pub fn shared_collector(&self) -> &Arc<Collector> {
        &self.core.collector
    }

    /// The arena set holding the strings (for its stats; keep your own data in a set of its
    /// own, see [`with_parts`](Self::with_parts)).
    pub fn arenas(&self) -> &Arenas {
        &self.core.arenas
    }

    /// Gives the collector and the arenas back (the strings stay in the arenas).
    pub fn into_parts(self) -> (Arc<Collector>, Arenas) {
        let Interner { core, ids, .. } = self;
        drop(ids);
        core.into_parts()
    }

    /// The pre-interned table this interner was built with.
    pub fn preinterned(&self) -> &'static [&'static str] {
        self.preinterned
    }

    /// The symbol for `s`, interning it if new. Any thread, concurrently with everything but
    /// the `&mut self` methods.
    ///
    /// # Panics
    ///
    /// When a new string hits a limit (see [`try_intern`](Self::try_intern)).
    #[inline]
    pub fn intern(&self, s: &str) -> Symbol {
        match self.try_intern(s) {
            Ok(sym) => sym,
            Err(e) => capacity_panic(&e),
        }
    }

    /// As [`intern`](Self::intern), but a new string that would exceed a limit is an error.
    ///
    /// # Errors
    ///
    /// [`CapacityError`] when `s` is new and the symbol limit, the string byte limit, the
    /// `u32` length limit or the calling thread's arena limit would be exceeded.
    #[inline]
    pub fn try_intern(&self, s: &str) -> Result<Symbol, CapacityError> {
        // SAFETY: `Private` has no precondition.
        unsafe { self.try_intern_to(s, Retire::Private) }
    }

    #[allow(
        clippy::inline_always,
        reason = "the hit path: left to its own judgement LLVM keeps it out of line, and the \
                  call (register saves, spills) costs ~10 % of a hit (intern_pairs, hit_1t)"
    )]
    /// `try_intern`, sending an outgrown table to `to`.
    ///
    /// # Safety
    ///
    /// `interner.try_intern_to(s, to)` is sound if and only if:
    /// - the contract of [`Reclaim::retire`] holds for `to`.
    #[inline(always)]
    pub(crate) unsafe fn try_intern_to(
        &self,
        s: &str,
        to: Retire,
    ) -> Result<Symbol, CapacityError> {
        let hash = hash_str(s);
        // SAFETY: the table only holds ids published with entries in `self.ids`, whose nodes
        // live in this interner's arenas as long as `self`.
        if let Some(id) = unsafe { self.core.table.find(&StrKeys(&self.ids), hash, s) } {
            self.core.counters.hit();
            return Ok(self.symbol_of(id));
        }
        // SAFETY: the caller's contract.
        unsafe { self.insert(s, hash, to) }
    }

    /// The symbol for `s` if it was interned.
    #[inline]
    pub fn get(&self, s: &str) -> Option<Symbol> {
        // SAFETY: as in `try_intern_to`.
        let found = unsafe { self.core.table.find(&StrKeys(&self.ids), hash_str(s), s) };
        if let Some(id) = found {
            self.core.counters.hit();
            Some(self.symbol_of(id))
        } else {
            self.core.counters.miss(0);
            None
        }
    }

    /// The string of `sym`: O(1), no lock, valid while others intern.
    ///
    /// # Panics
    ///
    /// If `sym` was not returned by this interner (and its id is not one of ours).
    #[inline]
    pub fn resolve(&self, sym: Symbol) -> &str {
        if cfg!(debug_assertions) {
            self.check_epoch(sym);
        }
        // The fast path without an `Option` in between (its null test is not free).
        let e = self.ids.get_word(sym.id());
        if let Some(len) = entry::len_of(e) {
            // SAFETY: as in `try_resolve`.
            return unsafe { node::short_str(e, len) };
        }
        self.resolve_slow(sym, e)
    }

    /// `resolve` of a string whose length is in its node, or of an id without an entry.
    #[allow(
        clippy::unused_self,
        reason = "the borrow of `self` is what bounds the returned string's lifetime"
    )]
    #[cold]
    fn resolve_slow(&self, sym: Symbol, e: *mut u8) -> &str {
        match NonNull::new(e) {
            // SAFETY: as in `try_resolve`.
            Some(e) => unsafe { entry_str(e) },
            None => foreign_symbol(sym),
        }
    }

    /// The string of `sym`, or `None` for an id this interner never published.
    ///
    /// # Panics
    ///
    /// In debug builds, if `sym` is stale: from before a [`compact`](Self::compact) or
    /// [`renumber`](Self::renumber) that moved it (map it with the returned [`Remap`](crate::Remap)).
    #[inline]
    pub fn try_resolve(&self, sym: Symbol) -> Option<&str> {
        if cfg!(debug_assertions) {
            self.check_epoch(sym);
        }
        let e = self.ids.get_word(sym.id());
        if let Some(len) = entry::len_of(e) {
            // SAFETY: an entry with a length field is a packed short node of `len` initialised
            // bytes in `self.arenas`, which live as long as `&self`; read with Acquire.
            return Some(unsafe { node::short_str(e, len) });
        }
        // SAFETY: as above, for an unused entry (null) or one whose length is in its node.
        NonNull::new(e).map(|e| unsafe { entry_str(e) })
    }

    /// Number of symbols (pre-interned included): those published so far (an insert in
    /// flight counts once its symbol can be found).
    pub fn len(&self) -> usize {
        // Relaxed: a count; exact once concurrent interns finished (their joins order them
        // before this load).
        self.published.load(Ordering::Relaxed) as usize
    }

    /// `true` when there is no symbol at all (only with an empty pre-interned table).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every symbol with its string, in id order.
    ///
    /// Exact when no other thread is interning. While others intern, their new symbols may or
    /// may not show, and an id whose insert is about to lose a race (its entry is written
    /// before the table insert, so that `resolve` never misses) can briefly show with the same
    /// string as the winner; call it at a pass boundary for a consistent listing.
    pub fn iter(&self) -> impl Iterator<Item = (Symbol, &str)> + '_ {
        // Relaxed: an upper bound; entries are read with Acquire in `IdTable::get`.
        let end = self.next_id.load(Ordering::Relaxed);
        (1..end).filter_map(move |id| {
            let e = self.ids.get(id)?;
            // SAFETY: as in `try_resolve`.
            Some((self.symbol_of(id), unsafe { entry_str(e) }))
        })
    }

    /// Pass boundary: frees every outgrown table. `&mut self` proves that no thread is inside a
    /// method of this interner (and no participant of its collector is alive).
    ///
    /// Strings stay valid across it, but the borrow checker still ends every `&str` from
    /// `resolve` and every participant at the checkpoint; this does not compile:
    ///
    /// ```compile_fail,E0502
    /// let mut i = tern_intern::Interner::new();
    /// let p = i.collector().register();
    /// i.checkpoint();
    /// drop(p);
    /// ```
    ///
    /// With a collector of its own (the default) this frees everything at once, without
    /// atomics. With a shared collector it frees the tables outgrown by plain calls and then
    /// runs what the collector may free (`try_reclaim`: what every registered participant of
    /// any structure on it has passed).
    pub fn checkpoint(&mut self) {
        self.core.checkpoint();
    }

    /// Frees the tables outgrown by plain `&self` calls (those not made through a
    /// [`Reader`]) and returns their bytes; leaves the collector alone. For owners of a shared
    /// collector who sweep it themselves (a session), so each byte is counted once.
    pub fn free_outgrown(&mut self) -> usize {
        self.core.free_outgrown()
    }

    /// Runs the collector's elapsed batches (among them the tables outgrown by calls through
    /// a [`Reader`], once every participant has passed a quiescent state); returns how many
    /// resources were freed. Tables outgrown by plain calls wait for
    /// [`checkpoint`](Self::checkpoint).
    ///
    /// # Panics
    ///
    /// When a destructor of something else retired to the collector panics (after all ran).
    pub fn reclaim(&self) -> usize {
        self.core.reclaim()
    }

    /// A view whose calls retire outgrown tables to the collector, so that they are freed
    /// during a pass, once every participant has passed a quiescent state, instead of at the
    /// next checkpoint. [`Guarded`](crate::Guarded) hands these out safely; this is the
    /// unchecked form for owners that prove the contract another way (`tern-session` owns
    /// its interner and gives access during a pass only through its task contexts).
    ///
    /// # Safety
    ///
    /// `interner.reader_unchecked(p)` is sound if and only if:
    /// - `p` is a participant of `self.collector()`, and
    /// - from this call until every table retired through readers of this interner has been
    ///   freed, every thread that is inside a `&self` method of this interner (through a
    ///   reader or not) holds an online participant of `self.collector()` that passes no
    ///   quiescent state, goes offline or synchronizes before the method returns (not even
    ///   from code the method runs: hashing, comparing, a destructor), or was started by
    ///   such a thread and is joined by it before that participant's next quiescent state.
    #[inline]
    pub unsafe fn reader_unchecked<'a>(&'a self, p: &'a Participant<'_>) -> Reader<'a, 'a> {
        debug_assert!(
            ptr::eq(p.collector(), self.collector()),
            "tern-intern: a reader needs a participant of the interner's own collector"
        );
        let _ = p;
        Reader::new(self)
    }

    /// Turns the hit counter on (or off again). It is off by default: counting a hit costs a
    /// thread-local lookup and a load and store on the hit path (no RMW, but 5–10 % of a
    /// ~15 ns hit); with it off, [`Stats::hits`] stays at its last value. Misses are always
    /// counted.
    pub fn set_count_hits(&mut self, on: bool) {
        self.core.set_count_hits(on);
    }

    /// Counters; see [`Stats`].
    pub fn stats(&self) -> Stats {
        let t = self.core.table_stats();
        Stats {
            hits: t.hits,
            misses: t.misses,
            races_lost: t.races_lost,
            resizes: t.resizes,
            len: self.len(),
            string_bytes: self.core.counters.bytes() as usize,
            table_slots: t.table_slots,
            table_bytes: t.table_bytes,
            id_table_bytes: self.ids.bytes(self.id_end()),
            retired_bytes: t.retired_bytes,
            reclaimed_bytes: t.reclaimed_bytes,
            race_wasted_bytes: t.race_wasted_bytes,
            spare_ids: self.spare_len.load(Ordering::Relaxed),
        }
    }

    /// One past the highest id handed out so far.
    pub(crate) fn id_end(&self) -> u32 {
        // Relaxed: an upper bound for statistics and listings (entries are read with Acquire).
        self.next_id.load(Ordering::Relaxed)
    }

    /// The miss path: allocate a node and an id, publish, or adopt the winner of a race.
    ///
    /// Unwinding leaves no trace: the node is allocated and its entry packed before the id (an
    /// arena that refuses by panicking, or a node address packing rejects, holds no id), and
    /// from the id-table entry's write to the id's publication a guard clears the entry and
    /// gives the id back if anything panics.
    ///
    /// # Safety
    ///
    /// `interner.insert(s, hash, to)` is sound if and only if:
    /// - `hash` is `hash_str(s)`, and
    /// - the contract of [`Reclaim::retire`](crate::reclaim::Reclaim::retire) holds for `to`.
    #[inline(never)]
    unsafe fn insert(&self, s: &str, hash: u64, to: Retire) -> Result<Symbol, CapacityError> {
        if u32::try_from(s.len()).is_err() {
            return Err(CapacityError::new(CapacityErrorKind::TooLong));
        }
        if self.max_bytes != usize::MAX
            // An advisory limit (documented overshoot): the per-thread counts, summed.
            && (self.core.counters.bytes() as usize).saturating_add(s.len()) > self.max_bytes
        {
            return Err(CapacityError::new(CapacityErrorKind::StringBytes));
        }
        let layout = node::layout(s.len()).ok_or(CapacityError::new(CapacityErrorKind::TooLong))?;
        // Through the arena set, not the raw Bump: counted in its per-worker stats and held
        // to its allocation limit. Before the id: a refusal (or a panic) here holds none.
        let Ok(node) = self.core.arenas.try_alloc_layout(layout) else {
            return Err(CapacityError::new(CapacityErrorKind::Arena));
        };
        // Also before the id: packing panics on an address with the high bits in use.
        let packed = entry::pack(node, s.len());
        let id = match self.alloc_id() {
            Ok(id) => id,
            // SAFETY: the caller's contract (`hash` is `s`'s).
            Err(e) => match unsafe { self.at_the_limit(s, hash) } {
                AtLimit::Id(id) => id,
                AtLimit::Found(sym) => {
                    // The bytes stay in the arena, unused, like a lost race's.
                    Shared::add(&self.core.reclaim.shared.race_wasted_bytes, layout.size());
                    return Ok(sym);
                }
                AtLimit::Full => {
                    Shared::add(&self.core.reclaim.shared.race_wasted_bytes, layout.size());
                    return Err(e);
                }
            },
        };
        // SAFETY: `node` is a fresh arena allocation of `node::layout(s.len())`, ours alone until
        // published; `s.len()` fits a u32 (checked above).
        unsafe { node::write(node, s) };
        // Before the table: whoever gets `id` from the table must find the entry. Until the
        // id is published (or the race lost), an unwind clears it and returns the id.
        let guard = UnpublishedId { interner: self, id };
        self.ids.set(id, packed);
        let retire = |t: RetiredTable| {
            // SAFETY: the caller's contract for `to`.
            unsafe { self.core.retire(t, to) };
            // A panic here unwinds out of the table insert after the id entry was written.
            #[cfg(all(test, not(loom)))]
            tests::maybe_inject_panic();
        };
        // SAFETY: the entry of `id` packs an initialised node equal to `s` in our arenas (live
        // as long as `self`), stored (Release) before the table's CAS publishes the id; old
        // tables go where the caller's contract allows. `id` also estimates the symbol count
        // (ids are dense).
        let outcome = unsafe {
            self.core
                .table
                .insert(&StrKeys(&self.ids), hash, id, s, id as usize, &retire)
        };
        match outcome {
            Ok(()) => {
                core::mem::forget(guard);
                // Release: pairs with the Acquire load in `at_the_limit`, so a thread that
                // sees this count also finds the id (published before, by the CAS).
                self.published.fetch_add(1, Ordering::Release);
                self.core.counters.miss(s.len());
                Ok(self.symbol_of(id))
            }
            Err(Present(winner)) => {
                drop(guard); // clears the entry, keeps the id for the next insert
                self.core.lost_race(layout.size());
                Ok(self.symbol_of(winner))
            }
        }
    }

    /// At the symbol limit: an insert in flight may be inserting `s` itself (it took its
    /// id before this thread looked), so its symbol is the answer, not an error; and a lost
    /// race may give an id back. Waits until `s` is found, an id becomes free, or no insert is
    /// in flight any more (then the limit is real). Every in-flight insert finishes without
    /// waiting for anyone (the table is lock-free), so the wait is short; it only happens at
    /// the limit.
    ///
    /// # Safety
    ///
    /// `interner.at_the_limit(s, hash)` is sound if and only if:
    /// - `hash` is `hash_str(s)`.
    #[cold]
    unsafe fn at_the_limit(&self, s: &str, hash: u64) -> AtLimit {
        let mut spins = 0u32;
        loop {
            // Acquire: pairs with the Release increment in `insert`: a count that includes
            // an insert makes its node visible to the `find` below. Read first, so that an
            // insert published after this load still counts as in flight.
            let published = self.published.load(Ordering::Acquire);
            // SAFETY: as in `try_intern_to`; `hash` is `s`'s (the caller's contract).
            if let Some(id) = unsafe { self.core.table.find(&StrKeys(&self.ids), hash, s) } {
                self.core.counters.hit();
                return AtLimit::Found(self.symbol_of(id));
            }
            if let Ok(id) = self.alloc_id() {
                return AtLimit::Id(id);
            }
            let spare = lock(&self.spare);
            // Relaxed: at the limit `next_id` no longer moves (every RMW on it fails), and
            // this thread's own failed RMW read its final value.
            let handed_out = self.next_id.load(Ordering::Relaxed) - 1;
            // Every handed-out id is a spare, published, or held by an insert in flight. No
            // spare and all published (none published since `published` was read, so `find`
            // saw them all): nobody can be inserting `s`, and there is no room for it.
            if spare.is_empty() && handed_out <= published {
                return AtLimit::Full;
            }
            drop(spare);
            spins += 1;
            if spins < 64 {
                crate::sync::spin_loop();
            } else {
                crate::sync::yield_now();
            }
        }
    }

    /// Keeps an id that was taken but not published, for the next insert (ids stay dense).
    fn give_back_id(&self, id: u32) {
        let mut spare = lock(&self.spare);
        spare.push(id);
        // Relaxed: a hint for `alloc_id`, which re-checks under the lock.
        self.spare_len.store(spare.len(), Ordering::Relaxed);
    }

    fn alloc_id(&self) -> Result<u32, CapacityError> {
        // Relaxed: a hint; the lock decides.
        if self.spare_len.load(Ordering::Relaxed) != 0 {
            let mut spare = lock(&self.spare);
            if let Some(id) = spare.pop() {
                // Relaxed: as in `give_back_id`.
                self.spare_len.store(spare.len(), Ordering::Relaxed);
                return Ok(id);
            }
        }
        let max = self.max_symbols;
        // Relaxed: ids only need to be distinct; what they index is published by `IdTable`.
        self.next_id
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n <= max).then_some(n + 1)
            })
            .map_err(|_| CapacityError::new(CapacityErrorKind::Symbols))
    }

    /// The symbol of id `id` now: pre-interned ones are epoch 0, the others carry the
    /// current epoch.
    #[inline]
    pub(crate) fn symbol_of(&self, id: u32) -> Symbol {
        let epoch = if id as usize <= self.preinterned.len() {
            0
        } else {
            self.epoch
        };
        debug_assert!(id != 0 && id <= ID_MASK);
        match Symbol::from_u32(epoch << ID_BITS | id) {
            Some(sym) => sym,
            None => unreachable!("tern-intern: ids start at 1"),
        }
    }

    /// The current epoch (renumberings so far, modulo 16).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// Debug builds: panics if `sym` belongs to an older epoch (a renumbering moved it).
    #[inline]
    fn check_epoch(&self, sym: Symbol) {
        if sym.epoch() != self.epoch && sym.id() as usize > self.preinterned.len() {
            stale_symbol(sym, self.epoch);
        }
    }

    // ---- exclusive-access helpers for `serial.rs` and `compact.rs` ----

    /// Starts the next epoch (a renumbering): symbols handed out before are stale.
    pub(crate) fn next_epoch(&mut self) -> u32 {
        self.epoch = (self.epoch + 1) % crate::symbol::EPOCHS;
        self.epoch
    }

    pub(crate) fn next_id_mut(&mut self) -> u32 {
        crate::sync::u32_mut(&mut self.next_id)
    }

    /// Renumbers under `&mut`: `order[k]` is the id-table entry (the string) getting id
    /// `first + k`; ids below `first` keep theirs. The table holds ids, so it is rebuilt.
    pub(crate) fn apply_order(&mut self, first: u32, order: &[NonNull<u8>]) {
        let end = self.next_id_mut();
        self.ids.clear_range(first, end);
        for (k, &e) in order.iter().enumerate() {
            self.ids.set(first + k as u32, e.as_ptr());
        }
        let next = first + order.len() as u32;
        let mut table = RawTable::with_capacity(next as usize - 1);
        for id in 1..next {
            if let Some(e) = self.ids.get(id) {
                // SAFETY: `&mut self`: no writer; entries pack live nodes of our arenas.
                table.insert_mut(hash_str(unsafe { entry_str(e) }), id);
            }
        }
        // The old table (and a successor, had a panic left a migration half done) is dropped
        // here: `&mut self`, so nobody probes it.
        self.core.table = table;
        self.next_id = AtomicU32::new(next);
        self.published = AtomicU32::new(next - 1);
        self.spare = Mutex::new(Vec::new());
        self.spare_len = AtomicUsize::new(0);
    }

    /// The id-table entry of `sym` (its string's node and length), if it has one.
    pub(crate) fn entry_of(&self, sym: Symbol) -> Option<NonNull<u8>> {
        self.ids.get(sym.id())
    }
}

/// What [`Interner::at_the_limit`] found.
enum AtLimit {
    /// An id came free.
    Id(u32),
    /// The string was published by an insert that was in flight.
    Found(Symbol),
    /// The limit is real.
    Full,
}

/// An id whose id-table entry is written but whose node is not published yet: dropped (on
/// a lost race, or by an unwind out of the table insert), it clears the entry and keeps the
/// id for the next insert, so a panic leaves neither an orphaned entry nor a hole.
struct UnpublishedId<'a> {
    interner: &'a Interner,
    id: u32,
}

impl Drop for UnpublishedId<'_> {
    fn drop(&mut self) {
        // `clear`, not `set`: it allocates nothing, so it cannot panic again while a panic in
        // the `set` of this id's entry (a segment that could not be allocated) unwinds.
        self.interner.ids.clear(self.id);
        self.interner.give_back_id(self.id);
    }
}

#[cold]
#[track_caller]
fn stale_symbol(sym: Symbol, epoch: u32) -> ! {
    panic!(
        "tern-intern: {sym:?} is stale: it is from epoch {} and the interner is at epoch {epoch} \
         (compaction or renumbering #{epoch} mod 16 moved it, or dropped it); map it with the \
         Remap that call returned",
        sym.epoch()
    )
}

#[cold]
#[track_caller]
fn foreign_symbol(sym: Symbol) -> ! {
    panic!(
        "tern-intern: {sym:?} is not a symbol of this interner (from another interner, or forged)"
    )
}

#[cold]
#[track_caller]
fn capacity_panic(e: &CapacityError) -> ! {
    panic!("{e}")
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::{kw, sym};

    std::thread_local! {
        /// Set by a test: the next table retirement on this thread panics once the table is
        /// handed over (an unwind out of the table insert, after the id entry is written and
        /// before the node is published).
        static PANIC_IN_RETIRE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    pub(super) fn maybe_inject_panic() {
        assert!(
            !PANIC_IN_RETIRE.with(|p| p.replace(false)),
            "injected: table retirement failed"
        );
    }

    /// An unwind between the id-table entry and the node's publication leaves no trace: no
    /// orphaned entry, no leaked id, one symbol per string afterwards.
    #[test]
    fn an_unwind_out_of_the_table_insert_leaves_no_trace() {
        let i = Interner::builder().preinterned(&[]).capacity(2).build();
        let a = i.intern("a");
        i.intern("b");
        i.intern("c"); // 3 of 4 slots: the next insert grows, retiring the old table
        PANIC_IN_RETIRE.with(|p| p.set(true));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| i.intern("d")));
        assert!(r.is_err(), "the injected panic surfaced");
        assert_eq!(i.len(), 3);
        assert_eq!(i.iter().count(), 3, "no orphaned id-table entry");
        assert_eq!(i.get("d"), None);
        let d = i.intern("d");
        assert_eq!(d.as_u32(), 4, "the id came back: ids stay dense");
        assert_eq!(i.intern("d"), d);
        assert_eq!(i.iter().filter(|(_, s)| *s == "d").count(), 1);
        assert_eq!((i.resolve(a), i.resolve(d)), ("a", "d"));
    }

    #[test]
    fn interns_resolves_and_preinterns() {
        let i = Interner::builder().count_hits(true).build();
        let p = PREINTERNED.len();
        assert_eq!(i.len(), p);
        assert_eq!(i.intern("fn"), kw::Fn);
        assert_eq!(i.intern("Option"), sym::Option);
        assert_eq!(i.resolve(kw::SelfUpper), "Self");
        let a = i.intern("alpha");
        let b = i.intern("beta");
        assert_ne!(a, b);
        assert_eq!(a.as_u32() as usize, p + 1);
        assert_eq!(i.intern("alpha"), a);
        assert_eq!(i.get("beta"), Some(b));
        assert_eq!(i.get("gamma"), None);
        assert_eq!(i.resolve(a), "alpha");
        assert_eq!(i.resolve(i.intern("")), "");
        assert_eq!(i.len(), p + 3);
        let st = i.stats();
        assert_eq!(st.len, p + 3);
        // 4 hits (fn, Option, alpha, get beta), 4 misses (alpha, beta, get gamma, "").
        assert_eq!((st.hits, st.misses), (4, 4));
    }

    #[test]
    fn grows_without_losing_symbols() {
        let n = if cfg!(miri) { 300 } else { 5000 };
        let i = Interner::builder().preinterned(&[]).build();
        let syms: Vec<Symbol> = (0..n).map(|k| i.intern(&format!("s{k}"))).collect();
        assert!(i.stats().resizes > 3);
        for (k, s) in syms.iter().enumerate() {
            assert_eq!(i.resolve(*s), format!("s{k}"));
            assert_eq!(i.get(&format!("s{k}")), Some(*s));
            assert_eq!(s.as_u32() as usize, k + 1);
        }
        assert_eq!(i.len(), n);
        let listed: Vec<_> = i.iter().map(|(s, t)| (s, t.to_owned())).collect();
        assert_eq!(listed.len(), n);
        assert!(
            listed
                .iter()
                .enumerate()
                .all(|(k, (s, t))| s.index() == k && *t == format!("s{k}"))
        );
    }

    #[test]
    fn checkpoint_frees_every_outgrown_table() {
        let mut i = Interner::builder().preinterned(&[]).build();
        for k in 0..100 {
            i.intern(&k.to_string());
        }
        let st = i.stats();
        assert!(st.resizes >= 4);
        assert!(st.retired_bytes > 0);
        assert_eq!(
            st.reclaimed_bytes, 0,
            "nothing freed before the checkpoint without opt-in"
        );
        i.checkpoint();
        let st = i.stats();
        assert_eq!(st.reclaimed_bytes, st.retired_bytes);
        // Garbage stays bounded: all outgrown tables together are smaller than the live one.
        assert!(st.retired_bytes < 2 * st.table_bytes as u64);
    }

    #[test]
    fn early_reclamation_through_readers() {
        let mut g = crate::Guarded::new(Interner::builder().preinterned(&[]).build());
        {
            let mut p = g.collector().register();
            for k in 0..100 {
                g.reader(&p).intern(&k.to_string());
                p.quiescent();
            }
            drop(p);
            assert_eq!(
                g.get_mut().reclaim(),
                0,
                "quiescent states freed them already"
            );
        }
        let mut i = g.into_inner();
        let st = i.stats();
        assert!(st.retired_bytes > 0);
        assert_eq!(st.reclaimed_bytes, st.retired_bytes, "{st:?}");
        let cs = i.collector().stats();
        assert!(
            cs.retired_items >= 4,
            "tables went through the collector: {cs:?}"
        );
        assert_eq!(cs.pending_items, 0, "{cs:?}");
        // More growth after the participant is gone: the checkpoint leaves nothing pending.
        for k in 100..400 {
            i.intern(&k.to_string());
        }
        i.checkpoint();
        let cs = i.collector().stats();
        assert_eq!(cs.pending_items, 0, "{cs:?}");
        let st = i.stats();
        assert_eq!(st.reclaimed_bytes, st.retired_bytes, "{st:?}");
    }

    #[test]
    fn concurrent_interning_agrees() {
        let n = if cfg!(miri) { 40 } else { 2000 };
        let i = Interner::builder().preinterned(&[]).build();
        let per_thread: Vec<Vec<Symbol>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|t| {
                    let i = &i;
                    s.spawn(move || {
                        (0..n)
                            .map(|k| {
                                let k = if t % 2 == 0 { k } else { n - 1 - k };
                                let sym = i.intern(&format!("w{k}"));
                                assert_eq!(i.resolve(sym), format!("w{k}"));
                                sym
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(i.len(), n);
        for k in 0..n {
            let expect = i.get(&format!("w{k}")).unwrap();
            for (t, v) in per_thread.iter().enumerate() {
                let idx = if t % 2 == 0 { k } else { n - 1 - k };
                assert_eq!(v[idx], expect);
            }
        }
        // Dense: every published id below next_id resolves, except spares held for reuse.
        let st = i.stats();
        // Relaxed (below): the workers joined.
        assert_eq!(
            i.iter().count() + st.spare_ids,
            i.next_id.load(Ordering::Relaxed) as usize - 1
        );
    }

    #[test]
    fn limits() {
        let i = Interner::builder().preinterned(&[]).max_symbols(2).build();
        let a = i.try_intern("a").unwrap();
        i.try_intern("b").unwrap();
        assert_eq!(i.try_intern("a"), Ok(a));
        assert_eq!(
            i.try_intern("c").unwrap_err().kind(),
            CapacityErrorKind::Symbols
        );
        let j = Interner::builder()
            .preinterned(&[])
            .max_string_bytes(4)
            .build();
        j.try_intern("abc").unwrap();
        assert_eq!(
            j.try_intern("de").unwrap_err().kind(),
            CapacityErrorKind::StringBytes
        );
        assert!(j.try_intern("d").is_ok());
    }

    #[test]
    #[should_panic(expected = "not a symbol of this interner")]
    fn foreign_symbol_panics() {
        let i = Interner::builder().preinterned(&[]).build();
        i.intern("x");
        let _ = i.resolve(Symbol::from_u32(1000).unwrap());
    }

    #[test]
    #[should_panic(expected = "twice")]
    fn duplicate_preinterned_panics() {
        static T: &[&str] = &["a", "b", "a"];
        let _ = Interner::builder().preinterned(T).build();
    }

    #[test]
    fn hits_are_counted_only_when_switched_on() {
        let mut i = Interner::builder().preinterned(&[]).build();
        let a = i.intern("a");
        i.intern("a");
        assert_eq!(i.get("a"), Some(a));
        assert_eq!(i.get("b"), None);
        assert_eq!((i.stats().hits, i.stats().misses), (0, 2));
        i.set_count_hits(true);
        i.intern("a");
        assert_eq!(i.stats().hits, 1);
    }

    #[test]
    fn long_strings_resolve_through_the_header() {
        let mut i = Interner::builder().preinterned(&[]).build();
        let long = "x".repeat(if cfg!(miri) { 0x1_0001 } else { 70_000 });
        let edge = "y".repeat(0xFFFF);
        let (a, b, c) = (i.intern(&long), i.intern(&edge), i.intern("short"));
        assert_eq!(i.resolve(a), long);
        assert_eq!(i.resolve(b), edge);
        assert_eq!(i.resolve(c), "short");
        let map = i.renumber(crate::Order::Lexicographic);
        assert_eq!(i.resolve(map.get(a).unwrap()), long);
        assert_eq!(i.resolve(map.get(b).unwrap()), edge);
        assert_eq!(i.get(&long), map.get(a));
    }

    #[test]
    fn into_parts_keeps_the_parts() {
        let i = Interner::with_parts(Collector::new(), Arenas::for_any_thread());
        i.intern("x");
        let (c, a) = i.into_parts();
        assert!(a.local().allocated_bytes() > 0);
        drop(c);
    }
}
