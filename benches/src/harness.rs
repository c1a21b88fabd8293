//! Criterion settings, the thread-count parameter and a gate that times
//! several threads doing the same work.

use std::sync::Barrier;
use std::time::{Duration, Instant};

/// Environment variable holding the comma-separated thread counts, e.g. `1,2,4`.
pub const THREADS_ENV: &str = "TERN_BENCH_THREADS";

/// Thread counts to bench, from [`THREADS_ENV`] (default `1,2`).
///
/// Invalid or zero entries are skipped; an empty result falls back to `[1]`.
pub fn thread_counts() -> Vec<usize> {
    let raw = std::env::var(THREADS_ENV).unwrap_or_else(|_| "1,2".to_owned());
    let mut counts: Vec<usize> = raw
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .filter(|&n| n > 0)
        .collect();
    counts.dedup();
    if counts.is_empty() {
        counts.push(1);
    }
    counts
}

/// Thread counts above one (the multi-thread variants).
pub fn multi_thread_counts() -> Vec<usize> {
    thread_counts().into_iter().filter(|&n| n > 1).collect()
}

/// The criterion configuration shared by all harnesses: modest, so that the
/// whole suite runs in minutes on two cores.
///
/// `TERN_BENCH_QUICK=1` shortens warm-up and measurement further (smoke runs).
pub fn criterion() -> criterion::Criterion {
    let quick = std::env::var_os("TERN_BENCH_QUICK").is_some();
    let (warm, measure) = if quick {
        (Duration::from_millis(100), Duration::from_millis(300))
    } else {
        (Duration::from_millis(700), Duration::from_secs(2))
    };
    criterion::Criterion::default()
        .sample_size(10)
        .warm_up_time(warm)
        .measurement_time(measure)
        .without_plots()
        .configure_from_args()
}

/// A start line and a finish line for `n` worker threads plus the timing
/// thread.
///
/// Workers do their setup (registration, thread-local state), call
/// [`Gate::start`], do the measured work, call [`Gate::finish`], then tear
/// down. The timing thread calls [`Gate::time`], which returns the wall time
/// between the two lines, so neither spawning nor setup nor teardown is
/// measured.
#[derive(Debug)]
pub struct Gate {
    start: Barrier,
    finish: Barrier,
}

impl Gate {
    /// A gate for `workers` worker threads (the timing thread is added).
    pub fn new(workers: usize) -> Self {
        Self {
            start: Barrier::new(workers + 1),
            finish: Barrier::new(workers + 1),
        }
    }

    /// Called by each worker when its setup is done.
    pub fn start(&self) {
        self.start.wait();
    }

    /// Called by each worker when its measured work is done.
    pub fn finish(&self) {
        self.finish.wait();
    }

    /// Called by the timing thread: waits for all workers to start, then for
    /// all to finish, and returns the wall time in between.
    pub fn time(&self) -> Duration {
        self.start.wait();
        let t0 = Instant::now();
        self.finish.wait();
        t0.elapsed()
    }
}

/// Runs `work(thread_index)` on `n` scoped threads and returns the wall time
/// between the gate's start and finish lines. `work` receives the gate and
/// must call `start` and `finish` exactly once each.
pub fn run_gated<F>(n: usize, work: F) -> Duration
where
    F: Fn(usize, &Gate) + Sync,
{
    let gate = Gate::new(n);
    std::thread::scope(|s| {
        for i in 0..n {
            let gate = &gate;
            let work = &work;
            s.spawn(move || work(i, gate));
        }
        gate.time()
    })
}

/// Splits `items` into `n` contiguous chunks of nearly equal length.
pub fn chunks<T>(items: &[T], n: usize) -> Vec<&[T]> {
    let n = n.max(1);
    let base = items.len() / n;
    let extra = items.len() % n;
    let mut out = Vec::with_capacity(n);
    let mut at = 0;
    for i in 0..n {
        let len = base + usize::from(i < extra);
        out.push(&items[at..at + len]);
        at += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_everything_in_order() {
        let v: Vec<u32> = (0..10).collect();
        let c = chunks(&v, 3);
        assert_eq!(c.iter().map(|c| c.len()).collect::<Vec<_>>(), [4, 3, 3]);
        assert_eq!(c.concat(), v);
        assert_eq!(chunks(&v, 1), [&v[..]]);
    }

    #[test]
    fn gated_threads_all_run() {
        let ran = tern_tests::counter::Counter::new();
        let _ = run_gated(3, |i, gate| {
            gate.start();
            ran.add(i + 1);
            gate.finish();
        });
        assert_eq!(ran.get(), 6);
    }
}
