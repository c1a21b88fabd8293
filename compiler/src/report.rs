//! Diagnostics and the final report, human-readable or JSON.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{Value, json};

pub use crate::syntax::Diagnostic;

/// Wall time of one pass.
#[derive(Debug, Clone, PartialEq)]
pub struct PassTime {
    /// Pass name.
    pub name: &'static str,
    /// Wall time in microseconds, as seen by the driver (from before `install` to
    /// after it returns, checkpoint excluded).
    pub wall_us: u64,
    /// Source bytes the pass went over (for MB/s).
    pub bytes: u64,
    /// Time each worker spent inside the pass's tasks, microseconds (empty for
    /// the driver-only report step).
    pub busy_us: Vec<u64>,
    /// CPU time of the pass's tasks summed over workers, microseconds (Linux only).
    pub cpu_us: Option<u64>,
}

impl PassTime {
    /// How evenly the work was spread: total busy time over `workers` times the
    /// busiest worker's (1.0 = perfectly balanced).
    pub fn balance(&self) -> Option<f64> {
        let max = *self.busy_us.iter().max()?;
        (max > 0).then(|| {
            self.busy_us.iter().sum::<u64>() as f64 / (max as f64 * self.busy_us.len() as f64)
        })
    }
}

/// One checkpoint the session ran after a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRecord {
    /// The pass it follows.
    pub after: &'static str,
    /// Bytes the checkpoint freed (outgrown interner tables still held).
    pub reclaimed_bytes: u64,
    /// Bytes freed during the pass, before its checkpoint (as soon as every worker had
    /// passed a quiescent state).
    pub reclaimed_in_pass_bytes: u64,
    /// Interner tables outgrown during the pass (all freed by the end of the checkpoint:
    /// during the pass by default, at it with `--defer-reclaim`).
    pub tables_freed: u64,
    /// Bytes of scratch arena memory the pass used, released by the checkpoint.
    pub scratch_bytes: u64,
    /// Time of the checkpoint, microseconds since the session started.
    pub at_us: u64,
    /// How long the checkpoint itself took, microseconds.
    pub wall_us: u64,
}

/// One file's line in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// Path as found.
    pub path: PathBuf,
    /// Size in bytes (0 if it could not be read).
    pub bytes: u64,
    /// Tokens other than whitespace and comments.
    pub tokens: u64,
    /// Top-level items.
    pub items: u64,
    /// Diagnostics in this file.
    pub errors: u64,
}

/// Memory of one worker's arena.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArenaMem {
    /// `worker i`, `driver`, ...
    pub label: String,
    /// Bytes handed out.
    pub used: u64,
    /// Bytes reserved from the allocator.
    pub capacity: u64,
}

/// Everything `ternc` reports about a run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Worker threads.
    pub threads: usize,
    /// The pass schedule used (`lpt`, `chunks`, `rayon`).
    pub schedule: &'static str,
    /// Whether outgrown interner tables were freed during passes.
    pub early_reclaim: bool,
    /// Per-file lines, in file order.
    pub per_file: Vec<FileReport>,
    /// Tokens other than whitespace and comments.
    pub tokens: u64,
    /// Identifier tokens.
    pub idents: u64,
    /// Distinct identifier texts.
    pub idents_distinct: u64,
    /// Symbols in the interner (identifiers, lifetimes, literals, ...).
    pub symbols: u64,
    /// Top-level items summed over files.
    pub items: u64,
    /// Items in all modules (inline modules' contents included).
    pub items_all: u64,
    /// Distinct hash-consed type nodes (types, path segments, list cells, bounds).
    pub types_interned: u64,
    /// Distinct outermost signature types (a parameter's, a field's, ...).
    pub types_distinct_top: u64,
    /// `mod x;` declarations whose file was not found among the inputs.
    pub unlinked_mods: u64,
    /// `mod x;` declarations sharing a file first claimed by another declaration.
    pub shared_mods: u64,
    /// Where the first few unlinked `mod x;` looked (their first candidate file).
    pub unlinked_sample: Vec<PathBuf>,
    /// Types written in item signatures (before hash-consing).
    pub types_written: u64,
    /// Crate roots found by the module-tree collection.
    pub crates: u64,
    /// Modules (files and inline `mod` blocks).
    pub modules: u64,
    /// Paths resolved inside their crate.
    pub resolved: u64,
    /// Paths resolved to external names (std, prelude, other crates).
    pub external: u64,
    /// Paths not resolved.
    pub unresolved: u64,
    /// The most frequent last segments of unresolved paths, with their counts.
    pub unresolved_top: Vec<(String, u64)>,
    /// All diagnostics (sorted by file, line, col).
    pub diagnostics: Vec<Diagnostic>,
    /// Pass timings, in order.
    pub passes: Vec<PassTime>,
    /// Checkpoints, in order.
    pub checkpoints: Vec<CheckpointRecord>,
    /// AST arena memory per worker (index = worker; the last is the driver thread).
    pub ast_arenas: Vec<ArenaMem>,
    /// Interner arena memory per worker.
    pub interner_arenas: Vec<ArenaMem>,
    /// Bytes of the interner's tables (hash table, symbol index).
    pub interner_table_bytes: u64,
    /// Type interner arena memory per worker.
    pub types_arenas: Vec<ArenaMem>,
    /// Bytes of the type interner's hash table.
    pub types_table_bytes: u64,
    /// Total wall time, microseconds.
    pub total_us: u64,
}

impl Report {
    /// Number of files.
    pub fn files(&self) -> u64 {
        self.per_file.len() as u64
    }
    /// Sum of the file sizes.
    pub fn bytes(&self) -> u64 {
        self.per_file.iter().map(|f| f.bytes).sum()
    }

    /// The `--json` document.
    pub fn to_json(&self) -> Value {
        let arenas = |v: &[ArenaMem]| -> Value {
            v.iter()
                .map(|a| json!({"arena": a.label, "used": a.used, "capacity": a.capacity}))
                .collect()
        };
        json!({
            "files": self.files(),
            "bytes": self.bytes(),
            "tokens": self.tokens,
            "items": self.items,
            "items_all": self.items_all,
            "idents": self.idents,
            "idents_distinct": self.idents_distinct,
            "symbols": self.symbols,
            "types_interned": self.types_interned,
            "types_written": self.types_written,
            "types_distinct_top": self.types_distinct_top,
            "unlinked_mods": self.unlinked_mods,
            "shared_mods": self.shared_mods,
            "unlinked_sample": self.unlinked_sample.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "crates": self.crates,
            "modules": self.modules,
            "resolved": self.resolved,
            "external": self.external,
            "unresolved": self.unresolved,
            "unresolved_top": self.unresolved_top.iter().map(|(n, c)| json!({"name": n, "count": c})).collect::<Value>(),
            "diagnostics": self.diagnostics.len(),
            "threads": self.threads,
            "schedule": self.schedule,
            "early_reclaim": self.early_reclaim,
            "total_ms": ms(self.total_us),
            "passes": self.passes.iter().map(|p| json!({
                "name": p.name,
                "wall_ms": ms(p.wall_us),
                "mb_per_s": mb_per_s(p.bytes, p.wall_us),
                "busy_ms": p.busy_us.iter().map(|&b| ms(b)).collect::<Vec<_>>(),
                "cpu_ms": p.cpu_us.map(ms),
                "mb_per_cpu_s": p.cpu_us.map(|c| mb_per_s(p.bytes, c)),
                "balance": p.balance(),
            })).collect::<Value>(),
            "checkpoints": self.checkpoints.iter().map(|c| json!({
                "after": c.after,
                "reclaimed_bytes": c.reclaimed_bytes,
                "tables_freed": c.tables_freed,
                "reclaimed_in_pass_bytes": c.reclaimed_in_pass_bytes,
                "scratch_bytes": c.scratch_bytes,
                "wall_ms": ms(c.wall_us),
            })).collect::<Value>(),
            "ast_arenas": arenas(&self.ast_arenas),
            "interner_arenas": arenas(&self.interner_arenas),
            "interner_table_bytes": self.interner_table_bytes,
            "types_arenas": arenas(&self.types_arenas),
            "types_table_bytes": self.types_table_bytes,
            "per_file": self.per_file.iter().map(|f| json!({
                "path": f.path.display().to_string(),
                "bytes": f.bytes,
                "tokens": f.tokens,
                "items": f.items,
                "errors": f.errors,
            })).collect::<Value>(),
        })
    }

    /// The human report.
    pub fn to_human(&self) -> String {
        let mut s = String::new();
        let bytes = self.bytes();
        let _ = writeln!(
            s,
            "ternc: {} files, {} on {} thread{} in {:.1} ms ({:.1} MB/s overall)",
            self.files(),
            human_bytes(bytes),
            self.threads,
            if self.threads == 1 { "" } else { "s" },
            ms(self.total_us),
            mb_per_s(bytes, self.total_us)
        );
        let _ = writeln!(s, "\npasses:");
        for p in &self.passes {
            let busy = p
                .busy_us
                .iter()
                .map(|&b| format!("{:.1}", ms(b)))
                .collect::<Vec<_>>()
                .join(" / ");
            let balance = p
                .balance()
                .map(|b| format!("  busy {busy} ms, balance {b:.3}"))
                .unwrap_or_default();
            let cpu = p
                .cpu_us
                .map(|c| {
                    format!(
                        "  cpu {:.1} ms ({:.1} MB/s per core)",
                        ms(c),
                        mb_per_s(p.bytes, c)
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {:<8} {:>10.2} ms {:>10.1} MB/s{cpu}{balance}",
                p.name,
                ms(p.wall_us),
                mb_per_s(p.bytes, p.wall_us)
            );
        }
        let _ = writeln!(s, "\ncounts:");
        let rows: [(&str, u64); 17] = [
            ("files", self.files()),
            ("bytes", bytes),
            ("tokens", self.tokens),
            ("identifiers", self.idents),
            ("distinct identifiers", self.idents_distinct),
            ("distinct symbols", self.symbols),
            ("top-level items", self.items),
            ("items (all modules)", self.items_all),
            ("crates", self.crates),
            ("modules", self.modules),
            ("unlinked `mod x;`", self.unlinked_mods),
            ("types written", self.types_written),
            ("distinct signature types", self.types_distinct_top),
            ("type nodes interned", self.types_interned),
            ("paths resolved", self.resolved),
            ("paths external", self.external),
            ("paths unresolved", self.unresolved),
        ];
        for (name, n) in rows {
            let _ = writeln!(s, "  {name:<22} {n:>12}");
        }
        let _ = writeln!(s, "  {:<22} {:>12}", "diagnostics", self.diagnostics.len());
        if !self.unresolved_top.is_empty() {
            let top: Vec<String> = self
                .unresolved_top
                .iter()
                .take(10)
                .map(|(n, c)| format!("{n} ({c})"))
                .collect();
            let _ = writeln!(s, "  most unresolved: {}", top.join(", "));
        }
        let _ = writeln!(s, "\nmemory:");
        let arena_rows = |s: &mut String, what: &str, v: &[ArenaMem]| {
            for a in v {
                let _ = writeln!(
                    s,
                    "  {what:<9} {:<9} used {:>10}  capacity {:>10}",
                    a.label,
                    human_bytes(a.used),
                    human_bytes(a.capacity)
                );
            }
        };
        arena_rows(&mut s, "ast", &self.ast_arenas);
        arena_rows(&mut s, "interner", &self.interner_arenas);
        arena_rows(&mut s, "types", &self.types_arenas);
        let _ = writeln!(
            s,
            "  interner tables {}, type table {}",
            human_bytes(self.interner_table_bytes),
            human_bytes(self.types_table_bytes)
        );
        let _ = writeln!(s, "\ncheckpoints:");
        for c in &self.checkpoints {
            let _ = writeln!(
                s,
                "  after {:<8} reclaimed {:>10} (+{} during the pass; {} outgrown tables), scratch reset {:>10}, {:.3} ms",
                c.after,
                human_bytes(c.reclaimed_bytes),
                human_bytes(c.reclaimed_in_pass_bytes),
                c.tables_freed,
                human_bytes(c.scratch_bytes),
                ms(c.wall_us)
            );
        }
        s
    }
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Megabytes (10^6 bytes) per second.
pub fn mb_per_s(bytes: u64, us: u64) -> f64 {
    if us == 0 {
        0.0
    } else {
        bytes as f64 / us as f64
    }
}

/// `1.5 MB`, `12.0 KB`, `7 B` (decimal units, as in MB/s).
pub fn human_bytes(b: u64) -> String {
    if b >= 1_000_000 {
        format!("{:.1} MB", b as f64 / 1e6)
    } else if b >= 1_000 {
        format!("{:.1} KB", b as f64 / 1e3)
    } else {
        format!("{b} B")
    }
}
