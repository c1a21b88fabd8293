//! A counting global allocator: live bytes and allocation calls, for the
//! memory-per-symbol table of `benches/benches/intern_memory.rs`.
//!
//! Install it in a bench binary with
//! `#[global_allocator] static A: CountingAlloc = CountingAlloc::new();`
//! and read [`CountingAlloc::live_bytes`] before and after the work.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Wraps the system allocator and counts requested bytes (not the allocator's
/// own rounding or headers, so figures are comparable across allocators).
#[derive(Debug)]
pub struct CountingAlloc {
    live: AtomicUsize,
    peak: AtomicUsize,
    calls: AtomicUsize,
}

impl CountingAlloc {
    /// A counter at zero.
    pub const fn new() -> Self {
        Self {
            live: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
        }
    }

    /// Bytes currently allocated through this allocator.
    pub fn live_bytes(&self) -> usize {
        // Relaxed: a statistic; the measuring thread reads it after joining the
        // threads that allocated, and the join orders their updates before it.
        self.live.load(Ordering::Relaxed)
    }

    /// Highest [`Self::live_bytes`] seen since the last [`Self::reset_peak`].
    pub fn peak_bytes(&self) -> usize {
        // Relaxed: a statistic, ordered by thread joins as in `live_bytes`.
        self.peak.load(Ordering::Relaxed)
    }

    /// Sets the peak to the current live count.
    pub fn reset_peak(&self) {
        // Relaxed: statistics only; no other memory is published through them.
        self.peak
            .store(self.live.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Number of `alloc`/`realloc` calls so far.
    pub fn calls(&self) -> usize {
        // Relaxed: a statistic, ordered by thread joins as in `live_bytes`.
        self.calls.load(Ordering::Relaxed)
    }

    fn add(&self, n: usize) {
        // Relaxed: counters only; the allocation itself is synchronised by
        // `System`, and readers read after joins.
        let now = self.live.fetch_add(n, Ordering::Relaxed) + n;
        // Relaxed: as above, a monotone maximum of a statistic.
        self.peak.fetch_max(now, Ordering::Relaxed);
    }

    fn sub(&self, n: usize) {
        // Relaxed: a counter only, as in `add`.
        self.live.fetch_sub(n, Ordering::Relaxed);
    }
}

impl Default for CountingAlloc {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every method forwards to `System` with the caller's own arguments, so
// `System`'s guarantees are the ones the caller gets; the counters have no
// effect on the memory returned.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s
        // contract (non-zero size layout).
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            // Relaxed: a counter only.
            self.calls.fetch_add(1, Ordering::Relaxed);
            self.add(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds the contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            // Relaxed: a counter only.
            self.calls.fetch_add(1, Ordering::Relaxed);
            self.add(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from this allocator, which
        // got it from `System` with the same layout.
        unsafe { System.dealloc(ptr, layout) };
        self.sub(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; `ptr` came from `System` via this
        // allocator with `layout`, and the caller upholds `realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Relaxed: a counter only.
            self.calls.fetch_add(1, Ordering::Relaxed);
            self.sub(layout.size());
            self.add(new_size);
        }
        p
    }
}
