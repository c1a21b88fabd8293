//! [`Session`] and its builder.

use std::fmt;
use std::hash::Hash;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::ThreadPool;
use tern_arena::{Arenas, ScratchArenas, ThreadPolicy};
use tern_intern::{Guarded, Interner, PREINTERNED, Remap, Symbol, ValueInterner};
use tern_quiesce::Collector;

use crate::cx::TaskCx;
use crate::report::{Compaction, PassReport};
use crate::run::{Run, Schedule, micros};

/// Options for a [`Session`]; see [`Session::builder`].
#[must_use]
pub struct SessionBuilder {
    threads: usize,
    pool: Option<Arc<ThreadPool>>,
    schedule: Schedule,
    budget: Option<u64>,
    capacity: usize,
    preinterned: &'static [&'static str],
    record_spans: bool,
    reclaim_in_pass: bool,
    stack_size: usize,
    thread_name: Option<Box<dyn FnMut(usize) -> String>>,
}

impl fmt::Debug for SessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionBuilder")
            .field("threads", &self.threads)
            .field("shared_pool", &self.pool.is_some())
            .field("schedule", &self.schedule)
            .field("budget", &self.budget)
            .field("reclaim_in_pass", &self.reclaim_in_pass)
            .field("capacity", &self.capacity)
            .field("record_spans", &self.record_spans)
            .finish_non_exhaustive()
    }
}

impl SessionBuilder {
    /// Worker threads of the session's own pool (default 0: one per core).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n;
        self
    }

    /// Run passes on an existing pool instead of building one ([`threads`](Self::threads),
    /// stack size and thread names are then ignored).
    pub fn pool(mut self, pool: Arc<ThreadPool>) -> Self {
        self.pool = Some(pool);
        self
    }

    /// How passes spread items over the workers (default [`Schedule::Lpt`]).
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// Limit on retired-but-unfreed bytes in the collector: when the end of an item finds
    /// more, that task waits (offline, delaying nobody) for a grace period and frees what it
    /// allows, instead of letting memory grow further. Counted in
    /// [`PassReport::budget_waits`]. Default: no limit (garbage is freed at the next
    /// quiescent states anyway, and all of it at the checkpoint).
    pub fn memory_budget(mut self, bytes: u64) -> Self {
        self.budget = Some(bytes);
        self
    }

    /// Room for this many symbols in the string interner before its table first grows.
    pub fn interner_capacity(mut self, symbols: usize) -> Self {
        self.capacity = symbols;
        self
    }

    /// The string interner's pre-interned table (default [`PREINTERNED`]: Rust keywords and
    /// well-known names as `tern_intern::kw`/`sym` constants).
    pub fn preinterned(mut self, table: &'static [&'static str]) -> Self {
        self.preinterned = table;
        self
    }

    /// Whether tasks pass a quiescent state after every item (default `true`), so that
    /// tables outgrown during a pass are freed during it. With `false` they pass none until
    /// they end, and everything retired during a pass waits for its checkpoint (memory then
    /// grows by the outgrown tables; for comparison, or for items that must not pause).
    pub fn reclaim_in_pass(mut self, on: bool) -> Self {
        self.reclaim_in_pass = on;
        self
    }

    /// Record one [`Span`](crate::Span) per item in each [`PassReport`] (default off).
    pub fn record_spans(mut self, on: bool) -> Self {
        self.record_spans = on;
        self
    }

    /// Stack size of the session's own workers (default 8 MiB: recursive-descent parsers
    /// and debug builds need room).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = bytes;
        self
    }

    /// Names of the session's own workers (default `tern-worker-N`).
    pub fn thread_name(mut self, name: impl FnMut(usize) -> String + 'static) -> Self {
        self.thread_name = Some(Box::new(name));
        self
    }

    /// Builds the session: the pool (unless one was given), one collector, the string
    /// interner on it, the session and scratch arenas. The calling thread is the driver.
    ///
    /// # Errors
    ///
    /// When rayon cannot start the pool.
    pub fn build(self) -> Result<Session, rayon::ThreadPoolBuildError> {
        let pool = if let Some(p) = self.pool {
            p
        } else {
            let name = self
                .thread_name
                .unwrap_or_else(|| Box::new(|i| format!("tern-worker-{i}")));
            Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(self.threads)
                    .stack_size(self.stack_size)
                    .thread_name(name)
                    .build()?,
            )
        };
        let threads = pool.current_num_threads();
        let collector = Arc::new(Collector::new());
        let arenas = |pool: &Arc<ThreadPool>| {
            Arenas::builder()
                .pool(Arc::clone(pool))
                .thread_policy(ThreadPolicy::AnyThread)
                .build()
        };
        let interner = Interner::builder()
            .collector(Arc::clone(&collector))
            .arenas(arenas(&pool))
            .capacity(self.capacity)
            .preinterned(self.preinterned)
            .build();
        Ok(Session {
            arenas: Arc::new(arenas(&pool)),
            scratch: ScratchArenas::builder()
                .pool(Arc::clone(&pool))
                .thread_policy(ThreadPolicy::AnyThread)
                .build(),
            interner,
            collector,
            pool,
            threads,
            schedule: self.schedule,
            budget: self.budget,
            record_spans: self.record_spans,
            reclaim_in_pass: self.reclaim_in_pass,
            reports: Vec::new(),
            epoch: Instant::now(),
        })
    }
}

/// A compilation session: a rayon pool, one QSBR collector for every table, the string
/// interner, session arenas for data that lives across passes, and scratch arenas for data
/// that dies with its pass. Passes are checkpoints: see the [crate docs](crate).
pub struct Session {
    pool: Arc<ThreadPool>,
    threads: usize,
    /// Every table of the session (the string interner's, value interners built with
    /// [`values`](Self::values)) retires here; shared by `Arc` with those interners.
    collector: Arc<Collector>,
    interner: Interner,
    arenas: Arc<Arenas>,
    scratch: ScratchArenas,
    schedule: Schedule,
    budget: Option<u64>,
    record_spans: bool,
    reclaim_in_pass: bool,
    reports: Vec<PassReport>,
    epoch: Instant,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("threads", &self.threads)
            .field("schedule", &self.schedule)
            .field("budget", &self.budget)
            .field("symbols", &self.interner.len())
            .field("passes", &self.reports.len())
            .finish_non_exhaustive()
    }
}

/// What a checkpoint freed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checkpoint {
    /// Bytes freed (the collector's garbage and the interner's privately kept tables).
    pub reclaimed_bytes: u64,
    /// Scratch bytes released.
    pub scratch_bytes: u64,
    /// How long it took.
    pub wall: Duration,
}

impl Session {
    /// Options: threads or an existing pool, schedule, memory budget, interner capacity.
    pub fn builder() -> SessionBuilder {
        SessionBuilder {
            threads: 0,
            pool: None,
            schedule: Schedule::Lpt,
            budget: None,
            capacity: 0,
            preinterned: PREINTERNED,
            record_spans: false,
            reclaim_in_pass: true,
            stack_size: 8 << 20,
            thread_name: None,
        }
    }

    /// Runs `body(cx, i)` for every item `i` in `0..n` on the pool and returns the results in
    /// index order; then the checkpoint runs by itself. See [`pass_sized`](Self::pass_sized).
    pub fn pass<R, F>(&mut self, name: &str, n: usize, body: F) -> Vec<R>
    where
        R: Send,
        F: Fn(&mut TaskCx<'_>, usize) -> R + Sync,
    {
        self.pass_sized(name, &vec![1; n], body)
    }

    /// Runs `body(cx, i)` for every index of `sizes` (how much work each item is, e.g. its
    /// bytes: largest first, balanced over the workers), returns the results in index order,
    /// and appends a [`PassReport`].
    ///
    /// Each task (one per worker) registers a participant of the session's collector and
    /// passes a quiescent state after every item, so tables outgrown during the pass are
    /// freed as soon as every task has moved on. When every item has run, the checkpoint
    /// runs: what the collector still holds is freed, scratch memory is released (the
    /// borrow checker has proved that nothing points into it any more: `body` lent it only
    /// for an item, and `&mut self` ends everything else).
    ///
    /// # Panics
    ///
    /// When `body` panics: the other tasks stop pulling items, the checkpoint still runs
    /// (the session stays consistent and usable; the report says `panicked`), and the first
    /// panic is resumed here.
    pub fn pass_sized<R, F>(&mut self, name: &str, sizes: &[u64], body: F) -> Vec<R>
    where
        R: Send,
        F: Fn(&mut TaskCx<'_>, usize) -> R + Sync,
    {
        let started = self.epoch.elapsed();
        let before = self.collector.stats();
        let arena_before = self.arenas.total_used();
        let strings_before = self.interner.arenas().total_used();
        let t0 = Instant::now();
        let (results, measured) = Run {
            pool: &self.pool,
            threads: self.threads,
            schedule: self.schedule,
            collector: &self.collector,
            strings: &self.interner,
            scratch: &self.scratch,
            budget: self.budget,
            epoch: self.epoch,
            record_spans: self.record_spans,
            quiescent_states: self.reclaim_in_pass,
        }
        .run(sizes, &body);
        let wall = t0.elapsed();
        let after_pass = self.collector.stats();
        let (checkpoint, panic) = self.checkpoint_catching();
        let mut spans = measured.spans;
        spans.sort_unstable_by_key(|s| (s.start_us, s.worker));
        self.reports.push(PassReport {
            name: name.to_owned(),
            items: sizes.len(),
            started,
            wall,
            checkpoint: checkpoint.wall,
            workers: measured.workers,
            reclaimed_in_pass_bytes: after_pass.reclaimed_bytes - before.reclaimed_bytes,
            reclaimed_at_checkpoint_bytes: checkpoint.reclaimed_bytes,
            retired_items: after_pass.retired_items - before.retired_items,
            peak_pending_bytes: measured.peak_pending,
            budget_waits: measured.budget_waits,
            scratch_bytes: checkpoint.scratch_bytes,
            arena_growth_bytes: self.arenas.total_used().saturating_sub(arena_before) as u64,
            string_growth_bytes: self
                .interner
                .arenas()
                .total_used()
                .saturating_sub(strings_before) as u64,
            symbols: self.interner.len(),
            spans,
            panicked: results.is_err(),
            compaction: None,
        });
        match (results, panic) {
            (Ok(r), None) => r,
            (Err(p), _) | (Ok(_), Some(p)) => resume_unwind(p),
        }
    }

    /// A checkpoint between passes: frees the tables plain interner calls outgrew since the
    /// last one, whatever the collector holds, and the scratch memory. (Every pass ends with
    /// one already.)
    ///
    /// # Panics
    ///
    /// When a destructor of something retired to the collector panics: everything else is
    /// still freed, then the first panic is resumed.
    pub fn checkpoint(&mut self) -> Checkpoint {
        let (c, panic) = self.checkpoint_catching();
        if let Some(p) = panic {
            resume_unwind(p);
        }
        c
    }

    /// The checkpoint, with a destructor panic handed back instead of resumed, so that the
    /// scratch reset and the report happen in any case.
    fn checkpoint_catching(&mut self) -> (Checkpoint, Option<Box<dyn std::any::Any + Send>>) {
        let t0 = Instant::now();
        // `&mut self`: no task context, reader or participant of this session is alive (they
        // all borrow it), so no thread can be probing a retired table.
        let private = self.interner.free_outgrown() as u64;
        let before = self.collector.stats().reclaimed_bytes;
        let panic = catch_unwind(AssertUnwindSafe(|| self.collector.try_reclaim())).err();
        let collected = self.collector.stats().reclaimed_bytes - before;
        let scratch_bytes = self.scratch.total_used() as u64;
        self.scratch.reset();
        (
            Checkpoint {
                reclaimed_bytes: private + collected,
                scratch_bytes,
                wall: t0.elapsed(),
            },
            panic,
        )
    }

    /// Compacts the string interner at a pass boundary: keeps the pre-interned symbols and
    /// those `keep` accepts (say, the symbols a [`LiveSymbols`](crate::LiveSymbols) set marked
    /// during the last pass), frees everything else (strings, outgrown tables, old arena
    /// chunks), renumbers the kept ones deterministically and returns the old → new
    /// [`Remap`] for your side tables. Symbols from before are stale afterwards (a debug build
    /// panics if one is resolved). Appends a report named `compact` whose
    /// [`compaction`](PassReport::compaction) says what it kept and freed.
    ///
    /// # Panics
    ///
    /// As [`checkpoint`](Self::checkpoint), and when `keep` panics (the interner is then
    /// unchanged).
    pub fn compact(&mut self, keep: impl FnMut(Symbol) -> bool) -> Remap {
        let started = self.epoch.elapsed();
        let t0 = Instant::now();
        let (checkpoint, panic) = self.checkpoint_catching();
        if let Some(p) = panic {
            resume_unwind(p);
        }
        let symbols_before = self.interner.len();
        let heap_before = self.interner.heap_bytes() as u64;
        let remap = self.interner.compact(keep);
        let heap_after = self.interner.heap_bytes() as u64;
        let kept = self.interner.len();
        self.reports.push(PassReport {
            name: "compact".to_owned(),
            started,
            wall: t0.elapsed(),
            reclaimed_at_checkpoint_bytes: checkpoint.reclaimed_bytes,
            scratch_bytes: checkpoint.scratch_bytes,
            symbols: kept,
            compaction: Some(Compaction {
                symbols_before,
                kept,
                dropped: symbols_before - kept,
                freed_bytes: heap_before.saturating_sub(heap_after),
                heap_bytes: heap_after,
            }),
            ..PassReport::default()
        });
        remap
    }

    /// The string interner. Between passes, any thread may use it through this reference
    /// (outgrown tables then wait for the next checkpoint); during a pass, bodies use their
    /// [`TaskCx`].
    pub fn interner(&self) -> &Interner {
        &self.interner
    }

    /// The string interner, exclusively (between passes: to renumber, export, ...).
    pub fn interner_mut(&mut self) -> &mut Interner {
        &mut self.interner
    }

    /// The session arenas: per-worker bump arenas on the session's pool for data that lives
    /// across passes (ASTs, per-file summaries). Keep the returned `Arc` and borrow from it:
    /// references into it borrow the `Arc`, not the session, so pass results may hold them
    /// while later passes run (each pass needs `&mut` of the session).
    pub fn arenas(&self) -> Arc<Arenas> {
        Arc::clone(&self.arenas)
    }

    /// A fresh arena set on the session's pool, yours to drop: for data that lives longer
    /// than a pass but not as long as the session (one revision of a watch-mode compiler:
    /// drop the set and its memory goes with it).
    pub fn new_arenas(&self) -> Arenas {
        Arenas::builder()
            .pool(Arc::clone(&self.pool))
            .thread_policy(ThreadPolicy::AnyThread)
            .build()
    }

    /// A value interner (hash-consing) on the session's collector and pool: in a pass, read it
    /// through [`TaskCx::values`]; its outgrown tables are freed like the string interner's.
    /// It is yours to keep (interned values borrow it, not the session).
    pub fn values<T: Hash + Eq + Send + Sync>(&self) -> Guarded<ValueInterner<T>> {
        Guarded::new(
            ValueInterner::builder()
                .collector(Arc::clone(&self.collector))
                .arenas(
                    Arenas::builder()
                        .pool(Arc::clone(&self.pool))
                        .thread_policy(ThreadPolicy::AnyThread)
                        .build(),
                )
                .build(),
        )
    }

    /// The collector every table of the session retires to (stats, or retiring your own
    /// data between passes).
    pub fn collector(&self) -> &Collector {
        &self.collector
    }

    /// The pool passes run on (for your own parallel work between passes).
    pub fn pool(&self) -> &ThreadPool {
        &self.pool
    }

    /// Number of workers.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// How passes spread their items.
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// One report per pass, in order.
    pub fn reports(&self) -> &[PassReport] {
        &self.reports
    }

    /// Takes the reports collected so far.
    pub fn take_reports(&mut self) -> Vec<PassReport> {
        std::mem::take(&mut self.reports)
    }

    /// Time since the session was built, in microseconds (the clock of
    /// [`Span`](crate::Span)s).
    pub fn now_us(&self) -> u64 {
        micros(self.epoch.elapsed())
    }
}
