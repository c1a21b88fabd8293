//! id → node: a segmented array that never moves.
//!
//! Segment 0 holds indices `0..B`, segment `k ≥ 1` holds `B << (k-1) .. B << k`, so an index's
//! segment is found from its leading zeros and no segment is ever copied or freed while the
//! owner lives. A segment is allocated (zeroed, i.e. all null) by the first writer that needs
//! it and installed with a CAS; a racing loser frees its own. Each entry is an
//! `AtomicPtr` to the node, stored with Release *before* the node is published in the hash
//! table, so any thread that obtained the id (from the table, Acquire) finds the entry.

use core::ptr::{self, NonNull};

use crate::sync::{AtomicPtr, Ordering};

/// log2 of segment 0's length.
const LOG_B: u32 = if cfg!(any(loom, miri)) { 1 } else { 6 };
/// Enough segments for every u32 index.
const SEGMENTS: usize = 33 - LOG_B as usize;

/// Segment `k`'s first index and length.
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
    /// Segment `k`, or null before its first use. Set once by CAS (`AcqRel`: Release publishes
    /// the segment's null-initialised entries).
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
            segments: core::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
        }
    }

    /// The node stored for `index`, or `None` (never written, or an index past the end).
    #[inline]
    pub(crate) fn get(&self, index: u32) -> Option<NonNull<u8>> {
        let (k, off) = segment_of(index);
        // Acquire: pairs with the AcqRel CAS installing the segment.
        let seg = self.segments[k].load(Ordering::Acquire);
        if seg.is_null() {
            return None;
        }
        // SAFETY: `off < segment_len(k)` by `segment_of`, and the segment has that many
        // initialised entries (it is never freed while `self` lives).
        let entry = unsafe { &*seg.add(off) };
        // Acquire: pairs with the Release store in `set`, so the node's contents are visible.
        NonNull::new(entry.load(Ordering::Acquire))
    }

    /// Stores (or clears, with null) the node for `index`.
    pub(crate) fn set(&self, index: u32, node: *mut u8) {
        let (k, off) = segment_of(index);
        let seg = self.segment(k);
        // SAFETY: as in `get`.
        let entry = unsafe { &*seg.add(off) };
        // Release: pairs with the Acquire load in `get`, publishing the node's contents.
        entry.store(node, Ordering::Release);
    }

    fn segment(&self, k: usize) -> *mut AtomicPtr<u8> {
        // Acquire: as in `get`.
        let seg = self.segments[k].load(Ordering::Acquire);
        if !seg.is_null() {
            return seg;
        }
        let len = segment_len(k);
        let fresh: Box<[AtomicPtr<u8>]> = crate::raw::null_slots(len);
        let fresh = Box::into_raw(fresh).cast::<AtomicPtr<u8>>();
        // AcqRel/Acquire: on success, the Release half publishes our null-initialised entries
        // to the Acquire loads of `segments[k]` in `get` and `segment` (the Acquire half reads
        // only the null we replace). On failure, Acquire pairs with the winner's Release CAS,
        // so its initialised entries are visible before we store into them.
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

    /// Bytes of the allocated segments.
    pub(crate) fn bytes(&self) -> usize {
        let mut total = size_of::<Self>();
        for (k, s) in self.segments.iter().enumerate() {
            // Relaxed: a statistic; a segment being installed is counted or not.
            if !s.load(Ordering::Relaxed).is_null() {
                total += segment_len(k) * size_of::<AtomicPtr<u8>>();
            }
        }
        total
    }

    /// Clears every entry from `from` on (exclusive access: used by renumbering).
    pub(crate) fn clear_from(&mut self, from: u32, to: u32) {
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
    fn set_get_clear() {
        let t = IdTable::new();
        let mut x = [7u8; 3];
        let p = x.as_mut_ptr();
        assert!(t.get(5).is_none());
        t.set(5, p);
        assert_eq!(t.get(5).map(NonNull::as_ptr), Some(p));
        assert!(t.get(4).is_none());
        t.set(5, ptr::null_mut());
        assert!(t.get(5).is_none());
        assert!(t.get(u32::MAX).is_none());
    }
}
