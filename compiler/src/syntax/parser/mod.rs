//! Recursive-descent parser over the token vector.
//!
//! Conventions:
//! - Every parse function returns `PResult`; an `Err` means a diagnostic was
//!   already emitted, and it propagates with `?` to the nearest recovery
//!   point: the item loop (`Parser::parse_items`) or the statement loop of a
//!   block. Recovery walks token trees from the failed construct's first
//!   token (delimiters were paired by the lexer, so skipping a tree is O(1))
//!   to a `;`, a `}`-closed body, an item keyword or the container's closer.
//! - Lists are built on shared scratch stacks (`Scratch`): a list notes the
//!   stack length, pushes its finished elements (nested lists push and pop
//!   above them), then copies its segment into the arena and truncates.
//!   Recovery points restore every stack to a `Mark`. Comma-separated lists
//!   all go through `Parser::comma_list` (`list.rs`).
//! - Token-kind sets (first sets, recovery sets) are `TokenSet` constants in
//!   `token_set.rs`; contextual keywords (`union`, `auto`, `default`, ...) are
//!   identifiers compared by symbol against [`kw`](crate::syntax::kw).
//! - Which item starts at the cursor is decided once, by lookahead
//!   (`Parser::item_start` in `item.rs`), for item lists and statements.
//! - Recursion is guarded by `Parser::enter`: at most [`MAX_NESTING`] levels
//!   and [`STACK_BUDGET`] bytes of stack.
//!
//! [`MAX_NESTING`]: super::MAX_NESTING
//! [`STACK_BUDGET`]: super::STACK_BUDGET

mod adt;
mod attr;
mod expr;
mod fn_sig;
mod item;
mod list;
mod pat;
mod token_set;
mod trait_impl;
mod ty;
mod use_tree;

use super::AstArena;
use tern_arena::Kind;

use super::ast::{
    Arm, Attribute, ClosureParam, Expr, ExprField, FieldDef, FieldPat, GenericArg, GenericBound,
    GenericParam, Generics, Ident, Item, Lifetime, Lit, Param, Pat, PathSegment, SourceFile, Span,
    Stmt, Ty, UseTree, Variant, WherePredicate,
};
use super::ast::{BareFnParam, Delim, Delimited, ExprKind, Path, QPath, QSelf};
use super::diag::DiagSink;
use super::token::{Token, TokenKind as T};
use super::{Intern, LexStats, MAX_NESTING, STACK_BUDGET, Symbol};
use token_set::{ITEM_RECOVERY, TokenSet};

use list::{Elem, List, ListEnd};

/// Proof that a diagnostic was emitted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reported;

pub(crate) type PResult<T> = Result<T, Reported>;

macro_rules! scratch {
    ($($field:ident: $ty:ty,)*) => {
        /// Shared stacks the lists of the tree are built on.
        #[derive(Default)]
        pub(crate) struct Scratch<'a> {
            $(pub(crate) $field: Vec<$ty>,)*
        }

        /// Lengths of every scratch stack at a recovery point.
        #[derive(Clone, Copy)]
        pub(crate) struct Mark {
            $($field: usize,)*
        }

        impl<'a> Scratch<'a> {
            fn mark(&self) -> Mark {
                Mark { $($field: self.$field.len(),)* }
            }

            fn restore(&mut self, m: Mark) {
                $(self.$field.truncate(m.$field);)*
            }
        }

        $(
            impl<'a> OnScratch<'a> for $ty {
                #[inline]
                fn stack<'s>(sc: &'s mut Scratch<'a>) -> &'s mut Vec<Self> {
                    &mut sc.$field
                }
            }
        )*
    };
}

/// A node type with a scratch stack of its own (each has exactly one), so a
/// list of it knows where to build itself.
pub(crate) trait OnScratch<'a>: Copy {
    /// The node type's stack.
    fn stack<'s>(sc: &'s mut Scratch<'a>) -> &'s mut Vec<Self>;
}

scratch! {
    items: Item<'a>,
    attrs: Attribute<'a>,
    exprs: Expr<'a>,
    pats: Pat<'a>,
    tys: Ty<'a>,
    stmts: Stmt<'a>,
    params: Param<'a>,
    gparams: GenericParam<'a>,
    gargs: GenericArg<'a>,
    bounds: GenericBound<'a>,
    preds: WherePredicate<'a>,
    segs: PathSegment<'a>,
    fields: FieldDef<'a>,
    variants: Variant<'a>,
    arms: Arm<'a>,
    uses: UseTree<'a>,
    field_pats: FieldPat<'a>,
    expr_fields: ExprField<'a>,
    lifetimes: Lifetime,
    cparams: ClosureParam<'a>,
    fnparams: BareFnParam<'a>,
}

/// Copies `v[start..]` into the arena and truncates `v` to `start`.
fn finish<'a, T: Copy, K: Kind>(arena: AstArena<'a, K>, v: &mut Vec<T>, start: usize) -> &'a [T] {
    if v.len() <= start {
        v.truncate(start);
        return &[];
    }
    let s = arena.alloc_slice_copy(&v[start..]);
    v.truncate(start);
    s
}

/// Parses a lexed file. `toks` must come from [`super::lexer::lex`] on
/// the same `src` (it ends with `Eof`).
pub(crate) fn parse_tokens<'a, I: Intern + ?Sized, K: Kind>(
    src: &str,
    toks: &[Token],
    arena: AstArena<'a, K>,
    interner: &I,
    sink: &mut DiagSink,
) -> SourceFile<'a> {
    debug_assert_eq!(
        interner.intern("union"),
        super::kw::Union,
        "the interner must hand out the pre-interned `kw` symbols"
    );
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        arena,
        interner,
        sink,
        depth: 0,
        stack_base: stack_addr(),
        sc: Scratch::default(),
    };
    let inner_attrs = p.parse_inner_attrs_recovering();
    let items = p.parse_items(None);
    SourceFile {
        inner_attrs,
        items,
        stats: LexStats::default(),
    }
}

#[inline(never)]
fn stack_addr() -> usize {
    let marker = 0u8;
    (&raw const marker).addr()
}

pub(crate) struct Parser<'a, 's, I: ?Sized, K: Kind> {
    src: &'s str,
    toks: &'s [Token],
    pos: usize,
    /// Where the AST goes: the thread's arena of the caller's set, looked up once per file.
    arena: AstArena<'a, K>,
    interner: &'s I,
    sink: &'s mut DiagSink,
    depth: u32,
    stack_base: usize,
    sc: Scratch<'a>,
}

impl<'a, I: Intern + ?Sized, K: Kind> Parser<'a, '_, I, K> {
    // ------------------------------------------------------------ cursor

    #[inline]
    fn tok(&self) -> &Token {
        &self.toks[self.pos]
    }

    #[inline]
    fn kind(&self) -> T {
        self.toks[self.pos].kind
    }

    /// Kind of the token `n` ahead (Eof past the end).
    #[inline]
    fn nth(&self, n: usize) -> T {
        self.toks.get(self.pos + n).map_or(T::Eof, |t| t.kind)
    }

    #[inline]
    fn at(&self, k: T) -> bool {
        self.kind() == k
    }

    /// Moves to the next token (never past `Eof`).
    #[inline]
    fn bump(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    #[expect(
        clippy::inline_always,
        reason = "used at most tokens from parse functions too large for a plain #[inline] to be honoured; callgrind counted ~1.5% more parser instructions without it"
    )]
    #[inline(always)]
    fn eat(&mut self, k: T) -> bool {
        if self.at(k) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Two tokens `a` `b` with nothing between them (a glued operator).
    #[inline]
    fn at2(&self, a: T, b: T) -> bool {
        let t = &self.toks[self.pos];
        t.kind == a && t.joint && self.nth(1) == b
    }

    /// Three glued tokens.
    #[inline]
    fn at3(&self, a: T, b: T, c: T) -> bool {
        self.at2(a, b) && self.toks[self.pos + 1].joint && self.nth(2) == c
    }

    fn eat2(&mut self, a: T, b: T) -> bool {
        if self.at2(a, b) {
            self.pos += 2;
            true
        } else {
            false
        }
    }

    /// `::`
    #[inline]
    fn at_path_sep(&self) -> bool {
        self.at2(T::Colon, T::Colon)
    }

    /// `..`, `..=` or `...` (returns `(len, closed)`).
    fn at_dots(&self) -> Option<(usize, bool)> {
        if !self.at2(T::Dot, T::Dot) {
            return None;
        }
        if self.at3(T::Dot, T::Dot, T::Eq) || self.at3(T::Dot, T::Dot, T::Dot) {
            Some((3, true))
        } else {
            Some((2, false))
        }
    }

    fn text_at(&self, i: usize) -> &str {
        let t = &self.toks[i];
        self.src.get(t.lo as usize..t.hi as usize).unwrap_or("")
    }

    /// Whether the token `n` ahead is the identifier `word` (a contextual
    /// keyword such as [`kw::Union`](crate::syntax::kw::Union)): compared by
    /// symbol, so `r#union` (a [`RawIdent`](T::RawIdent)) never matches.
    #[inline]
    fn nth_is_kw(&self, n: usize, word: Symbol) -> bool {
        self.toks
            .get(self.pos + n)
            .is_some_and(|t| t.kind == T::Ident && t.sym == Some(word))
    }

    /// Whether the current token is the contextual keyword `word`.
    #[inline]
    fn at_kw(&self, word: Symbol) -> bool {
        self.nth_is_kw(0, word)
    }

    /// Whether the token `n` ahead is in `set`.
    #[inline]
    fn nth_in(&self, n: usize, set: TokenSet) -> bool {
        set.contains(self.nth(n))
    }

    /// Whether the current token is in `set`.
    #[inline]
    fn at_set(&self, set: TokenSet) -> bool {
        set.contains(self.kind())
    }

    #[inline]
    fn span(&self) -> Span {
        self.tok().span()
    }

    /// Span from the token at index `start` to the last consumed token.
    #[inline]
    fn span_from(&self, start: usize) -> Span {
        let lo = self.toks[start].lo;
        let hi = if self.pos > start {
            self.toks[self.pos - 1].hi
        } else {
            self.toks[start].hi
        };
        Span { lo, hi: hi.max(lo) }
    }

    fn prev_hi(&self) -> u32 {
        if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].hi
        }
    }

    #[inline]
    /// The expression kind of a path, qualified if `qself` is given.
    fn path_expr_kind(&self, qself: Option<&'a QSelf<'a>>, path: Path<'a>) -> ExprKind<'a> {
        match qself {
            None => ExprKind::Path(path),
            Some(qself) => ExprKind::QPath(self.alloc(QPath { qself, path })),
        }
    }

    /// `g` in the arena, or the shared empty generics.
    fn generics_ref(&self, g: Generics<'a>) -> &'a Generics<'a> {
        if g.is_empty() {
            Generics::NONE
        } else {
            self.alloc(g)
        }
    }

    fn alloc<T: Copy>(&self, v: T) -> &'a T {
        self.arena.alloc(v)
    }

    // ------------------------------------------------------------ errors

    #[cold]
    fn error_at(&mut self, offset: u32, msg: String) -> Reported {
        self.sink.error(offset, msg);
        Reported
    }

    /// "expected X, found Y" at the current token.
    #[cold]
    fn expected(&mut self, what: &str) -> Reported {
        let t = *self.tok();
        let found = if t.kind == T::Eof {
            "end of file".to_owned()
        } else {
            let text = self.text_at(self.pos);
            if text.len() <= 24 && !text.contains('\n') {
                format!("`{text}`")
            } else {
                t.kind.describe().to_owned()
            }
        };
        self.error_at(t.lo, format!("expected {what}, found {found}"))
    }

    #[expect(
        clippy::inline_always,
        reason = "used at most tokens from parse functions too large for a plain #[inline] to be honoured; callgrind counted ~1.5% more parser instructions without it"
    )]
    #[inline(always)]
    fn expect(&mut self, k: T) -> PResult<Span> {
        if self.at(k) {
            let s = self.span();
            self.bump();
            Ok(s)
        } else {
            Err(self.expected(k.describe()))
        }
    }

    /// Enters one level of nesting; fails past the depth or stack budget.
    #[inline]
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING || stack_addr().abs_diff(self.stack_base) > STACK_BUDGET {
            self.depth -= 1;
            let lo = self.tok().lo;
            return Err(self.error_at(lo, "nesting too deep".to_owned()));
        }
        Ok(())
    }

    #[inline]
    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn mark(&self) -> Mark {
        self.sc.mark()
    }

    fn restore(&mut self, m: Mark) {
        self.sc.restore(m);
    }

    /// Index after the token tree starting at `i`.
    fn skip_tree(&self, i: usize) -> usize {
        let t = &self.toks[i];
        if t.kind == T::Eof {
            return i;
        }
        if t.kind.is_open() && t.pair != Token::NO_MATCH {
            t.pair as usize + 1
        } else {
            i + 1
        }
    }

    /// After an error in an item that began at `start`, moves to where the
    /// next item can begin. Always ends past `start` unless at a closer or
    /// end of file.
    fn recover_item(&mut self, start: usize) {
        let err = self.pos.max(start);
        let mut i = start;
        loop {
            let t = self.toks[i];
            match t.kind {
                T::Eof => break,
                k if k.is_close() => {
                    if t.pair == Token::NO_MATCH {
                        i += 1;
                        continue;
                    }
                    break;
                }
                T::Semi if i >= err => {
                    i += 1;
                    break;
                }
                T::OpenBrace => {
                    let j = self.skip_tree(i);
                    i = j;
                    if j > err {
                        break;
                    }
                }
                k if i > err && ITEM_RECOVERY.contains(k) => break,
                _ => i = self.skip_tree(i),
            }
        }
        if i == start && !self.toks[i].kind.is_close() && self.toks[i].kind != T::Eof {
            i = self.skip_tree(i);
        }
        self.pos = i;
    }

    /// After an error in a statement that began at `start` inside a block
    /// that closes at `close`, moves to the next statement.
    fn recover_stmt(&mut self, start: usize, close: Option<Closer>) {
        let err = self.pos.max(start);
        let before_close = |i: usize| close.is_none_or(|Closer(c)| i < c);
        let mut i = start;
        loop {
            if let Some(Closer(c)) = close
                && i >= c
            {
                i = c;
                break;
            }
            let t = self.toks[i];
            match t.kind {
                T::Eof => break,
                k if k.is_close() => {
                    if t.pair == Token::NO_MATCH {
                        i += 1;
                        continue;
                    }
                    break;
                }
                T::Semi if i >= err => {
                    i += 1;
                    break;
                }
                T::OpenBrace => {
                    i = self.skip_tree(i);
                    if i > err {
                        break;
                    }
                }
                _ => i = self.skip_tree(i),
            }
        }
        if i == start && before_close(i) && self.toks[i].kind != T::Eof {
            i = self.skip_tree(i);
        }
        self.pos = i;
    }

    // ------------------------------------------------------------ common

    #[inline]
    fn ident_of(&self, i: usize) -> Ident {
        let t = &self.toks[i];
        Ident {
            sym: t.sym.unwrap_or(super::NO_SYMBOL),
            span: t.span(),
        }
    }

    /// An identifier (raw identifiers included, keywords not).
    #[inline]
    fn parse_ident(&mut self) -> PResult<Ident> {
        if matches!(self.kind(), T::Ident | T::RawIdent) {
            let id = self.ident_of(self.pos);
            self.bump();
            Ok(id)
        } else {
            Err(self.expected("identifier"))
        }
    }

    /// An identifier or `_`.
    fn parse_ident_or_underscore(&mut self) -> PResult<Ident> {
        if self.at(T::Underscore) {
            let id = self.ident_of(self.pos);
            self.bump();
            Ok(id)
        } else {
            self.parse_ident()
        }
    }

    fn parse_lifetime(&mut self) -> PResult<Lifetime> {
        if self.at(T::Lifetime) {
            let t = *self.tok();
            self.bump();
            Ok(Lifetime {
                sym: t.sym.unwrap_or(super::NO_SYMBOL),
                span: t.span(),
            })
        } else {
            Err(self.expected("lifetime"))
        }
    }

    /// The literal token at the cursor (the caller checked it is one).
    fn parse_lit_token(&mut self) -> Lit {
        let t = *self.tok();
        self.bump();
        Lit {
            kind: t.lit,
            sym: t.sym.unwrap_or(super::NO_SYMBOL),
            span: t.span(),
        }
    }

    /// A delimited token tree at the current token, skipped whole.
    fn parse_delimited(&mut self) -> PResult<Delimited> {
        let t = *self.tok();
        let delim = match t.kind {
            T::OpenParen => Delim::Paren,
            T::OpenBracket => Delim::Bracket,
            T::OpenBrace => Delim::Brace,
            _ => return Err(self.expected("`(`, `[` or `{`")),
        };
        if t.pair == Token::NO_MATCH {
            // The lexer already reported this delimiter as unclosed.
            return Err(Reported);
        }
        let open = self.pos;
        let close = t.pair as usize;
        self.pos = close + 1;
        Ok(Delimited {
            delim,
            span: Span {
                lo: t.lo,
                hi: self.toks[close].hi,
            },
            tokens: (close - open - 1) as u32,
        })
    }

    /// Opens a delimited group: checks the opener and returns where the
    /// group closes (`None` when the lexer found no partner and reported it).
    #[inline]
    fn open(&mut self, k: T) -> PResult<Option<Closer>> {
        if !self.at(k) {
            return Err(self.expected(k.describe()));
        }
        let pair = self.tok().pair;
        self.bump();
        Ok((pair != Token::NO_MATCH).then_some(Closer(pair as usize)))
    }

    /// Closes a group opened by [`Parser::open`]: its closer, or for an
    /// unmatched group any `k`.
    #[inline]
    fn close(&mut self, close: Option<Closer>, k: T) -> PResult<()> {
        let here = match close {
            Some(Closer(c)) => self.pos == c,
            None => self.at(k),
        };
        if here {
            self.bump();
            Ok(())
        } else {
            Err(self.expected(k.describe()))
        }
    }

    /// Whether the current position ends the group: its closer, or for an
    /// unmatched group any closing delimiter; end of file ends every group.
    #[inline]
    fn at_close(&self, close: Option<Closer>) -> bool {
        let closed = match close {
            Some(Closer(c)) => self.pos >= c,
            None => self.kind().is_close(),
        };
        closed || self.at(T::Eof)
    }
}

/// The index of a group's closing delimiter, as the lexer paired it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Closer(usize);

#[cfg(test)]
mod tests;
