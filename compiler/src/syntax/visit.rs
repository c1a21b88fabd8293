//! A read-only walk over the AST, in `rustc_ast::visit`'s shape.
//!
//! [`Visitor`] has one method per node kind; each defaults to the matching
//! `walk_*` function, which visits the node's children in source order. A
//! pass overrides only the methods it cares about: to act on a node and go
//! on, do the work and call the `walk_*` function; to prune a subtree,
//! override its method with nothing (a signature-only pass makes
//! [`Visitor::visit_block`] and [`Visitor::visit_expr`] empty).
//!
//! Leaves ([`Ident`], [`Lifetime`]) are passed by value; every other node by
//! a reference into the arena, so a visitor may keep `&'a` references it is
//! given.
//!
//! ```
//! use tern_compiler::syntax::ast::Path;
//! use tern_compiler::syntax::visit::{self, Visitor};
//! use tern_compiler::syntax::{self, FileId, LocalInterner};
//!
//! /// Counts the paths written in a file, bodies included.
//! struct CountPaths(usize);
//!
//! impl<'a> Visitor<'a> for CountPaths {
//!     fn visit_path(&mut self, path: &'a Path<'a>) {
//!         self.0 += 1;
//!         visit::walk_path(self, path);
//!     }
//! }
//!
//! let bump = tern_arena::Arenas::for_any_thread();
//! let interner = LocalInterner::default();
//! let mut diags = Vec::new();
//! let src = "fn f(x: Vec<u8>) -> Option<u8> { x.first().copied() }";
//! let file = syntax::parse_file(src, FileId(0), bump.local_arena(), &interner, &mut diags);
//! let mut count = CountPaths(0);
//! count.visit_source_file(&file);
//! // `Vec`, `u8`, `Option`, `u8`, and `x` in the body (the parameter `x` is a
//! // binding pattern, not a path).
//! assert_eq!(count.0, 5);
//! ```

use super::ast::{
    Arm, AttrArgs, Attribute, Block, Closure, Expr, ExprField, ExprKind, FieldDef, FieldPat,
    FnItem, ForLoop, GenericArg, GenericArgs, GenericBound, GenericParam, GenericParamKind,
    Generics, Ident, Item, ItemKind, Lifetime, Local, MacCall, MethodCall, Param, ParamKind, Pat,
    PatKind, Path, PathSegment, QPath, QSelf, SourceFile, Stmt, StructRest, Ty, TyKind, UseTree,
    UseTreeKind, Variant, VariantData, Visibility, WherePredicate, WhileLoop,
};

/// One method per node kind, each defaulting to its `walk_*` function.
pub trait Visitor<'a>: Sized {
    /// A whole file: inner attributes, then items.
    fn visit_source_file(&mut self, file: &SourceFile<'a>) {
        walk_source_file(self, file);
    }
    /// Items, associated items and foreign items.
    fn visit_item(&mut self, item: &'a Item<'a>) {
        walk_item(self, item);
    }
    fn visit_attribute(&mut self, attr: &'a Attribute<'a>) {
        walk_attribute(self, attr);
    }
    fn visit_vis(&mut self, vis: &'a Visibility<'a>) {
        walk_vis(self, vis);
    }
    /// A name: of an item, field, binding, segment, label...
    fn visit_ident(&mut self, _ident: Ident) {}
    fn visit_lifetime(&mut self, _lifetime: Lifetime) {}
    fn visit_use_tree(&mut self, tree: &'a UseTree<'a>) {
        walk_use_tree(self, tree);
    }
    /// A function's generics, signature and body.
    fn visit_fn(&mut self, func: &'a FnItem<'a>) {
        walk_fn(self, func);
    }
    fn visit_param(&mut self, param: &'a Param<'a>) {
        walk_param(self, param);
    }
    fn visit_variant(&mut self, variant: &'a Variant<'a>) {
        walk_variant(self, variant);
    }
    fn visit_variant_data(&mut self, data: &'a VariantData<'a>) {
        walk_variant_data(self, data);
    }
    fn visit_field_def(&mut self, field: &'a FieldDef<'a>) {
        walk_field_def(self, field);
    }
    /// The trait an impl implements (`Trait` in `impl Trait for T`).
    fn visit_trait_ref(&mut self, path: &'a Path<'a>) {
        self.visit_path(path);
    }
    fn visit_generics(&mut self, generics: &'a Generics<'a>) {
        walk_generics(self, generics);
    }
    fn visit_generic_param(&mut self, param: &'a GenericParam<'a>) {
        walk_generic_param(self, param);
    }
    fn visit_where_predicate(&mut self, pred: &'a WherePredicate<'a>) {
        walk_where_predicate(self, pred);
    }
    /// A bound in `T: Bound`, `impl Bound`, `dyn Bound`, supertraits.
    fn visit_param_bound(&mut self, bound: &'a GenericBound<'a>) {
        walk_param_bound(self, bound);
    }
    /// Every path: in types, expressions, patterns, bounds, attributes,
    /// visibilities, macro invocations, `use` prefixes.
    fn visit_path(&mut self, path: &'a Path<'a>) {
        walk_path(self, path);
    }
    fn visit_path_segment(&mut self, segment: &'a PathSegment<'a>) {
        walk_path_segment(self, segment);
    }
    fn visit_generic_args(&mut self, args: &'a GenericArgs<'a>) {
        walk_generic_args(self, args);
    }
    fn visit_generic_arg(&mut self, arg: &'a GenericArg<'a>) {
        walk_generic_arg(self, arg);
    }
    /// `<T as Trait>` of a qualified path.
    fn visit_qself(&mut self, qself: &'a QSelf<'a>) {
        walk_qself(self, qself);
    }
    fn visit_ty(&mut self, ty: &'a Ty<'a>) {
        walk_ty(self, ty);
    }
    fn visit_pat(&mut self, pat: &'a Pat<'a>) {
        walk_pat(self, pat);
    }
    fn visit_field_pat(&mut self, field: &'a FieldPat<'a>) {
        walk_field_pat(self, field);
    }
    fn visit_expr(&mut self, expr: &'a Expr<'a>) {
        walk_expr(self, expr);
    }
    fn visit_expr_field(&mut self, field: &'a ExprField<'a>) {
        walk_expr_field(self, field);
    }
    fn visit_closure(&mut self, closure: &'a Closure<'a>) {
        walk_closure(self, closure);
    }
    fn visit_arm(&mut self, arm: &'a Arm<'a>) {
        walk_arm(self, arm);
    }
    /// Function bodies and block expressions.
    fn visit_block(&mut self, block: &'a Block<'a>) {
        walk_block(self, block);
    }
    fn visit_stmt(&mut self, stmt: &'a Stmt<'a>) {
        walk_stmt(self, stmt);
    }
    fn visit_local(&mut self, local: &'a Local<'a>) {
        walk_local(self, local);
    }
    /// A macro invocation: its path (the arguments are unparsed tokens).
    fn visit_mac_call(&mut self, mac: &'a MacCall<'a>) {
        walk_mac_call(self, mac);
    }
}

fn walk_list<'a, V: Visitor<'a>, T>(v: &mut V, list: &'a [T], f: impl Fn(&mut V, &'a T)) {
    for x in list {
        f(v, x);
    }
}

fn walk_attrs<'a, V: Visitor<'a>>(v: &mut V, attrs: &'a [Attribute<'a>]) {
    walk_list(v, attrs, V::visit_attribute);
}

fn walk_items<'a, V: Visitor<'a>>(v: &mut V, items: &'a [Item<'a>]) {
    walk_list(v, items, V::visit_item);
}

fn walk_bounds<'a, V: Visitor<'a>>(v: &mut V, bounds: &'a [GenericBound<'a>]) {
    walk_list(v, bounds, V::visit_param_bound);
}

fn walk_lifetimes<'a, V: Visitor<'a>>(v: &mut V, lifetimes: &'a [Lifetime]) {
    for &l in lifetimes {
        v.visit_lifetime(l);
    }
}

fn walk_opt_expr<'a, V: Visitor<'a>>(v: &mut V, expr: Option<&'a Expr<'a>>) {
    if let Some(e) = expr {
        v.visit_expr(e);
    }
}

fn walk_opt_ty<'a, V: Visitor<'a>>(v: &mut V, ty: Option<&'a Ty<'a>>) {
    if let Some(t) = ty {
        v.visit_ty(t);
    }
}

fn walk_opt_qself<'a, V: Visitor<'a>>(v: &mut V, qself: Option<&'a QSelf<'a>>) {
    if let Some(q) = qself {
        v.visit_qself(q);
    }
}

pub fn walk_source_file<'a, V: Visitor<'a>>(v: &mut V, file: &SourceFile<'a>) {
    walk_attrs(v, file.inner_attrs);
    walk_items(v, file.items);
}

pub fn walk_item<'a, V: Visitor<'a>>(v: &mut V, item: &'a Item<'a>) {
    walk_attrs(v, item.attrs);
    v.visit_vis(&item.vis);
    match &item.kind {
        ItemKind::ExternCrate(e) => {
            v.visit_ident(e.name);
            if let Some(r) = e.rename {
                v.visit_ident(r);
            }
        }
        ItemKind::Use(tree) => v.visit_use_tree(tree),
        ItemKind::Static(s) => {
            v.visit_ident(s.ident);
            v.visit_ty(s.ty);
            walk_opt_expr(v, s.expr);
        }
        ItemKind::Const(c) => {
            if let Some(ident) = c.ident {
                v.visit_ident(ident);
            }
            v.visit_generics(c.generics);
            v.visit_ty(c.ty);
            walk_opt_expr(v, c.expr);
        }
        ItemKind::Fn(f) => v.visit_fn(f),
        ItemKind::Mod(m) => {
            v.visit_ident(m.ident);
            if let Some(body) = &m.body {
                walk_attrs(v, body.inner_attrs);
                walk_items(v, body.items);
            }
        }
        ItemKind::ForeignMod(m) => {
            walk_attrs(v, m.inner_attrs);
            walk_items(v, m.items);
        }
        ItemKind::TyAlias(t) => {
            v.visit_ident(t.ident);
            v.visit_generics(t.generics);
            walk_bounds(v, t.bounds);
            walk_opt_ty(v, t.ty);
        }
        ItemKind::Enum(e) => {
            v.visit_ident(e.ident);
            v.visit_generics(e.generics);
            walk_list(v, e.variants, V::visit_variant);
        }
        ItemKind::Struct(s) | ItemKind::Union(s) => {
            v.visit_ident(s.ident);
            v.visit_generics(s.generics);
            v.visit_variant_data(&s.data);
        }
        ItemKind::Trait(t) => {
            v.visit_ident(t.ident);
            v.visit_generics(t.generics);
            walk_bounds(v, t.supertraits);
            walk_items(v, t.items);
        }
        ItemKind::TraitAlias(t) => {
            v.visit_ident(t.ident);
            v.visit_generics(t.generics);
            walk_bounds(v, t.bounds);
        }
        ItemKind::Impl(i) => {
            v.visit_generics(i.generics);
            if let Some(t) = &i.trait_ {
                v.visit_trait_ref(t);
            }
            v.visit_ty(i.self_ty);
            walk_items(v, i.items);
        }
        ItemKind::MacroRules(m) | ItemKind::MacroDef(m) => {
            v.visit_ident(m.ident);
        }
        ItemKind::MacCall(mac) => v.visit_mac_call(mac),
        ItemKind::Err => {}
    }
}

pub fn walk_attribute<'a, V: Visitor<'a>>(v: &mut V, attr: &'a Attribute<'a>) {
    v.visit_path(&attr.path);
    match &attr.args {
        AttrArgs::Eq(e) => v.visit_expr(e),
        AttrArgs::Empty | AttrArgs::Delimited(_) => {}
    }
}

pub fn walk_vis<'a, V: Visitor<'a>>(v: &mut V, vis: &'a Visibility<'a>) {
    if let Visibility::Restricted(path) = vis {
        v.visit_path(path);
    }
}

pub fn walk_use_tree<'a, V: Visitor<'a>>(v: &mut V, tree: &'a UseTree<'a>) {
    v.visit_path(&tree.prefix);
    match &tree.kind {
        UseTreeKind::Simple(rename) => {
            if let Some(r) = rename {
                v.visit_ident(*r);
            }
        }
        UseTreeKind::Glob => {}
        UseTreeKind::Nested(trees) => walk_list(v, trees, V::visit_use_tree),
    }
}

pub fn walk_fn<'a, V: Visitor<'a>>(v: &mut V, func: &'a FnItem<'a>) {
    v.visit_ident(func.ident);
    v.visit_generics(func.generics);
    walk_list(v, func.sig.params, V::visit_param);
    walk_opt_ty(v, func.sig.output);
    if let Some(body) = func.body {
        v.visit_block(body);
    }
}

pub fn walk_param<'a, V: Visitor<'a>>(v: &mut V, param: &'a Param<'a>) {
    walk_attrs(v, param.attrs);
    match &param.kind {
        ParamKind::SelfValue { .. } => {}
        ParamKind::SelfRef { lifetime, .. } => {
            if let Some(l) = lifetime {
                v.visit_lifetime(*l);
            }
        }
        ParamKind::SelfTyped { ty, .. } | ParamKind::Anonymous { ty } => v.visit_ty(ty),
        ParamKind::Normal { pat, ty } => {
            v.visit_pat(pat);
            v.visit_ty(ty);
        }
    }
}

pub fn walk_variant<'a, V: Visitor<'a>>(v: &mut V, variant: &'a Variant<'a>) {
    walk_attrs(v, variant.attrs);
    v.visit_vis(&variant.vis);
    v.visit_ident(variant.ident);
    v.visit_variant_data(&variant.data);
    walk_opt_expr(v, variant.discriminant);
}

pub fn walk_variant_data<'a, V: Visitor<'a>>(v: &mut V, data: &'a VariantData<'a>) {
    walk_list(v, data.fields(), V::visit_field_def);
}

pub fn walk_field_def<'a, V: Visitor<'a>>(v: &mut V, field: &'a FieldDef<'a>) {
    walk_attrs(v, field.attrs);
    v.visit_vis(&field.vis);
    if let Some(ident) = field.ident {
        v.visit_ident(ident);
    }
    v.visit_ty(field.ty);
    walk_opt_expr(v, field.default);
}

/// Parameters first, then the where clause.
pub fn walk_generics<'a, V: Visitor<'a>>(v: &mut V, generics: &'a Generics<'a>) {
    walk_list(v, generics.params, V::visit_generic_param);
    walk_list(v, generics.where_clause, V::visit_where_predicate);
}

pub fn walk_generic_param<'a, V: Visitor<'a>>(v: &mut V, param: &'a GenericParam<'a>) {
    walk_attrs(v, param.attrs);
    match &param.kind {
        GenericParamKind::Lifetime { lifetime, bounds } => {
            v.visit_lifetime(*lifetime);
            walk_lifetimes(v, bounds);
        }
        GenericParamKind::Type {
            ident,
            bounds,
            default,
        } => {
            v.visit_ident(*ident);
            walk_bounds(v, bounds);
            walk_opt_ty(v, *default);
        }
        GenericParamKind::Const { ident, ty, default } => {
            v.visit_ident(*ident);
            v.visit_ty(ty);
            walk_opt_expr(v, *default);
        }
    }
}

pub fn walk_where_predicate<'a, V: Visitor<'a>>(v: &mut V, pred: &'a WherePredicate<'a>) {
    match pred {
        WherePredicate::Bound {
            for_lifetimes,
            ty,
            bounds,
        } => {
            walk_list(v, for_lifetimes, V::visit_generic_param);
            v.visit_ty(ty);
            walk_bounds(v, bounds);
        }
        WherePredicate::Lifetime { lifetime, bounds } => {
            v.visit_lifetime(*lifetime);
            walk_lifetimes(v, bounds);
        }
    }
}

pub fn walk_param_bound<'a, V: Visitor<'a>>(v: &mut V, bound: &'a GenericBound<'a>) {
    match bound {
        GenericBound::Trait {
            for_lifetimes,
            path,
            ..
        } => {
            walk_list(v, for_lifetimes, V::visit_generic_param);
            v.visit_path(path);
        }
        GenericBound::Lifetime(l) => v.visit_lifetime(*l),
        GenericBound::Use(args) => walk_list(v, args, V::visit_generic_arg),
    }
}

pub fn walk_path<'a, V: Visitor<'a>>(v: &mut V, path: &'a Path<'a>) {
    walk_list(v, path.segments(), V::visit_path_segment);
}

pub fn walk_path_segment<'a, V: Visitor<'a>>(v: &mut V, segment: &'a PathSegment<'a>) {
    v.visit_ident(segment.ident);
    if let Some(args) = segment.args {
        v.visit_generic_args(args);
    }
}

pub fn walk_generic_args<'a, V: Visitor<'a>>(v: &mut V, args: &'a GenericArgs<'a>) {
    match args {
        GenericArgs::Angle(list) => walk_list(v, list, V::visit_generic_arg),
        GenericArgs::Paren { inputs, output } => {
            walk_list(v, inputs, V::visit_ty);
            walk_opt_ty(v, *output);
        }
        GenericArgs::ParenDots => {}
    }
}

pub fn walk_generic_arg<'a, V: Visitor<'a>>(v: &mut V, arg: &'a GenericArg<'a>) {
    match arg {
        GenericArg::Lifetime(l) => v.visit_lifetime(*l),
        GenericArg::Type(t) => v.visit_ty(t),
        GenericArg::Const(e) => v.visit_expr(e),
        GenericArg::AssocType { ident, args, ty } => {
            v.visit_ident(*ident);
            if let Some(a) = args {
                v.visit_generic_args(a);
            }
            v.visit_ty(ty);
        }
        GenericArg::AssocConst { ident, expr } => {
            v.visit_ident(*ident);
            v.visit_expr(expr);
        }
        GenericArg::Constraint {
            ident,
            args,
            bounds,
        } => {
            v.visit_ident(*ident);
            if let Some(a) = args {
                v.visit_generic_args(a);
            }
            walk_bounds(v, bounds);
        }
    }
}

/// `<T as Trait>::rest` of a type or an expression: the qualified self, then the path.
pub fn walk_qpath<'a, V: Visitor<'a>>(v: &mut V, qpath: &'a QPath<'a>) {
    v.visit_qself(qpath.qself);
    v.visit_path(&qpath.path);
}

pub fn walk_qself<'a, V: Visitor<'a>>(v: &mut V, qself: &'a QSelf<'a>) {
    v.visit_ty(qself.ty);
    if let Some(t) = &qself.as_trait {
        v.visit_path(t);
    }
}

pub fn walk_ty<'a, V: Visitor<'a>>(v: &mut V, ty: &'a Ty<'a>) {
    match &ty.kind {
        TyKind::Path(path) => v.visit_path(path),
        TyKind::QPath(q) => walk_qpath(v, q),
        TyKind::Ref { lifetime, ty, .. } => {
            if let Some(l) = lifetime {
                v.visit_lifetime(*l);
            }
            v.visit_ty(ty);
        }
        TyKind::Ptr { ty, .. } | TyKind::Slice(ty) | TyKind::Paren(ty) => v.visit_ty(ty),
        TyKind::Array(ty, len) => {
            v.visit_ty(ty);
            v.visit_expr(len);
        }
        TyKind::Tuple(tys) => walk_list(v, tys, V::visit_ty),
        TyKind::BareFn(f) => {
            walk_list(v, f.for_lifetimes, V::visit_generic_param);
            for p in f.params {
                if let Some(name) = p.name {
                    v.visit_ident(name);
                }
                v.visit_ty(&p.ty);
            }
            walk_opt_ty(v, f.output);
        }
        TyKind::ImplTrait(bounds) | TyKind::TraitObject { bounds, .. } => walk_bounds(v, bounds),
        TyKind::MacCall(mac) => v.visit_mac_call(mac),
        TyKind::Never | TyKind::Infer => {}
    }
}

pub fn walk_pat<'a, V: Visitor<'a>>(v: &mut V, pat: &'a Pat<'a>) {
    match &pat.kind {
        PatKind::Wild | PatKind::Rest => {}
        PatKind::Ident { ident, sub, .. } => {
            v.visit_ident(*ident);
            if let Some(p) = sub {
                v.visit_pat(p);
            }
        }
        PatKind::Lit(e) => v.visit_expr(e),
        PatKind::Range { lo, hi, .. } => {
            walk_opt_expr(v, *lo);
            walk_opt_expr(v, *hi);
        }
        PatKind::Tuple(pats) | PatKind::Slice(pats) | PatKind::Or(pats) => {
            walk_list(v, pats, V::visit_pat);
        }
        PatKind::Struct {
            qself,
            path,
            fields,
            ..
        } => {
            walk_opt_qself(v, *qself);
            v.visit_path(path);
            walk_list(v, fields, V::visit_field_pat);
        }
        PatKind::TupleStruct { qself, path, elems } => {
            walk_opt_qself(v, *qself);
            v.visit_path(path);
            walk_list(v, elems, V::visit_pat);
        }
        PatKind::Ref { pat, .. } | PatKind::Paren(pat) | PatKind::Box(pat) => v.visit_pat(pat),
        PatKind::Path(qself, path) => {
            walk_opt_qself(v, *qself);
            v.visit_path(path);
        }
        PatKind::MacCall(mac) => v.visit_mac_call(mac),
    }
}

pub fn walk_field_pat<'a, V: Visitor<'a>>(v: &mut V, field: &'a FieldPat<'a>) {
    walk_attrs(v, field.attrs);
    v.visit_ident(field.ident);
    v.visit_pat(&field.pat);
}

pub fn walk_expr<'a, V: Visitor<'a>>(v: &mut V, expr: &'a Expr<'a>) {
    match &expr.kind {
        ExprKind::Array(elems) | ExprKind::Tuple(elems) => walk_list(v, elems, V::visit_expr),
        ExprKind::Repeat(elem, len) => {
            v.visit_expr(elem);
            v.visit_expr(len);
        }
        ExprKind::Call(callee, args) => {
            v.visit_expr(callee);
            walk_list(v, args, V::visit_expr);
        }
        ExprKind::MethodCall(MethodCall {
            receiver,
            method,
            turbofish,
            args,
        }) => {
            v.visit_expr(receiver);
            v.visit_ident(*method);
            if let Some(t) = turbofish {
                v.visit_generic_args(t);
            }
            walk_list(v, args, V::visit_expr);
        }
        ExprKind::Binary(_, l, r) | ExprKind::Assign(l, r) | ExprKind::AssignOp(_, l, r) => {
            v.visit_expr(l);
            v.visit_expr(r);
        }
        ExprKind::Index(e, i) => {
            v.visit_expr(e);
            v.visit_expr(i);
        }
        ExprKind::Unary(_, e)
        | ExprKind::Await(e)
        | ExprKind::Paren(e)
        | ExprKind::Try(e)
        | ExprKind::Become(e)
        | ExprKind::AddrOf { expr: e, .. } => v.visit_expr(e),
        ExprKind::Lit(_) | ExprKind::Underscore | ExprKind::Verbatim(_) | ExprKind::Err => {}
        ExprKind::Cast(e, ty) => {
            v.visit_expr(e);
            v.visit_ty(ty);
        }
        ExprKind::Let(pat, e) => {
            v.visit_pat(pat);
            v.visit_expr(e);
        }
        ExprKind::If { cond, then, els } => {
            v.visit_expr(cond);
            v.visit_block(then);
            walk_opt_expr(v, *els);
        }
        ExprKind::While(WhileLoop { cond, body, label }) => {
            walk_opt_label(v, *label);
            v.visit_expr(cond);
            v.visit_block(body);
        }
        ExprKind::ForLoop(ForLoop {
            pat,
            iter,
            body,
            label,
        }) => {
            walk_opt_label(v, *label);
            v.visit_pat(pat);
            v.visit_expr(iter);
            v.visit_block(body);
        }
        ExprKind::Loop { body, label }
        | ExprKind::Block {
            block: body, label, ..
        } => {
            walk_opt_label(v, *label);
            v.visit_block(body);
        }
        ExprKind::Match(scrutinee, arms) => {
            v.visit_expr(scrutinee);
            walk_list(v, arms, V::visit_arm);
        }
        ExprKind::Closure(c) => v.visit_closure(c),
        ExprKind::Field(e, name) | ExprKind::TupleField(e, name) => {
            v.visit_expr(e);
            v.visit_ident(*name);
        }
        ExprKind::Range { lo, hi, .. } => {
            walk_opt_expr(v, *lo);
            walk_opt_expr(v, *hi);
        }
        ExprKind::Path(path) => v.visit_path(path),
        ExprKind::QPath(q) => walk_qpath(v, q),
        ExprKind::Break { label, expr } => {
            walk_opt_label(v, *label);
            walk_opt_expr(v, *expr);
        }
        ExprKind::Continue(label) => walk_opt_label(v, *label),
        ExprKind::Return(e) | ExprKind::Yield(e) => walk_opt_expr(v, *e),
        ExprKind::MacCall(mac) => v.visit_mac_call(mac),
        ExprKind::Struct(s) => {
            walk_opt_qself(v, s.qself);
            v.visit_path(&s.path);
            walk_list(v, s.fields, V::visit_expr_field);
            if let StructRest::Base(base) = s.rest {
                v.visit_expr(base);
            }
        }
    }
}

fn walk_opt_label<'a, V: Visitor<'a>>(v: &mut V, label: Option<Lifetime>) {
    if let Some(l) = label {
        v.visit_lifetime(l);
    }
}

pub fn walk_expr_field<'a, V: Visitor<'a>>(v: &mut V, field: &'a ExprField<'a>) {
    v.visit_ident(field.ident);
    v.visit_expr(&field.expr);
}

pub fn walk_closure<'a, V: Visitor<'a>>(v: &mut V, closure: &'a Closure<'a>) {
    walk_list(v, closure.for_lifetimes, V::visit_generic_param);
    for p in closure.params {
        v.visit_pat(&p.pat);
        walk_opt_ty(v, p.ty);
    }
    walk_opt_ty(v, closure.output);
    v.visit_expr(closure.body);
}

pub fn walk_arm<'a, V: Visitor<'a>>(v: &mut V, arm: &'a Arm<'a>) {
    walk_attrs(v, arm.attrs);
    v.visit_pat(&arm.pat);
    walk_opt_expr(v, arm.guard);
    walk_opt_expr(v, arm.body);
}

pub fn walk_block<'a, V: Visitor<'a>>(v: &mut V, block: &'a Block<'a>) {
    walk_list(v, block.stmts, V::visit_stmt);
}

pub fn walk_stmt<'a, V: Visitor<'a>>(v: &mut V, stmt: &'a Stmt<'a>) {
    match stmt {
        Stmt::Let(local) => v.visit_local(local),
        Stmt::Item(item) => v.visit_item(item),
        Stmt::Expr(e) | Stmt::Semi(e) => v.visit_expr(e),
        Stmt::MacCall { mac, .. } => v.visit_mac_call(mac),
        Stmt::Empty => {}
    }
}

pub fn walk_local<'a, V: Visitor<'a>>(v: &mut V, local: &'a Local<'a>) {
    walk_attrs(v, local.attrs);
    v.visit_pat(&local.pat);
    walk_opt_ty(v, local.ty);
    walk_opt_expr(v, local.init);
    if let Some(els) = local.els {
        v.visit_block(els);
    }
}

pub fn walk_mac_call<'a, V: Visitor<'a>>(v: &mut V, mac: &'a MacCall<'a>) {
    v.visit_path(&mac.path);
}

// ---------------------------------------------------------------- helpers

impl<'a> Item<'a> {
    /// Calls `f` on every type written in the item's signature, in source
    /// order: function parameter and return types, field types, an impl's
    /// self type, alias, const and static types; for traits, impls and
    /// extern blocks also those of their member items. Bodies, generics,
    /// bounds, trait references and nested modules are not visited.
    pub fn for_each_signature_type(&'a self, f: impl FnMut(&'a Ty<'a>)) {
        struct SignatureTypes<F>(F);

        impl<'a, F: FnMut(&'a Ty<'a>)> Visitor<'a> for SignatureTypes<F> {
            fn visit_item(&mut self, item: &'a Item<'a>) {
                if !matches!(item.kind, ItemKind::Mod(_)) {
                    walk_item(self, item);
                }
            }
            fn visit_ty(&mut self, ty: &'a Ty<'a>) {
                (self.0)(ty);
            }
            fn visit_generics(&mut self, _: &'a Generics<'a>) {}
            fn visit_param_bound(&mut self, _: &'a GenericBound<'a>) {}
            fn visit_trait_ref(&mut self, _: &'a Path<'a>) {}
            fn visit_pat(&mut self, _: &'a Pat<'a>) {}
            fn visit_expr(&mut self, _: &'a Expr<'a>) {}
            fn visit_block(&mut self, _: &'a Block<'a>) {}
        }

        SignatureTypes(f).visit_item(self);
    }
}

impl<'a> Ty<'a> {
    /// Calls `f` on every path written in this type (outer paths first),
    /// including those in generic arguments, qualified selves (`<T as
    /// Trait>::X` gives `X` with its `QSelf`, then `T`, then `Trait`) and
    /// trait bounds of `impl`/`dyn` types. Expressions (array lengths, const
    /// arguments) are not visited.
    pub fn for_each_path(&'a self, f: impl FnMut(Option<&'a QSelf<'a>>, &'a Path<'a>)) {
        struct Paths<F>(F);

        impl<'a, F: FnMut(Option<&'a QSelf<'a>>, &'a Path<'a>)> Visitor<'a> for Paths<F> {
            fn visit_ty(&mut self, ty: &'a Ty<'a>) {
                match &ty.kind {
                    TyKind::Path(path) => {
                        (self.0)(None, path);
                        walk_path(self, path);
                    }
                    // The type's own path comes with its qualified self.
                    TyKind::QPath(q) => {
                        (self.0)(Some(q.qself), &q.path);
                        self.visit_qself(q.qself);
                        walk_path(self, &q.path);
                    }
                    _ => walk_ty(self, ty),
                }
            }
            fn visit_path(&mut self, path: &'a Path<'a>) {
                (self.0)(None, path);
                walk_path(self, path);
            }
            fn visit_expr(&mut self, _: &'a Expr<'a>) {}
        }

        Paths(f).visit_ty(self);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::syntax::ast::{Delimited, Span};
    use crate::syntax::token::TokenKind;
    use crate::syntax::{FileId, LocalInterner, Symbol, kw, lex_and_intern, parse_file};

    /// Records every name and lifetime the walk reaches, and the token
    /// ranges kept unparsed (macro and attribute arguments).
    #[derive(Default)]
    struct Reached {
        names: HashSet<(u32, u32)>,
        unparsed: Vec<Span>,
    }

    impl Reached {
        fn unparsed(&mut self, d: Delimited) {
            self.unparsed.push(d.span);
        }
    }

    impl<'a> Visitor<'a> for Reached {
        fn visit_ident(&mut self, ident: Ident) {
            self.names.insert((ident.span.lo, ident.span.hi));
        }
        fn visit_lifetime(&mut self, l: Lifetime) {
            self.names.insert((l.span.lo, l.span.hi));
        }
        fn visit_item(&mut self, item: &'a Item<'a>) {
            if let ItemKind::MacroRules(m) | ItemKind::MacroDef(m) = item.kind {
                self.unparsed(m.body);
            }
            walk_item(self, item);
        }
        fn visit_attribute(&mut self, attr: &'a Attribute<'a>) {
            if let AttrArgs::Delimited(d) = attr.args {
                self.unparsed(d);
            }
            walk_attribute(self, attr);
        }
        fn visit_mac_call(&mut self, mac: &'a MacCall<'a>) {
            self.unparsed(mac.args);
            walk_mac_call(self, mac);
        }
        fn visit_expr(&mut self, e: &'a Expr<'a>) {
            if let ExprKind::Verbatim(d) = e.kind {
                self.unparsed(d);
            }
            walk_expr(self, e);
        }
    }

    /// Identifiers that are syntax, not names, where they stand.
    const CONTEXTUAL: [Symbol; 11] = [
        kw::Union,
        kw::Auto,
        kw::Default,
        kw::Safe,
        kw::Raw,
        kw::MacroRules,
        kw::Macro,
        kw::Try,
        kw::Yield,
        kw::Become,
        kw::Box,
    ];

    /// The walk reaches every identifier and lifetime of a file outside
    /// unparsed token trees: no node kind is skipped by a `walk_*` function.
    #[test]
    fn the_walk_reaches_every_name() {
        let sources = [
            include_str!("parser/expr.rs"),
            include_str!("parser/item.rs"),
            include_str!("visit.rs"),
            include_str!("ast.rs"),
            include_str!("../passes/resolve.rs"),
            include_str!("../passes/collect.rs"),
            "extern crate a as b; use x::{y as z, w::*}; pub(in m) static S: [u8; N] = [0; N];\n\
             const C<T: Tr<Item = U>>: fn(x: u8) -> !  = f::<T>;\n\
             trait Tr<'l>: Sup where Self: 'l { type A<'m>: B<C<'m> = D>; fn m(&'l mut self); }\n\
             impl<const K: usize = 3> !Tr for <X as Y>::Z {}\n\
             struct S<T>(pub T) where T: for<'b> Fn(&'b u8) + use<'b, T>;\n\
             enum E { V { f: u8 = 1 } = 2, W(S<u8>) }\n\
             fn g(Pt { x, ref y, z: (a, [b, .., c]) }: Pt, q: impl Fn() -> R) -> u8 {\n\
                 'l: loop { break 'l x.0; continue 'l; }\n\
                 let Some(v @ 1..=9) = o else { return };\n\
                 match s { E::V { f, .. } | E::W(f) if f > 0 => f, _ => 0 }\n\
                 let c = async move |p: u8| -> u8 { p.await? + m!(x) };\n\
                 St { a, b: 1, ..base }; <T as Q>::f(&raw const r, &mut w[i]);\n\
                 if let a = b && c { d } else if e { f } else { g };\n\
                 for i in 0..n { i as u64; } while x { y += 1 }\n\
             }",
        ];
        for src in sources {
            let bump = tern_arena::Arenas::for_any_thread();
            let interner = LocalInterner::default();
            let mut diags = Vec::new();
            let file = parse_file(src, FileId(0), bump.local_arena(), &interner, &mut diags);
            assert!(diags.is_empty(), "{diags:?}");
            let mut reached = Reached::default();
            reached.visit_source_file(&file);
            let (mut toks, mut lex_diags) = (Vec::new(), Vec::new());
            lex_and_intern(src, FileId(0), &interner, &mut toks, &mut lex_diags);
            let mut missed = Vec::new();
            for t in &toks {
                let name = matches!(t.kind, TokenKind::Ident | TokenKind::RawIdent)
                    && !t.sym.is_some_and(|s| CONTEXTUAL.contains(&s));
                let unparsed = reached
                    .unparsed
                    .iter()
                    .any(|d| d.lo <= t.lo && t.hi <= d.hi);
                if (name || t.kind == TokenKind::Lifetime)
                    && !unparsed
                    && !reached.names.contains(&(t.lo, t.hi))
                {
                    missed.push(&src[t.lo as usize..t.hi as usize]);
                }
            }
            assert!(missed.is_empty(), "names the walk missed: {missed:?}");
        }
    }
}
