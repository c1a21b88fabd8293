//! Hardware stress test: N threads intern overlapping streams of real Rust identifiers, in
//! different orders, for `TERN_STRESS_SECS` seconds (`scripts/stress.sh`, `#[ignore]`d here).
//!
//! Checks: every string gets exactly one symbol (all threads agree), every symbol resolves to
//! its string, `len()` equals the distinct count, and live heap bytes (counted by a global
//! allocator) are back to the baseline after the interner is dropped.
//!
//! The corpus: the `.rs` files of this workspace and of the local cargo registry
//! (`~/.cargo/registry/src/*/`), walked in sorted path order until `TERN_STRESS_BYTES` (default
//! 4 MB; 512 KB in the small non-ignored variant), lexed with `ra_ap_rustc_lexer`: identifiers,
//! raw identifiers, lifetimes and string literals.
#![cfg(not(loom))]

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use ra_ap_rustc_lexer::{FrontmatterAllowed, LiteralKind, TokenKind, tokenize};
use tern_intern::{Guarded, Interner, PREINTERNED, Symbol};
use tern_tests::alloc::CountingAlloc;
use tern_tests::corpus;

/// Live heap bytes of the whole test binary.
#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc::new();

fn live() -> usize {
    GLOBAL.live_bytes()
}

/// Tests in this binary run on parallel harness threads but share the allocator's count: each
/// holds this lock for its whole run so that its heap accounting sees only its own allocations.
static HEAP: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Waits until exiting threads' thread-local destructors have run (the live byte count stays
/// put for 20 ms, at most 2 s): a joined scoped thread may still be freeing its thread-locals.
fn settle() {
    let end = Instant::now() + Duration::from_secs(2);
    let mut last = live();
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
        let now = live();
        if now == last {
            return;
        }
        last = now;
    }
}

fn heap_lock() -> std::sync::MutexGuard<'static, ()> {
    HEAP.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Identifier-like tokens of real Rust source, up to about `budget` bytes of source.
fn corpus(budget: usize) -> Vec<String> {
    // This workspace first, then the registry crates.
    let mut files = corpus::rust_files(&corpus::workspace_root());
    files.extend(corpus::registry_files());
    let mut toks = Vec::new();
    let mut used = 0;
    for f in files {
        if used >= budget {
            break;
        }
        let Ok(src) = std::fs::read_to_string(&f) else {
            continue;
        };
        used += src.len();
        let mut pos = 0;
        for t in tokenize(&src, FrontmatterAllowed::No) {
            let text = &src[pos..pos + t.len as usize];
            pos += t.len as usize;
            let keep = match t.kind {
                TokenKind::Ident | TokenKind::RawIdent | TokenKind::Lifetime { .. } => true,
                TokenKind::Literal {
                    kind: LiteralKind::Str { .. },
                    ..
                } => text.len() < 64,
                _ => false,
            };
            if keep {
                toks.push(text.to_owned());
            }
        }
    }
    toks
}

fn run(secs: f64, bytes: usize, threads: usize) {
    let _heap = heap_lock();
    let toks = corpus(bytes);
    let mut distinct: HashSet<&str> = PREINTERNED.iter().copied().collect();
    for t in &toks {
        distinct.insert(t.as_str());
    }
    println!(
        "stress: {} tokens, {} distinct (with pre-interned), {threads} threads, {secs}s",
        toks.len(),
        distinct.len()
    );
    assert!(toks.len() > 1000, "corpus too small: {}", toks.len());
    // Warm-up: the first thread spawns and the first use of thread-locals allocate once per
    // process or thread (std's thread bookkeeping); not the interner's bytes, so outside the
    // baseline.
    {
        let warm = Interner::new();
        drop(warm.collector().register());
    }
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| Interner::new().intern("warm"));
        }
    });
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut rounds = 0u32;
    let mut first_stats = None;
    let mut early_reclaimed = 0;
    loop {
        settle();
        let baseline = live();
        {
            // Odd rounds free outgrown tables during the pass (early reclamation through the
            // workers' quiescent states); even rounds keep them until the drop.
            let early = rounds % 2 == 1;
            let guarded = Guarded::new(Interner::with_capacity(0));
            let views: Vec<Vec<Symbol>> = std::thread::scope(|s| {
                let hs: Vec<_> = (0..threads)
                    .map(|t| {
                        let (toks, guarded) = (&toks, &guarded);
                        s.spawn(move || {
                            // Thread t walks the stream from a different start, odd threads
                            // backwards, so every thread inserts some strings first.
                            let n = toks.len();
                            let start = n / threads * t;
                            let mut out = vec![Symbol::from_u32(1).unwrap(); n];
                            let mut participant = guarded.collector().register();
                            for k in 0..n {
                                let idx = if t % 2 == 0 {
                                    (start + k) % n
                                } else {
                                    (start + n - k) % n
                                };
                                let reader = guarded.reader(&participant);
                                // Through the reader, outgrown tables go to the collector;
                                // through the plain interner, they wait for the drop.
                                let sym = if early {
                                    reader.intern(&toks[idx])
                                } else {
                                    reader.interner().intern(&toks[idx])
                                };
                                out[idx] = sym;
                                // A lookup right after the intern, while other threads may be
                                // migrating the table, must find it.
                                assert_eq!(reader.get(&toks[idx]), Some(sym));
                                if k % 64 == 0 {
                                    assert_eq!(reader.resolve(sym), toks[idx]);
                                    participant.quiescent();
                                }
                            }
                            out
                        })
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let interner = guarded.into_inner();
            let participant = interner.collector().register();
            interner.reclaim();
            if early {
                early_reclaimed += interner.stats().reclaimed_bytes;
            }
            assert_eq!(interner.len(), distinct.len());
            let mut by_string: HashMap<&str, Symbol> = HashMap::new();
            for (k, t) in toks.iter().enumerate() {
                let sym = views[0][k];
                assert!(
                    views.iter().all(|v| v[k] == sym),
                    "threads disagree on {t:?}"
                );
                assert_eq!(interner.resolve(sym), t);
                let prev = by_string.insert(t.as_str(), sym);
                assert!(prev.is_none_or(|p| p == sym));
            }
            // One symbol per string: no two strings share a symbol.
            let mut syms: Vec<Symbol> = by_string.values().copied().collect();
            syms.sort_unstable();
            syms.dedup();
            assert_eq!(syms.len(), by_string.len());
            if rounds < 2 {
                // Printed after the heap check: printing grows the captured-output buffer.
                first_stats = Some(interner.stats());
            }
            drop(participant);
        }
        // A scoped thread counts as joined once its closure returned; its thread-local
        // destructors (std's and tern-arena's per-thread caches) may still be running, so
        // give them a moment before comparing.
        let wait = Instant::now() + Duration::from_secs(2);
        while live() != baseline && Instant::now() < wait {
            std::thread::sleep(Duration::from_millis(1));
        }
        let after = live();
        assert_eq!(
            after, baseline,
            "heap not back to baseline after drop (round {rounds})"
        );
        if let Some(st) = first_stats.take() {
            println!("stress: {st:?}");
        }
        rounds += 1;
        if Instant::now() >= deadline && rounds >= 2 {
            break;
        }
    }
    println!("stress: {rounds} rounds, {early_reclaimed} bytes of tables freed during passes");
    assert!(early_reclaimed > 0, "early reclamation never freed a table");
}

fn threads() -> usize {
    std::env::var("TERN_STRESS_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8)))
}

/// Long run: `scripts/stress.sh` (`TERN_STRESS_SECS`, default 30; `--quick`: 4).
#[test]
#[ignore = "long; run by scripts/stress.sh"]
fn stress_real_identifiers() {
    let secs = std::env::var("TERN_STRESS_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30.0);
    let bytes = std::env::var("TERN_STRESS_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4 << 20);
    run(secs, bytes, threads());
}

/// One small round in every `cargo test`.
#[test]
#[cfg_attr(miri, ignore = "reads files and lexes megabytes: too slow for Miri")]
fn stress_small() {
    run(0.0, 256 << 10, 2);
}

/// Memory per symbol (counting allocator: tables, arena chunks, string bytes, but not the id
/// table's flat block, which is mapped from the kernel outside the allocator; `heap_bytes`
/// beside it counts that block's touched pages) and rough single-thread timings beside a `std`
/// `HashMap<&str, u32>` with `FxHash` (hashbrown inside) in the same run. Prints figures;
/// asserts nothing about speed. The criterion benches in `benches/` are the reference numbers.
#[test]
#[ignore = "reads ~20 MB of sources; prints figures"]
fn memory_per_symbol() {
    use std::hint::black_box;
    let _heap = heap_lock();
    let bytes = std::env::var("TERN_STRESS_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20 << 20);
    let toks = corpus(bytes);
    let distinct: HashSet<&str> = toks.iter().map(String::as_str).collect();
    let avg = distinct.iter().map(|s| s.len()).sum::<usize>() as f64 / distinct.len() as f64;
    let baseline = live();
    let mut interner = Interner::new();
    let t0 = Instant::now();
    for t in &toks {
        black_box(interner.intern(t));
    }
    let first = t0.elapsed();
    let used = live() - baseline;
    let n = interner.len();
    println!(
        "memory: {} tokens, {} distinct (avg {avg:.1} B), {n} symbols: {used} B live = {:.1} B/symbol",
        toks.len(),
        distinct.len(),
        used as f64 / n as f64
    );
    println!("memory: {:?}", interner.stats());
    interner.checkpoint();
    let used = live() - baseline;
    println!(
        "memory after checkpoint (outgrown tables freed): {used} B = {:.1} B/symbol; heap_bytes {:.1} B/symbol",
        used as f64 / n as f64,
        interner.heap_bytes() as f64 / n as f64
    );
    let per = |d: Duration| d.as_nanos() as f64 / toks.len() as f64;
    let mut floor: HashMap<&str, u32, rustc_hash::FxBuildHasher> = HashMap::default();
    let t3 = Instant::now();
    for t in &toks {
        let next = floor.len() as u32;
        black_box(*floor.entry(t.as_str()).or_insert(next));
    }
    let floor_first = t3.elapsed();
    let syms: Vec<Symbol> = toks.iter().map(|t| interner.intern(t)).collect();
    // Best of 7 alternating passes (the machine is shared): hits with and without the hit
    // counter, the map's hits, resolve.
    let (mut hit, mut hit_uncounted) = (f64::MAX, f64::MAX);
    let (mut floor_hit, mut resolve) = (f64::MAX, f64::MAX);
    for _ in 0..7 {
        for counted in [true, false] {
            interner.set_count_hits(counted);
            let t = Instant::now();
            for x in &toks {
                black_box(interner.intern(black_box(x)));
            }
            let ns = per(t.elapsed());
            if counted {
                hit = hit.min(ns);
            } else {
                hit_uncounted = hit_uncounted.min(ns);
            }
        }
        let t = Instant::now();
        for x in &toks {
            black_box(floor.get(black_box(x.as_str())));
        }
        floor_hit = floor_hit.min(per(t.elapsed()));
        let t = Instant::now();
        for s in &syms {
            black_box(interner.resolve(black_box(*s)));
        }
        resolve = resolve.min(per(t.elapsed()));
    }
    println!(
        "timing (ns/token, 1 thread, best of 7, rough): tern first pass {:.1}, hit {:.1} \
         (uncounted {:.1}), resolve {:.2}; HashMap+Fx first pass {:.1}, hit {:.1}",
        per(first),
        hit,
        hit_uncounted,
        resolve,
        per(floor_first),
        floor_hit
    );
}
