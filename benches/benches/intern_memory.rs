//! Memory per symbol (issue 4): live heap bytes after interning every
//! distinct symbol of the corpus, divided by the number of symbols, for tern
//! and each peer, measured with the counting global allocator of
//! `tern_tests::alloc`.
//!
//! Two sizes: the first 119,684 distinct symbols in first-occurrence order
//! (the corpus size the memory-per-symbol target is stated at, and the one
//! README.md's figures use) and all of them. Columns:
//! - `live B/sym`: heap bytes the interner holds / symbols;
//! - `incl. strings`: the same plus the string bytes for interners that
//!   borrow their keys from the corpus instead of copying them (hashbrown,
//!   dashmap, papaya), so every row counts the strings once;
//! - `peak B/sym`: the highest live count during the inserts (growth copies);
//! - for tern, the figure is taken after `checkpoint` (outgrown tables freed),
//!   with the figure before it beside, and it is `Interner::heap_bytes`: tern
//!   maps its id table's flat block (32 MiB of address space) from the kernel,
//!   outside the global allocator, so the counting allocator does not see the
//!   pages the ids touched; `heap_bytes` counts them (its peak is the
//!   allocator's peak plus the same pages).
//!
//! `TERN_BENCH_MEMORY_JSON=path` also writes the rows as JSON for
//! `benches/report.py`. Run with
//! `cargo bench -p tern-benches --bench intern_memory`.

#[path = "common/interners.rs"]
#[allow(
    dead_code,
    reason = "shared with the speed bench, which uses resolve and number"
)]
mod interners;

use std::fmt::Write as _;

use interners::{
    DashmapFx, HashbrownFx, LassoRodeo, LassoThreaded, LocalInterner, PapayaGuardPerPass,
    SharedInterner, StringInterner, Tern, Ustr,
};
use tern_benches::corpus::{Corpus, SymbolStream};
use tern_tests::alloc::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc::new();

/// The symbol count the memory-per-symbol target is stated at.
const ANCHOR_SYMBOLS: usize = 119_684;

struct Row {
    name: &'static str,
    symbols: usize,
    owns_strings: bool,
    live: usize,
    peak: usize,
    before_checkpoint: Option<usize>,
}

impl Row {
    fn per(&self, bytes: usize) -> f64 {
        bytes as f64 / self.symbols as f64
    }
}

fn measure<T>(
    name: &'static str,
    owns_strings: bool,
    input: &[&'static str],
    build: impl FnOnce(&[&'static str]) -> T,
    finish: impl FnOnce(&mut T) -> Option<usize>,
) -> Row {
    let base = ALLOC.live_bytes();
    ALLOC.reset_peak();
    let mut t = build(input);
    let before = ALLOC.live_bytes() - base;
    // `finish` returns the structure's own count of its bytes when the allocator does not
    // see all of them (tern's id table is mapped from the kernel).
    let own = finish(&mut t);
    let allocated = ALLOC.live_bytes() - base;
    let live = own.unwrap_or(allocated);
    // Bytes held outside the allocator; the same before the checkpoint and at the peak (the
    // mapped block only grows by the ids' pages, all touched before the count).
    let outside = live.checked_sub(allocated).unwrap_or_else(|| {
        panic!("{name}: counts {live} bytes, fewer than the {allocated} it allocated")
    });
    let checkpointed = own.map(|_| before + outside);
    let peak = ALLOC.peak_bytes() - base + outside;
    drop(t);
    Row {
        name,
        symbols: input.len(),
        owns_strings,
        live,
        peak,
        before_checkpoint: checkpointed,
    }
}

fn local<I: LocalInterner>(input: &[&'static str], owns: bool) -> Row {
    measure(
        I::NAME,
        owns,
        input,
        |input| {
            let mut t = I::new();
            t.pass(input);
            t
        },
        |_| None,
    )
}

fn shared<I: SharedInterner>(input: &[&'static str], owns: bool) -> Row {
    measure(
        I::NAME,
        owns,
        input,
        |input| {
            let t = I::new();
            t.pass(input);
            t
        },
        |_| None,
    )
}

fn main() {
    let corpus = Corpus::registry();
    println!("{}", corpus.describe());
    let stream = SymbolStream::lex(corpus);
    println!("{}", stream.describe());
    let SymbolStream { tokens, distinct } = stream;
    drop(tokens);

    let mut json = String::from("[");
    let mut sizes = vec![ANCHOR_SYMBOLS.min(distinct.len())];
    if distinct.len() > ANCHOR_SYMBOLS {
        sizes.push(distinct.len());
    }
    let mut ustr_so_far = 0usize;
    let mut ustr_live = 0usize;
    for &n in &sizes {
        let input = &distinct[..n];
        let string_bytes: usize = input.iter().map(|s| s.len()).sum();
        let mut tern_breakdown = String::new();
        let mut rows = vec![
            measure(
                Tern::NAME,
                true,
                input,
                |input| {
                    let t = Tern::new();
                    t.pass(input);
                    t
                },
                |t| {
                    t.end_pass();
                    let heap = t.0.heap_bytes();
                    let st = t.0.stats();
                    let arenas = t.0.arenas();
                    let per = |b: usize| b as f64 / n as f64;
                    tern_breakdown = format!(
                        "tern at {n} symbols, from its own stats (B/symbol): table {:.1} ({} slots), id table {:.1}, string bytes {:.1}, arena capacity {:.1} (used {:.1})",
                        per(st.table_bytes),
                        st.table_slots,
                        per(st.id_table_bytes),
                        per(st.string_bytes),
                        per(arenas.total_capacity()),
                        per(arenas.total_used()),
                    );
                    Some(heap)
                },
            ),
            local::<HashbrownFx>(input, false),
            local::<LassoRodeo>(input, true),
            local::<StringInterner>(input, true),
            shared::<LassoThreaded>(input, true),
            shared::<DashmapFx>(input, false),
            shared::<PapayaGuardPerPass>(input, false),
        ];
        // ustr is global and never frees: intern only the symbols not yet in
        // it and add to what earlier sizes measured.
        let mut u = shared::<Ustr>(&input[ustr_so_far.min(n)..], true);
        ustr_so_far = n;
        u.symbols = n;
        u.live += ustr_live;
        u.peak += ustr_live;
        ustr_live = u.live;
        rows.push(u);

        let avg = string_bytes as f64 / n as f64;
        println!();
        println!(
            "### memory per symbol at {n} distinct symbols (avg {avg:.1} B of string each, {:.2} MB of strings)",
            string_bytes as f64 / 1e6
        );
        println!();
        println!(
            "| interner | owns strings | live B/sym | incl. strings | peak B/sym | before checkpoint |"
        );
        println!("|---|---|---|---|---|---|");
        for r in &rows {
            let live = r.per(r.live);
            let incl = if r.owns_strings { live } else { live + avg };
            println!(
                "| {} | {} | {:.1} | {:.1} | {:.1} | {} |",
                r.name,
                if r.owns_strings {
                    "yes"
                } else {
                    "no (borrows)"
                },
                live,
                incl,
                r.per(r.peak),
                r.before_checkpoint
                    .map_or_else(|| "–".to_owned(), |b| format!("{:.1}", r.per(b)))
            );
            let _ = write!(
                json,
                "{}{{\"symbols\":{n},\"interner\":\"{}\",\"owns_strings\":{},\"live_per_symbol\":{live:.2},\"incl_strings_per_symbol\":{incl:.2},\"peak_per_symbol\":{:.2},\"live_bytes\":{}}}",
                if json.len() > 1 { "," } else { "" },
                r.name,
                r.owns_strings,
                r.per(r.peak),
                r.live,
            );
        }
        println!();
        println!("{tern_breakdown}");
    }
    json.push(']');
    if let Some(path) = std::env::var_os("TERN_BENCH_MEMORY_JSON") {
        std::fs::write(&path, &json).expect("write TERN_BENCH_MEMORY_JSON");
    }
}
