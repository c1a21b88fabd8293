//! The pipeline: run the passes in order, a checkpoint after each, and gather the
//! report.

use std::time::Instant;

use indicatif::ProgressBar;
use rustc_hash::FxHashSet;

use crate::corpus::InputFile;
use crate::passes::{self, Schedule, lex::LexOut, load::Loaded};
use crate::report::{ArenaMem, Diagnostic, FileReport, PassTime, Report};
use crate::session::{self, Session, WorkerStats};
use crate::timings::Timeline;

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
        ..Report::default()
    };
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
    let sizes: Vec<u64> = files.iter().map(|f| f.len).collect();

    // 1. load
    start_pass("load");
    let pass = sess.exec.timeline.pass_index("load");
    let t = sess.exec.timeline.now_us();
    let loaded = passes::run_pass(
        &sess.exec,
        sess.interner.collector(),
        pass,
        &sizes,
        |_, i| {
            let r = passes::load::load_one(i as u32, &files[i]);
            tick();
            r
        },
    );
    let mut diagnostics = Vec::new();
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
    let bytes: u64 = texts.iter().flatten().map(|t| t.len() as u64).sum();
    end_pass(&mut sess, &mut report, "load", t, bytes);

    // 2. lex (+ parse, once the parser lands)
    let text_sizes: Vec<u64> = texts
        .iter()
        .map(|t| t.as_ref().map_or(0, |t| t.len() as u64))
        .collect();
    start_pass("parse");
    let pass = sess.exec.timeline.pass_index("parse");
    let t = sess.exec.timeline.now_us();
    let lexed: Vec<Option<LexOut>> = passes::run_pass(
        &sess.exec,
        sess.interner.collector(),
        pass,
        &text_sizes,
        |_, i| {
            let r = texts[i]
                .as_deref()
                .map(|t| passes::lex::lex(t, &sess.interner));
            tick();
            r
        },
    );
    end_pass(&mut sess, &mut report, "parse", t, bytes);

    let mut ident_syms = FxHashSet::default();
    for (i, f) in files.iter().enumerate() {
        let lx = lexed[i].as_ref();
        report.tokens += lx.map_or(0, |l| l.tokens);
        report.idents += lx.map_or(0, |l| l.idents);
        if let Some(l) = lx {
            ident_syms.extend(l.ident_syms.iter().copied());
        }
        report.per_file.push(FileReport {
            path: f.path.clone(),
            bytes: text_sizes[i],
            tokens: lx.map_or(0, |l| l.tokens),
            items: 0,
            errors: 0,
        });
    }
    report.idents_distinct = ident_syms.len() as u64;
    report.symbols = sess.interner.len() as u64;

    // 6. report
    diagnostics.sort_by_key(|d: &Diagnostic| (d.file, d.line, d.col));
    for d in &diagnostics {
        report.per_file[d.file as usize].errors += 1;
    }
    report.diagnostics = diagnostics;
    report.ast_arenas = arena_mem(&sess.ast.stats());
    report.checkpoints = std::mem::take(&mut sess.checkpoints);
    report.total_us = started.elapsed().as_micros() as u64;
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    Ok(Outcome {
        report,
        timeline: std::mem::take(&mut sess.exec.timeline),
    })
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

/// Records the pass's wall time and runs the checkpoint after it.
fn end_pass(
    sess: &mut Session,
    report: &mut Report,
    name: &'static str,
    start_us: u64,
    bytes: u64,
) {
    let end_us = sess.exec.timeline.now_us();
    let idx = sess.exec.timeline.pass_index(name);
    sess.exec.timeline.pass_walls.push((idx, start_us, end_us));
    report.passes.push(PassTime {
        name,
        wall_us: end_us - start_us,
        bytes,
    });
    session::checkpoint(
        &mut sess.exec,
        &mut sess.interner,
        &mut sess.scratch,
        &mut sess.checkpoints,
        name,
    );
}
