//! Functions: qualifiers, ABI, parameters (`self` forms included), return
//! types.

use super::ty::AllowPlus;
use super::{Elem, PResult, Parser};
use crate::syntax::Intern;
use crate::syntax::ast::{Abi, FnItem, FnSig, ItemKind, Param, ParamKind, Safety, Ty};
use crate::syntax::kw;
use crate::syntax::token::TokenKind as T;
use tern_arena::Kind;

/// Qualifiers in front of `fn`.
#[derive(Default, Clone, Copy)]
struct FnQuals {
    constness: bool,
    asyncness: bool,
    safety: Safety,
    abi: Option<Abi>,
}

impl<'a, I: Intern + ?Sized, K: Kind> Parser<'a, '_, I, K> {
    /// Whether `[const] [async] [unsafe | safe] [extern ["abi"]] fn` starts
    /// `n` tokens ahead: exactly what [`Parser::parse_fn`] accepts.
    pub(super) fn fn_starts_at(&self, mut n: usize) -> bool {
        if self.nth(n) == T::KwConst {
            n += 1;
        }
        if self.nth(n) == T::KwAsync {
            n += 1;
        }
        if self.nth(n) == T::KwUnsafe || self.nth_is_kw(n, kw::Safe) {
            n += 1;
        }
        if self.nth(n) == T::KwExtern {
            n += 1;
            if self.nth(n) == T::Literal {
                n += 1;
            }
        }
        self.nth(n) == T::KwFn
    }

    fn parse_fn_quals(&mut self) -> FnQuals {
        let mut q = FnQuals::default();
        if self.eat(T::KwConst) {
            q.constness = true;
        }
        if self.eat(T::KwAsync) {
            q.asyncness = true;
        }
        if self.eat(T::KwUnsafe) {
            q.safety = Safety::Unsafe;
        } else if self.at_kw(kw::Safe) {
            self.bump();
            q.safety = Safety::Safe;
        }
        q.abi = self.parse_abi();
        q
    }

    /// `extern` or `extern "abi"`, if present.
    pub(super) fn parse_abi(&mut self) -> Option<Abi> {
        if !self.eat(T::KwExtern) {
            return None;
        }
        let name = if self.at(T::Literal) {
            Some(self.parse_lit_token())
        } else {
            None
        };
        Some(Abi { name })
    }

    pub(super) fn parse_fn(&mut self, defaultness: bool) -> PResult<ItemKind<'a>> {
        let q = self.parse_fn_quals();
        self.expect(T::KwFn)?;
        let ident = self.parse_ident()?;
        let mut generics = self.parse_generics()?;
        let (params, variadic) = self.parse_fn_params()?;
        let output = self.parse_ret_ty(AllowPlus::Yes)?;
        generics.where_clause = self.parse_where_clause()?;
        let body = if self.eat(T::Semi) {
            None
        } else {
            Some(self.parse_block()?)
        };
        Ok(ItemKind::Fn(self.alloc(FnItem {
            defaultness,
            ident,
            generics: self.generics_ref(generics),
            sig: FnSig {
                constness: q.constness,
                asyncness: q.asyncness,
                safety: q.safety,
                abi: q.abi,
                params,
                variadic,
                output,
            },
            body,
        })))
    }

    /// `-> Ty` if present. A function's or closure's return type takes `+`
    /// bounds (`-> impl A + B`); in `Fn() -> T + Send` and `fn() -> T` types,
    /// `+` ends the return type ([`AllowPlus::No`]).
    pub(super) fn parse_ret_ty(&mut self, plus: AllowPlus) -> PResult<Option<&'a Ty<'a>>> {
        if self.eat2(T::Minus, T::Gt) {
            let ty = self.parse_ty_with(plus)?;
            Ok(Some(self.alloc(ty)))
        } else {
            Ok(None)
        }
    }

    /// `(params)`, and whether the last one is a C-variadic `...`.
    fn parse_fn_params(&mut self) -> PResult<(&'a [Param<'a>], bool)> {
        let mut variadic = false;
        let list = self.paren_list(|p| {
            let pstart = p.pos;
            let attrs = p.parse_outer_attrs()?;
            if p.at3(T::Dot, T::Dot, T::Dot) {
                p.pos += 3;
                variadic = true;
                return Ok(Elem::Skip);
            }
            let Some(kind) = p.parse_param_kind()? else {
                variadic = true;
                return Ok(Elem::Skip);
            };
            let span = p.span_from(pstart);
            Ok(Elem::Push(Param { attrs, kind, span }))
        })?;
        Ok((list.items, variadic))
    }

    /// One parameter; `None` for a named variadic `args: ...`.
    fn parse_param_kind(&mut self) -> PResult<Option<ParamKind<'a>>> {
        let self_at = |p: &Self, n: usize| {
            p.nth(n) == T::KwSelfValue
                && !(p.toks[p.pos + n].joint
                    && p.nth(n + 1) == T::Colon
                    && p.nth(n + 2) == T::Colon)
        };
        if self.at(T::And) {
            let (lifetime_n, mut n) = if self.nth(1) == T::Lifetime {
                (true, 2)
            } else {
                (false, 1)
            };
            let mutbl = self.nth(n) == T::KwMut;
            if mutbl {
                n += 1;
            }
            if self_at(self, n) {
                self.bump();
                let lifetime = if lifetime_n {
                    Some(self.parse_lifetime()?)
                } else {
                    None
                };
                if mutbl {
                    self.bump();
                }
                self.bump();
                return Ok(Some(ParamKind::SelfRef { lifetime, mutbl }));
            }
        }
        let mutbl = self.at(T::KwMut) && self_at(self, 1);
        if self_at(self, 0) || mutbl {
            if mutbl {
                self.bump();
            }
            self.bump();
            if self.eat(T::Colon) {
                let ty = self.parse_ty()?;
                return Ok(Some(ParamKind::SelfTyped {
                    mutbl,
                    ty: self.alloc(ty),
                }));
            }
            return Ok(Some(ParamKind::SelfValue { mutbl }));
        }
        // `pat: Ty`, or a bare type (anonymous parameter). Decided by
        // lookahead, not backtracking, so nested parameters cannot make
        // parsing exponential.
        if !self.param_has_pattern() {
            let ty = self.parse_ty()?;
            return Ok(Some(ParamKind::Anonymous { ty: self.alloc(ty) }));
        }
        let pat = self.parse_pat_no_top_alt()?;
        self.expect(T::Colon)?;
        if self.at3(T::Dot, T::Dot, T::Dot) {
            self.pos += 3;
            return Ok(None);
        }
        let ty = self.parse_ty()?;
        Ok(Some(ParamKind::Normal {
            pat: self.alloc(pat),
            ty: self.alloc(ty),
        }))
    }

    /// Whether a single `:` (not `::`) comes before the next `,` or `)`,
    /// skipping delimited groups: then the parameter is `pat: Ty`.
    fn param_has_pattern(&self) -> bool {
        let mut i = self.pos;
        loop {
            let t = &self.toks[i];
            match t.kind {
                T::Eof | T::Comma => return false,
                k if k.is_close() => return false,
                T::Colon => {
                    let next = self.toks.get(i + 1);
                    if t.joint && next.is_some_and(|n| n.kind == T::Colon) {
                        i += 2;
                        continue;
                    }
                    return true;
                }
                _ => i = self.skip_tree(i),
            }
        }
    }
}
