//! The raw concurrent table: open addressing, linear probing, growth by cooperative migration.
//!
//! This is the unsafe core that both [`Interner`](crate::Interner) and
//! [`ValueInterner`](crate::ValueInterner) sit on. It stores type-erased node pointers; what a
//! node is (a string header followed by bytes, or a `T`) is told by a [`RawKey`] at each call.
//! The table itself never allocates or frees nodes: they live in the arenas of the owner.
//!
//! # Layout
//!
//! A [`Table`] is a power-of-two array of `AtomicPtr<u8>` slots. A slot is in one of four
//! states and only ever moves forward:
//!
//! ```text
//!   EMPTY (null) ──CAS──▶ NODE (tagged pointer) ──CAS──▶ MOVED   (the node was copied)
//!        └──────────────────────CAS──────────────────────▶ SEALED  (it was empty)
//! ```
//!
//! On 64-bit targets a NODE slot keeps the top 16 bits of the key's hash in the pointer's
//! unused high bits (`map_addr`, so provenance is kept): a probe compares the tag before it
//! dereferences, so a slot of another key almost never costs a cache miss. MOVED and SEALED
//! are the addresses 3 and 1, which no node pointer (all are at least 2-aligned) can have.
//!
//! Why two markers: a migration finalises slots one by one, so a probe chain can be half
//! moved. A reader that meets MOVED cannot stop looking in this table (a key further along
//! the chain may not be copied yet), but a reader that meets SEALED can: the chain ended there
//! before the migration reached it.
//!
//! # Operations
//!
//! - [`RawTable::find`] (the hit path): one Acquire load of the current table, Acquire loads of
//!   the probed slots, the key comparison. No RMW, no fence, no guard. A MOVED slot is passed
//!   over like a slot of another key (its node is in `next`); the search goes on in `next`
//!   at SEALED, at EMPTY if the chain had a MOVED slot, and after a full turn of a table
//!   that has a successor.
//! - [`RawTable::insert`]: CAS of an EMPTY slot to the new node. If the table has a successor
//!   the inserter first helps finish the migration (below) and then inserts in the successor;
//!   if the table is over its load limit (3/4) it creates the successor.
//! - Migration of `t` into `t.next`: every slot of `t` is finalised by a CAS, an EMPTY one to
//!   SEALED, a NODE to MOVED only after its pointer was copied into `t.next`. Helpers first
//!   claim 64-slot chunks; a helper that finds no chunk left walks all slots itself (copying
//!   is idempotent: a copy looks for the same pointer before it takes an empty slot), so no
//!   thread ever waits for another. When every slot is final, `current` is swung to `t.next` by a CAS and its winner
//!   hands `t` to the owner's retire callback.
//!
//! # Invariants (what the proofs rely on)
//!
//! 1. Slots never go back: EMPTY → NODE → MOVED or EMPTY → SEALED, each step one CAS.
//! 2. A key is in at most one NODE of a table, and a node pointer is in at most one slot.
//! 3. `t.next` is set (once, by CAS) before any slot of `t` becomes MOVED or SEALED.
//! 4. A NODE slot becomes MOVED only after its pointer is in `t.next`.
//! 5. Nobody inserts a *new* node into `t.next` before every slot of `t` is final (the
//!    inserter finishes the migration first). Hence a key is never in `t` and, as a
//!    different node, in `t.next` (so no key gets two symbols), and a copy always finds room:
//!    `t.next` has twice the slots of `t` and holds only copies until `t` is done.
//! 6. A table gets a successor only once it is `current`, so at most two tables are live for
//!    writers at any time; older ones are only read by stragglers and are retired.
//!
//! Why a lookup is linearisable. A key is stored at the end of its probe chain: every slot
//! from its start slot to its own was non-EMPTY when it was stored, and stays so (1: MOVED,
//! never SEALED). So a reader walking the chain of a key stored before the lookup began meets,
//! before any EMPTY or SEALED, either the key's NODE (found) or MOVED in its place, whose
//! Acquire load makes the copy in `t.next` visible (4); the reader then searches `t.next` the
//! same way. A reader that meets EMPTY with no MOVED before it in the chain returns "absent":
//! the key was not stored in `t` before that load, nor in `t.next` (by 5, such an insert
//! waited for this slot to become SEALED), so the lookup is linearised at that load.

use core::ptr::{self, NonNull};

use crate::sync::{AtomicPtr, AtomicUsize, Ordering};

/// What the table needs to know about the nodes it stores.
pub(crate) trait RawKey {
    /// What a lookup compares against.
    type Query: ?Sized;

    /// Recomputes the hash of the key stored in `node` (used when migrating).
    ///
    /// # Safety
    ///
    /// `K::node_hash(node)` is sound if and only if:
    /// - `node` was published in a table by an insert with this `K`, and
    /// - the memory it points to is still live (the owner's arenas are not reset).
    unsafe fn node_hash(node: NonNull<u8>) -> u64;

    /// Whether the key stored in `node` equals `query`.
    ///
    /// # Safety
    ///
    /// `K::matches(node, q)` is sound if and only if:
    /// - `node` was published in a table by an insert with this `K`, and
    /// - the memory it points to is still live (as for [`RawKey::node_hash`]).
    unsafe fn matches(node: NonNull<u8>, query: &Self::Query) -> bool;
}

/// Address of the SEALED marker: the slot was EMPTY when the migration finalised it.
const SEALED_ADDR: usize = 1;
/// Address of the MOVED marker: the slot's node was copied into the successor.
const MOVED_ADDR: usize = 3;
/// Set in both markers; never in a slot holding a node (nodes are at least 2-aligned and tags
/// use only the high bits).
const MARKER_BIT: usize = 1;

/// Slots a migrating thread claims at once.
const CHUNK: usize = if cfg!(any(loom, miri)) { 2 } else { 64 };

/// Smallest table (slots).
pub(crate) const MIN_SLOTS: usize = 4;

#[cfg(target_pointer_width = "64")]
mod tag {
    //! 16-bit hash tags in the unused top bits of 64-bit user-space pointers.
    pub(super) const SHIFT: u32 = 48;
    pub(super) const ADDR_MASK: usize = (1 << SHIFT) - 1;

    /// The tag bits a node pointer with this hash carries.
    #[inline]
    pub(super) fn of_hash(hash: u64) -> usize {
        ((hash >> SHIFT) as usize) << SHIFT
    }
    /// The tag bits of a slot value.
    #[inline]
    pub(super) fn of_slot(addr: usize) -> usize {
        addr & !ADDR_MASK
    }
}

#[cfg(not(target_pointer_width = "64"))]
mod tag {
    //! No spare pointer bits: every slot carries the empty tag.
    pub(super) const ADDR_MASK: usize = usize::MAX;
    #[inline]
    pub(super) fn of_hash(_hash: u64) -> usize {
        0
    }
    #[inline]
    pub(super) fn of_slot(_addr: usize) -> usize {
        0
    }
}

/// The pointer stored in a slot for `node` with this hash.
#[inline]
fn tagged(node: NonNull<u8>, hash: u64) -> *mut u8 {
    let p = node.as_ptr();
    // Invariant, not just a debug check: a pointer with high bits set cannot carry a tag. All
    // 64-bit platforms Rust supports hand user space addresses below 2^48 unless a program
    // asks the kernel for more (5-level paging hints); such a process gets a clear panic.
    assert!(
        p.addr() & !tag::ADDR_MASK == 0,
        "tern-intern: node address {:#x} uses the pointer bits reserved for hash tags",
        p.addr()
    );
    p.map_addr(|a| a | tag::of_hash(hash))
}

/// The node pointer without its tag.
#[inline]
fn untag(slot: *mut u8) -> NonNull<u8> {
    // SAFETY: only called on NODE slot values, whose address bits are a non-null node address.
    unsafe { NonNull::new_unchecked(slot.map_addr(|a| a & tag::ADDR_MASK)) }
}

/// Whether a slot value is MOVED or SEALED.
#[inline]
fn is_marker(slot: *mut u8) -> bool {
    slot.addr() & MARKER_BIT != 0
}

/// One generation of the table.
pub(crate) struct Table {
    /// `slots.len() - 1`.
    mask: usize,
    /// Above this many occupied slots an inserter creates the successor.
    max_load: usize,
    /// The successor this table is being migrated into; null until growth starts. Set once, by
    /// a CAS whose Release publishes the successor's initialised (all-EMPTY) slots.
    next: AtomicPtr<Table>,
    /// Occupied slots (inserts and copies); only a trigger for growth, so Relaxed.
    count: AtomicUsize,
    /// Next chunk of slots to be claimed by a migrating thread.
    claim: AtomicUsize,
    /// Slots finalised (MOVED or SEALED). Each increment is made (`AcqRel`) by the winner of a
    /// slot's finalising CAS after the copy, so reading `slots.len()` here (Acquire) proves the
    /// whole table was copied.
    moved: AtomicUsize,
    slots: Box<[AtomicPtr<u8>]>,
    /// Under loom, a freed table is not freed: it becomes a tombstone, and every slot access
    /// reads this cell. loom's cells track causality, so a probe of a table whose "free" does
    /// not happen-after it (a reclamation bug) fails the model with a causality violation
    /// instead of going unnoticed as a read of freed memory would.
    #[cfg(loom)]
    alive: loom::cell::UnsafeCell<bool>,
}

impl Table {
    fn alloc(slots: usize) -> NonNull<Table> {
        debug_assert!(slots.is_power_of_two() && slots >= MIN_SLOTS);
        let t = Box::new(Table {
            mask: slots - 1,
            max_load: slots / 4 * 3,
            next: AtomicPtr::new(ptr::null_mut()),
            count: AtomicUsize::new(0),
            claim: AtomicUsize::new(0),
            moved: AtomicUsize::new(0),
            slots: null_slots(slots),
            #[cfg(loom)]
            alive: loom::cell::UnsafeCell::new(true),
        });
        // SAFETY: `Box::into_raw` never returns null.
        unsafe { NonNull::new_unchecked(Box::into_raw(t)) }
    }

    /// Heap bytes of a table with this many slots.
    pub(crate) fn bytes_for(slots: usize) -> usize {
        size_of::<Table>() + slots * size_of::<AtomicPtr<u8>>()
    }

    pub(crate) fn bytes(&self) -> usize {
        Self::bytes_for(self.slots.len())
    }

    /// Slot `i`. Callers pass masked indices; masking again (one AND at most) keeps this safe
    /// function sound for any `i`.
    #[inline]
    fn slot(&self, i: usize) -> &AtomicPtr<u8> {
        #[cfg(loom)]
        self.alive.with(|alive| {
            // SAFETY: loom's cell hands out a pointer valid for this closure; loom itself
            // checks that no write (the tombstone) races with this read.
            let alive = unsafe { *alive };
            assert!(alive, "tern-intern: a thread probed a freed table");
        });
        // SAFETY: `self.mask == slots.len() - 1` (set in `alloc`, never changed), so
        // `i & self.mask` is in bounds.
        unsafe { self.slots.get_unchecked(i & self.mask) }
    }
}

/// `n` atomic pointers, all null: zeroed memory straight from the allocator (`calloc`: large
/// blocks come as fresh zero pages, no loop, no memset), except under loom, whose atomics are
/// not plain memory.
pub(crate) fn null_slots(n: usize) -> Box<[AtomicPtr<u8>]> {
    #[cfg(not(loom))]
    {
        // SAFETY: `AtomicPtr<u8>` has the same in-memory representation as `*mut u8`, for
        // which all-zero bits are the null pointer: every element is a valid null atomic.
        unsafe { Box::<[AtomicPtr<u8>]>::new_zeroed_slice(n).assume_init() }
    }
    #[cfg(loom)]
    {
        (0..n).map(|_| AtomicPtr::new(ptr::null_mut())).collect()
    }
}

/// A retired table: owned by whoever runs the retire callback; freed by [`RetiredTable::free`].
pub(crate) struct RetiredTable(NonNull<Table>);

// SAFETY: a retired table is no longer reachable from `current`; the only access left is the
// eventual `free`, which the collector runs on one thread after every reader is gone. `Table`
// itself holds only atomics and a boxed slice of atomics, which are Send.
unsafe impl Send for RetiredTable {}

impl RetiredTable {
    /// Heap bytes the table occupies.
    pub(crate) fn bytes(&self) -> usize {
        // SAFETY: the table is live until `free` (which consumes self).
        unsafe { self.0.as_ref() }.bytes()
    }

    /// Frees the table.
    ///
    /// # Safety
    ///
    /// `r.free()` is sound if and only if:
    /// - no thread can still reach the table: every thread that loaded it, or an older table
    ///   whose `next` chain leads to it, has since passed a quiescent state of the owner's
    ///   collector, or the owner has exclusive access (`&mut` or drop).
    pub(crate) unsafe fn free(self) {
        #[cfg(loom)]
        {
            // SAFETY: the table is live (it is only turned into a tombstone, never freed,
            // under loom).
            let t = unsafe { self.0.as_ref() };
            t.alive.with_mut(|alive| {
                // SAFETY: loom's cell hands out a pointer valid for this closure.
                unsafe { *alive = false };
            });
        }
        #[cfg(not(loom))]
        // SAFETY: the pointer came from `Box::into_raw` in `Table::alloc`, is freed once (self is
        // consumed), and by the caller's contract nobody references it any more.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

/// The outcome of [`RawTable::insert`] when the key was already present.
pub(crate) struct Present(pub(crate) NonNull<u8>);

/// The concurrent table: a pointer to the current [`Table`] generation.
pub(crate) struct RawTable {
    /// The newest table whose predecessors are all migrated. Swung forward by CAS (`AcqRel`:
    /// Release publishes the new table's copied contents to later Acquire loads in `find`).
    current: AtomicPtr<Table>,
    /// Number of completed growths.
    resizes: AtomicUsize,
}

// SAFETY: the table shares nodes (type-erased pointers into the owner's arenas) between
// threads; the owner decides which node types may be stored (it is `Send + Sync` only when its
// nodes are). All table state is atomics; tables are freed only by `Drop` (exclusive) or through
// the owner's collector after a grace period.
unsafe impl Send for RawTable {}
// SAFETY: see `Send`; every `&self` method is designed for concurrent use.
unsafe impl Sync for RawTable {}

impl RawTable {
    /// A table that holds `entries` keys without growing.
    pub(crate) fn with_capacity(entries: usize) -> Self {
        let slots = Self::slots_for(entries);
        RawTable {
            current: AtomicPtr::new(Table::alloc(slots).as_ptr()),
            resizes: AtomicUsize::new(0),
        }
    }

    /// Slots needed to hold `entries` keys under the 3/4 load limit.
    pub(crate) fn slots_for(entries: usize) -> usize {
        (entries.saturating_mul(4) / 3 + 1)
            .next_power_of_two()
            .max(MIN_SLOTS)
    }

    /// The current generation.
    #[inline]
    fn current(&self) -> &Table {
        // Acquire: pairs with the Release of the CAS that installed this table (in
        // `finish_migration`, or its initialisation before `self` was shared) so that its slots
        // and the copies in them are visible.
        let t = self.current.load(Ordering::Acquire);
        // SAFETY: `current` always points to a live table: it is freed only after it stopped
        // being current and a grace period passed (or under `&mut self`).
        unsafe { &*t }
    }

    /// Number of completed growths.
    pub(crate) fn resizes(&self) -> usize {
        // Relaxed: a statistic.
        self.resizes.load(Ordering::Relaxed)
    }

    /// Bytes of the current table.
    pub(crate) fn table_bytes(&self) -> usize {
        self.current().bytes()
    }

    /// Slots of the current table.
    pub(crate) fn slots(&self) -> usize {
        self.current().slots.len()
    }

    /// Bytes of the current table and of any successor it is being migrated into.
    pub(crate) fn heap_bytes(&self) -> usize {
        let mut total = 0;
        let mut t: *const Table = self.current();
        while !t.is_null() {
            // SAFETY: `current` and its successors are live while `&self` is (as in `find`).
            let table = unsafe { &*t };
            total += table.bytes();
            // Acquire: as in `find`, for the successor's initialised slots.
            t = table.next.load(Ordering::Acquire);
        }
        total
    }

    /// log2 of the current table's slot count: a hash's low `slot_bits()` bits pick its
    /// home slot.
    pub(crate) fn slot_bits(&self) -> u32 {
        self.current().slots.len().trailing_zeros()
    }

    /// Stores `node` (whose key hashes to `hash` and is not present) under exclusive access,
    /// without a compare-exchange: for building a table from scratch. The table must have
    /// room (see [`RawTable::with_capacity`]); it never grows here. Call
    /// [`RawTable::set_count_mut`] once done.
    #[inline]
    pub(crate) fn insert_mut(&mut self, hash: u64, node: NonNull<u8>) {
        let new = tagged(node, hash);
        let t = self.current();
        let mask = t.mask;
        let mut i = hash as usize & mask;
        loop {
            let slot = t.slot(i);
            // Relaxed (both): `&mut self` excludes every other access; whoever receives the
            // table later gets it through a synchronising hand-over (a join, a `&mut` borrow
            // ending, or the Release that publishes the interner).
            if slot.load(Ordering::Relaxed).is_null() {
                slot.store(new, Ordering::Relaxed);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Records that `n` slots are occupied (after [`RawTable::insert_mut`]s), for the growth
    /// trigger.
    pub(crate) fn set_count_mut(&mut self, n: usize) {
        let t = self.current();
        debug_assert!(n <= t.max_load.max(1));
        // Relaxed: `&mut self` (see `insert_mut`).
        t.count.store(n, Ordering::Relaxed);
    }

    /// Every node in the table (each once): the nodes of the current table and any
    /// successor, as loads see them now. Exact when no insert runs concurrently.
    pub(crate) fn nodes(&self) -> Vec<NonNull<u8>> {
        let mut out = Vec::new();
        let mut t: *const Table = self.current();
        let mut tables = 0;
        while !t.is_null() {
            // SAFETY: as in `heap_bytes`.
            let table = unsafe { &*t };
            for i in 0..table.slots.len() {
                // Acquire: as in `find`, so the node's contents are visible.
                let s = table.slot(i).load(Ordering::Acquire);
                if !s.is_null() && !is_marker(s) {
                    out.push(untag(s));
                }
            }
            tables += 1;
            // Acquire: as in `heap_bytes`.
            t = table.next.load(Ordering::Acquire);
        }
        if tables > 1 {
            // A copy and its original may both be NODE slots of two generations.
            out.sort_unstable();
            out.dedup();
        }
        out
    }

    /// Every node in the table under exclusive access (each once, also when a migration was
    /// left half done by a panic).
    pub(crate) fn nodes_mut(&mut self) -> Vec<NonNull<u8>> {
        self.nodes()
    }

    /// Looks `query` up. The hit path: loads only, and nothing else.
    ///
    /// # Safety
    ///
    /// `table.find::<K>(hash, q)` is sound if and only if:
    /// - every node in the table was inserted with this `K`, and is live (see [`RawKey`]), and
    /// - `hash` is `K`'s hash of `q` (otherwise the result is merely wrong).
    #[inline]
    pub(crate) unsafe fn find<K: RawKey>(
        &self,
        hash: u64,
        query: &K::Query,
    ) -> Option<NonNull<u8>> {
        let tag = tag::of_hash(hash);
        let mut t = self.current();
        'tables: loop {
            let mask = t.mask;
            let mut i = hash as usize & mask;
            // Whether this chain passed a MOVED slot: then the key may be in `t.next` (copied)
            // even though the chain ends in `t`.
            let mut moved_seen = false;
            for _ in 0..=mask {
                // Acquire: pairs with the Release of the CAS that stored this slot (a node's
                // publication, or a marker after the copy and after `next` was set).
                let s = t.slot(i).load(Ordering::Acquire);
                if s.is_null() {
                    if moved_seen {
                        t = Self::successor(t);
                        continue 'tables;
                    }
                    return None;
                }
                if is_marker(s) {
                    if s.addr() == SEALED_ADDR {
                        t = Self::successor(t);
                        continue 'tables;
                    }
                    // MOVED: a node of this chain, copied; keys further on may not be yet.
                    moved_seen = true;
                } else if tag::of_slot(s.addr()) == tag {
                    let node = untag(s);
                    // SAFETY: caller's contract: nodes are live nodes of kind K.
                    if unsafe { K::matches(node, query) } {
                        return Some(node);
                    }
                }
                i = (i + 1) & mask;
            }
            // A full table without the key: look in the successor, if any.
            // Acquire: pairs with the Release of the CAS setting `next`.
            let n = t.next.load(Ordering::Acquire);
            if n.is_null() {
                return None;
            }
            // SAFETY: a successor is live at least as long as its predecessor (retired later).
            t = unsafe { &*n };
        }
    }

    /// The successor of a table that has a MOVED or SEALED slot.
    #[inline]
    fn successor(t: &Table) -> &Table {
        // Acquire: pairs with the AcqRel CAS that set `next`; by invariant 3 it was set
        // before the marker we just read (itself Acquire-loaded), so it is non-null.
        let n = t.next.load(Ordering::Acquire);
        debug_assert!(!n.is_null());
        // SAFETY: non-null by invariant 3; live at least as long as `t` (retired after it).
        unsafe { &*n }
    }

    /// Inserts `node` (whose key hashes to `hash` and equals `query`) unless an equal key is
    /// present, in which case that key's node is returned and `node` was not published.
    ///
    /// `retire` receives each table this call swung out of `current`.
    ///
    /// # Safety
    ///
    /// `table.insert::<K>(hash, node, q, retire)` is sound if and only if:
    /// - the conditions of [`RawTable::find`] hold,
    /// - `node` is a live node of kind `K` whose key equals `query`, fully initialised, that
    ///   stays live as long as the table's nodes must (it is published to other threads), and
    /// - `retire` does not free the table before every thread that may hold it is done
    ///   (it hands the table to a collector).
    pub(crate) unsafe fn insert<K: RawKey>(
        &self,
        hash: u64,
        node: NonNull<u8>,
        query: &K::Query,
        retire: &dyn Fn(RetiredTable),
    ) -> Result<(), Present> {
        let tag = tag::of_hash(hash);
        let new = tagged(node, hash);
        // Acquire: as in `current`. A raw pointer (not `&Table`): it may be handed to
        // `retire`, which frees through it, so it must keep the allocation's provenance.
        let mut tp = self.current.load(Ordering::Acquire);
        'tables: loop {
            // SAFETY: `current` and the successors reached from it are never null.
            let tp_nn = unsafe { NonNull::new_unchecked(tp) };
            // SAFETY: `tp` is `current` or a successor reached from it; live as in `find`.
            let t = unsafe { tp_nn.as_ref() };
            // Acquire: pairs with the AcqRel CAS that set `next`, publishing the successor.
            if let Some(next) = NonNull::new(t.next.load(Ordering::Acquire)) {
                // SAFETY: nodes are of kind K (caller's contract).
                unsafe { self.finish_migration::<K>(tp_nn, next, retire) };
                tp = next.as_ptr();
                continue;
            }
            // Relaxed: the count only decides when to grow; overshoot by a few concurrent
            // inserters is harmless (a full table is handled below).
            if t.count.load(Ordering::Relaxed) >= t.max_load {
                self.grow(t);
                continue;
            }
            let mask = t.mask;
            let mut i = hash as usize & mask;
            for _ in 0..=mask {
                let slot = t.slot(i);
                // Acquire: as in `find`.
                let mut s = slot.load(Ordering::Acquire);
                loop {
                    if s.is_null() {
                        // Release/Acquire: on success, Release publishes the node's contents
                        // (written before this call) to every Acquire load of this slot
                        // (`find`, inserters, `copy_slot`). On failure, Acquire pairs with the
                        // Release CAS that filled the slot, so we may read the node that won.
                        match slot.compare_exchange(
                            ptr::null_mut(),
                            new,
                            Ordering::Release,
                            Ordering::Acquire,
                        ) {
                            Ok(_) => {
                                // Relaxed: growth trigger only.
                                t.count.fetch_add(1, Ordering::Relaxed);
                                return Ok(());
                            }
                            Err(actual) => {
                                s = actual;
                                continue;
                            }
                        }
                    }
                    if is_marker(s) {
                        // Migration started (invariant 3): the top of the loop sees `next`.
                        continue 'tables;
                    }
                    if tag::of_slot(s.addr()) == tag {
                        let other = untag(s);
                        // SAFETY: caller's contract.
                        if unsafe { K::matches(other, query) } {
                            return Err(Present(other));
                        }
                    }
                    break;
                }
                i = (i + 1) & mask;
            }
            // Every slot is occupied by other keys: grow.
            self.grow(t);
        }
    }

    /// Creates the successor of `t` unless one exists.
    #[cold]
    fn grow(&self, t: &Table) {
        // Relaxed: a hint only; the CAS below decides.
        if !t.next.load(Ordering::Relaxed).is_null() {
            return;
        }
        let new = Table::alloc(t.slots.len() * 2);
        // AcqRel/Acquire: on success, the Release half publishes the new table's initialised
        // (all-EMPTY) slots to the Acquire loads of `next` in `find`, `successor` and `insert`;
        // the Acquire half reads only the null we replace. On failure, Acquire pairs with the
        // winner's Release; this function does not read the winner's table (the caller
        // reloads `next` with Acquire), so it is stronger than needed here.
        match t.next.compare_exchange(
            ptr::null_mut(),
            new.as_ptr(),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                // Relaxed: a statistic.
                self.resizes.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                // SAFETY: `new` was never shared; it came from `Box::into_raw` in `Table::alloc`.
                drop(unsafe { Box::from_raw(new.as_ptr()) });
            }
        }
    }

    /// Helps migrate `tp` into `np` until every slot of `tp` is final, then swings `current`.
    ///
    /// # Safety
    ///
    /// `self.finish_migration::<K>(tp, np, retire)` is sound if and only if:
    /// - `np` is `tp`'s successor (`tp.next == np`),
    /// - both tables are live (reached from `current` as in [`RawTable::find`]),
    /// - every node in them is a live node of kind `K`, and
    /// - `retire` frees a table only after every thread that may hold it is done (as for
    ///   [`RawTable::insert`]).
    #[cold]
    unsafe fn finish_migration<K: RawKey>(
        &self,
        tp: NonNull<Table>,
        np: NonNull<Table>,
        retire: &dyn Fn(RetiredTable),
    ) {
        // SAFETY: live by the caller's contract.
        let (t, n) = unsafe { (tp.as_ref(), np.as_ref()) };
        let len = t.slots.len();
        loop {
            // Relaxed: claims only partition the work; correctness comes from the slot CASes.
            let start = t.claim.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= len {
                break;
            }
            for i in start..(start + CHUNK).min(len) {
                // SAFETY: caller's contract.
                unsafe { Self::copy_slot::<K>(t, n, i) };
            }
        }
        // Acquire: pairs with the AcqRel increments, each made after a slot's MOVED CAS, so
        // reading `len` proves every slot was copied. Otherwise some chunk is still in
        // another thread's hands: do it ourselves rather than wait.
        if t.moved.load(Ordering::Acquire) != len {
            for i in 0..len {
                // SAFETY: caller's contract.
                unsafe { Self::copy_slot::<K>(t, n, i) };
            }
        }
        // AcqRel/Relaxed: on success, the Release half publishes the completed successor
        // (its slots and every copy in them, which we acquired above through `moved` or the
        // slots' markers) to the Acquire loads of `current`; the Acquire half orders nothing
        // we rely on. Relaxed on failure: another thread swung it and retires `tp`; we read
        // nothing through the value.
        if self
            .current
            .compare_exchange(
                tp.as_ptr(),
                np.as_ptr(),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
        {
            retire(RetiredTable(tp));
        }
    }

    /// Finalises slot `i` of `t`: EMPTY to SEALED, or NODE to MOVED after copying the node
    /// into `n`.
    ///
    /// # Safety
    ///
    /// `RawTable::copy_slot::<K>(t, n, i)` is sound if and only if:
    /// - `n` is `t`'s successor and both are live, and
    /// - every node in them is a live node of kind `K` (as for `finish_migration`).
    unsafe fn copy_slot<K: RawKey>(t: &Table, n: &Table, i: usize) {
        let slot = t.slot(i);
        // Acquire: we may copy the node, so its publication must be visible.
        let mut s = slot.load(Ordering::Acquire);
        loop {
            if is_marker(s) {
                return;
            }
            let marker = if s.is_null() {
                SEALED_ADDR
            } else {
                // SAFETY: a live node of kind K (caller's contract).
                let hash = unsafe { K::node_hash(untag(s)) };
                Self::copy_into(n, s, hash);
                MOVED_ADDR
            };
            let marker = ptr::without_provenance_mut(marker);
            // AcqRel: Release orders the copy (and `next`) before the marker for readers that
            // Acquire-load it; Acquire on failure reads what beat us.
            match slot.compare_exchange(s, marker, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => {
                    // AcqRel: see the field doc of `moved`.
                    t.moved.fetch_add(1, Ordering::AcqRel);
                    return;
                }
                Err(actual) => s = actual,
            }
        }
    }

    /// Puts the tagged node pointer `s` into `n` unless it is already there.
    fn copy_into(n: &Table, s: *mut u8, hash: u64) {
        let mask = n.mask;
        let mut i = hash as usize & mask;
        for _ in 0..=mask {
            let slot = n.slot(i);
            // Acquire: as in `find`.
            let mut cur = slot.load(Ordering::Acquire);
            loop {
                if cur == s {
                    return; // another helper copied it
                }
                if is_marker(cur) {
                    // `n` is itself migrating, so (invariants 5 and 6) its predecessor is fully
                    // migrated: our node was copied by the winner of its MOVED CAS.
                    return;
                }
                if cur.is_null() {
                    // Release/Acquire: on success, Release publishes the node in `n`: its
                    // contents, acquired from the old slot, happen-before this store for the
                    // Acquire loads of `n`'s slots. On failure, Acquire pairs with the Release
                    // CAS that filled the slot, whose value we compare next.
                    match slot.compare_exchange(
                        ptr::null_mut(),
                        s,
                        Ordering::Release,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => {
                            // Relaxed: growth trigger only.
                            n.count.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                        Err(actual) => {
                            cur = actual;
                            continue;
                        }
                    }
                }
                break;
            }
            i = (i + 1) & mask;
        }
        unreachable!("tern-intern: migration target full (invariant 5 broken)");
    }
}

impl Drop for RawTable {
    fn drop(&mut self) {
        // Exclusive access: no operation is running, so no migration is half done; free the
        // current table and any successor chain (never retired).
        let mut p = crate::sync::ptr_mut(&mut self.current);
        while let Some(t) = NonNull::new(p) {
            // SAFETY: `&mut self`, and `t` is `current` or a successor of it; none of them was
            // handed to `retire` (only tables swung out of `current` are).
            let mut b = unsafe { Box::from_raw(t.as_ptr()) };
            p = crate::sync::ptr_mut(&mut b.next);
        }
    }
}

impl core::fmt::Debug for RawTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RawTable")
            .field("slots", &self.slots())
            .field("resizes", &self.resizes())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A test node: the hash is chosen by the test, so collisions are exact.
    #[repr(C)]
    struct TNode {
        hash: u64,
        key: u64,
    }

    struct TKey;

    impl RawKey for TKey {
        type Query = u64;
        unsafe fn node_hash(node: NonNull<u8>) -> u64 {
            // SAFETY: the trait's contract: a live `TNode`.
            unsafe { node.cast::<TNode>().as_ref() }.hash
        }
        unsafe fn matches(node: NonNull<u8>, query: &u64) -> bool {
            // SAFETY: as above.
            unsafe { node.cast::<TNode>().as_ref() }.key == *query
        }
    }

    fn node(hash: u64, key: u64) -> NonNull<u8> {
        NonNull::from(Box::leak(Box::new(TNode { hash, key }))).cast()
    }

    /// A key that sits behind a colliding key in the old table must still be found while the
    /// migration has moved the colliding key but not yet this one (chunks are copied slot by
    /// slot, so a probe chain can be half moved).
    #[test]
    fn lookup_finds_a_key_behind_a_moved_slot_mid_migration() {
        // Same start slot (low bits 0) and tag in every table.
        let hash = 0xABCD_0000_0000_0000;
        let (first, second) = (node(hash, 1), node(hash, 2));
        let retired = RefCell::new(Vec::new());
        let retire = |t: RetiredTable| retired.borrow_mut().push(t);
        let table = RawTable::with_capacity(2);
        // SAFETY: (here and in the blocks below) every node is a live `TNode` inserted with
        // `TKey` and the hash it stores; retired tables are freed at the end, after last use.
        unsafe {
            assert!(table.insert::<TKey>(hash, first, &1, &retire).is_ok());
            assert!(table.insert::<TKey>(hash, second, &2, &retire).is_ok());
        }
        let old = table.current();
        table.grow(old);
        let new = RawTable::successor(old);
        // The migration copied slot 0 (key 1) and stopped before slot 1 (key 2).
        // SAFETY: as above; `new` is `old.next`.
        unsafe { RawTable::copy_slot::<TKey>(old, new, 0) };
        // SAFETY: as above.
        unsafe {
            assert_eq!(table.find::<TKey>(hash, &1), Some(first));
            assert_eq!(
                table.find::<TKey>(hash, &2),
                Some(second),
                "key behind a moved slot lost"
            );
            assert_eq!(table.find::<TKey>(hash, &3), None);
        }
        // An insert finishes the migration and finds the key there.
        let dup = node(hash, 2);
        // SAFETY: as above.
        let again = unsafe { table.insert::<TKey>(hash, dup, &2, &retire) };
        assert!(matches!(again, Err(Present(p)) if p == second));
        // SAFETY: as above.
        unsafe {
            assert_eq!(table.find::<TKey>(hash, &2), Some(second));
            assert_eq!(table.find::<TKey>(hash, &1), Some(first));
        }
        assert_eq!(table.slots(), 8);
        drop(table);
        for table in retired.into_inner() {
            // SAFETY: the table that held it is dropped; nobody reads it any more.
            unsafe { table.free() };
        }
        for p in [first, second, dup] {
            // SAFETY: from `Box::leak` in `node`, freed once, no table refers to it any more.
            drop(unsafe { Box::from_raw(p.cast::<TNode>().as_ptr()) });
        }
    }
}
