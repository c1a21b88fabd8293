//! Items: the item loop, the one decision of which item starts at the
//! cursor, and the small items (modules, extern blocks, `static`, `const`,
//! type aliases, macros). Functions, ADTs, traits/impls, use trees and
//! attributes have files of their own.

use super::token_set::{IDENT, MACRO_PATH_SEGMENT};
use super::{Closer, PResult, Parser, finish};
use crate::syntax::Intern;
use crate::syntax::ast::{
    Attribute, ConstItem, Delim, ExternCrate, ForeignMod, Item, ItemKind, MacCall, MacroItem,
    ModBody, ModItem, Safety, StaticItem, TyAlias, Visibility,
};
use crate::syntax::kw;
use crate::syntax::token::TokenKind as T;
use tern_arena::Kind;

/// The item that starts at the cursor (after attributes and visibility),
/// decided by lookahead alone by [`Parser::item_start`]: statements ask it
/// whether an item starts, item lists ask it which one, so the two cannot
/// disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ItemStart {
    /// `default` (specialization) came first.
    pub(super) defaultness: bool,
    pub(super) head: ItemHead,
}

/// Which parser an item goes to. Each one consumes its own qualifiers
/// (`unsafe`, `safe`, `const`, `auto`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ItemHead {
    /// `use`
    Use,
    /// `extern crate`
    ExternCrate,
    /// `[unsafe] extern ["abi"] {`
    ForeignMod,
    /// `[unsafe | safe] static name`
    Static,
    /// `const name` / `const _`
    Const,
    /// `[const] [async] [unsafe | safe] [extern ["abi"]] fn`
    Fn,
    /// `[unsafe] mod`
    Mod,
    /// `type`
    TyAlias,
    /// `struct`
    Struct,
    /// `union name`
    Union,
    /// `enum`
    Enum,
    /// `[const] [unsafe] [auto] trait`, `[const] [unsafe] impl`
    TraitOrImpl,
    /// `macro_rules! name`
    MacroRules,
    /// `macro name`
    MacroDef,
    /// `path! ...` (only where macros are items: not in statements, which
    /// parse macro invocations themselves, and not after a visibility)
    MacCall,
}

impl ItemHead {
    /// Whether `default` may precede it.
    fn takes_default(self) -> bool {
        matches!(
            self,
            ItemHead::Fn | ItemHead::TraitOrImpl | ItemHead::TyAlias | ItemHead::Const
        )
    }
}

impl<'a, I: Intern + ?Sized, K: Kind> Parser<'a, '_, I, K> {
    // ------------------------------------------------------------ lists

    /// Items until the group closer `close` (to end of file for the top
    /// level, `None`, or an unmatched group), recovering from errors item by
    /// item.
    pub(super) fn parse_items(&mut self, close: Option<Closer>) -> &'a [Item<'a>] {
        let start = self.sc.items.len();
        loop {
            if self.at(T::Eof) || close.is_some_and(|Closer(c)| self.pos >= c) {
                break;
            }
            if self.kind().is_close() {
                if close.is_some() {
                    break;
                }
                // A closer with nothing to close here: a stray one was
                // reported by the lexer; any other is out of place.
                if self.tok().pair != crate::syntax::Token::NO_MATCH {
                    let _ = self.expected("item");
                }
                self.bump();
                continue;
            }
            let mark = self.mark();
            let item_start = self.pos;
            if let Ok(item) = self.parse_item() {
                self.sc.items.push(item);
            } else {
                self.restore(mark);
                self.recover_item(item_start);
            }
        }
        finish(self.arena, &mut self.sc.items, start)
    }

    /// `{ #![inner] items }` with item-level recovery inside.
    #[allow(clippy::type_complexity, reason = "a pair of slices")]
    pub(super) fn parse_item_body(&mut self) -> PResult<(&'a [Attribute<'a>], &'a [Item<'a>])> {
        let close = self.open(T::OpenBrace)?;
        let inner = self.parse_inner_attrs()?;
        let items = self.parse_items(close);
        self.close(close, T::CloseBrace)?;
        Ok((inner, items))
    }

    // ------------------------------------------------------------ which item

    /// The item starting at the cursor, after attributes and visibility;
    /// `macros`: whether a macro invocation counts as one. Pure lookahead.
    #[inline]
    pub(super) fn item_start(&self, macros: bool) -> Option<ItemStart> {
        if self.at_kw(kw::Default)
            && let Some(head) = self.item_head_at(1, false)
            && head.takes_default()
        {
            return Some(ItemStart {
                defaultness: true,
                head,
            });
        }
        let head = self.item_head_at(0, macros)?;
        Some(ItemStart {
            defaultness: false,
            head,
        })
    }

    /// Whether an item starts here (statements): a visibility, or an item
    /// by [`Parser::item_start`] (macro invocations are statements' own).
    pub(super) fn at_item_start(&self) -> bool {
        self.at(T::KwPub) || self.item_start(false).is_some()
    }

    fn item_head_at(&self, n: usize, macros: bool) -> Option<ItemHead> {
        let k = |i: usize| self.nth(n + i);
        let head = match k(0) {
            T::KwUse => ItemHead::Use,
            T::KwFn => ItemHead::Fn,
            T::KwStruct => ItemHead::Struct,
            T::KwEnum => ItemHead::Enum,
            T::KwType => ItemHead::TyAlias,
            T::KwMod => ItemHead::Mod,
            T::KwTrait | T::KwImpl => ItemHead::TraitOrImpl,
            T::KwExtern => match k(1) {
                T::KwCrate => ItemHead::ExternCrate,
                T::OpenBrace => ItemHead::ForeignMod,
                T::Literal if k(2) == T::OpenBrace => ItemHead::ForeignMod,
                _ => return self.fn_starts_at(n).then_some(ItemHead::Fn),
            },
            // Not a `static || ..` closure.
            T::KwStatic if matches!(k(1), T::Ident | T::RawIdent | T::KwMut) => ItemHead::Static,
            // Not a `const { .. }` block or a `const || ..` closure.
            T::KwConst => match k(1) {
                T::KwImpl | T::KwTrait => ItemHead::TraitOrImpl,
                T::KwUnsafe
                    if matches!(k(2), T::KwImpl | T::KwTrait) || self.auto_trait_at(n + 2) =>
                {
                    ItemHead::TraitOrImpl
                }
                _ if self.auto_trait_at(n + 1) => ItemHead::TraitOrImpl,
                T::Ident | T::RawIdent | T::Underscore => ItemHead::Const,
                _ => return self.fn_starts_at(n).then_some(ItemHead::Fn),
            },
            // Not an `unsafe { .. }` block.
            T::KwUnsafe => match k(1) {
                T::KwImpl | T::KwTrait => ItemHead::TraitOrImpl,
                _ if self.auto_trait_at(n + 1) => ItemHead::TraitOrImpl,
                T::KwMod => ItemHead::Mod,
                T::KwStatic => ItemHead::Static,
                T::KwExtern
                    if k(2) == T::OpenBrace || (k(2) == T::Literal && k(3) == T::OpenBrace) =>
                {
                    ItemHead::ForeignMod
                }
                _ => return self.fn_starts_at(n).then_some(ItemHead::Fn),
            },
            T::KwAsync => return self.fn_starts_at(n).then_some(ItemHead::Fn),
            // Contextual keywords: one symbol load, then what must follow.
            T::Ident => match self.toks[self.pos + n].sym {
                Some(kw::Union) if IDENT.contains(k(1)) => ItemHead::Union,
                Some(kw::Auto) if k(1) == T::KwTrait => ItemHead::TraitOrImpl,
                Some(kw::Safe) if k(1) == T::KwStatic => ItemHead::Static,
                Some(kw::Safe) if self.fn_starts_at(n) => ItemHead::Fn,
                Some(kw::MacroRules) if k(1) == T::Bang && IDENT.contains(k(2)) => {
                    ItemHead::MacroRules
                }
                Some(kw::Macro) if IDENT.contains(k(1)) => ItemHead::MacroDef,
                _ if macros && self.at_macro_path_at(n) => ItemHead::MacCall,
                _ => return None,
            },
            T::KwSelfValue | T::KwSuper | T::KwCrate | T::Colon
                if macros && self.at_macro_path_at(n) =>
            {
                ItemHead::MacCall
            }
            _ => return None,
        };
        Some(head)
    }

    /// `auto trait`, `n` tokens ahead.
    fn auto_trait_at(&self, n: usize) -> bool {
        self.nth_is_kw(n, kw::Auto) && self.nth(n + 1) == T::KwTrait
    }

    /// A path followed by `!` and a delimiter (or by `! name {`), `n`
    /// tokens ahead.
    fn at_macro_path_at(&self, n: usize) -> bool {
        let kind = |j: usize| self.toks.get(j).map_or(T::Eof, |t| t.kind);
        let joint = |j: usize| self.toks.get(j).is_some_and(|t| t.joint);
        let mut i = self.pos + n;
        if kind(i) == T::Colon {
            if !(joint(i) && kind(i + 1) == T::Colon) {
                return false;
            }
            i += 2;
        }
        loop {
            if !MACRO_PATH_SEGMENT.contains(kind(i)) {
                return false;
            }
            i += 1;
            match kind(i) {
                T::Bang => {
                    // `m!(..)`, or `m! name { .. }` like `macro_rules!`.
                    return kind(i + 1).is_open()
                        || (IDENT.contains(kind(i + 1)) && kind(i + 2).is_open());
                }
                T::Colon if joint(i) && kind(i + 1) == T::Colon => i += 2,
                _ => return false,
            }
        }
    }

    /// A macro invocation's path, `!` and delimiter start here.
    pub(super) fn at_macro_path(&self) -> bool {
        self.at_macro_path_at(0)
    }

    // ------------------------------------------------------------ items

    pub(super) fn parse_item(&mut self) -> PResult<Item<'a>> {
        self.enter()?;
        let r = self.parse_item_inner();
        self.leave();
        r
    }

    fn parse_item_inner(&mut self) -> PResult<Item<'a>> {
        let start = self.pos;
        let attrs = self.parse_outer_attrs()?;
        self.parse_item_rest(attrs, start)
    }

    /// An item whose outer attributes (starting at token `start`) are parsed.
    pub(super) fn parse_item_after_attrs(
        &mut self,
        attrs: &'a [Attribute<'a>],
        start: usize,
    ) -> PResult<Item<'a>> {
        self.enter()?;
        let r = self.parse_item_rest(attrs, start);
        self.leave();
        r
    }

    fn parse_item_rest(&mut self, attrs: &'a [Attribute<'a>], start: usize) -> PResult<Item<'a>> {
        let vis = self.parse_vis()?;
        let kind = self.parse_item_kind(matches!(vis, Visibility::Inherited))?;
        Ok(Item {
            attrs,
            vis,
            kind,
            span: self.span_from(start),
        })
    }

    fn parse_item_kind(&mut self, macros: bool) -> PResult<ItemKind<'a>> {
        let Some(ItemStart { defaultness, head }) = self.item_start(macros) else {
            return Err(self.expected("item"));
        };
        if defaultness {
            self.bump();
        }
        match head {
            ItemHead::Use => {
                self.bump();
                let tree = self.parse_use_tree()?;
                self.expect(T::Semi)?;
                Ok(ItemKind::Use(self.alloc(tree)))
            }
            ItemHead::ExternCrate => {
                self.pos += 2;
                let name = if self.at(T::KwSelfValue) {
                    let id = self.ident_of(self.pos);
                    self.bump();
                    id
                } else {
                    self.parse_ident()?
                };
                let rename = if self.eat(T::KwAs) {
                    Some(self.parse_ident_or_underscore()?)
                } else {
                    None
                };
                self.expect(T::Semi)?;
                Ok(ItemKind::ExternCrate(
                    self.alloc(ExternCrate { name, rename }),
                ))
            }
            ItemHead::ForeignMod => self.parse_foreign_mod(),
            ItemHead::Static => self.parse_static(),
            ItemHead::Const => self.parse_const(),
            ItemHead::Fn => self.parse_fn(defaultness),
            ItemHead::Mod => self.parse_mod(),
            ItemHead::TyAlias => self.parse_type_alias(defaultness),
            ItemHead::Struct => {
                self.bump();
                let s = self.parse_struct_rest(true)?;
                Ok(ItemKind::Struct(self.alloc(s)))
            }
            ItemHead::Union => {
                self.bump();
                let s = self.parse_struct_rest(false)?;
                Ok(ItemKind::Union(self.alloc(s)))
            }
            ItemHead::Enum => self.parse_enum(),
            ItemHead::TraitOrImpl => self.parse_trait_or_impl(defaultness),
            ItemHead::MacroRules => {
                self.pos += 2;
                let ident = self.parse_ident()?;
                let body = self.parse_delimited()?;
                self.expect_semi_after(body.delim)?;
                Ok(ItemKind::MacroRules(self.alloc(MacroItem { ident, body })))
            }
            ItemHead::MacroDef => {
                self.bump();
                let ident = self.parse_ident()?;
                let start = self.pos;
                let mut body = self.parse_delimited()?;
                if body.delim == Delim::Paren && self.at(T::OpenBrace) {
                    let b2 = self.parse_delimited()?;
                    body.span = body.span.to(b2.span);
                    body.tokens = (self.pos - start) as u32;
                }
                Ok(ItemKind::MacroDef(self.alloc(MacroItem { ident, body })))
            }
            ItemHead::MacCall => {
                let mac = self.parse_mac_call()?;
                self.expect_semi_after(mac.args.delim)?;
                Ok(ItemKind::MacCall(self.alloc(mac)))
            }
        }
    }

    /// The `;` after an item-level macro: optional after `{ .. }`, required
    /// after `( .. )` and `[ .. ]`.
    fn expect_semi_after(&mut self, delim: Delim) -> PResult<()> {
        if delim == Delim::Brace {
            self.eat(T::Semi);
        } else {
            self.expect(T::Semi)?;
        }
        Ok(())
    }

    /// `path ! (tokens)`, also `path ! name {tokens}` (the name is part of
    /// the kept token range's span).
    pub(super) fn parse_mac_call(&mut self) -> PResult<MacCall<'a>> {
        let path = self.parse_mod_path()?;
        self.expect(T::Bang)?;
        let named = IDENT.contains(self.kind()) && self.nth(1).is_open();
        let name_lo = self.tok().lo;
        if named {
            self.bump();
        }
        let mut args = self.parse_delimited()?;
        if named {
            args.span.lo = name_lo;
            args.tokens += 1;
        }
        Ok(MacCall { path, args })
    }

    /// `unsafe`, `safe` or nothing, consumed.
    fn parse_item_safety(&mut self) -> Safety {
        if self.eat(T::KwUnsafe) {
            Safety::Unsafe
        } else if self.at_kw(kw::Safe) {
            self.bump();
            Safety::Safe
        } else {
            Safety::Default
        }
    }

    fn parse_static(&mut self) -> PResult<ItemKind<'a>> {
        let safety = self.parse_item_safety();
        self.expect(T::KwStatic)?;
        let mutbl = self.eat(T::KwMut);
        let ident = self.parse_ident()?;
        self.expect(T::Colon)?;
        let ty = self.parse_ty()?;
        let expr = if self.eat(T::Eq) {
            Some(self.parse_expr()?)
        } else {
            None
        };
        self.expect(T::Semi)?;
        Ok(ItemKind::Static(self.alloc(StaticItem {
            mutbl,
            safety,
            ident,
            ty: self.alloc(ty),
            expr,
        })))
    }

    fn parse_const(&mut self) -> PResult<ItemKind<'a>> {
        self.expect(T::KwConst)?;
        let ident = if self.eat(T::Underscore) {
            None
        } else {
            Some(self.parse_ident()?)
        };
        let mut generics = self.parse_generics()?;
        self.expect(T::Colon)?;
        let ty = self.parse_ty()?;
        let expr = if self.eat(T::Eq) {
            Some(self.parse_expr()?)
        } else {
            None
        };
        generics.where_clause = self.parse_where_clause()?;
        self.expect(T::Semi)?;
        Ok(ItemKind::Const(self.alloc(ConstItem {
            ident,
            generics: self.generics_ref(generics),
            ty: self.alloc(ty),
            expr,
        })))
    }

    fn parse_mod(&mut self) -> PResult<ItemKind<'a>> {
        let safety = self.parse_item_safety();
        self.expect(T::KwMod)?;
        let ident = self.parse_ident()?;
        if self.eat(T::Semi) {
            return Ok(ItemKind::Mod(self.alloc(ModItem {
                safety,
                ident,
                body: None,
            })));
        }
        let (inner_attrs, items) = self.parse_item_body()?;
        Ok(ItemKind::Mod(self.alloc(ModItem {
            safety,
            ident,
            body: Some(ModBody { inner_attrs, items }),
        })))
    }

    fn parse_foreign_mod(&mut self) -> PResult<ItemKind<'a>> {
        let safety = self.parse_item_safety();
        self.expect(T::KwExtern)?;
        let abi = if self.at(T::Literal) {
            Some(self.parse_lit_token())
        } else {
            None
        };
        let (inner_attrs, items) = self.parse_item_body()?;
        Ok(ItemKind::ForeignMod(self.alloc(ForeignMod {
            safety,
            abi,
            inner_attrs,
            items,
        })))
    }

    fn parse_type_alias(&mut self, defaultness: bool) -> PResult<ItemKind<'a>> {
        self.expect(T::KwType)?;
        let ident = self.parse_ident()?;
        let mut generics = self.parse_generics()?;
        let bounds = if self.eat(T::Colon) {
            self.parse_bounds()?
        } else {
            &[]
        };
        let where1 = self.parse_where_clause()?;
        let ty = if self.eat(T::Eq) {
            let ty = self.parse_ty()?;
            Some(self.alloc(ty))
        } else {
            None
        };
        let where2 = self.parse_where_clause()?;
        generics.where_clause = if where2.is_empty() { where1 } else { where2 };
        self.expect(T::Semi)?;
        Ok(ItemKind::TyAlias(self.alloc(TyAlias {
            defaultness,
            ident,
            generics: self.generics_ref(generics),
            bounds,
            ty,
        })))
    }
}
