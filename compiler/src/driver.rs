//! The pipeline: run the passes in order, a checkpoint after each, and gather the
//! report.
//!
//! The session is taken apart into its fields once, at the top: the ASTs borrow
//! the session arenas (shared) for the whole run, while each checkpoint takes the
//! interners and the scratch arenas by `&mut`, which the borrow checker allows
//! only once every task of the pass (and every reference into scratch memory)
//! is gone.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::ProgressBar;

use crate::corpus::InputFile;
use crate::passes::collect::{self, FileModules, PathKw};
use crate::passes::resolve::{self, ResolveCx, ResolveOut, Resolver};
use crate::passes::types::{self, TyId};
use crate::passes::{self, Schedule, load::Loaded};
use crate::report::{ArenaMem, Diagnostic, FileReport, PassTime, Report};
use crate::session::{self, Session, Tables, WorkerStats};
use crate::syntax::{self, FileId, SourceFile, Symbol, Token, TokenKind};
use crate::timings::{DRIVER_TASK, Span, Timeline};

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// Counts, timings, diagnostics.
    pub report: Report,
    /// Task spans and checkpoints for `--timings`.
    pub timeline: Timeline,
}

/// Options of a run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// How passes spread files over workers.
    pub schedule: Schedule,
    /// Progress bar to advance (one tick per file per pass), if any.
    pub progress: Option<ProgressBar>,
    /// Free the string interner's outgrown tables during passes, as soon as every
    /// worker task has passed a quiescent state, instead of only at checkpoints.
    pub early_reclaim: bool,
}

std::thread_local! {
    /// Per-worker buffers reused across files: the token vector of the parser and
    /// the identifier list being deduplicated.
    static BUFFERS: RefCell<(Vec<Token>, Vec<Symbol>)> = const { RefCell::new((Vec::new(), Vec::new())) };
    /// Per-worker bitmap of the identifier symbols this worker already reported during the
    /// current run (keyed by the run's id, so a later `compile` on the same thread starts
    /// clean): a file reports only identifiers its worker has not seen, which replaces a
    /// per-file sort + dedup with one bit test per identifier token.
    static SEEN_IDENTS: RefCell<(u64, Vec<u64>)> = const { RefCell::new((0, Vec::new())) };
    /// Per-worker resolution state (segment buffer, memo), reused across files.
    static RESOLVE: RefCell<ResolveCx> = RefCell::new(ResolveCx::default());
}

/// A process-unique id for one `compile` call (never 0, the thread-locals' initial key).
fn next_run_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    // Relaxed: only uniqueness matters; no other memory is published through the id.
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Compiles `files`.
///
/// # Errors
/// Only when the thread pool cannot be started; problems in files are diagnostics.
pub fn compile(
    files: &[InputFile],
    opts: &Options,
) -> Result<Outcome, rayon::ThreadPoolBuildError> {
    let started = Instant::now();
    let mut sess = Session::new(opts.threads, opts.schedule)?;
    let mut report = Report {
        threads: sess.exec.threads(),
        schedule: match opts.schedule {
            Schedule::Lpt => "lpt",
            Schedule::Chunks => "chunks",
            Schedule::RayonMaxLen1 => "rayon",
        },
        early_reclaim: opts.early_reclaim,
        ..Report::default()
    };
    let Session {
        exec,
        interner,
        types,
        ast,
        scratch,
        checkpoints,
    } = &mut sess;
    let ast = &*ast;
    let progress = opts.progress.as_ref();
    let tick = || {
        if let Some(p) = progress {
            p.inc(1);
        }
    };
    let start_pass = |name: &str| {
        if let Some(p) = progress {
            p.set_position(0);
            p.set_length(files.len() as u64);
            p.set_message(name.to_owned());
        }
    };
    macro_rules! end_pass {
        ($name:expr, $start:expr, $bytes:expr) => {{
            let end_us = exec.timeline.now_us();
            let idx = exec.timeline.pass_index($name);
            exec.timeline.pass_walls.push((idx, $start, end_us));
            report.passes.push(PassTime {
                name: $name,
                wall_us: end_us - $start,
                bytes: $bytes,
                busy_us: Vec::new(),
                cpu_us: exec.timeline.cpu_ns(idx).map(|ns| ns / 1000),
            });
            session::checkpoint(exec, interner, types, scratch, checkpoints, $name);
        }};
    }
    let sizes: Vec<u64> = files.iter().map(|f| f.len).collect();

    // Symbols the later passes compare against (keywords are pre-interned).
    let kw = PathKw {
        krate: tern_intern::kw::Crate,
        self_lower: tern_intern::kw::SelfLower,
        self_upper: tern_intern::kw::SelfUpper,
        super_: tern_intern::kw::Super,
        underscore: tern_intern::kw::Underscore,
        path: interner.intern("path"),
    };
    let prelude: rustc_hash::FxHashSet<Symbol> = resolve::PRELUDE
        .iter()
        .map(|s| interner.intern(s))
        .collect();
    if opts.early_reclaim {
        // SAFETY: the contract of `assume_registered_readers`: from here on every call
        // of a `&self` method of `interner` is made
        // 1. by a pass task, which holds an online participant of `interner.collector()`
        //    for its whole life and passes quiescent states only between files, never
        //    inside a call (`passes::run_pass`; the pass bodies call the interner only
        //    through `Tables`, inside the task);
        // 2. by the driver between passes, under a participant it registers for those
        //    calls (`register_named("driver")` below), or
        // 3. through `&mut Interner` at a checkpoint (`session::checkpoint`), when no
        //    other thread can reach the interner.
        unsafe { interner.assume_registered_readers() };
    }

    // 1. load
    start_pass("load");
    let pass = exec.timeline.pass_index("load");
    let t = exec.timeline.now_us();
    let loaded = passes::run_pass(exec, interner.collector(), pass, &sizes, |_, i| {
        let r = passes::load::load_one(i as u32, &files[i]);
        tick();
        r
    });
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut texts: Vec<Option<String>> = Vec::with_capacity(files.len());
    for l in loaded {
        match l {
            Loaded::Text(t) => texts.push(Some(t)),
            Loaded::Rejected(d) => {
                diagnostics.push(d);
                texts.push(None);
            }
        }
    }
    let text_sizes: Vec<u64> = texts
        .iter()
        .map(|t| t.as_ref().map_or(0, |t| t.len() as u64))
        .collect();
    let bytes: u64 = text_sizes.iter().sum();
    end_pass!("load", t, bytes);

    // 2. lex + parse into the workers' session arenas. Each file's distinct
    // identifier symbols go to scratch memory, folded below before the checkpoint.
    start_pass("parse");
    let run_id = next_run_id();
    let pass = exec.timeline.pass_index("parse");
    let t = exec.timeline.now_us();
    let parsed = {
        let tables = Tables {
            strings: interner,
            types,
        };
        let scratch = &*scratch;
        passes::run_pass(exec, interner.collector(), pass, &text_sizes, |_, i| {
            let src = texts[i].as_deref()?;
            let r = BUFFERS.with(|b| {
                let (tokens, idents) = &mut *b.borrow_mut();
                let mut diags = Vec::new();
                let file = syntax::parse_with_buffer(
                    src,
                    FileId(i as u32),
                    ast.local(),
                    &tables,
                    tokens,
                    &mut diags,
                );
                idents.clear();
                SEEN_IDENTS.with(|seen| {
                    let (seen_run, seen) = &mut *seen.borrow_mut();
                    if *seen_run != run_id {
                        *seen_run = run_id;
                        seen.clear();
                    }
                    for t in tokens.iter() {
                        let Some(sym) = t.sym else { continue };
                        let is_ident_kind = match t.kind {
                            TokenKind::RawIdent | TokenKind::Underscore | TokenKind::Ident => true,
                            k => k.is_keyword(),
                        };
                        if !is_ident_kind {
                            continue;
                        }
                        let k = sym.as_u32() as usize;
                        if seen.len() <= k / 64 {
                            seen.resize(k / 64 + 1, 0);
                        }
                        if seen[k / 64] & (1 << (k % 64)) != 0 {
                            continue;
                        }
                        // The parser also gives identifier kinds to rustc_lexer's
                        // `InvalidIdent` (emoji): not identifiers by its definition. Validity
                        // is a property of the text, hence of the symbol, so it is checked
                        // once per worker and symbol (an invalid one is re-checked, rarely).
                        if t.kind == TokenKind::Ident
                            && !src
                                .get(t.lo as usize..t.hi as usize)
                                .is_some_and(|s| s.is_ascii() || ra_ap_rustc_lexer::is_ident(s))
                        {
                            continue;
                        }
                        seen[k / 64] |= 1 << (k % 64);
                        idents.push(sym);
                    }
                });
                (file, diags, scratch.alloc_slice_copy(idents))
            });
            tick();
            Some(r)
        })
    };
    let mut asts: Vec<Option<SourceFile<'_>>> = Vec::with_capacity(files.len());
    // Symbol ids are dense but may have holes (ids kept after lost insert races),
    // so the bitmap is sized by the largest id seen, not by the symbol count.
    let max_id = parsed
        .iter()
        .flatten()
        .filter_map(|(_, _, idents)| idents.iter().max())
        .map(|s| s.as_u32() as usize)
        .max()
        .unwrap_or(0);
    let mut seen_ident = vec![0u64; max_id / 64 + 1];
    for p in parsed {
        let Some((file, diags, idents)) = p else {
            asts.push(None);
            continue;
        };
        diagnostics.extend(diags);
        for s in idents {
            let k = s.as_u32() as usize;
            seen_ident[k / 64] |= 1 << (k % 64);
        }
        asts.push(Some(file));
    }
    report.idents_distinct = seen_ident.iter().map(|w| u64::from(w.count_ones())).sum();
    end_pass!("parse", t, bytes);

    // 3. collect modules and items, then link the module tree.
    start_pass("collect");
    let pass = exec.timeline.pass_index("collect");
    let t = exec.timeline.now_us();
    let collected: Vec<Option<FileModules>> = {
        let tables = Tables {
            strings: interner,
            types,
        };
        let text = |s: Symbol| tables.text(s).map(str::to_owned);
        passes::run_pass(exec, interner.collector(), pass, &text_sizes, |_, i| {
            let file = asts[i].as_ref()?;
            let r = collect::collect_file(i as u32, &files[i].path, file, &kw, &text);
            tick();
            Some(r)
        })
    };
    let paths: Vec<_> = files.iter().map(|f| f.path.clone()).collect();
    let link_start = exec.timeline.now_us();
    let tree = collect::link(collected, &paths);
    // The sequential link step, drawn on the driver's row of `--timings`.
    exec.timeline.absorb(&mut vec![Span {
        worker: exec.threads() as u16,
        pass,
        file: DRIVER_TASK,
        start_us: link_start,
        end_us: exec.timeline.now_us(),
    }]);
    // A `mod x;` linked to its file is one module, counted as the file's root.
    report.modules = tree
        .modules
        .iter()
        .filter(|m| m.linked_file_root.is_none())
        .count() as u64;
    report.crates = tree.crates.len() as u64;
    report.items_all = tree.modules.iter().map(|m| u64::from(m.items)).sum();
    report.unlinked_mods = tree.unlinked_decls;
    report.unlinked_sample.clone_from(&tree.unlinked_sample);
    report.shared_mods = tree.shared_decls;
    end_pass!("collect", t, bytes);

    // 4. types of item signatures, hash-consed.
    start_pass("types");
    let pass = exec.timeline.pass_index("types");
    let t = exec.timeline.now_us();
    let lowered = {
        let tables = Tables {
            strings: interner,
            types,
        };
        let scratch = &*scratch;
        passes::run_pass(exec, interner.collector(), pass, &text_sizes, |_, i| {
            let (Some(file), Some(src)) = (asts[i].as_ref(), texts[i].as_deref()) else {
                return None;
            };
            let mut seen: Vec<TyId> = Vec::new();
            let out = types::lower_file(file.items, src, &tables, &mut seen);
            seen.sort_unstable();
            seen.dedup();
            tick();
            Some((out, scratch.alloc_slice_copy(&seen)))
        })
    };
    let mut top_types = rustc_hash::FxHashSet::default();
    for (out, seen) in lowered.iter().flatten() {
        report.types_written += out.written;
        top_types.extend(seen.iter().copied());
    }
    report.types_distinct_top = top_types.len() as u64;
    drop(lowered);
    report.types_interned = types.len() as u64;
    end_pass!("types", t, bytes);

    // 5. resolve imports and signature type paths.
    start_pass("resolve");
    let pass = exec.timeline.pass_index("resolve");
    let t = exec.timeline.now_us();
    let resolved = {
        let tables = Tables {
            strings: interner,
            types,
        };
        let lowercase = |s: Symbol| {
            tables
                .text(s)
                .is_some_and(|t| t.starts_with(|c: char| c.is_lowercase()))
        };
        let resolver = Resolver {
            tree: &tree,
            kw,
            prelude,
            lowercase: &lowercase,
        };
        let scratch = &*scratch;
        passes::run_pass(exec, interner.collector(), pass, &text_sizes, |_, i| {
            let file = asts[i].as_ref()?;
            let r = RESOLVE.with(|cx| {
                let cx = &mut *cx.borrow_mut();
                let out = resolver.resolve_file(i as u32, file.items, cx);
                (out, scratch.alloc_slice_copy(&cx.unresolved))
            });
            tick();
            Some(r)
        })
    };
    let mut total = ResolveOut::default();
    let mut missing: rustc_hash::FxHashMap<Symbol, u64> = rustc_hash::FxHashMap::default();
    for (out, names) in resolved.iter().flatten() {
        total += *out;
        for &n in *names {
            *missing.entry(n).or_default() += 1;
        }
    }
    drop(resolved);
    let missing: Vec<(Symbol, u64)> = missing.into_iter().collect();
    {
        // Driver-side interner calls hold a participant (see `assume_registered_readers`).
        let _reader = interner.collector().register_named("driver");
        let tables = Tables {
            strings: interner,
            types,
        };
        // By count, then by text: symbol ids depend on the schedule, texts do not.
        let mut missing: Vec<(u64, &str)> = missing
            .iter()
            .map(|&(s, n)| (n, tables.text(s).unwrap_or("?")))
            .collect();
        missing.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        report.unresolved_top = missing
            .iter()
            .take(20)
            .map(|&(n, s)| (s.to_owned(), n))
            .collect();
    }
    report.resolved = total.resolved;
    report.external = total.external;
    report.unresolved = total.unresolved;
    end_pass!("resolve", t, bytes);

    // 6. report
    let t = exec.timeline.now_us();
    for (i, f) in files.iter().enumerate() {
        let a = asts[i].as_ref();
        report.tokens += a.map_or(0, |a| u64::from(a.stats.tokens));
        report.idents += a.map_or(0, |a| u64::from(a.stats.idents));
        let items = a.map_or(0, |a| a.items.len() as u64);
        report.items += items;
        report.per_file.push(FileReport {
            path: f.path.clone(),
            bytes: text_sizes[i],
            tokens: a.map_or(0, |a| u64::from(a.stats.tokens)),
            items,
            errors: 0,
        });
    }
    let reader = interner.collector().register_named("driver");
    report.symbols = interner.len() as u64;
    diagnostics.sort_by_key(|d| (d.file, d.line, d.col));
    for d in &diagnostics {
        report.per_file[d.file.0 as usize].errors += 1;
    }
    report.diagnostics = diagnostics;
    report.ast_arenas = session::bump_mem(exec.pool(), ast);
    report.interner_arenas = arena_mem(&interner.arenas().stats());
    report.types_arenas = arena_mem(&types.arenas().stats());
    let st = interner.stats();
    drop(reader);
    report.interner_table_bytes = (st.table_bytes + st.id_table_bytes) as u64;
    let vt = types.stats();
    report.types_table_bytes = vt.table_bytes as u64;
    let end_us = exec.timeline.now_us();
    report.passes.push(PassTime {
        name: "report",
        wall_us: end_us - t,
        bytes,
        busy_us: Vec::new(),
        cpu_us: None,
    });
    // Per-worker busy time of each parallel pass, from the recorded spans.
    for s in exec.timeline.spans() {
        let name = exec.timeline.passes[usize::from(s.pass)];
        if let Some(p) = report.passes.iter_mut().find(|p| p.name == name) {
            if p.busy_us.is_empty() {
                p.busy_us = vec![0; report.threads];
            }
            if let Some(b) = p.busy_us.get_mut(usize::from(s.worker)) {
                *b += s.end_us - s.start_us;
            }
        }
    }
    report.checkpoints = std::mem::take(checkpoints);
    report.total_us = started.elapsed().as_micros() as u64;
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    let timeline = std::mem::take(&mut exec.timeline);
    drop(asts);
    Ok(Outcome { report, timeline })
}

fn arena_mem(stats: &[WorkerStats]) -> Vec<ArenaMem> {
    stats
        .iter()
        .map(|s| ArenaMem {
            label: s.label.clone(),
            used: s.used as u64,
            capacity: s.capacity as u64,
        })
        .collect()
}
