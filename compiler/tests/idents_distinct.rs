//! `idents_distinct` checked against an independent count.
//!
//! The count here comes from a small hand-written scanner that shares no code
//! with ternc (which uses ra-ap-rustc_lexer): it skips comments (nested block
//! comments too), string, byte-string, C-string and raw-string literals, char and
//! byte literals (told apart from lifetimes), numbers with their suffixes, and
//! collects identifier texts, raw identifiers without their `r#`, keywords
//! included, lifetimes excluded.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn is_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Identifier texts of `src`, by an independent scanner.
#[expect(
    clippy::many_single_char_names,
    reason = "a scanner over `s[i]`, `c`, `n` reads best short"
)]
fn scan(src: &str, out: &mut BTreeSet<String>) {
    let s: Vec<char> = src.chars().collect();
    let n = s.len();
    let at = |i: usize| s.get(i).copied().unwrap_or('\0');
    let mut i = 0;
    // A shebang line is not code.
    if src.starts_with("#!") && !src.starts_with("#![") {
        while i < n && s[i] != '\n' {
            i += 1;
        }
    }
    // Skips a quoted literal whose opening quote is at `i`; returns the index after it.
    let quoted = |mut i: usize, q: char| -> usize {
        i += 1;
        while i < n && s[i] != q {
            if s[i] == '\\' {
                i += 1;
            }
            i += 1;
        }
        i + 1
    };
    // Skips a raw string whose `r` is at `i` (followed by `#`* and `"`).
    let raw = |mut i: usize| -> usize {
        i += 1;
        let mut hashes = 0;
        while at(i) == '#' {
            hashes += 1;
            i += 1;
        }
        i += 1; // the opening quote
        loop {
            if i >= n {
                return n;
            }
            if s[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                return i + 1 + hashes;
            }
            i += 1;
        }
    };
    let ident_end = |mut i: usize| -> usize {
        while i < n && is_continue(s[i]) {
            i += 1;
        }
        i
    };
    while i < n {
        let c = s[i];
        if c == '/' && at(i + 1) == '/' {
            while i < n && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < n {
                if s[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            i = quoted(i, '"');
            i = ident_end(i); // a literal suffix is part of the literal
        } else if c == '\'' {
            // Char literal or lifetime/label.
            if at(i + 1) == '\\' || (at(i + 2) == '\'' && at(i + 1) != '\'') {
                i = quoted(i, '\'');
            } else if is_start(at(i + 1)) || at(i + 1) == 'r' {
                let mut j = i + 1;
                if at(j) == 'r' && at(j + 1) == '#' {
                    j += 2;
                }
                i = ident_end(j);
            } else {
                // A lone quote followed by something else: a char like '(' was
                // caught above; anything left is skipped.
                i += 1;
            }
        } else if c.is_ascii_digit() {
            let start = i;
            i += 1;
            while i < n {
                let exp_sign = matches!(s[i], '+' | '-')
                    && matches!(s[i - 1], 'e' | 'E')
                    && !is_hex_number(&s, start);
                if is_continue(s[i]) || (s[i] == '.' && at(i + 1).is_ascii_digit()) || exp_sign {
                    i += 1;
                } else {
                    break;
                }
            }
        } else if is_start(c) {
            // Literal prefixes: b"", b'', br"", r"", r#"", c"", cr"".
            let next = at(i + 1);
            match (c, next) {
                ('r', '#') if is_start(at(i + 2)) => {
                    let end = ident_end(i + 2);
                    out.insert(s[i + 2..end].iter().collect());
                    i = end;
                }
                ('r', '"' | '#') => i = raw(i),
                ('b' | 'c', 'r') if matches!(at(i + 2), '"' | '#') => i = raw(i + 1),
                ('b' | 'c', '"') => i = ident_end(quoted(i + 1, '"')),
                ('b', '\'') => i = ident_end(quoted(i + 1, '\'')),
                _ => {
                    let end = ident_end(i);
                    out.insert(s[i..end].iter().collect());
                    i = end;
                }
            }
        } else {
            i += 1;
        }
    }
}

/// Whether the number starting at `s[start]` is hexadecimal (there `e` is a digit
/// and a following sign is an operator).
fn is_hex_number(s: &[char], start: usize) -> bool {
    s[start] == '0' && matches!(s.get(start + 1), Some('x' | 'X'))
}

fn ternc_idents(paths: &[PathBuf]) -> u64 {
    let out = Command::new(env!("CARGO_BIN_EXE_ternc"))
        .args(["--json", "--no-progress"])
        .args(paths)
        .output()
        .expect("ternc runs");
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["files"].as_u64().unwrap(), paths.len() as u64);
    j["idents_distinct"].as_u64().unwrap()
}

fn independent(paths: &[PathBuf]) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for p in paths {
        scan(&std::fs::read_to_string(p).unwrap(), &mut set);
    }
    set
}

const TRICKY: &str = r###"#!/usr/bin/env run
// line comment with fake_ident_1
/* block /* nested fake_ident_2 */ still comment fake_ident_3 */
/// doc comment fake_ident_4
fn tricky<'life, 'r#raw_life>(x: &'life str) -> &'life str {
    let r#type = "string with fake_ident_5 and \" quote fake_ident_6";
    let raw = r#"raw "fake_ident_7" string"#;
    let raw2 = r##"raw with "# inside fake_ident_8"##;
    let bytes = b"bytes fake_ident_9";
    let braw = br#"braw fake_ident_10"#;
    let cstr = c"cstr fake_ident_11";
    let ch = 'c';
    let esc = '\'';
    let uni = '\u{1F600}';
    let byte = b'z';
    let n = 0x1f_u32 + 1e10 as u32 + 2.5f64 as u32 + 1_000usize as u32;
    let range = 0..10;
    let tuple = (1, 2).0;
    'outer: loop { break 'outer; }
    let café = 1;
    let _ = (r#type, raw, raw2, bytes, braw, cstr, ch, esc, uni, byte, n, range, tuple, café);
    x
}
"###;

#[test]
fn scanner_knows_the_tricky_cases() {
    let mut set = BTreeSet::new();
    scan(TRICKY, &mut set);
    assert!(set.iter().all(|s| !s.starts_with("fake_ident")), "{set:?}");
    for want in [
        "fn", "tricky", "type", "str", "u32", "loop", "break", "x", "café",
    ] {
        assert!(set.contains(want), "{want} missing from {set:?}");
    }
    for unwanted in [
        "life", "raw_life", "outer", "c", "z", "r", "br", "usize", "f64", "e10", "f_u32",
    ] {
        assert!(!set.contains(unwanted), "{unwanted} wrongly in {set:?}");
    }
}

#[test]
fn tricky_file_matches() {
    let dir = std::env::temp_dir().join(format!("ternc-idents-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("tricky.rs");
    std::fs::write(&p, TRICKY).unwrap();
    let want = independent(std::slice::from_ref(&p)).len() as u64;
    let got = ternc_idents(std::slice::from_ref(&p));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(got, want);
}

/// Real files: this crate's own sources and, when the cargo registry cache has
/// them, a few large files of popular crates.
#[test]
fn real_files_match() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = [
        "src/syntax/lexer.rs",
        "src/syntax/parser/expr.rs",
        "tests/idents_distinct.rs",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    for (name, file) in [
        ("serde_json", "src/de.rs"),
        ("rayon", "src/iter/mod.rs"),
        ("ra-ap-rustc_lexer", "src/lib.rs"),
        ("bumpalo", "src/lib.rs"),
    ] {
        for krate in tern_tests::corpus::registry_crate(name) {
            if krate.join(file).is_file() {
                files.push(krate.join(file));
            }
        }
    }
    let want = independent(&files);
    let got = ternc_idents(&files);
    assert_eq!(got, want.len() as u64, "files: {files:?}");
}
