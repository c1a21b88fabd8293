//! The passes of `ternc` and the scheduler they share.
//!
//! Every pass is structured parallelism inside `pool.install`: the driver hands the
//! pass a list of files ordered by size (largest first) and `N` worker tasks pull
//! the next file from a shared counter (longest-processing-time-first list
//! scheduling). Large files start first, small ones fill the gaps at the end, so
//! the bytes are balanced between workers whatever rayon's split would have done.
//! Each task registers a participant with the session's collector and announces a
//! quiescent state after every file. When `install` returns, no task of the pass is
//! running any more, so the driver's checkpoint right after is a true quiescent
//! point (rayon's `install` only returns after the structured work inside it ends).

pub mod collect;
pub mod load;
pub mod resolve;
pub mod types;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::session::{Collector, Exec};
use crate::timings::Span;

/// How a pass distributes its files over the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schedule {
    /// Files sorted by size, largest first; each worker task pulls the next file
    /// from a shared counter.
    #[default]
    Lpt,
    /// Files sorted by size, then assigned greedily to the least loaded of `N`
    /// fixed chunks before the pass starts; each chunk is one task.
    Chunks,
    /// rayon's own `par_iter` split with `with_max_len(1)` over the size-sorted files.
    RayonMaxLen1,
}

/// Per-task context handed to the pass body for each file.
#[derive(Debug)]
pub struct TaskCx {
    /// The rayon worker this task runs on.
    pub worker: usize,
}

/// Runs `body` for every index in `0..sizes.len()` on the session's pool, balanced by
/// `sizes` (bytes), and returns the results in index order. `pass` names the spans
/// recorded for `--timings`. `body` must not panic (passes report problems as
/// diagnostics); a panic propagates to the driver as rayon does.
pub fn run_pass<R, F>(
    exec: &Exec,
    collector: &Collector,
    pass: u8,
    sizes: &[u64],
    body: F,
) -> Vec<R>
where
    R: Send,
    F: Fn(&TaskCx, usize) -> R + Sync,
{
    let n = sizes.len();
    let mut order: Vec<usize> = (0..n).collect();
    // Largest first; ties by index so that the order is deterministic.
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(n));
    let threads = exec.threads();
    let timeline = &exec.timeline;

    // One worker task: register, run files, quiescent state after each, hand the
    // results and spans over once at the end.
    let task = |next: &mut dyn FnMut() -> Option<usize>| {
        let cpu_start = thread_cpu_ns();
        let mut participant = collector.register();
        let cx = TaskCx {
            worker: rayon::current_thread_index().unwrap_or(0),
        };
        let mut spans = Vec::new();
        let mut out = Vec::new();
        while let Some(i) = next() {
            let start_us = timeline.now_us();
            let r = body(&cx, i);
            spans.push(Span {
                worker: cx.worker as u16,
                pass,
                file: i as u32,
                start_us,
                end_us: timeline.now_us(),
            });
            out.push((i, r));
            participant.quiescent();
        }
        drop(participant);
        if let (Some(a), Some(b)) = (cpu_start, thread_cpu_ns()) {
            timeline.add_cpu(pass, cx.worker, b.saturating_sub(a));
        }
        timeline.absorb(&mut spans);
        results
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .append(&mut out);
    };

    exec.pool().install(|| match exec.schedule() {
        Schedule::Lpt => {
            let cursor = AtomicUsize::new(0);
            rayon::scope(|s| {
                for _ in 0..threads.min(n) {
                    s.spawn(|_| {
                        task(&mut || {
                            // Relaxed: the counter only hands out distinct indices; the
                            // files and results are published by the scope's join.
                            let k = cursor.fetch_add(1, Ordering::Relaxed);
                            order.get(k).copied()
                        });
                    });
                }
            });
        }
        Schedule::Chunks => {
            let mut chunks: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); threads.min(n)];
            for &i in &order {
                let lightest = chunks
                    .iter_mut()
                    .min_by_key(|c| c.0)
                    .expect("at least one chunk when there are files");
                lightest.0 += sizes[i].max(1);
                lightest.1.push(i);
            }
            rayon::scope(|s| {
                for (_, chunk) in &chunks {
                    s.spawn(|_| {
                        let mut it = chunk.iter().copied();
                        task(&mut || it.next());
                    });
                }
            });
        }
        Schedule::RayonMaxLen1 => {
            use rayon::prelude::*;
            order.par_iter().with_max_len(1).for_each(|&i| {
                let mut once = Some(i);
                task(&mut || once.take());
            });
        }
    });

    let mut results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    results.sort_unstable_by_key(|(i, _)| *i);
    debug_assert!(results.iter().enumerate().all(|(k, (i, _))| k == *i));
    results.into_iter().map(|(_, r)| r).collect()
}

/// CPU time the calling thread has run, in nanoseconds, from Linux's
/// `/proc/thread-self/schedstat` (`None` elsewhere). Read twice per task, so
/// passes can report throughput per CPU second, which stays meaningful on a
/// machine whose cores other processes also use.
pub fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_ascii_whitespace().next()?.parse().ok()
}
