//! Front-end benches (issue 5): ternc's whole pipeline, its parse pass alone
//! and its lex + intern step, beside `syn::parse_file` (syn 3, "full") on the
//! same files, in MB/s (`Throughput::Bytes`).
//!
//! Corpus: a fixed subset of the local cargo registry (the crates named in
//! [`CRATES`], sorted, capped at [`CAP_BYTES`]), printed at start. With N
//! threads the files are split into N groups of equal bytes (largest first
//! onto the lightest group), one group per thread, and the time is the wall
//! time of the whole pass. Ids:
//! - `frontend/ternc_pipeline/N`: `driver::compile` on N workers (load, lex +
//!   parse, collect, types, resolve, checkpoints; pool start-up included);
//! - `frontend/ternc_parse/N`: lex + parse of every file into a per-thread
//!   `Bump`, identifiers interned in one shared `tern_intern::Interner` (fresh
//!   per iteration, so a first pass);
//! - `frontend/syn_parse_file/N`: `syn::parse_file` of the same files;
//! - `frontend/ternc_lex_intern/N`: ternc's lexer with interning, no parse;
//! - `frontend/rustc_lexer_only/N`: `ra_ap_rustc_lexer::tokenize` alone (the
//!   lexer floor).

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tern_arena::ScratchArenas;
use tern_benches::corpus::{Corpus, SourceFile};
use tern_benches::harness::{self, run_gated};
use tern_compiler::corpus::InputFile;
use tern_compiler::driver::{self, Options};
use tern_compiler::syntax::{self, FileId, Intern, Symbol};

/// Registry crates of the fixed front-end corpus (all versions present).
const CRATES: &[&str] = &[
    "clap_builder",
    "rayon",
    "regex-automata",
    "regex-syntax",
    "serde_json",
    "syn",
];

/// Size cap of the front-end corpus.
const CAP_BYTES: usize = 8 << 20;

/// A pipeline run slower than this is not sampled (see the probe below).
const PIPELINE_PROBE_LIMIT: Duration = Duration::from_secs(10);

/// ternc's syntax layer interning into tern's concurrent interner.
struct TernIntern<'a>(&'a tern_intern::Interner);

impl Intern for TernIntern<'_> {
    #[inline]
    fn intern(&self, s: &str) -> Symbol {
        self.0.intern(s)
    }
}

/// Runs `work(file)` over every file of each thread's group on `n` threads;
/// `setup(thread)` makes each thread's state (untimed, as is its drop).
fn per_thread<S>(
    groups: &[Vec<&SourceFile>],
    setup: impl Fn(usize) -> S + Sync,
    work: impl Fn(&mut S, &SourceFile) + Sync,
) -> Duration {
    run_gated(groups.len(), |i, gate| {
        let mut state = setup(i);
        gate.start();
        for f in &groups[i] {
            work(&mut state, f);
        }
        gate.finish();
        drop(state);
    })
}

fn bench_frontend(c: &mut Criterion) {
    let corpus = Corpus::registry_subset(CRATES, CAP_BYTES);
    eprintln!("{}", corpus.describe());
    let bytes = corpus.bytes() as u64;
    let inputs: Vec<InputFile> = corpus
        .files
        .iter()
        .map(|f| InputFile {
            path: f.path.clone(),
            len: f.text.len() as u64,
        })
        .collect();

    let mut g = c.benchmark_group("frontend");
    g.throughput(Throughput::Bytes(bytes));
    g.sampling_mode(criterion::SamplingMode::Flat);
    for n in harness::thread_counts() {
        let groups = corpus.balanced(n);

        let opts = Options {
            threads: n,
            ..Options::default()
        };
        // One probe run first: a pipeline too slow to sample ten times in a
        // few minutes is reported (and skipped) instead of stalling the suite.
        let t0 = Instant::now();
        let probe = driver::compile(&inputs, &opts).expect("thread pool");
        let probe_time = t0.elapsed();
        drop(probe);
        if probe_time > PIPELINE_PROBE_LIMIT {
            eprintln!(
                "NOTE: frontend/ternc_pipeline/{n} skipped: one run over {:.1} MB took {probe_time:.1?} ({:.2} MB/s), over the {PIPELINE_PROBE_LIMIT:?} probe limit",
                bytes as f64 / 1e6,
                bytes as f64 / 1e6 / probe_time.as_secs_f64()
            );
        } else {
            g.bench_function(BenchmarkId::new("ternc_pipeline", n), |b| {
                b.iter(|| black_box(driver::compile(&inputs, &opts).expect("thread pool")));
            });
        }

        g.bench_function(BenchmarkId::new("ternc_parse", n), |b| {
            // One AST arena set per thread, reset (not recreated) between
            // iterations so first-touch page faults stay out of the steady state;
            // 1 GiB kept across resets (default 4 MiB), as a reset `Bump` keeps its
            // largest chunk.
            let bumps: Vec<Mutex<ScratchArenas>> = (0..n)
                .map(|_| {
                    Mutex::new(
                        ScratchArenas::builder()
                            .thread_policy(tern_arena::ThreadPolicy::AnyThread)
                            .max_retained_per_thread(1 << 30)
                            .build(),
                    )
                })
                .collect();
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let interner = tern_intern::Interner::new();
                        let d = per_thread(
                            &groups,
                            |i| {
                                let mut bump = bumps[i].lock().expect("not poisoned");
                                bump.reset();
                                (bump, Vec::new(), Vec::new())
                            },
                            |(bump, tokens, diags), f| {
                                let ast = syntax::parse_with_buffer(
                                    &f.text,
                                    FileId(0),
                                    bump.local_arena(),
                                    &TernIntern(&interner),
                                    tokens,
                                    diags,
                                );
                                black_box(ast.items.len());
                                diags.clear();
                            },
                        );
                        drop(interner);
                        d
                    })
                    .sum()
            });
        });

        g.bench_function(BenchmarkId::new("syn_parse_file", n), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        per_thread(
                            &groups,
                            |_| (),
                            |(), f| {
                                black_box(syn::parse_file(&f.text).map(|f| f.items.len()).ok());
                            },
                        )
                    })
                    .sum()
            });
        });

        g.bench_function(BenchmarkId::new("ternc_lex_intern", n), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let interner = tern_intern::Interner::new();
                        per_thread(
                            &groups,
                            |_| (Vec::new(), Vec::new()),
                            |(tokens, diags), f| {
                                tokens.clear();
                                let stats = syntax::lex_and_intern(
                                    &f.text,
                                    FileId(0),
                                    &TernIntern(&interner),
                                    tokens,
                                    diags,
                                );
                                black_box(stats.tokens);
                                diags.clear();
                            },
                        )
                    })
                    .sum()
            });
        });

        g.bench_function(BenchmarkId::new("rustc_lexer_only", n), |b| {
            b.iter_custom(|iters| {
                let mut d = Duration::ZERO;
                for _ in 0..iters {
                    d += per_thread(
                        &groups,
                        |_| (),
                        |(), f| {
                            let n = ra_ap_rustc_lexer::tokenize(
                                &f.text,
                                ra_ap_rustc_lexer::FrontmatterAllowed::Yes,
                            )
                            .count();
                            black_box(n);
                        },
                    );
                }
                d
            });
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = harness::criterion();
    targets = bench_frontend
}
criterion_main!(benches);
