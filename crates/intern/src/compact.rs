//! Compaction: memory that stays flat in a process that runs for days.
//!
//! Every interner in the field only grows: a language server or a watch-mode compiler that
//! interns the names of every revision keeps them all. Freeing a symbol safely needs to know
//! that nobody still reads its string or probes its table, which a concurrent interner cannot
//! know of its callers. A pass boundary can: `compact(&mut self, ..)` holds the interner
//! exclusively, so no reader exists and strings may move.
//!
//! [`Interner::compact`] keeps the pre-interned symbols and the symbols `keep` accepts, copies
//! their strings into a fresh arena set, builds a fresh table and id table for them, and drops
//! the old arenas, table and id table whole. Kept symbols get dense ids in a deterministic
//! order: by the string's `FxHash`, then its bytes (the same strings get the same ids whatever
//! the schedule that interned them, and sorting 64-bit keys is what keeps a 100 k-symbol
//! compaction in a few milliseconds). The returned [`Remap`] maps every old symbol to its new
//! one in O(1), or to `None` when it was dropped; the interner's epoch advances, so an old
//! symbol resolved afterwards panics in debug builds (see [`Symbol`]).
//!
//! Everything is built on the side and swapped in at the end: if `keep` panics, the interner
//! is unchanged.

use core::alloc::Layout;
use core::hash::Hash;
use core::ptr::{self, NonNull};

use crate::ids::IdTable;
use crate::interner::Interner;
use crate::node::{self, entry_str, hash_str};
use crate::raw::{RawTable, prefetch};
use crate::serial::Remap;
use crate::sync::{AtomicU32, AtomicUsize, Mutex};
use crate::tagged::entry;
use crate::value::{ValueInterner, hash_value};
use crate::{Symbol, sync};

/// What [`ValueInterner::compact`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValueCompaction {
    /// Values kept.
    pub kept: usize,
    /// Values dropped.
    pub dropped: usize,
    /// Heap bytes before the compaction minus after ([`ValueInterner::heap_bytes`]).
    pub freed_bytes: usize,
}

impl Interner {
    /// Drops every symbol that `keep` rejects (pre-interned symbols are always kept), frees
    /// the memory they and every outgrown table held, and renumbers the kept ones densely in
    /// a deterministic order. Returns the old → new [`Remap`]: `remap.get(old)` is the new
    /// symbol, or `None` for a dropped one. `keep` sees every non-pre-interned symbol once,
    /// in id order.
    ///
    /// Strings move, so `&mut self` is required (no `&str` from [`resolve`](Self::resolve)
    /// survives it), and every symbol from before is stale afterwards: resolving one panics in
    /// debug builds; in release builds it may resolve to another string (map it first).
    ///
    /// The arena set is replaced by a fresh one configured like it (same pool and thread
    /// policy), whose driver is the calling thread.
    ///
    /// ```
    /// let mut i = tern_intern::Interner::new();
    /// let (a, b) = (i.intern("alpha"), i.intern("beta"));
    /// let remap = i.compact(|s| s == a);
    /// assert_eq!(remap.get(b), None);
    /// let a2 = remap.get(a).unwrap();
    /// assert_eq!(i.resolve(a2), "alpha");
    /// assert_eq!(i.get("beta"), None);
    /// assert_eq!(i.len(), tern_intern::PREINTERNED.len() + 1);
    /// ```
    ///
    /// # Panics
    ///
    /// When `keep` panics (the interner is then unchanged), or a destructor of something
    /// retired to a shared collector panics during the sweep that starts the compaction.
    pub fn compact(&mut self, mut keep: impl FnMut(Symbol) -> bool) -> Remap {
        // Exclusive access: everything outgrown before can go now.
        self.checkpoint();
        let p = self.preinterned.len() as u32;
        let end = sync::u32_mut(&mut self.next_id);
        let from_epoch = self.epoch;
        // 1. The kept symbols with their strings' hashes (in old-id order, so the old strings
        //    are read mostly in the order they were allocated).
        let mut kept: Vec<(u64, u32, NonNull<u8>)> = Vec::new();
        for id in p + 1..end {
            let sym = Symbol::with_epoch(id, from_epoch);
            let Some(e) = self.entry_of(sym) else {
                continue; // an id a lost race left unused
            };
            if keep(sym) {
                // SAFETY: id-table entries pack live string nodes of our arenas, which live
                // until they are replaced at the end of this function.
                let s = unsafe { entry_str(e) };
                kept.push((hash_str(s), id, e));
            }
        }
        // 2. A deterministic order: the string's hash with its home-slot bits first (so the
        //    new table, id table and arena are all written front to back), then its bytes
        //    (equal hashes are rare).
        let mut table = RawTable::with_capacity(p as usize + kept.len());
        let bits = table.slot_bits();
        for k in &mut kept {
            k.0 = order_key(k.0, bits);
        }
        let text = |e: NonNull<u8>| {
            // SAFETY: as above.
            unsafe { entry_str(e) }
        };
        kept.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| text(a.2).cmp(text(b.2))));
        // 3. Fresh storage, built on the side.
        let arenas = self.core.arenas.empty_like();
        let local = arenas.local_arena();
        let ids = IdTable::new();
        let to_epoch = (from_epoch + 1) % crate::symbol::EPOCHS;
        let mut string_bytes = 0;
        let mut copy = |id: u32, s: &str, hash: u64| {
            let layout = node::layout(s.len()).expect("the string fit before");
            let node = local.alloc_layout(layout);
            // SAFETY: a fresh allocation of `node::layout(s.len())`, ours alone until published
            // below; the length fit a u32 when the string was first interned.
            unsafe { node::write(node, s) };
            ids.set(id, entry::pack(node, s.len()));
            table.insert_mut(hash, id);
            string_bytes += s.len();
        };
        for (k, s) in self.preinterned.iter().enumerate() {
            copy(k as u32 + 1, s, hash_str(s));
        }
        let mut new = vec![0u32; end as usize];
        for (k, &(key, old_id, e)) in kept.iter().enumerate() {
            if let Some(&(_, _, ahead)) = kept.get(k + PREFETCH_AHEAD) {
                prefetch(entry::unpack(ahead).0.as_ptr());
            }
            let id = p + 1 + k as u32;
            copy(id, text(e), unrotate(key, bits));
            new[old_id as usize] = Symbol::with_epoch(id, to_epoch).as_u32();
        }
        let next = p + 1 + kept.len() as u32;
        drop(kept);
        // 4. Swap in; the old table, id table and arenas are freed whole.
        self.core.table = table;
        self.ids = ids;
        self.core.arenas = arenas;
        self.core.counters.reset_bytes(string_bytes as u64);
        self.next_id = AtomicU32::new(next);
        self.published = AtomicU32::new(next - 1);
        self.spare = Mutex::new(Vec::new());
        self.spare_len = AtomicUsize::new(0);
        self.epoch = to_epoch;
        Remap::dense(new, from_epoch, p + 1)
    }

    /// Every byte this interner owns: the current table (and a successor being migrated
    /// into), outgrown tables not yet freed (kept for the checkpoint, or waiting in the
    /// collector), the id table (the part of its reserved block that ids used, see
    /// [`Stats::id_table_bytes`](crate::Stats::id_table_bytes)), the arena chunks holding the
    /// strings, and the spare-id list.
    ///
    /// ```
    /// let mut i = tern_intern::Interner::new();
    /// let empty = i.heap_bytes();
    /// for k in 0..10_000 {
    ///     i.intern(&format!("name{k}"));
    /// }
    /// assert!(i.heap_bytes() > empty + 10_000 * 8);
    /// i.compact(|_| false);
    /// assert!(i.heap_bytes() < empty * 2, "back near the start");
    /// ```
    pub fn heap_bytes(&self) -> usize {
        self.core.heap_bytes()
            + self.ids.bytes(self.id_end())
            + sync::lock(&self.spare).capacity() * size_of::<u32>()
    }
}

/// How many strings ahead of the copy the old nodes are prefetched (random reads: the new
/// order is by hash).
const PREFETCH_AHEAD: usize = 8;

/// The sort key of a string with hash `hash` in a table of `2^bits` slots: the hash rotated so
/// that its home-slot bits come first.
#[inline]
fn order_key(hash: u64, bits: u32) -> u64 {
    hash.rotate_right(bits)
}

/// The hash back from [`order_key`].
#[inline]
fn unrotate(key: u64, bits: u32) -> u64 {
    key.rotate_left(bits)
}

impl<T: Hash + Eq + Send + Sync + 'static> ValueInterner<T> {
    /// Drops every value `keep` rejects and frees the memory of the dropped values and of
    /// every outgrown table: kept values are moved into a fresh arena set and a fresh table.
    ///
    /// `&mut self` ends every [`Interned`](crate::Interned) borrowed from the interner, so
    /// nothing can point to a moved value. For the same reason only `'static` values can be
    /// compacted: a value that holds an `Interned` of its own interner (`Ty<'a>` holding
    /// `Interned<'a, Ty<'a>>`) would point into the freed arenas, so such interners are
    /// refused at compile time:
    ///
    /// ```compile_fail
    /// use tern_intern::{Interned, ValueInterner};
    /// #[derive(PartialEq, Eq, Hash)]
    /// enum Ty<'a> { Int, Ref(Interned<'a, Ty<'a>>) }
    /// let mut v: ValueInterner<Ty<'_>> = ValueInterner::new();
    /// let int = v.intern(Ty::Int);
    /// v.intern(Ty::Ref(int)); // a value pointing into `v` itself
    /// v.compact(|_| true); // error: `Ty<'a>` is not `'static` while `v` is borrowed
    /// ```
    ///
    /// Keep values that refer to others by id (a `Symbol`, an index) instead.
    ///
    /// ```
    /// let mut v = tern_intern::ValueInterner::<u64>::new();
    /// for k in 0..1000 {
    ///     v.intern(k);
    /// }
    /// let c = v.compact(|&k| k % 10 == 0);
    /// assert_eq!((c.kept, c.dropped, v.len()), (100, 900, 100));
    /// assert!(c.freed_bytes > 0);
    /// assert_eq!(*v.intern(20), 20);
    /// ```
    ///
    /// # Panics
    ///
    /// When `keep`, `Hash` or `Eq` panics (the interner is then unchanged).
    pub fn compact(&mut self, mut keep: impl FnMut(&T) -> bool) -> ValueCompaction {
        self.checkpoint();
        let before = self.heap_bytes();
        let nodes = self.core.table.keys();
        let arenas = self.core.arenas.empty_like();
        let local = arenas.local_arena();
        // Kept values, read in place (they move below).
        let kept: Vec<NonNull<u8>> = nodes
            .iter()
            .copied()
            // SAFETY: table nodes are live, initialised `T`s in our arenas.
            .filter(|n| keep(unsafe { n.cast::<T>().as_ref() }))
            .collect();
        let mut table = RawTable::with_capacity(kept.len());
        let layout = Layout::from_size_align(size_of::<T>().max(1), align_of::<T>().max(2))
            .expect("the value fit before");
        for &old in &kept {
            // SAFETY: a live `T` (as above).
            let hash = hash_value(unsafe { old.cast::<T>().as_ref() });
            let node = local.alloc_layout(layout);
            // SAFETY: `T` has no drop glue (checked when the interner was built), so a bitwise
            // copy moves it: the old copy is never read again (its arenas are dropped below,
            // and `&mut self` proves nothing borrows it). Both allocations hold a `T`.
            unsafe { ptr::copy_nonoverlapping(old.as_ptr(), node.as_ptr(), size_of::<T>()) };
            table.insert_mut(hash, node);
        }
        let result = (kept.len(), nodes.len() - kept.len());
        self.core.table = table;
        self.core.arenas = arenas;
        self.len = AtomicUsize::new(result.0);
        ValueCompaction {
            kept: result.0,
            dropped: result.1,
            freed_bytes: before.saturating_sub(self.heap_bytes()),
        }
    }
}

impl<T> ValueInterner<T> {
    /// Every byte this interner owns: tables (current, and outgrown ones not yet freed) and
    /// the arena chunks holding the values.
    pub fn heap_bytes(&self) -> usize {
        self.core.heap_bytes()
    }
}
