//! Alternating-pair harness for `reclaim_retire`'s checkpoint case (issue 10, row A).
//!
//! On a shared machine absolute times drift by tens of percent between runs, so this runs
//! the floor (`floor_box_keep_all_then_drop`) and tern (`tern_retire_checkpoint`)
//! alternately in one process, `--pairs` times (a sample is the median of `--rounds`
//! rounds of one case in a row, as criterion runs them), and prints each pair's ratio of
//! wall time and of the threads' CPU time, then the min / median / max of the ratios. Each
//! case is the same code as in `benches/benches/reclaim.rs` (threads started behind a gate;
//! timed: tern's retire loop, the participants' drop and the checkpoint; the floor's push
//! loop and `clear`).
//!
//! ```sh
//! cargo run --release -p tern-benches --example retire_pairs -- \
//!     [--pairs 11] [--rounds 5] [--threads 1] [--objects 1000000] [--size 16] \
//!     [--mode bench|full|reuse] [--mirror-setup] [--only floor|tern|phases]
//! ```
//!
//! `--size` picks the object (16, 32 or 64 bytes); 16 bytes, 1 M objects and one thread
//! are the bench's case (the tuning case); other sizes, counts and two threads are held out
//! for reporting. `--mode` says what is timed (see `Mode`); `--mirror-setup` is an
//! ablation (see `Args::mirror_setup`); `--only` runs one case alone (for profilers), or
//! `phases`: the time and page faults of each phase of both cases, alternating per round.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tern_benches::harness::run_gated;

/// Objects thread `i` of `n` handles out of `total`.
fn share(total: usize, i: usize, n: usize) -> usize {
    total / n + usize::from(i < total % n)
}

/// A `W`-word object, built from an index as the bench's `obj` does.
fn obj<const W: usize>(i: u64) -> [u64; W] {
    let mut o = [0u64; W];
    o[0] = i;
    o[W - 1] = i.wrapping_mul(31);
    o
}

/// CPU time the calling thread has run, in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`).
/// Unlike wall time, it does not count the time another process held the core (it still
/// counts a busy SMT sibling's slowdown).
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec`, the only memory the call writes.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(ts.tv_nsec).unwrap_or(0)
}

/// One round: the wall time of its timed region and the CPU time its threads spent there.
#[derive(Clone, Copy)]
struct Timing {
    wall: Duration,
    cpu_ns: u64,
    /// Of `wall`, the final phase: the floor's `clear`, tern's checkpoint.
    last: Duration,
}

/// Adds the calling thread's CPU time since `start` to `sum`.
fn add_cpu(sum: &AtomicU64, start: u64) {
    // Relaxed: a sum read after the threads joined (the join orders it).
    sum.fetch_add(thread_cpu_ns() - start, Ordering::Relaxed);
}

/// What the timed region of a sample covers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// As `reclaim_retire` in the criterion bench: the floor's vector is allocated before
    /// the start line and freed after the finish line; tern gets a new collector per round,
    /// dropped after its time is taken.
    Bench,
    /// Everything: the floor's vector allocated and freed inside the timed region, tern's
    /// collector dropped inside it (what a process pays in all).
    Full,
    /// As `Bench`, but tern keeps one collector for all rounds, as a compiler session
    /// does across passes (a checkpoint per round).
    Reuse,
}

/// `floor_box_keep_all_then_drop`: every object kept in a vector, then all dropped.
fn floor_keep_all<const W: usize>(n: usize, total: usize, mode: Mode) -> Timing {
    let cpu = AtomicU64::new(0);
    let last = std::sync::Mutex::new(Duration::ZERO);
    let wall = run_gated(n, |i, gate| {
        let full = mode == Mode::Full;
        if full {
            gate.start();
        }
        let c0 = thread_cpu_ns();
        let mut keep: Vec<Box<[u64; W]>> = Vec::with_capacity(share(total, i, n));
        if !full {
            gate.start();
        }
        let c1 = thread_cpu_ns();
        for k in 0..share(total, i, n) {
            keep.push(Box::new(obj::<W>(k as u64)));
        }
        let t = Instant::now();
        keep.clear();
        if i == 0 {
            *last.lock().unwrap() = t.elapsed();
        }
        if full {
            drop(keep);
            add_cpu(&cpu, c0);
            gate.finish();
        } else {
            add_cpu(&cpu, c1);
            gate.finish();
            drop(keep);
        }
    });
    Timing {
        wall,
        cpu_ns: cpu.into_inner(),
        last: last.into_inner().unwrap(),
    }
}

/// `tern_retire_checkpoint`: retire everything, drop the participants, then
/// `checkpoint` frees it all (on `reused`, or on a new collector).
fn tern_checkpoint<const W: usize>(
    n: usize,
    total: usize,
    (mode, mirror): (Mode, bool),
    reused: &mut tern_quiesce::Collector,
) -> Timing {
    let cpu = AtomicU64::new(0);
    let mut fresh = (mode != Mode::Reuse).then(tern_quiesce::Collector::new);
    let collector = fresh.as_mut().unwrap_or(reused);
    let d = run_gated(n, |i, gate| {
        let mut p = collector.register();
        // The ablation `--mirror-setup`: the floor's untimed vector, unused.
        let unused: Vec<Box<[u64; W]>> = if mirror {
            black_box(Vec::with_capacity(share(total, i, n)))
        } else {
            Vec::new()
        };
        gate.start();
        let c0 = thread_cpu_ns();
        for k in 0..share(total, i, n) {
            p.retire(Box::new(obj::<W>(k as u64)));
        }
        drop(p);
        add_cpu(&cpu, c0);
        gate.finish();
        drop(unused);
    });
    let (t, c0) = (Instant::now(), thread_cpu_ns());
    black_box(collector.checkpoint());
    if mode == Mode::Full {
        drop(fresh);
    }
    add_cpu(&cpu, c0);
    Timing {
        wall: d + t.elapsed(),
        cpu_ns: cpu.into_inner(),
        last: t.elapsed(),
    }
}

struct Args {
    pairs: usize,
    rounds: usize,
    threads: usize,
    objects: usize,
    size: usize,
    mode: Mode,
    /// Ablation: tern's workers also allocate (before the start line) and free (after the
    /// finish line) a vector like the floor's, unused. glibc's `malloc` merges its fast
    /// bins (the last round's freed objects) on such a large request, so this shows how
    /// much of the gap is the heap state the floor's untimed setup leaves.
    mirror_setup: bool,
    /// `floor` or `tern`: run only that case, `--pairs` samples (for profilers).
    only: Option<String>,
}

fn parse_args() -> Args {
    let mut a = Args {
        pairs: 11,
        rounds: 5,
        threads: 1,
        objects: 1_000_000,
        size: 16,
        mode: Mode::Bench,
        mirror_setup: false,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--only" {
            a.only = it.next();
            continue;
        }
        if flag == "--mirror-setup" {
            a.mirror_setup = true;
            continue;
        }
        if flag == "--mode" {
            a.mode = match it.next().as_deref() {
                Some("bench") => Mode::Bench,
                Some("full") => Mode::Full,
                Some("reuse") => Mode::Reuse,
                _ => panic!("--mode bench|full|reuse"),
            };
            continue;
        }
        let value: usize = it
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{flag} needs a number"));
        match flag.as_str() {
            "--pairs" => a.pairs = value,
            "--rounds" => a.rounds = value,
            "--threads" => a.threads = value,
            "--objects" => a.objects = value,
            "--size" => a.size = value,
            _ => panic!("unknown flag {flag}"),
        }
    }
    a
}

type Floor = fn(usize, usize, Mode) -> Timing;
type Tern = fn(usize, usize, (Mode, bool), &mut tern_quiesce::Collector) -> Timing;

fn cases(size: usize) -> (Floor, Tern) {
    match size {
        16 => (floor_keep_all::<2>, tern_checkpoint::<2>),
        32 => (floor_keep_all::<4>, tern_checkpoint::<4>),
        64 => (floor_keep_all::<8>, tern_checkpoint::<8>),
        _ => panic!("--size must be 16, 32 or 64"),
    }
}

/// Wall and CPU nanoseconds per object of `rounds` runs of `case`: of each, the median
/// round (a round that another process preempted does not move it).
fn sample(a: &Args, mut case: impl FnMut() -> Timing) -> (f64, f64) {
    let per = |ns: f64| ns / a.objects as f64;
    let runs: Vec<Timing> = (0..a.rounds).map(|_| case()).collect();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (
        median(runs.iter().map(|r| per(r.wall.as_nanos() as f64)).collect()),
        median(runs.iter().map(|r| per(r.cpu_ns as f64)).collect()),
    )
}

/// `min / median / max` of `v`.
fn spread(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "min {:.3}  median {:.3}  max {:.3}",
        v[0],
        v[v.len() / 2],
        v[v.len() - 1]
    )
}

fn main() {
    let a = parse_args();
    let (floor, tern) = cases(a.size);
    let mut reused = tern_quiesce::Collector::new();
    let mut floor = || floor(a.threads, a.objects, a.mode);
    let mut tern = || tern(a.threads, a.objects, (a.mode, a.mirror_setup), &mut reused);
    if let Some(only) = &a.only {
        if only == "phases" {
            phases(&a);
            return;
        }
        for _ in 0..a.pairs * a.rounds {
            let t = if only == "floor" { floor() } else { tern() };
            let per = |d: Duration| d.as_nanos() as f64 / a.objects as f64;
            println!(
                "{only}: {:.2} ns/obj wall (last phase {:.2}), {:.2} ns/obj cpu",
                per(t.wall),
                per(t.last),
                t.cpu_ns as f64 / a.objects as f64
            );
        }
        return;
    }
    // Warm-up: one sample of each (first-touch of the heap, thread start-up).
    sample(&a, &mut floor);
    sample(&a, &mut tern);
    println!(
        "retire_pairs: {} pairs x {} rounds, {} thread(s), {} objects of {} B, mode {}{}",
        a.pairs,
        a.rounds,
        a.threads,
        a.objects,
        a.size,
        match a.mode {
            Mode::Bench => "bench",
            Mode::Full => "full",
            Mode::Reuse => "reuse",
        },
        if a.mirror_setup { ", mirror-setup" } else { "" }
    );
    println!("pair  floor ns/obj  tern ns/obj  tern/floor (wall)  tern/floor (cpu)");
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    for p in 0..a.pairs {
        // Alternate which case goes first, so that neither always follows the other.
        let (f, t) = if p % 2 == 0 {
            let f = sample(&a, &mut floor);
            (f, sample(&a, &mut tern))
        } else {
            let t = sample(&a, &mut tern);
            (sample(&a, &mut floor), t)
        };
        walls.push(t.0 / f.0);
        cpus.push(t.1 / f.1);
        println!(
            "{p:>4}  {:>12.2}  {:>11.2}  {:>17.3}  {:>16.3}",
            f.0,
            t.0,
            t.0 / f.0,
            t.1 / f.1
        );
    }
    println!("ratio tern/floor (wall): {}", spread(walls));
    println!("ratio tern/floor (cpu):  {}", spread(cpus));
}

/// Minor page faults of the calling thread so far (`/proc/thread-self/stat`, field 10).
fn minflt() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after_comm = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    after_comm
        .split_whitespace()
        .nth(7)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One thread, 16-byte objects: time and page faults of each phase of both cases, per
/// object, over `--pairs` alternating rounds (for finding where tern's extra time goes).
fn phases(a: &Args) {
    let n = a.objects;
    let per = |d: Duration| d.as_nanos() as f64 / n as f64;
    let pf = |f: u64| f as f64 * 1000.0 / n as f64;
    println!("ns/obj (page faults per 1000 objects)");
    for _ in 0..a.pairs {
        let (push, clear, pf_push, pf_clear) = std::thread::scope(|s| {
            s.spawn(|| {
                let mut keep: Vec<Box<[u64; 2]>> = Vec::with_capacity(n);
                let (f0, t0) = (minflt(), Instant::now());
                for k in 0..n {
                    keep.push(Box::new(obj::<2>(k as u64)));
                }
                let (f1, t1) = (minflt(), Instant::now());
                keep.clear();
                let (f2, t2) = (minflt(), Instant::now());
                (t1 - t0, t2 - t1, f1 - f0, f2 - f1)
            })
            .join()
            .unwrap()
        });
        let mut collector = tern_quiesce::Collector::new();
        let (retire, hand, pf_retire, pf_hand) = std::thread::scope(|s| {
            s.spawn(|| {
                let mut p = collector.register();
                let (f0, t0) = (minflt(), Instant::now());
                for k in 0..n {
                    p.retire(Box::new(obj::<2>(k as u64)));
                }
                let (f1, t1) = (minflt(), Instant::now());
                drop(p);
                let (f2, t2) = (minflt(), Instant::now());
                (t1 - t0, t2 - t1, f1 - f0, f2 - f1)
            })
            .join()
            .unwrap()
        });
        let (f0, t0) = (minflt(), Instant::now());
        black_box(collector.checkpoint());
        let (f1, t1) = (minflt(), Instant::now());
        println!(
            "floor push {:6.2} ({:5.1})  clear {:6.2} ({:5.1})  | tern retire {:6.2} ({:5.1})  drop {:5.2} ({:4.1})  checkpoint {:6.2} ({:5.1})",
            per(push),
            pf(pf_push),
            per(clear),
            pf(pf_clear),
            per(retire),
            pf(pf_retire),
            per(hand),
            pf(pf_hand),
            per(t1 - t0),
            pf(f1 - f0),
        );
    }
}
