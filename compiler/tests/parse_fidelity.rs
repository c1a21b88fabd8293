//! Parse fidelity against an oracle: for every `.rs` file of a real corpus
//! that `syn::parse_file` (syn 3, `full`) accepts, ternc's parser must report
//! zero errors and the same number of top-level items (`syn::File::items`).
//!
//! Corpus: every `.rs` file under the local cargo registry's `src/*/`
//! directories (the crates this workspace depends on, present after any
//! build) plus this workspace's own sources, minus `target/` and hidden
//! directories, in sorted order.
//!
//! Debug builds of syn parse about 1 MB/s, so a debug run compares an evenly
//! spread, deterministic subset of about [`DEBUG_BYTES`] bytes (every k-th
//! file in sorted order); release builds (`cargo test --release`, as the CI
//! script runs it) or `TERN_FIDELITY_FULL=1` compare the whole corpus.

use std::path::{Path, PathBuf};

use tern_compiler::syntax::{self, FileId, LocalInterner, ast};

/// Bytes compared in a debug build (see the module docs).
const DEBUG_BYTES: u64 = 12 << 20;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            walk(&path, out);
        } else if ft.is_file() && name.ends_with(".rs") {
            out.push(path);
        }
    }
}

fn corpus() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home
        && let Ok(regs) = std::fs::read_dir(home.join("registry").join("src"))
    {
        for reg in regs.flatten() {
            walk(&reg.path(), &mut files);
        }
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    walk(&workspace, &mut files);
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

fn compare(src: &str) -> Option<Outcome> {
    let file = syn::parse_file(src).ok()?;
    let bump = bumpalo::Bump::new();
    let interner = LocalInterner::default();
    let mut diags = Vec::new();
    let parsed = syntax::parse_file(src, FileId(0), &bump, &interner, &mut diags);
    Some(Outcome {
        syn_items: file.items.len(),
        tern_items: parsed.items.len(),
        syn_nested: syn_nested(&file.items),
        tern_nested: tern_nested(parsed.items),
        tern_errors: diags
            .iter()
            .map(|d| format!("{}:{}: {}", d.line, d.col, d.message))
            .collect(),
    })
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
                if !o.tern_errors.is_empty()
                    || o.syn_items != o.tern_items
                    || o.syn_nested != o.tern_nested
                {
                    failures.push(format!(
                        "{}: syn {} items ({} nested), ternc {} items ({} nested), {} errors{}",
                        path.display(),
                        o.syn_items,
                        o.syn_nested,
                        o.tern_items,
                        o.tern_nested,
                        o.tern_errors.len(),
                        o.tern_errors
                            .iter()
                            .take(3)
                            .fold(String::new(), |acc, e| acc + "\n    " + e)
                    ));
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
    // The comparison itself must be able to fail: a file where the item
    // counts agree, and a broken one ternc must flag.
    let ok = compare("fn a() {} struct B; impl B { fn c(&self) {} }").expect("syn parses");
    assert_eq!((ok.syn_items, ok.tern_items), (3, 3));
    assert_eq!((ok.syn_nested, ok.tern_nested), (4, 4));
    assert!(ok.tern_errors.is_empty());
    assert!(compare("fn a( {}").is_none(), "syn rejects broken input");
}
