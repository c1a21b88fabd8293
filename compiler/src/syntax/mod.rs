//! The front end's syntax layer: source checks, lexing, parsing.
//!
//! Pipeline for one file:
//! 1. [`check_source`] turns the loaded bytes into `&str` or a diagnostic
//!    (binary, not UTF-8, too large).
//! 2. [`lex_and_intern`] runs `ra_ap_rustc_lexer`, drops trivia, classifies
//!    keywords, interns identifiers, lifetimes and literals, and pairs
//!    delimiters. Punctuation stays single-character; the parser glues
//!    `::`, `->`, `>>=` from each token's `joint` flag, so `>>` closing two
//!    generic lists needs no splitting.
//! 3. [`parse_file`] / [`parse_with_buffer`] build the [`ast`] in a
//!    `bumpalo::Bump` by hand-written recursive descent with a Pratt loop for
//!    binary operators.
//!
//! Robustness: nothing here panics on any `&str`. Nesting deeper than
//! [`MAX_NESTING`] levels (or deeper than [`STACK_BUDGET`] bytes of stack)
//! yields "nesting too deep" and the parser skips the offending token tree
//! without recursion (delimiters are paired by the lexer). Errors are
//! recovered at item and statement level, every loop consumes a token or
//! exits, and at most [`diag::MAX_DIAGNOSTICS_PER_FILE`] diagnostics are kept
//! per file.
//!
//! ```
//! use tern_compiler::syntax::{self, FileId, LocalInterner};
//! let bump = bumpalo::Bump::new();
//! let interner = LocalInterner::default();
//! let mut diags = Vec::new();
//! let file = syntax::parse_file("pub fn f() -> u8 { 1 + 2 }", FileId(0), &bump, &interner, &mut diags);
//! assert!(diags.is_empty());
//! assert_eq!(file.items.len(), 1);
//! assert_eq!(file.items[0].kind_name(), "fn");
//! ```

pub mod ast;
pub mod diag;
pub mod lexer;
pub mod parser;
pub mod token;

use std::cell::RefCell;

pub use ast::SourceFile;
pub use diag::{Diagnostic, FileId, LineIndex};
pub use lexer::LexStats;
pub use token::{Token, TokenKind};

/// An interned string: a 4-byte handle. Made by the session's
/// `tern_intern::Interner` it carries that symbol's raw id (see the
/// [`Intern`] impl); [`LocalInterner`] numbers its own from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(u32);

impl Symbol {
    /// The symbol with raw index `index`.
    pub const fn from_u32(index: u32) -> Self {
        Symbol(index)
    }

    /// The raw index.
    pub const fn as_u32(self) -> u32 {
        self.0
    }
}

/// Where the lexer sends identifiers, lifetimes and literals.
pub trait Intern {
    /// Returns the symbol for `s`, the same for equal strings.
    fn intern(&self, s: &str) -> Symbol;
}

/// The session's concurrent interner: a syntax [`Symbol`] carries the
/// `tern_intern::Symbol`'s raw id unchanged.
///
/// ```
/// use tern_compiler::syntax::{Intern, Symbol};
/// let interner = tern_intern::Interner::new();
/// let a = Intern::intern(&interner, "alpha");
/// assert_eq!(a, Intern::intern(&interner, "alpha"));
/// assert_eq!(Symbol::from(interner.intern("alpha")), a);
/// ```
impl Intern for tern_intern::Interner {
    #[inline]
    fn intern(&self, s: &str) -> Symbol {
        Symbol::from(tern_intern::Interner::intern(self, s))
    }
}

impl From<tern_intern::Symbol> for Symbol {
    #[inline]
    fn from(sym: tern_intern::Symbol) -> Self {
        Symbol(sym.as_u32())
    }
}

/// A single-threaded interner for tests, fuzzing and tools (the driver uses
/// the concurrent one).
#[derive(Debug, Default)]
pub struct LocalInterner {
    inner: RefCell<LocalInner>,
}

#[derive(Default)]
struct LocalInner {
    /// Indices into `strings`, hashed by their text.
    table: hashbrown::HashTable<u32>,
    strings: Vec<Box<str>>,
    hasher: rustc_hash::FxBuildHasher,
}

impl std::fmt::Debug for LocalInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalInner")
            .field("strings", &self.strings.len())
            .finish_non_exhaustive()
    }
}

impl LocalInterner {
    /// The text of `sym`, if this interner made it.
    pub fn resolve(&self, sym: Symbol) -> Option<String> {
        self.inner
            .borrow()
            .strings
            .get(sym.0 as usize)
            .map(ToString::to_string)
    }

    /// Number of distinct strings interned.
    pub fn len(&self) -> usize {
        self.inner.borrow().strings.len()
    }

    /// Whether nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Intern for LocalInterner {
    fn intern(&self, s: &str) -> Symbol {
        use std::hash::BuildHasher;
        let mut guard = self.inner.borrow_mut();
        let inner = &mut *guard;
        let hash = inner.hasher.hash_one(s);
        let strings = &inner.strings;
        if let Some(&i) = inner.table.find(hash, |&i| &*strings[i as usize] == s) {
            return Symbol(i);
        }
        let i = inner.strings.len() as u32;
        inner.strings.push(s.into());
        let (strings, hasher) = (&inner.strings, &inner.hasher);
        inner
            .table
            .insert_unique(hash, i, |&j| hasher.hash_one(&*strings[j as usize]));
        Symbol(i)
    }
}

/// Largest accepted source file (bytes).
pub const MAX_SOURCE_LEN: usize = 64 << 20;

/// Deepest nesting of expressions, types, patterns, blocks and items that
/// the parser follows; deeper trees get "nesting too deep".
pub const MAX_NESTING: u32 = 256;

/// Stack the parser lets itself use below its entry point, whatever
/// [`MAX_NESTING`] says (debug builds use large frames): sized to fit a
/// 2 MiB rayon worker stack with room to spare.
pub const STACK_BUDGET: usize = 1 << 20;

/// Checks loaded bytes: size, binary content (a NUL byte), UTF-8.
///
/// # Errors
/// A diagnostic (at the offending byte's line and column) when the file is
/// over [`MAX_SOURCE_LEN`], contains a NUL byte, or is not UTF-8.
///
/// ```
/// use tern_compiler::syntax::{check_source, FileId};
/// assert_eq!(check_source(b"fn main() {}", FileId(0)).unwrap(), "fn main() {}");
/// let err = check_source(b"ok\n\xff", FileId(3)).unwrap_err();
/// assert_eq!((err.line, err.col), (2, 1));
/// assert!(check_source(b"\0ELF", FileId(0)).is_err());
/// ```
pub fn check_source(bytes: &[u8], file: FileId) -> Result<&str, Diagnostic> {
    let diag = |offset: usize, message: String| {
        let prefix = &bytes[..offset.min(bytes.len())];
        let line = memchr_count(prefix) + 1;
        let line_start = prefix
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        // Count UTF-8 characters (non-continuation bytes) for the column.
        let col = prefix[line_start..]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count() as u32
            + 1;
        Diagnostic {
            file,
            line,
            col,
            message,
        }
    };
    if bytes.len() > MAX_SOURCE_LEN {
        return Err(Diagnostic {
            file,
            line: 1,
            col: 1,
            message: format!(
                "file too large: {} bytes (limit {} bytes)",
                bytes.len(),
                MAX_SOURCE_LEN
            ),
        });
    }
    // `contains` on bytes is a word-at-a-time `memchr`; the byte loop only
    // runs to locate a NUL that is there.
    if let Some(nul) = bytes
        .contains(&0)
        .then(|| bytes.iter().position(|&b| b == 0))
        .flatten()
    {
        return Err(diag(
            nul,
            "binary file: contains a NUL byte; not Rust source".to_owned(),
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        diag(
            e.valid_up_to(),
            format!("file is not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })
}

/// Number of `\n` bytes.
fn memchr_count(bytes: &[u8]) -> u32 {
    bytes.split(|&b| b == b'\n').count() as u32 - 1
}

/// Lexes `src` into `tokens` (cleared first, reuse it across files),
/// interning identifiers, lifetimes and literals; lexical errors go to
/// `diags`. `tokens` ends with one [`TokenKind::Eof`].
///
/// ```
/// use tern_compiler::syntax::{lex_and_intern, FileId, LocalInterner, TokenKind};
/// let interner = LocalInterner::default();
/// let (mut toks, mut diags) = (Vec::new(), Vec::new());
/// let stats = lex_and_intern("let r#x = a::b; // c", FileId(0), &interner, &mut toks, &mut diags);
/// assert_eq!(stats.tokens, 8);
/// assert_eq!(stats.idents, 4);
/// assert_eq!(toks[1].kind, TokenKind::RawIdent);
/// assert!(toks[3].joint && toks[4].joint); // `a` `:` `:` glue
/// ```
pub fn lex_and_intern<I: Intern + ?Sized>(
    src: &str,
    file: FileId,
    interner: &I,
    tokens: &mut Vec<Token>,
    diags: &mut Vec<Diagnostic>,
) -> LexStats {
    let mut sink = diag::DiagSink::default();
    let stats = lexer::lex(src, interner, tokens, &mut sink);
    sink.flush(src, file, diags);
    stats
}

/// Lexes and parses `src` into an AST allocated in `bump`. Errors go to
/// `diags`; the result holds every item that parsed.
pub fn parse_file<'a, I: Intern + ?Sized>(
    src: &str,
    file: FileId,
    bump: &'a bumpalo::Bump,
    interner: &I,
    diags: &mut Vec<Diagnostic>,
) -> SourceFile<'a> {
    let mut tokens = Vec::new();
    parse_with_buffer(src, file, bump, interner, &mut tokens, diags)
}

/// [`parse_file`] with a caller-owned token buffer, reused across files to
/// avoid reallocating it (one per worker).
pub fn parse_with_buffer<'a, I: Intern + ?Sized>(
    src: &str,
    file: FileId,
    bump: &'a bumpalo::Bump,
    interner: &I,
    tokens: &mut Vec<Token>,
    diags: &mut Vec<Diagnostic>,
) -> SourceFile<'a> {
    let mut sink = diag::DiagSink::default();
    let stats = lexer::lex(src, interner, tokens, &mut sink);
    let mut file_ast = parser::parse_tokens(src, tokens, bump, interner, &mut sink);
    file_ast.stats = stats;
    sink.flush(src, file, diags);
    file_ast
}

#[cfg(test)]
mod tests;
