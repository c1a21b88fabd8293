//! Command line of `ternc`.

use std::path::PathBuf;

use clap::Parser;

/// `ternc`: a parallel Rust front end whose passes are reclamation checkpoints.
///
/// Lexes, parses, collects modules and items, interns the types written in item
/// signatures and resolves `use` and type paths, on all cores. With no path it
/// compiles the default corpus: this workspace's sources plus every crate source
/// in the local cargo registry cache.
#[derive(Debug, Clone, Parser)]
#[command(name = "ternc", version, about)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent command-line switches, as clap derives them"
)]
pub struct Args {
    /// Files and directories to compile (directories are walked for `.rs` files,
    /// skipping hidden directories and cargo build directories).
    pub paths: Vec<PathBuf>,

    /// Number of worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Print a machine-readable JSON report on stdout instead of the human report.
    #[arg(long)]
    pub json: bool,

    /// Write an SVG timeline of the run (one row per worker, one bar per task).
    #[arg(long, value_name = "FILE.svg")]
    pub timings: Option<PathBuf>,

    /// Exit with status 1 if any diagnostic was reported.
    #[arg(long)]
    pub deny_errors: bool,

    /// Print at most this many diagnostics (the rest are counted).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub max_diagnostics: usize,

    /// How passes spread files over workers (for measuring the scheduler).
    #[arg(long, value_enum, default_value_t = ScheduleArg::Lpt, hide = true)]
    pub schedule: ScheduleArg,

    /// Free outgrown interner tables only at the checkpoints after the passes, instead
    /// of during them (the default frees each as soon as every worker has passed a
    /// quiescent state); for comparison.
    #[arg(long, conflicts_with = "early_reclaim")]
    pub defer_reclaim: bool,

    /// Free outgrown interner tables during passes: the default (kept for old scripts).
    #[arg(long, hide = true)]
    pub early_reclaim: bool,

    /// Run N revisions of a watch-mode compiler instead of one compilation: each loads a
    /// window of the files sliding through the corpus, renames a fraction of identifiers
    /// (simulated edits), parses, and compacts the interner to the symbols the revision
    /// used; prints the interner's heap per revision.
    #[arg(long, value_name = "N")]
    pub revisions: Option<usize>,

    /// Source megabytes per revision (with `--revisions`).
    #[arg(long, value_name = "MB", default_value_t = 8)]
    pub window_mb: u64,

    /// Percent of identifiers renamed per revision (with `--revisions`).
    #[arg(long, value_name = "PCT", default_value_t = 10, hide = true)]
    pub rename_pct: u64,

    /// How far the window slides per revision, in percent of it (with `--revisions`).
    #[arg(long, value_name = "PCT", default_value_t = 1, hide = true)]
    pub slide_pct: usize,

    /// Never show the progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
}

/// `--schedule` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScheduleArg {
    /// Largest file first, workers pull the next file from a shared counter.
    Lpt,
    /// Greedy byte-balanced chunks, one task per chunk.
    Chunks,
    /// rayon `par_iter().with_max_len(1)` over the size-sorted files.
    Rayon,
}

impl From<ScheduleArg> for crate::passes::Schedule {
    fn from(s: ScheduleArg) -> Self {
        match s {
            ScheduleArg::Lpt => Self::Lpt,
            ScheduleArg::Chunks => Self::Chunks,
            ScheduleArg::Rayon => Self::Rayon,
        }
    }
}
