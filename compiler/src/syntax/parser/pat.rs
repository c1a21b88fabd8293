//! Patterns.

use super::token_set::{BOXED_PAT_FIRST, IDENT, TokenSet};
use super::ty::PathMode;
use super::{Elem, List, PResult, Parser, finish};
use crate::syntax::ast::{
    Attribute, Expr, ExprKind, FieldPat, MacCall, Pat, PatKind, Path, QSelf, RangeLimits, UnOp,
};
use crate::syntax::token::TokenKind as T;
use crate::syntax::{Intern, kw};
use tern_arena::Kind;

impl<'a, I: Intern + ?Sized, K: Kind> Parser<'a, '_, I, K> {
    /// A pattern with top-level alternatives: `A | B`, leading `|` allowed.
    pub(super) fn parse_pat(&mut self) -> PResult<Pat<'a>> {
        let start = self.pos;
        self.eat_single_or();
        let first = self.parse_pat_no_top_alt()?;
        if !self.at_single_or() {
            return Ok(first);
        }
        let pstart = self.sc.pats.len();
        self.sc.pats.push(first);
        while self.at_single_or() {
            self.bump();
            let p = self.parse_pat_no_top_alt()?;
            self.sc.pats.push(p);
        }
        let alts = finish(self.arena, &mut self.sc.pats, pstart);
        Ok(Pat {
            kind: PatKind::Or(alts),
            span: self.span_from(start),
        })
    }

    /// `|` that is not part of `||` or `|=`.
    fn at_single_or(&self) -> bool {
        self.at(T::Or) && !(self.tok().joint && matches!(self.nth(1), T::Or | T::Eq))
    }

    fn eat_single_or(&mut self) {
        if self.at_single_or() {
            self.bump();
        }
    }

    /// A pattern without top-level `|` (closure parameters, `let` in 2015).
    pub(super) fn parse_pat_no_top_alt(&mut self) -> PResult<Pat<'a>> {
        self.enter()?;
        let r = self.parse_pat_inner();
        self.leave();
        r
    }

    fn parse_pat_inner(&mut self) -> PResult<Pat<'a>> {
        let start = self.pos;
        let kind = match self.kind() {
            T::Underscore => {
                self.bump();
                PatKind::Wild
            }
            T::Dot if self.at_dots().is_some() => {
                let (n, closed) = self.at_dots().unwrap_or((2, false));
                self.pos += n;
                if closed || self.can_begin_range_end() {
                    let hi = self.parse_range_end()?;
                    PatKind::Range {
                        lo: None,
                        hi: Some(hi),
                        limits: if closed {
                            RangeLimits::Closed
                        } else {
                            RangeLimits::HalfOpen
                        },
                    }
                } else {
                    PatKind::Rest
                }
            }
            T::And => {
                self.bump();
                let mutbl = self.eat(T::KwMut);
                let p = self.parse_pat_no_top_alt()?;
                PatKind::Ref {
                    mutbl,
                    pat: self.alloc(p),
                }
            }
            T::OpenParen => {
                let list = self.parse_pat_list(T::OpenParen, T::CloseParen)?;
                match list.items {
                    // `(..)` is a tuple pattern.
                    [p] if !list.trailing && !matches!(p.kind, PatKind::Rest) => PatKind::Paren(p),
                    pats => PatKind::Tuple(pats),
                }
            }
            T::OpenBracket => {
                PatKind::Slice(self.parse_pat_list(T::OpenBracket, T::CloseBracket)?.items)
            }
            T::KwRef | T::KwMut => self.parse_binding()?,
            T::Ident if self.at_kw(kw::Box) && self.nth_in(1, BOXED_PAT_FIRST) => {
                self.bump();
                let p = self.parse_pat_no_top_alt()?;
                PatKind::Box(self.alloc(p))
            }
            T::Literal | T::Minus | T::KwTrue | T::KwFalse => {
                let lo = self.parse_range_end()?;
                self.parse_range_rest(lo)?
            }
            T::KwConst if self.nth(1) == T::OpenBrace => {
                let e = self.parse_expr_primary_block()?;
                PatKind::Lit(e)
            }
            T::Lt => {
                let (qself, path) = self.parse_qpath(PathMode::Expr)?;
                self.parse_pat_after_path(Some(qself), path, start)?
            }
            T::Ident | T::RawIdent
                if !(matches!(self.nth(1), T::OpenParen | T::OpenBrace | T::Bang)
                    || self.at_path_sep_at(1)
                    || self.at_dots_at(1).is_some()) =>
            {
                self.parse_binding()?
            }
            _ if self.at_path_start() => {
                let path = self.parse_path(PathMode::Expr)?;
                if self.at(T::Bang) && self.nth(1).is_open() {
                    self.bump();
                    let args = self.parse_delimited()?;
                    PatKind::MacCall(self.alloc(MacCall { path, args }))
                } else {
                    self.parse_pat_after_path(None, path, start)?
                }
            }
            _ => return Err(self.expected("pattern")),
        };
        Ok(Pat {
            kind,
            span: self.span_from(start),
        })
    }

    /// `..`-family operator at token `n` ahead.
    fn at_dots_at(&self, n: usize) -> Option<()> {
        let i = self.pos + n;
        let a = self.toks.get(i)?;
        let b = self.toks.get(i + 1)?;
        (a.kind == T::Dot && a.joint && b.kind == T::Dot).then_some(())
    }

    /// `open pat, pat close`: tuple, slice and tuple-struct elements.
    fn parse_pat_list(&mut self, open: T, close: T) -> PResult<List<'a, Pat<'a>>> {
        self.delimited_list(open, close, |p| p.parse_pat().map(Elem::Push))
    }

    /// `ref mut name @ sub`
    fn parse_binding(&mut self) -> PResult<PatKind<'a>> {
        let by_ref = self.eat(T::KwRef);
        let mutbl = self.eat(T::KwMut);
        let ident = self.parse_ident()?;
        let sub = if self.at(T::At) {
            self.bump();
            let p = self.parse_pat_no_top_alt()?;
            Some(self.alloc(p))
        } else {
            None
        };
        Ok(PatKind::Ident {
            by_ref,
            mutbl,
            ident,
            sub,
        })
    }

    fn parse_pat_after_path(
        &mut self,
        qself: Option<&'a QSelf<'a>>,
        path: Path<'a>,
        start: usize,
    ) -> PResult<PatKind<'a>> {
        match self.kind() {
            T::OpenParen => Ok(PatKind::TupleStruct {
                qself,
                path,
                elems: self.parse_pat_list(T::OpenParen, T::CloseParen)?.items,
            }),
            T::OpenBrace => {
                let (fields, rest) = self.parse_field_pats()?;
                Ok(PatKind::Struct {
                    qself,
                    path,
                    fields,
                    rest,
                })
            }
            T::Dot if self.at_dots().is_some() => {
                let lo = self.alloc(Expr {
                    kind: self.path_expr_kind(qself, path),
                    span: self.span_from(start),
                });
                self.parse_range_rest(lo)
            }
            _ => Ok(PatKind::Path(qself, path)),
        }
    }

    /// `{ a, b: p, ref mut c, box d, .. }`, and whether `..` ends it.
    fn parse_field_pats(&mut self) -> PResult<(&'a [FieldPat<'a>], bool)> {
        let mut rest = false;
        let list = self.brace_list(|p| {
            let attrs = p.parse_outer_attrs()?;
            if p.at2(T::Dot, T::Dot) {
                p.pos += 2;
                rest = true;
                return Ok(Elem::Last);
            }
            p.parse_field_pat(attrs).map(Elem::Push)
        })?;
        Ok((list.items, rest))
    }

    /// `name: pat`, `0: pat`, or the shorthand `[box] [ref] [mut] name`.
    fn parse_field_pat(&mut self, attrs: &'a [Attribute<'a>]) -> PResult<FieldPat<'a>> {
        const FIELD_NAME: TokenSet = IDENT.union(TokenSet::new(&[T::Literal]));
        const BOXED_BINDING: TokenSet = TokenSet::new(&[T::Ident, T::KwRef, T::KwMut]);
        let fstart = self.pos;
        if self.at_set(FIELD_NAME) && self.nth(1) == T::Colon && !self.at_path_sep_at(1) {
            let ident = self.ident_of(self.pos);
            self.pos += 2;
            let pat = self.parse_pat()?;
            return Ok(FieldPat {
                attrs,
                ident,
                pat,
                shorthand: false,
            });
        }
        let boxed = self.at_kw(kw::Box) && self.nth_in(1, BOXED_BINDING);
        if boxed {
            self.bump();
        }
        let kind = self.parse_binding()?;
        let PatKind::Ident { ident, .. } = kind else {
            return Err(self.expected("field pattern"));
        };
        let mut pat = Pat {
            kind,
            span: self.span_from(fstart),
        };
        if boxed {
            pat = Pat {
                kind: PatKind::Box(self.alloc(pat)),
                span: pat.span,
            };
        }
        Ok(FieldPat {
            attrs,
            ident,
            pat,
            shorthand: true,
        })
    }

    /// After a range start: `..=hi`, `...hi`, `..hi`, `..`, or nothing.
    fn parse_range_rest(&mut self, lo: &'a Expr<'a>) -> PResult<PatKind<'a>> {
        let Some((n, closed)) = self.at_dots() else {
            return Ok(PatKind::Lit(lo));
        };
        self.pos += n;
        let hi = if closed || self.can_begin_range_end() {
            Some(self.parse_range_end()?)
        } else {
            None
        };
        Ok(PatKind::Range {
            lo: Some(lo),
            hi,
            limits: if closed {
                RangeLimits::Closed
            } else {
                RangeLimits::HalfOpen
            },
        })
    }

    fn can_begin_range_end(&self) -> bool {
        matches!(self.kind(), T::Literal | T::Minus | T::Lt | T::KwConst) || self.at_path_start()
    }

    /// A range bound: literal, `-literal`, path, `const { }`.
    fn parse_range_end(&mut self) -> PResult<&'a Expr<'a>> {
        let start = self.pos;
        match self.kind() {
            T::Minus => {
                self.bump();
                let e = self.parse_lit_expr()?;
                Ok(self.alloc(Expr {
                    kind: ExprKind::Unary(UnOp::Neg, self.alloc(e)),
                    span: self.span_from(start),
                }))
            }
            T::Literal | T::KwTrue | T::KwFalse => {
                let e = self.parse_lit_expr()?;
                Ok(self.alloc(e))
            }
            T::KwConst => self.parse_expr_primary_block(),
            T::Lt => {
                let (qself, path) = self.parse_qpath(PathMode::Expr)?;
                Ok(self.alloc(Expr {
                    kind: self.path_expr_kind(Some(qself), path),
                    span: self.span_from(start),
                }))
            }
            _ => {
                let path = self.parse_path(PathMode::Expr)?;
                Ok(self.alloc(Expr {
                    kind: ExprKind::Path(path),
                    span: self.span_from(start),
                }))
            }
        }
    }
}
