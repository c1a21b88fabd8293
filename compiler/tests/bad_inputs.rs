//! Bad inputs: each gives diagnostics and returns, never panics, never
//! overflows the stack, never hangs.
//!
//! Inputs are generated here (no large binaries are committed) except the
//! small hand-written cases in `tests/fixtures/bad/*.rs.txt` (not `.rs`, so
//! ternc's default corpus walk does not pick them up), whose first line
//! names where an error must be reported: `// error-at: LINE:COL`.

use tern_compiler::syntax::{self, Diagnostic, FileId, LocalInterner, MAX_SOURCE_LEN, TokenKind};

fn parse(src: &str) -> (usize, Vec<Diagnostic>) {
    let bump = tern_arena::Arenas::for_any_thread();
    let interner = LocalInterner::default();
    let mut diags = Vec::new();
    let file = syntax::parse_file(src, FileId(1), bump.local_arena(), &interner, &mut diags);
    (file.items.len(), diags)
}

/// Runs `f` on a thread with a 2 MiB stack, the default for spawned threads
/// and so for rayon's workers: the parser must fit there in debug builds.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("parser thread panicked or overflowed")
}

/// A tiny deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn binary_files_are_rejected_before_parsing() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.extend((0..4096).map(|_| rng.next() as u8));
    let d = syntax::check_source(&elf, FileId(4)).unwrap_err();
    assert_eq!((d.file, d.line, d.col), (FileId(4), 1, 8));
    assert!(d.message.contains("binary"), "{}", d.message);
    // Random bytes: rejected as binary or non-UTF-8, never accepted.
    for seed in 1..50u64 {
        let mut rng = Rng(seed * 7919);
        let bytes: Vec<u8> = (0..1000).map(|_| rng.next() as u8).collect();
        assert!(syntax::check_source(&bytes, FileId(0)).is_err());
    }
}

#[test]
fn non_utf8_is_rejected_with_its_position() {
    let mut src = b"fn main() {\n    let s = \"".to_vec();
    src.extend_from_slice(&[0xC3, 0x28]); // invalid continuation byte
    src.extend_from_slice(b"\";\n}\n");
    let d = syntax::check_source(&src, FileId(0)).unwrap_err();
    assert_eq!((d.line, d.col), (2, 14));
    assert!(d.message.contains("UTF-8"));
    // Latin-1 text.
    assert!(syntax::check_source(b"// caf\xe9\nfn f() {}", FileId(0)).is_err());
    // Oversized input.
    let big = vec![b'a'; MAX_SOURCE_LEN + 1];
    assert!(
        syntax::check_source(&big, FileId(0))
            .unwrap_err()
            .message
            .contains("too large")
    );
}

#[test]
fn megabyte_identifier() {
    let ident = "x".repeat(1 << 20);
    // Alone it is not an item.
    let (items, diags) = parse(&ident);
    assert_eq!(items, 0);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0].message.starts_with("expected item"));
    // As a name it is fine.
    let (items, diags) = parse(&format!("fn {ident}() {{ let {ident} = 1; }}"));
    assert_eq!((items, diags.len()), (1, 0));
}

/// Nesting shapes, each repeated 100,000 times around a core.
fn deep_cases(depth: usize) -> Vec<(&'static str, String)> {
    let n = depth;
    vec![
        (
            "parens",
            format!("fn f() {{ {}1{}; }}", "(".repeat(n), ")".repeat(n)),
        ),
        (
            "brackets",
            format!("fn f() {{ {}1{}; }}", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "braces",
            format!("fn f() {}{}", "{".repeat(n), "}".repeat(n)),
        ),
        ("unclosed braces", format!("fn f() {}", "{".repeat(n))),
        (
            "unclosed parens",
            format!("fn f() {{ g{} }}", "(".repeat(n)),
        ),
        (
            "generics",
            format!("type T = {}u8{};", "Vec<".repeat(n), ">".repeat(n)),
        ),
        ("unary", format!("fn f() {{ {}x; }}", "!-*".repeat(n / 3))),
        ("refs", format!("fn f() {{ let x = {}y; }}", "&".repeat(n))),
        ("ref types", format!("type T = {}u8;", "&".repeat(n))),
        ("closures", format!("fn f() {{ {}x; }}", "|x| ".repeat(n))),
        (
            "patterns",
            format!("fn f() {{ let {}x{} = 1; }}", "(".repeat(n), ")".repeat(n)),
        ),
        ("mods", format!("{}{}", "mod m { ".repeat(n), "}".repeat(n))),
        (
            "else if",
            format!("fn f() {{ {} {{}} }}", "if a {} else ".repeat(n / 8)),
        ),
        ("binary", format!("fn f() {{ 1{}; }}", " + 1".repeat(n))),
        ("assign", format!("fn f() {{ {}1; }}", "a = ".repeat(n))),
        (
            "method chain",
            format!("fn f() {{ x{}; }}", ".f()".repeat(n)),
        ),
        ("attrs", format!("{}fn f() {{}}", "#[a]".repeat(n))),
        (
            "use groups",
            format!("use {}a{};", "a::{".repeat(n), "}".repeat(n)),
        ),
        (
            "bounds",
            format!("fn f<T: {}A{}>() {{}}", "(".repeat(n), ")".repeat(n)),
        ),
        (
            "arrays in types",
            format!("type T = {}u8{};", "[".repeat(n), "; 1]".repeat(n)),
        ),
    ]
}

#[test]
fn hundred_thousand_deep_nesting_on_a_small_stack() {
    on_small_stack(|| {
        for (name, src) in deep_cases(100_000) {
            let (_, diags) = parse(&src);
            // Long chains that are not nesting (binary operators, method
            // calls, else-if, attributes) parse without error; the rest report.
            let flat = matches!(name, "binary" | "method chain" | "else if" | "attrs");
            if flat {
                assert!(
                    diags.is_empty(),
                    "{name}: {:?}",
                    &diags[..diags.len().min(3)]
                );
            } else {
                assert!(!diags.is_empty(), "{name}: no diagnostic");
                assert!(diags.len() <= 101, "{name}: {} diagnostics", diags.len());
            }
        }
    });
}

#[test]
fn nesting_within_the_limit_is_not_an_error() {
    on_small_stack(|| {
        for (name, src) in deep_cases(60) {
            if name.starts_with("unclosed") {
                continue;
            }
            let (_, diags) = parse(&src);
            assert!(
                diags.is_empty(),
                "{name}: {:?}",
                &diags[..diags.len().min(3)]
            );
        }
    });
}

#[test]
fn truncated_real_files() {
    let sources = [
        include_str!("../src/syntax/parser/expr.rs"),
        include_str!("../src/syntax/ast.rs"),
        include_str!("parse_fidelity.rs"),
    ];
    let mut cuts = 0;
    for src in sources {
        let (_, diags) = parse(src);
        assert!(diags.is_empty(), "the uncut file parses: {diags:?}");
        // Cut right after every `{` token: the prefix is unbalanced, so it
        // must report; also cut at a spread of arbitrary char boundaries.
        let interner = LocalInterner::default();
        let (mut toks, mut lex_diags) = (Vec::new(), Vec::new());
        syntax::lex_and_intern(src, FileId(0), &interner, &mut toks, &mut lex_diags);
        for t in toks.iter().filter(|t| t.kind == TokenKind::OpenBrace) {
            let (_, diags) = parse(&src[..t.hi as usize]);
            assert!(
                !diags.is_empty(),
                "cut after byte {} gave no diagnostic",
                t.hi
            );
            cuts += 1;
        }
        let step = (src.len() / 300).max(1);
        for i in (0..src.len()).step_by(step) {
            if src.is_char_boundary(i) {
                parse(&src[..i]);
                cuts += 1;
            }
        }
    }
    assert!(cuts > 500);
}

#[test]
fn random_garbage_tokens() {
    const VOCAB: &[&str] = &[
        "fn",
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        "<",
        ">",
        ">>",
        "::",
        ":",
        ";",
        ",",
        ".",
        "..",
        "=",
        "==",
        "=>",
        "->",
        "|",
        "||",
        "&",
        "&&",
        "!",
        "?",
        "#",
        "@",
        "'a",
        "x",
        "y",
        "1",
        "1.0",
        "\"s\"",
        "struct",
        "enum",
        "impl",
        "trait",
        "let",
        "if",
        "else",
        "match",
        "for",
        "in",
        "while",
        "loop",
        "mut",
        "ref",
        "pub",
        "use",
        "mod",
        "as",
        "dyn",
        "where",
        "move",
        "+",
        "-",
        "*",
        "/",
        "_",
        "Self",
        "self",
        "return",
        "break",
        "unsafe",
        "const",
        "static",
        "type",
        "async",
        "await",
        "macro_rules",
        "$",
        "~",
        "'",
        "\"",
        "r#",
        "0x",
        "/*",
        "union",
        "auto",
        "default",
        "safe",
        "extern",
        "crate",
        "raw",
        "try",
        "yield",
        "box",
        "macro",
        "builtin",
        "\"C\"",
    ];
    let mut total_diags = 0;
    for seed in 1..=300u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let len = rng.below(400);
        let mut src = String::new();
        for _ in 0..len {
            src.push_str(VOCAB[rng.below(VOCAB.len())]);
            src.push(if rng.below(3) == 0 { '\n' } else { ' ' });
        }
        let (_, diags) = parse(&src);
        assert!(diags.len() <= 101);
        for d in &diags {
            assert!(d.line >= 1 && d.col >= 1 && !d.message.is_empty());
        }
        total_diags += diags.len();
    }
    assert!(total_diags > 300, "garbage should mostly be reported");
}

/// Real files with token ranges deleted, duplicated or moved (a
/// deterministic stand-in for the libFuzzer target, on a small stack): no
/// panic, no hang, diagnostics inside the file. `TERN_SPLICE_ROUNDS` runs
/// more rounds than the default.
#[test]
fn spliced_real_files() {
    let rounds: u64 = std::env::var("TERN_SPLICE_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    on_small_stack(move || {
        let sources = [
            include_str!("../src/syntax/parser/expr.rs"),
            include_str!("../src/syntax/parser/item.rs"),
            include_str!("../src/syntax/visit.rs"),
            include_str!("../src/syntax/parser/tests.rs"),
        ];
        let interner = LocalInterner::default();
        let mut reported = 0;
        for round in 1..=rounds {
            let mut rng = Rng(round.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let src = sources[rng.below(sources.len())];
            let (mut toks, mut lex_diags) = (Vec::new(), Vec::new());
            syntax::lex_and_intern(src, FileId(0), &interner, &mut toks, &mut lex_diags);
            // The file as pieces, one token with the trivia after it each:
            // splicing whole pieces keeps the damage structural.
            let mut pieces: Vec<&str> = toks
                .windows(2)
                .map(|w| &src[w[0].lo as usize..w[1].lo as usize])
                .collect();
            for _ in 0..=rng.below(4) {
                let i = rng.below(pieces.len());
                let j = (i + 1 + rng.below(40)).min(pieces.len());
                let range: Vec<&str> = pieces.drain(i..j).collect();
                match rng.below(3) {
                    0 => {}
                    1 => {
                        let again = range.clone();
                        pieces.splice(i..i, range.into_iter().chain(again));
                    }
                    _ => {
                        let k = rng.below(pieces.len() + 1);
                        pieces.splice(k..k, range);
                    }
                }
            }
            let text = pieces.concat();
            let (_, diags) = parse(&text);
            let lines = text.split('\n').count() as u32;
            for d in &diags {
                assert!(d.line >= 1 && d.line <= lines && d.col >= 1, "{d:?}");
            }
            reported += usize::from(!diags.is_empty());
        }
        assert!(reported as u64 > rounds / 2, "most splices break the file");
    });
}

#[test]
fn random_bytes_as_text() {
    // Printable ASCII and a few multi-byte characters: exercises the lexer's
    // error paths and UTF-8 column arithmetic.
    let alphabet: Vec<char> = (0x20u8..0x7f)
        .map(char::from)
        .chain(['é', '€', '\u{1F600}', '\n', '\t', '\u{feff}'])
        .collect();
    for seed in 1..=200u64 {
        let mut rng = Rng(seed.wrapping_mul(6_364_136_223_846_793_005) | 1);
        let src: String = (0..rng.below(2000))
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        let bytes = src.as_bytes();
        let checked = syntax::check_source(bytes, FileId(0)).expect("valid UTF-8");
        parse(checked);
    }
}

#[test]
fn fixtures_report_where_expected() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".rs.txt"))
        .collect();
    entries.sort();
    assert!(entries.len() >= 10);
    for path in entries {
        let src = std::fs::read_to_string(&path).expect("read fixture");
        let want = src
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// error-at: "))
            .expect("first line names the error position");
        let (line, col) = want.split_once(':').expect("LINE:COL");
        let (line, col): (u32, u32) = (line.parse().unwrap(), col.parse().unwrap());
        let (_, diags) = parse(&src);
        assert!(
            diags.iter().any(|d| d.line == line && d.col == col),
            "{}: no diagnostic at {line}:{col}; got {:?}",
            path.display(),
            diags
        );
        let rendered = diags[0].display("f.rs").to_string();
        assert!(rendered.starts_with("f.rs:"), "{rendered}");
    }
}
