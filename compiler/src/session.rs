//! The compilation session: the rayon pool, the collector, the arenas and the
//! interners, and the checkpoint the driver runs after each pass.
//!
//! The session is split in fields on purpose: a pass borrows [`Exec`] and the
//! interner shared, its results (ASTs) borrow only [`Session::ast`] and the source
//! texts, so the driver can take `&mut` of the interner and the scratch arenas at
//! the checkpoint while the ASTs stay alive.

use std::sync::Arc;

use crate::passes::Schedule;
use crate::passes::types::{TyId, TyNode, TyStore};
use crate::syntax;
use crate::timings::{Mark, Timeline};

pub use tern_arena::{Arenas, ScratchArenas, WorkerStats};
pub use tern_intern::{Interner, ValueInterner};
pub use tern_quiesce::{Collector, Participant};

/// What runs a pass: the pool, its size, the scheduling policy and the timeline.
#[derive(Debug)]
pub struct Exec {
    pool: Arc<rayon::ThreadPool>,
    threads: usize,
    schedule: Schedule,
    /// Spans and checkpoint marks for `--timings`.
    pub timeline: Timeline,
    /// Interner and type-interner growths counted by earlier checkpoints.
    resizes_seen: (u64, u64),
    /// Bytes both interners had freed by the end of the last checkpoint.
    reclaimed_seen: u64,
}

impl Exec {
    /// The pool every pass runs in.
    pub fn pool(&self) -> &rayon::ThreadPool {
        &self.pool
    }
    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        self.threads
    }
    /// How passes spread files over workers.
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }
}

/// One checkpoint run by the driver after a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRecord {
    /// The pass it follows.
    pub after: &'static str,
    /// Bytes the checkpoint freed (outgrown interner tables).
    pub reclaimed_bytes: u64,
    /// Bytes freed during the pass, before its checkpoint (early reclamation).
    pub reclaimed_in_pass_bytes: u64,
    /// Interner tables outgrown during the pass (all freed by the end of the
    /// checkpoint: during the pass under early reclamation, at it otherwise).
    pub tables_freed: u64,
    /// Bytes of scratch arena memory the pass used, released by the reset.
    pub scratch_bytes: u64,
    /// Time of the checkpoint, microseconds since the session started.
    pub at_us: u64,
    /// How long the checkpoint itself took, microseconds.
    pub wall_us: u64,
}

/// The session: see the module docs.
#[derive(Debug)]
pub struct Session {
    /// Pool, schedule, timeline.
    pub exec: Exec,
    /// The string interner; it owns the collector and its own arenas.
    pub interner: Interner,
    /// Hash-consed type nodes (its own collector and arenas).
    pub types: ValueInterner<TyNode>,
    /// Session-lifetime per-worker arenas holding the ASTs.
    pub ast: Arenas,
    /// Pass-scoped scratch arenas, reset at every checkpoint.
    pub scratch: ScratchArenas,
    /// Checkpoints run so far.
    pub checkpoints: Vec<CheckpointRecord>,
}

impl Session {
    /// A session with `threads` workers (0: all cores).
    ///
    /// # Errors
    /// When rayon cannot start the pool.
    pub fn new(threads: usize, schedule: Schedule) -> Result<Self, rayon::ThreadPoolBuildError> {
        let pool = Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("ternc-worker-{i}"))
                // The parser bounds its own recursion (`syntax::STACK_BUDGET`); the
                // extra room covers debug builds' larger frames.
                .stack_size(8 << 20)
                .build()?,
        );
        let threads = pool.current_num_threads();
        let interner = Interner::with_parts(Collector::new(), Arenas::new(Arc::clone(&pool)));
        let types = ValueInterner::with_parts(Collector::new(), Arenas::new(Arc::clone(&pool)));
        Ok(Self {
            exec: Exec {
                threads,
                schedule,
                timeline: Timeline::new(),
                resizes_seen: (0, 0),
                reclaimed_seen: 0,
                pool: Arc::clone(&pool),
            },
            interner,
            types,
            ast: Arenas::new(Arc::clone(&pool)),
            scratch: ScratchArenas::new(Arc::clone(&pool)),
            checkpoints: Vec::new(),
        })
    }
}

/// Runs the checkpoint after pass `after`. Taking `&mut` of the interner (hence
/// its collector) and of the scratch arenas is the proof that no task of the pass
/// still runs: every participant has been dropped and every scratch reference is
/// gone. Free function over the fields so that the ASTs (borrowing
/// [`Session::ast`]) may stay alive across it.
pub fn checkpoint(
    exec: &mut Exec,
    interner: &mut Interner,
    types: &mut ValueInterner<TyNode>,
    scratch: &mut ScratchArenas,
    checkpoints: &mut Vec<CheckpointRecord>,
    after: &'static str,
) {
    let t0 = exec.timeline.now_us();
    // Outgrown hash tables wait in the interners until their checkpoint frees them.
    let before = (interner.stats(), types.stats());
    let in_pass = (before.0.reclaimed_bytes + before.1.reclaimed_bytes) - exec.reclaimed_seen;
    interner.checkpoint();
    types.checkpoint();
    let after_stats = (interner.stats(), types.stats());
    let reclaimed_bytes = (after_stats.0.reclaimed_bytes - before.0.reclaimed_bytes)
        + (after_stats.1.reclaimed_bytes - before.1.reclaimed_bytes);
    // Every growth retires one table, and all retired tables are freed here.
    let tables_freed = (after_stats.0.resizes - exec.resizes_seen.0)
        + (after_stats.1.resizes - exec.resizes_seen.1);
    exec.resizes_seen = (after_stats.0.resizes, after_stats.1.resizes);
    exec.reclaimed_seen = after_stats.0.reclaimed_bytes + after_stats.1.reclaimed_bytes;
    let scratch_bytes = scratch.total_used() as u64;
    scratch.reset();
    let t1 = exec.timeline.now_us();
    exec.timeline.marks.push(Mark {
        label: format!(
            "after {after}: {} reclaimed{}, {} scratch reset",
            crate::report::human_bytes(reclaimed_bytes),
            if in_pass > 0 {
                format!(
                    " (+{} during the pass)",
                    crate::report::human_bytes(in_pass)
                )
            } else {
                String::new()
            },
            crate::report::human_bytes(scratch_bytes)
        ),
        at_us: t0,
    });
    checkpoints.push(CheckpointRecord {
        after,
        reclaimed_bytes,
        reclaimed_in_pass_bytes: in_pass,
        tables_freed,
        scratch_bytes,
        at_us: t0,
        wall_us: t1 - t0,
    });
}

/// The session's interners seen by the parser and the type lowering: strings go
/// to the [`Interner`], type nodes to the [`ValueInterner`].
#[derive(Debug, Clone, Copy)]
pub struct Tables<'s> {
    /// Strings.
    pub strings: &'s Interner,
    /// Type nodes.
    pub types: &'s ValueInterner<TyNode>,
}

impl Tables<'_> {
    /// The text of a symbol made by these tables (`None` for a foreign one).
    pub fn text(&self, sym: syntax::Symbol) -> Option<&str> {
        self.strings.try_resolve(sym)
    }
}

impl syntax::Intern for Tables<'_> {
    #[inline]
    fn intern(&self, s: &str) -> syntax::Symbol {
        self.strings.intern(s)
    }
}

impl TyStore for Tables<'_> {
    #[inline]
    fn node(&self, node: TyNode) -> TyId {
        // Hash-consing: equal nodes are one arena value, so its address is the id.
        TyId(self.types.intern(node).as_ptr() as usize)
    }

    #[inline]
    fn text(&self, s: &str) -> syntax::Symbol {
        self.strings.intern(s)
    }
}

/// Memory of each worker's arena of `arenas`, measured on the arenas' own threads
/// (a `broadcast` for the workers, then the calling driver thread): capacity is
/// the `Bump`'s chunk memory, used is capacity minus the free room left in its
/// current chunk (allocations made straight on `local()`, as the parser's are,
/// are not tracked by the set's own counters).
pub fn bump_mem(pool: &rayon::ThreadPool, arenas: &Arenas) -> Vec<crate::report::ArenaMem> {
    let measure = |label: String| {
        let b = arenas.local();
        let capacity = b.allocated_bytes() as u64;
        crate::report::ArenaMem {
            label,
            used: capacity.saturating_sub(b.chunk_capacity() as u64),
            capacity,
        }
    };
    let mut v = pool.broadcast(|cx| measure(format!("worker {}", cx.index())));
    v.push(measure("driver".to_owned()));
    v
}
