//! Expressions (a Pratt loop over binary operators), blocks, statements.
//!
//! Precedence, loosest first: assignment (right-associative), `..`, `||`,
//! `&&`, comparisons, `|`, `^`, `&`, shifts, `+ -`, `* / %`, `as`, unary,
//! postfix (`?`, `.field`, `.method()`, calls, indexing, `.await`).
//!
//! Restrictions: in `if`/`while` conditions, `match` scrutinees and `for`
//! iterators a path followed by `{` is not a struct literal (the `{` opens
//! the body); parentheses, brackets and blocks lift the restriction. In
//! statement position a block-like expression (`if`, `match`, loops,
//! blocks) ends the statement unless `.` or `?` follows.

use smallvec::SmallVec;
use tern_arena::Kind;

use super::token_set::{BLOCK_LIKE_FIRST, EXPR_FIRST, PATH_SEGMENT, TokenSet};
use super::ty::{AllowPlus, PathMode};
use super::{Closer, Elem, ListEnd, PResult, Parser, finish};
use crate::syntax::ast::{
    Arm, Attribute, BinOp, Block, BlockKind, Closure, ClosureParam, Delim, Expr, ExprField,
    ExprKind, ForLoop, Ident, Lifetime, Lit, Local, MacCall, MethodCall, Path, QSelf, RangeLimits,
    Span, Stmt, StructExpr, StructRest, UnOp, WhileLoop,
};
use crate::syntax::token::{LitKind, TokenKind as T};
use crate::syntax::{Intern, kw};

/// Expression context.
#[derive(Clone, Copy, Default, Debug)]
pub(super) struct Restrictions {
    /// A path followed by `{` is not a struct literal.
    no_struct: bool,
}

const NO_STRUCT: Restrictions = Restrictions { no_struct: true };
const NONE: Restrictions = Restrictions { no_struct: false };

const P_ASSIGN: u8 = 1;
const P_RANGE: u8 = 2;
const P_OR: u8 = 3;
const P_AND: u8 = 4;
const P_CMP: u8 = 5;
const P_BITOR: u8 = 6;
const P_BITXOR: u8 = 7;
const P_BITAND: u8 = 8;
const P_SHIFT: u8 = 9;
const P_ADD: u8 = 10;
const P_MUL: u8 = 11;
const P_CAST: u8 = 12;

#[derive(Clone, Copy, Debug)]
enum Op {
    Bin(BinOp),
    Compound(BinOp),
    Assign,
    Range(RangeLimits),
    Cast,
}

impl<'a, I: Intern + ?Sized, K: Kind> Parser<'a, '_, I, K> {
    /// A full expression.
    pub(super) fn parse_expr(&mut self) -> PResult<&'a Expr<'a>> {
        self.parse_assoc(0, NONE)
    }

    fn parse_expr_no_struct(&mut self) -> PResult<&'a Expr<'a>> {
        self.parse_assoc(0, NO_STRUCT)
    }

    /// The binary operator at the cursor: (op, precedence, tokens).
    fn peek_binop(&self) -> Option<(Op, u8, usize)> {
        let t = self.tok();
        let j = t.joint;
        let n1 = self.nth(1);
        let j1 = j && self.toks.get(self.pos + 1).is_some_and(|t| t.joint);
        let n2 = self.nth(2);
        let simple = |op: BinOp, prec: u8| {
            if j && n1 == T::Eq {
                Some((Op::Compound(op), P_ASSIGN, 2))
            } else {
                Some((Op::Bin(op), prec, 1))
            }
        };
        match t.kind {
            T::Eq => {
                if j && n1 == T::Eq {
                    Some((Op::Bin(BinOp::Eq), P_CMP, 2))
                } else if j && n1 == T::Gt {
                    None
                } else {
                    Some((Op::Assign, P_ASSIGN, 1))
                }
            }
            T::Bang if j && n1 == T::Eq => Some((Op::Bin(BinOp::Ne), P_CMP, 2)),
            T::Lt => {
                if j && n1 == T::Lt {
                    if j1 && n2 == T::Eq {
                        Some((Op::Compound(BinOp::Shl), P_ASSIGN, 3))
                    } else {
                        Some((Op::Bin(BinOp::Shl), P_SHIFT, 2))
                    }
                } else if j && n1 == T::Eq {
                    Some((Op::Bin(BinOp::Le), P_CMP, 2))
                } else if j && n1 == T::Minus {
                    // `<-` is not an operator; treat as `<` `-`.
                    Some((Op::Bin(BinOp::Lt), P_CMP, 1))
                } else {
                    Some((Op::Bin(BinOp::Lt), P_CMP, 1))
                }
            }
            T::Gt => {
                if j && n1 == T::Gt {
                    if j1 && n2 == T::Eq {
                        Some((Op::Compound(BinOp::Shr), P_ASSIGN, 3))
                    } else {
                        Some((Op::Bin(BinOp::Shr), P_SHIFT, 2))
                    }
                } else if j && n1 == T::Eq {
                    Some((Op::Bin(BinOp::Ge), P_CMP, 2))
                } else {
                    Some((Op::Bin(BinOp::Gt), P_CMP, 1))
                }
            }
            T::And => {
                if j && n1 == T::And {
                    Some((Op::Bin(BinOp::And), P_AND, 2))
                } else {
                    simple(BinOp::BitAnd, P_BITAND)
                }
            }
            T::Or => {
                if j && n1 == T::Or {
                    Some((Op::Bin(BinOp::Or), P_OR, 2))
                } else {
                    simple(BinOp::BitOr, P_BITOR)
                }
            }
            T::Plus => simple(BinOp::Add, P_ADD),
            T::Minus => {
                if j && n1 == T::Gt {
                    None
                } else {
                    simple(BinOp::Sub, P_ADD)
                }
            }
            T::Star => simple(BinOp::Mul, P_MUL),
            T::Slash => simple(BinOp::Div, P_MUL),
            T::Percent => simple(BinOp::Rem, P_MUL),
            T::Caret => simple(BinOp::BitXor, P_BITXOR),
            T::Dot => {
                let (n, closed) = self.at_dots()?;
                Some((
                    Op::Range(if closed {
                        RangeLimits::Closed
                    } else {
                        RangeLimits::HalfOpen
                    }),
                    P_RANGE,
                    n,
                ))
            }
            T::KwAs => Some((Op::Cast, P_CAST, 1)),
            _ => None,
        }
    }

    fn parse_assoc(&mut self, min: u8, r: Restrictions) -> PResult<&'a Expr<'a>> {
        let start = self.pos;
        let lhs = self.parse_prefix(r)?;
        self.parse_binops(lhs, start, min, r)
    }

    fn mk(&self, kind: ExprKind<'a>, start: usize) -> &'a Expr<'a> {
        self.alloc(Expr {
            kind,
            span: self.span_from(start),
        })
    }

    fn parse_binops(
        &mut self,
        mut lhs: &'a Expr<'a>,
        start: usize,
        min: u8,
        r: Restrictions,
    ) -> PResult<&'a Expr<'a>> {
        while let Some((op, prec, len)) = self.peek_binop() {
            if prec < min {
                break;
            }
            self.pos += len;
            lhs = match op {
                Op::Cast => {
                    let ty = self.parse_ty_no_plus()?;
                    self.mk(ExprKind::Cast(lhs, self.alloc(ty)), start)
                }
                Op::Assign => {
                    let rhs = self.parse_assoc(P_ASSIGN, r)?;
                    self.mk(ExprKind::Assign(lhs, rhs), start)
                }
                Op::Compound(b) => {
                    let rhs = self.parse_assoc(P_ASSIGN, r)?;
                    self.mk(ExprKind::AssignOp(b, lhs, rhs), start)
                }
                Op::Range(limits) => {
                    let hi = if self.can_begin_expr(r) {
                        Some(self.parse_assoc(P_RANGE + 1, r)?)
                    } else {
                        None
                    };
                    self.mk(
                        ExprKind::Range {
                            lo: Some(lhs),
                            hi,
                            limits,
                        },
                        start,
                    )
                }
                Op::Bin(b) => {
                    let rhs = self.parse_assoc(prec + 1, r)?;
                    self.mk(ExprKind::Binary(b, lhs, rhs), start)
                }
            };
        }
        Ok(lhs)
    }

    /// Whether an expression can start here (for optional operands).
    fn can_begin_expr(&self, r: Restrictions) -> bool {
        match self.kind() {
            T::OpenBrace => !r.no_struct,
            T::Dot => self.at2(T::Dot, T::Dot),
            T::Colon => self.at_path_sep(),
            k => EXPR_FIRST.contains(k),
        }
    }

    /// Unary operators and everything binding tighter.
    fn parse_prefix(&mut self, r: Restrictions) -> PResult<&'a Expr<'a>> {
        self.enter()?;
        let res = self.parse_prefix_inner(r);
        self.leave();
        res
    }

    fn parse_prefix_inner(&mut self, r: Restrictions) -> PResult<&'a Expr<'a>> {
        let start = self.pos;
        let un = match self.kind() {
            T::Minus => Some(UnOp::Neg),
            T::Bang => Some(UnOp::Not),
            T::Star => Some(UnOp::Deref),
            _ => None,
        };
        if let Some(op) = un {
            self.bump();
            let e = self.parse_prefix(r)?;
            return Ok(self.mk(ExprKind::Unary(op, e), start));
        }
        match self.kind() {
            T::And => {
                self.bump();
                let mut raw = false;
                let mutbl;
                if self.at_kw(kw::Raw) && matches!(self.nth(1), T::KwConst | T::KwMut) {
                    self.bump();
                    raw = true;
                    mutbl = self.at(T::KwMut);
                    self.bump();
                } else {
                    mutbl = self.eat(T::KwMut);
                }
                let e = self.parse_prefix(r)?;
                Ok(self.mk(
                    ExprKind::AddrOf {
                        raw,
                        mutbl,
                        expr: e,
                    },
                    start,
                ))
            }
            T::Dot if self.at_dots().is_some() => {
                let (n, closed) = self.at_dots().unwrap_or((2, false));
                self.pos += n;
                let hi = if self.can_begin_expr(r) {
                    Some(self.parse_assoc(P_RANGE + 1, r)?)
                } else {
                    None
                };
                Ok(self.mk(
                    ExprKind::Range {
                        lo: None,
                        hi,
                        limits: if closed {
                            RangeLimits::Closed
                        } else {
                            RangeLimits::HalfOpen
                        },
                    },
                    start,
                ))
            }
            T::KwLet => {
                self.bump();
                let pat = self.parse_pat()?;
                self.expect(T::Eq)?;
                let scrutinee = self.parse_assoc(P_AND + 1, NO_STRUCT)?;
                Ok(self.mk(ExprKind::Let(self.alloc(pat), scrutinee), start))
            }
            T::Pound => {
                // Attributes on an expression: parsed and dropped.
                self.parse_outer_attrs()?;
                self.parse_prefix(r)
            }
            _ => {
                let e = self.parse_primary(r)?;
                self.parse_postfix(e, start)
            }
        }
    }

    /// `?`, `.await`, fields, method calls, calls, indexing.
    fn parse_postfix(&mut self, mut e: &'a Expr<'a>, start: usize) -> PResult<&'a Expr<'a>> {
        loop {
            match self.kind() {
                T::Question => {
                    self.bump();
                    e = self.mk(ExprKind::Try(e), start);
                }
                T::Dot if !self.at2(T::Dot, T::Dot) => {
                    self.bump();
                    e = self.parse_dot_suffix(e, start)?;
                }
                T::OpenParen => {
                    let args = self.parse_call_args()?;
                    e = self.mk(ExprKind::Call(e, args), start);
                }
                T::OpenBracket => {
                    let close = self.open(T::OpenBracket)?;
                    let idx = self.parse_expr()?;
                    self.close(close, T::CloseBracket)?;
                    e = self.mk(ExprKind::Index(e, idx), start);
                }
                _ => return Ok(e),
            }
        }
    }

    fn parse_dot_suffix(&mut self, e: &'a Expr<'a>, start: usize) -> PResult<&'a Expr<'a>> {
        match self.kind() {
            T::KwAwait => {
                self.bump();
                Ok(self.mk(ExprKind::Await(e), start))
            }
            T::Literal => {
                let t = *self.tok();
                self.bump();
                let text = self.src.get(t.lo as usize..t.hi as usize).unwrap_or("");
                if t.lit == LitKind::Float {
                    // `x.0.1` lexes `0.1` as one float: two tuple fields.
                    let digits = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit());
                    if let Some((a, b)) = text.split_once('.')
                        && digits(a)
                        && digits(b)
                    {
                        let mid = t.lo + a.len() as u32;
                        let first = Ident {
                            sym: self.interner.intern(a),
                            span: Span { lo: t.lo, hi: mid },
                        };
                        let second = Ident {
                            sym: self.interner.intern(b),
                            span: Span {
                                lo: mid + 1,
                                hi: t.hi,
                            },
                        };
                        let e1 = self.alloc(Expr {
                            kind: ExprKind::TupleField(e, first),
                            span: Span {
                                lo: self.toks[start].lo,
                                hi: mid,
                            },
                        });
                        return Ok(self.mk(ExprKind::TupleField(e1, second), start));
                    }
                    let lo = t.lo;
                    return Err(self.error_at(lo, "unexpected float literal after `.`".to_owned()));
                }
                if t.lit != LitKind::Int {
                    let lo = t.lo;
                    return Err(self.error_at(lo, "expected field name after `.`".to_owned()));
                }
                let ident = Ident {
                    sym: t.sym.unwrap_or(crate::syntax::NO_SYMBOL),
                    span: t.span(),
                };
                Ok(self.mk(ExprKind::TupleField(e, ident), start))
            }
            T::Ident | T::RawIdent | T::KwSelfValue | T::KwSelfType | T::KwSuper | T::KwCrate => {
                let ident = self.ident_of(self.pos);
                self.bump();
                let args = if self.at_path_sep() && self.nth(2) == T::Lt {
                    self.pos += 2;
                    Some(self.parse_angle_args()?)
                } else {
                    None
                };
                if self.at(T::OpenParen) {
                    let call_args = self.parse_call_args()?;
                    let call = self.alloc(MethodCall {
                        receiver: e,
                        method: ident,
                        turbofish: args,
                        args: call_args,
                    });
                    Ok(self.mk(ExprKind::MethodCall(call), start))
                } else if args.is_some() {
                    Err(self.expected("`(`"))
                } else {
                    Ok(self.mk(ExprKind::Field(e, ident), start))
                }
            }
            _ => Err(self.expected("field or method name")),
        }
    }

    /// `(args)` of a call or method call.
    fn parse_call_args(&mut self) -> PResult<&'a [Expr<'a>]> {
        let list = self.paren_list(|p| Ok(Elem::Push(*p.parse_expr()?)))?;
        Ok(list.items)
    }

    /// A literal token or `true`/`false`.
    pub(super) fn parse_lit_expr(&mut self) -> PResult<Expr<'a>> {
        let t = *self.tok();
        let kind = match t.kind {
            T::Literal => t.lit,
            T::KwTrue | T::KwFalse => LitKind::Bool,
            _ => return Err(self.expected("literal")),
        };
        self.bump();
        Ok(Expr {
            kind: ExprKind::Lit(Lit {
                kind,
                sym: t.sym.unwrap_or(crate::syntax::NO_SYMBOL),
                span: t.span(),
            }),
            span: t.span(),
        })
    }

    /// `const { .. }` (and other prefixed blocks) as an expression.
    pub(super) fn parse_expr_primary_block(&mut self) -> PResult<&'a Expr<'a>> {
        self.enter()?;
        let r = self.parse_primary(NONE);
        self.leave();
        r
    }

    fn parse_label(&mut self) -> PResult<Option<Lifetime>> {
        if self.at(T::Lifetime) && self.nth(1) == T::Colon && !self.at_path_sep_at(1) {
            let l = self.parse_lifetime()?;
            self.bump();
            Ok(Some(l))
        } else {
            Ok(None)
        }
    }

    pub(super) fn at_path_sep_at(&self, n: usize) -> bool {
        self.toks
            .get(self.pos + n)
            .is_some_and(|t| t.kind == T::Colon && t.joint)
            && self.nth(n + 1) == T::Colon
    }

    fn parse_primary(&mut self, r: Restrictions) -> PResult<&'a Expr<'a>> {
        let start = self.pos;
        match self.kind() {
            T::Literal | T::KwTrue | T::KwFalse => {
                let e = self.parse_lit_expr()?;
                Ok(self.alloc(e))
            }
            T::OpenParen => {
                let list = self.paren_list(|p| Ok(Elem::Push(*p.parse_expr()?)))?;
                let kind = match list.items {
                    [inner] if !list.trailing => ExprKind::Paren(inner),
                    elems => ExprKind::Tuple(elems),
                };
                Ok(self.mk(kind, start))
            }
            T::OpenBracket => {
                let close = self.open(T::OpenBracket)?;
                if self.at_close(close) {
                    self.close(close, T::CloseBracket)?;
                    return Ok(self.mk(ExprKind::Array(&[]), start));
                }
                let first = self.parse_expr()?;
                if self.eat(T::Semi) {
                    let len = self.parse_expr()?;
                    self.close(close, T::CloseBracket)?;
                    return Ok(self.mk(ExprKind::Repeat(first, len), start));
                }
                let estart = self.sc.exprs.len();
                self.sc.exprs.push(*first);
                if self.eat(T::Comma) {
                    self.comma_list_onto(ListEnd::Group(close), |p| {
                        Ok(Elem::Push(*p.parse_expr()?))
                    })?;
                }
                self.close(close, T::CloseBracket)?;
                let elems = finish(self.arena, &mut self.sc.exprs, estart);
                Ok(self.mk(ExprKind::Array(elems), start))
            }
            T::OpenBrace => self.parse_block_expr(BlockKind::Plain, None, start),
            T::KwUnsafe if self.nth(1) == T::OpenBrace => {
                self.bump();
                self.parse_block_expr(BlockKind::Unsafe, None, start)
            }
            T::KwAsync => {
                let by_move = self.nth(1) == T::KwMove;
                let n = if by_move { 2 } else { 1 };
                if self.nth(n) == T::OpenBrace {
                    self.pos += n;
                    self.parse_block_expr(BlockKind::Async { by_move }, None, start)
                } else {
                    self.parse_closure(r, start)
                }
            }
            T::KwConst if self.nth(1) == T::OpenBrace => {
                self.bump();
                self.parse_block_expr(BlockKind::Const, None, start)
            }
            T::KwConst | T::KwStatic | T::KwMove | T::Or => self.parse_closure(r, start),
            T::KwFor if self.nth(1) == T::Lt => self.parse_closure(r, start),
            T::Ident if self.at_kw(kw::Try) && self.nth(1) == T::OpenBrace => {
                self.bump();
                self.parse_block_expr(BlockKind::Try, None, start)
            }
            T::Lifetime => {
                let label = self.parse_label()?;
                if label.is_none() {
                    return Err(self.expected("expression"));
                }
                match self.kind() {
                    T::KwLoop => self.parse_loop(label, start),
                    T::KwWhile => self.parse_while(label, start),
                    T::KwFor => self.parse_for(label, start),
                    T::OpenBrace => self.parse_block_expr(BlockKind::Plain, label, start),
                    T::KwUnsafe if self.nth(1) == T::OpenBrace => {
                        self.bump();
                        self.parse_block_expr(BlockKind::Unsafe, label, start)
                    }
                    _ => Err(self.expected("`loop`, `while`, `for` or a block after a label")),
                }
            }
            T::KwLoop => self.parse_loop(None, start),
            T::KwWhile => self.parse_while(None, start),
            T::KwFor => self.parse_for(None, start),
            T::KwIf => self.parse_if(),
            T::KwMatch => self.parse_match(start),
            T::KwReturn => {
                self.bump();
                let e = if self.can_begin_expr(r) {
                    Some(self.parse_assoc(0, r)?)
                } else {
                    None
                };
                Ok(self.mk(ExprKind::Return(e), start))
            }
            T::KwBreak => {
                self.bump();
                let label = if self.at(T::Lifetime) {
                    Some(self.parse_lifetime()?)
                } else {
                    None
                };
                let e = if self.can_begin_expr(r) {
                    Some(self.parse_assoc(0, r)?)
                } else {
                    None
                };
                Ok(self.mk(ExprKind::Break { label, expr: e }, start))
            }
            T::KwContinue => {
                self.bump();
                let label = if self.at(T::Lifetime) {
                    Some(self.parse_lifetime()?)
                } else {
                    None
                };
                Ok(self.mk(ExprKind::Continue(label), start))
            }
            T::Ident if self.at_kw(kw::Yield) => {
                self.bump();
                let e = if self.can_begin_expr(r) {
                    Some(self.parse_assoc(0, r)?)
                } else {
                    None
                };
                Ok(self.mk(ExprKind::Yield(e), start))
            }
            T::Ident
                if self.at_kw(kw::Become)
                    && self.nth(1) != T::Bang
                    && self.can_begin_expr_at1() =>
            {
                self.bump();
                let e = self.parse_assoc(0, r)?;
                Ok(self.mk(ExprKind::Become(e), start))
            }
            // `builtin # name(..)`: `builtin` is a contextual keyword.
            T::Ident
                if self.nth(1) == T::Pound && self.tok().sym == Some(super::super::kw::Builtin) =>
            {
                self.pos += 2;
                self.parse_ident()?;
                let d = self.parse_delimited()?;
                Ok(self.mk(ExprKind::Verbatim(d), start))
            }
            T::Underscore => {
                self.bump();
                Ok(self.mk(ExprKind::Underscore, start))
            }
            T::Lt => {
                let (qself, path) = self.parse_qpath(PathMode::Expr)?;
                if self.at(T::OpenBrace) && !r.no_struct {
                    return self.parse_struct_lit(Some(qself), path, start);
                }
                Ok(self.mk(self.path_expr_kind(Some(qself), path), start))
            }
            _ if self.at_path_start() => {
                let path = self.parse_path(PathMode::Expr)?;
                if self.at(T::Bang) && self.nth(1).is_open() && !self.tok_joint_eq() {
                    self.bump();
                    let args = self.parse_delimited()?;
                    let mac = self.alloc(MacCall { path, args });
                    return Ok(self.mk(ExprKind::MacCall(mac), start));
                }
                if self.at(T::OpenBrace) && !r.no_struct {
                    return self.parse_struct_lit(None, path, start);
                }
                Ok(self.mk(ExprKind::Path(path), start))
            }
            _ => Err(self.expected("expression")),
        }
    }

    /// `!` glued to `=` is `!=`, never a macro bang.
    fn tok_joint_eq(&self) -> bool {
        self.tok().joint && self.nth(1) == T::Eq
    }

    fn can_begin_expr_at1(&self) -> bool {
        matches!(
            self.nth(1),
            T::Literal | T::Ident | T::RawIdent | T::OpenParen | T::KwSelfValue | T::KwSelfType
        )
    }

    /// `path { a, b: e, ..base }` after the path.
    fn parse_struct_lit(
        &mut self,
        qself: Option<&'a QSelf<'a>>,
        path: Path<'a>,
        start: usize,
    ) -> PResult<&'a Expr<'a>> {
        let mut rest = StructRest::None;
        let fields = self
            .brace_list(|p| {
                p.parse_outer_attrs()?;
                if p.at2(T::Dot, T::Dot) && !p.at3(T::Dot, T::Dot, T::Eq) {
                    p.pos += 2;
                    rest = if p.at(T::CloseBrace) {
                        StructRest::Rest
                    } else {
                        StructRest::Base(p.parse_expr()?)
                    };
                    return Ok(Elem::Last);
                }
                p.parse_expr_field().map(Elem::Push)
            })?
            .items;
        Ok(self.mk(
            ExprKind::Struct(self.alloc(StructExpr {
                qself,
                path,
                fields,
                rest,
            })),
            start,
        ))
    }

    /// `name: expr`, `0: expr` or the shorthand `name`.
    fn parse_expr_field(&mut self) -> PResult<ExprField<'a>> {
        let is_name =
            self.at_set(PATH_SEGMENT) || (self.at(T::Literal) && self.tok().lit == LitKind::Int);
        if !is_name {
            return Err(self.expected("field name"));
        }
        let ident = self.ident_of(self.pos);
        let id_pos = self.pos;
        self.bump();
        let (expr, shorthand) = if self.at(T::Colon) && !self.at_path_sep() {
            self.bump();
            (*self.parse_expr()?, false)
        } else {
            (self.ident_path_expr(id_pos), true)
        };
        Ok(ExprField {
            ident,
            expr,
            shorthand,
        })
    }

    /// The one-segment path expression naming the identifier at `i`.
    fn ident_path_expr(&mut self, i: usize) -> Expr<'a> {
        let ident = self.ident_of(i);
        Expr {
            kind: ExprKind::Path(Path::ident(ident)),
            span: ident.span,
        }
    }

    fn parse_closure(&mut self, r: Restrictions, start: usize) -> PResult<&'a Expr<'a>> {
        let for_lifetimes = if self.at(T::KwFor) {
            self.bump();
            let g = self.parse_generics()?;
            g.params
        } else {
            &[]
        };
        let constness = self.eat(T::KwConst);
        self.eat(T::KwStatic);
        let asyncness = self.eat(T::KwAsync);
        let by_move = self.eat(T::KwMove);
        let params = if self.at(T::Or) && self.nth(1) == T::Or {
            self.pos += 2;
            &[]
        } else {
            const BAR: TokenSet = TokenSet::new(&[T::Or]);
            self.expect(T::Or)?;
            let list = self.comma_list(ListEnd::Before(BAR), |p| {
                p.parse_outer_attrs()?;
                let pat = p.parse_pat_no_top_alt()?;
                let ty = if p.eat(T::Colon) {
                    let t = p.parse_ty()?;
                    Some(p.alloc(t))
                } else {
                    None
                };
                Ok(Elem::Push(ClosureParam { pat, ty }))
            })?;
            self.expect(T::Or)?;
            list.items
        };
        let output = self.parse_ret_ty(AllowPlus::Yes)?;
        let body = if output.is_some() {
            let bstart = self.pos;
            self.parse_block_expr(BlockKind::Plain, None, bstart)?
        } else {
            self.parse_assoc(0, r)?
        };
        let c = self.alloc(Closure {
            for_lifetimes,
            constness,
            asyncness,
            by_move,
            params,
            output,
            body,
        });
        Ok(self.mk(ExprKind::Closure(c), start))
    }

    fn parse_block_expr(
        &mut self,
        kind: BlockKind,
        label: Option<Lifetime>,
        start: usize,
    ) -> PResult<&'a Expr<'a>> {
        let block = self.parse_block()?;
        Ok(self.mk(ExprKind::Block { kind, block, label }, start))
    }

    fn parse_loop(&mut self, label: Option<Lifetime>, start: usize) -> PResult<&'a Expr<'a>> {
        self.expect(T::KwLoop)?;
        let body = self.parse_block()?;
        Ok(self.mk(ExprKind::Loop { body, label }, start))
    }

    fn parse_while(&mut self, label: Option<Lifetime>, start: usize) -> PResult<&'a Expr<'a>> {
        self.expect(T::KwWhile)?;
        let cond = self.parse_expr_no_struct()?;
        let body = self.parse_block()?;
        let w = self.alloc(WhileLoop { cond, body, label });
        Ok(self.mk(ExprKind::While(w), start))
    }

    fn parse_for(&mut self, label: Option<Lifetime>, start: usize) -> PResult<&'a Expr<'a>> {
        self.expect(T::KwFor)?;
        let pat = self.parse_pat()?;
        self.expect(T::KwIn)?;
        let iter = self.parse_expr_no_struct()?;
        let body = self.parse_block()?;
        let f = self.alloc(ForLoop {
            pat: self.alloc(pat),
            iter,
            body,
            label,
        });
        Ok(self.mk(ExprKind::ForLoop(f), start))
    }

    /// `if c {} else if d {} else {}`, built iteratively so long `else if`
    /// chains do not nest the parser.
    fn parse_if(&mut self) -> PResult<&'a Expr<'a>> {
        let mut chain: SmallVec<[(usize, &'a Expr<'a>, &'a Block<'a>); 4]> = SmallVec::new();
        let mut els: Option<&'a Expr<'a>> = None;
        loop {
            let start = self.pos;
            self.expect(T::KwIf)?;
            let cond = self.parse_expr_no_struct()?;
            let then = self.parse_block()?;
            chain.push((start, cond, then));
            if !self.eat(T::KwElse) {
                break;
            }
            if self.at(T::KwIf) {
                continue;
            }
            let bstart = self.pos;
            els = Some(self.parse_block_expr(BlockKind::Plain, None, bstart)?);
            break;
        }
        let hi = self.prev_hi();
        while let Some((start, cond, then)) = chain.pop() {
            let e = self.alloc(Expr {
                kind: ExprKind::If { cond, then, els },
                span: Span {
                    lo: self.toks[start].lo,
                    hi,
                },
            });
            els = Some(e);
        }
        els.ok_or_else(|| self.expected("`if`"))
    }

    fn parse_match(&mut self, start: usize) -> PResult<&'a Expr<'a>> {
        self.expect(T::KwMatch)?;
        let scrutinee = self.parse_expr_no_struct()?;
        let close = self.open(T::OpenBrace)?;
        self.parse_inner_attrs()?;
        let astart = self.sc.arms.len();
        while !self.at_close(close) {
            let arm_start = self.pos;
            let attrs = self.parse_outer_attrs()?;
            let pat = self.parse_pat()?;
            let guard = if self.eat(T::KwIf) {
                Some(self.parse_expr()?)
            } else {
                None
            };
            let body = if self.eat2(T::Eq, T::Gt) {
                let body = self.parse_stmt_expr()?;
                let needs_comma = !is_block_like(body);
                if !self.eat(T::Comma) && needs_comma && !self.at_close(close) {
                    return Err(self.expected("`,` after match arm"));
                }
                Some(body)
            } else {
                // A never-pattern arm `Err(!)` / `Err(!),` has no body.
                if !self.eat(T::Comma) && !self.at_close(close) {
                    return Err(self.expected("`=>`"));
                }
                None
            };
            let span = self.span_from(arm_start);
            self.sc.arms.push(Arm {
                attrs,
                pat,
                guard,
                body,
                span,
            });
        }
        self.close(close, T::CloseBrace)?;
        let arms = finish(self.arena, &mut self.sc.arms, astart);
        Ok(self.mk(ExprKind::Match(scrutinee, arms), start))
    }

    // ------------------------------------------------------------ blocks

    /// `{ statements }` with statement-level recovery.
    pub(super) fn parse_block(&mut self) -> PResult<&'a Block<'a>> {
        self.enter()?;
        let r = self.parse_block_inner();
        self.leave();
        r
    }

    fn parse_block_inner(&mut self) -> PResult<&'a Block<'a>> {
        let start = self.pos;
        let close = self.open(T::OpenBrace)?;
        self.parse_inner_attrs()?;
        let sstart = self.sc.stmts.len();
        while !self.at_close(close) {
            let mark = self.mark();
            let stmt_start = self.pos;
            if let Ok(s) = self.parse_stmt(close) {
                self.sc.stmts.push(s);
            } else {
                self.restore(mark);
                self.recover_stmt(stmt_start, close);
            }
        }
        self.close(close, T::CloseBrace)?;
        let stmts = finish(self.arena, &mut self.sc.stmts, sstart);
        Ok(self.alloc(Block {
            stmts,
            span: self.span_from(start),
        }))
    }

    fn parse_stmt(&mut self, close: Option<Closer>) -> PResult<Stmt<'a>> {
        if self.eat(T::Semi) {
            return Ok(Stmt::Empty);
        }
        let start = self.pos;
        let attrs = self.parse_outer_attrs()?;
        if self.at(T::KwLet) {
            return self.parse_local(attrs, start);
        }
        if self.at_item_start() {
            let item = self.parse_item_after_attrs(attrs, start)?;
            return Ok(Stmt::Item(self.alloc(item)));
        }
        if self.at_macro_path() {
            let mac = self.parse_mac_call()?;
            let brace = mac.args.delim == Delim::Brace;
            let continues = (self.at(T::Dot) && !self.at2(T::Dot, T::Dot)) || self.at(T::Question);
            if (brace && !continues) || self.at(T::Semi) {
                let semi = self.eat(T::Semi);
                return Ok(Stmt::MacCall {
                    mac: self.alloc(mac),
                    semi,
                });
            }
            let e = self.mk(ExprKind::MacCall(self.alloc(mac)), start);
            let e = self.parse_postfix(e, start)?;
            let e = self.parse_binops(e, start, 0, NONE)?;
            return self.finish_expr_stmt(e, close);
        }
        let e = self.parse_stmt_expr()?;
        self.finish_expr_stmt(e, close)
    }

    fn finish_expr_stmt(&mut self, e: &'a Expr<'a>, close: Option<Closer>) -> PResult<Stmt<'a>> {
        if self.eat(T::Semi) {
            Ok(Stmt::Semi(e))
        } else if self.at_close(close) || is_block_like(e) {
            Ok(Stmt::Expr(e))
        } else {
            Err(self.expected("`;`"))
        }
    }

    /// An expression in statement position (also match arm bodies).
    fn parse_stmt_expr(&mut self) -> PResult<&'a Expr<'a>> {
        let start = self.pos;
        let block_like = match self.kind() {
            k if BLOCK_LIKE_FIRST.contains(k) => true,
            T::KwUnsafe | T::KwConst => self.nth(1) == T::OpenBrace,
            T::KwAsync => {
                self.nth(1) == T::OpenBrace
                    || (self.nth(1) == T::KwMove && self.nth(2) == T::OpenBrace)
            }
            T::Lifetime => self.nth(1) == T::Colon,
            T::Ident => self.at_kw(kw::Try) && self.nth(1) == T::OpenBrace,
            _ => false,
        };
        if !block_like || (self.at(T::KwFor) && self.nth(1) == T::Lt) {
            return self.parse_expr();
        }
        self.enter()?;
        let e = self.parse_primary(NONE);
        self.leave();
        let e = e?;
        if (self.at(T::Dot) && !self.at2(T::Dot, T::Dot)) || self.at(T::Question) {
            let e = self.parse_postfix(e, start)?;
            return self.parse_binops(e, start, 0, NONE);
        }
        Ok(e)
    }

    fn parse_local(&mut self, attrs: &'a [Attribute<'a>], start: usize) -> PResult<Stmt<'a>> {
        self.expect(T::KwLet)?;
        let pat = self.parse_pat()?;
        let ty = if self.eat(T::Colon) {
            let t = self.parse_ty()?;
            Some(self.alloc(t))
        } else {
            None
        };
        let (init, els) = if self.eat(T::Eq) {
            let init = self.parse_expr()?;
            let els = if self.eat(T::KwElse) {
                Some(self.parse_block()?)
            } else {
                None
            };
            (Some(init), els)
        } else {
            (None, None)
        };
        self.expect(T::Semi)?;
        let local = self.alloc(Local {
            attrs,
            pat,
            ty,
            init,
            els,
            span: self.span_from(start),
        });
        Ok(Stmt::Let(local))
    }
}

/// Whether `e` ends a statement without `;` (and a match arm without `,`).
fn is_block_like(e: &Expr<'_>) -> bool {
    matches!(
        e.kind,
        ExprKind::If { .. }
            | ExprKind::Match(..)
            | ExprKind::Loop { .. }
            | ExprKind::While(_)
            | ExprKind::ForLoop(_)
            | ExprKind::Block { .. }
    )
}
