//! Fault tests across crates: panicking destructors in reclaimed batches, allocation limits
//! surfacing as errors, foreign symbols.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use tern_arena::Arenas;
use tern_intern::Interner;
use tern_quiesce::Collector;
use tern_tests::counter::Counter;

struct Counted {
    drops: Arc<Counter>,
    panic: bool,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.add(1);
        assert!(!self.panic, "destructor told to panic");
    }
}

#[test]
fn a_panicking_destructor_does_not_stop_or_leak_the_rest_of_the_batch() {
    let drops = Arc::new(Counter::new());
    let mut c = Collector::new();
    let n = 100;
    {
        let mut p = c.register();
        for i in 0..n {
            p.retire(Box::new(Counted {
                drops: Arc::clone(&drops),
                panic: i == 3 || i == 50,
            }));
        }
    }
    let r = catch_unwind(AssertUnwindSafe(|| c.checkpoint()));
    assert!(
        r.is_err(),
        "the first destructor panic is re-raised after the batch ran"
    );
    assert_eq!(drops.get(), n, "every object was dropped exactly once");
    // Nothing is left to run twice.
    let again = c.checkpoint();
    assert_eq!(again.items, 0);
    assert_eq!(drops.get(), n);
    assert_eq!(c.stats().pending_items, 0);
}

#[test]
fn interner_capacity_limit_is_an_error_not_a_loss() {
    let interner = Interner::builder()
        .max_symbols(tern_intern::PREINTERNED.len() as u32 + 3)
        .build();
    let a = interner.try_intern("alpha").expect("room for alpha");
    interner.try_intern("beta").expect("room for beta");
    interner.try_intern("gamma").expect("room for gamma");
    assert!(
        interner.try_intern("delta").is_err(),
        "the fourth new symbol is refused"
    );
    // Hits still work at the limit, and nothing inserted before was lost.
    assert_eq!(interner.try_intern("alpha").unwrap(), a);
    assert_eq!(interner.resolve(a), "alpha");
    assert_eq!(interner.get("delta"), None);
}

#[test]
fn arena_limit_surfaces_as_a_typed_error() {
    let arenas = Arenas::builder().limit_per_thread(1024).build();
    let big = vec![7u8; 4096];
    let err = arenas
        .try_alloc_slice_copy(&big)
        .expect_err("over the limit");
    assert_eq!(err.requested_size(), 4096);
    assert_eq!(err.limit(), Some(1024));
    assert!(!err.to_string().is_empty());
    // Small allocations still succeed after a refusal.
    assert_eq!(arenas.try_alloc_slice_copy(&big[..16]).unwrap(), &big[..16]);
}

#[test]
fn a_symbol_from_another_interner_panics_instead_of_reading_garbage() {
    let a = Interner::new();
    let b = Interner::new();
    let s = a.intern("only in a, and beyond b's length");
    let r = catch_unwind(AssertUnwindSafe(|| b.resolve(s).len()));
    assert!(r.is_err());
    assert_eq!(b.try_resolve(s), None);
}
