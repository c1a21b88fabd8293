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
//!    tern-arena [`AstArena`] (the thread's arena of a set) by hand-written recursive descent with a Pratt loop for
//!    binary operators.
//! 4. Passes read the tree through a [`visit::Visitor`], overriding only the
//!    nodes they care about.
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
//! let arenas = tern_arena::Arenas::for_any_thread();
//! let interner = LocalInterner::default();
//! let mut diags = Vec::new();
//! let file = syntax::parse_file("pub fn f() -> u8 { 1 + 2 }", FileId(0), arenas.local_arena(), &interner, &mut diags);
//! assert!(diags.is_empty());
//! assert_eq!(file.items.len(), 1);
//! assert_eq!(file.items[0].kind_name(), "fn");
//! ```

pub mod ast;
pub mod diag;
pub mod lexer;
pub mod parser;
pub mod token;
pub mod visit;

pub use ast::SourceFile;
pub use diag::{Diagnostic, FileId, LineIndex};
pub use lexer::LexStats;
pub use token::{Token, TokenKind};

/// An interned string: the session interner's 4-byte [`tern_intern::Symbol`].
/// Keywords, including the contextual ones (`union`, `auto`, `default`,
/// `macro_rules`, `raw`, `safe`), are pre-interned constants in
/// [`tern_intern::kw`], so the parser compares symbols, never text.
pub use tern_intern::Symbol;
pub use tern_intern::kw;

/// The symbol an identifier or lifetime token gets when the lexer gave it
/// none (it always does; this only keeps the parser total): an id no interner
/// hands out, which resolves to nothing.
pub const NO_SYMBOL: Symbol = match Symbol::from_u32(u32::MAX) {
    Some(s) => s,
    None => panic!("u32::MAX is not 0"),
};

/// Where the lexer sends identifiers, lifetimes and literals.
///
/// Contract: the strings of [`kw`] intern to those constants (as every
/// `tern_intern::Interner` built with the default pre-interned table does):
/// the parser recognizes contextual keywords by comparing symbols with them.
pub trait Intern {
    /// Returns the symbol for `s`, the same for equal strings.
    fn intern(&self, s: &str) -> Symbol;
}

/// The concurrent interner itself.
///
/// ```
/// use tern_compiler::syntax::Intern;
/// let interner = tern_intern::Interner::new();
/// let a = Intern::intern(&interner, "alpha");
/// assert_eq!(a, interner.intern("alpha"));
/// assert_eq!(Intern::intern(&interner, "union"), tern_intern::kw::Union);
/// ```
impl Intern for tern_intern::Interner {
    #[inline]
    fn intern(&self, s: &str) -> Symbol {
        tern_intern::Interner::intern(self, s)
    }
}

/// An interner for tests, fuzzing and tools that parse one file at a time:
/// a `tern_intern::Interner` with the default pre-interned keywords, whose
/// `resolve` answers `None` for a symbol it did not make.
#[derive(Debug, Default)]
pub struct LocalInterner {
    inner: tern_intern::Interner,
}

impl LocalInterner {
    /// The text of `sym`, if this interner made it.
    pub fn resolve(&self, sym: Symbol) -> Option<String> {
        self.inner.try_resolve(sym).map(str::to_owned)
    }

    /// Number of distinct strings interned (the pre-interned keywords and
    /// well-known names included).
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether nothing was interned (never: keywords are pre-interned).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Intern for LocalInterner {
    #[inline]
    fn intern(&self, s: &str) -> Symbol {
        self.inner.intern(s)
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

/// Where the parser puts the AST: the calling thread's arena of a tern-arena set, so the
/// set's stats count the AST (`arenas.local_arena()`, looked up once per file).
pub type AstArena<'a, K = tern_arena::Session> = tern_arena::LocalArena<'a, K>;

/// Lexes and parses `src` into an AST allocated in `arena`. Errors go to
/// `diags`; the result holds every item that parsed.
pub fn parse_file<'a, I: Intern + ?Sized, K: tern_arena::Kind>(
    src: &str,
    file: FileId,
    arena: AstArena<'a, K>,
    interner: &I,
    diags: &mut Vec<Diagnostic>,
) -> SourceFile<'a> {
    let mut tokens = Vec::new();
    parse_with_buffer(src, file, arena, interner, &mut tokens, diags)
}

/// [`parse_file`] with a caller-owned token buffer, reused across files to
/// avoid reallocating it (one per worker).
pub fn parse_with_buffer<'a, I: Intern + ?Sized, K: tern_arena::Kind>(
    src: &str,
    file: FileId,
    arena: AstArena<'a, K>,
    interner: &I,
    tokens: &mut Vec<Token>,
    diags: &mut Vec<Diagnostic>,
) -> SourceFile<'a> {
    let mut sink = diag::DiagSink::default();
    let stats = lexer::lex(src, interner, tokens, &mut sink);
    let mut file_ast = parser::parse_tokens(src, tokens, arena, interner, &mut sink);
    file_ast.stats = stats;
    sink.flush(src, file, diags);
    file_ast
}

#[cfg(test)]
mod tests;
