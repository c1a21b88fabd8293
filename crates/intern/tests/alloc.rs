//! The hit path (intern of a known string, `get`, `resolve`) allocates nothing.
//!
//! Its own test binary with a global allocator that counts allocations per thread, so that the
//! test harness's allocations on other threads cannot disturb it.
#![cfg(not(loom))]

use tern_intern::{Interner, Symbol, ValueInterner};
use tern_tests::alloc::{CountingAlloc, thread_calls};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc::new();

/// Allocations made by this thread.
fn allocs() -> u64 {
    thread_calls()
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

/// A new interner asks the global allocator for little: the id table's 32 MiB flat block is
/// mapped from the kernel, so an allocator without a lazily zeroing `alloc_zeroed` of its own
/// does not write (and make resident) all of it in every `Interner::new`. Other tests of this
/// binary may allocate meanwhile; the bound leaves them room and still catches the block.
#[test]
#[cfg_attr(miri, ignore = "Miri uses a small allocated block")]
fn a_new_interner_requests_little_heap() {
    let before = GLOBAL.live_bytes();
    let i = Interner::new();
    let grown = GLOBAL.live_bytes().saturating_sub(before);
    assert!(grown < 8 << 20, "Interner::new holds {grown} bytes of heap");
    drop(i);
}
