//! A counting global allocator for tests and benches.
//!
//! Install it in a test or bench binary:
//!
//! ```ignore
//! use tern_tests::alloc::CountingAlloc;
//! #[global_allocator]
//! static ALLOC: CountingAlloc = CountingAlloc::new();
//! ```
//!
//! and read what the work did:
//! - [`CountingAlloc::live_bytes`], [`CountingAlloc::peak_bytes`] (with
//!   [`CountingAlloc::reset_peak`]) and [`CountingAlloc::calls`]: bytes
//!   requested and not yet freed, their maximum, and allocation calls, over
//!   the whole process (requested sizes, not the system allocator's rounding,
//!   so figures compare across allocators);
//! - [`thread_calls`]: allocation calls made by the calling thread (a hit
//!   path that "does not allocate" keeps it unchanged, whatever other
//!   threads of the test harness do);
//! - with [`CountingAlloc::tracking_threads`] instead of `new`:
//!   [`CountingAlloc::tracked_live_blocks`], the blocks allocated by threads
//!   that called [`track_this_thread`] and not yet freed, whoever frees them
//!   (a leak check that ignores the harness's own threads). Each block then
//!   carries a header recording whether it counts.
//!
//! `alloc`, `alloc_zeroed` and `realloc` count as calls; `dealloc` does not.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use crate::counter::Counter;

thread_local! {
    /// Allocation calls of this thread (const-initialised and without drop
    /// glue: touching it never allocates and works during thread exit).
    static THREAD_CALLS: Cell<u64> = const { Cell::new(0) };
    /// Whether this thread's blocks count in `tracked_live_blocks`.
    static TRACKED: Cell<bool> = const { Cell::new(false) };
}

/// Allocation calls the calling thread has made so far (through a
/// [`CountingAlloc`] installed as the global allocator).
pub fn thread_calls() -> u64 {
    THREAD_CALLS.try_with(Cell::get).unwrap_or(0)
}

/// Marks (or unmarks) the calling thread: blocks it allocates from now on
/// count in [`CountingAlloc::tracked_live_blocks`].
pub fn track_this_thread(on: bool) {
    let _ = TRACKED.try_with(|t| t.set(on));
}

fn tracked() -> bool {
    TRACKED.try_with(Cell::get).unwrap_or(false)
}

fn note_call() {
    let _ = THREAD_CALLS.try_with(|c| c.set(c.get() + 1));
}

/// Forwards to the system allocator and counts; see the module docs.
#[derive(Debug)]
pub struct CountingAlloc {
    live: Counter,
    peak: Counter,
    calls: Counter,
    tracked_blocks: Counter,
    /// Whether blocks carry the tracking header.
    headers: bool,
}

impl CountingAlloc {
    /// Counts bytes and calls.
    pub const fn new() -> Self {
        Self::with_headers(false)
    }

    /// Also counts the live blocks of threads marked by
    /// [`track_this_thread`] (each block gets a header of at least 16 bytes).
    pub const fn tracking_threads() -> Self {
        Self::with_headers(true)
    }

    const fn with_headers(headers: bool) -> Self {
        Self {
            live: Counter::new(),
            peak: Counter::new(),
            calls: Counter::new(),
            tracked_blocks: Counter::new(),
            headers,
        }
    }

    /// Bytes requested and not yet freed, over the whole process.
    pub fn live_bytes(&self) -> usize {
        self.live.get()
    }

    /// Highest [`Self::live_bytes`] since the start or the last
    /// [`Self::reset_peak`].
    pub fn peak_bytes(&self) -> usize {
        self.peak.get()
    }

    /// Sets the peak to the current live count.
    pub fn reset_peak(&self) {
        self.peak.set(self.live.get());
    }

    /// Allocation calls so far, over the whole process.
    pub fn calls(&self) -> usize {
        self.calls.get()
    }

    /// Blocks allocated by marked threads and not yet freed (always 0 for an
    /// allocator made by [`Self::new`]).
    pub fn tracked_live_blocks(&self) -> usize {
        self.tracked_blocks.get()
    }

    fn allocated(&self, size: usize) {
        self.calls.add(1);
        note_call();
        let now = self.live.add(size);
        self.peak.max(now);
    }

    /// The full layout of a block with a header for `layout`, and the
    /// header's size: at least 16 bytes and a multiple of the alignment, so
    /// the caller's part stays aligned.
    fn with_header(layout: Layout) -> Option<(Layout, usize)> {
        let header = layout.align().max(16);
        let full = Layout::from_size_align(layout.size().checked_add(header)?, header).ok()?;
        Some((full, header))
    }
}

impl Default for CountingAlloc {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: without headers every method forwards to `System` with the caller's
// own arguments. With headers, a block is `System`'s block for the larger
// layout `with_header` gives (same alignment or more, a size `header` bytes
// larger); the caller gets the part after the header, which is aligned as
// asked because `header` is a multiple of the alignment, and every method
// recomputes the same full layout from the caller's layout to free or resize
// it. The counters never affect the memory returned.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !self.headers {
            // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                self.allocated(layout.size());
            }
            return p;
        }
        let Some((full, header)) = Self::with_header(layout) else {
            return std::ptr::null_mut();
        };
        // SAFETY: `full` has a non-zero size (it includes the header).
        let base = unsafe { System.alloc(full) };
        if base.is_null() {
            return base;
        }
        let counted = tracked();
        if counted {
            self.tracked_blocks.add(1);
        }
        self.allocated(layout.size());
        // SAFETY: 1. the header is at least 16 bytes, room for the flag byte.
        // 2. `base + header` is inside the block, whose size is
        // `layout.size() + header`.
        unsafe {
            base.write(u8::from(counted));
            base.add(header)
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if self.headers {
            // SAFETY: the caller upholds `alloc`'s contract; `alloc` above
            // returns null or a block of `layout.size()` writable bytes.
            let p = unsafe { self.alloc(layout) };
            if !p.is_null() {
                // SAFETY: `p` is valid for `layout.size()` bytes (see above).
                unsafe { p.write_bytes(0, layout.size()) };
            }
            return p;
        }
        // SAFETY: forwarded unchanged; the caller upholds the contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            self.allocated(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.live.sub(layout.size());
        if !self.headers {
            // SAFETY: `ptr` came from `System` with this `layout` (forwarded
            // unchanged by `alloc`).
            unsafe { System.dealloc(ptr, layout) };
            return;
        }
        let Some((full, header)) = Self::with_header(layout) else {
            return;
        };
        // SAFETY: `ptr` came from `alloc` with this `layout`, so the block
        // starts `header` bytes before it, holds the flag there, and was
        // allocated from `System` with `full`.
        unsafe {
            let base = ptr.sub(header);
            if base.read() == 1 {
                self.tracked_blocks.sub(1);
            }
            System.dealloc(base, full);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.headers {
            // SAFETY: forwarded unchanged; `ptr` came from `System` with
            // `layout` and the caller upholds `realloc`'s contract.
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            if !p.is_null() {
                self.live.sub(layout.size());
                self.allocated(new_size);
            }
            return p;
        }
        let Some((full, header)) = Self::with_header(layout) else {
            return std::ptr::null_mut();
        };
        let Some(new_full) = new_size
            .checked_add(header)
            .filter(|&n| Layout::from_size_align(n, full.align()).is_ok())
        else {
            return std::ptr::null_mut();
        };
        // SAFETY: 1. `ptr` came from `alloc` with `layout`, so the block is
        // `System`'s for `full` at `ptr - header`. 2. `new_full` is non-zero
        // and makes a valid layout with `full`'s alignment (checked above).
        // The header, flag included, moves with the block.
        unsafe {
            let base = System.realloc(ptr.sub(header), full, new_full);
            if base.is_null() {
                return base;
            }
            self.live.sub(layout.size());
            self.allocated(new_size);
            base.add(header)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CountingAlloc, thread_calls, track_this_thread};

    #[global_allocator]
    static ALLOC: CountingAlloc = CountingAlloc::tracking_threads();

    /// The tests of this binary share the process-wide counts.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn counts_calls_bytes_and_tracked_blocks() {
        let _serial = SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let calls = thread_calls();
        let mut v: Vec<u64> = Vec::with_capacity(4);
        assert_eq!(thread_calls(), calls + 1);
        assert!(ALLOC.live_bytes() >= 32 && ALLOC.peak_bytes() >= ALLOC.live_bytes());
        v.extend(0..1000);
        assert!(thread_calls() > calls + 1, "growing reallocates");
        assert!(ALLOC.calls() >= 2);
        drop(v);

        let before = ALLOC.tracked_live_blocks();
        let kept = std::thread::spawn(|| {
            track_this_thread(true);
            let b = Box::new([7u8; 100]);
            let mut v = vec![1u32; 3];
            v.resize(10_000, 2);
            track_this_thread(false);
            (b, v)
        })
        .join()
        .expect("thread");
        assert_eq!(ALLOC.tracked_live_blocks(), before + 2);
        assert!(kept.0.iter().all(|&x| x == 7) && kept.1[9_999] == 2);
        // Freed by another thread than the one that allocated them.
        drop(kept);
        assert_eq!(ALLOC.tracked_live_blocks(), before);

        let zeroed = vec![0u128; 64];
        assert!(zeroed.iter().all(|&x| x == 0));
        assert_eq!(zeroed.as_ptr().align_offset(16), 0);
    }
}
