//! The value interner (hash-consing) on the same raw table.

use core::alloc::Layout;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::NonNull;

use std::sync::Arc;

use rustc_hash::FxHasher;
use tern_arena::Arenas;
use tern_quiesce::{Collector, Participant};

use crate::ValueStats;
use crate::common::Core;
use crate::interner::{CapacityError, CapacityErrorKind};
use crate::raw::{Present, RawKey, RetiredTable};
use crate::reader::ValueReader;
use crate::reclaim::Retire;
use crate::sync::{AtomicUsize, Ordering};
use crate::tagged::PtrSlot;

/// A reference to an interned value: `Copy`, pointer-sized, compared and hashed by address
/// (equal values are interned once, so address equality is value equality within one
/// [`ValueInterner`]).
pub struct Interned<'a, T>(&'a T);

impl<'a, T> Interned<'a, T> {
    /// The value, with the interner's lifetime.
    pub fn get(self) -> &'a T {
        self.0
    }
    /// The address (stable for the interner's life).
    pub fn as_ptr(self) -> *const T {
        self.0
    }
}

impl<T> Clone for Interned<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Interned<'_, T> {}

impl<T> Deref for Interned<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0
    }
}

impl<T> PartialEq for Interned<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self.0, other.0)
    }
}
impl<T> Eq for Interned<'_, T> {}

impl<T> Hash for Interned<'_, T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        core::ptr::hash(self.0, state);
    }
}

impl<T: fmt::Debug> fmt::Debug for Interned<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Key kind of value nodes: the node is a `T`.
struct ValueKey<T>(PhantomData<fn(T) -> T>);

#[inline]
pub(crate) fn hash_value<T: Hash>(v: &T) -> u64 {
    let mut h = FxHasher::default();
    v.hash(&mut h);
    h.finish()
}

impl<T> ValueKey<T> {
    const KEYS: Self = ValueKey(PhantomData);
}

impl<T: Hash + Eq> RawKey for ValueKey<T> {
    type Format = PtrSlot;
    type Query = T;

    unsafe fn key_hash(&self, node: NonNull<u8>) -> u64 {
        // SAFETY: the trait's contract: a live, initialised `T`.
        hash_value(unsafe { node.cast::<T>().as_ref() })
    }

    #[inline]
    unsafe fn matches(&self, node: NonNull<u8>, query: &T) -> bool {
        // SAFETY: as above.
        unsafe { node.cast::<T>().as_ref() == query }
    }
}

/// A concurrent hash-consing interner for values: equal values get one shared address.
///
/// It runs on the same raw table as [`Interner`](crate::Interner) (same hit path, growth and
/// reclamation); values are moved into the arenas.
///
/// **Drop policy:** `T` must not need dropping (checked at compile time): values live in bump
/// arenas that free memory without running destructors, and a `ValueInterner` has no `Drop` of
/// its own, so a compiler can intern types that point to other interned types of the same
/// interner (`Ty<'tcx>` holding `Interned<'tcx, Ty<'tcx>>`). Use [`Symbol`](crate::Symbol)s and
/// arena slices instead of `String`/`Vec` inside interned values.
///
/// ```
/// use tern_intern::{Interned, Symbol, ValueInterner};
///
/// #[derive(PartialEq, Eq, Hash, Debug)]
/// enum Ty<'a> {
///     Int,
///     Ref(Interned<'a, Ty<'a>>),
///     Adt(Symbol),
/// }
///
/// let types = ValueInterner::new();
/// let int = types.intern(Ty::Int);
/// let r1 = types.intern(Ty::Ref(int));
/// let r2 = types.intern(Ty::Ref(types.intern(Ty::Int)));
/// assert_eq!(r1, r2); // same address
/// assert_eq!(*r1, Ty::Ref(int));
/// assert_eq!(types.len(), 2);
/// ```
///
/// A `T` with drop glue is rejected:
///
/// ```compile_fail
/// let v = tern_intern::ValueInterner::<String>::new();
/// ```
pub struct ValueInterner<T> {
    /// The table (of node addresses), counters, reclamation, collector and arenas.
    pub(crate) core: Core<PtrSlot>,
    pub(crate) len: AtomicUsize,
    /// Invariant in `T` (a covariant `T` would let a `ValueInterner<Ty<'long>>` accept
    /// `Ty<'short>` values through a shorter view) and no ownership of `T` for drop check
    /// (values are never dropped).
    _values: PhantomData<fn(T) -> T>,
}

// SAFETY: values are shared by reference between threads (`T: Sync`) and moved in from any
// thread (`T: Send`); the table, counters and reclamation state are designed for concurrent use.
unsafe impl<T: Send + Sync> Send for ValueInterner<T> {}
// SAFETY: see `Send`.
unsafe impl<T: Send + Sync> Sync for ValueInterner<T> {}

impl<T: Hash + Eq + Send + Sync> Default for ValueInterner<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for ValueInterner<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValueInterner")
            .field("len", &self.len.load(Ordering::Relaxed))
            .field("table", &self.core.table)
            .finish_non_exhaustive()
    }
}

/// Options for [`ValueInterner`]; see [`ValueInterner::builder`].
pub struct ValueInternerBuilder<T> {
    capacity: usize,
    collector: Option<Arc<Collector>>,
    arenas: Option<Arenas>,
    count_hits: bool,
    _values: PhantomData<fn(T) -> T>,
}

impl<T> fmt::Debug for ValueInternerBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValueInternerBuilder")
            .field("capacity", &self.capacity)
            .field("count_hits", &self.count_hits)
            .finish_non_exhaustive()
    }
}

impl<T: Hash + Eq + Send + Sync> ValueInternerBuilder<T> {
    /// Room for this many values before the table first grows.
    #[must_use]
    pub fn capacity(mut self, values: usize) -> Self {
        self.capacity = values;
        self
    }

    /// Share `collector` with other structures (see
    /// [`InternerBuilder::collector`](crate::InternerBuilder::collector)). Default: a
    /// collector of its own.
    #[must_use]
    pub fn collector(mut self, collector: Arc<Collector>) -> Self {
        self.collector = Some(collector);
        self
    }

    /// Allocate values in `arenas` (default: an any-thread set of its own).
    #[must_use]
    pub fn arenas(mut self, arenas: Arenas) -> Self {
        self.arenas = Some(arenas);
        self
    }

    /// Whether hits are counted in [`ValueStats::hits`](crate::ValueStats::hits) (default
    /// `false`, as for [`Interner`](crate::Interner)).
    #[must_use]
    pub fn count_hits(mut self, on: bool) -> Self {
        self.count_hits = on;
        self
    }

    /// Builds the interner.
    pub fn build(self) -> ValueInterner<T> {
        const {
            assert!(
                !core::mem::needs_drop::<T>(),
                "ValueInterner<T>: T must not need dropping (values live in bump arenas)"
            );
        }
        ValueInterner {
            core: Core::new(self.capacity, self.count_hits, self.collector, self.arenas),
            len: AtomicUsize::new(0),
            _values: PhantomData,
        }
    }
}

impl<T: Hash + Eq + Send + Sync> ValueInterner<T> {
    /// An empty interner with its own collector and any-thread arenas.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Room for `n` values before the table first grows.
    pub fn with_capacity(n: usize) -> Self {
        Self::builder().capacity(n).build()
    }

    /// All options.
    pub fn builder() -> ValueInternerBuilder<T> {
        ValueInternerBuilder {
            capacity: 0,
            collector: None,
            arenas: None,
            count_hits: false,
            _values: PhantomData,
        }
    }

    /// Joins an existing collector and arena set.
    pub fn with_parts(collector: Collector, arenas: Arenas) -> Self {
        Self::builder()
            .collector(Arc::new(collector))
            .arenas(arenas)
            .build()
    }

    /// Joins an existing collector and arena set, with room for `n` values.
    pub fn with_parts_and_capacity(collector: Collector, arenas: Arenas, n: usize) -> Self {
        Self::builder()
            .collector(Arc::new(collector))
            .arenas(arenas)
            .capacity(n)
            .build()
    }

    /// A view whose calls retire outgrown tables to the collector; the unchecked form of
    /// [`Guarded::reader`](crate::Guarded).
    ///
    /// # Safety
    ///
    /// `values.reader_unchecked(p)` is sound if and only if:
    /// - the contract of [`Interner::reader_unchecked`](crate::Interner::reader_unchecked)
    ///   holds for `values` and `p`.
    #[inline]
    pub unsafe fn reader_unchecked<'a>(&'a self, p: &'a Participant<'_>) -> ValueReader<'a, 'a, T> {
        debug_assert!(
            core::ptr::eq(p.collector(), self.collector()),
            "tern-intern: a reader needs a participant of the interner's own collector"
        );
        let _ = p;
        ValueReader::new(self)
    }

    /// The shared instance of `v` (moving `v` into the arenas if it is new).
    ///
    /// # Panics
    ///
    /// When the calling thread's arena refuses the allocation (see
    /// [`try_intern`](Self::try_intern)).
    #[inline]
    pub fn intern(&self, v: T) -> Interned<'_, T> {
        match self.try_intern(v) {
            Ok(i) => i,
            Err(e) => panic!("{e}"),
        }
    }

    /// As [`intern`](Self::intern); an arena limit is an error.
    ///
    /// # Errors
    ///
    /// [`CapacityError`] (kind `Arena`) when `v` is new and the calling thread's arena refuses
    /// the allocation.
    #[inline]
    pub fn try_intern(&self, v: T) -> Result<Interned<'_, T>, CapacityError> {
        // SAFETY: `Private` has no precondition.
        unsafe { self.try_intern_to(v, Retire::Private) }
    }

    /// `try_intern`, sending an outgrown table to `to`.
    ///
    /// # Safety
    ///
    /// `values.try_intern_to(v, to)` is sound if and only if:
    /// - the contract of `Reclaim::retire` holds for `to`.
    #[inline]
    pub(crate) unsafe fn try_intern_to(
        &self,
        v: T,
        to: Retire,
    ) -> Result<Interned<'_, T>, CapacityError> {
        let hash = hash_value(&v);
        // SAFETY: the table only holds `T` nodes of our arenas, live while `self` is.
        if let Some(node) = unsafe { self.core.table.find(&ValueKey::KEYS, hash, &v) } {
            self.core.counters.hit();
            // SAFETY: as above.
            return Ok(Interned(unsafe { node.cast::<T>().as_ref() }));
        }
        // SAFETY: the caller's contract.
        unsafe { self.insert(v, hash, to) }
    }

    /// The shared instance equal to `v`, if any.
    #[inline]
    pub fn get(&self, v: &T) -> Option<Interned<'_, T>> {
        // SAFETY: as in `try_intern`.
        let found = unsafe { self.core.table.find(&ValueKey::KEYS, hash_value(v), v) };
        if let Some(node) = found {
            self.core.counters.hit();
            // SAFETY: as in `try_intern`.
            Some(Interned(unsafe { node.cast::<T>().as_ref() }))
        } else {
            self.core.counters.miss(0);
            None
        }
    }

    /// # Safety
    ///
    /// `values.insert(v, hash, to)` is sound if and only if:
    /// - the contract of `Reclaim::retire` holds for `to`.
    #[inline(never)]
    unsafe fn insert(&self, v: T, hash: u64, to: Retire) -> Result<Interned<'_, T>, CapacityError> {
        // At least 2-aligned: the table tells node pointers from its MOVED and SEALED markers
        // (odd addresses) by alignment; at least 1 byte so every value has its own address.
        let layout = Layout::from_size_align(size_of::<T>().max(1), align_of::<T>().max(2))
            .map_err(|_| CapacityError::new(CapacityErrorKind::TooLong))?;
        let node = self
            .core
            .arenas
            // Through the arena set, not the raw Bump: counted in its per-worker stats
            // and held to its allocation limit.
            .try_alloc_layout(layout)
            .map_err(|_| CapacityError::new(CapacityErrorKind::Arena))?;
        // SAFETY: a fresh allocation with room and alignment for a `T`, ours until published.
        unsafe { node.cast::<T>().write(v) };
        // SAFETY: just initialised.
        let query = unsafe { node.cast::<T>().as_ref() };
        let retire = |t: RetiredTable| {
            // SAFETY: the caller's contract for `to`.
            unsafe { self.core.retire(t, to) }
        };
        // Relaxed: only an estimate of the table's load, to decide when to grow.
        let load = self.len.load(Ordering::Relaxed) + 1;
        // SAFETY: `node` is an initialised `T` equal to `query`, in our arenas (live as long as
        // `self`), written before the table's CAS publishes it; old tables go to `Reclaim`
        // (freed after readers are gone).
        match unsafe {
            self.core
                .table
                .insert(&ValueKey::KEYS, hash, node, query, load, &retire)
        } {
            Ok(()) => {
                self.len.fetch_add(1, Ordering::Relaxed);
                self.core.counters.miss(0);
                Ok(Interned(query))
            }
            Err(Present(winner)) => {
                // Our copy stays in the arena unused (no drop glue by the compile-time check).
                self.core.lost_race(layout.size());
                // SAFETY: a live `T` node of this table.
                Ok(Interned(unsafe { winner.cast::<T>().as_ref() }))
            }
        }
    }
}

impl<T> ValueInterner<T> {
    /// Number of distinct values.
    pub fn len(&self) -> usize {
        // Relaxed: a count; exact once concurrent interns finished.
        self.len.load(Ordering::Relaxed)
    }

    /// `true` when nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The collector (register participants on it).
    pub fn collector(&self) -> &Collector {
        &self.core.collector
    }

    /// The arena set holding the values.
    pub fn arenas(&self) -> &Arenas {
        &self.core.arenas
    }

    /// The collector's shared handle (to build more structures on it).
    pub fn shared_collector(&self) -> &Arc<Collector> {
        &self.core.collector
    }

    /// Pass boundary: frees every outgrown table (see
    /// [`Interner::checkpoint`](crate::Interner::checkpoint)).
    pub fn checkpoint(&mut self) {
        self.core.checkpoint();
    }

    /// As [`Interner::free_outgrown`](crate::Interner::free_outgrown).
    pub fn free_outgrown(&mut self) -> usize {
        self.core.free_outgrown()
    }

    /// As [`Interner::reclaim`](crate::Interner::reclaim).
    ///
    /// # Panics
    ///
    /// When a destructor of something else retired to the collector panics (after all ran).
    pub fn reclaim(&self) -> usize {
        self.core.reclaim()
    }

    /// As [`Interner::set_count_hits`](crate::Interner::set_count_hits).
    pub fn set_count_hits(&mut self, on: bool) {
        self.core.set_count_hits(on);
    }

    /// Counters; see [`ValueStats`].
    pub fn stats(&self) -> ValueStats {
        let t = self.core.table_stats();
        ValueStats {
            hits: t.hits,
            misses: t.misses,
            races_lost: t.races_lost,
            resizes: t.resizes,
            len: self.len(),
            table_slots: t.table_slots,
            table_bytes: t.table_bytes,
            retired_bytes: t.retired_bytes,
            reclaimed_bytes: t.reclaimed_bytes,
            race_wasted_bytes: t.race_wasted_bytes,
        }
    }

    /// Every interned value, in no particular order (table order). Exact when no other
    /// thread is interning; call it at a pass boundary for a consistent listing.
    ///
    /// ```
    /// let v = tern_intern::ValueInterner::<u32>::new();
    /// for k in [3, 1, 2, 1] {
    ///     v.intern(k);
    /// }
    /// let mut all: Vec<u32> = v.iter().map(|x| *x).collect();
    /// all.sort_unstable();
    /// assert_eq!(all, [1, 2, 3]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Interned<'_, T>> + '_ {
        self.core.table.keys().into_iter().map(|n| {
            // SAFETY: table nodes are live, initialised `T`s in our arenas, which live as long
            // as `&self`.
            Interned(unsafe { n.cast::<T>().as_ref() })
        })
    }

    /// Gives the collector and arenas back. The values stay in the arenas, but every
    /// `Interned` borrowed `self`, so none is left to reach them.
    pub fn into_parts(self) -> (Arc<Collector>, Arenas) {
        self.core.into_parts()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[derive(PartialEq, Eq, Hash, Debug)]
    enum Ty<'a> {
        Unit,
        Int(u8),
        Pair(Interned<'a, Ty<'a>>, Interned<'a, Ty<'a>>),
    }

    #[test]
    fn hash_conses_recursive_types() {
        let tys: ValueInterner<Ty<'_>> = ValueInterner::builder().count_hits(true).build();
        let unit = tys.intern(Ty::Unit);
        let n = if cfg!(miri) { 40 } else { 500 };
        let ints: Vec<_> = (0..n).map(|k| tys.intern(Ty::Int(k as u8))).collect();
        let p1 = tys.intern(Ty::Pair(unit, ints[3]));
        let p2 = tys.intern(Ty::Pair(tys.intern(Ty::Unit), tys.intern(Ty::Int(3))));
        assert_eq!(p1, p2);
        assert!(core::ptr::eq(p1.get(), p2.get()));
        assert_eq!(tys.len(), 1 + 256.min(n) + 1);
        assert_eq!(tys.get(&Ty::Int(3)), Some(ints[3]));
        assert_eq!(tys.get(&Ty::Pair(ints[1], unit)), None);
        assert_eq!(format!("{:?}", *p1), "Pair(Unit, Int(3))");
        let st = tys.stats();
        assert!(st.hits > 0 && st.resizes > 0);
    }

    #[test]
    fn zero_sized_and_byte_values() {
        let z: ValueInterner<()> = ValueInterner::new();
        assert_eq!(z.intern(()), z.intern(()));
        assert_eq!(z.len(), 1);
        let b: ValueInterner<u8> = ValueInterner::new();
        let all: Vec<_> = (0..=255u8).map(|x| b.intern(x)).collect();
        assert!((0..=255u8).all(|x| b.intern(x) == all[x as usize] && *all[x as usize] == x));
    }

    #[test]
    fn concurrent_values_and_checkpoint() {
        let mut v: ValueInterner<u64> = ValueInterner::with_capacity(2);
        let n = if cfg!(miri) { 60 } else { 4000 };
        std::thread::scope(|s| {
            for t in 0..3u64 {
                let v = &v;
                s.spawn(move || {
                    for k in 0..n {
                        let x = (k * 7 + t) % n;
                        assert_eq!(*v.intern(x), x);
                    }
                });
            }
        });
        assert_eq!(v.len(), n as usize);
        v.checkpoint();
        let st = v.stats();
        assert_eq!(st.retired_bytes, st.reclaimed_bytes);
    }
}
