//! Pass 4, types: every type written in an item signature is lowered to a
//! hash-consed [`TyNode`] through the session's value interner, so equal types
//! written anywhere (in any file, on any worker) become the same id.
//!
//! "Item signature" means: function parameters and return types, generic
//! parameter bounds and defaults, where clauses, struct/union/variant fields,
//! type aliases, `const`/`static` types, impl headers (self type and trait),
//! supertraits, and the same inside trait, impl and `extern` blocks and inline
//! modules. Function bodies are not walked.
//!
//! Types are trees of nodes; a path is a chain of segment nodes and every list
//! is a cons list, so a prefix shared by two types (`std::collections::`) is
//! one chain of nodes.

use crate::syntax::Symbol;
use crate::syntax::ast::{
    Attribute, Block, Expr, GenericArg, GenericArgs, GenericBound, Item, ItemKind, MacCall, Pat,
    Path, Ty, TyKind, UseTree, Visibility,
};
use crate::syntax::visit::{self, Visitor};

/// Id of a hash-consed node: the address of the node's single copy in the
/// value interner's arenas (hash-consing makes equal nodes one copy, so equal
/// ids mean equal types). Never dereferenced; meaningful only while that
/// interner lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TyId(pub usize);

/// One hash-consed node: a type, or a piece of one (path segment, list cell,
/// bound, generic argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TyNode {
    /// A path segment: the segments before it, its name, its generic arguments.
    Seg {
        /// Previous segment (`None` for the first).
        prev: Option<TyId>,
        /// Starts with `::` (only meaningful on the first segment).
        global: bool,
        /// Segment name.
        name: Symbol,
        /// Generic arguments (a list), if written.
        args: Option<TyId>,
        /// `Fn(..) -> ..` style arguments.
        paren: bool,
    },
    /// A list cell.
    Cons {
        /// Element.
        head: TyId,
        /// Rest of the list.
        tail: Option<TyId>,
    },
    /// `a::b::C<T>` (the last segment).
    Path(TyId),
    /// `<T as Trait>::Name`: self type, trait path, then the path after `>::`.
    QPath {
        /// `T`
        self_ty: TyId,
        /// `Trait`, if written.
        as_trait: Option<TyId>,
        /// `Name...`
        path: TyId,
    },
    /// `&'a mut T`
    Ref {
        /// `'a`
        lifetime: Option<Symbol>,
        /// `mut`
        mutbl: bool,
        /// `T`
        ty: TyId,
    },
    /// `*const T` / `*mut T`
    Ptr {
        /// `mut`
        mutbl: bool,
        /// `T`
        ty: TyId,
    },
    /// `[T]`
    Slice(TyId),
    /// `[T; N]` with the length's source text.
    Array(TyId, Symbol),
    /// `(A, B)` (list), `()` is `Tuple(None)`.
    Tuple(Option<TyId>),
    /// `unsafe extern "C" fn(A, B) -> R`
    Fn {
        /// Parameter types (list).
        params: Option<TyId>,
        /// Return type (`None` for `()`).
        output: Option<TyId>,
        /// `unsafe`
        unsafety: bool,
        /// `...`
        variadic: bool,
    },
    /// `impl A + B` (list of bounds)
    ImplTrait(Option<TyId>),
    /// `dyn A + B` (list of bounds)
    Dyn(Option<TyId>),
    /// `!`
    Never,
    /// `_`
    Infer,
    /// `m!(..)` with the invocation's source text.
    Mac(Symbol),
    /// A trait bound: `?Sized`, `for<'a> Fn(&'a T)`, `~const Trait`...
    TraitBound {
        /// The trait's path.
        path: TyId,
        /// `?`
        maybe: bool,
        /// `!`
        negative: bool,
        /// `const` or `~const`
        constness: bool,
    },
    /// A lifetime (bound or generic argument).
    Lifetime(Symbol),
    /// A const generic argument, by source text.
    Const(Symbol),
    /// `Item = T`
    AssocEq(Symbol, TyId),
    /// `Item: Bounds`
    AssocBound(Symbol, Option<TyId>),
    /// `use<'a, T>` precise capturing (list).
    Use(Option<TyId>),
}

/// Where nodes are hash-consed: equal nodes get equal ids.
pub trait TyStore {
    /// The id of `node`.
    fn node(&self, node: TyNode) -> TyId;
    /// Interns source text (array lengths, const arguments, macro types).
    fn text(&self, s: &str) -> Symbol;
}

/// What lowering one file found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TypesOut {
    /// Types written in signatures (outermost ones: a parameter's type counts once).
    pub written: u64,
}

/// Lowers every type in the signatures of `items`; `src` is the file's text.
pub fn lower_file(
    items: &[Item<'_>],
    src: &str,
    store: &dyn TyStore,
    seen: &mut Vec<TyId>,
) -> TypesOut {
    let mut lw = Lower {
        store,
        src,
        out: TypesOut::default(),
        seen,
        impl_header: ImplHeader::default(),
    };
    for item in items {
        lw.visit_item(item);
    }
    lw.out
}

struct Lower<'s, 'v> {
    store: &'s dyn TyStore,
    src: &'s str,
    out: TypesOut,
    /// Ids of the outermost types lowered, for the caller (e.g. to count
    /// distinct types per file).
    seen: &'v mut Vec<TyId>,
    /// Polarity and constness of the impl whose header is being walked.
    impl_header: ImplHeader,
}

#[derive(Default, Clone, Copy)]
struct ImplHeader {
    negative: bool,
    constness: bool,
}

/// The walk: finds the outermost types and bounds of item signatures
/// (`top`); lowering them is a fold over each one (`ty`, `bound`, below).
impl<'a> Visitor<'a> for Lower<'_, '_> {
    fn visit_item(&mut self, item: &'a Item<'a>) {
        if let ItemKind::Impl(i) = item.kind {
            self.impl_header = ImplHeader {
                negative: i.negative,
                constness: i.constness,
            };
        }
        visit::walk_item(self, item);
    }

    /// `Trait` of `impl Trait for T`, lowered as a bound.
    fn visit_trait_ref(&mut self, tr: &'a Path<'a>) {
        let path = self.path(tr);
        let bound = self.store.node(TyNode::TraitBound {
            path,
            maybe: false,
            negative: self.impl_header.negative,
            constness: self.impl_header.constness,
        });
        self.record(bound);
    }

    fn visit_ty(&mut self, ty: &'a Ty<'a>) {
        let id = self.ty(ty);
        self.record(id);
    }

    fn visit_param_bound(&mut self, b: &'a GenericBound<'a>) {
        let id = self.bound(b);
        self.record(id);
    }

    // Not signatures: bodies, patterns, expressions (array lengths and const
    // arguments are lowered as text); and nodes that hold no type.
    fn visit_pat(&mut self, _: &'a Pat<'a>) {}
    fn visit_expr(&mut self, _: &'a Expr<'a>) {}
    fn visit_block(&mut self, _: &'a Block<'a>) {}
    fn visit_attribute(&mut self, _: &'a Attribute<'a>) {}
    fn visit_vis(&mut self, _: &'a Visibility<'a>) {}
    fn visit_use_tree(&mut self, _: &'a UseTree<'a>) {}
    fn visit_mac_call(&mut self, _: &'a MacCall<'a>) {}
}

impl Lower<'_, '_> {
    /// Counts an outermost type or bound of a signature.
    fn record(&mut self, id: TyId) {
        self.out.written += 1;
        self.seen.push(id);
    }

    fn text(&self, lo: u32, hi: u32) -> Symbol {
        let s = self.src.get(lo as usize..hi as usize).unwrap_or("");
        self.store.text(s)
    }

    fn list(&mut self, ids: impl DoubleEndedIterator<Item = TyId>) -> Option<TyId> {
        // Built from the end so that each cell's tail already exists.
        let items: smallvec::SmallVec<[TyId; 8]> = ids.collect();
        let mut tail = None;
        for &head in items.iter().rev() {
            tail = Some(self.store.node(TyNode::Cons { head, tail }));
        }
        tail
    }

    fn path(&mut self, p: &Path<'_>) -> TyId {
        let mut prev = None;
        for seg in p.segments() {
            let (args, paren) = match seg.args {
                None => (None, false),
                Some(a) => (self.generic_args(a), matches!(a, GenericArgs::Paren { .. })),
            };
            prev = Some(self.store.node(TyNode::Seg {
                prev,
                global: prev.is_none() && p.is_global(),
                name: seg.ident.sym,
                args,
                paren,
            }));
        }
        // A path always has a segment; an empty one (recovered error) is `_`.
        prev.unwrap_or_else(|| self.store.node(TyNode::Infer))
    }

    fn generic_args(&mut self, a: &GenericArgs<'_>) -> Option<TyId> {
        match *a {
            GenericArgs::Angle(args) => {
                let ids: smallvec::SmallVec<[TyId; 8]> =
                    args.iter().map(|g| self.generic_arg(g)).collect();
                self.list(ids.into_iter())
            }
            GenericArgs::Paren { inputs, output } => {
                let mut ids: smallvec::SmallVec<[TyId; 8]> =
                    inputs.iter().map(|t| self.ty(t)).collect();
                // The output is the last element, marked by a wrapper node.
                let out =
                    output.map_or_else(|| self.store.node(TyNode::Tuple(None)), |o| self.ty(o));
                ids.push(self.store.node(TyNode::Fn {
                    params: None,
                    output: Some(out),
                    unsafety: false,
                    variadic: false,
                }));
                self.list(ids.into_iter())
            }
            GenericArgs::ParenDots => {
                let dots = self.store.text("..");
                Some(self.store.node(TyNode::Const(dots)))
            }
        }
    }

    fn generic_arg(&mut self, g: &GenericArg<'_>) -> TyId {
        match *g {
            GenericArg::Lifetime(l) => self.store.node(TyNode::Lifetime(l.sym)),
            GenericArg::Type(t) => self.ty(t),
            GenericArg::Const(e) => {
                let s = self.text(e.span.lo, e.span.hi);
                self.store.node(TyNode::Const(s))
            }
            GenericArg::AssocType { ident, ty, .. } => {
                let t = self.ty(ty);
                self.store.node(TyNode::AssocEq(ident.sym, t))
            }
            GenericArg::AssocConst { ident, expr } => {
                let s = self.text(expr.span.lo, expr.span.hi);
                let c = self.store.node(TyNode::Const(s));
                self.store.node(TyNode::AssocEq(ident.sym, c))
            }
            GenericArg::Constraint { ident, bounds, .. } => {
                let ids: smallvec::SmallVec<[TyId; 4]> =
                    bounds.iter().map(|b| self.bound(b)).collect();
                let l = self.list(ids.into_iter());
                self.store.node(TyNode::AssocBound(ident.sym, l))
            }
        }
    }

    fn bound(&mut self, b: &GenericBound<'_>) -> TyId {
        match *b {
            GenericBound::Trait {
                modifiers, path, ..
            } => {
                let path = self.path(&path);
                self.store.node(TyNode::TraitBound {
                    path,
                    maybe: modifiers.maybe,
                    negative: modifiers.negative,
                    constness: modifiers.constness || modifiers.maybe_const,
                })
            }
            GenericBound::Lifetime(l) => self.store.node(TyNode::Lifetime(l.sym)),
            GenericBound::Use(args) => {
                let ids: smallvec::SmallVec<[TyId; 4]> =
                    args.iter().map(|g| self.generic_arg(g)).collect();
                let l = self.list(ids.into_iter());
                self.store.node(TyNode::Use(l))
            }
        }
    }

    fn bounds(&mut self, bounds: &[GenericBound<'_>]) -> Option<TyId> {
        let ids: smallvec::SmallVec<[TyId; 4]> = bounds.iter().map(|b| self.bound(b)).collect();
        self.list(ids.into_iter())
    }

    fn ty(&mut self, ty: &Ty<'_>) -> TyId {
        let node = match ty.kind {
            TyKind::Path(ref p) => TyNode::Path(self.path(p)),
            TyKind::QPath(q) => {
                let self_ty = self.ty(q.qself.ty);
                let as_trait = q.qself.as_trait.as_ref().map(|t| self.path(t));
                let path = self.path(&q.path);
                TyNode::QPath {
                    self_ty,
                    as_trait,
                    path,
                }
            }
            TyKind::Ref {
                lifetime,
                mutbl,
                ty,
            } => TyNode::Ref {
                lifetime: lifetime.map(|l| l.sym),
                mutbl,
                ty: self.ty(ty),
            },
            TyKind::Ptr { mutbl, ty } => TyNode::Ptr {
                mutbl,
                ty: self.ty(ty),
            },
            TyKind::Slice(t) => TyNode::Slice(self.ty(t)),
            TyKind::Array(t, len) => {
                let t = self.ty(t);
                TyNode::Array(t, self.text(len.span.lo, len.span.hi))
            }
            TyKind::Tuple(elems) => {
                let ids: smallvec::SmallVec<[TyId; 8]> = elems.iter().map(|t| self.ty(t)).collect();
                TyNode::Tuple(self.list(ids.into_iter()))
            }
            // `(T)` is `T`.
            TyKind::Paren(t) => return self.ty(t),
            TyKind::BareFn(f) => {
                let ids: smallvec::SmallVec<[TyId; 8]> =
                    f.params.iter().map(|p| self.ty(&p.ty)).collect();
                let params = self.list(ids.into_iter());
                let output = f.output.map(|o| self.ty(o));
                TyNode::Fn {
                    params,
                    output,
                    unsafety: f.unsafety,
                    variadic: f.variadic,
                }
            }
            TyKind::ImplTrait(bounds) => TyNode::ImplTrait(self.bounds(bounds)),
            TyKind::TraitObject { bounds, .. } => TyNode::Dyn(self.bounds(bounds)),
            TyKind::Never => TyNode::Never,
            TyKind::Infer => TyNode::Infer,
            TyKind::MacCall(_) => TyNode::Mac(self.text(ty.span.lo, ty.span.hi)),
        };
        self.store.node(node)
    }
}

/// What the types pass found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TypesSummary {
    /// Types written in signatures, over all files.
    pub written: u64,
    /// Distinct outermost signature types.
    pub distinct_top: u64,
}

/// Hash-conses through one task's context: nodes into the session's value interner, texts
/// into its string interner (both freed during the pass when they outgrow their tables). The
/// value reader is made once per file, not per node.
struct TaskStore<'c, 's, 'g> {
    cx: &'c tern_session::TaskCx<'s>,
    types: tern_intern::ValueReader<'g, 'c, TyNode>,
}

impl TyStore for TaskStore<'_, '_, '_> {
    #[inline]
    fn node(&self, node: TyNode) -> TyId {
        // Hash-consing: equal nodes are one arena value, so its address is the id.
        TyId(self.types.intern(node).as_ptr() as usize)
    }

    #[inline]
    fn text(&self, s: &str) -> Symbol {
        self.cx.intern(s)
    }
}

std::thread_local! {
    /// Per-worker buffer of one file's outermost type ids, reused across files.
    static SEEN: std::cell::RefCell<Vec<TyId>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Per-worker set of the outermost types met during the pass `.0`.
    static TOP: std::cell::RefCell<(u64, rustc_hash::FxHashSet<TyId>)> =
        std::cell::RefCell::new((0, rustc_hash::FxHashSet::default()));
}

/// The types pass: every signature type of every file, hash-consed in `types`.
pub fn run(
    s: &mut tern_session::Session,
    types: &tern_intern::Guarded<tern_intern::ValueInterner<TyNode>>,
    asts: &[Option<crate::syntax::SourceFile<'_>>],
    texts: &[Option<String>],
    sizes: &[u64],
    progress: &crate::driver::Progress,
) -> TypesSummary {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    // Relaxed: only uniqueness matters.
    let run_id = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    progress.start("types", asts.len());
    let written: u64 = s
        .pass_sized("types", sizes, |cx, i| {
            let (Some(file), Some(src)) = (asts[i].as_ref(), texts[i].as_deref()) else {
                return 0;
            };
            let store = TaskStore {
                cx,
                types: cx.values(types),
            };
            let out = SEEN.with(|seen| {
                let seen = &mut *seen.borrow_mut();
                seen.clear();
                let out = lower_file(file.items, src, &store, seen);
                TOP.with(|top| {
                    let (id, top) = &mut *top.borrow_mut();
                    if *id != run_id {
                        *id = run_id;
                        top.clear();
                    }
                    top.extend(seen.iter().copied());
                });
                out
            });
            progress.tick();
            out.written
        })
        .into_iter()
        .sum();
    // Per-worker flushing between passes: the union of the workers' sets.
    let mut top = rustc_hash::FxHashSet::default();
    for set in s.pool().broadcast(|_| {
        TOP.with(|t| {
            let (id, set) = &mut *t.borrow_mut();
            if *id == run_id {
                std::mem::take(set)
            } else {
                rustc_hash::FxHashSet::default()
            }
        })
    }) {
        top.extend(set);
    }
    TypesSummary {
        written,
        distinct_top: top.len() as u64,
    }
}
