//! Unit tests of the syntax front door: source checks and lexing.

use super::*;

fn lex(src: &str) -> (Vec<Token>, Vec<Diagnostic>, LexStats) {
    let interner = LocalInterner::default();
    let (mut toks, mut diags) = (Vec::new(), Vec::new());
    let stats = lex_and_intern(src, FileId(0), &interner, &mut toks, &mut diags);
    (toks, diags, stats)
}

#[test]
fn check_source_rejects_binary_bad_utf8_and_huge() {
    assert!(check_source(b"", FileId(0)).is_ok());
    let nul = check_source(b"fn main() {}\n\0\x01", FileId(2)).unwrap_err();
    assert_eq!((nul.file, nul.line, nul.col), (FileId(2), 2, 1));
    assert!(nul.message.contains("binary"));
    let bad = check_source("é\u{1F600}x\n\u{e9}".as_bytes(), FileId(0));
    assert!(bad.is_ok());
    let bad = check_source(b"ab\xc3(", FileId(0)).unwrap_err();
    assert_eq!((bad.line, bad.col), (1, 3));
    assert!(bad.message.contains("UTF-8"));
    let huge = vec![b' '; MAX_SOURCE_LEN + 1];
    assert!(
        check_source(&huge, FileId(0))
            .unwrap_err()
            .message
            .contains("too large")
    );
}

#[test]
fn lexing_counts_tokens_and_identifiers() {
    let (toks, diags, stats) =
        lex("fn r#async<'a>(_x: &'a str) -> u8 { b'c' as u8 } // c\n/* b */");
    assert!(diags.is_empty());
    // fn r#async < 'a > ( _x : & 'a str ) - > u8 { b'c' as u8 }
    assert_eq!(stats.tokens, 20);
    // fn, r#async, _x, str, u8, as, u8
    assert_eq!(stats.idents, 7);
    assert_eq!(toks.len(), 21);
    assert_eq!(toks.last().unwrap().kind, TokenKind::Eof);
    assert_eq!(toks[0].kind, TokenKind::KwFn);
    assert_eq!(toks[1].kind, TokenKind::RawIdent);
    assert_eq!(toks[3].kind, TokenKind::Lifetime);
}

#[test]
fn joint_flags_and_delimiter_pairs() {
    let (toks, diags, _) = lex("a::b -> c >> = ( [ ] )");
    assert!(diags.is_empty());
    assert!(
        toks[1].joint && !toks[3].joint,
        "`::` glued, `b` then space"
    );
    assert!(toks[4].joint, "`->`");
    assert!(toks[7].joint && !toks[8].joint, "`>>` then a spaced `=`");
    assert_eq!(toks[10].pair, 13);
    assert_eq!(toks[13].pair, 10);
    assert_eq!(toks[11].pair, 12);
}

#[test]
fn lexical_errors_become_diagnostics() {
    let (_, diags, _) = lex("let s = \"open\nfn f() {}");
    assert_eq!(diags.len(), 1);
    assert!(diags[0].message.contains("unterminated"));
    let (_, diags, _) = lex("a € b /* never closed");
    assert_eq!(diags.len(), 2, "{diags:?}");
    assert_eq!((diags[0].line, diags[0].col), (1, 3));
    let (toks, diags, _) = lex("( ] }");
    assert_eq!(diags.len(), 3, "{diags:?}");
    assert_eq!(toks[0].pair, Token::NO_MATCH);
}

#[test]
fn shebang_and_bom_are_skipped() {
    let (toks, diags, _) = lex("\u{feff}#!/usr/bin/env run\nfn main() {}");
    assert!(diags.is_empty());
    assert_eq!(toks[0].kind, TokenKind::KwFn);
    let (toks, _, _) = lex("#![allow(x)]");
    assert_eq!(toks[0].kind, TokenKind::Pound);
}

#[test]
fn keyword_hash_agrees_with_the_keyword_list() {
    let kws = [
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
        "true", "type", "unsafe", "use", "where", "while",
    ];
    let mut kinds = std::collections::HashSet::new();
    for k in kws {
        let kind = TokenKind::keyword(k).unwrap_or_else(|| panic!("{k} not a keyword"));
        assert!(kind.is_keyword());
        assert!(kinds.insert(kind), "{k} shares a kind");
    }
    // Near misses: every prefix, every one-byte extension, case changes and
    // NUL padding of every keyword, plus contextual keywords.
    let mut others: Vec<String> = vec![
        "union".into(),
        "default".into(),
        "macro_rules".into(),
        "yield".into(),
        "try".into(),
        "_".into(),
        "SELF".into(),
        "x".into(),
        String::new(),
    ];
    for k in kws {
        for n in 0..k.len() {
            others.push(k[..n].to_owned());
            others.push(k[n + 1..].to_owned());
        }
        for c in ['a', 's', '_', '0', '\0', 'e'] {
            others.push(format!("{k}{c}"));
            others.push(format!("{c}{k}"));
        }
        others.push(k.to_uppercase());
        others.push(format!("{}\0", &k[..k.len() - 1]));
    }
    for o in &others {
        let want = kws.contains(&o.as_str());
        assert_eq!(TokenKind::keyword(o).is_some(), want, "{o:?}");
    }
}

/// Non-trivia tokens as one `rustc_lexer` cursor over the whole text sees
/// them: (lo, hi, counted as identifier), `#` split off guarded-string
/// prefixes. The lexer's fast path must reproduce exactly these spans.
fn reference_spans(src: &str) -> Vec<(u32, u32)> {
    use ra_ap_rustc_lexer::{Cursor, FrontmatterAllowed, TokenKind as K};
    let mut pos = lexer::skip_preamble(src);
    let mut cursor = Cursor::new(&src[pos..], FrontmatterAllowed::No);
    let mut out = Vec::new();
    loop {
        let t = cursor.advance_token();
        let (lo, hi) = (pos, pos + t.len as usize);
        pos = hi;
        match t.kind {
            K::Eof => break,
            K::Whitespace
            | K::LineComment { .. }
            | K::BlockComment { .. }
            | K::Frontmatter { .. } => {}
            K::GuardedStrPrefix => {
                out.push((lo as u32, lo as u32 + 1));
                pos = lo + 1;
                cursor = Cursor::new(&src[pos..], FrontmatterAllowed::No);
            }
            _ => out.push((lo as u32, hi as u32)),
        }
    }
    out
}

#[test]
fn fast_path_splits_tokens_exactly_like_rustc_lexer() {
    let tricky = [
        "r#type r#x br\"a\" br#\"b\"# b'c' b\"d\" c\"e\" cr\"f\" cr#\"g\"# k#h r\"i\" r#\"j\"#",
        "foo\"bar\" foo'x' foo#bar x'a 'a 'r#b '1a 'static '\\n' 'x' a''b",
        "ident\u{e9}tail _\u{e9} caf\u{e9} a\u{1F600}b \u{1F600} x\u{3000}y \u{2028}z",
        "a/b a//c\nd /* e /* f */ g */ h /** i */ j //! k\n/*! l */ m /* unterminated",
        "1 1.0 1e5 1.0e-5 0x1F 0b1_0 1u8 1.max(2) 1..2 1. .5 1.0f32 1e 0o7",
        "#\"x\"# ##x #[a] #![b] ## # a#b _ __ _a a_ A9 z0_ \t\r\x0b\x0c\n",
        "<<= >>= :: -> => ..= ... != && || $x @ ~ ? ^ % | & + * - = ! < > ; , . ( ) [ ] { }",
        "\u{feff}#!/bin/sh\nfn main() { let x = 1; }",
        "\u{0}\u{7f}\u{80}` \\ x",
        "",
        "a",
        "r",
        "r#",
        "b'",
        "x\"unterminated",
        "\"a\\\"b\" \"a\\\\\" \"x\"suffix \"\\\\\\\"\" \"\u{e9}\"x \"q\"\u{e9} \"\\n\"_ \"\"\"\" \"a\"#",
        "1_000 1. 1.. 0 9e 1# 1' 1\" 1\u{e9} 12abc 3_u8 7.x 0.0",
        "a // c\r\n b //\n// end",
        "x //",
        "\"unterminated \\\"",
    ];
    let mut sources: Vec<String> = tricky.iter().map(|s| (*s).to_owned()).collect();
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/syntax"));
    for p in tern_tests::corpus::rust_files(dir) {
        sources.push(std::fs::read_to_string(p).unwrap());
    }
    for src in &sources {
        let (toks, _, _) = lex(src);
        let got: Vec<(u32, u32)> = toks[..toks.len() - 1]
            .iter()
            .map(|t| (t.lo, t.hi))
            .collect();
        assert_eq!(got, reference_spans(src), "{src:?}");
        for w in toks.windows(2) {
            assert_eq!(
                w[0].joint,
                w[0].hi == w[1].lo && w[1].kind != TokenKind::Eof
            );
        }
    }
}

#[test]
fn cached_identifiers_keep_their_symbols_and_kinds() {
    use std::fmt::Write;
    // Many distinct short identifiers, so cache slots collide and get
    // replaced, mixed with keywords, `_` and long identifiers.
    let mut src = String::new();
    for i in 0..3000u32 {
        let a = (b'a' + (i % 26) as u8) as char;
        let b = (b'a' + (i / 26 % 26) as u8) as char;
        let n = i % 7;
        write!(
            src,
            "{a}{b}{n} fn _ self {a} long_identifier_{i} Self id_{a}{n}_{b}{b}{a}{a}{b} "
        )
        .unwrap();
    }
    let interner = LocalInterner::default();
    let (mut toks, mut diags) = (Vec::new(), Vec::new());
    let stats = lex_and_intern(&src, FileId(0), &interner, &mut toks, &mut diags);
    assert!(diags.is_empty());
    assert_eq!(stats.idents as usize, toks.len() - 1);
    for t in &toks[..toks.len() - 1] {
        let text = &src[t.lo as usize..t.hi as usize];
        assert_eq!(t.sym, Some(interner.intern(text)), "{text}");
        let kind = if text == "_" {
            TokenKind::Underscore
        } else {
            TokenKind::keyword(text).unwrap_or(TokenKind::Ident)
        };
        assert_eq!(t.kind, kind, "{text}");
    }
}
