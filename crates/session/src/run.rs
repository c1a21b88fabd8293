//! The pass runner: items spread over the pool, one participant per task, a quiescent state
//! after every item, results in index order.

use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tern_arena::ScratchArenas;
use tern_intern::Interner;
use tern_quiesce::Collector;

use crate::cx::TaskCx;
use crate::report::{Span, WorkerReport};

/// How a pass spreads its items over the pool's workers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Schedule {
    /// Longest processing time first: items sorted by size, largest first (ties by index),
    /// and one task per worker pulls the next item from a shared counter. Large items start
    /// first and small ones fill the gaps at the end, so work stays balanced whatever the
    /// sizes. The default.
    #[default]
    Lpt,
    /// Items sorted by size and assigned before the pass, greedily to the least loaded of
    /// one chunk per worker; each chunk is one task (no shared counter).
    Chunks,
    /// rayon's own splitting (`par_iter().with_max_len(1)` over the size-sorted items): one
    /// task per item.
    Rayon,
}

/// What the runner needs from the session, borrowed for one pass.
pub(crate) struct Run<'s> {
    pub(crate) pool: &'s rayon::ThreadPool,
    pub(crate) threads: usize,
    pub(crate) schedule: Schedule,
    pub(crate) collector: &'s Collector,
    pub(crate) strings: &'s Interner,
    pub(crate) scratch: &'s ScratchArenas,
    pub(crate) budget: Option<u64>,
    pub(crate) epoch: Instant,
    pub(crate) record_spans: bool,
    /// Pass a quiescent state after every item (else only when the task ends).
    pub(crate) quiescent_states: bool,
}

/// What the tasks of one pass measured.
#[derive(Default)]
pub(crate) struct Measured {
    pub(crate) workers: Vec<WorkerReport>,
    pub(crate) spans: Vec<Span>,
    pub(crate) peak_pending: u64,
    pub(crate) budget_waits: u64,
}

/// One task's private tallies, merged once at its end.
struct TaskTally {
    busy: Duration,
    items: usize,
    peak_pending: u64,
    budget_waits: u64,
    spans: Vec<Span>,
}

impl Run<'_> {
    /// Runs `body` for each index of `sizes` (balanced by `sizes`, in bytes or any unit of
    /// work) and returns the results in index order, with what the tasks measured. A panic
    /// of the body is resumed after every task has stopped (the others stop pulling items);
    /// it is returned as `Err` with the partial measurements.
    pub(crate) fn run<R, F>(
        &self,
        sizes: &[u64],
        body: &F,
    ) -> (Result<Vec<R>, Box<dyn std::any::Any + Send>>, Measured)
    where
        R: Send,
        F: Fn(&mut TaskCx<'_>, usize) -> R + Sync,
    {
        let n = sizes.len();
        let mut order: Vec<usize> = (0..n).collect();
        // Largest first; ties by index, so the order is deterministic.
        order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
        let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(n));
        let measured = Mutex::new(Measured {
            workers: vec![WorkerReport::default(); self.threads],
            ..Measured::default()
        });
        // Set when an item panics: the other tasks stop pulling items.
        let stop = AtomicBool::new(false);

        let task = |next: &mut dyn FnMut() -> Option<usize>| {
            self.task(next, body, &stop, &results, &measured);
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            self.pool.install(|| match self.schedule {
                Schedule::Lpt => {
                    let cursor = AtomicUsize::new(0);
                    rayon::scope(|s| {
                        for _ in 0..self.threads.min(n) {
                            s.spawn(|_| {
                                task(&mut || {
                                    // Relaxed: the counter only hands out distinct indices;
                                    // items and results are published by the scope's join.
                                    let k = cursor.fetch_add(1, Ordering::Relaxed);
                                    order.get(k).copied()
                                });
                            });
                        }
                    });
                }
                Schedule::Chunks => {
                    let mut chunks: Vec<(u64, Vec<usize>)> =
                        vec![(0, Vec::new()); self.threads.min(n)];
                    for &i in &order {
                        if let Some(lightest) = chunks.iter_mut().min_by_key(|c| c.0) {
                            lightest.0 += sizes[i].max(1);
                            lightest.1.push(i);
                        }
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
                Schedule::Rayon => {
                    use rayon::prelude::*;
                    order.par_iter().with_max_len(1).for_each(|&i| {
                        let mut once = Some(i);
                        task(&mut || once.take());
                    });
                }
            });
        }));
        let measured = measured
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let out = outcome.map(|()| {
            let mut results = results
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            results.sort_unstable_by_key(|(i, _)| *i);
            debug_assert!(results.iter().enumerate().all(|(k, (i, _))| k == *i));
            results.into_iter().map(|(_, r)| r).collect()
        });
        (out, measured)
    }

    /// One task: register, run items, pass a quiescent state after each (or, over the
    /// memory budget, wait for a grace period), hand results and tallies over at the end.
    fn task<R, F>(
        &self,
        next: &mut dyn FnMut() -> Option<usize>,
        body: &F,
        stop: &AtomicBool,
        results: &Mutex<Vec<(usize, R)>>,
        measured: &Mutex<Measured>,
    ) where
        R: Send,
        F: Fn(&mut TaskCx<'_>, usize) -> R + Sync,
    {
        let cpu_start = thread_cpu_ns();
        let worker = self.pool.current_thread_index().unwrap_or(0);
        let mut cx = TaskCx {
            participant: self.collector.register(),
            strings: self.strings,
            scratch: self.scratch.local_arena(),
            worker,
            item: 0,
            _not_send: PhantomData,
        };
        let mut tally = TaskTally {
            busy: Duration::ZERO,
            items: 0,
            peak_pending: 0,
            budget_waits: 0,
            spans: Vec::new(),
        };
        let mut out = Vec::new();
        // On unwind (the body panicked), tell the other tasks to stop pulling items.
        let stopper = StopOnUnwind(stop);
        // Relaxed: a hint; a task that misses it runs one more item.
        while !stop.load(Ordering::Relaxed)
            && let Some(i) = next()
        {
            cx.item = i;
            let t0 = Instant::now();
            let r = body(&mut cx, i);
            let t1 = Instant::now();
            out.push((i, r));
            tally.busy += t1 - t0;
            tally.items += 1;
            if self.record_spans {
                tally.spans.push(Span {
                    worker: worker as u32,
                    item: i as u32,
                    start_us: micros(t0 - self.epoch),
                    end_us: micros(t1 - self.epoch),
                });
            }
            let pending = self.collector.shared_pending_bytes();
            tally.peak_pending = tally.peak_pending.max(pending);
            if !self.quiescent_states {
                continue;
            }
            if self.budget.is_some_and(|b| pending > b) && cx.participant.try_synchronize() {
                // Waited (offline) for a grace period and ran what it allowed, instead of
                // letting garbage grow further. (`try_synchronize` declines when another
                // participant of this thread is online: a task nested in a stolen job.)
                tally.budget_waits += 1;
            } else {
                cx.participant.quiescent();
            }
        }
        core::mem::forget(stopper);
        drop(cx);
        let cpu = match (cpu_start, thread_cpu_ns()) {
            (Some(a), Some(b)) => Some(Duration::from_nanos(b.saturating_sub(a))),
            _ => None,
        };
        lock(results).append(&mut out);
        let mut m = lock(measured);
        if let Some(w) = m.workers.get_mut(worker) {
            w.busy += tally.busy;
            w.items += tally.items;
            w.cpu = match (w.cpu, cpu) {
                (Some(a), Some(b)) => Some(a + b),
                (None, c) if w.items == tally.items => c,
                _ => None,
            };
        }
        m.peak_pending = m.peak_pending.max(tally.peak_pending);
        m.budget_waits += tally.budget_waits;
        m.spans.append(&mut tally.spans);
    }
}

/// Sets the flag when dropped during an unwind (forgotten on the normal path).
struct StopOnUnwind<'a>(&'a AtomicBool);

impl Drop for StopOnUnwind<'_> {
    fn drop(&mut self) {
        // Relaxed: a hint read by the other tasks' loops.
        self.0.store(true, Ordering::Relaxed);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking item never holds these locks (they are taken after the loop).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// CPU time the calling thread has run, in nanoseconds, from Linux's
/// `/proc/thread-self/schedstat` (`None` elsewhere).
pub fn thread_cpu_ns() -> Option<u64> {
    if cfg!(miri) {
        return None; // no files under Miri's isolation
    }
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_ascii_whitespace().next()?.parse().ok()
}
