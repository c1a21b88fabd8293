//! The compilation session: the rayon pool, the collector, the arenas and the
//! interners, and the checkpoint the driver runs after each pass.
//!
//! The session is split in fields on purpose: a pass borrows [`Exec`] and the
//! interner shared, its results (ASTs) borrow only [`Session::ast`] and the source
//! texts, so the driver can take `&mut` of the interner and the scratch arenas at
//! the checkpoint while the ASTs stay alive.

use std::sync::Arc;

use crate::passes::Schedule;
use crate::timings::{Mark, Timeline};

pub use standin::{Interner, Symbol};
pub use tern_arena::{Arenas, ScratchArenas, WorkerStats};
pub use tern_quiesce::{Collector, Participant};

/// What runs a pass: the pool, its size, the scheduling policy and the timeline.
#[derive(Debug)]
pub struct Exec {
    pool: Arc<rayon::ThreadPool>,
    threads: usize,
    schedule: Schedule,
    /// Spans and checkpoint marks for `--timings`.
    pub timeline: Timeline,
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
    /// Bytes the collector reclaimed (retired memory freed).
    pub reclaimed_bytes: u64,
    /// Objects the collector reclaimed.
    pub reclaimed_objects: u64,
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
                .build()?,
        );
        let threads = pool.current_num_threads();
        let interner = Interner::with_parts(Collector::new(), Arenas::new(Arc::clone(&pool)));
        Ok(Self {
            exec: Exec {
                threads,
                schedule,
                timeline: Timeline::new(),
                pool: Arc::clone(&pool),
            },
            interner,
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
    scratch: &mut ScratchArenas,
    checkpoints: &mut Vec<CheckpointRecord>,
    after: &'static str,
) {
    let t0 = exec.timeline.now_us();
    let reclaimed = interner.checkpoint();
    let scratch_bytes = scratch.total_used() as u64;
    scratch.reset();
    let t1 = exec.timeline.now_us();
    exec.timeline.marks.push(Mark {
        label: format!(
            "after {after}: {} reclaimed, {} scratch reset",
            crate::report::human_bytes(reclaimed.bytes),
            crate::report::human_bytes(scratch_bytes)
        ),
        at_us: t0,
    });
    checkpoints.push(CheckpointRecord {
        after,
        reclaimed_bytes: reclaimed.bytes,
        reclaimed_objects: reclaimed.items,
        scratch_bytes,
        at_us: t0,
        wall_us: t1 - t0,
    });
}

/// TODO(wire): a stand-in with the API of tern-intern's `Interner`,
/// used only until those crates land; every call site already uses the real names.
#[allow(missing_docs, clippy::all, clippy::pedantic, reason = "temporary stand-ins")]
mod standin {
    use std::sync::Mutex;

    use rustc_hash::FxHashMap;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct Symbol(u32);

    use tern_arena::Arenas;
    use tern_quiesce::{Collector, Reclaimed};

    #[derive(Debug)]
    pub struct Interner {
        map: Mutex<(FxHashMap<Box<str>, Symbol>, Vec<Box<str>>)>,
        collector: Collector,
        #[allow(dead_code, reason = "stand-in")]
        arenas: Arenas,
    }
    impl Interner {
        pub fn with_parts(collector: Collector, arenas: Arenas) -> Self {
            Self {
                map: Mutex::default(),
                collector,
                arenas,
            }
        }
        pub fn intern(&self, s: &str) -> Symbol {
            let mut g = self.map.lock().unwrap();
            if let Some(&s) = g.0.get(s) {
                return s;
            }
            let sym = Symbol(g.1.len() as u32);
            g.1.push(s.into());
            g.0.insert(s.into(), sym);
            sym
        }
        pub fn len(&self) -> usize {
            self.map.lock().unwrap().1.len()
        }
        pub fn collector(&self) -> &Collector {
            &self.collector
        }
        pub fn checkpoint(&mut self) -> Reclaimed {
            self.collector.checkpoint()
        }
        pub fn resolve(&self, s: Symbol) -> String {
            self.map.lock().unwrap().1[s.0 as usize].to_string()
        }
    }
}
