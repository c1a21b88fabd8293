//! The real-Rust corpus the benches run on: crate sources from the local cargo
//! registry (`$CARGO_HOME/registry/src/*/`), chosen deterministically, and the
//! stream of symbols (identifiers, lifetimes, string literals) lexed from them
//! with `ra_ap_rustc_lexer`.
//!
//! Choice rules, printed by [`Corpus::describe`]:
//! - crate directories and their `.rs` files in the order of
//!   [`tern_tests::corpus`] (crates sorted by `name-version`, files by path,
//!   hidden directories and `target/` skipped);
//! - a file that is not UTF-8 or is larger than [`MAX_FILE_BYTES`] (generated
//!   bindings) is skipped and counted;
//! - `TERN_BENCH_CORPUS_MB` caps the total (files are added in order until the
//!   cap is reached).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ra_ap_rustc_lexer::{FrontmatterAllowed, LiteralKind, TokenKind};
use tern_tests::corpus::{registry_crate, registry_crates, registry_roots, rust_files};

/// Files larger than this are skipped (generated code would dominate).
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// Environment variable capping the registry corpus in MiB.
pub const CORPUS_MB_ENV: &str = "TERN_BENCH_CORPUS_MB";

/// One source file of the corpus.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path on disk.
    pub path: PathBuf,
    /// Contents (UTF-8).
    pub text: String,
}

/// A set of Rust source files chosen by a documented rule.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// Files in the chosen order.
    pub files: Vec<SourceFile>,
    /// Crate directories the files came from, in order.
    pub crates: Vec<String>,
    /// How the corpus was chosen (one line).
    pub rule: String,
    /// Files skipped as non-UTF-8 or oversized.
    pub skipped: usize,
}

/// FNV-1a (64-bit) of a crate directory's name without its version
/// (`hashbrown-0.15.5` hashes `hashbrown`): the rule that splits the registry
/// into a *tuning* half (even hash) and a *reporting* half (odd hash), so that
/// every version of a crate lands in the same half.
pub fn crate_name_hash(dir: &Path) -> u64 {
    let name = crate_name(dir);
    let base = name
        .rsplit_once('-')
        .filter(|(_, v)| v.starts_with(|c: char| c.is_ascii_digit()))
        .map_or(name.as_str(), |(b, _)| b);
    base.bytes().fold(0xcbf2_9ce4_8422_2325, |h: u64, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// One half of the registry crates, by [`crate_name_hash`]: code is tuned on
/// one and its figures are reported on the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Half {
    /// Crates whose name hash is even: what tuning may look at.
    Tuning,
    /// Crates whose name hash is odd: what reported figures come from.
    Reporting,
}

impl Half {
    /// Whether the crate directory `dir` belongs to this half.
    pub fn contains(self, dir: &Path) -> bool {
        (crate_name_hash(dir) % 2 == 1) == (self == Half::Reporting)
    }

    /// `"tuning"` or `"reporting"`.
    pub fn name(self) -> &'static str {
        match self {
            Half::Tuning => "tuning",
            Half::Reporting => "reporting",
        }
    }
}

fn crate_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Corpus {
    /// Every crate in the registry, in sorted order, capped by
    /// `TERN_BENCH_CORPUS_MB` if set.
    pub fn registry() -> Self {
        let cap = std::env::var(CORPUS_MB_ENV)
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .map(|mb| mb << 20);
        let mut c = Self::from_crates(&registry_crates(), cap);
        c.rule = format!(
            "every crate dir in {} sorted by name-version, .rs files sorted, files > {} KiB or non-UTF-8 skipped{}",
            registry_roots()
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            MAX_FILE_BYTES >> 10,
            cap.map_or(String::new(), |c| format!(
                ", capped at {} MiB ({CORPUS_MB_ENV})",
                c >> 20
            )),
        );
        c
    }

    /// Every crate of one [`Half`] of the registry, in sorted order (no cap).
    pub fn registry_half(half: Half) -> Self {
        let dirs: Vec<PathBuf> = registry_crates()
            .into_iter()
            .filter(|d| half.contains(d))
            .collect();
        let mut c = Self::from_crates(&dirs, None);
        c.rule = format!(
            "the {} half of the registry crates (FNV-1a of the crate name without version {}), .rs files sorted, files > {} KiB or non-UTF-8 skipped",
            half.name(),
            if half == Half::Reporting {
                "odd"
            } else {
                "even"
            },
            MAX_FILE_BYTES >> 10,
        );
        c
    }

    /// The registry crates whose directory name starts with one of
    /// `prefixes` followed by a version digit, in sorted order, capped at
    /// `max_bytes`. Used for the fixed front-end subset.
    pub fn registry_subset(prefixes: &[&str], max_bytes: usize) -> Self {
        let mut dirs: Vec<PathBuf> = prefixes.iter().flat_map(|p| registry_crate(p)).collect();
        dirs.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        dirs.dedup();
        let mut c = Self::from_crates(&dirs, Some(max_bytes));
        c.rule = format!(
            "registry crates named {} (sorted, all versions present), .rs files sorted, capped at {} MiB",
            prefixes.join(", "),
            max_bytes >> 20
        );
        c
    }

    fn from_crates(dirs: &[PathBuf], cap: Option<usize>) -> Self {
        let mut c = Self::default();
        let mut total = 0usize;
        'crates: for d in dirs {
            let mut used = false;
            for f in rust_files(d) {
                let Ok(bytes) = std::fs::read(&f) else {
                    c.skipped += 1;
                    continue;
                };
                if bytes.len() > MAX_FILE_BYTES {
                    c.skipped += 1;
                    continue;
                }
                let Ok(text) = String::from_utf8(bytes) else {
                    c.skipped += 1;
                    continue;
                };
                if cap.is_some_and(|cap| total + text.len() > cap) {
                    if used {
                        c.crates.push(crate_name(d));
                    }
                    break 'crates;
                }
                total += text.len();
                used = true;
                c.files.push(SourceFile { path: f, text });
            }
            if used {
                c.crates.push(crate_name(d));
            }
        }
        c
    }

    /// Total bytes of source.
    pub fn bytes(&self) -> usize {
        self.files.iter().map(|f| f.text.len()).sum()
    }

    /// A multi-line description: rule, crates, files, bytes.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "corpus rule: {}", self.rule);
        let _ = writeln!(
            s,
            "corpus: {} crates, {} files ({} skipped), {:.2} MB",
            self.crates.len(),
            self.files.len(),
            self.skipped,
            self.bytes() as f64 / 1e6
        );
        let first: Vec<&str> = self.crates.iter().take(3).map(String::as_str).collect();
        let last = self.crates.last().map_or("", String::as_str);
        let _ = write!(s, "crates: {} ... {last}", first.join(", "));
        s
    }

    /// Splits the files into `n` groups of nearly equal byte size (greedy:
    /// largest file first onto the lightest group), so that threads get equal
    /// work rather than equal file counts.
    pub fn balanced(&self, n: usize) -> Vec<Vec<&SourceFile>> {
        let n = n.max(1);
        let mut order: Vec<&SourceFile> = self.files.iter().collect();
        order.sort_by_key(|f| std::cmp::Reverse(f.text.len()));
        let mut groups: Vec<(usize, Vec<&SourceFile>)> = (0..n).map(|_| (0, Vec::new())).collect();
        for f in order {
            let g = groups
                .iter_mut()
                .min_by_key(|(b, _)| *b)
                .expect("n >= 1 groups");
            g.0 += f.text.len();
            g.1.push(f);
        }
        groups.into_iter().map(|(_, g)| g).collect()
    }
}

/// Calls `f` with the text of each symbol in `src`: identifiers (raw ones
/// without `r#`), lifetimes (with the quote) and string literals (`"..."`,
/// `r#"..."#`, with quotes and any suffix), in source order.
pub fn for_each_symbol<'a>(src: &'a str, mut f: impl FnMut(&'a str)) {
    let start = ra_ap_rustc_lexer::strip_shebang(src).unwrap_or(0);
    let src = &src[start..];
    let mut at = 0usize;
    for tok in ra_ap_rustc_lexer::tokenize(src, FrontmatterAllowed::Yes) {
        let len = tok.len as usize;
        let text = &src[at..at + len];
        at += len;
        match tok.kind {
            TokenKind::RawIdent => f(text.strip_prefix("r#").unwrap_or(text)),
            TokenKind::Ident
            | TokenKind::Lifetime { .. }
            | TokenKind::RawLifetime
            | TokenKind::Literal {
                kind: LiteralKind::Str { .. } | LiteralKind::RawStr { .. },
                ..
            } => f(text),
            _ => {}
        }
    }
}

/// The symbol stream of a corpus, with `'static` slices (the corpus texts are
/// leaked for the life of the bench process).
#[derive(Debug, Clone)]
pub struct SymbolStream {
    /// Every symbol occurrence in corpus order.
    pub tokens: Vec<&'static str>,
    /// Distinct symbols in order of first occurrence.
    pub distinct: Vec<&'static str>,
}

impl SymbolStream {
    /// Lexes every file of `corpus` (leaking its texts).
    pub fn lex(corpus: Corpus) -> Self {
        let mut tokens = Vec::new();
        for file in corpus.files {
            let text: &'static str = Box::leak(file.text.into_boxed_str());
            for_each_symbol(text, |s| tokens.push(s));
        }
        let mut seen = HashSet::with_capacity(tokens.len() / 16);
        let distinct = tokens.iter().copied().filter(|s| seen.insert(*s)).collect();
        Self { tokens, distinct }
    }

    /// One line: tokens, distinct, average lengths.
    pub fn describe(&self) -> String {
        let avg =
            |v: &[&str]| v.iter().map(|s| s.len()).sum::<usize>() as f64 / v.len().max(1) as f64;
        format!(
            "symbols: {} tokens, {} distinct ({:.1} % hits on a first pass), avg length {:.1} B per token, {:.1} B per distinct",
            self.tokens.len(),
            self.distinct.len(),
            100.0 * (1.0 - self.distinct.len() as f64 / self.tokens.len().max(1) as f64),
            avg(&self.tokens),
            avg(&self.distinct)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_idents_lifetimes_and_strings() {
        let mut v = Vec::new();
        for_each_symbol(
            "#!/bin/x\nfn r#type<'a>(x: &'a str) -> u8 { let s = \"hi\"; r\"raw\"; b\"no\"; 'c'; 1 }",
            |s| v.push(s),
        );
        assert_eq!(
            v,
            [
                "fn", "type", "'a", "x", "'a", "str", "u8", "let", "s", "\"hi\"", "r\"raw\""
            ]
        );
    }

    #[test]
    fn balanced_groups_hold_every_file_once() {
        let c = Corpus {
            files: [5usize, 1, 3, 3, 2]
                .iter()
                .enumerate()
                .map(|(i, &n)| SourceFile {
                    path: PathBuf::from(i.to_string()),
                    text: "x".repeat(n),
                })
                .collect(),
            ..Corpus::default()
        };
        let g = c.balanced(2);
        let sizes: Vec<usize> = g
            .iter()
            .map(|g| g.iter().map(|f| f.text.len()).sum())
            .collect();
        assert_eq!(sizes.iter().sum::<usize>(), 14);
        assert!(sizes.iter().all(|&s| s == 7), "{sizes:?}");
    }
}
