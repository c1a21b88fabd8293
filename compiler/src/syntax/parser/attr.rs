//! Attributes (`#[..]`, `#![..]`) and visibility (`pub`, `pub(crate)`, ...).

use super::{PResult, Parser, finish};
use crate::syntax::Intern;
use crate::syntax::ast::{AttrArgs, AttrStyle, Attribute, Path, Visibility};
use crate::syntax::token::TokenKind as T;
use tern_arena::Kind;

impl<'a, I: Intern + ?Sized, K: Kind> Parser<'a, '_, I, K> {
    // ------------------------------------------------------------ attributes

    /// Inner attributes at the start of a file or body, recovering.
    pub(super) fn parse_inner_attrs_recovering(&mut self) -> &'a [Attribute<'a>] {
        let mark = self.mark();
        let start = self.pos;
        if let Ok(a) = self.parse_inner_attrs() {
            a
        } else {
            self.restore(mark);
            self.recover_item(start);
            &[]
        }
    }

    fn at_inner_attr(&self) -> bool {
        self.at(T::Pound) && self.nth(1) == T::Bang && self.nth(2) == T::OpenBracket
    }

    /// `#![...]`*
    pub(super) fn parse_inner_attrs(&mut self) -> PResult<&'a [Attribute<'a>]> {
        let start = self.sc.attrs.len();
        while self.at_inner_attr() {
            let a = self.parse_attr()?;
            self.sc.attrs.push(a);
        }
        Ok(finish(self.arena, &mut self.sc.attrs, start))
    }

    /// `#[...]`*
    pub(super) fn parse_outer_attrs(&mut self) -> PResult<&'a [Attribute<'a>]> {
        if !self.at(T::Pound) {
            return Ok(&[]);
        }
        let start = self.sc.attrs.len();
        while self.at(T::Pound) && self.nth(1) == T::OpenBracket {
            let a = self.parse_attr()?;
            self.sc.attrs.push(a);
        }
        Ok(finish(self.arena, &mut self.sc.attrs, start))
    }

    fn parse_attr(&mut self) -> PResult<Attribute<'a>> {
        let start = self.pos;
        self.expect(T::Pound)?;
        let style = if self.eat(T::Bang) {
            AttrStyle::Inner
        } else {
            AttrStyle::Outer
        };
        let close = self.open(T::OpenBracket)?;
        let unsafety = self.at(T::KwUnsafe) && self.nth(1) == T::OpenParen;
        let inner_close = if unsafety {
            self.bump();
            Some(self.open(T::OpenParen)?)
        } else {
            None
        };
        let path = self.parse_mod_path()?;
        let args = if self.kind().is_open() {
            AttrArgs::Delimited(self.parse_delimited()?)
        } else if self.eat(T::Eq) {
            AttrArgs::Eq(self.parse_expr()?)
        } else {
            AttrArgs::Empty
        };
        if let Some(c) = inner_close {
            self.close(c, T::CloseParen)?;
        }
        self.close(close, T::CloseBracket)?;
        Ok(Attribute {
            style,
            unsafety,
            path,
            args,
            span: self.span_from(start),
        })
    }

    // ------------------------------------------------------------ visibility

    pub(super) fn parse_vis(&mut self) -> PResult<Visibility<'a>> {
        if !self.at(T::KwPub) {
            return Ok(Visibility::Inherited);
        }
        self.bump();
        if !self.at(T::OpenParen) {
            return Ok(Visibility::Public);
        }
        // `pub(crate)`, `pub(self)`, `pub(super)`, `pub(in path)`; anything
        // else is a parenthesized type (`struct S(pub (u8, u8));`).
        let k1 = self.nth(1);
        let k2 = self.nth(2);
        if k2 == T::CloseParen && matches!(k1, T::KwCrate | T::KwSelfValue | T::KwSuper) {
            self.bump();
            let seg_pos = self.pos;
            self.bump();
            self.bump();
            if k1 == T::KwCrate {
                return Ok(Visibility::Crate);
            }
            let path = Path::ident(self.ident_of(seg_pos));
            return Ok(Visibility::Restricted(self.alloc(path)));
        }
        if k1 == T::KwIn {
            let close = self.open(T::OpenParen)?;
            self.bump();
            let path = self.parse_mod_path()?;
            self.close(close, T::CloseParen)?;
            return Ok(Visibility::Restricted(self.alloc(path)));
        }
        Ok(Visibility::Public)
    }
}
