//! Parse fidelity against an oracle: for every `.rs` file of a real corpus
//! that `syn::parse_file` (syn 3, `full`) accepts, ternc's parser must report
//! zero errors and the same number of top-level items (`syn::File::items`).
//!
//! Corpus: every `.rs` file of the local cargo registry's crates (the crates
//! this workspace depends on, present after any build) plus this workspace's
//! own sources, as `tern_tests::corpus` walks them (`target/` and hidden
//! directories skipped), in sorted order.
//!
//! Debug builds of syn parse about 1 MB/s, so a debug run compares an evenly
//! spread, deterministic subset of about [`DEBUG_BYTES`] bytes (every k-th
//! file in sorted order); release builds (`cargo test --release`, as the CI
//! script runs it) or `TERN_FIDELITY_FULL=1` compare the whole corpus.

use std::path::PathBuf;

use tern_compiler::syntax::{self, Diagnostic, FileId, LocalInterner, ast};
use tern_tests::corpus;

/// Bytes compared in a debug build (see the module docs).
const DEBUG_BYTES: u64 = 12 << 20;

/// Every registry crate's files, then this workspace's, sorted, each once.
fn corpus() -> Vec<PathBuf> {
    let mut files = corpus::registry_files();
    files.extend(corpus::rust_files(&corpus::workspace_root()));
    files.sort();
    files.dedup();
    files
}

/// The item counts of one file by both parsers, if syn accepted it.
struct Outcome {
    syn_items: usize,
    tern_items: usize,
    /// Items at every level: inside inline modules, and the members of
    /// impls, traits and extern blocks (a stricter check than the top level).
    syn_nested: usize,
    tern_nested: usize,
    tern_errors: Vec<String>,
}

fn syn_nested(items: &[syn::Item]) -> usize {
    items
        .iter()
        .map(|item| {
            1 + match item {
                syn::Item::Mod(m) => m.content.as_ref().map_or(0, |(_, items)| syn_nested(items)),
                syn::Item::Impl(i) => i.items.len(),
                syn::Item::Trait(t) => t.items.len(),
                syn::Item::ForeignMod(f) => f.items.len(),
                _ => 0,
            }
        })
        .sum()
}

fn tern_nested(items: &[ast::Item<'_>]) -> usize {
    items
        .iter()
        .map(|item| {
            1 + match item.kind {
                ast::ItemKind::Mod(m) => m.body.map_or(0, |b| tern_nested(b.items)),
                ast::ItemKind::Impl(i) => i.items.len(),
                ast::ItemKind::Trait(t) => t.items.len(),
                ast::ItemKind::ForeignMod(f) => f.items.len(),
                _ => 0,
            }
        })
        .sum()
}

impl Outcome {
    /// The comparison of one file: `None` when ternc agrees with syn (no
    /// errors, same top-level and nested item counts), else what differs.
    fn mismatch(&self) -> Option<String> {
        if self.tern_errors.is_empty()
            && self.syn_items == self.tern_items
            && self.syn_nested == self.tern_nested
        {
            return None;
        }
        Some(format!(
            "syn {} items ({} nested), ternc {} items ({} nested), {} errors{}",
            self.syn_items,
            self.syn_nested,
            self.tern_items,
            self.tern_nested,
            self.tern_errors.len(),
            self.tern_errors
                .iter()
                .take(3)
                .fold(String::new(), |acc, e| acc + "\n    " + e)
        ))
    }
}

/// Both parsers' results for one file.
fn outcome(syn_file: &syn::File, tern: &ast::SourceFile<'_>, diags: &[Diagnostic]) -> Outcome {
    Outcome {
        syn_items: syn_file.items.len(),
        tern_items: tern.items.len(),
        syn_nested: syn_nested(&syn_file.items),
        tern_nested: tern_nested(tern.items),
        tern_errors: diags
            .iter()
            .map(|d| format!("{}:{}: {}", d.line, d.col, d.message))
            .collect(),
    }
}

fn compare(src: &str) -> Option<Outcome> {
    let file = syn::parse_file(src).ok()?;
    let bump = tern_arena::Arenas::for_any_thread();
    let interner = LocalInterner::default();
    let mut diags = Vec::new();
    let parsed = syntax::parse_file(src, FileId(0), bump.local_arena(), &interner, &mut diags);
    Some(outcome(&file, &parsed, &diags))
}

#[test]
fn same_items_as_syn_on_real_crates() {
    let mut files = corpus();
    let full = !cfg!(debug_assertions) || std::env::var_os("TERN_FIDELITY_FULL").is_some();
    if !full {
        let total: u64 = files
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        let stride = total.div_ceil(DEBUG_BYTES).max(1) as usize;
        files = files.into_iter().step_by(stride).collect();
    }
    assert!(
        files.len() > 10,
        "corpus too small ({} files): is the cargo registry cache present?",
        files.len()
    );
    let (mut compared, mut syn_rejected, mut unreadable, mut bytes) =
        (0usize, 0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for path in &files {
        let Ok(data) = std::fs::read(path) else {
            unreadable += 1;
            continue;
        };
        let Ok(src) = syntax::check_source(&data, FileId(0)) else {
            unreadable += 1;
            continue;
        };
        match compare(src) {
            None => syn_rejected += 1,
            Some(o) => {
                compared += 1;
                bytes += src.len();
                if let Some(m) = o.mismatch() {
                    failures.push(format!("{}: {m}", path.display()));
                }
            }
        }
    }
    println!(
        "parse fidelity ({}): {compared} files compared ({bytes} bytes), {syn_rejected} rejected by syn \
         (skipped), {unreadable} unreadable, {} mismatches",
        if full { "full corpus" } else { "debug subset" },
        failures.len()
    );
    for f in failures.iter().take(40) {
        println!("{f}");
    }
    assert!(compared > 10, "too few files compared");
    assert!(
        failures.is_empty(),
        "{} files differ from syn",
        failures.len()
    );
}

#[test]
fn oracle_comparison_detects_a_missing_item() {
    // The comparison itself must be able to fail. A file both parsers agree on:
    let src = "fn a() {} struct B; impl B { fn c(&self) {} }";
    let ok = compare(src).expect("syn parses");
    assert_eq!((ok.syn_items, ok.tern_items), (3, 3));
    assert_eq!((ok.syn_nested, ok.tern_nested), (4, 4));
    assert_eq!(ok.mismatch(), None);

    let bump = tern_arena::Arenas::for_any_thread();
    let interner = LocalInterner::default();
    let mut diags = Vec::new();
    let tern = syntax::parse_file(src, FileId(0), bump.local_arena(), &interner, &mut diags);
    let oracle = syn::parse_file(src).expect("syn parses");

    // A top-level item missing on one side.
    let mut missing = oracle.clone();
    missing.items.remove(1);
    let m = outcome(&missing, &tern, &diags)
        .mismatch()
        .expect("a missing item is a mismatch");
    assert!(
        m.starts_with("syn 2 items (3 nested), ternc 3 items (4 nested)"),
        "{m}"
    );

    // A member of an impl missing: same top level, different nested count.
    let mut missing = oracle.clone();
    let Some(syn::Item::Impl(imp)) = missing.items.get_mut(2) else {
        panic!("the third item is the impl");
    };
    imp.items.clear();
    let m = outcome(&missing, &tern, &diags)
        .mismatch()
        .expect("a missing member is a mismatch");
    assert!(
        m.starts_with("syn 3 items (3 nested), ternc 3 items (4 nested)"),
        "{m}"
    );

    // Same counts, but ternc reported an error.
    let error = Diagnostic {
        file: FileId(0),
        line: 1,
        col: 4,
        message: "expected item".to_owned(),
    };
    let m = outcome(&oracle, &tern, &[error])
        .mismatch()
        .expect("an error is a mismatch");
    assert!(m.ends_with("1 errors\n    1:4: expected item"), "{m}");

    assert!(compare("fn a( {}").is_none(), "syn rejects broken input");
}
