//! Pass 3, collect: the modules of every file and the items of each module, then
//! (sequentially, in the driver) the module tree linking `mod x;` declarations
//! to files and splitting the files into crates.
//!
//! Per file (in parallel): the file's root module and its inline `mod x { .. }`
//! modules, each with a name table (types, values, macros), its flattened `use`
//! imports and its out-of-line `mod x;` declarations with the candidate file
//! paths (`x.rs`, `x/mod.rs`, or `#[path = ".."]`).
//!
//! Linking (in the driver, linear in the number of modules):
//! 1. every declaration is matched against the loaded files with the usual rule:
//!    the children of `lib.rs`, `main.rs` and `mod.rs` live beside them, the
//!    children of `foo.rs` live in `foo/`; the first declaration (in file order)
//!    to name a file claims it;
//! 2. files nobody claimed are crate roots; a root that is not `lib.rs`/`main.rs`
//!    (`tests/it.rs`, `build.rs`, `examples/x.rs`) keeps its children beside it,
//!    so its declarations are matched again with that rule against files still
//!    unclaimed;
//! 3. a declaration naming a file another one claimed first shares it (the
//!    `tests/common/mod.rs` of several integration tests): names lead there,
//!    the file keeps its first parent and crate;
//! 4. each remaining root and the modules reachable from it form one crate.

use std::path::{Component, Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::syntax::Symbol;
use crate::syntax::ast::{
    AttrArgs, ExprKind, ExternCrate, Item, ItemKind, MacroItem, ModItem, SourceFile, UseTree,
    UseTreeKind, VariantData,
};
use crate::syntax::token::LitKind;

/// Symbols of the path keywords, interned once per session.
#[derive(Debug, Clone, Copy)]
pub struct PathKw {
    /// `crate`
    pub krate: Symbol,
    /// `self`
    pub self_lower: Symbol,
    /// `Self`
    pub self_upper: Symbol,
    /// `super`
    pub super_: Symbol,
    /// `_`
    pub underscore: Symbol,
    /// `path` (the attribute)
    pub path: Symbol,
}

/// What a name in a module's table stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefKind {
    /// A module (`target` is its module id, global after linking).
    Mod,
    Struct,
    Enum,
    Union,
    Trait,
    TyAlias,
    TraitAlias,
    Fn,
    Const,
    Static,
    /// `extern crate x as y;`
    ExternCrate,
    /// `macro_rules!` or `macro`
    Macro,
}

/// The names bound by one module, per namespace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Defs {
    /// Type namespace (modules, types, traits, extern crates).
    pub ty: Option<DefKind>,
    /// Value namespace (functions, constants, statics, tuple/unit struct constructors).
    pub value: Option<DefKind>,
    /// Macro namespace.
    pub mac: bool,
    /// For a module in the type namespace: its module index (file-local before
    /// linking, global after).
    pub module: Option<u32>,
}

/// One `use` import, flattened out of its tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// Starts with `::`.
    pub global: bool,
    /// Full path, prefix included (`use a::{b::c}` gives `a b c`).
    pub path: Box<[Symbol]>,
    /// The name it binds (`None` for a glob or `as _`).
    pub binds: Option<Symbol>,
    /// `a::*`
    pub glob: bool,
    /// Byte offset (for diagnostics).
    pub lo: u32,
}

/// An out-of-line `mod x;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModDecl {
    /// File-local index of the declared (child) module.
    pub module: u32,
    /// Candidate files under the ordinary rule, in order of preference.
    pub candidates: Vec<PathBuf>,
    /// Candidates if the declaring file turns out to be a crate root whose
    /// children live beside it (only for non-`mod.rs`-style files).
    pub root_candidates: Vec<PathBuf>,
}

/// One module as collected from a file.
#[derive(Debug, Clone, Default)]
pub struct Module {
    /// Name (`None` for a file's root module until linking names it).
    pub name: Option<Symbol>,
    /// File-local parent module (global after linking).
    pub parent: Option<u32>,
    /// The file the module's text is in.
    pub file: u32,
    /// Name table.
    pub defs: FxHashMap<Symbol, Defs>,
    /// Flattened imports.
    pub imports: Vec<Import>,
    /// Items directly in this module.
    pub items: u32,
    /// For an out-of-line `mod x;`: the root module of the file it was linked to
    /// (global), if found.
    pub linked_file_root: Option<u32>,
    /// The crate (global module id of its root), after linking.
    pub krate: u32,
}

/// What collecting one file found.
#[derive(Debug, Default)]
pub struct FileModules {
    /// Module 0 is the file's root; the others are inline or declared modules.
    pub modules: Vec<Module>,
    /// Out-of-line declarations.
    pub decls: Vec<ModDecl>,
}

/// Collects the modules of one parsed file.
pub fn collect_file(
    file: u32,
    path: &Path,
    ast: &SourceFile<'_>,
    kw: &PathKw,
    text: &dyn Fn(Symbol) -> Option<String>,
) -> FileModules {
    let mut out = FileModules::default();
    out.modules.push(Module {
        file,
        ..Module::default()
    });
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mod_rs = is_mod_rs(path);
    // Where children of the root module live under the ordinary rule, and where
    // they would live if this file were a crate root.
    let child_dir = if mod_rs {
        dir.clone()
    } else {
        dir.join(path.file_stem().unwrap_or_default())
    };
    let cx = Cx {
        kw,
        file,
        file_dir: &dir,
        text,
    };
    cx.module(
        &mut out,
        0,
        ast.items,
        &child_dir,
        (!mod_rs).then_some(&dir),
        true,
    );
    out
}

/// Whether the children of `path`'s modules live beside it.
pub fn is_mod_rs(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some("lib.rs" | "main.rs" | "mod.rs")
    )
}

struct Cx<'k> {
    kw: &'k PathKw,
    file: u32,
    file_dir: &'k Path,
    text: &'k dyn Fn(Symbol) -> Option<String>,
}

impl Cx<'_> {
    /// Fills module `m` from `items`. `child_dir` is where its out-of-line children
    /// live; `root_dir`, where they would live were the file a crate root.
    fn module(
        &self,
        out: &mut FileModules,
        m: u32,
        items: &[Item<'_>],
        child_dir: &Path,
        root_dir: Option<&Path>,
        at_file_top: bool,
    ) {
        out.modules[m as usize].items = items.len() as u32;
        for item in items {
            self.item(out, m, item, child_dir, root_dir, at_file_top);
        }
    }

    fn item(
        &self,
        out: &mut FileModules,
        m: u32,
        item: &Item<'_>,
        child_dir: &Path,
        root_dir: Option<&Path>,
        at_file_top: bool,
    ) {
        let define =
            |out: &mut FileModules, name: Symbol, ty: Option<DefKind>, value: Option<DefKind>| {
                let d = out.modules[m as usize].defs.entry(name).or_default();
                if ty.is_some() && d.ty.is_none() {
                    d.ty = ty;
                }
                if value.is_some() && d.value.is_none() {
                    d.value = value;
                }
            };
        match item.kind {
            ItemKind::Use(tree) => {
                let mut prefix = Vec::new();
                self.flatten_use(out, m, tree, tree.prefix.is_global(), &mut prefix);
            }
            ItemKind::ExternCrate(&ExternCrate { name, rename }) => {
                let bound = rename.unwrap_or(name);
                if bound.sym != self.kw.underscore {
                    define(out, bound.sym, Some(DefKind::ExternCrate), None);
                }
            }
            ItemKind::Static(s) => define(out, s.ident.sym, None, Some(DefKind::Static)),
            ItemKind::Const(c) => {
                if let Some(id) = c.ident {
                    define(out, id.sym, None, Some(DefKind::Const));
                }
            }
            ItemKind::Fn(f) => define(out, f.ident.sym, None, Some(DefKind::Fn)),
            ItemKind::Mod(md) => self.submodule(out, m, item, md, child_dir, root_dir, at_file_top),
            ItemKind::ForeignMod(fm) => {
                for it in fm.items {
                    self.item(out, m, it, child_dir, root_dir, at_file_top);
                }
            }
            ItemKind::TyAlias(t) => define(out, t.ident.sym, Some(DefKind::TyAlias), None),
            ItemKind::Enum(e) => define(out, e.ident.sym, Some(DefKind::Enum), None),
            ItemKind::Struct(s) => {
                let ctor = (!matches!(s.data, VariantData::Struct(_))).then_some(DefKind::Struct);
                define(out, s.ident.sym, Some(DefKind::Struct), ctor);
            }
            ItemKind::Union(s) => define(out, s.ident.sym, Some(DefKind::Union), None),
            ItemKind::Trait(t) => define(out, t.ident.sym, Some(DefKind::Trait), None),
            ItemKind::TraitAlias(t) => define(out, t.ident.sym, Some(DefKind::TraitAlias), None),
            ItemKind::MacroRules(&MacroItem { ident, .. })
            | ItemKind::MacroDef(&MacroItem { ident, .. }) => {
                out.modules[m as usize]
                    .defs
                    .entry(ident.sym)
                    .or_default()
                    .mac = true;
            }
            ItemKind::Impl(_) | ItemKind::MacCall(_) | ItemKind::Err => {}
        }
    }

    #[expect(clippy::too_many_arguments, reason = "recursion state of the walk")]
    fn submodule(
        &self,
        out: &mut FileModules,
        m: u32,
        item: &Item<'_>,
        md: &ModItem<'_>,
        child_dir: &Path,
        root_dir: Option<&Path>,
        at_file_top: bool,
    ) {
        let name = md.ident.sym;
        let id = out.modules.len() as u32;
        out.modules.push(Module {
            name: Some(name),
            parent: Some(m),
            file: self.file,
            ..Module::default()
        });
        let d = out.modules[m as usize].defs.entry(name).or_default();
        d.ty = Some(DefKind::Mod);
        d.module = Some(id);
        let text = self.text;
        let path_attr = item.attrs.iter().find_map(|a| {
            let [seg] = a.path.segments() else {
                return None;
            };
            if seg.ident.sym != self.kw.path {
                return None;
            }
            let AttrArgs::Eq(e) = a.args else { return None };
            let ExprKind::Lit(lit) = e.kind else {
                return None;
            };
            if !matches!(lit.kind, LitKind::Str | LitKind::RawStr) {
                return None;
            }
            text(lit.sym).map(|s| unquote(&s))
        });
        let name_text = text(name).unwrap_or_default();
        if let Some(body) = md.body {
            // Inline module: its children live in `child_dir/name/`.
            let sub = child_dir.join(path_attr.as_deref().unwrap_or(&name_text));
            let sub_root = root_dir.map(|r| r.join(&name_text));
            self.module(out, id, body.items, &sub, sub_root.as_deref(), false);
        } else {
            let (candidates, root_candidates) = if let Some(p) = path_attr {
                // `#[path]` is relative to the declaring file's directory at the
                // top of a file, to the inline module's directory inside one.
                let base = if at_file_top {
                    self.file_dir
                } else {
                    child_dir
                };
                (vec![normalize(&base.join(&p))], Vec::new())
            } else {
                let rs = format!("{name_text}.rs");
                let both = |d: &Path| {
                    vec![
                        normalize(&d.join(&rs)),
                        normalize(&d.join(&name_text).join("mod.rs")),
                    ]
                };
                (both(child_dir), root_dir.map(both).unwrap_or_default())
            };
            out.decls.push(ModDecl {
                module: id,
                candidates,
                root_candidates,
            });
        }
    }

    fn flatten_use(
        &self,
        out: &mut FileModules,
        m: u32,
        tree: &UseTree<'_>,
        global: bool,
        prefix: &mut Vec<Symbol>,
    ) {
        let base = prefix.len();
        prefix.extend(tree.prefix.segments().iter().map(|s| s.ident.sym));
        match tree.kind {
            UseTreeKind::Simple(rename) => {
                // `use a::b::{self}` binds `b`; a trailing `self` is dropped.
                if prefix.len() > base.max(1) && prefix.last() == Some(&self.kw.self_lower) {
                    prefix.pop();
                }
                let binds = match rename {
                    Some(r) if r.sym == self.kw.underscore => None,
                    Some(r) => Some(r.sym),
                    None => prefix.last().copied(),
                };
                if !prefix.is_empty() {
                    out.modules[m as usize].imports.push(Import {
                        global,
                        path: prefix.as_slice().into(),
                        binds,
                        glob: false,
                        lo: tree.span.lo,
                    });
                }
            }
            UseTreeKind::Glob => out.modules[m as usize].imports.push(Import {
                global,
                path: prefix.as_slice().into(),
                binds: None,
                glob: true,
                lo: tree.span.lo,
            }),
            UseTreeKind::Nested(trees) => {
                for t in trees {
                    self.flatten_use(out, m, t, global, prefix);
                }
            }
        }
        prefix.truncate(base);
    }
}

/// Strips the quotes of a string literal's text (`"a.rs"`, `r#"a.rs"#`).
fn unquote(lit: &str) -> String {
    let s = lit.trim_start_matches('r').trim_matches('#');
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .to_owned()
}

/// Lexical normalization: drops `.` components and folds `dir/..`.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// The module tree of the whole session.
#[derive(Debug, Default)]
pub struct ModuleTree {
    /// All modules; a file's modules are contiguous, its root first.
    pub modules: Vec<Module>,
    /// Global id of each file's root module (`None` for files that did not load).
    pub file_root: Vec<Option<u32>>,
    /// Root module of each crate, in file order.
    pub crates: Vec<u32>,
    /// Out-of-line `mod x;` declarations whose file was not found.
    pub unlinked_decls: u64,
    /// Declarations linked to a file that another declaration claimed first.
    pub shared_decls: u64,
    /// The first few of them: the file each one would have been (first candidate).
    pub unlinked_sample: Vec<PathBuf>,
}

/// Links the per-file results into the module tree (see the module docs).
pub fn link(files: Vec<Option<FileModules>>, paths: &[PathBuf]) -> ModuleTree {
    let mut tree = ModuleTree {
        file_root: vec![None; files.len()],
        ..ModuleTree::default()
    };
    let by_path: FxHashMap<PathBuf, u32> = paths
        .iter()
        .enumerate()
        .filter(|(i, _)| files[*i].is_some())
        .map(|(i, p)| (normalize(p), i as u32))
        .collect();
    // Flatten, converting file-local module ids to global ones.
    let mut decls: Vec<(u32, ModDecl)> = Vec::new(); // (declaring file, decl with global ids)
    for (f, fm) in files.into_iter().enumerate() {
        let Some(fm) = fm else { continue };
        let base = tree.modules.len() as u32;
        tree.file_root[f] = Some(base);
        for mut m in fm.modules {
            m.parent = m.parent.map(|p| p + base);
            for d in m.defs.values_mut() {
                d.module = d.module.map(|x| x + base);
            }
            tree.modules.push(m);
        }
        decls.extend(fm.decls.into_iter().map(|mut d| {
            d.module += base;
            (f as u32, d)
        }));
    }
    // Parent of each file's root, once claimed: (declaring stub module).
    let mut claimed_by: Vec<Option<u32>> = vec![None; paths.len()];
    let mut linked = vec![false; decls.len()];
    let try_link =
        |cands: &[PathBuf], declaring: u32, claimed_by: &mut Vec<Option<u32>>, stub: u32| -> bool {
            for c in cands {
                if let Some(&child) = by_path.get(c)
                    && child != declaring
                    && claimed_by[child as usize].is_none()
                {
                    claimed_by[child as usize] = Some(stub);
                    return true;
                }
            }
            false
        };
    // 1. Ordinary rule.
    for (k, (f, d)) in decls.iter().enumerate() {
        linked[k] = try_link(&d.candidates, *f, &mut claimed_by, d.module);
    }
    // 2. Roots that keep their children beside them.
    for (k, (f, d)) in decls.iter().enumerate() {
        if !linked[k] && claimed_by[*f as usize].is_none() && !d.root_candidates.is_empty() {
            linked[k] = try_link(&d.root_candidates, *f, &mut claimed_by, d.module);
        }
    }
    // 3. A file already claimed by another crate's declaration (`tests/common/mod.rs`
    //    used by several integration tests) is shared: the declaration's name
    //    leads to it, its parent and crate stay those of its first claimer.
    let mut shared: Vec<(u32, u32)> = Vec::new(); // (stub, child file)
    for (k, (f, d)) in decls.iter().enumerate() {
        if linked[k] {
            continue;
        }
        let root_rule = claimed_by[*f as usize].is_none();
        let found = d
            .candidates
            .iter()
            .chain(d.root_candidates.iter().filter(|_| root_rule))
            .find_map(|c| by_path.get(c).copied().filter(|&child| child != *f));
        if let Some(child) = found {
            shared.push((d.module, child));
            linked[k] = true;
        }
    }
    tree.shared_decls = shared.len() as u64;
    for (stub, child) in shared {
        let Some(root) = tree.file_root[child as usize] else {
            continue;
        };
        let s = &mut tree.modules[stub as usize];
        s.linked_file_root = Some(root);
        if let (Some(name), Some(parent)) = (s.name, s.parent)
            && let Some(d) = tree.modules[parent as usize].defs.get_mut(&name)
        {
            d.module = Some(root);
        }
    }
    tree.unlinked_decls = linked.iter().filter(|l| !**l).count() as u64;
    tree.unlinked_sample = decls
        .iter()
        .zip(&linked)
        .filter(|(_, l)| !**l)
        .filter_map(|((_, d), _)| d.candidates.first().cloned())
        .take(10)
        .collect();
    // Point each stub's entry in its parent at the child file's root.
    for (f, stub) in claimed_by.iter().enumerate() {
        let (Some(stub), Some(root)) = (*stub, tree.file_root[f]) else {
            continue;
        };
        let (name, parent) = {
            let s = &tree.modules[stub as usize];
            (s.name, s.parent)
        };
        tree.modules[stub as usize].linked_file_root = Some(root);
        let r = &mut tree.modules[root as usize];
        r.name = name;
        r.parent = parent;
        if let (Some(name), Some(parent)) = (name, parent)
            && let Some(d) = tree.modules[parent as usize].defs.get_mut(&name)
        {
            d.module = Some(root);
        }
    }
    // 3. Crates: each unclaimed root and everything below it.
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); tree.modules.len()];
    for (id, m) in tree.modules.iter().enumerate() {
        if let Some(p) = m.parent {
            children[p as usize].push(id as u32);
        }
    }
    // A file root's parent is the stub's parent; the stub itself is empty.
    let mut seen = vec![false; tree.modules.len()];
    for (claimer, root) in claimed_by.iter().zip(&tree.file_root) {
        let (None, Some(root)) = (claimer, *root) else {
            continue;
        };
        tree.crates.push(root);
        let mut stack = vec![root];
        while let Some(m) = stack.pop() {
            if std::mem::replace(&mut seen[m as usize], true) {
                continue;
            }
            tree.modules[m as usize].krate = root;
            stack.extend(children[m as usize].iter().copied());
        }
    }
    // Modules only reachable through a cycle of `#[path]` claims: their own crate.
    for (m, module) in tree.modules.iter_mut().enumerate() {
        if !seen[m] {
            module.krate = m as u32;
        }
    }
    tree
}

/// The collect pass: each file's modules in parallel, largest first, then the link step on
/// the driver (drawn on the driver's row of `--timings`).
pub fn run(
    s: &mut tern_session::Session,
    paths: &[PathBuf],
    asts: &[Option<SourceFile<'_>>],
    sizes: &[u64],
    kw: &PathKw,
    progress: &crate::driver::Progress,
) -> (ModuleTree, std::ops::Range<u64>) {
    progress.start("collect", asts.len());
    let collected: Vec<Option<FileModules>> = s.pass_sized("collect", sizes, |cx, i| {
        let file = asts[i].as_ref()?;
        let text = |sym: Symbol| cx.try_resolve(sym).map(str::to_owned);
        let r = collect_file(i as u32, &paths[i], file, kw, &text);
        progress.tick();
        Some(r)
    });
    let link_start = s.now_us();
    let tree = link(collected, paths);
    (tree, link_start..s.now_us())
}
