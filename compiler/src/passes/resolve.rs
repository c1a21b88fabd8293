//! Pass 5, resolve: `use` imports and the type paths of item signatures,
//! resolved against the module tree of their crate.
//!
//! Scoping is deliberately simple (no macro expansion, no `cfg`):
//! - the first segment of a path is looked up as `crate`, `self`, `super` or
//!   `Self`, a generic parameter in scope, a name defined in the current module,
//!   a name bound by one of its `use` imports (followed recursively), or a name
//!   reachable through one of its glob imports of a module of the same crate;
//! - each later segment is looked up in the module reached so far (its items,
//!   imports and globs: `pub use` re-exports are followed too); once a segment
//!   reaches a type, trait or enum the rest (variants, associated items) counts
//!   as resolved;
//! - what is not found locally is *external* when it is a prelude or primitive
//!   name, a path starting with `::`, a multi-segment path whose first segment
//!   is a lowercase name not defined locally (another crate, as in 2018
//!   edition), or a name in a module with a glob import from another crate; it
//!   is *unresolved* otherwise (typically names made by macros or `cfg`).

use rustc_hash::{FxHashMap, FxHashSet};

use crate::passes::collect::{DefKind, Import, ModuleTree, PathKw};
use crate::syntax::Symbol;
use crate::syntax::ast::{
    Attribute, Block, Expr, GenericParamKind, Generics, Item, ItemKind, MacCall, Pat, Path, Ty,
    TyKind, UseTree, Visibility,
};
use crate::syntax::visit::{self, Visitor};

/// Counts of one file (or summed).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ResolveOut {
    /// Resolved inside the crate (or to a generic parameter / `Self`).
    pub resolved: u64,
    /// Resolved to another crate, std or the prelude.
    pub external: u64,
    /// Not found.
    pub unresolved: u64,
}

impl std::ops::AddAssign for ResolveOut {
    fn add_assign(&mut self, o: Self) {
        self.resolved += o.resolved;
        self.external += o.external;
        self.unresolved += o.unresolved;
    }
}

/// The outcome of resolving a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Res {
    /// A module of this crate.
    Module(u32),
    /// An item of this crate (or something inside it).
    Item(DefKind),
    /// A generic parameter or `Self`.
    Local,
    /// Another crate, std, the prelude, a primitive type.
    External,
    /// Not found.
    Unresolved,
}

/// The session-wide inputs of resolution.
pub struct Resolver<'t> {
    /// The module tree.
    pub tree: &'t ModuleTree,
    /// Path keywords.
    pub kw: PathKw,
    /// Prelude and primitive names (external when not shadowed).
    pub prelude: FxHashSet<Symbol>,
    /// Whether a name looks like a crate name (lowercase first letter).
    pub lowercase: &'t (dyn Fn(Symbol) -> bool + Sync),
}

impl std::fmt::Debug for Resolver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("modules", &self.tree.modules.len())
            .field("prelude", &self.prelude.len())
            .finish_non_exhaustive()
    }
}

/// How deep lookups nest before giving up (a stack guard: cycles are caught by the
/// memo's in-progress marks long before).
const MAX_HOPS: u32 = 64;

/// Per-worker state reused across files: the segment buffer and the lookup memo.
///
/// The memo maps `(module, name)` to its result (`None` while the lookup is in
/// progress, so a cycle of imports or globs ends at once as "not found here").
/// It is cleared for every file: results then depend only on the file's own
/// query order, never on which files a worker handled before, so the counts are
/// the same whatever the schedule or the thread count.
#[derive(Debug, Default)]
pub struct ResolveCx {
    segs: Vec<Symbol>,
    memo: FxHashMap<(u32, Symbol), Option<Res>>,
    /// Last segment of every path of the current file left unresolved.
    pub unresolved: Vec<Symbol>,
}

/// Names that are in scope everywhere: the std prelude, primitive types and the
/// crates every crate can name.
pub const PRELUDE: &[&str] = &[
    "bool",
    "char",
    "str",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f16",
    "f32",
    "f64",
    "f128",
    "std",
    "core",
    "alloc",
    "proc_macro",
    "test",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "ToString",
    "ToOwned",
    "Clone",
    "Copy",
    "Send",
    "Sync",
    "Sized",
    "Unpin",
    "Fn",
    "FnMut",
    "FnOnce",
    "AsyncFn",
    "AsyncFnMut",
    "AsyncFnOnce",
    "Drop",
    "Default",
    "Eq",
    "PartialEq",
    "Ord",
    "PartialOrd",
    "Iterator",
    "IntoIterator",
    "DoubleEndedIterator",
    "ExactSizeIterator",
    "Extend",
    "FromIterator",
    "AsRef",
    "AsMut",
    "Into",
    "From",
    "TryFrom",
    "TryInto",
    "drop",
    "Debug",
    "Hash",
    "Future",
    "IntoFuture",
];

impl Resolver<'_> {
    fn lookup_in(&self, m: u32, name: Symbol, hops: u32, memo: &mut Memo) -> Res {
        if hops > MAX_HOPS {
            return Res::Unresolved;
        }
        match memo.get(&(m, name)) {
            Some(Some(r)) => return *r,
            Some(None) => return Res::Unresolved,
            None => {}
        }
        memo.insert((m, name), None);
        let r = self.lookup_uncached(m, name, hops, memo);
        memo.insert((m, name), Some(r));
        r
    }

    fn lookup_uncached(&self, m: u32, name: Symbol, hops: u32, memo: &mut Memo) -> Res {
        let module = &self.tree.modules[m as usize];
        if let Some(d) = module.defs.get(&name) {
            if let Some(child) = d.module {
                return Res::Module(child);
            }
            if let Some(k) = d.ty.or(d.value) {
                return Res::Item(k);
            }
            if d.mac {
                return Res::Item(DefKind::Macro);
            }
        }
        // `use` imports binding the name.
        let mut found = Res::Unresolved;
        for imp in module.imports.iter().filter(|i| i.binds == Some(name)) {
            match self.import(m, imp, hops + 1, memo) {
                Res::Unresolved => {}
                r => {
                    found = r;
                    break;
                }
            }
        }
        if found != Res::Unresolved {
            return found;
        }
        // Globs: a local module's names, or "maybe external".
        let mut external_glob = false;
        for imp in module.imports.iter().filter(|i| i.glob) {
            match self.path_from(m, imp.global, &imp.path, hops + 1, memo) {
                Res::Module(g) if g != m => match self.lookup_in(g, name, hops + 1, memo) {
                    Res::Unresolved => {}
                    r => return r,
                },
                // `use Enum::*` (variants) or a glob of another crate: the name may
                // come from there.
                Res::Item(DefKind::Enum) | Res::External | Res::Unresolved => external_glob = true,
                _ => {}
            }
        }
        if external_glob {
            Res::External
        } else {
            Res::Unresolved
        }
    }

    /// Resolves what `imp` (in module `m`) points at.
    fn import(&self, m: u32, imp: &Import, hops: u32, memo: &mut Memo) -> Res {
        self.path_from(m, imp.global, &imp.path, hops, memo)
    }

    /// Resolves a path written in module `m`.
    fn path_from(&self, m: u32, global: bool, segs: &[Symbol], hops: u32, memo: &mut Memo) -> Res {
        if hops > MAX_HOPS {
            return Res::Unresolved;
        }
        let Some((&first, rest)) = segs.split_first() else {
            return Res::Unresolved;
        };
        if global {
            return Res::External;
        }
        let kw = &self.kw;
        let mut cur = if first == kw.krate {
            Res::Module(self.tree.modules[m as usize].krate)
        } else if first == kw.self_lower {
            Res::Module(m)
        } else if first == kw.super_ {
            self.parent(m)
        } else if first == kw.self_upper {
            return Res::Local;
        } else {
            match self.lookup_in(m, first, hops, memo) {
                Res::Unresolved if self.prelude.contains(&first) => Res::External,
                Res::Unresolved if !rest.is_empty() && (self.lowercase)(first) => Res::External,
                r => r,
            }
        };
        for &seg in rest {
            cur = match cur {
                Res::Module(id) if seg == kw.super_ => self.parent(id),
                Res::Module(id) if seg == kw.self_lower => Res::Module(id),
                Res::Module(id) => self.lookup_in(id, seg, hops + 1, memo),
                // Variants, associated items: inside a resolved item.
                r @ (Res::Item(_) | Res::Local | Res::External | Res::Unresolved) => return r,
            };
        }
        cur
    }

    fn parent(&self, m: u32) -> Res {
        self.tree.modules[m as usize]
            .parent
            .map_or(Res::Unresolved, Res::Module)
    }

    fn count(out: &mut ResolveOut, r: Res, path: &[Symbol], unresolved: &mut Vec<Symbol>) {
        match r {
            Res::Module(_) | Res::Item(_) | Res::Local => out.resolved += 1,
            Res::External => out.external += 1,
            Res::Unresolved => {
                out.unresolved += 1;
                unresolved.extend(path.last());
            }
        }
    }

    /// Resolves every import and signature type path of file `file`.
    pub fn resolve_file(&self, file: u32, items: &[Item<'_>], cx: &mut ResolveCx) -> ResolveOut {
        let mut out = ResolveOut::default();
        let Some(root) = self.tree.file_root[file as usize] else {
            return out;
        };
        cx.memo.clear();
        cx.unresolved.clear();
        // Imports: every module of the file (they are contiguous, root first).
        let mut m = root;
        while (m as usize) < self.tree.modules.len() && self.tree.modules[m as usize].file == file {
            for imp in &self.tree.modules[m as usize].imports {
                let r = self.import(m, imp, 0, &mut cx.memo);
                Self::count(&mut out, r, &imp.path, &mut cx.unresolved);
            }
            m += 1;
        }
        // Type paths of signatures.
        let mut w = Walk {
            r: self,
            out,
            next_local: 1,
            base: root,
            module: root,
            generics: Vec::new(),
            segs: &mut cx.segs,
            memo: &mut cx.memo,
            unresolved: &mut cx.unresolved,
        };
        for item in items {
            w.visit_item(item);
        }
        w.out
    }
}

/// Resolves the paths of item signatures: types, bounds, impl headers, with
/// the generic parameters in scope. Bodies, expressions, patterns,
/// attributes, visibilities, `use` trees (resolved from the module tree) and
/// macro invocations are not walked.
struct Walk<'r, 't, 'v> {
    r: &'r Resolver<'t>,
    out: ResolveOut,
    /// The next file-local module id, assigned in the same order as collect does.
    next_local: u32,
    base: u32,
    /// The module the walk is in.
    module: u32,
    /// Generic parameter names in scope.
    generics: Vec<Symbol>,
    segs: &'v mut Vec<Symbol>,
    memo: &'v mut Memo,
    unresolved: &'v mut Vec<Symbol>,
}

type Memo = FxHashMap<(u32, Symbol), Option<Res>>;

impl<'a> Visitor<'a> for Walk<'_, '_, '_> {
    /// An item's generic parameters stay in scope for its members; an
    /// inline module moves the walk into the module's own id.
    fn visit_item(&mut self, item: &'a Item<'a>) {
        let mark = self.generics.len();
        if let ItemKind::Mod(_) = item.kind {
            let id = self.base + self.next_local;
            self.next_local += 1;
            let outer = std::mem::replace(&mut self.module, id);
            visit::walk_item(self, item);
            self.module = outer;
        } else {
            visit::walk_item(self, item);
        }
        self.generics.truncate(mark);
    }

    /// Brings the parameters into scope (the enclosing item truncates), then
    /// walks their bounds, defaults and the where clause.
    fn visit_generics(&mut self, g: &'a Generics<'a>) {
        for p in g.params {
            match p.kind {
                GenericParamKind::Type { ident, .. } | GenericParamKind::Const { ident, .. } => {
                    self.generics.push(ident.sym);
                }
                GenericParamKind::Lifetime { .. } => {}
            }
        }
        visit::walk_generics(self, g);
    }

    fn visit_ty(&mut self, ty: &'a Ty<'a>) {
        match &ty.kind {
            // The part after `>::` names an associated item: not a path of
            // its own.
            TyKind::QPath(q) => self.visit_qself(q.qself),
            _ => visit::walk_ty(self, ty),
        }
    }

    fn visit_path(&mut self, p: &'a Path<'a>) {
        self.segs.clear();
        self.segs.extend(p.segments().iter().map(|s| s.ident.sym));
        let r = match self.segs.first() {
            Some(first) if !p.is_global() && self.generics.contains(first) => Res::Local,
            _ => self
                .r
                .path_from(self.module, p.is_global(), self.segs, 0, self.memo),
        };
        Resolver::count(&mut self.out, r, self.segs, self.unresolved);
        visit::walk_path(self, p);
    }

    // Not item signatures (`use` trees are resolved from the module tree).
    fn visit_attribute(&mut self, _: &'a Attribute<'a>) {}
    fn visit_vis(&mut self, _: &'a Visibility<'a>) {}
    fn visit_use_tree(&mut self, _: &'a UseTree<'a>) {}
    fn visit_mac_call(&mut self, _: &'a MacCall<'a>) {}
    fn visit_pat(&mut self, _: &'a Pat<'a>) {}
    fn visit_expr(&mut self, _: &'a Expr<'a>) {}
    fn visit_block(&mut self, _: &'a Block<'a>) {}
}

std::thread_local! {
    /// Per-worker resolution state (segment buffer, memo), reused across files.
    static RESOLVE: std::cell::RefCell<ResolveCx> = std::cell::RefCell::new(ResolveCx::default());
    /// Per-worker counts of unresolved last segments during the pass `.0`.
    static MISSING: std::cell::RefCell<(u64, FxHashMap<Symbol, u64>)> =
        std::cell::RefCell::new((0, FxHashMap::default()));
}

/// What the resolve pass found.
#[derive(Debug, Default)]
pub struct ResolveSummary {
    /// Counts over all files.
    pub out: ResolveOut,
    /// Last segments of unresolved paths with how often each was met.
    pub missing: Vec<(Symbol, u64)>,
}

/// The resolve pass: every import and signature type path of every file. `lowercase(sym)`
/// says whether a symbol's text starts with a lowercase letter (decided before the pass,
/// on the driver, for every symbol: the pass interns nothing new).
pub fn run(
    s: &mut tern_session::Session,
    resolver: &Resolver<'_>,
    asts: &[Option<crate::syntax::SourceFile<'_>>],
    sizes: &[u64],
    progress: &crate::driver::Progress,
) -> ResolveSummary {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    // Relaxed: only uniqueness matters.
    let run_id = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    progress.start("resolve", asts.len());
    let outs = s.pass_sized("resolve", sizes, |_, i| {
        let Some(file) = asts[i].as_ref() else {
            return ResolveOut::default();
        };
        let out = RESOLVE.with(|cx| {
            let cx = &mut *cx.borrow_mut();
            let out = resolver.resolve_file(i as u32, file.items, cx);
            MISSING.with(|m| {
                let (id, m) = &mut *m.borrow_mut();
                if *id != run_id {
                    *id = run_id;
                    m.clear();
                }
                for &n in &cx.unresolved {
                    *m.entry(n).or_default() += 1;
                }
            });
            out
        });
        progress.tick();
        out
    });
    let mut summary = ResolveSummary::default();
    for o in outs {
        summary.out += o;
    }
    // Per-worker flushing between passes: the workers' counts, summed.
    let mut missing: FxHashMap<Symbol, u64> = FxHashMap::default();
    for m in s.pool().broadcast(|_| {
        MISSING.with(|m| {
            let (id, m) = &mut *m.borrow_mut();
            if *id == run_id {
                std::mem::take(m)
            } else {
                FxHashMap::default()
            }
        })
    }) {
        for (k, v) in m {
            *missing.entry(k).or_default() += v;
        }
    }
    summary.missing = missing.into_iter().collect();
    summary
}
