//! The string interner.

use core::alloc::Layout;
use core::fmt;
use core::ptr::{self, NonNull};
use std::hash::Hasher;

use rustc_hash::FxHasher;
use tern_arena::Arenas;
use tern_quiesce::Collector;

use crate::Stats;
use crate::ids::IdTable;
use crate::raw::{Present, RawKey, RawTable, RetiredTable};
use crate::reclaim::Reclaim;
use crate::stats::{HitCounters, Shared};
use crate::symbol::{PREINTERNED, Symbol};
use crate::sync::{AtomicU32, AtomicUsize, Mutex, Ordering, lock};

/// The string node in the arena: this header, then `len` bytes of UTF-8.
#[repr(C)]
pub(crate) struct StrHeader {
    pub(crate) id: u32,
    pub(crate) len: u32,
}

const HEADER: usize = size_of::<StrHeader>();

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
mod entry {
    use core::ptr::NonNull;

    #[cfg(target_pointer_width = "64")]
    const SHIFT: u32 = 48;
    #[cfg(target_pointer_width = "64")]
    const LONG: usize = 0xFFFF;
    #[cfg(target_pointer_width = "64")]
    const ADDR_MASK: usize = (1 << SHIFT) - 1;

    /// The entry for `node` holding a string of `len` bytes.
    #[cfg(target_pointer_width = "64")]
    pub(super) fn pack(node: NonNull<u8>, len: usize) -> *mut u8 {
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
    pub(super) fn pack(node: NonNull<u8>, _len: usize) -> *mut u8 {
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
    /// The symbol limit ([`InternerBuilder::max_symbols`], at most `u32::MAX`) is reached.
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
    parts: Option<(Collector, Arenas)>,
    count_hits: bool,
}

impl InternerBuilder {
    /// Whether hits are counted in [`Stats::hits`] (default `true`); see
    /// [`Interner::set_count_hits`].
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

    /// At most this many symbols, pre-interned included (default and maximum: `u32::MAX`).
    #[must_use]
    pub fn max_symbols(mut self, n: u32) -> Self {
        self.max_symbols = n;
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
    pub fn parts(mut self, collector: Collector, arenas: Arenas) -> Self {
        self.parts = Some((collector, arenas));
        self
    }

    /// Builds the interner and pre-interns the table.
    pub fn build(self) -> Interner {
        let (collector, arenas) = self
            .parts
            .unwrap_or_else(|| (Collector::new(), Arenas::for_any_thread()));
        let first = self.preinterned.len() as u32 + 1;
        let mut i = Interner {
            table: RawTable::with_capacity(self.capacity.max(self.preinterned.len())),
            ids: IdTable::new(),
            next_id: AtomicU32::new(1),
            string_bytes: AtomicUsize::new(0),
            spare: Mutex::new(Vec::new()),
            spare_len: AtomicUsize::new(0),
            max_symbols: self.max_symbols,
            max_bytes: self.max_bytes,
            preinterned: self.preinterned,
            counters: HitCounters::new(),
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
        i.counters = HitCounters::new();
        i.counters.set_count_hits(self.count_hits);
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
    table: RawTable,
    ids: IdTable,
    /// Next fresh id (ids below it were handed out; some may be spares).
    next_id: AtomicU32,
    string_bytes: AtomicUsize,
    /// Ids taken by inserters that lost a race; reused before fresh ids.
    spare: Mutex<Vec<u32>>,
    /// `spare.len()`, readable without the lock.
    spare_len: AtomicUsize,
    max_symbols: u32,
    max_bytes: usize,
    preinterned: &'static [&'static str],
    counters: HitCounters,
    reclaim: Reclaim,
    // Declared after the tables: dropped after them (they may still reference retired tables
    // through the collector's batches and nodes in the arenas).
    collector: Collector,
    arenas: Arenas,
}

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
    /// // AST nodes of the same pass can live in the same arenas:
    /// let node = interner.arenas().alloc((s, 42u32));
    /// assert_eq!(interner.resolve(node.0), "shared");
    /// ```
    pub fn with_parts(collector: Collector, arenas: Arenas) -> Self {
        Self::builder().parts(collector, arenas).build()
    }

    /// All options.
    pub fn builder() -> InternerBuilder {
        InternerBuilder {
            capacity: 0,
            max_symbols: u32::MAX,
            max_bytes: usize::MAX,
            preinterned: PREINTERNED,
            parts: None,
            count_hits: true,
        }
    }

    /// The collector (register participants on it).
    pub fn collector(&self) -> &Collector {
        &self.collector
    }

    /// The arena set holding the strings (allocate your own data in it too).
    pub fn arenas(&self) -> &Arenas {
        &self.arenas
    }

    /// Gives the collector and the arenas back (the strings stay in the arenas).
    pub fn into_parts(self) -> (Collector, Arenas) {
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
        let hash = hash_str(s);
        // SAFETY: the table only holds string nodes of this interner's arenas, live while
        // `self` is.
        if let Some(node) = unsafe { self.table.find::<StrKey>(hash, s) } {
            self.counters.hit();
            // SAFETY: as above.
            return Ok(unsafe { node_symbol(node) });
        }
        self.insert(s, hash)
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
    #[inline]
    pub fn try_resolve(&self, sym: Symbol) -> Option<&str> {
        let e = self.ids.get(sym.as_u32())?;
        // SAFETY: id-table entries are packed initialised string nodes in `self.arenas`, which
        // live as long as `&self` (session arenas are never reset).
        Some(unsafe { entry_str(e) })
    }

    /// Number of symbols (pre-interned included).
    pub fn len(&self) -> usize {
        // Every id below `next_id` is published or a spare (an id is handed out only to an
        // inserter, which publishes it or gives it back), so no counter RMW is needed on the
        // miss path.
        // Relaxed: a count; inserts in flight may be counted early, exact once concurrent
        // interns finished (their joins order them before this load).
        let handed_out = self.next_id.load(Ordering::Relaxed).saturating_sub(1) as usize;
        // Relaxed: as above.
        handed_out.saturating_sub(self.spare_len.load(Ordering::Relaxed))
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
            Some((Symbol::from_u32(id)?, unsafe { entry_str(e) }))
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
    pub fn checkpoint(&mut self) {
        self.reclaim.checkpoint(&mut self.collector);
    }

    /// Opts in to freeing outgrown tables before the next [`checkpoint`](Self::checkpoint):
    /// each growth then retires the old table to [`collector`](Self::collector) and tries to
    /// reclaim, and [`reclaim`](Self::reclaim) may be called at any time.
    ///
    /// # Safety
    ///
    /// `interner.assume_registered_readers()` is sound if and only if:
    /// - from now on, every thread that calls a `&self` method of this interner (or holds a
    ///   `&str` from `resolve`: those live in the arenas, unaffected, so only table access
    ///   counts) does so while holding an online [`Participant`](tern_quiesce::Participant)
    ///   of `self.collector()`, and
    /// - it does not pass a quiescent state of that participant in the middle of such a call
    ///   (which safe code cannot do: the call borrows the interner, not the participant).
    pub unsafe fn assume_registered_readers(&mut self) {
        // SAFETY: the same contract.
        unsafe { self.reclaim.allow_early() };
    }

    /// Runs the collector's elapsed batches (outgrown tables whose readers all passed a
    /// quiescent state) when early reclamation was allowed; returns how many resources were
    /// freed (0 without the opt-in).
    pub fn reclaim(&self) -> usize {
        self.reclaim.try_reclaim(&self.collector)
    }

    /// Turns the hit counter off (or back on). Counting a hit costs a thread-local lookup and
    /// a load and store on the hit path (no RMW, but measurable on a ~15 ns operation); with it
    /// off, [`Stats::hits`] stays at its last value. Misses are always counted.
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

    /// The miss path: allocate an id and a node, publish, or adopt the winner of a race.
    #[inline(never)]
    fn insert(&self, s: &str, hash: u64) -> Result<Symbol, CapacityError> {
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
        let id = self.alloc_id()?;
        // Through the arena set, not the raw Bump: counted in its per-worker stats and held
        // to its allocation limit.
        let Ok(node) = self.arenas.try_alloc_layout(layout) else {
            self.give_back_id(id);
            return Err(CapacityError::new(CapacityErrorKind::Arena));
        };
        // SAFETY: `node` is a fresh arena allocation of `layout` (header + len bytes, 4-aligned),
        // ours alone until published.
        unsafe {
            node.cast::<StrHeader>().write(StrHeader { id, len });
            ptr::copy_nonoverlapping(s.as_ptr(), node.as_ptr().add(HEADER), s.len());
        }
        // Before the table: whoever gets `id` from the table must find the entry.
        self.ids.set(id, entry::pack(node, s.len()));
        let retire = |t: RetiredTable| self.reclaim.retire(&self.collector, t);
        // SAFETY: `node` is an initialised string node equal to `s`, in our arenas (live as long
        // as `self`); old tables go to `Reclaim`, which frees them only at a checkpoint or after
        // a grace period under the early-reclamation contract.
        match unsafe { self.table.insert::<StrKey>(hash, node, s, &retire) } {
            Ok(()) => {
                // Relaxed: a count (and an advisory limit).
                self.string_bytes.fetch_add(s.len(), Ordering::Relaxed);
                self.counters.miss();
                Ok(Symbol::from_u32(id).expect("ids start at 1"))
            }
            Err(Present(winner)) => {
                self.ids.set(id, ptr::null_mut());
                self.give_back_id(id);
                let sh = &self.reclaim.shared;
                Shared::add(&sh.race_wasted_bytes, layout.size());
                Shared::add(&sh.races_lost, 1);
                self.counters.hit();
                // SAFETY: `winner` is a live string node of this table.
                Ok(unsafe { node_symbol(winner) })
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
                // Relaxed: as in `insert`.
                self.spare_len.store(spare.len(), Ordering::Relaxed);
                return Ok(id);
            }
        }
        let max = self.max_symbols;
        // Relaxed: ids only need to be distinct; what they index is published by `IdTable`.
        self.next_id
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                if n <= max { n.checked_add(1) } else { None }
            })
            .map_err(|_| CapacityError::new(CapacityErrorKind::Symbols))
    }

    // ---- exclusive-access helpers for `serial.rs` ----

    pub(crate) fn next_id_mut(&mut self) -> u32 {
        crate::sync::u32_mut(&mut self.next_id)
    }

    /// Renumbers under `&mut`: `order[k]` is the node getting id `first + k`.
    pub(crate) fn apply_order(&mut self, first: u32, order: &[NonNull<u8>]) {
        let end = self.next_id_mut();
        self.ids.clear_from(first, end);
        for (k, &node) in order.iter().enumerate() {
            let id = first + k as u32;
            // SAFETY: `&mut self`: no reader; `node` is a live string node of our arenas, whose
            // pointer carries write provenance (it is the arena's allocation pointer).
            unsafe { (*node.cast::<StrHeader>().as_ptr()).id = id };
            // SAFETY: as above.
            let len = unsafe { header(node) }.len as usize;
            self.ids.set(id, entry::pack(node, len));
        }
        let next = first + order.len() as u32;
        self.next_id = AtomicU32::new(next);
        self.spare = Mutex::new(Vec::new());
        self.spare_len = AtomicUsize::new(0);
    }

    pub(crate) fn node_of(&self, sym: Symbol) -> Option<NonNull<u8>> {
        self.ids.get(sym.as_u32()).map(|e| entry::unpack(e).0)
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

    #[test]
    fn interns_resolves_and_preinterns() {
        let i = Interner::new();
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
    fn early_reclamation_with_registered_readers() {
        let mut i = Interner::builder().preinterned(&[]).build();
        // SAFETY: only this thread uses the interner, through an online participant below.
        unsafe { i.assume_registered_readers() };
        {
            let mut p = i.collector().register();
            for k in 0..100 {
                i.intern(&k.to_string());
                p.quiescent();
            }
            drop(p);
            i.reclaim();
        }
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
    fn hit_counting_can_be_switched_off() {
        let mut i = Interner::builder()
            .preinterned(&[])
            .count_hits(false)
            .build();
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
