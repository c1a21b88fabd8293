//! The raw concurrent table: open addressing, linear probing, growth by cooperative migration.
//!
//! This is the unsafe core that both [`Interner`](crate::Interner) and
//! [`ValueInterner`](crate::ValueInterner) sit on. It stores keys in one of the slot formats
//! of `tagged` (ids for strings, node addresses for values); what a key stands for (a string in
//! the id table, a `T`) is told by a [`RawKey`] at each call. The table itself never allocates
//! or frees what its keys refer to: that lives in the arenas of the owner.
//!
//! # Layout
//!
//! A [`Table`] is a power-of-two array of slots. A slot is in one of four states and only
//! ever moves forward:
//!
//! ```text
//!   EMPTY ──CAS──▶ NODE (key with tag) ──store──▶ MOVED   (the key was copied)
//!     └─────────────────────CAS────────────────▶ SEALED  (it was empty)
//! ```
//!
//! A NODE word keeps some bits of the key's hash beside the key (the *tag*, see `tagged`): a
//! probe compares the tag before it asks the [`RawKey`] to compare keys, so a slot of another
//! key almost never costs a load of what that key refers to.
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
//!   over like a slot of another key (its key is in `next`); the search goes on in `next`
//!   at SEALED, at EMPTY if the chain had a MOVED slot, and after a full turn of a table
//!   that has a successor.
//! - [`RawTable::insert`]: CAS of an EMPTY slot to the new key. If the table has a successor
//!   the inserter first helps finish the migration (below) and then inserts in the successor;
//!   if the caller's key count is over the table's load limit (3/4) it creates the successor.
//! - Migration of `t` into `t.next`: every slot of `t` is finalised, an EMPTY one by a CAS to
//!   SEALED, a NODE by a store of MOVED after its key was copied into `t.next` (a CAS into an
//!   empty slot of `t.next`, after looking for the same word first, so copying twice is
//!   harmless). Helpers claim stripes of 64 slots and count each stripe they finish; a helper
//!   that finds no stripe left and not every stripe counted walks all slots itself, so no
//!   thread ever waits for another. When every slot is final, `current` is swung to `t.next`
//!   by a CAS and its winner hands `t` to the owner's retire callback.
//!
//! # Invariants (what the proofs rely on)
//!
//! 1. Slots never go back: EMPTY → NODE → MOVED or EMPTY → SEALED. EMPTY is left only by a
//!    CAS; a NODE slot can only become MOVED, so MOVED is stored plainly (by every helper that
//!    copied its key, which is harmless).
//! 2. A key is in at most one NODE slot of a table.
//! 3. `t.next` is set (once, by CAS) before any slot of `t` becomes MOVED or SEALED.
//! 4. A NODE slot becomes MOVED only after its key is in `t.next`.
//! 5. Nobody inserts a *new* key into `t.next` before every slot of `t` is final (the
//!    inserter finishes the migration first). Hence a key is never in `t` and, as a
//!    different word, in `t.next` (so no key gets two entries), and a copy always finds room:
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
use crate::tagged::SlotFormat;

/// What the table needs to know about the keys it stores: how to hash and compare what a key
/// refers to. Implementations carry what they need for that (the id table, for strings).
pub(crate) trait RawKey {
    /// The slot format of the table.
    type Format: SlotFormat;
    /// What a lookup compares against.
    type Query: ?Sized;

    /// Recomputes the hash of what `key` refers to (used when migrating).
    ///
    /// # Safety
    ///
    /// `keys.key_hash(key)` is sound if and only if:
    /// - `key` was published in a table by an insert with this `RawKey` (or one that refers
    ///   to the same storage), and
    /// - what it refers to is still live (the owner's arenas are not reset).
    unsafe fn key_hash(&self, key: Key<Self>) -> u64;

    /// Whether what `key` refers to equals `query`.
    ///
    /// # Safety
    ///
    /// `keys.matches(key, q)` is sound if and only if:
    /// - the conditions of [`RawKey::key_hash`] hold for `key`.
    unsafe fn matches(&self, key: Key<Self>, query: &Self::Query) -> bool;
}

/// The key type of a [`RawKey`]'s slot format.
pub(crate) type Key<K> = <<K as RawKey>::Format as SlotFormat>::Key;

/// Slots a migrating thread claims at once.
const STRIPE: usize = if cfg!(any(loom, miri)) { 2 } else { 64 };

/// Smallest table (slots).
pub(crate) const MIN_SLOTS: usize = 4;

/// The slot count of a table with this mask: the bound of a probe's full turn (an exclusive
/// range, which compiles to a plainer loop than `0..=mask`).
#[inline]
fn t_len(mask: usize) -> usize {
    mask + 1
}

/// Asks the CPU to start loading the cache line at `p` (a hint: never faults, whatever the
/// address).
#[inline]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: `_mm_prefetch` is a hint that never dereferences in a way that can fault, and
    // SSE is part of the x86-64 baseline.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>());
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = p;
}

/// One generation of the table.
pub(crate) struct Table<F: SlotFormat> {
    /// `slots.len() - 1`.
    mask: usize,
    /// Above this many keys an inserter creates the successor.
    max_load: usize,
    /// The successor this table is being migrated into; null until growth starts. Set once, by
    /// a CAS whose Release publishes the successor's initialised (all-EMPTY) slots.
    next: AtomicPtr<Table<F>>,
    /// Next stripe to be claimed by a migrating thread.
    claim: AtomicUsize,
    /// Stripes whose claimer finalised every slot. Each increment is made (`AcqRel`) after the
    /// stripe's slots are final, so reading the stripe count here (Acquire) proves the whole
    /// table was copied.
    done: AtomicUsize,
    slots: Box<[F::Cell]>,
    /// Under loom, a freed table is not freed: it becomes a tombstone, and every slot access
    /// reads this cell. loom's cells track causality, so a probe of a table whose "free" does
    /// not happen-after it (a reclamation bug) fails the model with a causality violation
    /// instead of going unnoticed as a read of freed memory would.
    #[cfg(loom)]
    alive: loom::cell::UnsafeCell<bool>,
}

impl<F: SlotFormat> Table<F> {
    fn alloc(slots: usize) -> NonNull<Table<F>> {
        debug_assert!(slots.is_power_of_two() && slots >= MIN_SLOTS);
        let t = Box::new(Table {
            mask: slots - 1,
            max_load: slots / 4 * 3,
            next: AtomicPtr::new(ptr::null_mut()),
            claim: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            slots: F::cells(slots),
            #[cfg(loom)]
            alive: loom::cell::UnsafeCell::new(true),
        });
        NonNull::from(Box::leak(t))
    }

    /// Heap bytes of a table with this many slots.
    pub(crate) fn bytes_for(slots: usize) -> usize {
        size_of::<Table<F>>() + slots * size_of::<F::Cell>()
    }

    pub(crate) fn bytes(&self) -> usize {
        Self::bytes_for(self.slots.len())
    }

    /// Slot `i`. Callers pass masked indices; masking again (one AND at most) keeps this safe
    /// function sound for any `i`.
    #[inline]
    fn slot(&self, i: usize) -> &F::Cell {
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

/// A retired table, type-erased so that both slot formats share one reclamation path: owned
/// by whoever runs the retire callback; freed by [`RetiredTable::free`].
pub(crate) struct RetiredTable {
    table: NonNull<u8>,
    bytes: usize,
    /// `free_table::<F>` of the table's format.
    free: unsafe fn(NonNull<u8>),
}

// SAFETY: a retired table is no longer reachable from `current`; the only access left is the
// eventual `free`, which the collector runs on one thread after every reader is gone. `Table`
// itself holds only atomics and a boxed slice of atomics, which are Send.
unsafe impl Send for RetiredTable {}

impl RetiredTable {
    /// Heap bytes the table occupies.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
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
        // SAFETY: `free` is `free_table::<F>` for the format the table was allocated with, it
        // runs once (self is consumed), and the caller's contract is its contract.
        unsafe { (self.free)(self.table) }
    }
}

/// Frees a table of format `F` (the erased `free` of [`RetiredTable`]).
///
/// # Safety
///
/// `free_table::<F>(p)` is sound if and only if:
/// - `p` came from `Table::<F>::alloc` and is freed once, and
/// - no thread can still reach the table (the contract of [`RetiredTable::free`]).
unsafe fn free_table<F: SlotFormat>(p: NonNull<u8>) {
    let p = p.cast::<Table<F>>();
    #[cfg(loom)]
    {
        // SAFETY: the table is live (it is only turned into a tombstone, never freed, under
        // loom).
        let t = unsafe { p.as_ref() };
        t.alive.with_mut(|alive| {
            // SAFETY: loom's cell hands out a pointer valid for this closure.
            unsafe { *alive = false };
        });
    }
    #[cfg(not(loom))]
    // SAFETY: the pointer came from `Box::leak` in `Table::alloc`, is freed once, and by the
    // caller's contract nobody references it any more.
    drop(unsafe { Box::from_raw(p.as_ptr()) });
}

/// The outcome of [`RawTable::insert`] when the key was already present: the key that was.
pub(crate) struct Present<K>(pub(crate) K);

/// The concurrent table: a pointer to the current [`Table`] generation.
pub(crate) struct RawTable<F: SlotFormat> {
    /// The newest table whose predecessors are all migrated. Swung forward by CAS (`AcqRel`:
    /// Release publishes the new table's copied contents to later Acquire loads in `find`).
    current: AtomicPtr<Table<F>>,
    /// Number of completed growths.
    resizes: AtomicUsize,
}

impl<F: SlotFormat> RawTable<F> {
    /// A table that holds `entries` keys without growing.
    pub(crate) fn with_capacity(entries: usize) -> Self {
        let slots = Self::slots_for(entries);
        RawTable {
            current: AtomicPtr::new(Table::<F>::alloc(slots).as_ptr()),
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
    fn current(&self) -> &Table<F> {
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
        let mut t: *const Table<F> = self.current();
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

    /// Stores `key` (whose hash is `hash` and which is not present) under exclusive access,
    /// without a compare-exchange: for building a table from scratch. The table must have
    /// room (see [`RawTable::with_capacity`]); it never grows here.
    #[inline]
    pub(crate) fn insert_mut(&mut self, hash: u64, key: F::Key) {
        let new = F::pack(key, hash);
        let t = self.current();
        let mask = t.mask;
        let mut i = hash as usize & mask;
        for _ in 0..t_len(mask) {
            let slot = t.slot(i);
            // Relaxed (both): `&mut self` excludes every other access; whoever receives the
            // table later gets it through a synchronising hand-over (a join, a `&mut` borrow
            // ending, or the Release that publishes the interner).
            if F::is_empty(F::load(slot, Ordering::Relaxed)) {
                F::store(slot, new, Ordering::Relaxed);
                return;
            }
            i = (i + 1) & mask;
        }
        unreachable!("tern-intern: insert_mut into a full table");
    }

    /// Every key in the table (each once): the keys of the current table and any successor,
    /// as loads see them now. Exact when no insert runs concurrently.
    pub(crate) fn keys(&self) -> Vec<F::Key> {
        let mut out = Vec::new();
        let mut t: *const Table<F> = self.current();
        let mut tables = 0;
        while !t.is_null() {
            // SAFETY: as in `heap_bytes`.
            let table = unsafe { &*t };
            for i in 0..table.slots.len() {
                // Acquire: as in `find`, so what the key refers to is visible.
                let s = F::load(table.slot(i), Ordering::Acquire);
                if !F::is_empty(s) && !F::is_marker(s) {
                    out.push(F::key(s));
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

    #[allow(
        clippy::inline_always,
        reason = "the hit path, inlined into every caller's loop (see `Interner::try_intern_to`)"
    )]
    /// Looks `query` up and returns its key. The hit path: loads only, and nothing else.
    ///
    /// # Safety
    ///
    /// `table.find(keys, hash, q)` is sound if and only if:
    /// - every key in the table was inserted with a `RawKey` whose storage `keys` reads, and
    ///   what it refers to is live (see [`RawKey`]), and
    /// - `hash` is the hash of `q` that inserts use (otherwise the result is merely wrong).
    #[inline(always)]
    pub(crate) unsafe fn find<K: RawKey<Format = F>>(
        &self,
        keys: &K,
        hash: u64,
        query: &K::Query,
    ) -> Option<F::Key> {
        let tag = F::tag(hash);
        let mut t = self.current();
        'tables: loop {
            let mask = t.mask;
            let mut i = hash as usize & mask;
            // Whether this chain passed a MOVED slot: then the key may be in `t.next` (copied)
            // even though the chain ends in `t`.
            let mut moved_seen = false;
            for _ in 0..t_len(mask) {
                // Acquire: pairs with the Release of the CAS that stored this slot (a key's
                // publication) or of the marker stored after the copy and after `next` was set.
                let s = F::load(t.slot(i), Ordering::Acquire);
                if F::is_empty(s) {
                    if moved_seen {
                        t = Self::successor(t);
                        continue 'tables;
                    }
                    return None;
                }
                if F::is_marker(s) {
                    if s == F::sealed() {
                        t = Self::successor(t);
                        continue 'tables;
                    }
                    // MOVED: a key of this chain, copied; keys further on may not be yet.
                    moved_seen = true;
                } else if F::tag_of(s) == tag {
                    let key = F::key(s);
                    // SAFETY: caller's contract: keys are live keys of `keys`' storage.
                    if unsafe { keys.matches(key, query) } {
                        return Some(key);
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
    fn successor(t: &Table<F>) -> &Table<F> {
        // Acquire: pairs with the AcqRel CAS that set `next`; by invariant 3 it was set
        // before the marker we just read (itself Acquire-loaded), so it is non-null.
        let n = t.next.load(Ordering::Acquire);
        debug_assert!(!n.is_null());
        // SAFETY: non-null by invariant 3; live at least as long as `t` (retired after it).
        unsafe { &*n }
    }

    /// Inserts `key` (whose hash is `hash` and which refers to something equal to `query`)
    /// unless an equal key is present, in which case that key is returned and `key` was not
    /// published. `load` is how many keys the table holds with this one (an estimate is
    /// fine: it only decides when to grow).
    ///
    /// `retire` receives each table this call swung out of `current`.
    ///
    /// # Safety
    ///
    /// `table.insert(keys, hash, key, q, load, retire)` is sound if and only if:
    /// - the conditions of [`RawTable::find`] hold,
    /// - what `key` refers to is live, fully initialised and visible to every thread that
    ///   loads the slot with Acquire after this call's Release CAS (it was written before the
    ///   call), equals `query`, and stays live as long as the table's keys must, and
    /// - `retire` does not free the table before every thread that may hold it is done
    ///   (it hands the table to a collector).
    pub(crate) unsafe fn insert<K: RawKey<Format = F>>(
        &self,
        keys: &K,
        hash: u64,
        key: F::Key,
        query: &K::Query,
        load: usize,
        retire: &dyn Fn(RetiredTable),
    ) -> Result<(), Present<F::Key>> {
        let tag = F::tag(hash);
        let new = F::pack(key, hash);
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
                // SAFETY: keys are of `keys`' storage (caller's contract).
                unsafe { self.finish_migration(keys, tp_nn, next, retire) };
                tp = next.as_ptr();
                continue;
            }
            if load > t.max_load {
                self.grow(t);
                continue;
            }
            let mask = t.mask;
            let mut i = hash as usize & mask;
            for _ in 0..t_len(mask) {
                let slot = t.slot(i);
                // Acquire: as in `find`.
                let mut s = F::load(slot, Ordering::Acquire);
                loop {
                    if F::is_empty(s) {
                        // Release/Acquire: on success, Release publishes what the key refers to
                        // (written before this call) to every Acquire load of this slot
                        // (`find`, inserters, `copy_slot`). On failure, Acquire pairs with the
                        // Release CAS that filled the slot, so we may compare the key that won.
                        match F::compare_exchange(
                            slot,
                            s,
                            new,
                            Ordering::Release,
                            Ordering::Acquire,
                        ) {
                            Ok(_) => return Ok(()),
                            Err(actual) => {
                                s = actual;
                                continue;
                            }
                        }
                    }
                    if F::is_marker(s) {
                        // Migration started (invariant 3): the top of the loop sees `next`.
                        continue 'tables;
                    }
                    if F::tag_of(s) == tag {
                        let other = F::key(s);
                        // SAFETY: caller's contract.
                        if unsafe { keys.matches(other, query) } {
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
    fn grow(&self, t: &Table<F>) {
        // Relaxed: a hint only; the CAS below decides.
        if !t.next.load(Ordering::Relaxed).is_null() {
            return;
        }
        let new = Table::<F>::alloc(t.slots.len() * 2);
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
                self.resizes.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                // SAFETY: `new` was never shared; it came from `Box::leak` in `Table::alloc`.
                drop(unsafe { Box::from_raw(new.as_ptr()) });
            }
        }
    }

    /// Helps migrate `tp` into `np` until every slot of `tp` is final, then swings `current`.
    ///
    /// # Safety
    ///
    /// `self.finish_migration(keys, tp, np, retire)` is sound if and only if:
    /// - `np` is `tp`'s successor (`tp.next == np`),
    /// - both tables are live (reached from `current` as in [`RawTable::find`]),
    /// - every key in them is a live key of `keys`' storage, and
    /// - `retire` frees a table only after every thread that may hold it is done (as for
    ///   [`RawTable::insert`]).
    #[cold]
    unsafe fn finish_migration<K: RawKey<Format = F>>(
        &self,
        keys: &K,
        tp: NonNull<Table<F>>,
        np: NonNull<Table<F>>,
        retire: &dyn Fn(RetiredTable),
    ) {
        // SAFETY: live by the caller's contract.
        let (t, n) = unsafe { (tp.as_ref(), np.as_ref()) };
        let len = t.slots.len();
        let stripes = len.div_ceil(STRIPE);
        loop {
            // Relaxed: claims only partition the work; correctness comes from the slots'
            // final states and the `done` count.
            let k = t.claim.fetch_add(1, Ordering::Relaxed);
            if k >= stripes {
                break;
            }
            // SAFETY: caller's contract.
            unsafe { Self::copy_stripe(keys, t, n, k * STRIPE..((k + 1) * STRIPE).min(len)) };
            // AcqRel: the Release half orders this stripe's final slots and copies before the
            // count for the Acquire load below (of this thread or another); the Acquire half
            // continues the chain of earlier increments.
            t.done.fetch_add(1, Ordering::AcqRel);
        }
        // Acquire: pairs with the AcqRel increments, each made after a stripe's slots were
        // final, so reading `stripes` proves every slot was copied. Otherwise some stripe is
        // still in another thread's hands: do all slots ourselves rather than wait (each
        // `copy_slot` returns only once it saw the slot final, with Acquire, or made it so).
        if t.done.load(Ordering::Acquire) != stripes {
            for i in 0..len {
                // SAFETY: caller's contract.
                unsafe { Self::copy_slot(keys, t, n, i) };
            }
        }
        // AcqRel/Relaxed: on success, the Release half publishes the completed successor
        // (its slots and every copy in them, which we acquired above through `done` or the
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
            retire(RetiredTable {
                table: tp.cast(),
                bytes: t.bytes(),
                free: free_table::<F>,
            });
        }
    }

    /// Finalises the slots `range` of `t` (a stripe), in two passes: first it reads every slot
    /// and hashes every key (loads only, so the cache misses of many keys overlap; a locked
    /// instruction between them would wait for each in turn), also prefetching each key's home
    /// slot in `n`; then it finalises each slot as [`RawTable::copy_slot`] does, with the
    /// hashes computed ahead (a slot that changed in between is handled from scratch).
    ///
    /// # Safety
    ///
    /// `RawTable::copy_stripe(keys, t, n, range)` is sound if and only if:
    /// - the conditions of [`RawTable::copy_slot`] hold.
    unsafe fn copy_stripe<K: RawKey<Format = F>>(
        keys: &K,
        t: &Table<F>,
        n: &Table<F>,
        range: core::ops::Range<usize>,
    ) {
        let start = range.start;
        let mut ahead = [(F::sealed(), 0u64); STRIPE];
        for (a, i) in ahead.iter_mut().zip(range.clone()) {
            // Acquire: we may hash the key, so what it refers to must be visible.
            let s = F::load(t.slot(i), Ordering::Acquire);
            if !F::is_empty(s) && !F::is_marker(s) {
                // SAFETY: a live key of `keys`' storage (caller's contract).
                let hash = unsafe { keys.key_hash(F::key(s)) };
                prefetch(n.slot(hash as usize));
                *a = (s, hash);
            } else {
                *a = (s, 0);
            }
        }
        for i in range {
            let (s, hash) = ahead[i - start];
            // SAFETY: caller's contract; `s` and `hash` were read from slot `i` of `t`.
            unsafe { Self::copy_slot_from(keys, t, n, i, s, hash) };
        }
    }

    /// Finalises slot `i` of `t`: EMPTY to SEALED, or NODE to MOVED after copying the key
    /// into `n`. Returns once the slot is final.
    ///
    /// # Safety
    ///
    /// `RawTable::copy_slot(keys, t, n, i)` is sound if and only if:
    /// - `n` is `t`'s successor and both are live, and
    /// - every key in them is a live key of `keys`' storage (as for `finish_migration`).
    unsafe fn copy_slot<K: RawKey<Format = F>>(keys: &K, t: &Table<F>, n: &Table<F>, i: usize) {
        // Acquire: we may copy the key, so what it refers to must be visible.
        let s = F::load(t.slot(i), Ordering::Acquire);
        let hash = if !F::is_empty(s) && !F::is_marker(s) {
            // SAFETY: a live key of `keys`' storage (caller's contract).
            unsafe { keys.key_hash(F::key(s)) }
        } else {
            0
        };
        // SAFETY: caller's contract; `s` and `hash` were just read from slot `i`.
        unsafe { Self::copy_slot_from(keys, t, n, i, s, hash) };
    }

    /// [`RawTable::copy_slot`] from a word `s` already read from slot `i` (with Acquire), and
    /// its key's hash when `s` is a NODE word.
    ///
    /// # Safety
    ///
    /// `RawTable::copy_slot_from(keys, t, n, i, s, hash)` is sound if and only if:
    /// - the conditions of [`RawTable::copy_slot`] hold, and
    /// - `s` was read from slot `i` of `t` with Acquire, and `hash` is its key's hash if `s`
    ///   is a NODE word.
    unsafe fn copy_slot_from<K: RawKey<Format = F>>(
        keys: &K,
        t: &Table<F>,
        n: &Table<F>,
        i: usize,
        mut s: F::Word,
        hash: u64,
    ) {
        let slot = t.slot(i);
        let first = s;
        loop {
            if F::is_marker(s) {
                return;
            }
            if F::is_empty(s) {
                // Release/Acquire: on success, Release orders `next` (acquired before this
                // call) before SEALED for readers that Acquire-load it and go on in `next`. On
                // failure, Acquire pairs with the Release CAS of the key that beat us.
                match F::compare_exchange(
                    slot,
                    s,
                    F::sealed(),
                    Ordering::Release,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return,
                    Err(actual) => {
                        s = actual;
                        continue;
                    }
                }
            }
            let hash = if s == first {
                hash
            } else {
                // The slot went from EMPTY to NODE since it was read: hash the new key.
                // SAFETY: a live key of `keys`' storage (caller's contract), published by the
                // CAS whose value we just read with Acquire.
                unsafe { keys.key_hash(F::key(s)) }
            };
            Self::copy_into(n, s, hash);
            // Release: orders the copy (and `next`) before MOVED for readers that
            // Acquire-load it. A plain store: a NODE slot can only become MOVED, and every
            // thread that stores it has copied the key first (invariants 1 and 4).
            F::store(slot, F::moved(), Ordering::Release);
            return;
        }
    }

    /// Puts the NODE word `s` into `n` unless it is already there.
    fn copy_into(n: &Table<F>, s: F::Word, hash: u64) {
        let mask = n.mask;
        let mut i = hash as usize & mask;
        for _ in 0..t_len(mask) {
            let slot = n.slot(i);
            // Acquire: as in `find`.
            let mut cur = F::load(slot, Ordering::Acquire);
            loop {
                if cur == s {
                    return; // another helper copied it
                }
                if F::is_marker(cur) {
                    // `n` is itself migrating, so (invariants 5 and 6) its predecessor is fully
                    // migrated: our key was copied by a thread that stored its MOVED.
                    return;
                }
                if F::is_empty(cur) {
                    // Release/Acquire: on success, Release publishes the key in `n`: what it
                    // refers to, acquired from the old slot, happens-before this store for the
                    // Acquire loads of `n`'s slots. On failure, Acquire pairs with the Release
                    // CAS that filled the slot, whose value we compare next.
                    match F::compare_exchange(slot, cur, s, Ordering::Release, Ordering::Acquire) {
                        Ok(_) => return,
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

impl<F: SlotFormat> Drop for RawTable<F> {
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

impl<F: SlotFormat> core::fmt::Debug for RawTable<F> {
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
    use crate::tagged::{IdSlot, PtrSlot};
    use std::cell::RefCell;

    /// A test node: the hash is chosen by the test, so collisions are exact.
    #[repr(C)]
    struct TNode {
        hash: u64,
        key: u64,
    }

    /// Keys are node addresses.
    struct TKey;

    impl RawKey for TKey {
        type Format = PtrSlot;
        type Query = u64;
        unsafe fn key_hash(&self, node: NonNull<u8>) -> u64 {
            // SAFETY: the trait's contract: a live `TNode`.
            unsafe { node.cast::<TNode>().as_ref() }.hash
        }
        unsafe fn matches(&self, node: NonNull<u8>, query: &u64) -> bool {
            // SAFETY: as above.
            unsafe { node.cast::<TNode>().as_ref() }.key == *query
        }
    }

    /// Keys are indices into a list of (hash, value) pairs.
    struct TIds(Vec<(u64, u64)>);

    impl RawKey for TIds {
        type Format = IdSlot;
        type Query = u64;
        unsafe fn key_hash(&self, id: u32) -> u64 {
            self.0[id as usize].0
        }
        unsafe fn matches(&self, id: u32, query: &u64) -> bool {
            self.0[id as usize].1 == *query
        }
    }

    fn node(hash: u64, key: u64) -> NonNull<u8> {
        NonNull::from(Box::leak(Box::new(TNode { hash, key }))).cast()
    }

    /// A key that sits behind a colliding key in the old table must still be found while the
    /// migration has moved the colliding key but not yet this one (stripes are copied slot by
    /// slot, so a probe chain can be half moved).
    #[test]
    fn lookup_finds_a_key_behind_a_moved_slot_mid_migration() {
        // Same start slot (low bits 0) and tag in every table.
        let hash = 0xABCD_0000_0000_0000;
        let (first, second) = (node(hash, 1), node(hash, 2));
        let retired = RefCell::new(Vec::new());
        let retire = |t: RetiredTable| retired.borrow_mut().push(t);
        let table = RawTable::<PtrSlot>::with_capacity(2);
        // SAFETY: (here and in the blocks below) every node is a live `TNode` inserted with
        // `TKey` and the hash it stores; retired tables are freed at the end, after last use.
        unsafe {
            assert!(table.insert(&TKey, hash, first, &1, 1, &retire).is_ok());
            assert!(table.insert(&TKey, hash, second, &2, 2, &retire).is_ok());
        }
        let old = table.current();
        table.grow(old);
        let new = RawTable::successor(old);
        // The migration copied slot 0 (key 1) and stopped before slot 1 (key 2).
        // SAFETY: as above; `new` is `old.next`.
        unsafe { RawTable::copy_slot(&TKey, old, new, 0) };
        // SAFETY: as above.
        unsafe {
            assert_eq!(table.find(&TKey, hash, &1), Some(first));
            assert_eq!(
                table.find(&TKey, hash, &2),
                Some(second),
                "key behind a moved slot lost"
            );
            assert_eq!(table.find(&TKey, hash, &3), None);
        }
        // An insert finishes the migration and finds the key there.
        let dup = node(hash, 2);
        // SAFETY: as above.
        let again = unsafe { table.insert(&TKey, hash, dup, &2, 3, &retire) };
        assert!(matches!(again, Err(Present(p)) if p == second));
        // SAFETY: as above.
        unsafe {
            assert_eq!(table.find(&TKey, hash, &2), Some(second));
            assert_eq!(table.find(&TKey, hash, &1), Some(first));
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

    /// Id slots through several growths, with colliding hashes and helpers walking the
    /// whole table: every key found, each once.
    #[test]
    fn id_slots_grow_and_keep_every_key() {
        let n: u64 = if cfg!(miri) { 60 } else { 3000 };
        // Hashes with many collisions in the low bits, tags spread.
        let keys = TIds(
            (0..=n)
                .map(|k| {
                    (
                        k.wrapping_mul(0x9E37_79B9_7F4A_7C15) & !0xF0 | (k % 4) << 4,
                        k,
                    )
                })
                .collect(),
        );
        let retired = RefCell::new(Vec::new());
        let retire = |t: RetiredTable| retired.borrow_mut().push(t);
        let table = RawTable::<IdSlot>::with_capacity(0);
        for id in 1..=n {
            let (hash, v) = keys.0[id as usize];
            // SAFETY: ids index `keys`, which outlives the table.
            let r = unsafe { table.insert(&keys, hash, id as u32, &v, id as usize, &retire) };
            assert!(r.is_ok());
        }
        assert!(table.resizes() >= if cfg!(miri) { 4 } else { 8 });
        for id in 1..=n {
            let (hash, v) = keys.0[id as usize];
            // SAFETY: as above.
            assert_eq!(unsafe { table.find(&keys, hash, &v) }, Some(id as u32));
            let (_, w) = keys.0[1];
            // SAFETY: as above.
            let dup = unsafe { table.insert(&keys, keys.0[1].0, 1, &w, n as usize, &retire) };
            assert!(matches!(dup, Err(Present(1))));
        }
        let mut all = table.keys();
        all.sort_unstable();
        assert_eq!(all, (1..=n as u32).collect::<Vec<_>>());
        drop(table);
        for t in retired.into_inner() {
            // SAFETY: the table that held it is dropped.
            unsafe { t.free() };
        }
    }
}
