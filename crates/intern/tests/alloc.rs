//! The hit path (intern of a known string, `get`, `resolve`) allocates nothing.
//!
//! Its own test binary with a global allocator that counts allocations per thread, so that the
//! test harness's allocations on other threads cannot disturb it.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tern_intern::{Interner, Symbol, ValueInterner};

struct PerThread;

thread_local! {
    /// Allocations made by this thread (const-initialised: touching it never allocates).
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to `System` unchanged; only counts.
unsafe impl GlobalAlloc for PerThread {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // `try_with`: never fails for a const thread-local without drop glue, but be safe.
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: PerThread = PerThread;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

/// The first operation of a thread on an interner registers its statistics block (one
/// allocation per thread and interner), so counting starts after the inserts.
#[test]
fn hit_path_does_not_allocate() {
    let i = Interner::new();
    let words: Vec<String> = (0..500).map(|k| format!("ident_{k}")).collect();
    let syms: Vec<Symbol> = words.iter().map(|w| i.intern(w)).collect();
    let before = allocs();
    for _ in 0..3 {
        for (w, s) in words.iter().zip(&syms) {
            assert!(i.intern(w) == *s);
            assert!(i.get(w) == Some(*s));
            assert!(i.resolve(*s) == w);
        }
        assert!(i.get("absent").is_none());
    }
    assert_eq!(allocs(), before, "a hit allocated");
    // A new string does allocate (arena chunk growth aside, at least the first one does not
    // have to), so check the counter works at all: a fresh interner allocates.
    let before = allocs();
    drop(Interner::new());
    assert!(allocs() > before, "the counting allocator counts");
}

#[test]
fn value_hit_path_does_not_allocate() {
    let v: ValueInterner<(u32, u32)> = ValueInterner::new();
    let all: Vec<_> = (0..300u32).map(|k| v.intern((k, k * 3))).collect();
    let before = allocs();
    for (k, x) in (0..300u32).zip(&all) {
        assert!(v.intern((k, k * 3)) == *x);
        assert!(v.get(&(k, k * 3)) == Some(*x));
    }
    assert_eq!(allocs(), before, "a value hit allocated");
}
