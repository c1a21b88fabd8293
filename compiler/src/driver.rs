//! The pipeline: the passes in order on one [`Session`], and the report.
//!
//! Each pass is one `session.pass_sized` call in its own module (see [`crate::passes`]);
//! the session runs the checkpoint after it. The ASTs live in the session arenas and the
//! type nodes in a value interner, both kept here (built by the session on its pool and
//! collector), so they outlive the passes that take the session by `&mut`.

use std::time::Instant;

use indicatif::ProgressBar;
use tern_intern::{Guarded, ValueInterner, kw};
use tern_session::{PassReport, Session};

use crate::corpus::InputFile;
use crate::passes::collect::PathKw;
use crate::passes::resolve::{self, Resolver};
use crate::passes::types::TyNode;
use crate::passes::{self, Schedule};
use crate::report::{ArenaMem, CheckpointRecord, Diagnostic, FileReport, PassTime, Report};
use crate::syntax::Symbol;
use crate::timings::{DRIVER_TASK, Mark, Span, Timeline};

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
    /// Free outgrown interner tables only at the checkpoints, not during the passes
    /// (workers then pass no quiescent state between files): for comparison.
    pub defer_reclaim: bool,
}

/// The progress bar, if any: restarted by each pass, one tick per file.
#[derive(Debug, Default)]
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A progress bar to drive, or none.
    pub fn new(bar: Option<ProgressBar>) -> Self {
        Progress(bar)
    }

    /// Starts pass `name` over `n` files.
    pub fn start(&self, name: &str, n: usize) {
        if let Some(p) = &self.0 {
            p.set_position(0);
            p.set_length(n as u64);
            p.set_message(name.to_owned());
        }
    }

    /// One file done.
    pub fn tick(&self) {
        if let Some(p) = &self.0 {
            p.inc(1);
        }
    }
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
    let mut s = Session::builder()
        .threads(opts.threads)
        .schedule(opts.schedule)
        .record_spans(true)
        .reclaim_in_pass(!opts.defer_reclaim)
        .thread_name(|i| format!("ternc-worker-{i}"))
        .build()?;
    let ast = s.arenas();
    let mut types: Guarded<ValueInterner<TyNode>> = s.values();
    let progress = Progress(opts.progress.clone());
    let mut rec = Recorder {
        report: Report {
            threads: s.threads(),
            schedule: match opts.schedule {
                Schedule::Chunks => "chunks",
                Schedule::Rayon => "rayon",
                _ => "lpt",
            },
            early_reclaim: !opts.defer_reclaim,
            ..Report::default()
        },
        timeline: Timeline::new(),
        resizes_seen: 0,
    };
    let paths: Vec<_> = files.iter().map(|f| f.path.clone()).collect();

    // 1. load
    let loaded = passes::load::run(&mut s, files, &progress);
    let sizes = loaded.sizes();
    let bytes: u64 = sizes.iter().sum();
    let mut diagnostics: Vec<Diagnostic> = loaded.diagnostics;
    let texts = loaded.texts;
    rec.pass(&mut s, &mut types, "load", bytes);

    // 2. lex + parse into the session arenas.
    let parsed = passes::parse::run(&mut s, &ast, &texts, &sizes, &progress);
    diagnostics.extend(parsed.diagnostics);
    let asts = parsed.asts;
    rec.report.idents_distinct = parsed.idents_distinct;
    rec.pass(&mut s, &mut types, "parse", bytes);

    // 3. collect modules and items, then link the module tree.
    let kw = PathKw {
        krate: kw::Crate,
        self_lower: kw::SelfLower,
        self_upper: kw::SelfUpper,
        super_: kw::Super,
        underscore: kw::Underscore,
        path: s.interner().intern("path"),
    };
    let (tree, link) = passes::collect::run(&mut s, &paths, &asts, &sizes, &kw, &progress);
    let pass = rec.timeline.pass_index("collect");
    // The sequential link step, drawn on the driver's row of `--timings`.
    rec.timeline.absorb(&mut vec![Span {
        worker: s.threads() as u16,
        pass,
        file: DRIVER_TASK,
        start_us: link.start,
        end_us: link.end,
    }]);
    let report = &mut rec.report;
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
    rec.pass(&mut s, &mut types, "collect", bytes);

    // 4. types of item signatures, hash-consed.
    let lowered = passes::types::run(&mut s, &types, &asts, &texts, &sizes, &progress);
    rec.report.types_written = lowered.written;
    rec.report.types_distinct_top = lowered.distinct_top;
    rec.report.types_interned = types.len() as u64;
    rec.pass(&mut s, &mut types, "types", bytes);

    // 5. resolve imports and signature type paths.
    let prelude: rustc_hash::FxHashSet<Symbol> = resolve::PRELUDE
        .iter()
        .map(|p| s.interner().intern(p))
        .collect();
    let lower = lowercase_symbols(&s);
    let lowercase = |sym: Symbol| {
        let k = sym.as_u32() as usize;
        lower.get(k / 64).is_some_and(|w| w & (1 << (k % 64)) != 0)
    };
    let resolver = Resolver {
        tree: &tree,
        kw,
        prelude,
        lowercase: &lowercase,
    };
    let resolved = resolve::run(&mut s, &resolver, &asts, &sizes, &progress);
    // By count, then by text: symbol ids depend on the schedule, texts do not.
    let mut missing: Vec<(u64, &str)> = resolved
        .missing
        .iter()
        .map(|&(sym, n)| (n, s.interner().try_resolve(sym).unwrap_or("?")))
        .collect();
    missing.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let report = &mut rec.report;
    report.unresolved_top = missing
        .iter()
        .take(20)
        .map(|&(n, name)| (name.to_owned(), n))
        .collect();
    report.resolved = resolved.out.resolved;
    report.external = resolved.out.external;
    report.unresolved = resolved.out.unresolved;
    rec.pass(&mut s, &mut types, "resolve", bytes);

    // 6. report
    let t = s.now_us();
    let report = &mut rec.report;
    for (i, f) in files.iter().enumerate() {
        let a = asts[i].as_ref();
        report.tokens += a.map_or(0, |a| u64::from(a.stats.tokens));
        report.idents += a.map_or(0, |a| u64::from(a.stats.idents));
        let items = a.map_or(0, |a| a.items.len() as u64);
        report.items += items;
        report.per_file.push(FileReport {
            path: f.path.clone(),
            bytes: sizes[i],
            tokens: a.map_or(0, |a| u64::from(a.stats.tokens)),
            items,
            errors: 0,
        });
    }
    report.symbols = s.interner().len() as u64;
    diagnostics.sort_by_key(|d| (d.file, d.line, d.col));
    for d in &diagnostics {
        report.per_file[d.file.0 as usize].errors += 1;
    }
    report.diagnostics = diagnostics;
    report.ast_arenas = arena_mem(&ast.stats());
    report.interner_arenas = arena_mem(&s.interner().arenas().stats());
    let types = types.get_mut();
    report.types_arenas = arena_mem(&types.arenas().stats());
    let st = s.interner().stats();
    report.interner_table_bytes = (st.table_bytes + st.id_table_bytes) as u64;
    report.types_table_bytes = types.stats().table_bytes as u64;
    let end_us = s.now_us();
    report.passes.push(PassTime {
        name: "report",
        wall_us: end_us - t,
        bytes,
        busy_us: Vec::new(),
        cpu_us: None,
    });
    report.total_us = started.elapsed().as_micros() as u64;
    if let Some(p) = &opts.progress {
        p.finish_and_clear();
    }
    drop(asts);
    Ok(Outcome {
        report: rec.report,
        timeline: rec.timeline,
    })
}

/// Turns each pass's [`PassReport`] into the report's pass time, checkpoint record and
/// timeline rows.
struct Recorder {
    report: Report,
    timeline: Timeline,
    /// Table growths of both interners counted by earlier passes.
    resizes_seen: u64,
}

impl Recorder {
    fn pass(
        &mut self,
        s: &mut Session,
        types: &mut Guarded<ValueInterner<TyNode>>,
        name: &'static str,
        bytes: u64,
    ) {
        let r: &PassReport = s.reports().last().expect("the pass just ran");
        let pass = self.timeline.pass_index(name);
        let start_us = r.started.as_micros() as u64;
        let end_us = start_us + r.wall.as_micros() as u64;
        self.timeline.pass_walls.push((pass, start_us, end_us));
        let mut spans: Vec<Span> = r
            .spans
            .iter()
            .map(|sp| Span {
                worker: sp.worker as u16,
                pass,
                file: sp.item,
                start_us: sp.start_us,
                end_us: sp.end_us,
            })
            .collect();
        self.timeline.absorb(&mut spans);
        for (w, wr) in r.workers.iter().enumerate() {
            if let Some(cpu) = wr.cpu {
                self.timeline.add_cpu(pass, w, cpu.as_nanos() as u64);
            }
        }
        self.report.passes.push(PassTime {
            name,
            wall_us: r.wall.as_micros() as u64,
            bytes,
            busy_us: r
                .workers
                .iter()
                .map(|w| w.busy.as_micros() as u64)
                .collect(),
            cpu_us: r.cpu().map(|c| c.as_micros() as u64),
        });
        // Every growth retires one table, and the checkpoint leaves none unfreed.
        let resizes = s.interner().stats().resizes + types.get_mut().stats().resizes;
        let tables_freed = resizes - self.resizes_seen;
        self.resizes_seen = resizes;
        let at_us = end_us;
        let record = CheckpointRecord {
            after: name,
            reclaimed_bytes: r.reclaimed_at_checkpoint_bytes,
            reclaimed_in_pass_bytes: r.reclaimed_in_pass_bytes,
            tables_freed,
            scratch_bytes: r.scratch_bytes,
            at_us,
            wall_us: r.checkpoint.as_micros() as u64,
        };
        self.timeline.marks.push(Mark {
            label: format!(
                "after {name}: {} reclaimed{}, {} scratch reset",
                crate::report::human_bytes(record.reclaimed_bytes),
                if record.reclaimed_in_pass_bytes > 0 {
                    format!(
                        " (+{} during the pass)",
                        crate::report::human_bytes(record.reclaimed_in_pass_bytes)
                    )
                } else {
                    String::new()
                },
                crate::report::human_bytes(record.scratch_bytes)
            ),
            at_us,
        });
        self.report.checkpoints.push(record);
    }
}

/// For each symbol id, whether its text starts with a lowercase letter (a bitmap): the
/// resolver's "looks like a crate name" test, decided once on the driver before the pass
/// that asks it (it interns nothing new). Ids are checked in parallel chunks.
fn lowercase_symbols(s: &Session) -> Vec<u64> {
    use rayon::prelude::*;
    let strings = s.interner();
    let words = (strings.len() + 1).div_ceil(64) + 1;
    s.pool().install(|| {
        (0..words)
            .into_par_iter()
            .map(|w| {
                let mut bits = 0u64;
                for b in 0..64 {
                    let id = (w * 64 + b) as u32;
                    if let Some(text) = Symbol::from_u32(id).and_then(|y| strings.try_resolve(y))
                        && text.starts_with(char::is_lowercase)
                    {
                        bits |= 1 << b;
                    }
                }
                bits
            })
            .collect()
    })
}

fn arena_mem(stats: &[tern_arena::WorkerStats]) -> Vec<ArenaMem> {
    stats
        .iter()
        .map(|s| ArenaMem {
            label: s.label.clone(),
            used: s.used as u64,
            capacity: s.capacity as u64,
        })
        .collect()
}
