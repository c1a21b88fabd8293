//! id → string node: a flat array reserved up front, then segments that never move.
//!
//! `resolve` is one load: ids below [`FLAT`] index a single zeroed block allocated when the
//! interner is built (32 MiB of address space for 4 Mi ids on 64-bit targets). The block comes
//! from `calloc`, which maps a block this large lazily: pages nobody wrote cost no memory, so
//! the table costs what its used prefix covers (that is what [`IdTable::bytes`] counts), and
//! it never moves or grows. Ids past the block go to segments: segment 0 holds `B` entries,
//! segment `k ≥ 1` holds `B << (k-1)`, each allocated (zeroed: all null) by the first writer
//! that needs it and installed with a CAS (a racing loser frees its own); an index's segment
//! is found from its leading zeros.
//!
//! Each entry is an `AtomicPtr` (a packed `tagged::entry`), stored with Release *before* the
//! id is published in the hash table, so any thread that obtained the id (from the table,
//! Acquire) finds the entry.

use core::ptr::{self, NonNull};

use crate::sync::{AtomicPtr, Ordering};
use crate::tagged::null_cells;

/// Entries of the flat block (ids `0..FLAT`; id 0 is never used). Small under loom and Miri,
/// so that their tests reach the segments.
const FLAT: usize = if cfg!(any(loom, miri)) {
    4
} else if cfg!(target_pointer_width = "64") {
    1 << 22
} else {
    1 << 16
};
/// Page size assumed when counting the touched prefix of the flat block.
const PAGE: usize = 4096;
/// log2 of segment 0's length.
const LOG_B: u32 = if cfg!(any(loom, miri)) { 1 } else { 6 };
/// Enough segments for every u32 index.
const SEGMENTS: usize = 33 - LOG_B as usize;

/// Segment `k` and the offset in it of index `i` (counted from the end of the flat block).
#[inline]
fn segment_of(index: u32) -> (usize, usize) {
    let hi = (index as u64) >> LOG_B;
    let k = (u64::BITS - hi.leading_zeros()) as usize;
    let base = if k == 0 {
        0
    } else {
        1usize << (LOG_B as usize + k - 1)
    };
    (k, index as usize - base)
}

#[inline]
fn segment_len(k: usize) -> usize {
    if k == 0 {
        1 << LOG_B
    } else {
        1 << (LOG_B as usize + k - 1)
    }
}

pub(crate) struct IdTable {
    /// Entries `0..FLAT` (always `FLAT` cells: comparing an index with a constant is the
    /// whole bounds check of `get`).
    flat: Box<[AtomicPtr<u8>]>,
    /// Segment `k` of the entries from `flat.len()` on, or null before its first use. Set
    /// once by CAS (`AcqRel`: Release publishes the segment's null-initialised entries).
    segments: [AtomicPtr<AtomicPtr<u8>>; SEGMENTS],
}

// SAFETY: entries are pointers into the owner's arenas, shared read-only; the owner is Send and
// Sync only when its nodes may be shared. Segments are freed only in `Drop` (exclusive).
unsafe impl Send for IdTable {}
// SAFETY: see `Send`; all mutation is through atomics.
unsafe impl Sync for IdTable {}

impl IdTable {
    pub(crate) fn new() -> Self {
        IdTable {
            flat: null_cells(FLAT),
            segments: core::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
        }
    }

    /// The entry stored for `index`, or `None` (never written, or an index past the end).
    #[inline]
    pub(crate) fn get(&self, index: u32) -> Option<NonNull<u8>> {
        NonNull::new(self.get_word(index))
    }

    /// The entry word stored for `index` (null: never written, or an index past the end).
    #[inline]
    pub(crate) fn get_word(&self, index: u32) -> *mut u8 {
        if (index as usize) < FLAT {
            // SAFETY: `flat` has `FLAT` cells (allocated in `new`, never resized).
            let cell = unsafe { self.flat.get_unchecked(index as usize) };
            // Acquire: pairs with the Release store in `set`, so the node's contents are
            // visible.
            cell.load(Ordering::Acquire)
        } else {
            self.get_segmented(index - FLAT as u32)
        }
    }

    #[cold]
    fn get_segmented(&self, index: u32) -> *mut u8 {
        let (k, off) = segment_of(index);
        // Acquire: pairs with the AcqRel CAS installing the segment.
        let seg = self.segments[k].load(Ordering::Acquire);
        if seg.is_null() {
            return ptr::null_mut();
        }
        // SAFETY: `off < segment_len(k)` by `segment_of`, and the segment has that many
        // initialised entries (it is never freed while `self` lives).
        let entry = unsafe { &*seg.add(off) };
        // Acquire: as in `get`.
        entry.load(Ordering::Acquire)
    }

    /// The cell of `index`, allocating its segment if needed.
    fn cell(&self, index: u32) -> &AtomicPtr<u8> {
        if let Some(e) = self.flat.get(index as usize) {
            return e;
        }
        let (k, off) = segment_of(index - FLAT as u32);
        let seg = self.segment(k);
        // SAFETY: as in `get_segmented`.
        unsafe { &*seg.add(off) }
    }

    /// Stores (or clears, with null) the entry for `index`.
    pub(crate) fn set(&self, index: u32, entry: *mut u8) {
        // Release: pairs with the Acquire loads in `get`, publishing the node's contents.
        self.cell(index).store(entry, Ordering::Release);
    }

    fn segment(&self, k: usize) -> *mut AtomicPtr<u8> {
        // Acquire: as in `get_segmented`.
        let seg = self.segments[k].load(Ordering::Acquire);
        if !seg.is_null() {
            return seg;
        }
        let len = segment_len(k);
        let fresh = Box::into_raw(null_cells(len)).cast::<AtomicPtr<u8>>();
        // AcqRel/Acquire: on success, the Release half publishes our null-initialised entries
        // to the Acquire loads of `segments[k]` in `get_segmented` and `segment` (the Acquire
        // half reads only the null we replace). On failure, Acquire pairs with the winner's
        // Release CAS, so its initialised entries are visible before we store into them.
        match self.segments[k].compare_exchange(
            ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => fresh,
            Err(winner) => {
                // SAFETY: `fresh` came from `Box::into_raw` of a slice of `len` and was never
                // shared.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(fresh, len)) });
                winner
            }
        }
    }

    /// Bytes the table occupies when ids below `end` were used: the pages of the flat block
    /// that those ids touched (the rest of the block is address space, never written), and
    /// the allocated segments.
    pub(crate) fn bytes(&self, end: u32) -> usize {
        let touched = (end as usize).min(FLAT) * size_of::<AtomicPtr<u8>>();
        let mut total = size_of::<Self>() + touched.next_multiple_of(PAGE);
        for (k, s) in self.segments.iter().enumerate() {
            // Relaxed: a statistic; a segment being installed is counted or not.
            if !s.load(Ordering::Relaxed).is_null() {
                total += segment_len(k) * size_of::<AtomicPtr<u8>>();
            }
        }
        total
    }

    /// Clears every entry from `from` to `to` (exclusive access: used by renumbering).
    pub(crate) fn clear_range(&mut self, from: u32, to: u32) {
        for i in from..to {
            if self.get(i).is_some() {
                self.set(i, ptr::null_mut());
            }
        }
    }
}

impl Drop for IdTable {
    fn drop(&mut self) {
        for (k, s) in self.segments.iter_mut().enumerate() {
            let p = crate::sync::ptr_mut(s);
            if !p.is_null() {
                // SAFETY: installed from `Box::into_raw` of a slice of `segment_len(k)`;
                // `&mut self` means no reader is left.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(p, segment_len(k))) });
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn segments_tile_the_index_space() {
        let mut expect = 0usize;
        for k in 0..6 {
            let len = segment_len(k);
            for off in [0, len - 1] {
                let idx = (expect + off) as u32;
                assert_eq!(segment_of(idx), (k, off));
            }
            expect += len;
        }
        assert_eq!(segment_of(u32::MAX).0, SEGMENTS - 1);
    }

    #[test]
    fn set_get_clear_in_the_block_and_past_it() {
        let mut t = IdTable::new();
        let mut x = [7u8; 3];
        let p = x.as_mut_ptr();
        let past = FLAT as u32 + 5;
        for i in [1, 5, FLAT as u32 - 1, FLAT as u32, past] {
            assert!(t.get(i).is_none());
            t.set(i, p);
            assert_eq!(t.get(i).map(NonNull::as_ptr), Some(p));
        }
        assert!(t.get(2).is_none());
        t.set(5, ptr::null_mut());
        assert!(t.get(5).is_none());
        assert!(t.get(u32::MAX).is_none());
        assert!(
            t.bytes(past + 1) > IdTable::new().bytes(2),
            "segments count"
        );
        t.clear_range(0, past + 1);
        assert!(t.get(past).is_none() && t.get(1).is_none());
    }
}
