//! The string interner.

use core::alloc::Layout;
use core::fmt;
use core::ptr::{self, NonNull};
use std::hash::Hasher;
use std::sync::Arc;

use rustc_hash::FxHasher;
use tern_arena::Arenas;
use tern_quiesce::{Collector, Participant};

use crate::Stats;
use crate::ids::IdTable;
use crate::raw::{Present, RawKey, RawTable, RetiredTable};
use crate::reader::Reader;
use crate::reclaim::{Reclaim, Retire};
use crate::stats::{HitCounters, Shared};
use crate::symbol::{ID_MASK, PREINTERNED, Symbol};
use crate::sync::{AtomicU32, AtomicUsize, Mutex, Ordering, lock};

/// The string node in the arena: this header, then `len` bytes of UTF-8.
#[repr(C)]
pub(crate) struct StrHeader {
    pub(crate) id: u32,
    pub(crate) len: u32,
}

pub(crate) const HEADER: usize = size_of::<StrHeader>();

/// `FxHash` of the bytes (no length suffix: the node comparison checks the length).
#[inline]
pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

/// The node's header.
///
/// # Safety
///
/// `header(n)` is sound if and only if:
/// - `n` points to a live string node whose header was written before `n` was published (or
///   before this thread obtained `n` through an Acquire load that pairs with its publication),
/// - the reference is not used after the arena holding the node is freed (the caller picks
///   `'a`), and
/// - nothing writes the header while the reference is in use (only `apply_order` writes it
///   after publication, under `&mut` of the interner).
#[inline]
unsafe fn header<'a>(node: NonNull<u8>) -> &'a StrHeader {
    // SAFETY: caller's contract; the header is at the start of the node and 4-aligned.
    unsafe { node.cast::<StrHeader>().as_ref() }
}

/// The node's string.
///
/// # Safety
///
/// `node_str(n)` is sound if and only if:
/// - `n` satisfies the conditions of [`header`],
/// - the `len` bytes after the header are initialised UTF-8 (every node `insert` builds copies
///   them from a `&str` before publishing it), and
/// - the returned `&'a str` does not outlive the arena holding the node.
#[inline]
pub(crate) unsafe fn node_str<'a>(node: NonNull<u8>) -> &'a str {
    // SAFETY: 1. caller's contract (live, initialised node); 2. the `len` bytes after the header
    // were copied from a `&str`, so they are valid UTF-8, and `node` carries the provenance of the
    // whole allocation (it is the pointer the arena returned, untagged).
    unsafe {
        let len = header(node).len as usize;
        let bytes = core::slice::from_raw_parts(node.as_ptr().add(HEADER), len);
        core::str::from_utf8_unchecked(bytes)
    }
}

/// Equality of two byte strings of the same length; identifiers are short, so lengths up to
/// 16 compare with two overlapping word loads each instead of a `memcmp` call.
#[inline]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len();
    if n > 16 || n != b.len() {
        return a == b;
    }
    let word8 =
        |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let word4 =
        |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    if n >= 8 {
        ((word8(a, 0) ^ word8(b, 0)) | (word8(a, n - 8) ^ word8(b, n - 8))) == 0
    } else if n >= 4 {
        ((word4(a, 0) ^ word4(b, 0)) | (word4(a, n - 4) ^ word4(b, n - 4))) == 0
    } else if n > 0 {
        a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]
    } else {
        true
    }
}

/// Id-table entries: the node pointer with the string's length in the top 16 bits on 64-bit
/// targets (`map_addr`, provenance kept), so that `resolve` builds the `&str` from the entry
/// alone, without loading the node's header (one dependent load fewer). Lengths of
/// `LONG` or more are read from the header.
pub(crate) mod entry {
    use core::ptr::NonNull;

    #[cfg(target_pointer_width = "64")]
    const SHIFT: u32 = 48;
    #[cfg(target_pointer_width = "64")]
    const LONG: usize = 0xFFFF;
    #[cfg(target_pointer_width = "64")]
    const ADDR_MASK: usize = (1 << SHIFT) - 1;

    /// The entry for `node` holding a string of `len` bytes.
    #[cfg(target_pointer_width = "64")]
    pub(crate) fn pack(node: NonNull<u8>, len: usize) -> *mut u8 {
        let p = node.as_ptr();
        assert!(
            p.addr() & !ADDR_MASK == 0,
            "tern-intern: node address {:#x} uses the pointer bits reserved for lengths",
            p.addr()
        );
        p.map_addr(|a| a | (len.min(LONG) << SHIFT))
    }

    /// The node of an entry, and the length if the entry holds it.
    #[cfg(target_pointer_width = "64")]
    #[inline]
    pub(super) fn unpack(e: NonNull<u8>) -> (NonNull<u8>, Option<usize>) {
        let p = e.as_ptr();
        let len = p.addr() >> SHIFT;
        // SAFETY: the address bits are the non-null node address `pack` received.
        let node = unsafe { NonNull::new_unchecked(p.map_addr(|a| a & ADDR_MASK)) };
        (node, (len != LONG).then_some(len))
    }

    /// 32-bit targets: no spare bits, the entry is the node.
    #[cfg(not(target_pointer_width = "64"))]
    pub(crate) fn pack(node: NonNull<u8>, _len: usize) -> *mut u8 {
        node.as_ptr()
    }

    /// 32-bit targets: the length is always read from the header.
    #[cfg(not(target_pointer_width = "64"))]
    #[inline]
    pub(super) fn unpack(e: NonNull<u8>) -> (NonNull<u8>, Option<usize>) {
        (e, None)
    }
}

/// The string of an id-table entry.
///
/// # Safety
///
/// `entry_str(e)` is sound if and only if:
/// - `e` was made by `entry::pack` from a string node and that node's length (as every
///   id-table entry is), read from the id table with Acquire,
/// - the node satisfies the conditions of [`node_str`], and
/// - the returned `&'a str` does not outlive the arena holding the node.
#[inline]
unsafe fn entry_str<'a>(e: NonNull<u8>) -> &'a str {
    let (node, len) = entry::unpack(e);
    // SAFETY: 1. caller's contract (live node); 2. `len`, when packed, is the node's length;
    // otherwise it is read from the header; the bytes after the header are the UTF-8 of a `&str`
    // and `node` carries the allocation's provenance (kept through `map_addr`).
    unsafe {
        let len = match len {
            Some(l) => l,
            None => header(node).len as usize,
        };
        let bytes = core::slice::from_raw_parts(node.as_ptr().add(HEADER), len);
        core::str::from_utf8_unchecked(bytes)
    }
}

/// Key kind of string nodes.
pub(crate) struct StrKey;

impl RawKey for StrKey {
    type Query = str;

    #[inline]
    unsafe fn node_hash(node: NonNull<u8>) -> u64 {
        // SAFETY: the trait's contract (live node of this kind).
        hash_str(unsafe { node_str(node) })
    }

    #[inline]
    unsafe fn matches(node: NonNull<u8>, query: &str) -> bool {
        // SAFETY: the trait's contract.
        let h = unsafe { header(node) };
        // SAFETY: as above.
        h.len as usize == query.len()
            && bytes_eq(unsafe { node_str(node) }.as_bytes(), query.as_bytes())
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
        let collector = self.collector.unwrap_or_else(|| Arc::new(Collector::new()));
        let arenas = self.arenas.unwrap_or_else(Arenas::for_any_thread);
        let first = self.preinterned.len() as u32 + 1;
        let mut i = Interner {
            table: RawTable::with_capacity(self.capacity.max(self.preinterned.len())),
            ids: IdTable::new(),
            next_id: AtomicU32::new(1),
            published: AtomicU32::new(0),
            epoch: 0,
            string_bytes: AtomicUsize::new(0),
            spare: Mutex::new(Vec::new()),
            spare_len: AtomicUsize::new(0),
            max_symbols: self.max_symbols,
            max_bytes: self.max_bytes,
            preinterned: self.preinterned,
            counters: HitCounters::new(false),
            reclaim: Reclaim::new(),
            collector,
            arenas,
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
        // Fresh counters: pre-interning is not traffic (its inserts would count as misses).
        i.counters = HitCounters::new(self.count_hits);
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
    pub(crate) table: RawTable,
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
    pub(crate) string_bytes: AtomicUsize,
    /// Ids taken by inserters that lost a race; reused before fresh ids.
    pub(crate) spare: Mutex<Vec<u32>>,
    /// `spare.len()`, readable without the lock.
    pub(crate) spare_len: AtomicUsize,
    max_symbols: u32,
    max_bytes: usize,
    pub(crate) preinterned: &'static [&'static str],
    pub(crate) counters: HitCounters,
    pub(crate) reclaim: Reclaim,
    // Declared after the tables: dropped after them (they may still reference retired tables
    // through the collector's batches and nodes in the arenas).
    pub(crate) collector: Arc<Collector>,
    pub(crate) arenas: Arenas,
}

/// Ids run from 1 to `2^28 - 2`: `next_id` must stay within the id bits.
const MAX_SYMBOLS: u32 = ID_MASK - 1;

impl Default for Interner {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .field("table", &self.table)
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
        &self.collector
    }

    /// The collector's shared handle (to build more structures on it).
    pub fn shared_collector(&self) -> &Arc<Collector> {
        &self.collector
    }

    /// The arena set holding the strings (for its stats; keep your own data in a set of its
    /// own, see [`with_parts`](Self::with_parts)).
    pub fn arenas(&self) -> &Arenas {
        &self.arenas
    }

    /// Gives the collector and the arenas back (the strings stay in the arenas).
    pub fn into_parts(self) -> (Arc<Collector>, Arenas) {
        let Interner {
            table,
            ids,
            counters,
            reclaim,
            collector,
            arenas,
            ..
        } = self;
        drop((table, ids, counters, reclaim));
        (collector, arenas)
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

    /// `try_intern`, sending an outgrown table to `to`.
    ///
    /// # Safety
    ///
    /// `interner.try_intern_to(s, to)` is sound if and only if:
    /// - the contract of [`Reclaim::retire`] holds for `to`.
    #[inline]
    pub(crate) unsafe fn try_intern_to(
        &self,
        s: &str,
        to: Retire,
    ) -> Result<Symbol, CapacityError> {
        let hash = hash_str(s);
        // SAFETY: the table only holds string nodes of this interner's arenas, live while
        // `self` is.
        if let Some(node) = unsafe { self.table.find::<StrKey>(hash, s) } {
            self.counters.hit();
            // SAFETY: as above.
            return Ok(unsafe { node_symbol(node) });
        }
        // SAFETY: the caller's contract.
        unsafe { self.insert(s, hash, to) }
    }

    /// The symbol for `s` if it was interned.
    #[inline]
    pub fn get(&self, s: &str) -> Option<Symbol> {
        // SAFETY: as in `try_intern`.
        let found = unsafe { self.table.find::<StrKey>(hash_str(s), s) };
        if let Some(node) = found {
            self.counters.hit();
            // SAFETY: as in `try_intern`.
            Some(unsafe { node_symbol(node) })
        } else {
            self.counters.miss();
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
        match self.try_resolve(sym) {
            Some(s) => s,
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
        let e = self.ids.get(sym.id())?;
        // SAFETY: id-table entries are packed initialised string nodes in `self.arenas`, which
        // live as long as `&self` (session arenas are never reset).
        Some(unsafe { entry_str(e) })
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
        self.reclaim.checkpoint(&mut self.collector);
    }

    /// Frees the tables outgrown by plain `&self` calls (those not made through a
    /// [`Reader`]) and returns their bytes; leaves the collector alone. For owners of a shared
    /// collector who sweep it themselves (a session), so each byte is counted once.
    pub fn free_outgrown(&mut self) -> usize {
        self.reclaim.free_private()
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
        self.collector.try_reclaim()
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
        self.counters.set_count_hits(on);
    }

    /// Counters; see [`Stats`].
    pub fn stats(&self) -> Stats {
        let (hits, misses) = self.counters.sum();
        let sh = &self.reclaim.shared;
        Stats {
            hits,
            misses,
            races_lost: Shared::get(&sh.races_lost),
            resizes: self.table.resizes() as u64,
            len: self.len(),
            // Relaxed: statistics.
            string_bytes: self.string_bytes.load(Ordering::Relaxed),
            table_slots: self.table.slots(),
            table_bytes: self.table.table_bytes(),
            id_table_bytes: self.ids.bytes(),
            retired_bytes: Shared::get(&sh.retired_bytes),
            reclaimed_bytes: Shared::get(&sh.reclaimed_bytes),
            race_wasted_bytes: Shared::get(&sh.race_wasted_bytes),
            // Relaxed: statistics.
            spare_ids: self.spare_len.load(Ordering::Relaxed),
        }
    }

    /// The miss path: allocate a node and an id, publish, or adopt the winner of a race.
    ///
    /// Unwinding leaves no trace: the node is allocated before the id (an arena that refuses
    /// by panicking holds no id), and from the id-table entry's write to the node's
    /// publication a guard clears the entry and gives the id back if anything panics.
    ///
    /// # Safety
    ///
    /// `interner.insert(s, hash, to)` is sound if and only if:
    /// - `hash` is `hash_str(s)`, and
    /// - the contract of [`Reclaim::retire`] holds for `to`.
    #[inline(never)]
    unsafe fn insert(&self, s: &str, hash: u64, to: Retire) -> Result<Symbol, CapacityError> {
        let len =
            u32::try_from(s.len()).map_err(|_| CapacityError::new(CapacityErrorKind::TooLong))?;
        if self.max_bytes != usize::MAX
            // Relaxed: an advisory limit (documented overshoot).
            && self.string_bytes.load(Ordering::Relaxed).saturating_add(s.len()) > self.max_bytes
        {
            return Err(CapacityError::new(CapacityErrorKind::StringBytes));
        }
        let layout = Layout::from_size_align(HEADER + s.len(), align_of::<StrHeader>())
            .map_err(|_| CapacityError::new(CapacityErrorKind::TooLong))?;
        // Through the arena set, not the raw Bump: counted in its per-worker stats and held
        // to its allocation limit. Before the id: a refusal (or a panic) here holds none.
        let Ok(node) = self.arenas.try_alloc_layout(layout) else {
            return Err(CapacityError::new(CapacityErrorKind::Arena));
        };
        let id = match self.alloc_id() {
            Ok(id) => id,
            // SAFETY: the caller's contract (`hash` is `s`'s).
            Err(e) => match unsafe { self.at_the_limit(s, hash) } {
                AtLimit::Id(id) => id,
                AtLimit::Found(sym) => {
                    // The bytes stay in the arena, unused, like a lost race's.
                    Shared::add(&self.reclaim.shared.race_wasted_bytes, layout.size());
                    return Ok(sym);
                }
                AtLimit::Full => {
                    Shared::add(&self.reclaim.shared.race_wasted_bytes, layout.size());
                    return Err(e);
                }
            },
        };
        let sym = self.symbol_of(id);
        // SAFETY: `node` is a fresh arena allocation of `layout` (header + len bytes, 4-aligned),
        // ours alone until published.
        unsafe {
            node.cast::<StrHeader>().write(StrHeader {
                id: sym.as_u32(),
                len,
            });
            ptr::copy_nonoverlapping(s.as_ptr(), node.as_ptr().add(HEADER), s.len());
        }
        // Before the table: whoever gets `id` from the table must find the entry. Until the
        // node is published (or the race lost), an unwind clears it and returns the id.
        self.ids.set(id, entry::pack(node, s.len()));
        let guard = UnpublishedId { interner: self, id };
        let retire = |t: RetiredTable| {
            // SAFETY: the caller's contract for `to`.
            unsafe { self.reclaim.retire(&self.collector, t, to) };
            // A panic here unwinds out of the table insert after the id entry was written.
            #[cfg(all(test, not(loom)))]
            tests::maybe_inject_panic();
        };
        // SAFETY: `node` is an initialised string node equal to `s`, in our arenas (live as long
        // as `self`); old tables go where the caller's contract allows.
        let outcome = unsafe { self.table.insert::<StrKey>(hash, node, s, &retire) };
        match outcome {
            Ok(()) => {
                core::mem::forget(guard);
                // Release: pairs with the Acquire load in `wait_for_in_flight`, so a thread
                // that sees this count also finds the node (published before, by the CAS).
                self.published.fetch_add(1, Ordering::Release);
                // Relaxed: a count (and an advisory limit).
                self.string_bytes.fetch_add(s.len(), Ordering::Relaxed);
                self.counters.miss();
                Ok(sym)
            }
            Err(Present(winner)) => {
                drop(guard); // clears the entry, keeps the id for the next insert
                let sh = &self.reclaim.shared;
                Shared::add(&sh.race_wasted_bytes, layout.size());
                Shared::add(&sh.races_lost, 1);
                self.counters.hit();
                // SAFETY: `winner` is a live string node of this table.
                Ok(unsafe { node_symbol(winner) })
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
            // SAFETY: the table holds string nodes of our arenas; `hash` is `s`'s (contract).
            if let Some(node) = unsafe { self.table.find::<StrKey>(hash, s) } {
                self.counters.hit();
                // SAFETY: a live string node of this table.
                return AtLimit::Found(unsafe { node_symbol(node) });
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
        Symbol::with_epoch(id, epoch)
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

    /// Renumbers under `&mut`: `order[k]` is the node getting id `first + k`.
    pub(crate) fn apply_order(&mut self, first: u32, order: &[NonNull<u8>]) {
        let end = self.next_id_mut();
        self.ids.clear_from(first, end);
        for (k, &node) in order.iter().enumerate() {
            let id = first + k as u32;
            let raw = self.symbol_of(id).as_u32();
            // SAFETY: `&mut self`: no reader; `node` is a live string node of our arenas, whose
            // pointer carries write provenance (it is the arena's allocation pointer).
            unsafe { (*node.cast::<StrHeader>().as_ptr()).id = raw };
            // SAFETY: as above.
            let len = unsafe { header(node) }.len as usize;
            self.ids.set(id, entry::pack(node, len));
        }
        let next = first + order.len() as u32;
        self.next_id = AtomicU32::new(next);
        self.published = AtomicU32::new(next - 1);
        self.spare = Mutex::new(Vec::new());
        self.spare_len = AtomicUsize::new(0);
    }

    pub(crate) fn node_of(&self, sym: Symbol) -> Option<NonNull<u8>> {
        self.ids.get(sym.id()).map(|e| entry::unpack(e).0)
    }
}

/// The symbol stored in a node.
///
/// # Safety
///
/// `node_symbol(n)` is sound if and only if:
/// - `n` satisfies the conditions of [`header`], and
/// - the header's id is not 0 (ids come from `alloc_id` or renumbering, which start at 1;
///   the function relies on it with `unreachable_unchecked`).
#[inline]
unsafe fn node_symbol(node: NonNull<u8>) -> Symbol {
    // SAFETY: caller's contract; ids in nodes are at least 1.
    let id = unsafe { header(node) }.id;
    match Symbol::from_u32(id) {
        Some(sym) => sym,
        // SAFETY: node ids come from `alloc_id` (or renumbering), which never hand out 0.
        None => unsafe { core::hint::unreachable_unchecked() },
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
        self.interner.ids.set(self.id, ptr::null_mut());
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
    fn short_byte_equality() {
        let words: Vec<Vec<u8>> = (0..=20)
            .flat_map(|n| {
                let base: Vec<u8> = (0..n).map(|k| b'a' + (k % 26) as u8).collect();
                let mut out = vec![base.clone()];
                for k in 0..n {
                    let mut w = base.clone();
                    w[k] ^= 1;
                    out.push(w);
                }
                out
            })
            .collect();
        for a in &words {
            for b in words.iter().filter(|b| b.len() == a.len()) {
                assert_eq!(bytes_eq(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Interner>();
        check::<crate::ValueInterner<u32>>();
        check::<Symbol>();
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
