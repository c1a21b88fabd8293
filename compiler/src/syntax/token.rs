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
    ///
    /// One multiply-shift hash of the text packed into a `u64` picks the only
    /// keyword it could be, then one word comparison decides: no string
    /// comparisons on the lexer's hot path.
    ///
    /// ```
    /// use tern_compiler::syntax::TokenKind;
    /// assert_eq!(TokenKind::keyword("continue"), Some(TokenKind::KwContinue));
    /// assert_eq!(TokenKind::keyword("Self"), Some(TokenKind::KwSelfType));
    /// assert_eq!(TokenKind::keyword("selfish"), None);
    /// assert_eq!(TokenKind::keyword("a\0"), None);
    /// ```
    #[inline]
    pub fn keyword(text: &str) -> Option<TokenKind> {
        keyword_index(text).map(|i| KEYWORDS[i].1)
    }

    /// The kind of keyword number `i` (`i < KEYWORD_COUNT`).
    #[inline]
    pub(crate) fn keyword_at(i: usize) -> TokenKind {
        KEYWORDS[i].1
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

/// Number of strict keywords.
pub(crate) const KEYWORD_COUNT: usize = 38;

/// The index of `text` among the strict keywords (`0..KEYWORD_COUNT`), if
/// it is one; see [`TokenKind::keyword`].
#[inline]
pub(crate) fn keyword_index(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    // Keywords are 2 to 8 bytes long.
    if b.len() < 2 || b.len() > 8 {
        return None;
    }
    let w = pack_word(b);
    let i = KEYWORD_SLOTS[keyword_slot(w)] as usize;
    // Both words hold the text's bytes zero-padded, so equal words and equal
    // lengths mean equal text (the length check rules out a `text` ending in
    // NUL bytes).
    if i < KEYWORD_COUNT && KEYWORDS[i].0 == w && kw_len(w) == b.len() {
        Some(i)
    } else {
        None
    }
}

/// The strict keywords: text and kind.
const KEYWORD_TEXTS: [(&str, TokenKind); KEYWORD_COUNT] = {
    use TokenKind as T;
    [
        ("as", T::KwAs),
        ("async", T::KwAsync),
        ("await", T::KwAwait),
        ("break", T::KwBreak),
        ("const", T::KwConst),
        ("continue", T::KwContinue),
        ("crate", T::KwCrate),
        ("dyn", T::KwDyn),
        ("else", T::KwElse),
        ("enum", T::KwEnum),
        ("extern", T::KwExtern),
        ("false", T::KwFalse),
        ("fn", T::KwFn),
        ("for", T::KwFor),
        ("if", T::KwIf),
        ("impl", T::KwImpl),
        ("in", T::KwIn),
        ("let", T::KwLet),
        ("loop", T::KwLoop),
        ("match", T::KwMatch),
        ("mod", T::KwMod),
        ("move", T::KwMove),
        ("mut", T::KwMut),
        ("pub", T::KwPub),
        ("ref", T::KwRef),
        ("return", T::KwReturn),
        ("self", T::KwSelfValue),
        ("Self", T::KwSelfType),
        ("static", T::KwStatic),
        ("struct", T::KwStruct),
        ("super", T::KwSuper),
        ("trait", T::KwTrait),
        ("true", T::KwTrue),
        ("type", T::KwType),
        ("unsafe", T::KwUnsafe),
        ("use", T::KwUse),
        ("where", T::KwWhere),
        ("while", T::KwWhile),
    ]
};

/// Each keyword as its little-endian, zero-padded `u64` word, with its kind.
const KEYWORDS: [(u64, TokenKind); KEYWORD_COUNT] = {
    let mut out = [(0u64, TokenKind::Eof); KEYWORD_COUNT];
    let mut i = 0;
    while i < KEYWORD_TEXTS.len() {
        let b = KEYWORD_TEXTS[i].0.as_bytes();
        let mut w = 0u64;
        let mut j = 0;
        while j < b.len() {
            w |= (b[j] as u64) << (8 * j);
            j += 1;
        }
        out[i] = (w, KEYWORD_TEXTS[i].1);
        i += 1;
    }
    out
};

/// Multiplier of the keyword hash, found by search so that the 38 keyword
/// words land in 38 distinct slots of 64 (checked when `KEYWORD_SLOTS` is
/// built: a collision fails compilation).
const KEYWORD_HASH: u64 = 0x078d_ae9d_77d6_1dd7;

/// Slot of a packed word in [`KEYWORD_SLOTS`].
#[inline]
const fn keyword_slot(w: u64) -> usize {
    (w.wrapping_mul(KEYWORD_HASH) >> 58) as usize
}

/// Index into [`KEYWORDS`] of the keyword hashing to each slot; `u8::MAX`
/// for none.
const KEYWORD_SLOTS: [u8; 64] = {
    let mut slots = [u8::MAX; 64];
    let mut i = 0;
    while i < KEYWORDS.len() {
        let s = keyword_slot(KEYWORDS[i].0);
        assert!(slots[s] == u8::MAX, "keyword hash collision");
        slots[s] = i as u8;
        i += 1;
    }
    slots
};

/// Number of bytes before the zero padding of a keyword word.
#[inline]
const fn kw_len(w: u64) -> usize {
    8 - (w.leading_zeros() / 8) as usize
}

/// Packs 1 to 8 bytes little-endian into a zero-padded `u64`.
#[inline]
pub(crate) fn pack_short(b: &[u8]) -> u64 {
    if b.len() >= 2 {
        pack_word(b)
    } else {
        b.first().map_or(0, |&c| u64::from(c))
    }
}

/// Packs 2 to 8 bytes little-endian into a zero-padded `u64` with two
/// overlapping loads (no per-byte loop).
#[inline]
fn pack_word(b: &[u8]) -> u64 {
    let n = b.len();
    debug_assert!((2..=8).contains(&n));
    if n >= 4 {
        let lo = u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let hi = u64::from(u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]));
        // The overlapping bytes are the same in both halves, so OR is exact.
        lo | (hi << (8 * (n - 4)))
    } else {
        let lo = u64::from(u16::from_le_bytes([b[0], b[1]]));
        let hi = u64::from(u16::from_le_bytes([b[n - 2], b[n - 1]]));
        lo | (hi << (8 * (n - 2)))
    }
}
