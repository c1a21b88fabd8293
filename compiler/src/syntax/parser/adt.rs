//! Structs, unions, enums and their fields.

use super::{Elem, PResult, Parser};
use crate::syntax::Intern;
use crate::syntax::ast::{EnumItem, FieldDef, ItemKind, StructItem, Variant, VariantData};
use crate::syntax::token::TokenKind as T;
use tern_arena::Kind;

impl<'a, I: Intern + ?Sized, K: Kind> Parser<'a, '_, I, K> {
    /// After `struct`/`union`: name, generics, fields.
    pub(super) fn parse_struct_rest(&mut self, allow_tuple: bool) -> PResult<StructItem<'a>> {
        let ident = self.parse_ident()?;
        let mut generics = self.parse_generics()?;
        if allow_tuple && self.at(T::OpenParen) {
            let fields = self.parse_tuple_fields()?;
            generics.where_clause = self.parse_where_clause()?;
            self.expect(T::Semi)?;
            return Ok(StructItem {
                ident,
                generics: self.generics_ref(generics),
                data: VariantData::Tuple(fields),
            });
        }
        generics.where_clause = self.parse_where_clause()?;
        if allow_tuple && self.eat(T::Semi) {
            return Ok(StructItem {
                ident,
                generics: self.generics_ref(generics),
                data: VariantData::Unit,
            });
        }
        let fields = self.parse_named_fields()?;
        Ok(StructItem {
            ident,
            generics: self.generics_ref(generics),
            data: VariantData::Struct(fields),
        })
    }

    /// `{ a: A, pub b: B = default }`
    fn parse_named_fields(&mut self) -> PResult<&'a [FieldDef<'a>]> {
        let list = self.brace_list(|p| {
            let fstart = p.pos;
            let attrs = p.parse_outer_attrs()?;
            let vis = p.parse_vis()?;
            let ident = p.parse_ident()?;
            p.expect(T::Colon)?;
            let ty = p.parse_ty()?;
            let default = if p.eat(T::Eq) {
                Some(p.parse_expr()?)
            } else {
                None
            };
            Ok(Elem::Push(FieldDef {
                attrs,
                vis,
                ident: Some(ident),
                ty: p.alloc(ty),
                default,
                span: p.span_from(fstart),
            }))
        })?;
        Ok(list.items)
    }

    /// `(A, pub B)`
    fn parse_tuple_fields(&mut self) -> PResult<&'a [FieldDef<'a>]> {
        let list = self.paren_list(|p| {
            let fstart = p.pos;
            let attrs = p.parse_outer_attrs()?;
            let vis = p.parse_vis()?;
            let ty = p.parse_ty()?;
            Ok(Elem::Push(FieldDef {
                attrs,
                vis,
                ident: None,
                ty: p.alloc(ty),
                default: None,
                span: p.span_from(fstart),
            }))
        })?;
        Ok(list.items)
    }

    pub(super) fn parse_enum(&mut self) -> PResult<ItemKind<'a>> {
        self.expect(T::KwEnum)?;
        let ident = self.parse_ident()?;
        let mut generics = self.parse_generics()?;
        generics.where_clause = self.parse_where_clause()?;
        let variants = self
            .brace_list(|p| {
                let vstart = p.pos;
                let attrs = p.parse_outer_attrs()?;
                let vis = p.parse_vis()?;
                let ident = p.parse_ident()?;
                let data = match p.kind() {
                    T::OpenBrace => VariantData::Struct(p.parse_named_fields()?),
                    T::OpenParen => VariantData::Tuple(p.parse_tuple_fields()?),
                    _ => VariantData::Unit,
                };
                let discriminant = if p.eat(T::Eq) {
                    Some(p.parse_expr()?)
                } else {
                    None
                };
                Ok(Elem::Push(Variant {
                    attrs,
                    vis,
                    ident,
                    data,
                    discriminant,
                    span: p.span_from(vstart),
                }))
            })?
            .items;
        Ok(ItemKind::Enum(self.alloc(EnumItem {
            ident,
            generics: self.generics_ref(generics),
            variants,
        })))
    }
}
