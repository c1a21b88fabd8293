//! `ternc --revisions N`: a watch-mode compiler's memory over many revisions.
//!
//! Each revision loads a window of the input files (the window slides through the corpus by
//! a small fraction of itself per revision), renames a fraction of the identifiers of every
//! file for that revision (simulated edits: each revision introduces new names and abandons
//! the previous revision's), parses the edited texts into arenas that live for the revision,
//! marks every symbol the revision used as live, and compacts the interner to them. The
//! interner's heap then follows what the current revision uses instead of the history: the
//! printed table shows it per revision.

use std::fmt::Write as _;
use std::hash::Hasher;
use std::time::Instant;

use rustc_hash::FxHasher;
use tern_session::{LiveSymbols, Session};

use crate::corpus::InputFile;
use crate::driver::Progress;
use crate::passes::{self, Schedule};
use crate::syntax::{self, FileId, Token};
use crate::timings::{Mark, Span, Timeline};

/// Options of a revisions run.
#[derive(Debug, Clone)]
pub struct RevisionOptions {
    /// Revisions to run.
    pub revisions: usize,
    /// Source bytes per revision (the window).
    pub window_bytes: u64,
    /// Percent of identifiers renamed per revision.
    pub rename_pct: u64,
    /// How far the window slides per revision, in percent of its files.
    pub slide_pct: usize,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// How passes spread files over workers.
    pub schedule: Schedule,
}

impl Default for RevisionOptions {
    fn default() -> Self {
        RevisionOptions {
            revisions: 10,
            window_bytes: 8 << 20,
            rename_pct: 10,
            slide_pct: 1,
            threads: 0,
            schedule: Schedule::default(),
        }
    }
}

/// One revision's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevisionRow {
    /// 1-based.
    pub revision: usize,
    /// Files in the window.
    pub files: usize,
    /// Source bytes of the window.
    pub bytes: u64,
    /// Symbols the revision used (kept by the compaction, pre-interned included).
    pub live: usize,
    /// Symbols the compaction dropped.
    pub dropped: usize,
    /// The interner's heap bytes after the compaction.
    pub heap_bytes: u64,
    /// Bytes the compaction freed.
    pub freed_bytes: u64,
    /// How long the compaction took, µs.
    pub compaction_us: u64,
    /// Wall time of the revision, µs.
    pub wall_us: u64,
}

/// What a revisions run produced.
#[derive(Debug)]
pub struct RevisionsOutcome {
    /// One row per revision.
    pub rows: Vec<RevisionRow>,
    /// Worker threads.
    pub threads: usize,
    /// Spans and compaction marks for `--timings`.
    pub timeline: Timeline,
}

/// Whether identifier `s` gets renamed in revision `rev`.
fn renamed(s: &str, rev: usize, pct: u64) -> bool {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.write_usize(rev);
    h.finish() % 100 < pct
}

/// `src` with `pct` percent of its identifiers renamed for revision `rev` (`x` becomes
/// `x_r7`); keywords, lifetimes and literals are left alone.
pub fn edit(src: &str, rev: usize, pct: u64) -> String {
    let mut out = String::with_capacity(src.len() + src.len() / 32);
    let mut at = 0;
    for tok in ra_ap_rustc_lexer::tokenize(src, ra_ap_rustc_lexer::FrontmatterAllowed::No) {
        let text = &src[at..at + tok.len as usize];
        at += tok.len as usize;
        out.push_str(text);
        if tok.kind == ra_ap_rustc_lexer::TokenKind::Ident
            && syntax::TokenKind::keyword(text).is_none()
            && renamed(text, rev, pct)
        {
            let _ = write!(out, "_r{rev}");
        }
    }
    out
}

/// Runs the revisions.
///
/// # Errors
/// Only when the thread pool cannot be started.
pub fn run(
    files: &[InputFile],
    opts: &RevisionOptions,
    progress: &Progress,
) -> Result<RevisionsOutcome, rayon::ThreadPoolBuildError> {
    let mut s = Session::builder()
        .threads(opts.threads)
        .schedule(opts.schedule)
        .record_spans(true)
        .thread_name(|i| format!("ternc-worker-{i}"))
        .build()?;
    let mut timeline = Timeline::new();
    let mut live = LiveSymbols::new();
    let mut rows = Vec::new();
    // The window: consecutive files (in corpus order) summing to about `window_bytes`.
    let mut per_window = 0;
    let mut acc = 0;
    while per_window < files.len() && acc < opts.window_bytes {
        acc += files[per_window].len;
        per_window += 1;
    }
    let step = (per_window * opts.slide_pct / 100).max(1);
    for rev in 1..=opts.revisions {
        let t0 = Instant::now();
        let start = (rev - 1) * step % files.len().max(1);
        let window: Vec<InputFile> = (0..per_window)
            .map(|k| files[(start + k) % files.len()].clone())
            .collect();
        let loaded = passes::load::run(&mut s, &window, progress);
        record(&mut timeline, &s, "load");
        let sizes = loaded.sizes();
        let ast = s.new_arenas();
        live.clear();
        let texts = &loaded.texts;
        let live_ref = &live;
        progress.start("parse", window.len());
        let parsed = s.pass_sized("parse", &sizes, |cx, i| {
            let src = edit(texts[i].as_deref()?, rev, opts.rename_pct);
            let mut tokens: Vec<Token> = Vec::new();
            let mut diags = Vec::new();
            let file = syntax::parse_with_buffer(
                &src,
                FileId(i as u32),
                ast.local_arena(),
                cx,
                &mut tokens,
                &mut diags,
            );
            for t in &tokens {
                if let Some(sym) = t.sym {
                    live_ref.insert(sym);
                }
            }
            progress.tick();
            Some(file.items.len())
        });
        record(&mut timeline, &s, "parse");
        drop(parsed);
        drop(ast);
        s.compact(|sym| live.contains(sym));
        let r = s.reports().last().expect("compact reports");
        let c = r.compaction.expect("a compaction");
        timeline.marks.push(Mark {
            label: format!(
                "revision {rev}: kept {} symbols, dropped {}, freed {}",
                c.kept,
                c.dropped,
                crate::report::human_bytes(c.freed_bytes)
            ),
            at_us: (r.started + r.wall).as_micros() as u64,
        });
        rows.push(RevisionRow {
            revision: rev,
            files: window.len(),
            bytes: sizes.iter().sum(),
            live: c.kept,
            dropped: c.dropped,
            heap_bytes: c.heap_bytes,
            freed_bytes: c.freed_bytes,
            compaction_us: r.wall.as_micros() as u64,
            wall_us: t0.elapsed().as_micros() as u64,
        });
    }
    Ok(RevisionsOutcome {
        rows,
        threads: s.threads(),
        timeline,
    })
}

/// The last pass's spans into the timeline.
fn record(timeline: &mut Timeline, s: &Session, name: &'static str) {
    let r = s.reports().last().expect("the pass just ran");
    let pass = timeline.pass_index(name);
    let start = r.started.as_micros() as u64;
    timeline
        .pass_walls
        .push((pass, start, start + r.wall.as_micros() as u64));
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
    timeline.absorb(&mut spans);
}

impl RevisionsOutcome {
    /// The human table, one line per revision, and the first-to-last heap ratio.
    pub fn to_human(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "ternc --revisions: {} revisions on {} thread{}",
            self.rows.len(),
            self.threads,
            if self.threads == 1 { "" } else { "s" }
        );
        let _ = writeln!(
            s,
            "{:>8} {:>6} {:>10} {:>9} {:>9} {:>13} {:>11} {:>10}",
            "revision", "files", "source", "live", "dropped", "interner heap", "compaction", "wall"
        );
        for r in &self.rows {
            let _ = writeln!(
                s,
                "{:>8} {:>6} {:>10} {:>9} {:>9} {:>13} {:>8.2} ms {:>7.0} ms",
                r.revision,
                r.files,
                crate::report::human_bytes(r.bytes),
                r.live,
                r.dropped,
                crate::report::human_bytes(r.heap_bytes),
                r.compaction_us as f64 / 1e3,
                r.wall_us as f64 / 1e3
            );
        }
        if let (Some(a), Some(b)) = (self.rows.first(), self.rows.last()) {
            let _ = writeln!(
                s,
                "interner heap, revision {} / revision 1: {:.3} (live symbols {:.3})",
                b.revision,
                b.heap_bytes as f64 / a.heap_bytes.max(1) as f64,
                b.live as f64 / a.live.max(1) as f64
            );
        }
        s
    }

    /// The `--json` document.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "threads": self.threads,
            "revisions": self.rows.iter().map(|r| serde_json::json!({
                "revision": r.revision,
                "files": r.files,
                "bytes": r.bytes,
                "live": r.live,
                "dropped": r.dropped,
                "heap_bytes": r.heap_bytes,
                "freed_bytes": r.freed_bytes,
                "compaction_us": r.compaction_us,
                "wall_us": r.wall_us,
            })).collect::<Vec<_>>(),
        })
    }
}
