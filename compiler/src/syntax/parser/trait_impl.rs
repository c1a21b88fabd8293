//! Traits, trait aliases and impls.

use super::{PResult, Parser};
use crate::syntax::Intern;
use crate::syntax::ast::{Generics, ImplItem, ItemKind, Safety, TraitAlias, TraitItem, TyKind};
use crate::syntax::kw;
use crate::syntax::token::TokenKind as T;
use tern_arena::Kind;

impl<'a, I: Intern + ?Sized, K: Kind> Parser<'a, '_, I, K> {
    /// `[const] [unsafe] [auto] trait ...` or `[const] [unsafe] impl ...`,
    /// after `default`.
    pub(super) fn parse_trait_or_impl(&mut self, defaultness: bool) -> PResult<ItemKind<'a>> {
        let constness = self.eat(T::KwConst);
        let safety = if self.eat(T::KwUnsafe) {
            Safety::Unsafe
        } else {
            Safety::Default
        };
        let auto = self.at_kw(kw::Auto) && {
            self.bump();
            true
        };
        if self.eat(T::KwTrait) {
            let ident = self.parse_ident()?;
            let mut generics = self.parse_generics()?;
            if self.eat(T::Eq) {
                let bounds = self.parse_bounds()?;
                generics.where_clause = self.parse_where_clause()?;
                self.expect(T::Semi)?;
                return Ok(ItemKind::TraitAlias(self.alloc(TraitAlias {
                    ident,
                    generics: self.generics_ref(generics),
                    bounds,
                })));
            }
            let supertraits = if self.eat(T::Colon) {
                self.parse_bounds()?
            } else {
                &[]
            };
            generics.where_clause = self.parse_where_clause()?;
            let (_, items) = self.parse_item_body()?;
            return Ok(ItemKind::Trait(self.alloc(TraitItem {
                safety,
                auto,
                ident,
                generics: self.generics_ref(generics),
                supertraits,
                items,
            })));
        }
        self.expect(T::KwImpl)?;
        let mut generics = if self.at(T::Lt) && self.impl_generics_follow() {
            self.parse_generics()?
        } else {
            Generics::default()
        };
        let constness = constness || self.eat(T::KwConst);
        // `impl !Trait for T`, but `impl ! {}` is an impl of the never type.
        let negative = self.at(T::Bang) && self.nth(1) != T::OpenBrace && {
            self.bump();
            true
        };
        let first = self.parse_ty()?;
        let (trait_, self_ty) = if self.eat(T::KwFor) {
            let TyKind::Path(path) = first.kind else {
                let lo = first.span.lo;
                return Err(self.error_at(lo, "expected a trait path before `for`".to_owned()));
            };
            let self_ty = self.parse_ty()?;
            (Some(path), self_ty)
        } else {
            (None, first)
        };
        generics.where_clause = self.parse_where_clause()?;
        let (_, items) = self.parse_item_body()?;
        Ok(ItemKind::Impl(self.alloc(ImplItem {
            defaultness,
            safety,
            constness,
            generics: self.generics_ref(generics),
            negative,
            trait_,
            self_ty: self.alloc(self_ty),
            items,
        })))
    }

    /// After `impl`, whether `<` opens generic parameters rather than a
    /// qualified self type (`impl <T as Tr>::X {}`).
    fn impl_generics_follow(&self) -> bool {
        match self.nth(1) {
            T::Gt | T::Pound | T::Lifetime | T::KwConst => true,
            T::Ident | T::RawIdent => matches!(self.nth(2), T::Gt | T::Comma | T::Colon | T::Eq),
            _ => false,
        }
    }
}
