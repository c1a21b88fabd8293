//! Statistics counters that keep the hit and miss paths free of shared read-modify-writes.
//!
//! Hits, misses and the bytes of inserted strings are counted per (thread, interner) in a
//! [`ThreadCounters`] block that only its owning thread writes, with a Relaxed load followed by a Relaxed store (a plain `inc`
//! on x86, no `lock` prefix, no shared cache line). `stats()` sums the blocks with Relaxed
//! loads, so a snapshot taken while other threads run may miss their latest increments; one
//! taken after they joined (or under `&mut`) is exact.
//!
//! A thread finds its block through a 4-way thread-local cache keyed by the interner's unique
//! id (ids are never reused, so an entry left by a dropped interner never matches). On a cache
//! miss the thread searches the interner's block list for its own token and pushes a new block
//! if it has none. Blocks are freed with the interner; a thread that used the interner keeps
//! one 32-byte block there until then.
//!
//! These counters use std atomics even under loom: they publish no memory, and loom's threads
//! share one OS thread's thread-local storage (so blocks are shared by loom threads that run
//! one at a time on that OS thread, which is harmless for counters).

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

static NEXT_OWNER_ID: AtomicU64 = AtomicU64::new(1);
static NEXT_THREAD_TOKEN: AtomicU64 = AtomicU64::new(1);

const WAYS: usize = 4;

thread_local! {
    static TOKEN: Cell<u64> = const { Cell::new(0) };
    static CACHE: [Cell<(u64, *const ThreadCounters)>; WAYS] =
        const { [const { Cell::new((0, ptr::null())) }; WAYS] };
    static VICTIM: Cell<usize> = const { Cell::new(0) };
}

fn thread_token() -> u64 {
    TOKEN.with(|t| {
        let v = t.get();
        if v != 0 {
            return v;
        }
        // Relaxed: only distinctness is needed.
        let v = NEXT_THREAD_TOKEN.fetch_add(1, Ordering::Relaxed);
        t.set(v);
        v
    })
}

/// One thread's counters for one interner.
struct ThreadCounters {
    owner: u64,
    hits: AtomicU64,
    misses: AtomicU64,
    /// Bytes of the strings this thread inserted (string interners only).
    bytes: AtomicU64,
    next: *mut ThreadCounters,
}

impl ThreadCounters {
    /// Adds `n` to a counter only this thread writes.
    #[inline]
    fn bump(c: &AtomicU64, n: u64) {
        // Relaxed load + store, not `fetch_add`: this thread is the only writer, so no
        // increment can be lost, and readers only need some recent value.
        c.store(c.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }
}

/// The per-interner side: its id and its list of per-thread blocks.
pub(crate) struct Counters {
    /// Whether `hit` counts (set under `&mut` by the owner; see `set_count_hits`).
    count_hits: bool,
    id: u64,
    /// String bytes counted before the blocks (set under `&mut` by compaction).
    base_bytes: u64,
    /// Push-only list of blocks (CAS push, Release: publishes the block's fields).
    head: AtomicPtr<ThreadCounters>,
}

impl Counters {
    /// Counters for a new interner; hits are counted only if `count_hits`.
    pub(crate) fn new(count_hits: bool) -> Self {
        Counters {
            count_hits,
            // Relaxed: only distinctness is needed.
            id: NEXT_OWNER_ID.fetch_add(1, Ordering::Relaxed),
            base_bytes: 0,
            head: AtomicPtr::new(ptr::null_mut()),
        }
    }

    #[inline]
    fn block(&self) -> &ThreadCounters {
        let found = CACHE.with(|ways| {
            for w in ways {
                let (id, p) = w.get();
                if id == self.id {
                    return p;
                }
            }
            ptr::null()
        });
        if found.is_null() {
            self.block_slow()
        } else {
            // SAFETY: a cache entry with our id was stored by `block_slow` of this very
            // interner (ids are never reused), and blocks live as long as the interner.
            unsafe { &*found }
        }
    }

    #[cold]
    fn block_slow(&self) -> &ThreadCounters {
        let token = thread_token();
        // Acquire: pairs with the Release push, so the block's `owner` and `next` are visible.
        let mut p = self.head.load(Ordering::Acquire);
        let mut mine = ptr::null_mut();
        while !p.is_null() {
            // SAFETY: blocks in the list are live until `Drop`.
            let b = unsafe { &*p };
            if b.owner == token {
                mine = p;
                break;
            }
            p = b.next;
        }
        if mine.is_null() {
            let b = Box::into_raw(Box::new(ThreadCounters {
                owner: token,
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                bytes: AtomicU64::new(0),
                next: ptr::null_mut(),
            }));
            // Relaxed: the CAS below re-checks.
            let mut head = self.head.load(Ordering::Relaxed);
            loop {
                // SAFETY: `b` is ours until the CAS publishes it.
                unsafe { (*b).next = head };
                // Release: publishes the block's fields to `block_slow`/`sum` readers.
                match self
                    .head
                    .compare_exchange_weak(head, b, Ordering::Release, Ordering::Relaxed)
                {
                    Ok(_) => break,
                    Err(h) => head = h,
                }
            }
            mine = b;
        }
        CACHE.with(|ways| {
            let v = VICTIM.with(|v| {
                let i = v.get();
                v.set((i + 1) % WAYS);
                i
            });
            ways[v].set((self.id, mine));
        });
        // SAFETY: in our list, live until `Drop`.
        unsafe { &*mine }
    }

    #[inline]
    pub(crate) fn hit(&self) {
        if self.count_hits {
            ThreadCounters::bump(&self.block().hits, 1);
        }
    }

    /// Turns hit counting on or off (misses are always counted).
    pub(crate) fn set_count_hits(&mut self, on: bool) {
        self.count_hits = on;
    }

    /// Counts a miss that inserted `bytes` bytes of string (0 for values and lookups).
    #[inline]
    pub(crate) fn miss(&self, bytes: usize) {
        let b = self.block();
        ThreadCounters::bump(&b.misses, 1);
        if bytes != 0 {
            ThreadCounters::bump(&b.bytes, bytes as u64);
        }
    }

    /// String bytes inserted, summed over threads (with the base set by `reset_bytes`).
    pub(crate) fn bytes(&self) -> u64 {
        let mut total = self.base_bytes;
        // Acquire: as in `block_slow`.
        let mut p = self.head.load(Ordering::Acquire);
        while !p.is_null() {
            // SAFETY: live until `Drop`.
            let b = unsafe { &*p };
            // Relaxed: a statistic with one writer, as in `sum`.
            total += b.bytes.load(Ordering::Relaxed);
            p = b.next;
        }
        total
    }

    /// Sets the string byte count to `base` (exclusive access: compaction).
    pub(crate) fn reset_bytes(&mut self, base: u64) {
        self.base_bytes = base;
        let mut p = *self.head.get_mut();
        while !p.is_null() {
            // SAFETY: live until `Drop`; `&mut self`: the counters are not in use.
            let b = unsafe { &*p };
            // Relaxed: exclusive access.
            b.bytes.store(0, Ordering::Relaxed);
            p = b.next;
        }
    }

    /// (hits, misses) summed over threads.
    pub(crate) fn sum(&self) -> (u64, u64) {
        let (mut h, mut m) = (0, 0);
        // Acquire: as in `block_slow`.
        let mut p = self.head.load(Ordering::Acquire);
        while !p.is_null() {
            // SAFETY: live until `Drop`.
            let b = unsafe { &*p };
            // Relaxed (both): statistics; each counter has one writer (its thread) and
            // publishes nothing, so any recent value will do.
            h += b.hits.load(Ordering::Relaxed);
            m += b.misses.load(Ordering::Relaxed);
            p = b.next;
        }
        (h, m)
    }
}

impl Drop for Counters {
    fn drop(&mut self) {
        let mut p = *self.head.get_mut();
        while !p.is_null() {
            // SAFETY: every block came from `Box::into_raw` and is freed once; `&mut self`.
            let b = unsafe { Box::from_raw(p) };
            p = b.next;
        }
    }
}

impl core::fmt::Debug for Counters {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (h, m) = self.sum();
        f.debug_struct("Counters")
            .field("hits", &h)
            .field("misses", &m)
            .finish()
    }
}

/// Counters shared with retired tables' drop functions (which run inside the collector, maybe
/// after the interner is gone), hence behind an `Arc`.
///
/// Every access is `Relaxed`: the counters are statistics that publish nothing, a reader
/// wants some recent value, and `fetch_add` loses no increment whatever the ordering.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) retired_bytes: AtomicU64,
    pub(crate) reclaimed_bytes: AtomicU64,
    pub(crate) race_wasted_bytes: AtomicU64,
    pub(crate) races_lost: AtomicU64,
}

impl Shared {
    pub(crate) fn add(c: &AtomicU64, v: usize) {
        c.fetch_add(v as u64, Ordering::Relaxed);
    }
    pub(crate) fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn counts_per_thread_and_sums() {
        let c = Counters::new(true);
        let d = Counters::new(true);
        for _ in 0..5 {
            c.hit();
            d.miss(0);
        }
        c.miss(7);
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..3 {
                    c.hit();
                }
            });
        });
        assert_eq!(c.sum(), (8, 1));
        assert_eq!(c.bytes(), 7);
        assert_eq!(d.sum(), (0, 5));
        // More interners than cache ways: entries get evicted and found again in the list.
        let many: Vec<Counters> = (0..6).map(|_| Counters::new(true)).collect();
        for round in 0..3 {
            for m in &many {
                m.hit();
            }
            assert!(many.iter().all(|m| m.sum() == (round + 1, 0)));
        }
    }
}
