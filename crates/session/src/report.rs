//! What each pass did: [`PassReport`], one per [`Session::pass`](crate::Session::pass).

use std::fmt;
use std::time::Duration;

/// One pass: its timing, its workers, and the memory it freed, during the pass (as soon as
/// every task had passed a quiescent state) and at its checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PassReport {
    /// The name given to [`Session::pass`](crate::Session::pass).
    pub name: String,
    /// Items run (`n`, or `sizes.len()`).
    pub items: usize,
    /// When the pass started, from the session's creation.
    pub started: Duration,
    /// Wall time of the items, from the first task's start to the last one's end (without
    /// the checkpoint).
    pub wall: Duration,
    /// Wall time of the checkpoint that followed.
    pub checkpoint: Duration,
    /// Per worker of the pool, in index order: time inside items, CPU time, items run.
    pub workers: Vec<WorkerReport>,
    /// Bytes the collector freed while the pass ran (outgrown tables of the interners, once
    /// every task had passed a quiescent state; anything else retired to it).
    pub reclaimed_in_pass_bytes: u64,
    /// Bytes freed by the checkpoint after the pass: what the collector still held, and
    /// tables outgrown between passes by plain interner calls.
    pub reclaimed_at_checkpoint_bytes: u64,
    /// Resources retired to the collector during the pass (outgrown tables and the like).
    pub retired_items: u64,
    /// The largest number of retired-but-unfreed bytes in the collector's shared list seen
    /// at the end of an item.
    pub peak_pending_bytes: u64,
    /// Quiescent states that, over the memory budget, waited for a grace period instead.
    pub budget_waits: u64,
    /// Bytes of scratch memory the pass used, released by the checkpoint.
    pub scratch_bytes: u64,
    /// Growth of the session arenas' used bytes over the pass.
    pub arena_growth_bytes: u64,
    /// Growth of the string interner's arena bytes (new strings) over the pass.
    pub string_growth_bytes: u64,
    /// Symbols in the string interner after the pass.
    pub symbols: usize,
    /// One span per item, when the session records spans
    /// ([`SessionBuilder::record_spans`](crate::SessionBuilder::record_spans)).
    pub spans: Vec<Span>,
    /// Whether an item panicked (the panic was resumed after the checkpoint ran).
    pub panicked: bool,
    /// For a [`Session::compact`](crate::Session::compact) (a report named `compact`, with
    /// no items): what it kept, dropped and freed.
    pub compaction: Option<Compaction>,
}

/// What a [`Session::compact`](crate::Session::compact) did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compaction {
    /// Symbols before (pre-interned included).
    pub symbols_before: usize,
    /// Symbols kept (pre-interned included).
    pub kept: usize,
    /// Symbols dropped.
    pub dropped: usize,
    /// The string interner's heap bytes before minus after (table, id table, arenas).
    pub freed_bytes: u64,
    /// The string interner's heap bytes after.
    pub heap_bytes: u64,
}

/// One worker's share of a pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Time spent inside items.
    pub busy: Duration,
    /// CPU time of the worker's tasks (Linux: from `/proc/thread-self/schedstat`; `None`
    /// elsewhere). Meaningful on a machine whose cores other processes also use.
    pub cpu: Option<Duration>,
    /// Items it ran.
    pub items: usize,
}

/// One item's run, in microseconds from the session's creation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// The worker that ran it.
    pub worker: u32,
    /// The item's index.
    pub item: u32,
    /// Start, µs from the session's creation.
    pub start_us: u64,
    /// End, µs from the session's creation.
    pub end_us: u64,
}

impl PassReport {
    /// Sum of the workers' busy time.
    pub fn busy(&self) -> Duration {
        self.workers.iter().map(|w| w.busy).sum()
    }

    /// Sum of the CPU time of the workers that ran items (`None` when none was measured).
    pub fn cpu(&self) -> Option<Duration> {
        let known = self.workers.iter().filter_map(|w| w.cpu);
        known.clone().next()?;
        Some(known.sum())
    }

    /// Everything the pass and its checkpoint freed.
    pub fn reclaimed_bytes(&self) -> u64 {
        self.reclaimed_in_pass_bytes + self.reclaimed_at_checkpoint_bytes
    }
}

impl fmt::Display for PassReport {
    /// One line: `name: items, wall, freed in pass + at checkpoint, peak pending`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<10} {:>7} items {:>9.1} ms  freed {} in pass + {} at checkpoint  peak pending {}",
            self.name,
            self.items,
            self.wall.as_secs_f64() * 1e3,
            Bytes(self.reclaimed_in_pass_bytes),
            Bytes(self.reclaimed_at_checkpoint_bytes),
            Bytes(self.peak_pending_bytes),
        )?;
        if self.budget_waits > 0 {
            write!(f, "  {} budget waits", self.budget_waits)?;
        }
        if self.panicked {
            write!(f, "  PANICKED")?;
        }
        if let Some(c) = &self.compaction {
            write!(
                f,
                "  kept {} of {} symbols, freed {}, heap now {}",
                c.kept,
                c.symbols_before,
                Bytes(c.freed_bytes),
                Bytes(c.heap_bytes)
            )?;
        }
        Ok(())
    }
}

/// A byte count for people: `B`, `KiB`, `MiB`, `GiB`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        if b < 1 << 10 {
            write!(f, "{b} B")
        } else if b < 1 << 20 {
            write!(f, "{:.1} KiB", b as f64 / 1024.0)
        } else if b < 1 << 30 {
            write!(f, "{:.1} MiB", b as f64 / (1u64 << 20) as f64)
        } else {
            write!(f, "{:.2} GiB", b as f64 / (1u64 << 30) as f64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_for_people() {
        assert_eq!(Bytes(512).to_string(), "512 B");
        assert_eq!(Bytes(1536).to_string(), "1.5 KiB");
        assert_eq!(Bytes(3 << 20).to_string(), "3.0 MiB");
        assert_eq!(Bytes(5 << 30).to_string(), "5.00 GiB");
    }

    #[test]
    fn sums() {
        let r = PassReport {
            reclaimed_in_pass_bytes: 10,
            reclaimed_at_checkpoint_bytes: 5,
            workers: vec![
                WorkerReport {
                    busy: Duration::from_millis(3),
                    cpu: Some(Duration::from_millis(2)),
                    items: 1,
                },
                WorkerReport {
                    busy: Duration::from_millis(4),
                    cpu: None,
                    items: 2,
                },
            ],
            ..PassReport::default()
        };
        assert_eq!(r.reclaimed_bytes(), 15);
        assert_eq!(r.busy(), Duration::from_millis(7));
        assert_eq!(r.cpu(), Some(Duration::from_millis(2)), "the known ones");
        assert_eq!(PassReport::default().cpu(), None);
    }
}
