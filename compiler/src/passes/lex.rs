//! Lexing with ra-ap-rustc_lexer and interning identifiers, lifetimes and literals.

use ra_ap_rustc_lexer::{FrontmatterAllowed, TokenKind, strip_shebang, tokenize};
use rustc_hash::FxHashSet;

use crate::session::{Interner, Symbol};

/// What lexing one file found.
#[derive(Debug, Default)]
pub struct LexOut {
    /// Tokens other than whitespace and comments.
    pub tokens: u64,
    /// Identifier tokens (`Ident` and `RawIdent`, keywords included).
    pub idents: u64,
    /// Distinct identifier symbols of this file (raw identifiers without `r#`).
    pub ident_syms: FxHashSet<Symbol>,
}

/// Lexes `src`, interning identifiers, lifetimes and literals into `interner`.
pub fn lex(src: &str, interner: &Interner) -> LexOut {
    let mut out = LexOut::default();
    // A `#!` first line is not Rust (rustc strips it before lexing, too).
    let mut pos = strip_shebang(src).unwrap_or(0);
    for tok in tokenize(&src[pos..], FrontmatterAllowed::Yes) {
        let len = tok.len as usize;
        let text = &src[pos..pos + len];
        pos += len;
        match tok.kind {
            TokenKind::Whitespace
            | TokenKind::LineComment { .. }
            | TokenKind::BlockComment { .. } => continue,
            TokenKind::Ident => {
                out.idents += 1;
                out.ident_syms.insert(interner.intern(text));
            }
            TokenKind::RawIdent => {
                out.idents += 1;
                out.ident_syms.insert(interner.intern(&text[2..]));
            }
            TokenKind::Lifetime { .. } | TokenKind::RawLifetime | TokenKind::Literal { .. } => {
                interner.intern(text);
            }
            _ => {}
        }
        out.tokens += 1;
    }
    out
}
