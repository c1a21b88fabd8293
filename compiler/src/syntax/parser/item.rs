//! Items, attributes, visibility, use trees, function signatures.

use super::{PResult, Parser, finish};
use crate::syntax::Intern;
use crate::syntax::ast::{
    Abi, AttrArgs, AttrStyle, Attribute, ConstItem, EnumItem, FieldDef, FnItem, FnSig, ForeignMod,
    Generics, ImplItem, Item, ItemKind, Lit, MacCall, ModBody, ModItem, Param, ParamKind, Path,
    Safety, StaticItem, StructItem, TraitAlias, TraitItem, TyAlias, TyKind, UseTree, UseTreeKind,
    Variant, VariantData, Visibility,
};
use crate::syntax::token::TokenKind as T;

/// Qualifiers in front of `fn`.
#[derive(Default, Clone, Copy)]
struct FnQuals {
    constness: bool,
    asyncness: bool,
    safety: Safety,
    abi: Option<Abi>,
}

impl<'a, I: Intern + ?Sized> Parser<'a, '_, I> {
    // ------------------------------------------------------------ lists

    /// Items until the group closer at `close` (or end of file when `None`),
    /// recovering from errors item by item.
    pub(super) fn parse_items(&mut self, close: Option<usize>) -> &'a [Item<'a>] {
        let close = close.unwrap_or(usize::MAX);
        let start = self.sc.items.len();
        loop {
            if self.at(T::Eof) || self.pos >= close {
                break;
            }
            if self.kind().is_close() {
                if close == usize::MAX && self.tok().pair == crate::syntax::Token::NO_MATCH {
                    // A stray closer at top level (reported by the lexer).
                    self.bump();
                    continue;
                }
                if close == usize::MAX {
                    let _ = self.expected("item");
                    self.bump();
                    continue;
                }
                break;
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
        finish(self.bump, &mut self.sc.items, start)
    }

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

    pub(super) fn parse_inner_attrs(&mut self) -> PResult<&'a [Attribute<'a>]> {
        let start = self.sc.attrs.len();
        while self.at_inner_attr() {
            let a = self.parse_attr()?;
            self.sc.attrs.push(a);
        }
        Ok(finish(self.bump, &mut self.sc.attrs, start))
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
        Ok(finish(self.bump, &mut self.sc.attrs, start))
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
            let start = self.sc.segs.len();
            self.sc.segs.push(crate::syntax::ast::PathSegment {
                ident: self.ident_of(seg_pos),
                args: None,
            });
            let segments = finish(self.bump, &mut self.sc.segs, start);
            let path = Path {
                global: false,
                segments,
                span: self.toks[seg_pos].span(),
            };
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

    /// Whether the tokens here start an item (used by statements).
    pub(super) fn at_item_start(&self) -> bool {
        match self.kind() {
            T::KwFn
            | T::KwStruct
            | T::KwEnum
            | T::KwTrait
            | T::KwImpl
            | T::KwMod
            | T::KwUse
            | T::KwType
            | T::KwPub
            | T::KwExtern => true,
            T::KwStatic => matches!(self.nth(1), T::Ident | T::RawIdent | T::KwMut),
            // `const X: ...`, `const fn`, but not `const { .. }` or a const
            // closure `const || ..`.
            T::KwConst => matches!(
                self.nth(1),
                T::Ident
                    | T::RawIdent
                    | T::Underscore
                    | T::KwFn
                    | T::KwUnsafe
                    | T::KwExtern
                    | T::KwAsync
                    | T::KwImpl
                    | T::KwTrait
            ),
            T::KwUnsafe => {
                matches!(
                    self.nth(1),
                    T::KwFn | T::KwTrait | T::KwImpl | T::KwExtern | T::KwMod
                ) || self.nth_is_word(1, "auto")
            }
            T::KwAsync => {
                matches!(self.nth(1), T::KwFn | T::KwUnsafe | T::KwExtern)
            }
            T::Ident => {
                (self.at_word("union") && matches!(self.nth(1), T::Ident | T::RawIdent))
                    || (self.at_word("auto") && self.nth(1) == T::KwTrait)
                    || (self.at_word("macro_rules")
                        && self.nth(1) == T::Bang
                        && matches!(self.nth(2), T::Ident | T::RawIdent))
                    || (self.at_word("default")
                        && matches!(
                            self.nth(1),
                            T::KwFn | T::KwImpl | T::KwUnsafe | T::KwType | T::KwConst | T::KwAsync
                        ))
                    || (self.at_word("macro") && matches!(self.nth(1), T::Ident | T::RawIdent))
            }
            _ => false,
        }
    }

    fn parse_item_kind(&mut self, vis_inherited: bool) -> PResult<ItemKind<'a>> {
        let mut defaultness = false;
        if self.at_word("default")
            && matches!(
                self.nth(1),
                T::KwFn
                    | T::KwImpl
                    | T::KwUnsafe
                    | T::KwType
                    | T::KwConst
                    | T::KwAsync
                    | T::KwExtern
            )
        {
            self.bump();
            defaultness = true;
        }
        match self.kind() {
            T::KwUse => {
                self.bump();
                let tree = self.parse_use_tree()?;
                self.expect(T::Semi)?;
                Ok(ItemKind::Use(self.alloc(tree)))
            }
            T::KwExtern => match self.nth(1) {
                T::KwCrate => {
                    self.bump();
                    self.bump();
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
                    Ok(ItemKind::ExternCrate { name, rename })
                }
                T::OpenBrace => self.parse_foreign_mod(Safety::Default),
                T::Literal if self.nth(2) == T::OpenBrace => {
                    self.parse_foreign_mod(Safety::Default)
                }
                _ => self.parse_fn(defaultness),
            },
            T::KwStatic => self.parse_static(Safety::Default),
            T::KwConst => match self.nth(1) {
                T::KwFn | T::KwUnsafe | T::KwExtern | T::KwAsync => {
                    if self.nth(1) == T::KwUnsafe
                        && (self.nth(2) == T::KwImpl
                            || self.nth(2) == T::KwTrait
                            || self.nth_is_word(2, "auto"))
                    {
                        self.bump();
                        self.parse_trait_or_impl(defaultness, true)
                    } else {
                        self.parse_fn(defaultness)
                    }
                }
                T::KwImpl | T::KwTrait => {
                    self.bump();
                    self.parse_trait_or_impl(defaultness, true)
                }
                T::Ident if self.nth_is_word(1, "auto") && self.nth(2) == T::KwTrait => {
                    self.bump();
                    self.parse_trait_or_impl(defaultness, true)
                }
                _ => self.parse_const(),
            },
            T::KwUnsafe => match self.nth(1) {
                T::KwExtern
                    if self.nth(2) == T::OpenBrace
                        || (self.nth(2) == T::Literal && self.nth(3) == T::OpenBrace) =>
                {
                    self.bump();
                    self.parse_foreign_mod(Safety::Unsafe)
                }
                T::KwMod => {
                    self.bump();
                    self.parse_mod(Safety::Unsafe)
                }
                T::KwTrait | T::KwImpl => self.parse_trait_or_impl(defaultness, false),
                T::Ident if self.nth_is_word(1, "auto") => {
                    self.parse_trait_or_impl(defaultness, false)
                }
                T::KwStatic => {
                    self.bump();
                    self.parse_static(Safety::Unsafe)
                }
                _ => self.parse_fn(defaultness),
            },
            T::KwAsync | T::KwFn => self.parse_fn(defaultness),
            T::KwMod => self.parse_mod(Safety::Default),
            T::KwType => self.parse_type_alias(defaultness),
            T::KwStruct => {
                self.bump();
                let s = self.parse_struct_rest(true)?;
                Ok(ItemKind::Struct(self.alloc(s)))
            }
            T::KwEnum => self.parse_enum(),
            T::KwTrait | T::KwImpl => self.parse_trait_or_impl(defaultness, false),
            T::Ident if self.at_word("safe") && matches!(self.nth(1), T::KwFn | T::KwStatic) => {
                self.bump();
                if self.at(T::KwStatic) {
                    self.parse_static(Safety::Safe)
                } else {
                    let mut item = self.parse_fn(defaultness)?;
                    if let ItemKind::Fn(f) = item {
                        let mut f = *f;
                        f.sig.safety = Safety::Safe;
                        item = ItemKind::Fn(self.alloc(f));
                    }
                    Ok(item)
                }
            }
            T::Ident if self.at_word("union") && matches!(self.nth(1), T::Ident | T::RawIdent) => {
                self.bump();
                let s = self.parse_struct_rest(false)?;
                Ok(ItemKind::Union(self.alloc(s)))
            }
            T::Ident if self.at_word("auto") && self.nth(1) == T::KwTrait => {
                self.parse_trait_or_impl(defaultness, false)
            }
            T::Ident
                if self.at_word("macro_rules")
                    && self.nth(1) == T::Bang
                    && matches!(self.nth(2), T::Ident | T::RawIdent) =>
            {
                self.bump();
                self.bump();
                let ident = self.parse_ident()?;
                let body = self.parse_delimited()?;
                if body.delim == crate::syntax::ast::Delim::Brace {
                    self.eat(T::Semi);
                } else {
                    self.expect(T::Semi)?;
                }
                Ok(ItemKind::MacroRules { ident, body })
            }
            T::Ident if self.at_word("macro") && matches!(self.nth(1), T::Ident | T::RawIdent) => {
                self.bump();
                let ident = self.parse_ident()?;
                let start = self.pos;
                let mut body = self.parse_delimited()?;
                if body.delim == crate::syntax::ast::Delim::Paren && self.at(T::OpenBrace) {
                    let b2 = self.parse_delimited()?;
                    body.span = body.span.to(b2.span);
                    body.tokens = (self.pos - start) as u32;
                }
                Ok(ItemKind::MacroDef { ident, body })
            }
            T::Ident | T::KwSelfValue | T::KwSuper | T::KwCrate | T::Colon
                if vis_inherited && self.at_macro_path() =>
            {
                let mac = self.parse_mac_call()?;
                // `m! name { ... }` forms are not supported; `m!(..)` needs `;`.
                if mac.args.delim == crate::syntax::ast::Delim::Brace {
                    self.eat(T::Semi);
                } else {
                    self.expect(T::Semi)?;
                }
                Ok(ItemKind::MacCall(self.alloc(mac)))
            }
            _ => Err(self.expected("item")),
        }
    }

    /// A path followed by `!` and a delimiter.
    pub(super) fn at_macro_path(&self) -> bool {
        let mut i = self.pos;
        if self.toks[i].kind == T::Colon {
            if !(self.toks[i].joint && self.toks.get(i + 1).map(|t| t.kind) == Some(T::Colon)) {
                return false;
            }
            i += 2;
        }
        loop {
            let Some(t) = self.toks.get(i) else {
                return false;
            };
            if !matches!(
                t.kind,
                T::Ident | T::RawIdent | T::KwSelfValue | T::KwSuper | T::KwCrate
            ) {
                return false;
            }
            i += 1;
            let Some(n) = self.toks.get(i) else {
                return false;
            };
            match n.kind {
                T::Bang => {
                    // `m!(..)`, or `m! name { .. }` like `macro_rules!`.
                    let kind = |j: usize| self.toks.get(j).map_or(T::Eof, |t| t.kind);
                    return kind(i + 1).is_open()
                        || (matches!(kind(i + 1), T::Ident | T::RawIdent)
                            && kind(i + 2).is_open());
                }
                T::Colon if n.joint && self.toks.get(i + 1).map(|t| t.kind) == Some(T::Colon) => {
                    i += 2;
                }
                _ => return false,
            }
        }
    }

    /// `path ! (tokens)`
    /// `path ! (tokens)`, also `path ! name {tokens}` (the name is part
    /// of the kept token range's span).
    pub(super) fn parse_mac_call(&mut self) -> PResult<MacCall<'a>> {
        let path = self.parse_mod_path()?;
        self.expect(T::Bang)?;
        let named = matches!(self.kind(), T::Ident | T::RawIdent) && self.nth(1).is_open();
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

    fn parse_static(&mut self, safety: Safety) -> PResult<ItemKind<'a>> {
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
            generics,
            ty: self.alloc(ty),
            expr,
        })))
    }

    fn parse_abi(&mut self) -> Option<Abi> {
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

    pub(super) fn parse_lit_token(&mut self) -> Lit {
        let t = *self.tok();
        self.bump();
        Lit {
            kind: t.lit,
            sym: t.sym.unwrap_or(crate::syntax::NO_SYMBOL),
            span: t.span(),
        }
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
        } else if self.at_word("safe") {
            self.bump();
            q.safety = Safety::Safe;
        }
        q.abi = self.parse_abi();
        q
    }

    fn parse_fn(&mut self, defaultness: bool) -> PResult<ItemKind<'a>> {
        let q = self.parse_fn_quals();
        self.expect(T::KwFn)?;
        let ident = self.parse_ident()?;
        let mut generics = self.parse_generics()?;
        let (params, variadic) = self.parse_fn_params()?;
        let output = self.parse_fn_ret_ty()?;
        generics.where_clause = self.parse_where_clause()?;
        let body = if self.eat(T::Semi) {
            None
        } else {
            Some(self.parse_block()?)
        };
        Ok(ItemKind::Fn(self.alloc(FnItem {
            defaultness,
            ident,
            generics,
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

    /// `-> Ty` if present, where `+` ends the type (`Fn() -> T + Send`,
    /// `fn() -> T`).
    pub(super) fn parse_ret_ty(&mut self) -> PResult<Option<&'a crate::syntax::ast::Ty<'a>>> {
        if self.eat2(T::Minus, T::Gt) {
            let ty = self.parse_ty_no_plus()?;
            Ok(Some(self.alloc(ty)))
        } else {
            Ok(None)
        }
    }

    /// `-> Ty` of a function or closure, where `+` continues the type
    /// (`-> impl A + B`).
    pub(super) fn parse_fn_ret_ty(&mut self) -> PResult<Option<&'a crate::syntax::ast::Ty<'a>>> {
        if self.eat2(T::Minus, T::Gt) {
            let ty = self.parse_ty()?;
            Ok(Some(self.alloc(ty)))
        } else {
            Ok(None)
        }
    }

    fn parse_fn_params(&mut self) -> PResult<(&'a [Param<'a>], bool)> {
        let close = self.open(T::OpenParen)?;
        let start = self.sc.params.len();
        let mut variadic = false;
        while !self.at_close(close) {
            let pstart = self.pos;
            let attrs = self.parse_outer_attrs()?;
            if self.at3(T::Dot, T::Dot, T::Dot) {
                self.pos += 3;
                variadic = true;
            } else {
                let kind = self.parse_param_kind()?;
                if let Some(kind) = kind {
                    let span = self.span_from(pstart);
                    self.sc.params.push(Param { attrs, kind, span });
                } else {
                    variadic = true;
                }
            }
            if !self.eat(T::Comma) {
                break;
            }
        }
        self.close(close, T::CloseParen)?;
        Ok((finish(self.bump, &mut self.sc.params, start), variadic))
    }

    /// One parameter; `None` for a named variadic `args: ...`.
    fn parse_param_kind(&mut self) -> PResult<Option<ParamKind<'a>>> {
        // self parameters
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

    fn parse_mod(&mut self, safety: Safety) -> PResult<ItemKind<'a>> {
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

    /// `{ #![inner] items }` with item-level recovery inside.
    #[allow(clippy::type_complexity, reason = "a pair of slices")]
    fn parse_item_body(
        &mut self,
    ) -> PResult<(&'a [crate::syntax::ast::Attribute<'a>], &'a [Item<'a>])> {
        let close = self.open(T::OpenBrace)?;
        let inner = self.parse_inner_attrs()?;
        let items = self.parse_items(Some(close));
        self.close(close, T::CloseBrace)?;
        Ok((inner, items))
    }

    fn parse_foreign_mod(&mut self, safety: Safety) -> PResult<ItemKind<'a>> {
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
            generics,
            bounds,
            ty,
        })))
    }

    /// After `struct`/`union`: name, generics, fields.
    fn parse_struct_rest(&mut self, allow_tuple: bool) -> PResult<StructItem<'a>> {
        let ident = self.parse_ident()?;
        let mut generics = self.parse_generics()?;
        if allow_tuple && self.at(T::OpenParen) {
            let fields = self.parse_tuple_fields()?;
            generics.where_clause = self.parse_where_clause()?;
            self.expect(T::Semi)?;
            return Ok(StructItem {
                ident,
                generics,
                data: VariantData::Tuple(fields),
            });
        }
        generics.where_clause = self.parse_where_clause()?;
        if allow_tuple && self.eat(T::Semi) {
            return Ok(StructItem {
                ident,
                generics,
                data: VariantData::Unit,
            });
        }
        let fields = self.parse_named_fields()?;
        Ok(StructItem {
            ident,
            generics,
            data: VariantData::Struct(fields),
        })
    }

    fn parse_named_fields(&mut self) -> PResult<&'a [FieldDef<'a>]> {
        let close = self.open(T::OpenBrace)?;
        let start = self.sc.fields.len();
        while !self.at_close(close) {
            let fstart = self.pos;
            let attrs = self.parse_outer_attrs()?;
            let vis = self.parse_vis()?;
            let ident = self.parse_ident()?;
            self.expect(T::Colon)?;
            let ty = self.parse_ty()?;
            let default = if self.eat(T::Eq) {
                Some(self.parse_expr()?)
            } else {
                None
            };
            let span = self.span_from(fstart);
            let ty = self.alloc(ty);
            self.sc.fields.push(FieldDef {
                attrs,
                vis,
                ident: Some(ident),
                ty,
                default,
                span,
            });
            if !self.eat(T::Comma) {
                break;
            }
        }
        self.close(close, T::CloseBrace)?;
        Ok(finish(self.bump, &mut self.sc.fields, start))
    }

    fn parse_tuple_fields(&mut self) -> PResult<&'a [FieldDef<'a>]> {
        let close = self.open(T::OpenParen)?;
        let start = self.sc.fields.len();
        while !self.at_close(close) {
            let fstart = self.pos;
            let attrs = self.parse_outer_attrs()?;
            let vis = self.parse_vis()?;
            let ty = self.parse_ty()?;
            let span = self.span_from(fstart);
            let ty = self.alloc(ty);
            self.sc.fields.push(FieldDef {
                attrs,
                vis,
                ident: None,
                ty,
                default: None,
                span,
            });
            if !self.eat(T::Comma) {
                break;
            }
        }
        self.close(close, T::CloseParen)?;
        Ok(finish(self.bump, &mut self.sc.fields, start))
    }

    fn parse_enum(&mut self) -> PResult<ItemKind<'a>> {
        self.expect(T::KwEnum)?;
        let ident = self.parse_ident()?;
        let mut generics = self.parse_generics()?;
        generics.where_clause = self.parse_where_clause()?;
        let close = self.open(T::OpenBrace)?;
        let start = self.sc.variants.len();
        while !self.at_close(close) {
            let vstart = self.pos;
            let attrs = self.parse_outer_attrs()?;
            let vis = self.parse_vis()?;
            let vident = self.parse_ident()?;
            let data = match self.kind() {
                T::OpenBrace => VariantData::Struct(self.parse_named_fields()?),
                T::OpenParen => VariantData::Tuple(self.parse_tuple_fields()?),
                _ => VariantData::Unit,
            };
            let discriminant = if self.eat(T::Eq) {
                Some(self.parse_expr()?)
            } else {
                None
            };
            let span = self.span_from(vstart);
            self.sc.variants.push(Variant {
                attrs,
                vis,
                ident: vident,
                data,
                discriminant,
                span,
            });
            if !self.eat(T::Comma) {
                break;
            }
        }
        self.close(close, T::CloseBrace)?;
        let variants = finish(self.bump, &mut self.sc.variants, start);
        Ok(ItemKind::Enum(self.alloc(EnumItem {
            ident,
            generics,
            variants,
        })))
    }

    /// `[unsafe] [auto] trait ...` or `[unsafe] impl ...`, after `default`
    /// and `const`.
    fn parse_trait_or_impl(&mut self, defaultness: bool, constness: bool) -> PResult<ItemKind<'a>> {
        let safety = if self.eat(T::KwUnsafe) {
            Safety::Unsafe
        } else {
            Safety::Default
        };
        let auto = if self.at_word("auto") {
            self.bump();
            true
        } else {
            false
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
                    generics,
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
                generics,
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
            let TyKind::Path(None, path) = first.kind else {
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
            generics,
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

    // ------------------------------------------------------------ use trees

    fn parse_use_tree(&mut self) -> PResult<UseTree<'a>> {
        self.enter()?;
        let r = self.parse_use_tree_inner();
        self.leave();
        r
    }

    fn parse_use_tree_inner(&mut self) -> PResult<UseTree<'a>> {
        let start_pos = self.pos;
        let seg_start = self.sc.segs.len();
        let global = self.eat2(T::Colon, T::Colon);
        let path_lo = self.toks[start_pos].lo;
        let kind = loop {
            match self.kind() {
                T::OpenBrace => break self.parse_use_group()?,
                T::Star => {
                    self.bump();
                    break UseTreeKind::Glob;
                }
                T::Ident
                | T::RawIdent
                | T::KwSelfValue
                | T::KwSuper
                | T::KwCrate
                | T::KwSelfType => {
                    let ident = self.ident_of(self.pos);
                    self.bump();
                    self.sc
                        .segs
                        .push(crate::syntax::ast::PathSegment { ident, args: None });
                    if self.eat2(T::Colon, T::Colon) {
                        continue;
                    }
                    let rename = if self.eat(T::KwAs) {
                        Some(self.parse_ident_or_underscore()?)
                    } else {
                        None
                    };
                    break UseTreeKind::Simple(rename);
                }
                _ => return Err(self.expected("a use path")),
            }
        };
        let segments = finish(self.bump, &mut self.sc.segs, seg_start);
        let prefix = Path {
            global,
            segments,
            span: Span {
                lo: path_lo,
                hi: self.prev_hi().max(path_lo),
            },
        };
        Ok(UseTree {
            prefix,
            kind,
            span: self.span_from(start_pos),
        })
    }

    fn parse_use_group(&mut self) -> PResult<UseTreeKind<'a>> {
        let close = self.open(T::OpenBrace)?;
        let start = self.sc.uses.len();
        while !self.at_close(close) {
            let t = self.parse_use_tree()?;
            self.sc.uses.push(t);
            if !self.eat(T::Comma) {
                break;
            }
        }
        self.close(close, T::CloseBrace)?;
        Ok(UseTreeKind::Nested(finish(
            self.bump,
            &mut self.sc.uses,
            start,
        )))
    }
}

use crate::syntax::ast::Span;
