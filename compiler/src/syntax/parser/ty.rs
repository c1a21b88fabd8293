//! Paths, generic arguments and parameters, bounds, where clauses, types.

use super::token_set::{
    BOUND_FIRST, CONST_ARG_FIRST, IDENT_OR_UNDERSCORE, PATH_SEGMENT, WHERE_CLAUSE_END,
};
use super::{Closer, Elem, ListEnd, PResult, Parser, finish};
use crate::syntax::Intern;
use crate::syntax::ast::{
    BareFnParam, BareFnTy, BoundModifiers, Expr, ExprKind, GenericArg, GenericArgs, GenericBound,
    GenericParam, GenericParamKind, Generics, Ident, Lifetime, Path, PathSegment, QPath, QSelf,
    Span, Ty, TyKind, UnOp, WherePredicate,
};
use crate::syntax::token::TokenKind as T;
use tern_arena::Kind;

/// Whether `+` may continue a type into a trait object or `impl` bound list
/// (rustc's `AllowPlus`): not after `&`, `*const`, `as`, nor in `Fn() -> T`
/// and `fn() -> T`, where `+` belongs to the enclosing bound list.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum AllowPlus {
    Yes,
    No,
}

/// Which generic-argument syntax a path accepts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum PathMode {
    /// No generic arguments (`use`, attributes, macros, visibility).
    Mod,
    /// `Vec<T>`, `Vec::<T>`, `Fn(A) -> B`
    Type,
    /// Only the turbofish `Vec::<T>`.
    Expr,
}

impl<'a, I: Intern + ?Sized, K: Kind> Parser<'a, '_, I, K> {
    // ------------------------------------------------------------ paths

    /// Whether a path can start here.
    pub(super) fn at_path_start(&self) -> bool {
        self.at_set(PATH_SEGMENT) || self.at_path_sep()
    }

    pub(super) fn parse_mod_path(&mut self) -> PResult<Path<'a>> {
        self.parse_path(PathMode::Mod)
    }

    pub(super) fn parse_path(&mut self, mode: PathMode) -> PResult<Path<'a>> {
        let start = self.pos;
        let global = self.eat2(T::Colon, T::Colon);
        let seg_start = self.sc.segs.len();
        self.parse_path_segments(mode)?;
        let span = self.span_from(start);
        Ok(self.finish_path(global, seg_start, span))
    }

    /// The path of the segments pushed since `seg_start` (popped): inline when there is one,
    /// else copied into the arena.
    pub(super) fn finish_path(&mut self, global: bool, seg_start: usize, span: Span) -> Path<'a> {
        let arena = self.arena;
        let path = Path::new(global, &self.sc.segs[seg_start..], span, |s| {
            arena.alloc_slice_copy(s)
        });
        self.sc.segs.truncate(seg_start);
        path
    }

    /// Segments separated by `::`, pushed on the segment stack.
    fn parse_path_segments(&mut self, mode: PathMode) -> PResult<()> {
        loop {
            if !self.at_set(PATH_SEGMENT) {
                return Err(self.expected("identifier"));
            }
            let ident = self.ident_of(self.pos);
            self.bump();
            let args = self.parse_seg_args(mode)?;
            self.sc.segs.push(PathSegment::new(ident, args));
            if self.at_path_sep() && self.nth_in(2, PATH_SEGMENT) {
                self.pos += 2;
                continue;
            }
            return Ok(());
        }
    }

    fn parse_seg_args(&mut self, mode: PathMode) -> PResult<Option<&'a GenericArgs<'a>>> {
        match mode {
            PathMode::Mod => Ok(None),
            PathMode::Type => {
                // `x as usize <= y`: `<=` never opens generic arguments.
                if self.at(T::Lt) && !self.at2(T::Lt, T::Eq) {
                    Ok(Some(self.parse_angle_args()?))
                } else if self.at_path_sep() && self.nth(2) == T::Lt {
                    self.pos += 2;
                    Ok(Some(self.parse_angle_args()?))
                } else if self.at(T::OpenParen) {
                    Ok(Some(self.parse_paren_args()?))
                } else {
                    Ok(None)
                }
            }
            PathMode::Expr => {
                if self.at_path_sep() && self.nth(2) == T::Lt {
                    self.pos += 2;
                    Ok(Some(self.parse_angle_args()?))
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// `(A, B) -> C` after a path segment in a type.
    fn parse_paren_args(&mut self) -> PResult<&'a GenericArgs<'a>> {
        let close = self.open(T::OpenParen)?;
        if self.at2(T::Dot, T::Dot) && close == Some(Closer(self.pos + 2)) {
            self.pos += 2;
            self.close(close, T::CloseParen)?;
            return Ok(self.alloc(GenericArgs::ParenDots));
        }
        let inputs = self
            .comma_list(ListEnd::Group(close), |p| p.parse_ty().map(Elem::Push))?
            .items;
        self.close(close, T::CloseParen)?;
        let output = self.parse_ret_ty(AllowPlus::No)?;
        Ok(self.alloc(GenericArgs::Paren { inputs, output }))
    }

    /// `<args>`; consumes exactly one `>` at the end.
    pub(super) fn parse_angle_args(&mut self) -> PResult<&'a GenericArgs<'a>> {
        let args = self.angle_list(|p| p.parse_generic_arg().map(Elem::Push))?;
        Ok(self.alloc(GenericArgs::Angle(args)))
    }

    fn parse_generic_arg(&mut self) -> PResult<GenericArg<'a>> {
        if self.at(T::Lifetime) {
            return Ok(GenericArg::Lifetime(self.parse_lifetime()?));
        }
        if self.at_set(CONST_ARG_FIRST) {
            return Ok(GenericArg::Const(self.parse_const_arg()?));
        }
        let ty = self.parse_ty()?;
        // `Item = T`, `Item<'a> = T`, `N = 3`, `Item: Bound`
        let single = match ty.kind {
            TyKind::Path(p) if !p.is_global() => match p.segments() {
                [seg] => Some(*seg),
                _ => None,
            },
            _ => None,
        };
        if let Some(seg) = single {
            if self.at(T::Eq) {
                self.bump();
                if self.at_set(CONST_ARG_FIRST) {
                    let expr = self.parse_const_arg()?;
                    return Ok(GenericArg::AssocConst {
                        ident: seg.ident,
                        expr,
                    });
                }
                let t = self.parse_ty()?;
                return Ok(GenericArg::AssocType {
                    ident: seg.ident,
                    args: seg.args,
                    ty: self.alloc(t),
                });
            }
            if self.at(T::Colon) && !self.at_path_sep() {
                self.bump();
                let bounds = self.parse_bounds()?;
                return Ok(GenericArg::Constraint {
                    ident: seg.ident,
                    args: seg.args,
                    bounds,
                });
            }
        }
        Ok(GenericArg::Type(self.alloc(ty)))
    }

    /// A const generic argument: literal, `-literal`, `{ block }`, bool.
    fn parse_const_arg(&mut self) -> PResult<&'a Expr<'a>> {
        let start = self.pos;
        match self.kind() {
            T::OpenBrace => {
                let b = self.parse_block()?;
                Ok(self.alloc(Expr {
                    kind: ExprKind::Block {
                        kind: crate::syntax::ast::BlockKind::Plain,
                        block: b,
                        label: None,
                    },
                    span: self.span_from(start),
                }))
            }
            T::Minus => {
                self.bump();
                let inner = self.parse_lit_expr()?;
                Ok(self.alloc(Expr {
                    kind: ExprKind::Unary(UnOp::Neg, self.alloc(inner)),
                    span: self.span_from(start),
                }))
            }
            _ => {
                let e = self.parse_lit_expr()?;
                Ok(self.alloc(e))
            }
        }
    }

    // ------------------------------------------------------------ generics

    /// `<params>` if present (no where clause).
    pub(super) fn parse_generics(&mut self) -> PResult<Generics<'a>> {
        if !self.at(T::Lt) {
            return Ok(Generics::default());
        }
        let params = self.parse_generic_params()?;
        Ok(Generics {
            params,
            where_clause: &[],
        })
    }

    /// `<'a: 'b, T: Bound = Default, const N: usize = 3>`
    fn parse_generic_params(&mut self) -> PResult<&'a [GenericParam<'a>]> {
        self.angle_list(|p| p.parse_generic_param().map(Elem::Push))
    }

    fn parse_generic_param(&mut self) -> PResult<GenericParam<'a>> {
        let pstart = self.pos;
        let attrs = self.parse_outer_attrs()?;
        let kind = match self.kind() {
            T::Lifetime => {
                let lifetime = self.parse_lifetime()?;
                let bounds = if self.eat(T::Colon) {
                    self.parse_lifetime_bounds()?
                } else {
                    &[]
                };
                GenericParamKind::Lifetime { lifetime, bounds }
            }
            T::KwConst => {
                self.bump();
                let ident = self.parse_ident()?;
                self.expect(T::Colon)?;
                let ty = self.parse_ty()?;
                let default = if !self.eat(T::Eq) {
                    None
                } else if self.at_path_start() {
                    Some(self.parse_path_expr_simple()?)
                } else {
                    Some(self.parse_const_arg()?)
                };
                GenericParamKind::Const {
                    ident,
                    ty: self.alloc(ty),
                    default,
                }
            }
            _ => {
                let ident = self.parse_ident()?;
                let bounds = if self.eat(T::Colon) {
                    self.parse_bounds()?
                } else {
                    &[]
                };
                let default = if self.eat(T::Eq) {
                    let t = self.parse_ty()?;
                    Some(self.alloc(t))
                } else {
                    None
                };
                GenericParamKind::Type {
                    ident,
                    bounds,
                    default,
                }
            }
        };
        Ok(GenericParam {
            attrs,
            kind,
            span: self.span_from(pstart),
        })
    }

    /// A path as an expression (const parameter defaults).
    fn parse_path_expr_simple(&mut self) -> PResult<&'a Expr<'a>> {
        let start = self.pos;
        let path = self.parse_path(PathMode::Expr)?;
        Ok(self.alloc(Expr {
            kind: ExprKind::Path(path),
            span: self.span_from(start),
        }))
    }

    /// `'a + 'b` (possibly empty).
    fn parse_lifetime_bounds(&mut self) -> PResult<&'a [Lifetime]> {
        let start = self.sc.lifetimes.len();
        while self.at(T::Lifetime) {
            let l = self.parse_lifetime()?;
            self.sc.lifetimes.push(l);
            if !self.eat(T::Plus) {
                break;
            }
        }
        Ok(finish(self.arena, &mut self.sc.lifetimes, start))
    }

    /// `for<'a, 'b>` if present.
    fn parse_for_lifetimes(&mut self) -> PResult<&'a [GenericParam<'a>]> {
        if self.at(T::KwFor) && self.nth(1) == T::Lt {
            self.bump();
            self.parse_generic_params()
        } else {
            Ok(&[])
        }
    }

    /// `where` predicates, if present.
    pub(super) fn parse_where_clause(&mut self) -> PResult<&'a [WherePredicate<'a>]> {
        if !self.eat(T::KwWhere) {
            return Ok(&[]);
        }
        let list = self.comma_list(ListEnd::Before(WHERE_CLAUSE_END), |p| {
            p.parse_where_predicate().map(Elem::Push)
        })?;
        Ok(list.items)
    }

    /// `'a: 'b + 'c` or `for<'a> T: Bound + 'a`
    fn parse_where_predicate(&mut self) -> PResult<WherePredicate<'a>> {
        if self.at(T::Lifetime) {
            let lifetime = self.parse_lifetime()?;
            self.expect(T::Colon)?;
            let bounds = self.parse_lifetime_bounds()?;
            return Ok(WherePredicate::Lifetime { lifetime, bounds });
        }
        let for_lifetimes = self.parse_for_lifetimes()?;
        let ty = self.parse_ty()?;
        self.expect(T::Colon)?;
        let bounds = self.parse_bounds()?;
        Ok(WherePredicate::Bound {
            for_lifetimes,
            ty: self.alloc(ty),
            bounds,
        })
    }

    // ------------------------------------------------------------ bounds

    fn can_begin_bound(&self) -> bool {
        self.at_set(BOUND_FIRST)
            || (self.at(T::KwUse) && self.nth(1) == T::Lt)
            || self.at_path_start()
    }

    /// `Bound + Bound + ...` (possibly empty, trailing `+` allowed).
    pub(super) fn parse_bounds(&mut self) -> PResult<&'a [GenericBound<'a>]> {
        let start = self.sc.bounds.len();
        self.parse_bounds_onto(AllowPlus::Yes)?;
        Ok(finish(self.arena, &mut self.sc.bounds, start))
    }

    /// Pushes bounds on the bound stack; one only unless `plus` allows more.
    fn parse_bounds_onto(&mut self, plus: AllowPlus) -> PResult<()> {
        while self.can_begin_bound() {
            let b = self.parse_bound()?;
            self.sc.bounds.push(b);
            if plus == AllowPlus::No || !self.eat(T::Plus) {
                break;
            }
        }
        Ok(())
    }

    fn parse_bound(&mut self) -> PResult<GenericBound<'a>> {
        let start = self.pos;
        if self.at(T::Lifetime) {
            return Ok(GenericBound::Lifetime(self.parse_lifetime()?));
        }
        if self.at(T::KwUse) && self.nth(1) == T::Lt {
            self.bump();
            let args = self.angle_list(|p| {
                Ok(Elem::Push(if p.at(T::Lifetime) {
                    GenericArg::Lifetime(p.parse_lifetime()?)
                } else {
                    let t = p.parse_ty()?;
                    GenericArg::Type(p.alloc(t))
                }))
            })?;
            return Ok(GenericBound::Use(args));
        }
        if self.at(T::OpenParen) {
            self.enter()?;
            let r = self.parse_paren_bound();
            self.leave();
            return r;
        }
        let for_lifetimes = self.parse_for_lifetimes()?;
        let mut modifiers = BoundModifiers::default();
        loop {
            if self.at(T::Tilde) && self.nth(1) == T::KwConst {
                self.pos += 2;
                modifiers.maybe_const = true;
            } else if self.at(T::KwConst) {
                self.bump();
                modifiers.constness = true;
            } else if self.at(T::KwAsync) {
                self.bump();
                modifiers.asyncness = true;
            } else if self.at(T::Question) {
                self.bump();
                modifiers.maybe = true;
            } else if self.at(T::Bang) {
                self.bump();
                modifiers.negative = true;
            } else {
                break;
            }
        }
        let for_lifetimes = if for_lifetimes.is_empty() {
            self.parse_for_lifetimes()?
        } else {
            for_lifetimes
        };
        let path = self.parse_path(PathMode::Type)?;
        Ok(GenericBound::Trait {
            modifiers,
            for_lifetimes,
            path,
            span: self.span_from(start),
        })
    }

    /// `(Bound)`
    fn parse_paren_bound(&mut self) -> PResult<GenericBound<'a>> {
        let close = self.open(T::OpenParen)?;
        let b = self.parse_bound()?;
        self.close(close, T::CloseParen)?;
        Ok(b)
    }

    // ------------------------------------------------------------ types

    /// A type, `+` bounds allowed (`dyn A + B`).
    pub(super) fn parse_ty(&mut self) -> PResult<Ty<'a>> {
        self.parse_ty_with(AllowPlus::Yes)
    }

    /// A type where `+` ends it (after `&`, `*const`, `as`).
    pub(super) fn parse_ty_no_plus(&mut self) -> PResult<Ty<'a>> {
        self.parse_ty_with(AllowPlus::No)
    }

    pub(super) fn parse_ty_with(&mut self, plus: AllowPlus) -> PResult<Ty<'a>> {
        self.enter()?;
        let r = self.parse_ty_inner(plus);
        self.leave();
        r
    }

    fn parse_ty_inner(&mut self, plus: AllowPlus) -> PResult<Ty<'a>> {
        let start = self.pos;
        let kind = match self.kind() {
            T::OpenParen => {
                let list = self.paren_list(|p| p.parse_ty().map(Elem::Push))?;
                if let [inner] = list.items
                    && !list.trailing
                {
                    if plus == AllowPlus::Yes && self.at(T::Plus) {
                        // `(Trait) + Send`: a bare trait object.
                        self.bump();
                        let bstart = self.sc.bounds.len();
                        if let TyKind::Path(path) = inner.kind {
                            self.sc.bounds.push(GenericBound::Trait {
                                modifiers: BoundModifiers::default(),
                                for_lifetimes: &[],
                                path,
                                span: inner.span,
                            });
                        }
                        self.parse_bounds_onto(AllowPlus::Yes)?;
                        TyKind::TraitObject {
                            dyn_: false,
                            bounds: finish(self.arena, &mut self.sc.bounds, bstart),
                        }
                    } else {
                        TyKind::Paren(inner)
                    }
                } else {
                    TyKind::Tuple(list.items)
                }
            }
            T::OpenBracket => {
                let close = self.open(T::OpenBracket)?;
                let elem = self.parse_ty()?;
                let elem = self.alloc(elem);
                let kind = if self.eat(T::Semi) {
                    let len = self.parse_expr()?;
                    TyKind::Array(elem, len)
                } else {
                    TyKind::Slice(elem)
                };
                self.close(close, T::CloseBracket)?;
                kind
            }
            T::And => {
                self.bump();
                let lifetime = if self.at(T::Lifetime) {
                    Some(self.parse_lifetime()?)
                } else {
                    None
                };
                let mutbl = self.eat(T::KwMut);
                let ty = self.parse_ty_no_plus()?;
                TyKind::Ref {
                    lifetime,
                    mutbl,
                    ty: self.alloc(ty),
                }
            }
            T::Star => {
                self.bump();
                let mutbl = if self.eat(T::KwMut) {
                    true
                } else {
                    self.expect(T::KwConst)?;
                    false
                };
                let ty = self.parse_ty_no_plus()?;
                TyKind::Ptr {
                    mutbl,
                    ty: self.alloc(ty),
                }
            }
            T::Bang => {
                self.bump();
                TyKind::Never
            }
            T::Underscore => {
                self.bump();
                TyKind::Infer
            }
            T::KwFn | T::KwUnsafe | T::KwExtern => TyKind::BareFn(self.parse_bare_fn(&[])?),
            T::KwFor => {
                let for_lifetimes = self.parse_for_lifetimes()?;
                if matches!(self.kind(), T::KwFn | T::KwUnsafe | T::KwExtern) {
                    TyKind::BareFn(self.parse_bare_fn(for_lifetimes)?)
                } else {
                    // `for<'a> Trait<'a> + Send`: a bare trait object.
                    let bstart = self.sc.bounds.len();
                    let bound_start = self.pos;
                    let path = self.parse_path(PathMode::Type)?;
                    self.sc.bounds.push(GenericBound::Trait {
                        modifiers: BoundModifiers::default(),
                        for_lifetimes,
                        path,
                        span: self.span_from(bound_start),
                    });
                    if plus == AllowPlus::Yes && self.eat(T::Plus) {
                        self.parse_bounds_onto(AllowPlus::Yes)?;
                    }
                    TyKind::TraitObject {
                        dyn_: false,
                        bounds: finish(self.arena, &mut self.sc.bounds, bstart),
                    }
                }
            }
            T::KwImpl => {
                self.bump();
                let bstart = self.sc.bounds.len();
                self.parse_bounds_onto(plus)?;
                TyKind::ImplTrait(finish(self.arena, &mut self.sc.bounds, bstart))
            }
            T::KwDyn => {
                self.bump();
                let bstart = self.sc.bounds.len();
                self.parse_bounds_onto(plus)?;
                TyKind::TraitObject {
                    dyn_: true,
                    bounds: finish(self.arena, &mut self.sc.bounds, bstart),
                }
            }
            T::Question => {
                // `?Sized` as a bare trait object (old code in bounds position).
                let bstart = self.sc.bounds.len();
                self.parse_bounds_onto(plus)?;
                TyKind::TraitObject {
                    dyn_: false,
                    bounds: finish(self.arena, &mut self.sc.bounds, bstart),
                }
            }
            T::Lt => {
                let (qself, path) = self.parse_qpath(PathMode::Type)?;
                TyKind::QPath(self.alloc(QPath { qself, path }))
            }
            _ if self.at_path_start() => {
                let path = self.parse_path(PathMode::Type)?;
                if self.at(T::Bang) && self.nth(1).is_open() {
                    self.bump();
                    let args = self.parse_delimited()?;
                    TyKind::MacCall(self.alloc(crate::syntax::ast::MacCall { path, args }))
                } else if plus == AllowPlus::Yes && self.at(T::Plus) {
                    self.bump();
                    let bstart = self.sc.bounds.len();
                    self.sc.bounds.push(GenericBound::Trait {
                        modifiers: BoundModifiers::default(),
                        for_lifetimes: &[],
                        path,
                        span: path.span,
                    });
                    self.parse_bounds_onto(AllowPlus::Yes)?;
                    TyKind::TraitObject {
                        dyn_: false,
                        bounds: finish(self.arena, &mut self.sc.bounds, bstart),
                    }
                } else {
                    TyKind::Path(path)
                }
            }
            _ => return Err(self.expected("type")),
        };
        Ok(Ty {
            kind,
            span: self.span_from(start),
        })
    }

    /// `<T as Trait>::rest` or `<T>::rest`.
    pub(super) fn parse_qpath(&mut self, mode: PathMode) -> PResult<(&'a QSelf<'a>, Path<'a>)> {
        self.expect(T::Lt)?;
        let ty = self.parse_ty()?;
        let as_trait = if self.eat(T::KwAs) {
            Some(self.parse_path(PathMode::Type)?)
        } else {
            None
        };
        self.expect(T::Gt)?;
        let qself = self.alloc(QSelf {
            ty: self.alloc(ty),
            as_trait,
        });
        if !self.eat2(T::Colon, T::Colon) {
            return Err(self.expected("`::`"));
        }
        let path = self.parse_path(mode)?;
        Ok((qself, path))
    }

    /// `[unsafe] [extern "abi"] fn(params) -> Ty`, after `for<..>`.
    fn parse_bare_fn(
        &mut self,
        for_lifetimes: &'a [GenericParam<'a>],
    ) -> PResult<&'a BareFnTy<'a>> {
        let unsafety = self.eat(T::KwUnsafe);
        let abi = self.parse_abi();
        self.expect(T::KwFn)?;
        let mut variadic = false;
        let params = self
            .paren_list(|p| {
                p.parse_outer_attrs()?;
                let named =
                    p.at_set(IDENT_OR_UNDERSCORE) && p.nth(1) == T::Colon && !p.at_path_sep_at(1);
                let name: Option<Ident> = named.then(|| p.ident_of(p.pos));
                if named {
                    p.pos += 2;
                }
                if p.at3(T::Dot, T::Dot, T::Dot) {
                    p.pos += 3;
                    variadic = true;
                    return Ok(Elem::Skip);
                }
                let ty = p.parse_ty()?;
                Ok(Elem::Push(BareFnParam { name, ty }))
            })?
            .items;
        let output = self.parse_ret_ty(AllowPlus::No)?;
        Ok(self.alloc(BareFnTy {
            for_lifetimes,
            unsafety,
            abi,
            params,
            variadic,
            output,
        }))
    }
}
