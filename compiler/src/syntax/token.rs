//! Tokens as the parser sees them: one per `rustc_lexer` token that is not
//! trivia, with punctuation still split into single characters.
//!
//! Multi-character operators (`::`, `->`, `>>=`, ...) are glued lazily by the
//! parser from [`Token::joint`], which records that the next token starts
//! exactly where this one ends. Keeping `>` single means `Vec<Vec<u8>>` needs
//! no token splitting.

use super::Symbol;
use super::ast::Span;

/// The kind of a [`Token`]. Keywords have their own kinds (the lexer
/// classifies identifiers), contextual keywords (`union`, `auto`, `default`,
/// `macro_rules`, `raw`, `safe`, `yield`, `try`) stay [`TokenKind::Ident`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TokenKind {
    /// An identifier that is not a strict keyword (`_` excluded).
    Ident,
    /// `r#ident`; its symbol is interned without the `r#`.
    RawIdent,
    /// `'a`, `'static`, `'r#a` (symbol includes the `'`, excludes `r#`).
    Lifetime,
    /// A literal; [`Token::lit`] says which kind.
    Literal,
    /// `_`
    Underscore,
    Semi,
    Comma,
    Dot,
    OpenParen,
    CloseParen,
    OpenBrace,
    CloseBrace,
    OpenBracket,
    CloseBracket,
    At,
    Pound,
    Tilde,
    Question,
    Colon,
    Dollar,
    Eq,
    Bang,
    Lt,
    Gt,
    Minus,
    And,
    Or,
    Plus,
    Star,
    Slash,
    Caret,
    Percent,
    /// A character `rustc_lexer` does not know (already reported).
    Unknown,
    /// End of input; the token vector always ends with exactly one.
    Eof,
    KwAs,
    KwAsync,
    KwAwait,
    KwBreak,
    KwConst,
    KwContinue,
    KwCrate,
    KwDyn,
    KwElse,
    KwEnum,
    KwExtern,
    KwFalse,
    KwFn,
    KwFor,
    KwIf,
    KwImpl,
    KwIn,
    KwLet,
    KwLoop,
    KwMatch,
    KwMod,
    KwMove,
    KwMut,
    KwPub,
    KwRef,
    KwReturn,
    KwSelfValue,
    KwSelfType,
    KwStatic,
    KwStruct,
    KwSuper,
    KwTrait,
    KwTrue,
    KwType,
    KwUnsafe,
    KwUse,
    KwWhere,
    KwWhile,
}

impl TokenKind {
    /// The keyword kind for an identifier's text, if it is a strict keyword.
    #[inline]
    pub fn keyword(text: &str) -> Option<TokenKind> {
        use TokenKind as T;
        // Length first: most identifiers are longer than any keyword or fail
        // on the first byte comparison.
        if text.len() < 2 || text.len() > 8 {
            return None;
        }
        Some(match text {
            "as" => T::KwAs,
            "async" => T::KwAsync,
            "await" => T::KwAwait,
            "break" => T::KwBreak,
            "const" => T::KwConst,
            "continue" => T::KwContinue,
            "crate" => T::KwCrate,
            "dyn" => T::KwDyn,
            "else" => T::KwElse,
            "enum" => T::KwEnum,
            "extern" => T::KwExtern,
            "false" => T::KwFalse,
            "fn" => T::KwFn,
            "for" => T::KwFor,
            "if" => T::KwIf,
            "impl" => T::KwImpl,
            "in" => T::KwIn,
            "let" => T::KwLet,
            "loop" => T::KwLoop,
            "match" => T::KwMatch,
            "mod" => T::KwMod,
            "move" => T::KwMove,
            "mut" => T::KwMut,
            "pub" => T::KwPub,
            "ref" => T::KwRef,
            "return" => T::KwReturn,
            "self" => T::KwSelfValue,
            "Self" => T::KwSelfType,
            "static" => T::KwStatic,
            "struct" => T::KwStruct,
            "super" => T::KwSuper,
            "trait" => T::KwTrait,
            "true" => T::KwTrue,
            "type" => T::KwType,
            "unsafe" => T::KwUnsafe,
            "use" => T::KwUse,
            "where" => T::KwWhere,
            "while" => T::KwWhile,
            _ => return None,
        })
    }

    /// Whether this kind is a keyword.
    pub fn is_keyword(self) -> bool {
        self as u8 >= TokenKind::KwAs as u8
    }

    /// Whether this is an opening delimiter.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            TokenKind::OpenParen | TokenKind::OpenBrace | TokenKind::OpenBracket
        )
    }

    /// Whether this is a closing delimiter.
    pub fn is_close(self) -> bool {
        matches!(
            self,
            TokenKind::CloseParen | TokenKind::CloseBrace | TokenKind::CloseBracket
        )
    }

    /// A short human description used in diagnostics.
    pub fn describe(self) -> &'static str {
        use TokenKind as T;
        match self {
            T::Ident | T::RawIdent => "identifier",
            T::Lifetime => "lifetime",
            T::Literal => "literal",
            T::Underscore => "`_`",
            T::Semi => "`;`",
            T::Comma => "`,`",
            T::Dot => "`.`",
            T::OpenParen => "`(`",
            T::CloseParen => "`)`",
            T::OpenBrace => "`{`",
            T::CloseBrace => "`}`",
            T::OpenBracket => "`[`",
            T::CloseBracket => "`]`",
            T::At => "`@`",
            T::Pound => "`#`",
            T::Tilde => "`~`",
            T::Question => "`?`",
            T::Colon => "`:`",
            T::Dollar => "`$`",
            T::Eq => "`=`",
            T::Bang => "`!`",
            T::Lt => "`<`",
            T::Gt => "`>`",
            T::Minus => "`-`",
            T::And => "`&`",
            T::Or => "`|`",
            T::Plus => "`+`",
            T::Star => "`*`",
            T::Slash => "`/`",
            T::Caret => "`^`",
            T::Percent => "`%`",
            T::Unknown => "unknown token",
            T::Eof => "end of file",
            _ => "keyword",
        }
    }
}

/// Literal kinds, as written (no value is computed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum LitKind {
    #[default]
    Int,
    Float,
    Char,
    Byte,
    Str,
    ByteStr,
    CStr,
    RawStr,
    RawByteStr,
    RawCStr,
    /// `true` / `false` (only in the AST; never a token's `lit`).
    Bool,
}

/// One non-trivia token. `Copy`, 24 bytes at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// The next token starts exactly at `hi` (no whitespace or comment
    /// between): `:` `:` joint is `::`.
    pub joint: bool,
    /// Literal kind, meaningful only for [`TokenKind::Literal`].
    pub lit: LitKind,
    /// Byte offset of the first byte.
    pub lo: u32,
    /// Byte offset one past the last byte.
    pub hi: u32,
    /// For delimiters: the index of the matching delimiter, or
    /// [`Token::NO_MATCH`]. Otherwise 0.
    pub pair: u32,
    /// For identifiers, keywords, lifetimes and literals: the interned text.
    pub sym: Option<Symbol>,
}

impl Token {
    /// `pair` of a delimiter that has no partner.
    pub const NO_MATCH: u32 = u32::MAX;

    /// The token's span.
    #[inline]
    pub fn span(&self) -> Span {
        Span {
            lo: self.lo,
            hi: self.hi,
        }
    }
}
