//! The real-Rust corpus of tern's tests and benches: crate sources of the
//! local cargo registry (`$CARGO_HOME/registry/src/*/`, present after any
//! build) and this workspace's own sources, walked in a fixed order.
//!
//! Rules:
//! - registry crates are taken from every registry source root and sorted by
//!   directory name (`name-version`); the first root wins for a name found in
//!   two roots;
//! - inside a directory, `.rs` files are sorted by path, skipping hidden
//!   directories and `target/`.
//!
//! The registry grows as dependencies are fetched, so callers print what
//! they measured on (file and byte counts) rather than fix numbers.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The cargo home: `$CARGO_HOME`, else `$HOME/.cargo`.
pub fn cargo_home() -> PathBuf {
    if let Some(h) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(h);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    Path::new(&home).join(".cargo")
}

/// Registry source roots (`$CARGO_HOME/registry/src/*`), sorted.
pub fn registry_roots() -> Vec<PathBuf> {
    let mut roots = subdirs(&cargo_home().join("registry").join("src"));
    roots.sort();
    roots
}

/// Crate directories of all registry roots, sorted by directory name; the
/// first root wins when two roots hold the same `name-version`.
pub fn registry_crates() -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    let mut dirs: Vec<PathBuf> = registry_roots()
        .iter()
        .flat_map(|root| subdirs(root))
        .filter(|d| d.file_name().is_some_and(|n| seen.insert(n.to_owned())))
        .collect();
    dirs.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    dirs
}

/// The registry crates whose directory name is `name-` followed by a version
/// (all versions present, sorted).
pub fn registry_crate(name: &str) -> Vec<PathBuf> {
    registry_crates()
        .into_iter()
        .filter(|d| {
            d.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(name))
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        })
        .collect()
}

/// Every `.rs` file of every registry crate, crate by crate in
/// [`registry_crates`] order.
pub fn registry_files() -> Vec<PathBuf> {
    registry_crates()
        .iter()
        .flat_map(|d| rust_files(d))
        .collect()
}

/// This workspace's root directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// All `.rs` files under `dir`, sorted by path, skipping hidden directories
/// and `target/`.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if !name.starts_with('.') && name != "target" {
                walk(&entry.path(), out);
            }
        } else if ft.is_file() && name.ends_with(".rs") {
            out.push(entry.path());
        }
    }
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_files_are_sorted_and_skip_target() {
        let files = rust_files(&workspace_root());
        assert!(files.iter().any(|f| f.ends_with("tests/src/corpus.rs")));
        assert!(files.windows(2).all(|w| w[0] < w[1]));
        assert!(
            files
                .iter()
                .all(|f| !f.components().any(|c| c.as_os_str() == "target"))
        );
    }

    #[test]
    fn registry_crates_are_sorted_by_name_and_distinct() {
        let crates = registry_crates();
        let names: Vec<_> = crates.iter().filter_map(|c| c.file_name()).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        for c in registry_crate("rayon") {
            let n = c.file_name().and_then(|n| n.to_str()).unwrap_or("");
            assert!(
                n.starts_with("rayon-") && !n.starts_with("rayon-core"),
                "{n}"
            );
        }
    }
}
