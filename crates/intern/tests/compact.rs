//! Compaction: stale symbols, determinism, what is kept and what is freed.
#![cfg(not(loom))]

use std::panic::{AssertUnwindSafe, catch_unwind};

use tern_intern::{Interner, PREINTERNED, ValueInterner};

/// A symbol from before a compaction that moved it panics in debug builds, with a message
/// naming the symbol and the compaction; mapped through the remap it resolves.
#[test]
#[cfg(debug_assertions)]
fn a_stale_symbol_panics_in_debug_builds() {
    let mut i = Interner::new();
    let a = i.intern("alpha");
    let b = i.intern("beta");
    let remap = i.compact(|s| s == b);
    let err = catch_unwind(AssertUnwindSafe(|| i.resolve(b).to_owned())).unwrap_err();
    let msg = err.downcast_ref::<String>().expect("a formatted message");
    assert!(msg.contains(&format!("{b:?}")), "names the symbol: {msg}");
    assert!(msg.contains("stale"), "{msg}");
    assert!(
        msg.contains("epoch 0") && msg.contains("epoch 1"),
        "names the compaction: {msg}"
    );
    assert!(catch_unwind(AssertUnwindSafe(|| i.resolve(a).to_owned())).is_err());
    assert_eq!(i.resolve(remap.get(b).unwrap()), "beta");
    assert_eq!(remap.get(a), None);
    // Pre-interned symbols never go stale.
    assert_eq!(i.resolve(tern_intern::kw::Fn), "fn");
}

/// The same strings get the same ids after a compaction, whatever order (and threads) they
/// were interned in.
#[test]
fn compaction_ids_are_schedule_independent() {
    let n = if cfg!(miri) { 200 } else { 5_000 };
    let words: Vec<String> = (0..n).map(|k| format!("w{}", (k * 7919) % n)).collect();
    let mut one = Interner::new();
    for w in &words {
        one.intern(w);
    }
    let mut two = Interner::new();
    std::thread::scope(|s| {
        for t in 0..2 {
            let (two, words) = (&two, &words);
            s.spawn(move || {
                for w in words.iter().skip(t).step_by(2).rev() {
                    two.intern(w);
                }
            });
        }
    });
    let keep = |i: &Interner, sym| i.resolve(sym).ends_with(['1', '3', '5']);
    let keep_one: Vec<_> = one
        .iter()
        .map(|(s, _)| s)
        .filter(|&s| keep(&one, s))
        .collect();
    let keep_two: Vec<_> = two
        .iter()
        .map(|(s, _)| s)
        .filter(|&s| keep(&two, s))
        .collect();
    one.compact(|s| keep_one.contains(&s));
    two.compact(|s| keep_two.contains(&s));
    let a: Vec<_> = one.iter().map(|(s, t)| (s, t.to_owned())).collect();
    let b: Vec<_> = two.iter().map(|(s, t)| (s, t.to_owned())).collect();
    assert_eq!(a, b);
    assert_eq!(a.len(), PREINTERNED.len() + keep_one.len());
}

/// Interning goes on after a compaction (new symbols in the new epoch, growth from the
/// compacted size), and a second compaction maps the first one's symbols.
#[test]
fn interning_continues_across_compactions() {
    let mut i = Interner::with_capacity(0);
    let mut live = Vec::new();
    for round in 0..5 {
        let fresh: Vec<_> = (0..500)
            .map(|k| i.intern(&format!("r{round}k{k}")))
            .collect();
        live.extend(fresh.iter().copied().step_by(5));
        let remap = i.compact(|s| live.contains(&s));
        live = live.iter().map(|&s| remap.get(s).expect("kept")).collect();
        assert_eq!(i.len(), PREINTERNED.len() + live.len());
        for &s in &live {
            assert_eq!(i.get(i.resolve(s)), Some(s));
            assert_eq!(s.epoch(), round + 1);
        }
    }
    let st = i.stats();
    assert_eq!(st.len, i.len());
}

/// Value interners compact too: dropped values are gone, kept ones are found and hash-cons
/// with new interns, and the memory of the dropped ones is freed.
#[test]
fn value_compaction() {
    let mut v: ValueInterner<(u32, u32)> = ValueInterner::with_capacity(0);
    let n = if cfg!(miri) { 300 } else { 20_000 };
    for k in 0..n {
        v.intern((k, k * 2));
    }
    let before = v.heap_bytes();
    let c = v.compact(|&(k, _)| k % 100 == 0);
    assert_eq!(
        (c.kept, c.dropped),
        ((n / 100) as usize, (n - n / 100) as usize)
    );
    assert_eq!(v.len(), c.kept);
    assert!(
        v.heap_bytes() < before / 4,
        "{} of {before}",
        v.heap_bytes()
    );
    assert!(v.get(&(100, 200)).is_some());
    assert!(v.get(&(101, 202)).is_none());
    let x = v.intern((100, 200));
    assert_eq!(v.get(&(100, 200)), Some(x));
    assert_eq!(v.len(), c.kept, "hash-consed with the kept copy");
}

/// `keep` panicking leaves the interner as it was.
#[test]
fn a_panicking_keep_changes_nothing() {
    let mut i = Interner::new();
    let syms: Vec<_> = (0..100).map(|k| i.intern(&format!("s{k}"))).collect();
    let mut calls = 0;
    let r = catch_unwind(AssertUnwindSafe(|| {
        i.compact(|_| {
            calls += 1;
            assert!(calls < 50, "keep fails half-way");
            true
        })
    }));
    assert!(r.is_err());
    for (k, s) in syms.iter().enumerate() {
        assert_eq!(i.resolve(*s), format!("s{k}"));
    }
    assert_eq!(i.len(), PREINTERNED.len() + 100);
}
