//! id → string node: a flat array reserved up front, then segments that never move.
//!
//! `resolve` is one load: ids below the flat block's length index a single block of address
//! space reserved when the interner is built (32 MiB for 4 Mi ids on 64-bit unix). The block
//! is mapped straight from the kernel (`mmap`, anonymous, with no swap reserved on Linux)
//! rather than through the global allocator: the kernel hands out zeroed pages on first touch,
//! so pages nobody wrote cost no memory, whatever `#[global_allocator]` the program uses (an
//! allocator without its own `alloc_zeroed` would otherwise write zeros over all 32 MiB in
//! every `Interner::new`). The table costs what its used prefix covers (that is what
//! [`IdTable::bytes`] counts), and the block never moves or grows. Where mapping is not
//! available or fails (other platforms, Miri, loom), the block is a small zeroed allocation
//! instead and more ids go to segments.
//!
//! Ids past the block go to segments: segment 0 holds `B` entries, segment `k ≥ 1` holds
//! `B << (k-1)`, each allocated (zeroed: all null) by the first writer that needs it and
//! installed with a CAS (a racing loser frees its own); an index's segment is found from its
//! leading zeros.
//!
//! Each entry is an `AtomicPtr` (a packed `tagged::entry`), stored with Release *before* the
//! id is published in the hash table, so any thread that obtained the id (from the table,
//! Acquire) finds the entry.

use core::ptr::{self, NonNull};

use crate::sync::{AtomicPtr, Ordering};
use crate::tagged::null_cells;

/// Entries of a mapped flat block (ids `0..FLAT_MAPPED`; id 0 is never used).
#[cfg(all(unix, not(loom), not(miri)))]
const FLAT_MAPPED: usize = if cfg!(target_pointer_width = "64") {
    1 << 22
} else {
    1 << 16
};
/// Entries of an allocated flat block (no mapping): small under loom and Miri, so that their
/// tests reach the segments; 32 KiB elsewhere.
const FLAT_ALLOCATED: usize = if cfg!(any(loom, miri)) { 4 } else { 1 << 12 };
/// Smallest page size assumed when counting the touched prefix of the flat block (the real one
/// is asked of the system when the block is mapped).
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
    /// Entries `0..flat.len`, never resized.
    flat: Flat,
    /// Segment `k` of the entries from `flat.len()` on, or null before its first use. Set
    /// once by CAS (`AcqRel`: Release publishes the segment's null-initialised entries).
    segments: [AtomicPtr<AtomicPtr<u8>>; SEGMENTS],
}

/// The flat block: `len` cells at `cells`, from a mapping or from the global allocator.
struct Flat {
    cells: NonNull<AtomicPtr<u8>>,
    len: usize,
    mapped: bool,
    /// The system's page size (the unit in which touched parts of a mapping cost memory).
    page: usize,
}

// SAFETY: `Flat` owns its cells (freed only in `Drop`, which has `&mut`); the cells are atomics,
// which may be shared and sent; the raw pointer is what makes this not automatic.
unsafe impl Send for Flat {}
// SAFETY: see `Send`: every access through `&Flat` is to an atomic cell.
unsafe impl Sync for Flat {}

impl Flat {
    fn new() -> Flat {
        if let Some(f) = Flat::map() {
            return f;
        }
        let b = null_cells(FLAT_ALLOCATED);
        let len = b.len();
        let cells = NonNull::from(Box::leak(b)).cast::<AtomicPtr<u8>>();
        Flat {
            cells,
            len,
            mapped: false,
            page: PAGE,
        }
    }

    /// A lazily backed anonymous mapping of `FLAT_MAPPED` null cells, or `None`.
    #[cfg(all(unix, not(loom), not(miri)))]
    fn map() -> Option<Flat> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let noreserve = libc::MAP_NORESERVE;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let noreserve = 0;
        let bytes = FLAT_MAPPED * size_of::<AtomicPtr<u8>>();
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches
        // no existing memory; the result is checked before use.
        let p = unsafe {
            libc::mmap(
                ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | noreserve,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return None;
        }
        let Some(cells) = NonNull::new(p.cast::<AtomicPtr<u8>>()) else {
            // Address 0 (only where the system lets a mapping start there): not usable as
            // `NonNull`; give it back and fall back to an allocated block.
            // SAFETY: the mapping just created, `bytes` long, not yet shared.
            unsafe { libc::munmap(p, bytes) };
            return None;
        };
        // No transparent huge pages: with them set to `always`, the first id's write would
        // make a whole 2 MiB page resident in every interner. Advisory: a failure is harmless.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        // SAFETY: advice on the mapping just created; it changes no contents.
        unsafe {
            libc::madvise(p, bytes, libc::MADV_NOHUGEPAGE)
        };
        // SAFETY: `sysconf` only reads a system constant.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        // Anonymous mappings are zero-filled and page-aligned: `FLAT_MAPPED` valid null
        // `AtomicPtr`s (all-zero bits are the null pointer).
        Some(Flat {
            cells,
            len: FLAT_MAPPED,
            mapped: true,
            page: usize::try_from(page).unwrap_or(PAGE).max(PAGE),
        })
    }

    #[cfg(not(all(unix, not(loom), not(miri))))]
    fn map() -> Option<Flat> {
        None
    }

    /// The cell of `i`.
    ///
    /// # Safety
    ///
    /// `flat.cell_unchecked(i)` is sound if and only if:
    /// - `i < flat.len`.
    #[inline]
    unsafe fn cell_unchecked(&self, i: usize) -> &AtomicPtr<u8> {
        // SAFETY: `i < len` (the caller's contract) and the block holds `len` initialised
        // cells for as long as `self` lives.
        unsafe { self.cells.add(i).as_ref() }
    }

    #[inline]
    fn cell(&self, i: usize) -> Option<&AtomicPtr<u8>> {
        // SAFETY: checked against `len`.
        (i < self.len).then(|| unsafe { self.cell_unchecked(i) })
    }
}

impl Drop for Flat {
    fn drop(&mut self) {
        if self.mapped {
            #[cfg(all(unix, not(loom), not(miri)))]
            // SAFETY: the block is the mapping `map` created, `len` cells long, unmapped once;
            // `&mut self` means no reference into it is left. A failure (impossible for a
            // whole mapping) would only leak address space.
            unsafe {
                libc::munmap(
                    self.cells.as_ptr().cast(),
                    self.len * size_of::<AtomicPtr<u8>>(),
                );
            }
        } else {
            // SAFETY: the block came from `Box::leak` of a slice of `len` cells in `new`, and
            // is freed once; `&mut self` means no reference into it is left.
            drop(unsafe {
                Box::from_raw(ptr::slice_from_raw_parts_mut(self.cells.as_ptr(), self.len))
            });
        }
    }
}

impl IdTable {
    pub(crate) fn new() -> Self {
        IdTable {
            flat: Flat::new(),
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
        if (index as usize) < self.flat.len {
            // SAFETY: just checked.
            let cell = unsafe { self.flat.cell_unchecked(index as usize) };
            // Acquire: pairs with the Release store in `set`, so the node's contents are
            // visible.
            cell.load(Ordering::Acquire)
        } else {
            self.get_segmented(index - self.flat.len as u32)
        }
    }

    #[cold]
    fn get_segmented(&self, index: u32) -> *mut u8 {
        match self.installed_cell(index) {
            // Acquire: as in `get`.
            Some(entry) => entry.load(Ordering::Acquire),
            None => ptr::null_mut(),
        }
    }

    /// The cell of `index` (counted from the end of the flat block) if its segment is
    /// installed; allocates nothing.
    fn installed_cell(&self, index: u32) -> Option<&AtomicPtr<u8>> {
        let (k, off) = segment_of(index);
        // Acquire: pairs with the AcqRel CAS installing the segment.
        let seg = self.segments[k].load(Ordering::Acquire);
        if seg.is_null() {
            return None;
        }
        // SAFETY: `off < segment_len(k)` by `segment_of`, and the segment has that many
        // initialised entries (it is never freed while `self` lives).
        Some(unsafe { &*seg.add(off) })
    }

    /// The cell of `index`, allocating its segment if needed.
    fn cell(&self, index: u32) -> &AtomicPtr<u8> {
        if let Some(e) = self.flat.cell(index as usize) {
            return e;
        }
        let (k, off) = segment_of(index - self.flat.len as u32);
        let seg = self.segment(k);
        // SAFETY: as in `get_segmented`.
        unsafe { &*seg.add(off) }
    }

    /// Clears the entry for `index` if its cell exists (allocates nothing: an index whose
    /// segment was never installed has no entry to clear).
    pub(crate) fn clear(&self, index: u32) {
        let cell = match self.flat.cell(index as usize) {
            Some(c) => Some(c),
            None => self.installed_cell(index - self.flat.len as u32),
        };
        if let Some(cell) = cell {
            // Release: as in `set` (a reader that sees null treats the id as unused).
            cell.store(ptr::null_mut(), Ordering::Release);
        }
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
        let cell = size_of::<AtomicPtr<u8>>();
        let flat = if self.flat.mapped {
            ((end as usize).min(self.flat.len) * cell).next_multiple_of(self.flat.page)
        } else {
            self.flat.len * cell
        };
        let mut total = size_of::<Self>() + flat;
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
        // Only written entries: clearing an unused one would touch (make resident) a page of
        // the mapped block that no id reached.
        for i in from..to {
            if self.get(i).is_some() {
                self.clear(i);
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
        let flat = t.flat.len as u32;
        let past = flat + 5;
        for i in [1, 5, flat - 1, flat, past] {
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
