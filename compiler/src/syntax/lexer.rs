//! Lexing on top of `ra_ap_rustc_lexer`: trivia dropped, identifiers
//! classified into keywords, identifiers, lifetimes and literals interned,
//! delimiters paired, lexical errors turned into diagnostics.
//!
//! Speed: the common ASCII tokens (whitespace, line comments, plain
//! identifiers, one-character punctuation, plain decimal integers, strings
//! without suffix) are lexed by a byte loop here; anything else goes to
//! `rustc_lexer` one token at a time, so the token stream is exactly
//! `rustc_lexer`'s (tested against a whole-file cursor). Identifiers of at
//! most 16 bytes go through a per-file cache in front of the interner.
//!
//! Comments, doc comments included, are trivia: doc comments are not turned
//! into `#[doc]` attributes (nothing downstream reads documentation), so a
//! stray doc comment is never an error here.

use ra_ap_rustc_lexer::{self as rl, Cursor, FrontmatterAllowed, LiteralKind};

use super::Intern;
use super::diag::DiagSink;
use super::token::{self, KEYWORD_COUNT, LitKind, Token, TokenKind};

/// Counts from lexing one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LexStats {
    /// Tokens that are not trivia (comments and whitespace), end of file
    /// excluded.
    pub tokens: u32,
    /// Identifier tokens: `rustc_lexer` `Ident` and `RawIdent` tokens, keywords
    /// and `_` included, lifetimes excluded.
    pub idents: u32,
}

/// Byte offset where Rust text starts: after a byte-order mark and a shebang
/// line (as `syn::parse_file` and rustc skip them).
pub fn skip_preamble(src: &str) -> usize {
    let mut start = 0;
    if src.starts_with('\u{feff}') {
        start = 3;
    }
    if let Some(len) = rl::strip_shebang(&src[start..]) {
        start += len;
    }
    start
}

/// Bytes that continue an ASCII identifier: letters, digits, `_`.
static IDENT_CONTINUE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_';
        c += 1;
    }
    t
};

struct Lexer<'s, 'o, I: ?Sized> {
    src: &'s str,
    interner: &'o I,
    out: &'o mut Vec<Token>,
    sink: &'o mut DiagSink,
    open: Vec<u32>,
    stats: LexStats,
    /// Each keyword's symbol once this file has interned it: later
    /// occurrences skip the interner (about a third of all identifiers).
    kw_syms: [Option<super::Symbol>; KEYWORD_COUNT],
    /// Direct-mapped cache of ASCII identifiers of at most 16 bytes met in
    /// this file. The packed words and the length determine such a text
    /// exactly (no NUL bytes, zero padding), so a hit is the interner's own
    /// answer.
    short_idents: Box<[ShortIdent; SHORT_IDENT_SLOTS]>,
}

/// A cached identifier: first word, last word (0 up to 8 bytes), length,
/// kind, symbol.
type ShortIdent = (u64, u64, u32, TokenKind, super::Symbol);

/// Slots of [`Lexer::short_idents`].
const SHORT_IDENT_SLOTS: usize = 256;

/// Lexes `src` into `out` (cleared first). `out` always ends with one
/// [`TokenKind::Eof`] token at `src.len()`.
pub(crate) fn lex<I: Intern + ?Sized>(
    src: &str,
    interner: &I,
    out: &mut Vec<Token>,
    sink: &mut DiagSink,
) -> LexStats {
    out.clear();
    if u32::try_from(src.len()).is_err() {
        // Offsets are `u32`; `check_source` rejects such files long before.
        sink.error(0, "file too large to lex (over 4 GiB)".to_owned());
        out.push(Token {
            kind: TokenKind::Eof,
            joint: false,
            lit: LitKind::Int,
            lo: 0,
            hi: 0,
            pair: 0,
            sym: None,
        });
        return LexStats::default();
    }
    // About one token per 4.5 bytes of real Rust.
    out.reserve(src.len() / 4 + 1);
    let mut lx = Lexer {
        src,
        interner,
        out,
        sink,
        open: Vec::new(),
        stats: LexStats::default(),
        kw_syms: [None; KEYWORD_COUNT],
        short_idents: Box::new([(0, 0, 0, TokenKind::Ident, super::NO_SYMBOL); SHORT_IDENT_SLOTS]),
    };
    lx.run();
    lx.stats
}

impl<I: Intern + ?Sized> Lexer<'_, '_, I> {
    fn run(&mut self) {
        let src = self.src;
        let bytes = src.as_bytes();
        let mut pos = skip_preamble(src);
        // Fast path for the common ASCII tokens (whitespace, plain
        // identifiers, one-character punctuation); everything else, and
        // anything whose meaning depends on what follows, goes to
        // `rustc_lexer` one token at a time. `rustc_lexer`'s cursor keeps no
        // state between tokens (frontmatter is off), so starting a fresh one
        // at any token boundary lexes exactly what one cursor over the whole
        // file would; only the splitting of whitespace runs, which are
        // dropped, can differ.
        while let Some(&b) = bytes.get(pos) {
            let kind = match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C => {
                    pos += 1;
                    // Indentation: eight spaces at a time.
                    while let Some(w) = bytes.get(pos..pos + 8) {
                        if w != b"        " {
                            break;
                        }
                        pos += 8;
                    }
                    while bytes
                        .get(pos)
                        .is_some_and(|&c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C))
                    {
                        pos += 1;
                    }
                    continue;
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    let mut end = pos + 1;
                    while bytes.get(end).is_some_and(|&c| IDENT_CONTINUE[c as usize]) {
                        end += 1;
                    }
                    // `rustc_lexer` turns `r#x`, `b'x'`, `br"x"`, `k#x`,
                    // `foo"x"` (a reserved prefix) and identifiers continuing
                    // with a non-ASCII character into other tokens: leave
                    // those to it.
                    let next = bytes.get(end).copied().unwrap_or(b' ');
                    if next.is_ascii() && !matches!(next, b'#' | b'"' | b'\'') {
                        self.ascii_ident(&src[pos..end], pos, end);
                        pos = end;
                        continue;
                    }
                    None
                }
                b'/' if bytes.get(pos + 1) == Some(&b'/') => {
                    // A line comment (doc or not) runs to the newline.
                    pos = bytes[pos..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(bytes.len(), |n| pos + n);
                    continue;
                }
                b'0'..=b'9' => {
                    // A plain decimal integer; prefixes, suffixes, floats,
                    // exponents and ranges go to `rustc_lexer`.
                    let mut end = pos + 1;
                    while bytes
                        .get(end)
                        .is_some_and(|&c| c.is_ascii_digit() || c == b'_')
                    {
                        end += 1;
                    }
                    let next = bytes.get(end).copied().unwrap_or(b' ');
                    if next.is_ascii()
                        && !IDENT_CONTINUE[next as usize]
                        && !matches!(next, b'.' | b'#' | b'"' | b'\'')
                    {
                        let sym = self.interner.intern(&src[pos..end]);
                        self.push(TokenKind::Literal, LitKind::Int, pos, end, Some(sym));
                        pos = end;
                        continue;
                    }
                    None
                }
                b'"' => {
                    // A string without suffix; `\\` and `\"` escape the
                    // quote as in `rustc_lexer` (any other escaped byte is
                    // neither a quote nor a backslash, so scanning it changes
                    // nothing).
                    let mut end = pos + 1;
                    let mut closed = false;
                    while let Some(&c) = bytes.get(end) {
                        end += 1;
                        match c {
                            b'"' => {
                                closed = true;
                                break;
                            }
                            b'\\' if matches!(bytes.get(end), Some(b'\\' | b'"')) => end += 1,
                            _ => {}
                        }
                    }
                    let next = bytes.get(end).copied().unwrap_or(b' ');
                    if closed && next.is_ascii() && !IDENT_CONTINUE[next as usize] {
                        let sym = self.interner.intern(&src[pos..end]);
                        self.push(TokenKind::Literal, LitKind::Str, pos, end, Some(sym));
                        pos = end;
                        continue;
                    }
                    None
                }
                b';' => Some(TokenKind::Semi),
                b',' => Some(TokenKind::Comma),
                b'.' => Some(TokenKind::Dot),
                b'(' => Some(TokenKind::OpenParen),
                b')' => Some(TokenKind::CloseParen),
                b'{' => Some(TokenKind::OpenBrace),
                b'}' => Some(TokenKind::CloseBrace),
                b'[' => Some(TokenKind::OpenBracket),
                b']' => Some(TokenKind::CloseBracket),
                b'@' => Some(TokenKind::At),
                b'~' => Some(TokenKind::Tilde),
                b'?' => Some(TokenKind::Question),
                b':' => Some(TokenKind::Colon),
                b'$' => Some(TokenKind::Dollar),
                b'=' => Some(TokenKind::Eq),
                b'!' => Some(TokenKind::Bang),
                b'<' => Some(TokenKind::Lt),
                b'>' => Some(TokenKind::Gt),
                b'-' => Some(TokenKind::Minus),
                b'&' => Some(TokenKind::And),
                b'|' => Some(TokenKind::Or),
                b'+' => Some(TokenKind::Plus),
                b'*' => Some(TokenKind::Star),
                b'^' => Some(TokenKind::Caret),
                b'%' => Some(TokenKind::Percent),
                // `/` (comments), `#` (guarded strings), quotes, digits,
                // non-ASCII and the rest.
                _ => None,
            };
            if let Some(kind) = kind {
                if kind.is_open() || kind.is_close() {
                    self.punct(kind, pos, pos + 1);
                } else {
                    self.push(kind, LitKind::Int, pos, pos + 1, None);
                }
                pos += 1;
            } else {
                pos = self.slow_token(pos);
            }
        }
        while let Some(open) = self.open.pop() {
            let lo = self.out[open as usize].lo as usize;
            self.err(lo, "unclosed delimiter");
        }
        // Every token pushed so far is one that counts (`out` started empty).
        self.stats.tokens = self.out.len() as u32;
        let end = src.len() as u32;
        self.out.push(Token {
            kind: TokenKind::Eof,
            joint: false,
            lit: LitKind::Int,
            lo: end,
            hi: end,
            pair: 0,
            sym: None,
        });
    }

    /// Lexes one token at `pos < src.len()` with `rustc_lexer`; returns
    /// where the next token starts.
    fn slow_token(&mut self, pos: usize) -> usize {
        use rl::TokenKind as K;
        let src = self.src;
        let t = Cursor::new(&src[pos..], FrontmatterAllowed::No).advance_token();
        let lo = pos;
        let hi = pos + t.len as usize;
        let kind = match t.kind {
            // Not reached with `pos < src.len()`; stop cleanly anyway.
            K::Eof => return src.len(),
            K::Whitespace | K::LineComment { .. } | K::Frontmatter { .. } => return hi,
            K::BlockComment { terminated, .. } => {
                if !terminated {
                    self.err(lo, "unterminated block comment");
                }
                return hi;
            }
            K::Ident | K::UnknownPrefix | K::ForcedKeywordIdent => {
                let counted = matches!(t.kind, K::Ident);
                self.ident(&src[lo..hi], lo, hi, counted);
                return hi;
            }
            K::InvalidIdent => {
                self.err(lo, "identifiers cannot contain emoji");
                self.ident(&src[lo..hi], lo, hi, false);
                return hi;
            }
            K::RawIdent => {
                let sym = self.interner.intern(&src[lo + 2..hi]);
                self.stats.idents += 1;
                self.push(TokenKind::RawIdent, LitKind::Int, lo, hi, Some(sym));
                return hi;
            }
            K::Lifetime { starts_with_number } => {
                if starts_with_number {
                    self.err(lo, "lifetimes cannot start with a number");
                }
                let sym = self.interner.intern(&src[lo..hi]);
                self.push(TokenKind::Lifetime, LitKind::Int, lo, hi, Some(sym));
                return hi;
            }
            K::RawLifetime => {
                // `'r#a` is the lifetime `'a`.
                let mut text = String::with_capacity(hi - lo - 2);
                text.push('\'');
                text.push_str(&src[lo + 3..hi]);
                let sym = self.interner.intern(&text);
                self.push(TokenKind::Lifetime, LitKind::Int, lo, hi, Some(sym));
                return hi;
            }
            K::UnknownPrefixLifetime => {
                let sym = self.interner.intern(&src[lo..hi]);
                self.push(TokenKind::Lifetime, LitKind::Int, lo, hi, Some(sym));
                return hi;
            }
            K::GuardedStrPrefix => {
                // Only reserved in edition 2024: lex it as `#` and
                // restart after it, as older editions do.
                self.push(TokenKind::Pound, LitKind::Int, lo, lo + 1, None);
                return lo + 1;
            }
            K::Literal { kind, .. } => {
                let lit = self.literal(kind, lo);
                let sym = self.interner.intern(&src[lo..hi]);
                self.push(TokenKind::Literal, lit, lo, hi, Some(sym));
                return hi;
            }
            K::Semi => TokenKind::Semi,
            K::Comma => TokenKind::Comma,
            K::Dot => TokenKind::Dot,
            K::OpenParen => TokenKind::OpenParen,
            K::CloseParen => TokenKind::CloseParen,
            K::OpenBrace => TokenKind::OpenBrace,
            K::CloseBrace => TokenKind::CloseBrace,
            K::OpenBracket => TokenKind::OpenBracket,
            K::CloseBracket => TokenKind::CloseBracket,
            K::At => TokenKind::At,
            K::Pound => TokenKind::Pound,
            K::Tilde => TokenKind::Tilde,
            K::Question => TokenKind::Question,
            K::Colon => TokenKind::Colon,
            K::Dollar => TokenKind::Dollar,
            K::Eq => TokenKind::Eq,
            K::Bang => TokenKind::Bang,
            K::Lt => TokenKind::Lt,
            K::Gt => TokenKind::Gt,
            K::Minus => TokenKind::Minus,
            K::And => TokenKind::And,
            K::Or => TokenKind::Or,
            K::Plus => TokenKind::Plus,
            K::Star => TokenKind::Star,
            K::Slash => TokenKind::Slash,
            K::Caret => TokenKind::Caret,
            K::Percent => TokenKind::Percent,
            K::Unknown => {
                let c = src[lo..hi].chars().next().unwrap_or('?');
                self.err(lo, &format!("unknown start of token: {}", c.escape_debug()));
                TokenKind::Unknown
            }
        };
        self.punct(kind, lo, hi);
        hi
    }

    /// Pushes a punctuation or delimiter token, pairing delimiters.
    #[inline]
    fn punct(&mut self, kind: TokenKind, lo: usize, hi: usize) {
        if kind.is_open() {
            self.open.push(self.out.len() as u32);
            self.push(kind, LitKind::Int, lo, hi, None);
            let last = self.out.len() - 1;
            self.out[last].pair = Token::NO_MATCH;
        } else if kind.is_close() {
            let idx = self.out.len() as u32;
            self.push(kind, LitKind::Int, lo, hi, None);
            // Common case: the innermost open delimiter is the partner.
            let want = match kind {
                TokenKind::CloseParen => TokenKind::OpenParen,
                TokenKind::CloseBrace => TokenKind::OpenBrace,
                _ => TokenKind::OpenBracket,
            };
            if let Some(&o) = self.open.last()
                && let Some(open) = self.out.get_mut(o as usize)
                && open.kind == want
            {
                open.pair = idx;
                self.open.pop();
                if let Some(close) = self.out.last_mut() {
                    close.pair = o;
                }
            } else {
                self.close(idx, kind);
            }
        } else {
            self.push(kind, LitKind::Int, lo, hi, None);
        }
    }

    /// An identifier of ASCII letters, digits and `_` (the fast path's).
    #[inline]
    fn ascii_ident(&mut self, text: &str, lo: usize, hi: usize) {
        let b = text.as_bytes();
        let n = b.len();
        if n > 16 {
            self.ident(text, lo, hi, true);
            return;
        }
        // Up to 8 bytes: one zero-padded word. 9 to 16: the first and the
        // last eight bytes; with the length they determine the text.
        let (w1, w2) = if n <= 8 {
            (token::pack_short(b), 0)
        } else {
            (token::pack_short(&b[..8]), token::pack_short(&b[n - 8..]))
        };
        let key = w1 ^ w2.rotate_left(29) ^ n as u64;
        let slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize;
        let e = self.short_idents[slot];
        if e.0 == w1 && e.1 == w2 && e.2 == n as u32 {
            self.stats.idents += 1;
            self.push(e.3, LitKind::Int, lo, hi, Some(e.4));
            return;
        }
        self.ident(text, lo, hi, true);
        if let Some(t) = self.out.last()
            && let Some(sym) = t.sym
        {
            self.short_idents[slot] = (w1, w2, n as u32, t.kind, sym);
        }
    }

    #[inline]
    fn ident(&mut self, text: &str, lo: usize, hi: usize, counted: bool) {
        if counted {
            self.stats.idents += 1;
        }
        let (kind, sym) = if let Some(i) = token::keyword_index(text) {
            let sym = if let Some(sym) = self.kw_syms[i] {
                sym
            } else {
                let sym = self.interner.intern(text);
                self.kw_syms[i] = Some(sym);
                sym
            };
            (TokenKind::keyword_at(i), sym)
        } else if text == "_" {
            (TokenKind::Underscore, self.interner.intern(text))
        } else {
            (TokenKind::Ident, self.interner.intern(text))
        };
        self.push(kind, LitKind::Int, lo, hi, Some(sym));
    }

    #[inline]
    fn push(
        &mut self,
        kind: TokenKind,
        lit: LitKind,
        lo: usize,
        hi: usize,
        sym: Option<super::Symbol>,
    ) {
        let (lo, hi) = (lo as u32, hi as u32);
        if let Some(prev) = self.out.last_mut() {
            prev.joint = prev.hi == lo;
        }
        self.out.push(Token {
            kind,
            joint: false,
            lit,
            lo,
            hi,
            pair: 0,
            sym,
        });
    }

    fn close(&mut self, idx: u32, kind: TokenKind) {
        let want = match kind {
            TokenKind::CloseParen => TokenKind::OpenParen,
            TokenKind::CloseBrace => TokenKind::OpenBrace,
            _ => TokenKind::OpenBracket,
        };
        let found = self
            .open
            .iter()
            .rposition(|&o| self.out[o as usize].kind == want);
        if let Some(at) = found {
            // Openers above the partner are left unclosed.
            while self.open.len() > at + 1 {
                let o = self.open.pop().unwrap_or_default();
                let lo = self.out[o as usize].lo as usize;
                self.err(lo, "unclosed delimiter");
            }
            let o = self.open.pop().unwrap_or_default();
            self.out[o as usize].pair = idx;
            self.out[idx as usize].pair = o;
        } else {
            self.out[idx as usize].pair = Token::NO_MATCH;
            let lo = self.out[idx as usize].lo as usize;
            self.err(lo, "unexpected closing delimiter");
        }
    }

    fn literal(&mut self, kind: LiteralKind, lo: usize) -> LitKind {
        use LiteralKind as L;
        let (lit, ok) = match kind {
            L::Int { empty_int, .. } => {
                if empty_int {
                    self.err(lo, "no valid digits found for number");
                }
                (LitKind::Int, true)
            }
            L::Float { empty_exponent, .. } => {
                if empty_exponent {
                    self.err(lo, "expected at least one digit in exponent");
                }
                (LitKind::Float, true)
            }
            L::Char { terminated } => (LitKind::Char, terminated),
            L::Byte { terminated } => (LitKind::Byte, terminated),
            L::Str { terminated } => (LitKind::Str, terminated),
            L::ByteStr { terminated } => (LitKind::ByteStr, terminated),
            L::CStr { terminated } => (LitKind::CStr, terminated),
            L::RawStr { n_hashes } => (LitKind::RawStr, n_hashes.is_some()),
            L::RawByteStr { n_hashes } => (LitKind::RawByteStr, n_hashes.is_some()),
            L::RawCStr { n_hashes } => (LitKind::RawCStr, n_hashes.is_some()),
        };
        if !ok {
            self.err(lo, "unterminated or invalid literal");
        }
        lit
    }

    fn err(&mut self, lo: usize, msg: &str) {
        self.sink.error(lo as u32, msg.to_owned());
    }
}
