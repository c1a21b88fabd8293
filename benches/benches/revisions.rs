//! A long-running host: R revisions over real source, interners' memory per revision.
//!
//! Each revision lexes a sliding window of registry files in which a fraction of the
//! identifiers are renamed for that revision (simulated edits that create new names and
//! abandon the previous revision's), interns every symbol on 2 threads, and then:
//! - tern (a `tern_session::Session` with 2 workers) compacts to the window's live symbols
//!   (marked in a `LiveSymbols` set during the pass);
//! - lasso `ThreadedRodeo` (2 threads), string-interner and a hashbrown map of owned strings
//!   (1 thread: they are single-threaded structures) cannot drop symbols, and keep growing.
//!
//! Heap bytes: tern's from `Interner::heap_bytes`; every structure's also as the change of
//! live heap bytes (a counting global allocator) across its own work, summed over the
//! revisions (so the four columns are measured the same way).
//!
//! Corpus: the *reporting* half of the registry crates (those whose name, without version,
//! has an odd FNV-1a hash); nothing here was tuned on it.
//!
//! Knobs: `TERN_REVISIONS` (default 100; 0 runs only the compaction timing),
//! `TERN_WINDOW_MB` (default 4), `TERN_RENAME_PCT` (default 10), `TERN_STEP_PCT` (window
//! slide per revision in percent of the window, default 1: over 100 revisions the window
//! moves by its own length, like an editing session drifting through a project).
//!
//! `cargo bench -p tern-benches --bench revisions`

use std::hash::Hasher;
use std::time::{Duration, Instant};

use rustc_hash::{FxBuildHasher, FxHasher};
use tern_benches::corpus;
use tern_session::{LiveSymbols, Session};
use tern_tests::alloc::CountingAlloc;
use tern_tests::corpus::{registry_crates, rust_files};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::new();

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Whether identifier `s` is renamed in revision `rev` (`pct` percent of names are).
fn renamed(s: &str, rev: usize, pct: u64) -> bool {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.write_usize(rev);
    h.finish() % 100 < pct
}

/// The symbols of one revision's window, split in two halves (one per thread).
fn revision_tokens(files: &[&'static str], rev: usize, pct: u64) -> [Vec<String>; 2] {
    let mut out = [Vec::new(), Vec::new()];
    for (k, text) in files.iter().enumerate() {
        let half = &mut out[k % 2];
        corpus::for_each_symbol(text, |s| {
            if s.starts_with(|c: char| c.is_alphabetic() || c == '_') && renamed(s, rev, pct) {
                half.push(format!("{s}_r{rev}"));
            } else {
                half.push(s.to_owned());
            }
        });
    }
    out
}

/// Live heap bytes now (after the calling thread joined every worker that allocated).
fn live() -> isize {
    ALLOC.live_bytes().cast_signed()
}

fn main() {
    let revisions = env("TERN_REVISIONS", 100);
    let window_mb = env("TERN_WINDOW_MB", 4);
    let pct = env("TERN_RENAME_PCT", 10) as u64;
    let step_pct = env("TERN_STEP_PCT", 1);
    let dirs: Vec<_> = registry_crates()
        .into_iter()
        .filter(|d| corpus::Half::Reporting.contains(d))
        .collect();
    let crates = dirs.len();
    let mut files: Vec<&'static str> = Vec::new();
    for d in &dirs {
        for f in rust_files(d) {
            if let Ok(text) = std::fs::read_to_string(&f)
                && text.len() <= corpus::MAX_FILE_BYTES
            {
                files.push(Box::leak(text.into_boxed_str()));
            }
        }
    }
    let total: usize = files.iter().map(|t| t.len()).sum();
    if revisions == 0 {
        compaction_of_100k(&files);
        return;
    }
    // Window: consecutive files summing to about `window_mb`; it slides by `step_pct` % of
    // its length per revision, wrapping around the corpus.
    let mut per_window = 0;
    let mut acc = 0;
    while per_window < files.len() && acc < window_mb << 20 {
        acc += files[per_window].len();
        per_window += 1;
    }
    let step = (per_window * step_pct / 100).max(1);
    println!(
        "revisions: {revisions} revisions, reporting half of the registry: {crates} crates, {} files, {:.1} MB; window {per_window} files (~{window_mb} MB), sliding {step} files per revision, {pct}% of identifiers renamed per revision",
        files.len(),
        total as f64 / 1e6
    );

    let mut session = Session::builder()
        .threads(2)
        .build()
        .expect("a thread pool");
    let lasso = lasso::ThreadedRodeo::default();
    let mut si: string_interner::DefaultStringInterner =
        string_interner::DefaultStringInterner::default();
    let mut hb: hashbrown::HashMap<Box<str>, u32, FxBuildHasher> =
        hashbrown::HashMap::with_hasher(FxBuildHasher);
    let mut grown = [0isize; 4];
    let mut live_set = LiveSymbols::new();
    let mut rows = Vec::new();
    let mut compactions: Vec<(usize, Duration)> = Vec::new();

    for rev in 1..=revisions {
        let start = (rev - 1) * step % files.len().max(1);
        let window: Vec<&'static str> = (0..per_window)
            .map(|k| files[(start + k) % files.len()])
            .collect();
        let halves = revision_tokens(&window, rev, pct);

        // tern: one pass of two items (the halves), marking live symbols; then compact.
        let before = live();
        live_set.clear();
        session.pass("intern", 2, |cx, i| {
            for s in &halves[i] {
                live_set.insert(cx.intern(s));
            }
        });
        let t = Instant::now();
        session.compact(|sym| live_set.contains(sym));
        compactions.push((session.interner().len(), t.elapsed()));
        grown[0] += live() - before;
        let tern_heap = session.interner().heap_bytes();

        // lasso ThreadedRodeo on 2 threads.
        let before = live();
        std::thread::scope(|s| {
            for h in &halves {
                let lasso = &lasso;
                s.spawn(move || {
                    for t in h {
                        lasso.get_or_intern(t.as_str());
                    }
                });
            }
        });
        grown[1] += live() - before;

        // string-interner, 1 thread.
        let before = live();
        for t in halves.iter().flatten() {
            si.get_or_intern(t.as_str());
        }
        grown[2] += live() - before;

        // hashbrown map of owned strings, 1 thread.
        let before = live();
        for t in halves.iter().flatten() {
            let n = hb.len() as u32;
            if !hb.contains_key(t.as_str()) {
                hb.insert(t.as_str().into(), n);
            }
        }
        grown[3] += live() - before;
        drop(halves);

        rows.push((
            rev,
            tern_heap,
            grown,
            live_set.len(),
            lasso.len(),
            si.len(),
            hb.len(),
        ));
    }

    println!();
    println!(
        "| revision | live symbols | tern heap_bytes | tern B/live symbol | tern (allocator) | lasso ThreadedRodeo | string-interner | hashbrown+strings | symbols held: tern / lasso / string-interner / hashbrown |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let show = |r: usize| r <= 2 || r == 5 || r.is_multiple_of(10) || r == revisions;
    for (rev, heap, g, live_n, nl, ns, nh) in &rows {
        if show(*rev) {
            println!(
                "| {rev} | {live_n} | {:.2} MB | {:.1} | {:.2} MB | {:.2} MB | {:.2} MB | {:.2} MB | {} / {nl} / {ns} / {nh} |",
                *heap as f64 / 1e6,
                *heap as f64 / (*live_n).max(1) as f64,
                g[0] as f64 / 1e6,
                g[1] as f64 / 1e6,
                g[2] as f64 / 1e6,
                g[3] as f64 / 1e6,
                live_n + tern_intern::PREINTERNED.len(),
            );
        }
    }
    let first = rows.first().expect("at least one revision");
    let last = rows.last().expect("at least one revision");
    let ratio = |k: usize| last.2[k] as f64 / first.2[k] as f64;
    println!();
    println!(
        "growth, revision {} / revision 1 (allocator): tern {:.3}, lasso {:.2}, string-interner {:.2}, hashbrown+strings {:.2}",
        last.0,
        ratio(0),
        ratio(1),
        ratio(2),
        ratio(3)
    );
    println!(
        "growth, revision {} / revision 1 (tern heap_bytes): {:.3}  (target <= 1.1: {})",
        last.0,
        last.1 as f64 / first.1 as f64,
        if last.1 as f64 <= 1.1 * first.1 as f64 {
            "PASS"
        } else {
            "MISS"
        }
    );
    let per_live =
        |r: &(usize, usize, [isize; 4], usize, usize, usize, usize)| r.1 as f64 / r.3.max(1) as f64;
    println!(
        "tern bytes per live symbol, revision {} / revision 1: {:.3}; live symbols {} / {}",
        last.0,
        per_live(last) / per_live(first),
        last.3,
        first.3
    );
    let mut times: Vec<Duration> = compactions.iter().map(|c| c.1).collect();
    times.sort_unstable();
    let kept = compactions.iter().map(|c| c.0).sum::<usize>() / compactions.len();
    println!(
        "session compaction per revision ({kept} symbols kept on average): min {:.2} ms, median {:.2} ms, max {:.2} ms",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
    compaction_of_100k(&files);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Live symbols kept by the compaction timing.
const LIVE: usize = 100_000;

/// Compaction of 100 k live symbols (real identifiers of the corpus, plus as many dropped
/// ones), on one thread: median of 11, each on a freshly filled interner.
fn compaction_of_100k(files: &[&'static str]) {
    let mut distinct = Vec::new();
    let mut seen = hashbrown::HashSet::with_hasher(FxBuildHasher);
    'files: for text in files {
        let mut stop = false;
        corpus::for_each_symbol(text, |s| {
            if distinct.len() < 200_000 && seen.insert(s) {
                distinct.push(s);
            }
            stop = distinct.len() >= 200_000;
        });
        if stop {
            break 'files;
        }
    }
    let n = distinct.len();
    let mut times = Vec::new();
    for _ in 0..11 {
        let mut i = tern_intern::Interner::new();
        let syms: Vec<_> = distinct.iter().map(|s| i.intern(s)).collect();
        let mut keep = vec![false; n + tern_intern::PREINTERNED.len() + 1];
        // Keep 100 k of them, spread over the id space.
        for k in 0..LIVE.min(n) {
            keep[syms[k * n / LIVE.min(n).max(1)].index()] = true;
        }
        let t = Instant::now();
        let remap = i.compact(|s| keep[s.index()]);
        times.push(t.elapsed());
        std::hint::black_box(remap);
    }
    times.sort_unstable();
    let kept = LIVE.min(n);
    let median = ms(times[times.len() / 2]);
    println!(
        "compaction of {kept} live symbols (of {n} real identifiers), 1 thread: min {:.2} ms, median {median:.2} ms, max {:.2} ms  (target <= 5 ms: {})",
        ms(times[0]),
        ms(times[times.len() - 1]),
        if median <= 5.0 { "PASS" } else { "MISS" }
    );
}
