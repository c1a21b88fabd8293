//! The libraries composed by hand, the way `tern-session` composes them: a rayon pool,
//! per-worker arenas, one shared collector, a `Guarded` interner read through worker
//! participants that announce quiescent states between tasks, and a checkpoint after every
//! pass.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;
use tern_arena::Arenas;
use tern_intern::{Guarded, Interner, Symbol};
use tern_quiesce::Collector;

fn pool(threads: usize) -> Arc<rayon::ThreadPool> {
    Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("build pool"),
    )
}

/// Deterministic word streams with heavy overlap between passes and chunks, enough distinct
/// strings to force several table growths from a small initial capacity.
fn words(pass: usize, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let k = (i * 7919 + pass * 104_729) % (n / 2 + 1);
            format!("w{k}_{}", k % 13)
        })
        .collect()
}

fn intern_pass(
    interner: &Guarded<Interner>,
    pool: &rayon::ThreadPool,
    words: &[String],
) -> Vec<Symbol> {
    pool.install(|| {
        words
            .par_chunks(64)
            .map_init(
                || interner.collector().register_named("pass worker"),
                |participant, chunk| {
                    let reader = interner.reader(participant);
                    let syms: Vec<Symbol> = chunk.iter().map(|w| reader.intern(w)).collect();
                    // In-pass reclamation: every reader of a guarded interner holds a
                    // participant, so outgrown tables go once all of them have passed a
                    // quiescent state (this one frees what the others already allow).
                    participant.quiescent();
                    syms
                },
            )
            .flatten()
            .collect()
    })
}

#[test]
fn passes_are_checkpoints_and_symbols_survive_them() {
    let n = if cfg!(miri) { 200 } else { 20_000 };
    let pool = pool(2);
    let arenas = Arenas::new(Arc::clone(&pool));
    let mut interner = Guarded::new(
        Interner::builder()
            .capacity(4)
            .parts(Collector::new(), arenas)
            .build(),
    );
    let mut freed_in_passes = 0;

    let mut expected: HashMap<String, Symbol> = HashMap::new();
    for pass in 0..3 {
        let ws = words(pass, n);
        let syms = intern_pass(&interner, &pool, &ws);
        assert_eq!(syms.len(), ws.len());
        for (w, s) in ws.iter().zip(&syms) {
            let prev = *expected.entry(w.clone()).or_insert(*s);
            assert_eq!(prev, *s, "{w:?} changed symbol across passes or chunks");
        }
        let interner = interner.get_mut();
        freed_in_passes += interner.stats().reclaimed_bytes;
        interner.checkpoint();
        let st = interner.stats();
        assert_eq!(
            st.retired_bytes, st.reclaimed_bytes,
            "pass {pass}: a checkpoint must leave no outgrown table behind"
        );
        let cs = interner.collector().stats();
        assert_eq!(
            cs.pending_items, 0,
            "pass {pass}: collector garbage left: {cs:?}"
        );
        assert_eq!(
            cs.participants, 0,
            "workers' participants unregistered at pass end"
        );
    }
    let interner = interner.into_inner();
    assert!(
        interner.stats().resizes > 0,
        "the test must exercise growth"
    );
    assert!(freed_in_passes > 0, "tables were freed during passes");
    assert_eq!(interner.len(), interner.iter().count());
    for (w, s) in &expected {
        assert_eq!(interner.resolve(*s), w.as_str());
        assert_eq!(interner.get(w), Some(*s));
    }
    let distinct: std::collections::HashSet<&str> = expected.keys().map(String::as_str).collect();
    let preinterned_hits = distinct
        .iter()
        .filter(|w| interner.preinterned().contains(w))
        .count();
    assert_eq!(
        interner.len(),
        interner.preinterned().len() + distinct.len() - preinterned_hits
    );
}

#[test]
fn arena_strings_are_readable_from_every_worker_after_a_checkpoint() {
    let pool = pool(2);
    let mut interner = Interner::with_parts(Collector::new(), Arenas::new(Arc::clone(&pool)));
    let ws = words(0, if cfg!(miri) { 64 } else { 4_096 });
    let syms: Vec<Symbol> = pool.install(|| ws.par_iter().map(|w| interner.intern(w)).collect());
    interner.checkpoint();
    // Resolve on the other worker(s): bytes written into worker A's arena are read by worker B.
    let back: Vec<&str> = pool.install(|| {
        syms.par_iter()
            .rev()
            .map(|s| interner.resolve(*s))
            .collect()
    });
    for (w, r) in ws.iter().rev().zip(back) {
        assert_eq!(w, r);
    }
    let used: usize = interner.arenas().stats().iter().map(|w| w.used).sum();
    assert!(used > 0, "string bytes live in the arenas");
}
